//! The support dashboard (I617 §14–§16, §24): the queue by status, the backlog by age with
//! what is overdue or due soon, and the targets met per period — as data for the API, and
//! as report tables and charts (`report`) for the page and the XLSX export.

use jiff::civil::Date;
use serde::{Deserialize, Serialize};

use super::model::Status;
use super::sla::ClockState;
use super::store;
use super::views::clocks;
use crate::actor::Actor;
use crate::app::App;
use crate::auth::policy::{Action, HelpdeskAction, Object, require};
use crate::error::{Error, Result};
use crate::i18n::I18n;
use crate::report::chart::{self, Bar, Bars, Series, Trend};
use crate::report::{Cell, Column, Kind, Table};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum Period {
    #[default]
    Month,
    Week,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct DashboardQuery {
    /// First and last day (`YYYY-MM-DD`, Astana); by default the last six months.
    pub from: String,
    pub to: String,
    pub period: Period,
}

#[derive(Debug, Clone, Serialize)]
pub struct StatusCount {
    pub status: Status,
    pub count: u64,
}

/// Open tickets of one age, by the state of their most pressing target.
#[derive(Debug, Clone, Serialize)]
pub struct AgeBucket {
    /// `lt1d`, `1_3d`, `3_7d`, `7_30d`, `gt30d` (calendar days since filing).
    pub age: &'static str,
    pub overdue: u64,
    pub due_soon: u64,
    pub on_track: u64,
}

#[derive(Debug, Clone, Serialize)]
pub struct PeriodRow {
    /// The first day of the period.
    pub start: Date,
    pub filed: u64,
    pub resolved: u64,
    pub first_response_met: u64,
    pub first_response_missed: u64,
    pub resolution_met: u64,
    pub resolution_missed: u64,
}

impl PeriodRow {
    /// Share of resolutions within the target (`None` when nothing was resolved).
    pub fn resolution_share(&self) -> Option<f64> {
        let all = self.resolution_met + self.resolution_missed;
        (all > 0).then(|| self.resolution_met as f64 / all as f64)
    }

    pub fn first_response_share(&self) -> Option<f64> {
        let all = self.first_response_met + self.first_response_missed;
        (all > 0).then(|| self.first_response_met as f64 / all as f64)
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct Dashboard {
    pub from: Date,
    pub to: Date,
    pub period: Period,
    pub queue: Vec<StatusCount>,
    pub unrouted: u64,
    pub overdue: u64,
    pub due_soon: u64,
    pub backlog: Vec<AgeBucket>,
    pub periods: Vec<PeriodRow>,
}

const AGES: &[(&str, i64)] =
    &[("lt1d", 1), ("1_3d", 3), ("3_7d", 7), ("7_30d", 30), ("gt30d", i64::MAX)];

fn period_start(d: Date, p: Period) -> Date {
    match p {
        Period::Month => d.first_of_month(),
        Period::Week => {
            let back = i64::from(d.weekday().to_monday_zero_offset());
            d.checked_sub(jiff::Span::new().days(back)).unwrap_or(d)
        }
    }
}

fn next_period(d: Date, p: Period) -> Date {
    let span = match p {
        Period::Month => jiff::Span::new().months(1),
        Period::Week => jiff::Span::new().weeks(1),
    };
    d.checked_add(span).unwrap_or(d)
}

fn parse_day(field: &str, s: &str) -> Result<Option<Date>> {
    let s = s.trim();
    if s.is_empty() {
        return Ok(None);
    }
    s.parse().map(Some).map_err(|_| Error::invalid(field, "invalid-date"))
}

/// The dashboard for `query` (the support administrator).
pub fn dashboard(app: &App, actor: &Actor, query: &DashboardQuery) -> Result<Dashboard> {
    require(actor, Action::Helpdesk(HelpdeskAction::Queue), Object::Appliance)?;
    let today = crate::calendar::today();
    let to = parse_day("to", &query.to)?.unwrap_or(today);
    let default_from = to.checked_sub(jiff::Span::new().months(5)).unwrap_or(to).first_of_month();
    let from = parse_day("from", &query.from)?.unwrap_or(default_from);
    if to < from {
        return Err(Error::invalid("to", "helpdesk-range-reversed"));
    }
    if from.until(to).map(|s| s.get_days()).unwrap_or(0) > 3 * 366 {
        return Err(Error::invalid("from", "helpdesk-range-too-long"));
    }
    let tickets = store::tickets(&app.db.read()?)?;
    let now = crate::clock::now();
    let mut queue: Vec<StatusCount> = Status::ALL
        .iter()
        .filter(|s| s.is_open())
        .map(|s| StatusCount { status: *s, count: 0 })
        .collect();
    let mut backlog: Vec<AgeBucket> = AGES
        .iter()
        .map(|(age, _)| AgeBucket { age, overdue: 0, due_soon: 0, on_track: 0 })
        .collect();
    let mut periods = Vec::new();
    let mut start = period_start(from, query.period);
    while start <= to {
        periods.push(PeriodRow {
            start,
            filed: 0,
            resolved: 0,
            first_response_met: 0,
            first_response_missed: 0,
            resolution_met: 0,
            resolution_missed: 0,
        });
        start = next_period(start, query.period);
    }
    let index = |d: Date| -> Option<usize> {
        if d < from || d > to {
            return None;
        }
        let p = period_start(d, query.period);
        periods.iter().position(|r| r.start == p)
    };
    let (mut unrouted, mut overdue, mut due_soon) = (0, 0, 0);
    let mut filed_at: Vec<Option<usize>> = Vec::new();
    let mut first_at: Vec<(Option<usize>, bool)> = Vec::new();
    let mut resolved_at: Vec<(Option<usize>, bool)> = Vec::new();
    for t in &tickets {
        let c = clocks(app, t);
        let created = crate::clock::parse(&t.created);
        filed_at.push(created.and_then(|at| index(crate::calendar::date_of(at))));
        let reached = |clock: &super::sla::Clock| {
            let i = clock.reached.and_then(|at| index(crate::calendar::date_of(at)));
            (i, clock.state == ClockState::Met)
        };
        first_at.push(reached(&c.first_response));
        resolved_at.push(if t.status.is_open() { (None, false) } else { reached(&c.resolution) });
        if !t.status.is_open() {
            continue;
        }
        if let Some(q) = queue.iter_mut().find(|q| q.status == t.status) {
            q.count += 1;
        }
        unrouted += u64::from(t.unrouted && t.status == Status::New);
        let worst = c.worst();
        let age_days = created.map(|at| (now.as_second() - at.as_second()) / 86_400).unwrap_or(0);
        let bucket = AGES.iter().position(|(_, limit)| age_days < *limit).unwrap_or(AGES.len() - 1);
        match worst {
            ClockState::Overdue => {
                overdue += 1;
                backlog[bucket].overdue += 1;
            }
            ClockState::DueSoon => {
                due_soon += 1;
                backlog[bucket].due_soon += 1;
            }
            _ => backlog[bucket].on_track += 1,
        }
    }
    for i in filed_at.into_iter().flatten() {
        periods[i].filed += 1;
    }
    for (i, met) in first_at {
        if let Some(i) = i {
            if met {
                periods[i].first_response_met += 1;
            } else {
                periods[i].first_response_missed += 1;
            }
        }
    }
    for (i, met) in resolved_at {
        if let Some(i) = i {
            periods[i].resolved += 1;
            if met {
                periods[i].resolution_met += 1;
            } else {
                periods[i].resolution_missed += 1;
            }
        }
    }
    Ok(Dashboard {
        from,
        to,
        period: query.period,
        queue,
        unrouted,
        overdue,
        due_soon,
        backlog,
        periods,
    })
}

/// A period's label: `03.2027` for a month, the Monday `22.03.2027` for a week.
pub fn period_label(row: &PeriodRow, period: Period) -> String {
    match period {
        Period::Month => row.start.strftime("%m.%Y").to_string(),
        Period::Week => row.start.strftime("%d.%m.%Y").to_string(),
    }
}

/// Targets met per period as a report (headings in `lang`).
pub fn periods_table(i18n: &I18n, lang: &str, d: &Dashboard) -> Table {
    let t = |k: &str| i18n.text(lang, k);
    let mut table = Table::new(
        t("helpdesk-dashboard-periods"),
        vec![
            Column::new("period", t("helpdesk-period"), Kind::Text)
                .total_label(t("helpdesk-total")),
            Column::new("filed", t("helpdesk-filed"), Kind::Integer).sum(),
            Column::new("resolved", t("helpdesk-resolved"), Kind::Integer).sum(),
            Column::new("fr_met", t("helpdesk-first-response-met"), Kind::Integer).sum(),
            Column::new("fr_missed", t("helpdesk-first-response-missed"), Kind::Integer).sum(),
            Column::new("res_met", t("helpdesk-resolution-met"), Kind::Integer).sum(),
            Column::new("res_missed", t("helpdesk-resolution-missed"), Kind::Integer).sum(),
            Column::new("res_share", t("helpdesk-resolution-share"), Kind::Percent),
        ],
    );
    for p in &d.periods {
        table.push(vec![
            Cell::text(period_label(p, d.period)),
            Cell::Int(p.filed as i64),
            Cell::Int(p.resolved as i64),
            Cell::Int(p.first_response_met as i64),
            Cell::Int(p.first_response_missed as i64),
            Cell::Int(p.resolution_met as i64),
            Cell::Int(p.resolution_missed as i64),
            p.resolution_share().map(Cell::Num).unwrap_or(Cell::Empty),
        ]);
    }
    table
}

/// The charts of the dashboard page: the backlog by age (stacked by target state) and
/// the share of targets met per period.
pub fn charts(i18n: &I18n, lang: &str, d: &Dashboard) -> (String, String) {
    let t = |k: &str| i18n.text(lang, k);
    let backlog = chart::bars(&Bars {
        id: "backlog".into(),
        title: t("helpdesk-backlog-by-age"),
        series: vec![
            Series::new(t("helpdesk-clock-overdue"), chart::BAD),
            Series::new(t("helpdesk-clock-due-soon"), chart::WARN),
            Series::new(t("helpdesk-on-track"), chart::GOOD),
        ],
        bars: d
            .backlog
            .iter()
            .map(|b| Bar {
                label: t(&format!("helpdesk-age-{}", b.age.replace('_', "-"))),
                values: vec![b.overdue as f64, b.due_soon as f64, b.on_track as f64],
                href: None,
            })
            .collect(),
        shares: false,
    });
    let percent = |v: Option<f64>| v.map(|s| (s * 1000.0).round() / 10.0);
    let met = chart::trend(&Trend {
        id: "met".into(),
        title: t("helpdesk-targets-met-chart"),
        periods: d.periods.iter().map(|p| period_label(p, d.period)).collect(),
        series: vec![
            (
                Series::new(t("helpdesk-first-response-share"), chart::PALETTE[0]),
                d.periods.iter().map(|p| percent(p.first_response_share())).collect(),
            ),
            (
                Series::new(t("helpdesk-resolution-share"), chart::PALETTE[1]),
                d.periods.iter().map(|p| percent(p.resolution_share())).collect(),
            ),
        ],
    });
    (backlog, met)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn periods_start_on_the_first_of_the_month_or_on_monday() {
        let d = jiff::civil::date(2027, 3, 25); // Thursday
        assert_eq!(period_start(d, Period::Month), jiff::civil::date(2027, 3, 1));
        assert_eq!(period_start(d, Period::Week), jiff::civil::date(2027, 3, 22));
        assert_eq!(
            next_period(jiff::civil::date(2027, 1, 31).first_of_month(), Period::Month),
            jiff::civil::date(2027, 2, 1)
        );
    }
}
