//! Maintenance use cases: schedule, cancel, list; and the banner every page shows.

use serde_json::json;

use super::model::{self, Cancelled, NewWindow, Window};
use super::store;
use crate::actor::Actor;
use crate::app::App;
use crate::auth::policy::{Action, Object, require};
use crate::error::{Error, Result};

pub fn schedule(app: &App, actor: &Actor, input: NewWindow) -> Result<Window> {
    require(actor, Action::MaintenanceSchedule, Object::Appliance)?;
    let now = crate::clock::now();
    let (starts, ends, effect) = model::check(&input, now)?;
    let clean = |field: &str, s: &str| crate::portal::directory::model::clean_text(field, s, 2000);
    let window = Window {
        id: 0,
        starts: crate::clock::utc_string(starts),
        ends: crate::clock::utc_string(ends),
        effect,
        note_kk: clean("note_kk", &input.note_kk)?,
        note_ru: clean("note_ru", &input.note_ru)?,
        note_en: clean("note_en", &input.note_en)?,
        created_by: actor.log_name(),
        created: crate::clock::utc_string(now),
        cancelled: None,
    };
    app.audit.change(actor, "maintenance.schedule", |txn| {
        let window = Window { id: crate::db::next_id(txn, "maintenance")?, ..window };
        store::put(txn, &window)?;
        let detail = json!({
            "window": window.id, "starts": window.starts, "ends": window.ends, "effect": window.effect,
        });
        Ok((window, Some(detail)))
    })
}

pub fn cancel(app: &App, actor: &Actor, id: u64) -> Result<Window> {
    require(actor, Action::MaintenanceSchedule, Object::Appliance)?;
    let by = actor.log_name();
    app.audit.change(actor, "maintenance.cancel", |txn| {
        let mut window = store::get(txn, id)?.ok_or_else(Error::not_found)?;
        if window.cancelled.is_some() {
            return Err(Error::new(crate::error::Code::Gone));
        }
        window.cancelled =
            Some(Cancelled { by: by.clone(), at: crate::clock::utc_string(crate::clock::now()) });
        store::put(txn, &window)?;
        Ok((window, Some(json!({"window": id}))))
    })
}

/// Every window, newest first (administrators).
pub fn list(app: &App, actor: &Actor) -> Result<Vec<Window>> {
    require(actor, Action::MaintenanceSchedule, Object::Appliance)?;
    let txn = app.db.read()?;
    let mut all = store::all(&txn)?;
    all.reverse();
    Ok(all)
}

/// Windows every participant is told about now: scheduled, not cancelled, not yet over.
/// Public by design (I617 §17: every participant is told).
pub fn announced(app: &App) -> Result<Vec<Window>> {
    let now = crate::clock::now();
    let txn = app.db.read()?;
    let mut shown: Vec<Window> =
        store::all(&txn)?.into_iter().filter(|w| w.shown_at(now)).collect();
    shown.sort_by(|a, b| a.starts.cmp(&b.starts));
    Ok(shown)
}

/// One line of the banner on every page.
pub struct Banner {
    pub running: bool,
    pub starts: String,
    pub ends: String,
    pub effect_key: &'static str,
    pub note: String,
}

/// The banner lines in `lang`; empty when nothing is announced or the store is unreadable
/// (a page must render even then).
pub fn banner(app: &App, lang: &str) -> Vec<Banner> {
    let now = crate::clock::now();
    let windows = match announced(app) {
        Ok(w) => w,
        Err(e) => {
            tracing::warn!(error = %e, "cannot read maintenance windows for the banner");
            return Vec::new();
        }
    };
    windows
        .into_iter()
        .map(|w| Banner {
            running: w.running_at(now),
            starts: crate::clock::parse(&w.starts)
                .map(crate::clock::local_display)
                .unwrap_or_default(),
            ends: crate::clock::parse(&w.ends).map(crate::clock::local_display).unwrap_or_default(),
            effect_key: w.effect.message_key(),
            note: w.note(lang).to_owned(),
        })
        .collect()
}
