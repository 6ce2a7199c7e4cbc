//! The pages of Government meetings: the list (upcoming and past) with the officer's form
//! for a new meeting, a meeting with its agenda, materials, earlier agenda versions, and
//! the forms of whoever may act (compose the agenda, sign it, answer, vote, the minutes),
//! and the printable minutes. Every form is on the forms pattern (`web::forms`): a refused
//! form comes back on its page with what was typed and the reason by the field.

use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use super::attendance::{self, AnswerInput};
use super::http::{arc, meeting_view};
use super::service::{self, NewAgenda, NewMeeting, NewQuestion};
use super::view::{self, MeetingSummary, MeetingView};
use super::{materials, minutes, print, votes};
use crate::app::App;
use crate::auth::policy::{Action, MeetingAction, Object, decide};
use crate::error::{Code, Error, Result};
use crate::portal::documents::receive::{Refused, receive_with_fields};
use crate::web::forms::{self, Field, Form};
use crate::web::render::{PageCtx, done, html};
use crate::web::request::SignedIn;
use crate::web::{blocking, form, read_form_body};

type Data = web::Data<App>;

#[derive(Template)]
#[template(path = "meetings/list.html")]
struct ListPage<'a> {
    page: PageCtx<'a>,
    meetings: Vec<MeetingSummary>,
    can_create: bool,
    /// The new meeting's form (refused: with what was typed).
    f: Form,
}

impl ListPage<'_> {
    /// The rules a meeting's resolutions are decided by (the voting engine's).
    fn majorities(&self) -> [&'static str; 3] {
        ["simple", "two_thirds", "all"]
    }
}

pub(super) async fn list_page(app: Data, s: SignedIn) -> Result<HttpResponse> {
    show_list(&app, &s, Form::new("meeting").set("majority", "simple")).await
}

async fn show_list(app: &Data, s: &SignedIn, f: Form) -> Result<HttpResponse> {
    let (a, actor) = (arc(app), s.actor.clone());
    let meetings = blocking(move || view::list(&a, &actor)).await?;
    let can_create = decide(&s.actor, Action::Meeting(MeetingAction::Create), Object::Appliance);
    let page = ListPage {
        page: PageCtx::new(app, &s.state, "meetings-title", "meetings"),
        meetings,
        can_create,
        f,
    };
    forms::page(&page, &page.f)
}

/// The fields of the new meeting's form.
const CREATE_FIELDS: &[Field] = &[
    Field::new("title", "meeting-col-title"),
    Field::new("starts_at", "meeting-starts"),
    Field::new("place", "meeting-place"),
    Field::new("members", "meeting-members"),
    Field::new("invited", "meeting-invited"),
    Field::new("majority", "meeting-majority"),
    Field::new("quorum_percent", "meeting-quorum"),
];

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
    match create(&app, &s, &body).await {
        Ok(id) => Ok(done(&format!("/meetings/{id}"), "done-meeting-created")),
        Err(e) => {
            let f =
                Form::posted("meeting", &body).refuse(&app.i18n, s.state.lang, e, CREATE_FIELDS)?;
            show_list(&app, &s, f).await
        }
    }
}

async fn create(app: &Data, s: &SignedIn, body: &[u8]) -> Result<u64> {
    let f: CreateForm = form(body)?;
    let quorum_percent = match f.quorum_percent.trim() {
        "" => None,
        q => Some(q.parse().map_err(|_| Error::invalid("quorum_percent", "meeting-bad-quorum"))?),
    };
    let input = NewMeeting {
        title: f.title,
        starts_at: f.starts_at,
        place: f.place,
        members: logins(&f.members),
        invited: logins(&f.invited),
        majority: f.majority,
        quorum_percent,
    };
    let (a, actor) = (arc(app), s.actor.clone());
    blocking(move || service::create(&a, &actor, input)).await
}

#[derive(Template)]
#[template(path = "meetings/meeting.html")]
struct MeetingPage<'a> {
    page: PageCtx<'a>,
    m: MeetingView,
    /// The generated minutes, when the officer may post them.
    minutes_text: String,
    /// The refused form of one action (its id is the form's), or an empty one.
    f: Form,
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

    /// The form `id` as shown: the refused one with its values and messages, or a fresh
    /// one with what the page proposes.
    fn form(&self, id: &'static str) -> Form {
        if self.f.id == id {
            return self.f.clone();
        }
        let f = Form::new(id);
        match id {
            "agenda" => f.set("questions", self.agenda_lines()),
            "minutes" => f.set("text", self.minutes_text.clone()),
            "open_vote" => f.set("question", "1").set("minutes", "60"),
            "current" => {
                let next = self.m.current_item.map(|c| c + 1).unwrap_or(1);
                f.set("question", next.to_string())
            }
            "answer" => f.set("answer", self.m.my_answer.unwrap_or("attend")),
            _ => f,
        }
    }

    /// The vote form of question `q` (one per open poll on the page).
    fn vote_form(&self, q: impl std::borrow::Borrow<usize>) -> Form {
        let q = q.borrow().to_string();
        if self.f.id == "vote" && self.f.value("question") == q {
            return self.f.clone();
        }
        Form::new("vote").instance(&q).set("question", q)
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
    show_meeting(&app, &s, path.into_inner(), Form::new("")).await
}

async fn show_meeting(app: &Data, s: &SignedIn, id: u64, f: Form) -> Result<HttpResponse> {
    let m = meeting_view(app, s, id).await?;
    let minutes_text = if m.actions.contains(&"minutes") && f.id != "minutes" {
        let (a, actor, lang) = (arc(app), s.actor.clone(), s.state.lang);
        blocking(move || minutes::generate(&a, &actor, id, lang)).await?
    } else {
        String::new()
    };
    let mut page = PageCtx::new(app, &s.state, "meetings-title", "meetings");
    page.title = m.summary.title.clone();
    let page = MeetingPage { page, m, minutes_text, f };
    forms::page(&page, &page.f)
}

#[derive(Template)]
#[template(path = "meetings/minutes_print.html")]
struct PrintPage<'a> {
    page: PageCtx<'a>,
    p: print::PrintableMinutes,
    /// The attendance table, rendered by the reporting layer.
    attendance: String,
}

/// The minutes as an A4 page to print (or to save as PDF from the browser).
pub(super) async fn print_page(
    app: Data,
    s: SignedIn,
    path: web::Path<u64>,
    q: web::Query<crate::report::Sort>,
) -> Result<HttpResponse> {
    let id = path.into_inner();
    let (a, actor, lang) = (arc(&app), s.actor.clone(), s.state.lang);
    let mut p = blocking(move || print::printable(&a, &actor, id, lang)).await?;
    let sort = q.into_inner();
    sort.apply(&mut p.attendance);
    let href = |key: &str, desc: bool| {
        let dir = if desc { "desc" } else { "asc" };
        format!("/meetings/{id}/minutes/print?sort={key}&dir={dir}")
    };
    let attendance = crate::report::html::render(
        &p.attendance,
        &crate::report::html::Options { sort: &sort, href: &href, empty: "" },
    );
    let mut page = PageCtx::new(&app, &s.state, "meeting-minutes", "meetings");
    page.title = p.title.clone();
    html(&PrintPage { page, p, attendance })
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
    question: String,
    resolution: String,
    minutes: String,
    text: String,
    choice: String,
}

/// A question number typed in a form (1-based).
fn question_of(text: &str) -> Result<usize> {
    text.trim().parse().map_err(|_| Error::invalid("question", "meeting-no-such-question"))
}

/// The forms of the meeting page (their ids) and the actions that post them: the text to
/// sign comes from the form it is signed in.
fn form_of(action: &str) -> Option<&'static str> {
    Some(match action {
        "agenda" => "agenda",
        "sign" => "sign",
        "answer" | "answer_text" => "answer",
        "remind" => "remind",
        "current" => "current",
        "open_vote" => "open_vote",
        "close_vote" => "close_vote",
        "vote" | "ballot_text" => "vote",
        "minutes" => "minutes",
        "sign_minutes" => "sign_minutes",
        _ => return None,
    })
}

/// The fields of each form of the meeting page.
fn fields_of(form: &str) -> Vec<Field> {
    let signature = Field::aliased("signature", "meeting-signature-file", &["file", "cms"]);
    match form {
        "agenda" => vec![
            Field::new("questions", "meeting-questions"),
            Field::new("changes", "meeting-changes"),
            Field::new("material_question", "meeting-material-question"),
            Field::new("title", "meeting-material-title"),
            Field::aliased("file", "meeting-material-file", &["files", "meta"]),
        ],
        "answer" => vec![
            Field::new("answer", "meeting-answer"),
            Field::new("reason", "meeting-reason"),
            Field::new("substitute", "meeting-substitute"),
            signature,
        ],
        "current" | "close_vote" => vec![Field::new("question", "meeting-question")],
        "open_vote" => vec![
            Field::new("question", "meeting-question"),
            Field::new("resolution", "meeting-resolution"),
            Field::new("minutes", "meeting-vote-minutes"),
        ],
        "vote" => vec![Field::new("choice", "meeting-choice"), signature],
        "minutes" => vec![Field::aliased("text", "meeting-minutes-text-label", &["minutes"])],
        _ => vec![signature],
    }
}

/// The confirmation shown after an action.
fn done_message(action: &str) -> &'static str {
    match action {
        "sign" | "sign_minutes" => "done-meeting-signed",
        "answer" => "done-meeting-answered",
        "vote" => "done-meeting-voted",
        _ => "done-meeting-saved",
    }
}

/// What an action gives back: a confirmation, or a text to sign.
enum Acted {
    Done(&'static str),
    Text(Vec<u8>),
}

/// One endpoint for every form of the meeting page: url-encoded fields, or a signature file
/// with its fields (multipart, the CSRF token its first part). A refused form comes back on
/// the page with what was typed and the reason by the field.
pub(super) async fn act_form(
    app: Data,
    s: SignedIn,
    req: HttpRequest,
    path: web::Path<(u64, String)>,
    payload: web::Payload,
) -> Result<HttpResponse> {
    let (id, action) = path.into_inner();
    let form_id = form_of(&action).ok_or_else(Error::not_found)?;
    s.actor.origin.set_success_status(303);
    match act(&app, &s, &req, id, &action, payload).await {
        Ok(Acted::Done(message)) => {
            Ok(done(&format!("/meetings/{id}#{}", anchor(form_id)), message))
        }
        Ok(Acted::Text(text)) => {
            s.actor.origin.set_success_status(200);
            Ok(HttpResponse::Ok().content_type("text/plain; charset=utf-8").body(text))
        }
        Err(r) => refused_on_page(&app, &s, id, form_id, r).await,
    }
}

/// The section of the page a form's result is seen in.
fn anchor(form: &str) -> &'static str {
    match form {
        "answer" | "remind" => "attendance",
        "open_vote" | "close_vote" | "vote" => "votes",
        "minutes" | "sign_minutes" => "minutes",
        _ => "agenda",
    }
}

/// The meeting page again with the refused form.
async fn refused_on_page(
    app: &Data,
    s: &SignedIn,
    id: u64,
    form_id: &'static str,
    refused: Refused,
) -> Result<HttpResponse> {
    let errors = refused
        .errors
        .into_iter()
        .map(|e| match e.field.as_deref() {
            // A refused signature is about the signature file.
            None if e.code == Code::SignatureRejected => e.with_field("signature"),
            // A question of the agenda (`questions[2].title`) is a line of its text box.
            Some(f) if f.starts_with("questions[") => e.with_field("questions"),
            _ => e,
        })
        .collect();
    let mut f = Form::from_pairs(form_id, refused.values);
    if form_id == "vote" {
        let q = f.value("question").to_owned();
        f = f.instance(q);
    }
    let f = f.refuse_all(&app.i18n, s.state.lang, errors, &fields_of(form_id))?;
    show_meeting(app, s, id, f).await
}

async fn act(
    app: &Data,
    s: &SignedIn,
    req: &HttpRequest,
    id: u64,
    action: &str,
    payload: web::Payload,
) -> std::result::Result<Acted, Refused> {
    let multipart = req
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|c| c.starts_with("multipart/form-data"));
    let action = action.to_owned();
    let message = done_message(&action);
    let (a, actor) = (arc(app), s.actor.clone());
    if multipart && action == "agenda" {
        // The agenda with a new file as a material (or none: the form is multipart anyway).
        agenda_with_files(app, s, req, id, payload).await?;
        return Ok(Acted::Done(message));
    }
    if multipart {
        let mp = actix_multipart::Multipart::new(req.headers(), payload);
        let (mut values, cms) = crate::portal::polls::http::read_multipart(app, mp).await?;
        values.retain(|(k, _)| k != "csrf");
        let kept = values.clone();
        let field = |k: &str| {
            values.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone()).unwrap_or_default()
        };
        let input = AnswerInput {
            answer: field("answer"),
            reason: field("reason"),
            substitute: field("substitute"),
        };
        let (question, choice) = (field("question"), field("choice"));
        let cms = cms.filter(|c| !c.is_empty());
        blocking(move || {
            let cms = cms.ok_or_else(|| Error::invalid("signature", "field-required"))?;
            match action.as_str() {
                "sign" => service::sign(&a, &actor, id, &cms).map(|_| ()),
                "sign_minutes" => minutes::sign(&a, &actor, id, &cms),
                "answer" => attendance::answer(&a, &actor, id, &input, &cms),
                "vote" => votes::vote(&a, &actor, id, question_of(&question)?, &choice, &cms),
                _ => Err(Error::not_found()),
            }
        })
        .await
        .map_err(|e| Refused { errors: vec![e], values: kept })?;
        return Ok(Acted::Done(message));
    }
    let body = read_form_body(payload).await?;
    let kept = Form::posted("", &body);
    let kept: Vec<(String, String)> = [
        "questions",
        "changes",
        "question",
        "resolution",
        "minutes",
        "text",
        "choice",
        "answer",
        "reason",
        "substitute",
    ]
    .iter()
    .map(|k| ((*k).to_owned(), kept.value(k).to_owned()))
    .collect();
    let refused = |e: Error| Refused { errors: vec![e], values: kept.clone() };
    if action == "answer_text" {
        // The text to sign for the answer typed in the form (a POST: the form's CSRF field
        // stays in the body, never in an address).
        let input: AnswerInput = form(&body).map_err(refused)?;
        let text = blocking(move || attendance::text(&a, &actor, id, &input)).await;
        return text.map(Acted::Text).map_err(refused);
    }
    let f: ActForm = form(&body).map_err(refused)?;
    if action == "ballot_text" {
        // The ballot text for the choice marked in the vote form (POST, as above).
        let text =
            blocking(move || votes::ballot(&a, &actor, id, question_of(&f.question)?, &f.choice))
                .await;
        return text.map(Acted::Text).map_err(refused);
    }
    blocking(move || match action.as_str() {
        "agenda" => {
            let input = NewAgenda { questions: parse_agenda(&f.questions)?, changes: f.changes };
            service::compose(&a, &actor, id, input).map(|_| ())
        }
        "remind" => attendance::remind(&a, &actor, id).map(|_| ()),
        "open_vote" => {
            let minutes = match f.minutes.trim() {
                "" => 60,
                m => m
                    .parse()
                    .ok()
                    .filter(|m| (1..=1440).contains(m))
                    .ok_or_else(|| Error::invalid("minutes", "meeting-bad-vote-minutes"))?,
            };
            votes::open(&a, &actor, id, question_of(&f.question)?, &f.resolution, minutes)
                .map(|_| ())
        }
        "close_vote" => votes::close(&a, &actor, id, question_of(&f.question)?).map(|_| ()),
        "current" => {
            let q = match f.question.trim() {
                "" | "0" => None,
                q => Some(question_of(q)?),
            };
            votes::move_to(&a, &actor, id, q)
        }
        "minutes" => minutes::post(&a, &actor, id, &f.text).map(|_| ()),
        _ => Err(Error::not_found()),
    })
    .await
    .map_err(refused)?;
    Ok(Acted::Done(message))
}

/// The agenda form sent as multipart: its fields, and files to post as a new document and
/// attach to the question named (`materials`). Refused (a file, the agenda): the values come
/// back — with the new document's number in its line once it was posted.
async fn agenda_with_files(
    app: &Data,
    s: &SignedIn,
    req: &HttpRequest,
    id: u64,
    payload: web::Payload,
) -> std::result::Result<(), Refused> {
    let (a, actor) = (arc(app), s.actor.clone());
    let ticket = blocking(move || materials::prepare(&a, &actor, id)).await?;
    let mp = actix_multipart::Multipart::new(req.headers(), payload);
    let mut received =
        receive_with_fields(app.clone(), req, &ticket, mp, materials::FIELDS).await?;
    let mut values = std::mem::take(&mut received.values);
    values.retain(|(k, _)| k != "csrf");
    if !received.refused.is_empty() {
        return Err(Refused { errors: std::mem::take(&mut received.refused), values });
    }
    let value =
        |k: &str| values.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone()).unwrap_or_default();
    let (text, changes, question) =
        (value("questions"), value("changes"), value("material_question"));
    let questions = match parse_agenda(&text) {
        Ok(q) => q,
        Err(e) => return Err(Refused { errors: vec![e], values }),
    };
    let agenda = NewAgenda { questions, changes };
    let (files, meta) = (received.take_files(), std::mem::take(&mut received.meta));
    let typed = lines_of(&agenda.questions);
    let (a, actor) = (arc(app), s.actor.clone());
    let (agenda, result) = blocking(move || {
        let upload = materials::Upload { ticket, meta, files };
        Ok(materials::compose_with_files(&a, &actor, id, agenda, &question, upload))
    })
    .await?;
    result.map(|_| ()).map_err(|e| {
        let lines = lines_of(&agenda.questions);
        if lines != typed {
            // The new document was posted: its number stays in its question's line.
            values.retain(|(k, _)| k != "questions");
            values.push(("questions".to_owned(), lines));
        }
        Refused { errors: vec![e], values }
    })
}

/// The agenda's questions as the compose form shows them (see [`parse_agenda`]).
fn lines_of(questions: &[NewQuestion]) -> String {
    questions
        .iter()
        .map(|q| {
            let docs: Vec<String> = q.materials.iter().map(u64::to_string).collect();
            let draft = q.draft.map(|d| format!(" | {d}")).unwrap_or_default();
            format!("{} | {}{draft}", q.title, docs.join(", "))
        })
        .collect::<Vec<_>>()
        .join("\n")
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
        let text = "О проекте | 12, 13 | 7\nРазное | ";
        assert_eq!(
            lines_of(&parse_agenda(text).unwrap()),
            text,
            "a refused agenda comes back as typed"
        );
        let e = parse_agenda("a\nb | x").unwrap_err();
        assert_eq!((e.field.as_deref(), e.detail.as_deref()), (Some("questions"), Some("2")));
    }
}
