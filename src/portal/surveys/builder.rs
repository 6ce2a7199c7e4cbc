//! The survey builder on pages that work without JavaScript (I385 §7.8, issue 16 point 1):
//! a new survey's settings (titles, audience, dates, anonymity, k), then one page that shows
//! the survey's sections and questions and adds to them — a section, a question of any type
//! (single, multiple with limits, scale with its end labels, matrix, number with a range,
//! short and long text, date), required or not, shown only if an earlier answer is one of
//! some values — removes a question, opens the survey, copies it, and links to the preview
//! (`answer.rs`, the pages as respondents see them). Every form is on the forms pattern
//! (`web/forms.rs`): a refusal comes back with all values and the reason under the field.
//! The pages change the survey through `service::update` with the whole design, so the
//! builder and the API share every check (a condition on a later question, limits, …).

use actix_web::{HttpResponse, web};
use askama::Template;

use super::model::{Anonymity, Audience, Condition, Kind, Question, Section, Survey, Text};
use super::service::{self, Design, Seen};
use crate::app::App;
use crate::auth::roles::Role;
use crate::error::{Error, Result};
use crate::web::blocking;
use crate::web::forms::{self, Field, Form};
use crate::web::render::{PageCtx, done, see_other};
use crate::web::request::SignedIn;

type Data = web::Data<App>;

pub fn routes(cfg: &mut crate::web::routes::RouteTable) {
    cfg.route("/surveys/new", web::get().to(new_page))
        .route("/surveys/new", web::post().to(new_submit))
        .route("/surveys/{id}/edit", web::get().to(edit_page))
        .route("/surveys/{id}/settings", web::get().to(settings_page))
        .route("/surveys/{id}/settings", web::post().to(settings_submit))
        .route("/surveys/{id}/sections", web::post().to(section_submit))
        .route("/surveys/{id}/questions", web::post().to(question_submit))
        .route("/surveys/{id}/questions/{key}/remove", web::post().to(remove_submit))
        .route("/surveys/{id}/publish", web::post().to(publish_submit))
        .route("/surveys/{id}/duplicate", web::post().to(copy_submit));
}

fn arc(app: &Data) -> std::sync::Arc<App> {
    app.clone().into_inner()
}

/// The kinds a question may be, in the order the builder offers them.
pub const KINDS: [&str; 8] =
    ["single", "multiple", "scale", "matrix", "number", "short_text", "long_text", "date"];

/// Roles an audience may name (the participants' roles, not the administrative ones).
const AUDIENCE_ROLES: [Role; 6] = [
    Role::Employee,
    Role::Head,
    Role::HrOfficer,
    Role::PlanResponsible,
    Role::Controller,
    Role::OkdoOfficer,
];

const SETTINGS: [Field; 11] = [
    Field::aliased("title_kk", "survey-builder-title-kk", &["title"]),
    Field::new("title_ru", "survey-builder-title-ru"),
    Field::new("description_kk", "survey-builder-description-kk"),
    Field::new("description_ru", "survey-builder-description-ru"),
    Field::new("anonymity", "survey-builder-anonymity"),
    Field::new("k", "survey-builder-k"),
    Field::new("opens_at", "survey-builder-opens"),
    Field::new("closes_at", "survey-builder-closes"),
    Field::aliased("everyone", "survey-builder-audience", &["audience"]),
    Field::new("agencies", "survey-builder-agencies"),
    Field::new("roles", "survey-builder-roles"),
];

const QUESTION: [Field; 9] = [
    Field::new("section", "survey-builder-section"),
    Field::new("kind", "survey-builder-kind"),
    Field::aliased("text_kk", "survey-builder-text-kk", &["text"]),
    Field::new("text_ru", "survey-builder-text-ru"),
    Field::aliased("options", "survey-builder-options", &["rows"]),
    Field::aliased("min", "survey-builder-min", &["limits"]),
    Field::aliased("points", "survey-builder-points", &["scale"]),
    Field::new("show_if", "survey-builder-show-if"),
    Field::new("show_values", "survey-builder-show-values"),
];

const SECTION: [Field; 2] = [
    Field::aliased("section_kk", "survey-builder-section-kk", &["sections"]),
    Field::new("section_ru", "survey-builder-section-ru"),
];

/// A stored UTC time as an Astana `datetime-local` value.
fn local_input(stored: &str) -> String {
    crate::clock::parse(stored)
        .map(|t| t.to_zoned(crate::clock::astana()).strftime("%Y-%m-%dT%H:%M").to_string())
        .unwrap_or_default()
}

/// The settings form filled from a survey.
fn settings_form(s: &Survey) -> Form {
    let mut f = Form::new("settings")
        .set("title_kk", s.title.kk.clone())
        .set("title_ru", s.title.ru.clone())
        .set("description_kk", s.description.kk.clone())
        .set("description_ru", s.description.ru.clone())
        .set("anonymity", if s.anonymity == Anonymity::Named { "named" } else { "anonymous" })
        .set("k", s.k.to_string())
        .set("opens_at", local_input(&s.opens_at))
        .set("closes_at", local_input(&s.closes_at));
    if s.audience.everyone {
        f = f.set("everyone", "1");
    }
    for a in &s.audience.agencies {
        f = f.add("agencies", a.to_string());
    }
    for d in &s.audience.departments {
        f = f.add("departments", d.to_string());
    }
    for g in &s.audience.groups {
        f = f.add("groups", g.to_string());
    }
    for r in &s.audience.roles {
        f = f.add("roles", r.name());
    }
    f
}

fn ids(f: &Form, name: &str) -> Vec<u64> {
    f.values_of(name).iter().filter_map(|v| v.parse().ok()).collect()
}

/// The design the settings form describes, with `sections` kept from the survey.
fn design_of_settings(f: &Form, sections: Vec<Section>) -> Result<Design> {
    let k = f.value("k").trim();
    let k = if k.is_empty() {
        super::model::DEFAULT_K
    } else {
        k.parse().map_err(|_| Error::invalid("k", "survey-k-invalid"))?
    };
    Ok(Design {
        title: Text {
            kk: f.value("title_kk").trim().into(),
            ru: f.value("title_ru").trim().into(),
        },
        description: Text {
            kk: f.value("description_kk").trim().into(),
            ru: f.value("description_ru").trim().into(),
        },
        anonymity: if f.value("anonymity") == "named" {
            Anonymity::Named
        } else {
            Anonymity::Anonymous
        },
        k,
        audience: Audience {
            everyone: f.value("everyone") == "1",
            agencies: ids(f, "agencies"),
            departments: ids(f, "departments"),
            groups: ids(f, "groups"),
            roles: f.values_of("roles").iter().filter_map(|r| Role::parse(r)).collect(),
        },
        opens_at: f.value("opens_at").trim().into(),
        closes_at: f.value("closes_at").trim().into(),
        sections,
    })
}

/// Lines of "kk | ru" (or one text for both languages) as texts.
fn lines(text: &str) -> Vec<Text> {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(|l| match l.split_once('|') {
            Some((kk, ru)) => Text { kk: kk.trim().into(), ru: ru.trim().into() },
            None => Text { kk: l.into(), ru: l.into() },
        })
        .collect()
}

fn pair(f: &Form, name: &str) -> Text {
    Text {
        kk: f.value(&format!("{name}_kk")).trim().into(),
        ru: f.value(&format!("{name}_ru")).trim().into(),
    }
}

fn number(f: &Form, name: &'static str, key: &'static str) -> Result<Option<f64>> {
    let v = f.value(name).trim().replace(',', ".");
    if v.is_empty() {
        return Ok(None);
    }
    v.parse().map(Some).map_err(|_| Error::invalid(name, key))
}

fn whole(f: &Form, name: &'static str) -> Result<u32> {
    Ok(number(f, name, "survey-limits-invalid")?.map_or(0, |x| x.max(0.0) as u32))
}

/// The next free key `qN`.
fn next_key(s: &Survey) -> String {
    let n = s.questions().filter_map(|q| q.key.strip_prefix('q')?.parse::<u32>().ok()).max();
    format!("q{}", n.unwrap_or(0) + 1)
}

/// The question the question form describes (its key chosen by the builder).
fn question_of(f: &Form, key: String) -> Result<Question> {
    let points = match f.value("points") {
        "10" => 10,
        _ => 5,
    };
    let kind = match f.value("kind") {
        "single" => Kind::Single { options: lines(f.value("options")) },
        "multiple" => Kind::Multiple {
            options: lines(f.value("options")),
            min: whole(f, "min")?,
            max: whole(f, "max")?,
        },
        "scale" => Kind::Scale { max: points, low: pair(f, "low"), high: pair(f, "high") },
        "matrix" => Kind::Matrix {
            rows: lines(f.value("options")),
            max: points,
            low: pair(f, "low"),
            high: pair(f, "high"),
        },
        "number" => Kind::Number {
            min: number(f, "min", "survey-limits-invalid")?,
            max: number(f, "max", "survey-limits-invalid")?,
        },
        "short_text" => Kind::ShortText,
        "long_text" => Kind::LongText,
        "date" => Kind::Date,
        _ => return Err(Error::invalid("kind", "survey-builder-kind-required")),
    };
    let show_if = match f.value("show_if").trim() {
        "" => None,
        q => Some(Condition {
            question: q.to_owned(),
            any_of: f
                .value("show_values")
                .split([',', ' ', ';'])
                .map(str::trim)
                .filter(|v| !v.is_empty())
                .map(str::to_owned)
                .collect(),
        }),
    };
    Ok(Question { key, text: pair(f, "text"), kind, required: f.value("required") == "1", show_if })
}

/// A refusal of the new question, on the input it is about (the service names the
/// question; the message key says which part of it is wrong).
fn on_question_input(mut e: Error, key: &str) -> Error {
    if e.field.as_deref() == Some(key) {
        let input = match e.detail_key.unwrap_or("") {
            "survey-question-text-required" => "text_kk",
            "survey-options-invalid" => "options",
            "survey-limits-invalid" => "min",
            "survey-scale-invalid" => "points",
            k if k.starts_with("survey-condition") => "show_if",
            _ => "kind",
        };
        e.field = Some(input.into());
    }
    e
}

/// One question as the builder lists it.
pub struct Listed {
    pub key: String,
    pub number: usize,
    pub text: String,
    pub kind: &'static str,
    pub required: bool,
    /// "q1: 2, 3" when shown on a condition.
    pub show_if: String,
    /// Options, rows, limits or the scale's ends, in short.
    pub detail: String,
}

pub struct ListedSection {
    pub number: usize,
    pub title: String,
    pub questions: Vec<Listed>,
}

fn listed(s: &Survey, lang: &str) -> Vec<ListedSection> {
    let mut n = 0;
    s.sections
        .iter()
        .enumerate()
        .map(|(i, sec)| ListedSection {
            number: i + 1,
            title: sec.title.get(lang).to_owned(),
            questions: sec
                .questions
                .iter()
                .map(|q| {
                    n += 1;
                    let texts = |l: &[Text]| {
                        l.iter().map(|t| t.get(lang).to_owned()).collect::<Vec<_>>().join(" · ")
                    };
                    let range = |a: Option<f64>, b: Option<f64>| {
                        let s = |x: Option<f64>| x.map(|x| x.to_string()).unwrap_or_default();
                        format!("{} … {}", s(a), s(b))
                    };
                    let detail = match &q.kind {
                        Kind::Single { options } => texts(options),
                        Kind::Multiple { options, min, max } => {
                            format!("{} ({min}–{max})", texts(options))
                        }
                        Kind::Scale { max, low, high } => {
                            format!("1 {} … {max} {}", low.get(lang), high.get(lang))
                        }
                        Kind::Matrix { rows, max, .. } => format!("{} (1–{max})", texts(rows)),
                        Kind::Number { min, max } => range(*min, *max),
                        _ => String::new(),
                    };
                    Listed {
                        key: q.key.clone(),
                        number: n,
                        text: q.text.get(lang).to_owned(),
                        kind: q.kind.name(),
                        required: q.required,
                        show_if: q
                            .show_if
                            .as_ref()
                            .map(|c| format!("{}: {}", c.question, c.any_of.join(", ")))
                            .unwrap_or_default(),
                        detail,
                    }
                })
                .collect(),
        })
        .collect()
}

/// Choices of the audience: every agency, the departments of the author's agency, the
/// working groups the author sees.
pub struct Choices {
    pub agencies: Vec<(String, String)>,
    pub departments: Vec<(String, String)>,
    pub groups: Vec<(String, String)>,
    pub roles: Vec<(&'static str, String)>,
}

async fn choices(app: &Data, s: &SignedIn) -> Result<Choices> {
    let (a, actor, lang) = (arc(app), s.actor.clone(), s.state.lang);
    let agency = s.actor.user().map(|u| u.agency_id);
    let name = move |kk: &str, ru: &str| if lang == "kk" { kk.to_owned() } else { ru.to_owned() };
    let (agencies, departments, groups) = blocking(move || {
        use crate::portal::directory::service as dir;
        Ok((
            dir::agencies(&a, &actor)?,
            dir::departments(&a, &actor, agency)?,
            dir::groups(&a, &actor)?,
        ))
    })
    .await?;
    Ok(Choices {
        agencies: agencies
            .iter()
            .map(|x| (x.id.to_string(), name(&x.name_kk, &x.name_ru)))
            .collect(),
        departments: departments
            .iter()
            .map(|x| (x.id.to_string(), name(&x.name_kk, &x.name_ru)))
            .collect(),
        groups: groups.iter().map(|x| (x.id.to_string(), name(&x.name_kk, &x.name_ru))).collect(),
        roles: AUDIENCE_ROLES.iter().map(|r| (r.name(), r.message_key())).collect(),
    })
}

#[derive(Template)]
#[template(path = "surveys/settings.html")]
struct SettingsPage<'a> {
    page: PageCtx<'a>,
    heading: String,
    /// 0 for a new survey.
    id: u64,
    action: String,
    choices: Choices,
    f: Form,
}

async fn settings_view(
    app: &Data,
    s: &SignedIn,
    id: u64,
    title: String,
    f: Form,
) -> Result<HttpResponse> {
    let page = PageCtx::new(app, &s.state, "survey-builder-new", "surveys");
    let heading = if id == 0 { page.t("survey-builder-new") } else { title };
    let action =
        if id == 0 { "/surveys/new".to_owned() } else { format!("/surveys/{id}/settings") };
    let view = SettingsPage { page, heading, id, action, choices: choices(app, s).await?, f };
    forms::page(&view, &view.f)
}

async fn new_page(app: Data, s: SignedIn) -> Result<HttpResponse> {
    let actor = s.actor.clone();
    blocking(move || service::may_create(&actor)).await?;
    let f = Form::new("settings").set("anonymity", "anonymous").set("k", "5").set("everyone", "1");
    settings_view(&app, &s, 0, String::new(), f).await
}

async fn new_submit(app: Data, s: SignedIn, body: web::Bytes) -> Result<HttpResponse> {
    let f = Form::posted("settings", &body);
    let (a, actor) = (arc(&app), s.actor.clone());
    let made = match design_of_settings(&f, Vec::new()) {
        Ok(d) => blocking(move || service::create(&a, &actor, d)).await,
        Err(e) => Err(e),
    };
    match made {
        Ok(survey) => Ok(done(&format!("/surveys/{}/edit", survey.id), "done-survey-created")),
        Err(e) => {
            let f = f.refuse(&app.i18n, s.state.lang, e, &SETTINGS)?;
            settings_view(&app, &s, 0, String::new(), f).await
        }
    }
}

async fn settings_page(app: Data, s: SignedIn, path: web::Path<u64>) -> Result<HttpResponse> {
    let seen = load(&app, &s, path.into_inner()).await?;
    let title = seen.survey.title.get(s.state.lang).to_owned();
    settings_view(&app, &s, seen.survey.id, title, settings_form(&seen.survey)).await
}

async fn settings_submit(
    app: Data,
    s: SignedIn,
    path: web::Path<u64>,
    body: web::Bytes,
) -> Result<HttpResponse> {
    let seen = load(&app, &s, path.into_inner()).await?;
    let id = seen.survey.id;
    let f = Form::posted("settings", &body);
    let (a, actor) = (arc(&app), s.actor.clone());
    let saved = match design_of_settings(&f, seen.survey.sections.clone()) {
        Ok(d) => blocking(move || service::update(&a, &actor, id, d)).await,
        Err(e) => Err(e),
    };
    match saved {
        Ok(_) => Ok(done(&format!("/surveys/{id}/edit"), "done-survey-saved")),
        Err(e) => {
            let f = f.refuse(&app.i18n, s.state.lang, e, &SETTINGS)?;
            let title = seen.survey.title.get(s.state.lang).to_owned();
            settings_view(&app, &s, id, title, f).await
        }
    }
}

#[derive(Template)]
#[template(path = "surveys/edit.html")]
struct EditPage<'a> {
    page: PageCtx<'a>,
    id: u64,
    title: String,
    state: &'static str,
    frozen: bool,
    sections: Vec<ListedSection>,
    /// Keys of the questions a condition may look at, with their numbers.
    earlier: Vec<(String, String)>,
    kinds: [&'static str; 8],
    fq: Form,
    fsec: Form,
    fa: Form,
}

/// Which of the edit page's forms was sent (and refused).
enum Sent {
    None,
    Question(Form),
    Section(Form),
    Actions(Form),
}

async fn show_edit(app: &Data, s: &SignedIn, seen: Seen, sent: Sent) -> Result<HttpResponse> {
    let lang = s.state.lang;
    let survey = &seen.survey;
    let earlier = survey
        .questions()
        .filter(|q| {
            matches!(q.kind, Kind::Single { .. } | Kind::Multiple { .. } | Kind::Scale { .. })
        })
        .map(|q| (q.key.clone(), format!("{} — {}", q.key, q.text.get(lang))))
        .collect();
    let last = survey.sections.len().max(1).to_string();
    let mut view = EditPage {
        page: PageCtx::new(app, &s.state, "survey-builder-edit", "surveys"),
        id: survey.id,
        title: survey.title.get(lang).to_owned(),
        state: seen.state.name(),
        frozen: seen.frozen,
        sections: listed(survey, lang),
        earlier,
        kinds: KINDS,
        fq: Form::new("question").set("section", last).set("kind", "single").set("points", "5"),
        fsec: Form::new("section"),
        fa: Form::new("actions"),
    };
    match sent {
        Sent::None => {}
        Sent::Question(f) => view.fq = f,
        Sent::Section(f) => view.fsec = f,
        Sent::Actions(f) => view.fa = f,
    }
    let refused = [&view.fq, &view.fsec, &view.fa]
        .into_iter()
        .find(|f| f.is_refused())
        .cloned()
        .unwrap_or_else(|| Form::new("none"));
    forms::page(&view, &refused)
}

async fn load(app: &Data, s: &SignedIn, id: u64) -> Result<Seen> {
    let (a, actor) = (arc(app), s.actor.clone());
    blocking(move || service::for_edit(&a, &actor, id)).await
}

async fn edit_page(app: Data, s: SignedIn, path: web::Path<u64>) -> Result<HttpResponse> {
    let seen = load(&app, &s, path.into_inner()).await?;
    show_edit(&app, &s, seen, Sent::None).await
}

/// A form of the edit page as sent: the form, its fields, and how the page holds it.
struct Sending<'a> {
    f: Form,
    fields: &'a [Field],
    wrap: fn(Form) -> Sent,
}

/// Saves a changed design; on refusal the page comes back with the sent form refused.
async fn save(
    app: &Data,
    s: &SignedIn,
    seen: Seen,
    design: Result<Design>,
    sending: Sending<'_>,
    map: impl Fn(Error) -> Error,
) -> Result<HttpResponse> {
    let id = seen.survey.id;
    let (a, actor) = (arc(app), s.actor.clone());
    let saved = match design {
        Ok(d) => blocking(move || service::update(&a, &actor, id, d)).await,
        Err(e) => Err(e),
    };
    match saved {
        Ok(_) => Ok(done(&format!("/surveys/{id}/edit"), "done-survey-saved")),
        Err(e) => {
            let f = sending.f.refuse(&app.i18n, s.state.lang, map(e), sending.fields)?;
            show_edit(app, s, seen, (sending.wrap)(f)).await
        }
    }
}

async fn section_submit(
    app: Data,
    s: SignedIn,
    path: web::Path<u64>,
    body: web::Bytes,
) -> Result<HttpResponse> {
    let seen = load(&app, &s, path.into_inner()).await?;
    let f = Form::posted("section", &body);
    let mut design = service::design_of(&seen.survey);
    design.sections.push(Section { title: pair(&f, "section"), questions: Vec::new() });
    let sending = Sending { f, fields: &SECTION, wrap: Sent::Section };
    save(&app, &s, seen, Ok(design), sending, |e| e).await
}

async fn question_submit(
    app: Data,
    s: SignedIn,
    path: web::Path<u64>,
    body: web::Bytes,
) -> Result<HttpResponse> {
    let seen = load(&app, &s, path.into_inner()).await?;
    let f = Form::posted("question", &body);
    let key = next_key(&seen.survey);
    let mut design = service::design_of(&seen.survey);
    if design.sections.is_empty() {
        design.sections.push(Section { title: Text::default(), questions: Vec::new() });
    }
    let at = f.value("section").parse::<usize>().unwrap_or(1).clamp(1, design.sections.len());
    let design = question_of(&f, key.clone()).map(|q| {
        design.sections[at - 1].questions.push(q);
        design
    });
    let map = move |e: Error| on_question_input(e, &key);
    let sending = Sending { f, fields: &QUESTION, wrap: Sent::Question };
    save(&app, &s, seen, design, sending, map).await
}

async fn remove_submit(
    app: Data,
    s: SignedIn,
    path: web::Path<(u64, String)>,
) -> Result<HttpResponse> {
    let (id, key) = path.into_inner();
    let seen = load(&app, &s, id).await?;
    let mut design = service::design_of(&seen.survey);
    for sec in &mut design.sections {
        sec.questions.retain(|q| q.key != key);
    }
    // A question that another one's condition looks at stays: the refusal says which.
    let map = |mut e: Error| {
        e.field = None;
        e
    };
    let f = Form::new("actions");
    let sending = Sending { f, fields: &[], wrap: Sent::Actions };
    save(&app, &s, seen, Ok(design), sending, map).await
}

async fn publish_submit(app: Data, s: SignedIn, path: web::Path<u64>) -> Result<HttpResponse> {
    let id = path.into_inner();
    let seen = load(&app, &s, id).await?;
    let (a, actor) = (arc(&app), s.actor.clone());
    match blocking(move || service::open(&a, &actor, id)).await {
        Ok(_) => Ok(done("/surveys", "done-survey-opened")),
        Err(mut e) => {
            e.field = None;
            let f = Form::new("actions").refuse(&app.i18n, s.state.lang, e, &[])?;
            show_edit(&app, &s, seen, Sent::Actions(f)).await
        }
    }
}

async fn copy_submit(app: Data, s: SignedIn, path: web::Path<u64>) -> Result<HttpResponse> {
    let id = path.into_inner();
    let (a, actor) = (arc(&app), s.actor.clone());
    let copy = blocking(move || service::copy(&a, &actor, id)).await?;
    Ok(see_other(&format!("/surveys/{}/edit", copy.id)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_read_both_languages_or_one_text_for_both() {
        let l = lines("Иә | Да\n\n  Жоқ|Нет \nOK\n");
        assert_eq!(l.len(), 3);
        assert_eq!((l[0].kk.as_str(), l[0].ru.as_str()), ("Иә", "Да"));
        assert_eq!((l[1].kk.as_str(), l[1].ru.as_str()), ("Жоқ", "Нет"));
        assert_eq!((l[2].kk.as_str(), l[2].ru.as_str()), ("OK", "OK"));
    }

    /// I385 §7.8: every question type from the builder's form.
    #[test]
    fn the_question_form_describes_every_type() {
        let f = |pairs: &[(&str, &str)]| {
            Form::from_pairs(
                "question",
                pairs.iter().map(|(a, b)| (a.to_string(), b.to_string())).collect(),
            )
        };
        let q = question_of(
            &f(&[
                ("kind", "multiple"),
                ("text_ru", "Что?"),
                ("options", "a|а\nb|б\nc|в"),
                ("min", "1"),
                ("max", "2"),
                ("required", "1"),
                ("show_if", "q1"),
                ("show_values", "1, 2"),
            ]),
            "q2".into(),
        )
        .unwrap();
        assert_eq!(q.kind, Kind::Multiple { options: lines("a|а\nb|б\nc|в"), min: 1, max: 2 });
        assert!(q.required);
        assert_eq!(
            q.show_if,
            Some(Condition { question: "q1".into(), any_of: vec!["1".into(), "2".into()] })
        );
        let q = question_of(&f(&[("kind", "number"), ("min", "18"), ("max", "70,5")]), "q3".into())
            .unwrap();
        assert_eq!(q.kind, Kind::Number { min: Some(18.0), max: Some(70.5) });
        let q = question_of(
            &f(&[("kind", "matrix"), ("points", "10"), ("options", "A\nB"), ("low_ru", "плохо")]),
            "q4".into(),
        )
        .unwrap();
        assert!(
            matches!(q.kind, Kind::Matrix { max: 10, ref rows, ref low, .. } if rows.len() == 2 && low.ru == "плохо")
        );
        for kind in KINDS {
            assert_eq!(question_of(&f(&[("kind", kind)]), "q".into()).unwrap().kind.name(), kind);
        }
        let e = question_of(&f(&[("kind", "number"), ("min", "много")]), "q5".into()).unwrap_err();
        assert_eq!(e.field.as_deref(), Some("min"));
        assert!(question_of(&f(&[("kind", "essay")]), "q6".into()).is_err());
    }

    #[test]
    fn a_refusal_of_the_new_question_lands_on_the_input_it_is_about() {
        let e = |key| Error::invalid("q7", key);
        assert_eq!(
            on_question_input(e("survey-condition-later"), "q7").field.as_deref(),
            Some("show_if")
        );
        assert_eq!(
            on_question_input(e("survey-options-invalid"), "q7").field.as_deref(),
            Some("options")
        );
        assert_eq!(
            on_question_input(e("survey-scale-invalid"), "q7").field.as_deref(),
            Some("points")
        );
        // A refusal about another question is left where it is.
        assert_eq!(
            on_question_input(e("survey-options-invalid"), "q8").field.as_deref(),
            Some("q7")
        );
    }
}
