//! The operator's transfer of a period's returns (`ipgo headcount export|import`): the
//! figures of every return of a period as JSON, and those figures loaded back — e.g. drafts
//! prepared in the previous system. The import only fills drafts and returned returns;
//! an accepted return never changes through it either (I385 §27): the store's own refusal
//! (`store::accepted_refusal`, `conflict` on `state`, `headcount-return-accepted`) ends the
//! import, nothing of it is kept, and the command's refusal is logged like every
//! administrative command. A file that repeats an accepted return's figures unchanged (an
//! export read back) is no change and passes.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::model::*;
use super::service::{act, campaign, definition, now, refusal};
use super::store;
use crate::actor::Actor;
use crate::app::App;
use crate::auth::policy::{HeadcountAction, Object, require};
use crate::error::{Code, Error, Result};
use crate::portal::directory::service as directory;

/// A period's returns as the export writes them and the import reads them.
#[derive(Debug, Clone, Serialize, Deserialize, Default)]
#[serde(default)]
pub struct PeriodFile {
    pub period: String,
    pub returns: Vec<ReturnFigures>,
}

#[derive(Debug, Clone, Serialize, Deserialize, Default)]
#[serde(default)]
pub struct ReturnFigures {
    pub id: u64,
    /// The agency's code (for the reader; the import goes by `id`).
    pub agency: String,
    pub state: String,
    pub revision: u64,
    pub corrects: Option<u64>,
    pub values: BTreeMap<String, Value>,
}

/// What an import did.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Imported {
    pub changed: usize,
    pub unchanged: usize,
}

fn campaigns_of(app: &App, period: &str) -> Result<Vec<Campaign>> {
    let txn = app.db.read()?;
    let found: Vec<Campaign> =
        store::campaigns(&txn)?.into_iter().filter(|c| c.period.key == period.trim()).collect();
    if found.is_empty() {
        return Err(Error::invalid("period", "headcount-campaign-unknown")
            .with_detail(period.trim().to_owned()));
    }
    Ok(found)
}

/// Every return of the period (corrections included), oldest first.
pub fn export(app: &App, actor: &Actor, period: &str) -> Result<PeriodFile> {
    require(actor, act(HeadcountAction::Transfer), Object::Appliance)?;
    let agencies = directory::agencies_by_id(app)?;
    let mut returns = Vec::new();
    for c in campaigns_of(app, period)? {
        let txn = app.db.read()?;
        for r in store::returns_of(&txn, c.id)? {
            returns.push(ReturnFigures {
                id: r.id,
                agency: agencies.get(&r.agency).map(|a| a.code.clone()).unwrap_or_default(),
                state: r.state.name().into(),
                revision: r.revision,
                corrects: r.corrects,
                values: r.values.iter().map(|(k, v)| (k.clone(), json!(v))).collect(),
            });
        }
    }
    actor.origin.set_detail(json!({"period": period.trim(), "returns": returns.len()}));
    Ok(PeriodFile { period: period.trim().into(), returns })
}

/// Loads the figures of the file into its returns, all or nothing, in one transaction.
pub fn import(app: &App, actor: &Actor, file: &PeriodFile) -> Result<Imported> {
    require(actor, act(HeadcountAction::Transfer), Object::Appliance)?;
    // Figures parsed (typed, known fields) before anything is written.
    let mut given = Vec::new();
    for f in &file.returns {
        let r = {
            let txn = app.db.read()?;
            store::get_return(&txn, f.id)?
        }
        .ok_or_else(|| Error::not_found().with_detail(format!("return {}", f.id)))?;
        let def = definition(app, r.form_version)?;
        // Named by label in English, the operator's language, like every CLI message.
        let values = def.parse(&f.values).map_err(|p| refusal(app, "en", &def, &p))?;
        campaign(app, r.campaign)?;
        given.push((f.id, values));
    }
    let ids: Vec<u64> = given.iter().map(|(id, _)| *id).collect();
    app.audit.change(actor, "headcount.import_returns", |txn| {
        let mut done = Imported::default();
        for (id, values) in &given {
            let mut r = store::return_in(txn, *id)?.ok_or_else(Error::not_found)?;
            if r.values == *values {
                done.unchanged += 1;
                continue;
            }
            if r.state == State::Accepted {
                return Err(store::accepted_refusal().with_detail(format!("return {id}")));
            }
            if !r.state.editable() {
                return Err(Error::new(Code::Conflict)
                    .with_field("state")
                    .with_detail_key("headcount-return-submitted")
                    .with_detail(format!("return {id}")));
            }
            // The head's signature covered other figures.
            r.signature = None;
            r.values = values.clone();
            r.revision += 1;
            r.history.push(Event { at: now(), by: 0, what: "imported".into(), comments: vec![] });
            store::put_return(txn, &r)?;
            done.changed += 1;
        }
        let detail = json!({"period": file.period, "returns": ids, "changed": done.changed});
        Ok((done, Some(detail)))
    })
}
