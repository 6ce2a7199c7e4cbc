//! The minutes as a printable A4 page (issue 12, item 5): the text of the minutes' document
//! as posted (what was signed), the meeting's facts, the attendance with substitutes as a
//! table of the reporting layer, and the signature's standing now. Printing is the job of
//! the shared print stylesheet (`@media print` in `web/static/app.css`, A4); the page only
//! marks what must not print. A PDF is not made on the server: no well-kept Rust crate lays
//! out Kazakh and Russian text with our fonts, and every browser prints this page to PDF.

use super::model::Refusal;
use super::service::refused;
use super::view::{self, MeetingSummary};
use crate::actor::Actor;
use crate::app::App;
use crate::error::Result;
use crate::portal::documents::service as documents;
use crate::portal::documents::signatures;
use crate::report::{Cell, Column, Kind, Table};

/// The minutes' signature as the printed page shows it.
#[derive(Debug, Clone)]
pub struct PrintedSignature {
    /// `valid`, `invalid` or `revoked_later` (the document signature's standing now).
    pub status: &'static str,
    pub signer: String,
    pub at_local: String,
    /// The certificate's subject, as the signature names it.
    pub certificate: Option<String>,
}

#[derive(Debug, Clone)]
pub struct PrintableMinutes {
    pub meeting: MeetingSummary,
    pub document_id: u64,
    /// The document's title and text as posted (the signed version 1).
    pub title: String,
    pub text: String,
    /// None while the minutes wait for the officer's signature (printed as a draft).
    pub signature: Option<PrintedSignature>,
    /// Members, their answers and substitutes (labels in the reader's language).
    pub attendance: Table,
}

/// The printable minutes of meeting `id` for a reader of the meeting and of its minutes.
pub fn printable(app: &App, actor: &Actor, id: u64, lang: &str) -> Result<PrintableMinutes> {
    let m = view::view(app, actor, id, lang)?;
    let minutes = m.minutes.as_ref().ok_or_else(|| refused(Refusal::NoMinutes))?;
    let doc = documents::get(app, actor, minutes.document_id, lang)?;
    // The minutes are posted once and signed as version 1: that is the text printed.
    let version = doc.versions.first().unwrap_or_else(|| doc.current());
    let title = match lang {
        "kk" if !version.content.title_kk.is_empty() => version.content.title_kk.clone(),
        _ => version.content.title.clone(),
    };
    let signature = if minutes.signed {
        signatures::list(app, actor, minutes.document_id, 1)?
            .into_iter()
            .rfind(|s| s.purpose == "meeting_minutes")
            .map(|s| PrintedSignature {
                status: s.status,
                signer: m.responsible.name.clone(),
                at_local: minutes.signed_at_local.clone().unwrap_or_default(),
                certificate: s.signer.map(|c| c.subject),
            })
    } else {
        None
    };
    actor.origin.set_operation("meeting.minutes_print");
    let t = |key: &str| app.i18n.text(lang, key);
    let mut attendance = Table::new(
        t("meeting-attendance-sheet"),
        vec![
            Column::new("member", t("meeting-col-member"), Kind::Text),
            Column::new("answer", t("meeting-answer"), Kind::Text),
            Column::new("substitute", t("meeting-substitute"), Kind::Text),
        ],
    );
    for r in &m.attendance.rows {
        attendance.push(vec![
            Cell::text(r.member.name.clone()),
            Cell::text(t(&format!("meeting-answer-{}", r.answer))),
            Cell::text(r.substitute.as_ref().map(|p| p.name.clone()).unwrap_or_default()),
        ]);
    }
    Ok(PrintableMinutes {
        meeting: m.summary,
        document_id: minutes.document_id,
        title,
        text: version.content.text.clone(),
        signature,
        attendance,
    })
}
