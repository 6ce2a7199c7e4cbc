//! `ipgo demo`: draft legal acts of the Ministry of Digital Development in the stages a
//! visitor should see (I385 §12–§25) — awaiting the head's signature, on approval with one
//! agency approved, at the Chancellery, in an absentee vote with one signed ballot cast,
//! and accepted after the vote. Every step goes through the drafts service as the person
//! whose step it is, signed with the demo keys (`ops::demo_pki`), so the timelines,
//! signatures, polls, notices and access log are the real ones.

use super::{service, vote};
use crate::actor::Actor;
use crate::app::App;
use crate::error::Result;
use crate::ops::demo::{acting_as, demo_file};
use crate::ops::demo_pki::DemoPki;
use crate::portal::documents::service::Meta;
use crate::portal::documents::signatures;
use crate::sign::signer::SigningIdentity;

/// How far a demo draft goes.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Reach {
    AwaitingSignature,
    OnApproval,
    AtChancellery,
    Voting,
    Accepted,
}

/// (reach, title ru, title kk, first point of the text)
const DRAFTS: &[(Reach, &str, &str, &str)] = &[
    (
        Reach::AwaitingSignature,
        "Об утверждении Типового регламента электронного документооборота местных исполнительных органов",
        "Жергілікті атқарушы органдардың электрондық құжат айналымының үлгілік регламентін бекіту туралы",
        "Утвердить прилагаемый Типовой регламент электронного документооборота местных исполнительных органов.",
    ),
    (
        Reach::OnApproval,
        "Об утверждении Правил оказания государственных услуг в электронной форме через ведомственные интранет-порталы",
        "Ведомстволық интранет-порталдар арқылы мемлекеттік көрсетілетін қызметтерді электрондық нысанда көрсету қағидаларын бекіту туралы",
        "Утвердить прилагаемые Правила оказания государственных услуг в электронной форме через ведомственные интранет-порталы.",
    ),
    (
        Reach::AtChancellery,
        "О внесении изменений в постановление Правительства Республики Казахстан от 20 декабря 2016 года № 832 «Об утверждении единых требований в области информационно-коммуникационных технологий и обеспечения информационной безопасности»",
        "«Ақпараттық-коммуникациялық технологиялар және ақпараттық қауіпсіздікті қамтамасыз ету саласындағы бірыңғай талаптарды бекіту туралы» Қазақстан Республикасы Үкіметінің 2016 жылғы 20 желтоқсандағы № 832 қаулысына өзгерістер енгізу туралы",
        "Внести в постановление Правительства Республики Казахстан от 20 декабря 2016 года № 832 изменения согласно приложению к настоящему постановлению.",
    ),
    (
        Reach::Voting,
        "Об утверждении Правил ведения реестра государственных информационных систем",
        "Мемлекеттік ақпараттық жүйелердің тізілімін жүргізу қағидаларын бекіту туралы",
        "Утвердить прилагаемые Правила ведения реестра государственных информационных систем.",
    ),
    (
        Reach::Accepted,
        "О мерах по развитию интранет-порталов государственных органов на 2026–2028 годы",
        "Мемлекеттік органдардың интранет-порталдарын дамыту жөніндегі 2026–2028 жылдарға арналған шаралар туралы",
        "Утвердить прилагаемый План мероприятий по развитию интранет-порталов государственных органов на 2026–2028 годы.",
    ),
];

/// The developer's staff, the approving agencies' heads, the heads called to vote.
const DEVELOPER: &str = "dev.employee";
const DEVELOPER_HEAD: &str = "dev.head";
const APPROVERS: &[(&str, &str)] = &[("MINFIN", "fin.head"), ("MNE", "econ.head")];
const OKDO: &str = "okdo.officer";
/// (head, choice) in the order they vote; the open vote has the first ballot only.
const BALLOTS: &[(&str, &str)] =
    &[("fin.head", "for"), ("econ.head", "for"), ("dev.head", "against")];

fn text(first: &str) -> String {
    format!(
        "Правительство Республики Казахстан ПОСТАНОВЛЯЕТ:\n\
         1. {first}\n\
         2. Министерству цифрового развития, инноваций и аэрокосмической промышленности \
         Республики Казахстан принять меры, вытекающие из настоящего постановления.\n\
         3. Настоящее постановление вводится в действие по истечении десяти календарных \
         дней после дня его первого официального опубликования.\n"
    )
}

/// Seeds the drafts; the heads get their demo signing keys here.
pub fn seed(app: &App, operator: &Actor, pki: &DemoPki) -> Result<()> {
    let mut keys: Vec<(&str, SigningIdentity)> = Vec::new();
    for login in [DEVELOPER_HEAD, APPROVERS[0].1, APPROVERS[1].1] {
        keys.push((login, pki.person(app, operator, login)?));
    }
    let key = |login: &str| keys.iter().find(|(l, _)| *l == login).map(|(_, k)| k);
    let sign = |login: &str, content: &[u8]| -> Result<Vec<u8>> {
        let k = key(login).ok_or_else(|| crate::error::Error::internal("demo key"))?;
        k.sign(content, false).map_err(|e| crate::error::Error::internal(format!("demo: {e}")))
    };
    let actor = |login: &str, what: &str| acting_as(app, operator, login, what);
    let sign_version = |login: &str, id: u64| -> Result<Vec<u8>> {
        let as_head = actor(login, "demo draft")?;
        let d = service::load(app, id)?;
        let manifest = signatures::manifest(app, &as_head, d.document_id, d.version)?;
        sign(login, &manifest)
    };
    for (reach, ru, kk, first) in DRAFTS {
        let dev = actor(DEVELOPER, "demo draft")?;
        let ticket = service::prepare(app, &dev)?;
        let body = text(first);
        let file = demo_file(app, &ticket, "Проект постановления.txt", body.as_bytes())?;
        let meta = Meta {
            title: (*ru).into(),
            title_ru: (*ru).into(),
            title_kk: (*kk).into(),
            text: body.clone(),
            approving: APPROVERS.iter().map(|(code, _)| (*code).into()).collect(),
            ..Default::default()
        };
        let id = service::create(app, &dev, ticket, meta, vec![file])?;
        if *reach >= Reach::OnApproval {
            let head = actor(DEVELOPER_HEAD, "demo draft")?;
            service::developer_sign(app, &head, id, &sign_version(DEVELOPER_HEAD, id)?)?;
            // On approval: the Ministry of Finance has approved, the Ministry of National
            // Economy has registered the letter and not decided yet.
            for (n, (code, head)) in APPROVERS.iter().enumerate() {
                let a = actor(head, "demo draft")?;
                service::register_letter(
                    app,
                    &a,
                    id,
                    &format!("{code}-04-{}/{}", 1100 + id, n + 1),
                )?;
                if *reach >= Reach::AtChancellery || n == 0 {
                    service::approve(app, &a, id, &sign_version(head, id)?)?;
                }
            }
        }
        if *reach >= Reach::Voting {
            let okdo = actor(OKDO, "demo draft")?;
            service::chancellery_check(app, &okdo, id, true, "")?;
            let heads: Vec<String> = BALLOTS.iter().map(|(h, _)| (*h).into()).collect();
            vote::open_vote(app, &okdo, id, &heads)?;
            let cast = if *reach == Reach::Voting { 1 } else { BALLOTS.len() };
            for (head, choice) in &BALLOTS[..cast] {
                let h = actor(head, "demo ballot")?;
                let ballot = vote::ballot(app, &h, id, choice)?;
                vote::vote(app, &h, id, choice, &sign(head, &ballot)?)?;
            }
            if *reach == Reach::Accepted {
                service::finish(app, &okdo, id, true, "")?;
            }
        }
    }
    Ok(())
}
