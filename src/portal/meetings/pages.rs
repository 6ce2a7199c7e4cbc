//! The pages of Government meetings: the list (upcoming and past) with the officer's form
//! for a new meeting, and a meeting with its agenda, materials, earlier agenda versions, and
//! the forms of whoever may act (compose the agenda, sign it).

use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use super::attendance::{self, AnswerInput};
use super::http::{arc, back, meeting_view};
use super::service::{self, NewAgenda, NewMeeting, NewQuestion};
use super::view::{self, MeetingSummary, MeetingView};
use super::{minutes, votes};
use crate::app::App;
use crate::auth::policy::{Action, MeetingAction, Object, decide};
use crate::error::{Error, Result};
use crate::web::render::{PageCtx, html, see_other};
use crate::web::request::SignedIn;
use crate::web::{blocking, form, read_form_body, read_multipart};

type Data = web::Data<App>;

#[derive(Template)]
#[template(path = "meetings/list.html")]
struct ListPage<'a> {
    page: PageCtx<'a>,
    meetings: Vec<MeetingSummary>,
    can_create: bool,
}

pub(super) async fn list_page(app: Data, s: SignedIn) -> Result<HttpResponse> {
    let (a, actor) = (arc(&app), s.actor.clone());
    let meetings = blocking(move || view::list(&a, &actor)).await?;
    let can_create = decide(&s.actor, Action::Meeting(MeetingAction::Create), Object::Appliance);
    html(&ListPage {
        page: PageCtx::new(&app, &s.state, "meetings-title", "meetings"),
        meetings,
        can_create,
    })
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct CreateForm {
    title: String,
    starts_at: String,
    place: String,
    members: String,
    invited: String,
    majority: String,
    quorum_percent: String,
}

fn logins(text: &str) -> Vec<String> {
    text.split(|c: char| c == ',' || c.is_whitespace())
        .filter(|l| !l.is_empty())
        .map(str::to_owned)
        .collect()
}

pub(super) async fn create_form(app: Data, s: SignedIn, body: web::Bytes) -> Result<HttpResponse> {
    s.actor.origin.set_success_status(303);
    let f: CreateForm = form(&body)?;
    let input = NewMeeting {
        title: f.title,
        starts_at: f.starts_at,
        place: f.place,
        members: logins(&f.members),
        invited: logins(&f.invited),
        majority: f.majority,
        quorum_percent: f.quorum_percent.trim().parse().ok(),
    };
    let (a, actor) = (arc(&app), s.actor.clone());
    let id = blocking(move || service::create(&a, &actor, input)).await?;
    Ok(see_other(&format!("/meetings/{id}")))
}

#[derive(Template)]
#[template(path = "meetings/meeting.html")]
struct MeetingPage<'a> {
    page: PageCtx<'a>,
    m: MeetingView,
    /// The generated minutes, when the officer may post them.
    minutes_text: String,
}

impl MeetingPage<'_> {
    fn can(&self, action: &str) -> bool {
        self.m.actions.contains(&action)
    }

    /// Whether members see an agenda (attendance is answered against it).
    fn published(&self) -> bool {
        self.m.agenda_versions.iter().any(|v| v.published)
    }

    /// Whether question `n` (1-based) is under discussion (§45).
    fn is_current(&self, n: impl std::borrow::Borrow<usize>) -> bool {
        self.m.current_item == Some(*n.borrow())
    }

    fn act(&self, action: &str) -> String {
        format!("/meetings/{}/act/{action}", self.m.summary.id)
    }

    /// The agenda as the compose form shows it: one question a line.
    fn agenda_lines(&self) -> String {
        let Some(a) = &self.m.agenda else { return String::new() };
        a.questions
            .iter()
            .map(|q| {
                let docs: Vec<String> =
                    q.materials.iter().map(|m| m.document_id.to_string()).collect();
                let draft = q.draft.map(|d| format!(" | {d}")).unwrap_or_default();
                format!("{} | {}{draft}", q.title, docs.join(", "))
            })
            .collect::<Vec<_>>()
            .join("\n")
    }
}

pub(super) async fn meeting_page(
    app: Data,
    s: SignedIn,
    path: web::Path<u64>,
) -> Result<HttpResponse> {
    let id = path.into_inner();
    let m = meeting_view(&app, &s, id).await?;
    let minutes_text = if m.actions.contains(&"minutes") {
        let (a, actor, lang) = (arc(&app), s.actor.clone(), s.state.lang);
        blocking(move || minutes::generate(&a, &actor, id, lang)).await?
    } else {
        String::new()
    };
    let mut page = PageCtx::new(&app, &s.state, "meetings-title", "meetings");
    page.title = m.summary.title.clone();
    html(&MeetingPage { page, m, minutes_text })
}

/// One question a line: `title | document ids | draft id` (the last two optional).
fn parse_agenda(text: &str) -> Result<Vec<NewQuestion>> {
    let mut out = Vec::new();
    for (i, line) in text.lines().map(str::trim).filter(|l| !l.is_empty()).enumerate() {
        let mut parts = line.split('|').map(str::trim);
        let title = parts.next().unwrap_or("").to_owned();
        let number = |s: &str| {
            s.trim_start_matches('#').parse::<u64>().map_err(|_| {
                Error::invalid("questions", "meeting-agenda-line").with_detail(format!("{}", i + 1))
            })
        };
        let materials = parts
            .next()
            .unwrap_or("")
            .split(|c: char| c == ',' || c.is_whitespace())
            .filter(|s| !s.is_empty())
            .map(number)
            .collect::<Result<Vec<u64>>>()?;
        let draft = match parts.next().filter(|s| !s.is_empty()) {
            Some(d) => Some(number(d)?),
            None => None,
        };
        out.push(NewQuestion { title, draft, materials });
    }
    Ok(out)
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct ActForm {
    questions: String,
    changes: String,
    question: usize,
    resolution: String,
    minutes: Option<u64>,
    text: String,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct BallotForm {
    question: usize,
    choice: String,
}

/// One endpoint for every form of the meeting page: url-encoded fields, or the signature
/// file (multipart, the CSRF token its first part).
pub(super) async fn act_form(
    app: Data,
    s: SignedIn,
    req: HttpRequest,
    path: web::Path<(u64, String)>,
    payload: web::Payload,
) -> Result<HttpResponse> {
    let (id, action) = path.into_inner();
    s.actor.origin.set_success_status(303);
    let multipart = req
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|c| c.starts_with("multipart/form-data"));
    if multipart {
        let mp = actix_multipart::Multipart::new(req.headers(), payload);
        let (fields, cms) = read_multipart(mp, "signature").await?;
        let field = |k: &str| fields.get(k).cloned().unwrap_or_default();
        let input = AnswerInput {
            answer: field("answer"),
            reason: field("reason"),
            substitute: field("substitute"),
        };
        let question: usize = field("question").trim().parse().unwrap_or(0);
        let choice = field("choice");
        let (a, actor) = (arc(&app), s.actor.clone());
        blocking(move || match action.as_str() {
            "sign" => service::sign(&a, &actor, id, &cms).map(|_| ()),
            "sign_minutes" => minutes::sign(&a, &actor, id, &cms),
            "answer" => attendance::answer(&a, &actor, id, &input, &cms),
            "vote" => votes::vote(&a, &actor, id, question, &choice, &cms),
            _ => Err(Error::not_found()),
        })
        .await?;
        return Ok(back(id));
    }
    let body = read_form_body(payload).await?;
    if action == "answer_text" {
        // The text to sign for the answer typed in the form (a POST: the form's CSRF field
        // stays in the body, never in an address).
        s.actor.origin.set_success_status(200);
        let input: AnswerInput = form(&body)?;
        let (a, actor) = (arc(&app), s.actor.clone());
        let text = blocking(move || attendance::text(&a, &actor, id, &input)).await?;
        return Ok(HttpResponse::Ok().content_type("text/plain; charset=utf-8").body(text));
    }
    if action == "ballot_text" {
        // The ballot text for the choice marked in the vote form (POST, as above).
        s.actor.origin.set_success_status(200);
        let f: BallotForm = form(&body)?;
        let (a, actor) = (arc(&app), s.actor.clone());
        let text = blocking(move || votes::ballot(&a, &actor, id, f.question, &f.choice)).await?;
        return Ok(HttpResponse::Ok().content_type("text/plain; charset=utf-8").body(text));
    }
    let f: ActForm = form(&body)?;
    let (a, actor) = (arc(&app), s.actor.clone());
    blocking(move || match action.as_str() {
        "agenda" => {
            let input = NewAgenda { questions: parse_agenda(&f.questions)?, changes: f.changes };
            service::compose(&a, &actor, id, input).map(|_| ())
        }
        "remind" => attendance::remind(&a, &actor, id).map(|_| ()),
        "open_vote" => {
            votes::open(&a, &actor, id, f.question, &f.resolution, f.minutes.unwrap_or(60))
                .map(|_| ())
        }
        "close_vote" => votes::close(&a, &actor, id, f.question).map(|_| ()),
        "current" => votes::move_to(&a, &actor, id, Some(f.question).filter(|q| *q > 0)),
        "minutes" => minutes::post(&a, &actor, id, &f.text).map(|_| ()),
        _ => Err(Error::not_found()),
    })
    .await?;
    Ok(back(id))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn agenda_lines_are_read_as_questions() {
        let q = parse_agenda("О проекте | 12, #13 | 7\n\n  Разное  \n").unwrap();
        assert_eq!(q.len(), 2);
        assert_eq!(
            (q[0].title.as_str(), q[0].materials.clone(), q[0].draft),
            ("О проекте", vec![12, 13], Some(7))
        );
        assert_eq!((q[1].title.as_str(), q[1].materials.len(), q[1].draft), ("Разное", 0, None));
        let e = parse_agenda("a\nb | x").unwrap_err();
        assert_eq!((e.field.as_deref(), e.detail.as_deref()), (Some("questions"), Some("2")));
    }
}
