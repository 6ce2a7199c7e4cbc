//! Demo reminders: a batch from each source — the Chancellery's as JSON, the Presidential
//! Administration's as CSV in Windows-1251, as the e-document system exports them — with
//! instructions overdue, due today, in two days and later, refreshed; then a second batch
//! in which one is executed (it drops out) and one prolonged, refreshed again. The
//! controller of the Karaganda regional akimat (`controller`) sees them.

use std::io::Write;

use jiff::ToSpan;
use jiff::civil::Date;
use serde_json::json;

use super::import::{self, Submission};
use super::model::Source;
use super::refresh;
use crate::actor::Actor;
use crate::app::App;
use crate::error::Result;

fn day(today: Date, n: i32) -> String {
    today.checked_add(n.days()).unwrap_or(today).to_string()
}

/// (id, number, outgoing days ago, summary, agency, person, type, department, deadline in days)
type Row = (
    &'static str,
    &'static str,
    i32,
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    i32,
);

const CHANCELLERY: &[Row] = &[
    (
        "KPM-2026-0412",
        "17-01/4127",
        30,
        "О ходе реализации Плана мероприятий по развитию цифровой инфраструктуры региона: представить информацию в Канцелярию Премьер-Министра",
        "AKIMAT-KRG",
        "Ким О.В.",
        "Поручение Премьер-Министра",
        "Отдел контроля и документооборота",
        -2,
    ),
    (
        "KPM-2026-0419",
        "17-01/4190",
        14,
        "Өңірдегі жылу беру маусымына дайындық туралы ақпарат ұсыну",
        "AKIMAT-KRG",
        "Байжанов М.А.",
        "Протокольное поручение",
        "Отдел ЖКХ",
        0,
    ),
    (
        "KPM-2026-0423",
        "17-02/4233",
        10,
        "О мерах по снижению задолженности по заработной плате на предприятиях области",
        "AKIMAT-KRG",
        "",
        "Поручение Премьер-Министра",
        "Управление координации занятости",
        2,
    ),
    (
        "KPM-2026-0431",
        "17-02/4310",
        5,
        "Представить предложения по оптимизации государственных услуг в проактивном формате",
        "AKIMAT-KRG",
        "Ким О.В.",
        "Поручение Заместителя Премьер-Министра",
        "Отдел цифровизации",
        12,
    ),
    (
        "KPM-2026-0437",
        "17-03/4377",
        3,
        "Бюджеттік бағдарламалардың орындалуы туралы есеп",
        "MINFIN",
        "",
        "Поручение Премьер-Министра",
        "Департамент бюджетного планирования",
        9,
    ),
];

const PRESIDENTIAL: &[Row] = &[
    (
        "AP-26-1180",
        "01-21/1180",
        20,
        "О реализации Послания Главы государства народу Казахстана: информация о ходе исполнения",
        "AKIMAT-KRG",
        "Байжанов М.А.",
        "Поручение Главы государства",
        "Отдел контроля и документооборота",
        1,
    ),
    (
        "AP-26-1207",
        "01-21/1207",
        8,
        "О подготовке к отопительному сезону: доклад в Администрацию Президента",
        "AKIMAT-KRG",
        "",
        "Поручение Руководителя Администрации",
        "Отдел ЖКХ",
        20,
    ),
    (
        "AP-26-1215",
        "01-22/1215",
        4,
        "О мерах поддержки малого и среднего бизнеса в моногородах",
        "AKIMAT-KRG",
        "",
        "Поручение Руководителя Администрации",
        "Управление предпринимательства",
        6,
    ),
];

fn json_batch(today: Date, rows: &[Row]) -> serde_json::Value {
    let items: Vec<_> = rows
        .iter()
        .map(|r| {
            json!({"record_id": r.0, "outgoing_number": r.1, "outgoing_date": day(today, -r.2),
                "summary": r.3, "executor_agency": r.4, "executor_person": r.5,
                "document_type": r.6, "department": r.7, "deadline": day(today, r.8),
                "status": "on_control"})
        })
        .collect();
    json!({"source": "chancellery", "instructions": items})
}

fn dotted(d: &str) -> String {
    let d: Date = d.parse().unwrap_or_default();
    d.strftime("%d.%m.%Y").to_string()
}

/// CSV as the e-document system's export writes it: `;`, dates `dd.mm.yyyy`, Windows-1251.
fn csv_batch(today: Date, rows: &[Row], statuses: &[(&str, &str, Option<i32>)]) -> Vec<u8> {
    let mut out = String::from(
        "record_id;outgoing_number;outgoing_date;summary;executor_agency;executor_person;document_type;department;deadline;status;new_deadline\r\n",
    );
    for r in rows {
        let (status, new_deadline) = statuses
            .iter()
            .find(|(id, _, _)| *id == r.0)
            .map(|(_, s, n)| (*s, n.map(|n| dotted(&day(today, n))).unwrap_or_default()))
            .unwrap_or(("на контроле", String::new()));
        out.push_str(&format!(
            "{};{};{};\"{}\";{};{};{};{};{};{};{}\r\n",
            r.0,
            r.1,
            dotted(&day(today, -r.2)),
            r.3,
            r.4,
            r.5,
            r.6,
            r.7,
            dotted(&day(today, r.8)),
            status,
            new_deadline
        ));
    }
    encoding_rs::WINDOWS_1251.encode(&out).0.into_owned()
}

fn submit(app: &App, actor: &Actor, source: Source, bytes: &[u8], file: &str) -> Result<()> {
    let submission = Submission {
        source: Some(source),
        bytes,
        size: bytes.len() as u64,
        channel: "cli",
        file: file.into(),
    };
    import::import(app, actor, submission).map(|_| ())
}

pub fn seed(app: &App, operator: &Actor, out: &mut Vec<u8>) -> Result<()> {
    let today = crate::calendar::today();
    let first = serde_json::to_vec(&json_batch(today, CHANCELLERY))?;
    submit(app, operator, Source::Chancellery, &first, "chancellery-morning.json")?;
    let pa = csv_batch(today, PRESIDENTIAL, &[]);
    submit(app, operator, Source::PresidentialAdministration, &pa, "ap-export.csv")?;
    for s in Source::ALL {
        refresh::refresh_now(app, operator, *s)?;
    }
    // The evening batch: one executed (drops out), one prolonged by ten days.
    let mut second = json_batch(today, CHANCELLERY);
    if let Some(items) = second["instructions"].as_array_mut() {
        items[0]["status"] = json!("executed");
        items[3]["status"] = json!("prolonged");
        items[3]["new_deadline"] = json!(day(today, 22));
    }
    submit(
        app,
        operator,
        Source::Chancellery,
        &serde_json::to_vec(&second)?,
        "chancellery-evening.json",
    )?;
    let pa = csv_batch(today, PRESIDENTIAL, &[("AP-26-1207", "продлен", Some(35))]);
    submit(app, operator, Source::PresidentialAdministration, &pa, "ap-export-2.csv")?;
    for s in Source::ALL {
        refresh::refresh_now(app, operator, *s)?;
    }
    writeln!(
        out,
        "\nReminders of control instructions: {} from the Chancellery, {} from the Presidential Administration (one executed, two prolonged); sign in as `controller` and open /reminders.",
        CHANCELLERY.len(),
        PRESIDENTIAL.len()
    )?;
    Ok(())
}
