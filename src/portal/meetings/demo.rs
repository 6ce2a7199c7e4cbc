//! `ipgo demo`: Government meetings a visitor should see (I385 §38–§47) — one held at the
//! time of seeding, with its signed agenda, attendance, a vote on its resolution and signed
//! minutes; one in five days with its agenda published and attendance answered in part (a
//! member absent, with a substitute) and, on its first question, a draft act at the stage
//! "for the Government's decision" (§21) as a material. Every step goes through the services as the person
//! whose step it is, signed with the demo keys (`ops::demo_pki`), so notices, polls and the
//! access log are the real ones.

use super::attendance::{self, AnswerInput};
use super::service::{self, NewAgenda, NewMeeting, NewQuestion};
use super::{minutes, votes};
use crate::actor::Actor;
use crate::app::App;
use crate::error::{Error, Result};
use crate::ops::demo::{acting_as, demo_file};
use crate::ops::demo_pki::DemoPki;
use crate::sign::signer::SigningIdentity;

const OKDO: &str = "okdo.officer";
const MEMBERS: &[&str] = &["dev.head", "fin.head", "econ.head"];
const SUBSTITUTE: &str = "dev.employee";

/// How long before its start the held meeting is created: its agenda and answers must come
/// before the start, its vote and minutes after, and seeding must not wait long.
const HELD_LEAD_SECONDS: i64 = 2;

fn failed(e: impl std::fmt::Display) -> Error {
    Error::internal(format!("demo meetings: {e}"))
}

fn key(app: &App, operator: &Actor, pki: &DemoPki, login: &str) -> Result<SigningIdentity> {
    // The heads' keys were issued with the drafts; the officer's is issued here once.
    DemoPki::key_of(app, login).or_else(|_| pki.person(app, operator, login))
}

fn sign(k: &SigningIdentity, content: &[u8]) -> Result<Vec<u8>> {
    k.sign(content, false).map_err(failed)
}

fn question(title: &str) -> NewQuestion {
    NewQuestion { title: title.into(), draft: None, materials: Vec::new() }
}

/// The draft act the upcoming meeting decides on (§21): written by the Ministry of Digital
/// Development, signed by its head, approved by the two approving agencies and accepted by
/// the Chancellery for the Government's decision — each step through the drafts service as
/// the person whose step it is. Returns the draft's id.
fn draft_for_decision(app: &App, operator: &Actor) -> Result<u64> {
    use crate::portal::documents::service::Meta;
    use crate::portal::documents::signatures;
    use crate::portal::drafts::{service as drafts, view as draft_view};
    const TITLE_RU: &str = "Об утверждении Концепции развития интранет-порталов государственных органов на 2027–2029 годы";
    const TITLE_KK: &str = "Мемлекеттік органдардың интранет-порталдарын дамытудың 2027–2029 жылдарға арналған тұжырымдамасын бекіту туралы";
    let text = "Правительство Республики Казахстан ПОСТАНОВЛЯЕТ:\n\
                1. Утвердить прилагаемую Концепцию развития интранет-порталов государственных \
                органов на 2027–2029 годы.\n\
                2. Настоящее постановление вводится в действие со дня его подписания.\n";
    let as_ = |login: &str| acting_as(app, operator, login, "demo meeting draft");
    // Signs the draft's current version as `login` (the manifest of its document).
    let signed = |login: &str, id: u64| -> Result<Vec<u8>> {
        let who = as_(login)?;
        let d = draft_view::view(app, &who, id, "ru")?;
        let manifest = signatures::manifest(app, &who, d.document_id, d.version)?;
        sign(&DemoPki::key_of(app, login)?, &manifest)
    };
    let dev = as_(SUBSTITUTE)?;
    let ticket = drafts::prepare(app, &dev)?;
    let file = demo_file(app, &ticket, "Проект постановления.txt", text.as_bytes())?;
    let meta = Meta {
        title: TITLE_RU.into(),
        title_ru: TITLE_RU.into(),
        title_kk: TITLE_KK.into(),
        text: text.into(),
        approving: vec!["MINFIN".into(), "MNE".into()],
        ..Default::default()
    };
    let id = drafts::create(app, &dev, ticket, meta, vec![file])?;
    drafts::developer_sign(app, &as_("dev.head")?, id, &signed("dev.head", id)?)?;
    for (n, (code, head)) in [("MINFIN", "fin.head"), ("MNE", "econ.head")].iter().enumerate() {
        let h = as_(head)?;
        drafts::register_letter(app, &h, id, &format!("{code}-04-{}/{}", 2100 + id, n + 1))?;
        drafts::approve(app, &h, id, &signed(head, id)?)?;
    }
    drafts::chancellery_check(app, &as_(OKDO)?, id, true, "")?;
    Ok(id)
}

/// Creates a meeting, composes and signs its agenda as the officer; returns its id.
fn prepared(
    app: &App,
    okdo: &Actor,
    okdo_key: &SigningIdentity,
    title: &str,
    starts_at: String,
    questions: Vec<NewQuestion>,
) -> Result<u64> {
    let id = service::create(
        app,
        okdo,
        NewMeeting {
            title: title.into(),
            starts_at,
            place: "Дом Правительства, зал заседаний № 1".into(),
            members: MEMBERS.iter().map(|m| (*m).into()).collect(),
            invited: Vec::new(),
            majority: "simple".into(),
            quorum_percent: Some(50),
        },
    )?;
    let agenda = NewAgenda { questions, changes: String::new() };
    service::compose(app, okdo, id, agenda)?;
    let manifest = service::manifest(app, okdo, id)?;
    service::sign(app, okdo, id, &sign(okdo_key, &manifest)?)?;
    Ok(id)
}

fn answer(app: &App, operator: &Actor, id: u64, login: &str, input: AnswerInput) -> Result<()> {
    let member = acting_as(app, operator, login, "demo meeting")?;
    let text = attendance::text(app, &member, id, &input)?;
    let k = DemoPki::key_of(app, login)?;
    attendance::answer(app, &member, id, &input, &sign(&k, &text)?)
}

fn attend() -> AnswerInput {
    AnswerInput { answer: "attend".into(), ..Default::default() }
}

pub fn seed(app: &App, operator: &Actor, pki: &DemoPki) -> Result<()> {
    let okdo = acting_as(app, operator, OKDO, "demo meeting")?;
    let okdo_key = key(app, operator, pki, OKDO)?;
    let now = crate::clock::now();

    // Held: starts a moment after seeding begins, so its answers come before the start and
    // its vote and minutes after it.
    let starts = now + jiff::SignedDuration::from_secs(HELD_LEAD_SECONDS);
    let held = prepared(
        app,
        &okdo,
        &okdo_key,
        "Заседание Правительства Республики Казахстан по цифровизации",
        crate::clock::utc_string(starts),
        vec![
            question("О ходе перевода государственных услуг в проактивный формат"),
            question("О плане мероприятий по развитию интранет-порталов государственных органов"),
        ],
    )?;
    for login in MEMBERS {
        // An answer that came too late on a slow machine is simply not there.
        let _ = answer(app, operator, held, login, attend());
    }
    let wait = starts.duration_since(crate::clock::now());
    if wait.is_positive() {
        std::thread::sleep(wait.unsigned_abs() + std::time::Duration::from_millis(50));
    }
    votes::open(
        app,
        &okdo,
        held,
        1,
        "Информацию принять к сведению; министерствам обеспечить перевод 90 процентов услуг в проактивный формат до конца года.",
        60,
    )?;
    for (login, choice) in [("dev.head", "for"), ("fin.head", "for"), ("econ.head", "against")] {
        let member = acting_as(app, operator, login, "demo ballot")?;
        let ballot = votes::ballot(app, &member, held, 1, choice)?;
        let k = DemoPki::key_of(app, login)?;
        votes::vote(app, &member, held, 1, choice, &sign(&k, &ballot)?)?;
    }
    votes::close(app, &okdo, held, 1)?;
    let text = minutes::generate(app, &okdo, held, "ru")?;
    let doc = minutes::post(app, &okdo, held, &text)?;
    let manifest = crate::portal::documents::signatures::manifest(app, &okdo, doc, 1)?;
    minutes::sign(app, &okdo, held, &sign(&okdo_key, &manifest)?)?;

    // Upcoming: in five days at 10:00 Astana time; one member attends, one sends a
    // substitute, one has not answered.
    let day =
        (now + jiff::SignedDuration::from_hours(24 * 5)).to_zoned(crate::clock::astana()).date();
    let concept =
        "О проекте Концепции развития интранет-порталов государственных органов на 2027–2029 годы";
    let draft = draft_for_decision(app, operator)?;
    let upcoming = prepared(
        app,
        &okdo,
        &okdo_key,
        "Заседание Правительства Республики Казахстан",
        format!("{day}T10:00"),
        vec![
            NewQuestion { draft: Some(draft), ..question(concept) },
            question("Об исполнении республиканского бюджета за девять месяцев"),
            question("Разное"),
        ],
    )?;
    answer(app, operator, upcoming, "dev.head", attend())?;
    let absent = AnswerInput {
        answer: "absent".into(),
        reason: "Служебная командировка в г. Алматы".into(),
        substitute: SUBSTITUTE.into(),
    };
    answer(app, operator, upcoming, "fin.head", absent)?;
    Ok(())
}
