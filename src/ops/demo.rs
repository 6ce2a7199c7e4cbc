//! `ipgo demo`: a data directory with demonstration state bodies, departments, one account
//! per role and a working group, made through the same services (and access log) as real
//! administration. Prints the logins with their one-time passwords.

use std::io::Write;

use crate::actor::Actor;
use crate::app::App;
use crate::auth::policy::duties;
use crate::auth::roles::Role;
use crate::error::Result;
use crate::portal::directory::model::NewUser;
use crate::portal::directory::service::{self as directory, NewAgency};

/// (code, name_ru, name_kk, name_en)
const AGENCIES: &[(&str, &str, &str, &str)] = &[
    (
        "MCRIAP",
        "Министерство цифрового развития, инноваций и аэрокосмической промышленности Республики Казахстан",
        "Қазақстан Республикасының Цифрлық даму, инновациялар және аэроғарыш өнеркәсібі министрлігі",
        "Ministry of Digital Development, Innovation and Aerospace Industry",
    ),
    (
        "MINFIN",
        "Министерство финансов Республики Казахстан",
        "Қазақстан Республикасының Қаржы министрлігі",
        "Ministry of Finance",
    ),
    (
        "MNE",
        "Министерство национальной экономики Республики Казахстан",
        "Қазақстан Республикасының Ұлттық экономика министрлігі",
        "Ministry of National Economy",
    ),
    (
        "KPM",
        "Канцелярия Премьер-Министра Республики Казахстан",
        "Қазақстан Республикасы Премьер-Министрінің Кеңсесі",
        "Office of the Prime Minister",
    ),
    (
        "ADGS",
        "Агентство Республики Казахстан по делам государственной службы",
        "Қазақстан Республикасының Мемлекеттік қызмет істері агенттігі",
        "Civil Service Affairs Agency",
    ),
    (
        "AKIMAT-KRG",
        "Аппарат акима Карагандинской области",
        "Қарағанды облысы әкімінің аппараты",
        "Office of the Akim of Karaganda Region",
    ),
];

/// (agency, name_ru, name_kk)
const DEPARTMENTS: &[(&str, &str, &str)] = &[
    ("MCRIAP", "Юридический департамент", "Заң департаменті"),
    ("MCRIAP", "Департамент цифровизации", "Цифрландыру департаменті"),
    ("MINFIN", "Юридический департамент", "Заң департаменті"),
    ("MNE", "Департамент законодательства", "Заңнама департаменті"),
    (
        "KPM",
        "Отдел контроля и документационного обеспечения",
        "Бақылау және құжаттамалық қамтамасыз ету бөлімі",
    ),
    ("ADGS", "Департамент персонала", "Персонал департаменті"),
    ("AKIMAT-KRG", "Отдел информационных технологий", "Ақпараттық технологиялар бөлімі"),
    ("AKIMAT-KRG", "Отдел кадров", "Кадр бөлімі"),
];

/// (login, agency, department index in DEPARTMENTS, role, name_ru, name_kk, position_ru, position_kk)
type Person = (
    &'static str,
    &'static str,
    usize,
    Role,
    &'static str,
    &'static str,
    &'static str,
    &'static str,
);

const PEOPLE: &[Person] = &[
    (
        "dev.head",
        "MCRIAP",
        0,
        Role::Head,
        "Асқаров Ерлан Серікович",
        "Асқаров Ерлан Серікұлы",
        "Вице-министр",
        "Вице-министр",
    ),
    (
        "dev.employee",
        "MCRIAP",
        1,
        Role::Employee,
        "Нурланова Алия Маратовна",
        "Нұрланова Әлия Маратқызы",
        "Главный эксперт",
        "Бас сарапшы",
    ),
    (
        "fin.head",
        "MINFIN",
        2,
        Role::Head,
        "Жумабаев Данияр Болатович",
        "Жұмабаев Данияр Болатұлы",
        "Вице-министр",
        "Вице-министр",
    ),
    (
        "econ.head",
        "MNE",
        3,
        Role::Head,
        "Смагулова Гульнар Ержановна",
        "Смағұлова Гүлнар Ержанқызы",
        "Вице-министр",
        "Вице-министр",
    ),
    (
        "okdo.officer",
        "KPM",
        4,
        Role::OkdoOfficer,
        "Тлеубеков Арман Нурланович",
        "Тілеубеков Арман Нұрланұлы",
        "Главный эксперт ОКДО",
        "ҚБҚБ бас сарапшысы",
    ),
    (
        "cs.verifier",
        "ADGS",
        5,
        Role::CivilServiceVerifier,
        "Ибраева Сауле Кайратовна",
        "Ибраева Сәуле Қайратқызы",
        "Эксперт",
        "Сарапшы",
    ),
    (
        "hr.officer",
        "AKIMAT-KRG",
        7,
        Role::HrOfficer,
        "Ахметова Динара Серикбаевна",
        "Ахметова Динара Серікбайқызы",
        "Руководитель отдела кадров",
        "Кадр бөлімінің басшысы",
    ),
    (
        "plan.responsible",
        "AKIMAT-KRG",
        6,
        Role::PlanResponsible,
        "Ким Олег Викторович",
        "Ким Олег Викторұлы",
        "Главный специалист",
        "Бас маман",
    ),
    (
        "controller",
        "AKIMAT-KRG",
        6,
        Role::Controller,
        "Байжанов Марат Асканович",
        "Байжанов Марат Асқанұлы",
        "Контролёр",
        "Бақылаушы",
    ),
    (
        "survey.author",
        "ADGS",
        5,
        Role::SurveyAuthor,
        "Жумабекова Динара Кайратовна",
        "Жұмабекова Динара Қайратқызы",
        "Главный эксперт по социологическим исследованиям",
        "Әлеуметтанулық зерттеулер жөніндегі бас сарапшы",
    ),
    (
        "support",
        "AKIMAT-KRG",
        6,
        Role::SupportAdmin,
        "Оспанов Нурлан Ермекович",
        "Оспанов Нұрлан Ермекұлы",
        "Специалист службы поддержки",
        "Қолдау қызметінің маманы",
    ),
    (
        "admin",
        "AKIMAT-KRG",
        6,
        Role::SystemAdmin,
        "Сейткали Айдос Бекович",
        "Сейітқали Айдос Бекұлы",
        "Администратор портала",
        "Портал әкімшісі",
    ),
    (
        "auditor",
        "AKIMAT-KRG",
        6,
        Role::Auditor,
        "Мусина Жанар Толеухановна",
        "Мусина Жанар Төлеуханқызы",
        "Аудитор информационной безопасности",
        "Ақпараттық қауіпсіздік аудиторы",
    ),
];

/// The demo account `login` as an actor, for a feature's demo that takes each step as the
/// person who would take it.
pub fn as_user(app: &App, operator: &Actor, login: &str) -> Result<Actor> {
    let user = directory::user_by_login(app, operator, login)?;
    let identity = directory::identity(app, user.id, false)?
        .ok_or_else(|| crate::error::Error::internal("demo identity"))?;
    Ok(Actor {
        who: crate::actor::Who::User(identity),
        origin: crate::actor::Origin::system("demo"),
    })
}

/// Whether the directory is still empty (a fresh demo directory).
pub fn is_empty(app: &App, actor: &Actor) -> Result<bool> {
    Ok(directory::agencies(app, actor)?.is_empty())
}

/// Creates the demo directory and prints the logins. Returns `(login, password)` pairs.
pub fn seed(app: &App, actor: &Actor, out: &mut dyn Write) -> Result<Vec<(String, String)>> {
    let mut agency_ids = Vec::new();
    for (code, ru, kk, en) in AGENCIES {
        let agency = directory::create_agency(
            app,
            actor,
            NewAgency {
                code: (*code).into(),
                name_ru: (*ru).into(),
                name_kk: (*kk).into(),
                name_en: (*en).into(),
                // The ministries and agencies of the Republic sit in Astana; the akim's
                // office is the region's local executive body (grouping of §28 reports).
                region: if code.starts_with("AKIMAT-KRG") { "karaganda" } else { "astana" }.into(),
                kind: if code.starts_with("AKIMAT") { "local" } else { "central" }.into(),
            },
        )?;
        agency_ids.push((code.to_string(), agency.id));
    }
    let mut dept_ids = Vec::new();
    for (code, ru, kk) in DEPARTMENTS {
        let agency_id = agency_ids.iter().find(|(c, _)| c == code).map(|(_, id)| *id).unwrap_or(0);
        dept_ids.push(directory::create_department(app, actor, agency_id, kk, ru)?.id);
    }
    let mut logins = Vec::new();
    writeln!(
        out,
        "Demo accounts (one-time passwords; each must be changed at the first sign-in):"
    )?;
    writeln!(out, "  {:<18} {:<24} {:<12} password", "login", "role", "agency")?;
    for (login, agency, dept, role, name_ru, name_kk, pos_ru, pos_kk) in PEOPLE {
        // Participants also work as employees; the administrators and the auditor hold
        // their one role only (separation of duties, `auth/policy/duties.rs`).
        let mut roles = vec![*role];
        if !duties::stands_alone(*role) && *role != Role::Employee {
            roles.push(Role::Employee);
        }
        let created = directory::create_user(
            app,
            actor,
            NewUser {
                login: (*login).into(),
                agency: (*agency).into(),
                department_id: Some(dept_ids[*dept]),
                name_ru: (*name_ru).into(),
                name_kk: (*name_kk).into(),
                position_ru: (*pos_ru).into(),
                position_kk: (*pos_kk).into(),
                email: format!("{login}@demo.ipgo.local"),
                phone: "+7 7212 00-00-00".into(),
                roles,
                lang: Some(if login.starts_with("dev") { "kk".into() } else { "ru".into() }),
                ..Default::default()
            },
        )?;
        let password = created.one_time_password.unwrap_or_default();
        writeln!(out, "  {:<18} {:<24} {:<12} {}", login, role.name(), agency, password)?;
        logins.push((login.to_string(), password));
    }
    let pki = super::demo_pki::DemoPki::install(app, actor)?;
    crate::portal::drafts::demo::seed(app, actor, &pki)?;
    // The OKDO officer signs too (minutes, the Chancellery's documents): a key of their own.
    pki.person(app, actor, "okdo.officer")?;
    crate::portal::discussions::demo::seed(app, actor)?;
    crate::portal::meetings::demo::seed(app, actor, &pki)?;
    writeln!(
        out,
        "Heads sign with the demo keys in {} (password \"{}\"); how: {}",
        app.config.data_dir().join("demo-signing").display(),
        super::demo_pki::P12_PASSWORD,
        super::demo_pki::HOWTO_FILE
    )?;
    Ok(logins)
}

/// The demo account `login` acting through the services as it would over the web, so the
/// demo's workflows are checked and logged like anyone's (`what` names the step in the
/// access log's origin).
pub fn acting_as(app: &App, operator: &Actor, login: &str, what: &str) -> Result<Actor> {
    let user = directory::user_by_login(app, operator, login)?;
    let identity = directory::identity(app, user.id, false)?
        .ok_or_else(|| crate::error::Error::internal(format!("demo: {login} is not active")))?;
    Ok(Actor {
        who: crate::actor::Who::User(identity),
        origin: crate::actor::Origin::new(
            crate::actor::Channel::Admin,
            "local".into(),
            "ADMIN",
            "demo".into(),
            what.into(),
        ),
    })
}

/// Stores `bytes` as an uploaded file under the document key of `ticket` (as the upload
/// receiver does), ready to be posted with a demo document.
pub fn demo_file(
    app: &App,
    ticket: &crate::portal::documents::service::Ticket,
    name: &str,
    bytes: &[u8],
) -> Result<crate::portal::documents::upload::AcceptedFile> {
    let mut writer = app.blobs.writer(ticket.key())?;
    writer.write_all(bytes)?;
    let pending = writer.finish()?;
    crate::portal::documents::upload::accept(app, ticket.key(), name.to_owned(), pending)
}

/// Checks the demo's inputs before anything is created.
pub fn prepare(
    config: &crate::config::Config,
    corpus: Option<&std::path::Path>,
) -> anyhow::Result<()> {
    if let Some(dir) = corpus
        && !dir.is_dir()
    {
        anyhow::bail!("corpus directory {} does not exist", dir.display());
    }
    std::fs::create_dir_all(config.data_dir())?;
    Ok(())
}

/// Seeds a fresh demo directory (printing the accounts and keeping them in
/// `demo-accounts.txt`, mode 0600), or says how to sign in to an existing one.
pub fn seed_if_empty(app: &App, corpus: Option<&std::path::Path>) -> anyhow::Result<()> {
    let actor = crate::ops::admin_socket::operator_actor(
        &crate::ops::commands::Command::AgencyList,
        &crate::ops::os_user::current(),
    );
    let actor = Actor {
        origin: crate::actor::Origin::new(
            crate::actor::Channel::Admin,
            "local".into(),
            "ADMIN",
            "demo".into(),
            "demo".into(),
        ),
        ..actor
    };
    let stdout = &mut std::io::stdout();
    if is_empty(app, &actor).map_err(|e| anyhow::anyhow!("{e}"))? {
        let mut text = Vec::new();
        seed(app, &actor, &mut text).map_err(|e| anyhow::anyhow!("demo data: {e}"))?;
        crate::portal::plans::demo::seed(app, &actor, &mut text)
            .map_err(|e| anyhow::anyhow!("demo action plans: {e}"))?;
        crate::portal::headcount::demo::seed(app, &actor, &mut text)
            .map_err(|e| anyhow::anyhow!("demo headcount: {e}"))?;
        crate::portal::reminders::demo::seed(app, &actor, &mut text)
            .map_err(|e| anyhow::anyhow!("demo reminders: {e}"))?;
        crate::portal::helpdesk::demo::seed(app, &actor)
            .map_err(|e| anyhow::anyhow!("demo helpdesk: {e}"))?;
        crate::portal::proposals::demo::seed(app, &actor)
            .map_err(|e| anyhow::anyhow!("demo proposals: {e}"))?;
        crate::portal::account_requests::demo::seed(app, &actor)
            .map_err(|e| anyhow::anyhow!("demo account requests: {e}"))?;
        crate::portal::trainings::demo::seed(app, &actor)
            .map_err(|e| anyhow::anyhow!("demo training: {e}"))?;
        let started = std::time::Instant::now();
        let entries = crate::portal::usage::demo::seed(app, &actor)
            .map_err(|e| anyhow::anyhow!("demo usage history: {e}"))?;
        tracing::info!(
            entries,
            ms = started.elapsed().as_millis() as u64,
            "demo history of use generated"
        );
        // After the history of use: the surveys' generated respondents cannot sign in, so
        // they have no history.
        let started = std::time::Instant::now();
        crate::portal::surveys::demo::seed(app, &actor)
            .map_err(|e| anyhow::anyhow!("demo surveys: {e}"))?;
        tracing::info!(ms = started.elapsed().as_millis() as u64, "demo surveys answered");
        stdout.write_all(&text)?;
        let file = app.config.data_dir().join("demo-accounts.txt");
        crate::keys::write_private(&file, &text)?;
        println!("(also written to {})", file.display());
        // After every feature's seed: the how-to names every key file the demo wrote.
        let howto = super::demo_pki::write_howto(app)
            .map_err(|e| anyhow::anyhow!("demo signing how-to: {e}"))?;
        println!(
            "\n{howto}(also written to {})",
            app.config.data_dir().join(super::demo_pki::HOWTO_FILE).display()
        );
    } else {
        println!(
            "Using the existing demo data in {}; the accounts are listed in demo-accounts.txt there \
             (reset a password with `ipgo user reset-password --data {} --login LOGIN`).",
            app.config.data_dir().display(),
            app.config.data_dir().display()
        );
    }
    if let Some(dir) = corpus {
        crate::ops::corpus::load(app, &actor, dir)?;
    }
    Ok(())
}
