//! The minutes (I385 §47, §21): once the meeting has begun the officer generates a text
//! (attendance with substitutes, each question, each vote with its counts and who voted how),
//! edits it and posts it as a `meeting_minutes` document of the portal; the responsible
//! officer signs the document's manifest. In the signature's transaction every draft act
//! whose resolution the meeting accepted receives the minutes and moves on (§21, through the
//! drafts service).

use std::fmt::Write;

use serde_json::json;

use super::model::*;
use super::service::{check, load, notice, now, refused, step, tell};
use super::view::{people, person};
use crate::actor::Actor;
use crate::app::App;
use crate::auth::policy::MeetingAction;
use crate::auth::roles::Role;
use crate::error::{Error, Result};
use crate::notify::{self, AfterCommit};
use crate::portal::directory::service as directory;
use crate::portal::documents::model::{AccessRule, VersionContent};
use crate::portal::documents::service as documents;
use crate::portal::documents::signatures::{self, Also};
use crate::portal::polls::view as poll_view;

/// The generated text of the minutes in `lang`, for the officer to edit.
pub fn generate(app: &App, actor: &Actor, id: u64, lang: &str) -> Result<String> {
    let m = load(app, id)?;
    check(actor, MeetingAction::Manage, &m)?;
    actor.origin.set_operation("meeting.minutes_draft");
    let t = |key: &str| app.i18n.text(lang, key);
    let users = people(app, &m)?;
    let name = |id: u64| person(&users, id, lang).name;
    let mut out = String::new();
    let _ = writeln!(out, "{}\n{}\n", t("meeting-minutes-heading"), m.title);
    let when = crate::clock::parse(&m.starts_at).map(crate::clock::local_display);
    let place = if m.videoconference() { t("meeting-videoconference") } else { m.place.clone() };
    let _ = writeln!(out, "{}: {}, {place}\n", t("meeting-starts"), when.unwrap_or_default());
    let _ = writeln!(out, "{}:", t("meeting-minutes-present"));
    for member in &m.members {
        match m.answer_of(*member) {
            Some(a) if a.answer == Answer::Absent => {}
            _ => {
                let _ = writeln!(out, "  {}", name(*member));
            }
        }
    }
    let absent: Vec<&Attendance> =
        m.attendance.iter().filter(|a| a.answer == Answer::Absent).collect();
    if !absent.is_empty() {
        let _ = writeln!(out, "{}:", t("meeting-minutes-absent"));
        for a in absent {
            let sub = a.substitute.map(name).unwrap_or_default();
            let _ = writeln!(
                out,
                "  {} — {}; {}: {sub}",
                name(a.member),
                a.reason,
                t("meeting-substitute")
            );
        }
    }
    if !m.invited.is_empty() {
        let invited: Vec<String> = m.invited.iter().map(|i| name(*i)).collect();
        let _ = writeln!(out, "{}: {}", t("meeting-invited"), invited.join(", "));
    }
    let Some(agenda) = m.published() else { return Err(refused(Refusal::NotPublished)) };
    let version = agenda.n.to_string();
    let heading = app.i18n.text_with(lang, "meeting-agenda-version", &[("version", &version)]);
    let _ = writeln!(out, "\n{heading}");
    for (i, q) in agenda.questions.iter().enumerate() {
        let _ = writeln!(out, "\n{}. {}", i + 1, q.title);
        for p in m.polls.iter().filter(|p| p.question == i + 1 && p.agenda_version == agenda.n) {
            let poll = crate::portal::polls::service::get(app, p.poll)?;
            let v = poll_view::view_within_subject(app, actor, &poll, lang)?;
            let _ = writeln!(out, "   {}: {}", t("meeting-resolution"), p.resolution);
            let counts: Vec<String> = v
                .tally
                .unwrap_or_default()
                .iter()
                .map(|c| format!("{} — {}", c.label, c.count))
                .collect();
            let outcome = p.outcome.as_deref().unwrap_or("open");
            let _ = writeln!(
                out,
                "   {}: {}; {}",
                t("meeting-vote"),
                counts.join(", "),
                t(&format!("meeting-outcome-{}", outcome.replace('_', "-")))
            );
            for seat in v.seats.iter().filter(|s| s.voted) {
                let by = match &seat.substitute {
                    Some(s) => format!("{s} ({} {})", t("meeting-instead-of"), seat.name),
                    None => seat.name.clone(),
                };
                let choice = seat.choice_label.clone().unwrap_or_default();
                let _ = writeln!(out, "     {by} — {choice}");
            }
        }
    }
    Ok(out)
}

/// The officer posts the (edited) minutes as a document of the portal, readable by the
/// meeting's readers and the OKDO officers; once, before signing.
pub fn post(app: &App, actor: &Actor, id: u64, text: &str) -> Result<u64> {
    let me = actor.user_id().ok_or_else(Error::forbidden)?;
    let text = text.trim();
    if text.is_empty() || text.len() > 1_000_000 {
        return Err(Error::invalid("text", "meeting-minutes-text"));
    }
    let agency = match &actor.who {
        crate::actor::Who::User(u) => u.agency_id,
        _ => return Err(Error::forbidden()),
    };
    let okdo: Vec<u64> =
        directory::holders_of(app, Role::OkdoOfficer)?.into_iter().map(|u| u.id).collect();
    let doc = step(app, actor, id, MeetingAction::Manage, "meeting.minutes", |m, txn| {
        if now() < m.starts_at {
            return Err(refused(Refusal::NotStarted));
        }
        if m.minutes.is_some() {
            return Err(refused(Refusal::MinutesSigned));
        }
        let mut users = m.readers();
        users.extend(&okdo);
        users.sort_unstable();
        users.dedup();
        let title = format!("Протокол заседания Правительства «{}»", m.title);
        let content = VersionContent {
            title: title.clone(),
            title_kk: format!("«{}» Үкімет отырысының хаттамасы", m.title),
            title_ru: title,
            text: format!("{text}\n"),
            fields: Default::default(),
            files: Vec::new(),
            note: String::new(),
        };
        let access = AccessRule { users, ..Default::default() };
        let doc = documents::write_text_document_in(
            txn,
            app,
            me,
            agency,
            "meeting_minutes",
            content,
            access,
        )?;
        m.minutes = Some(Minutes { document_id: doc, at: now(), signed: None });
        Ok((doc, AfterCommit::default()))
    })?;
    app.search.changed(doc);
    Ok(doc)
}

/// The responsible officer signs the minutes (a CMS over the document's manifest); in the
/// same transaction every draft act on the agenda whose resolution was accepted receives
/// the minutes (§21), and the members are told.
pub fn sign(app: &App, actor: &Actor, id: u64, cms: &[u8]) -> Result<()> {
    let m = load(app, id)?;
    check(actor, MeetingAction::Sign, &m)?;
    let minutes = m.minutes.clone().ok_or_else(|| refused(Refusal::NoMinutes))?;
    if minutes.signed.is_some() {
        return Err(refused(Refusal::MinutesSigned));
    }
    let after = std::cell::RefCell::new(AfterCommit::default());
    let run = |txn: &redb::WriteTransaction,
               record: &signatures::SignatureRecord|
     -> Result<serde_json::Value> {
        let mut m = super::store::get_in(txn, id)?.ok_or_else(Error::not_found)?;
        let Some(mins) = m.minutes.as_mut().filter(|x| x.signed.is_none()) else {
            return Err(refused(Refusal::MinutesSigned));
        };
        mins.signed = Some((record.user_id, record.submitted.clone(), record.id));
        let doc = mins.document_id;
        let mut drafts = Vec::new();
        if let Some(agenda) = m.published() {
            for p in m.polls.iter().filter(|p| p.outcome.as_deref() == Some("accepted")) {
                let q =
                    agenda.questions.get(p.question - 1).filter(|_| p.agenda_version == agenda.n);
                if let Some(d) = q.and_then(|q| q.draft) {
                    drafts.push(d);
                }
            }
        }
        let mut done = AfterCommit::default();
        for d in &drafts {
            done = done.merge(crate::portal::drafts::service::minutes_from_meeting_in(
                app,
                txn,
                *d,
                doc,
                record.user_id,
            )?);
        }
        let mut to = m.members.clone();
        to.extend(&m.invited);
        to.extend(m.attendance.iter().filter_map(|a| a.substitute));
        done = done.merge(tell(app, txn, &to, &notice("meeting-minutes-signed", &m))?);
        super::store::put(txn, &m)?;
        *after.borrow_mut() = done;
        Ok(json!({"meeting": id, "drafts": drafts}))
    };
    signatures::submit_with(
        app,
        actor,
        minutes.document_id,
        1,
        cms,
        "meeting_minutes",
        Some(&Also { operation: "meeting.sign_minutes", run: &run }),
    )?;
    notify::after_commit(app, after.into_inner());
    Ok(())
}
