//! The consolidated report (I385 §28): for a period, every called agency's accepted
//! figures (a later accepted correction replaces what it corrects), totals and their change
//! against the previous period, the agencies that have not submitted or are not accepted
//! yet, and the totals over every period (the trend). The civil-service agency's verifier
//! sees every agency; an agency's HR officers and head see their own agency only.
//! Tables, CSV, XLSX and charts go through the shared reporting layer.

use std::collections::BTreeMap;

use jiff::civil::Date;
use serde::Serialize;

use super::model::*;
use super::service::act;
use super::store;
use super::views::{AgencyRef, agency_ref};
use crate::actor::Actor;
use crate::app::App;
use crate::auth::policy::{HeadcountAction, Object, decide, require};
use crate::error::{Error, Result};
use crate::portal::directory::service as directory;
use crate::report::chart::{self, Bar, Bars, Series, Trend};
use crate::report::{Cell, Column, Kind, Table};

#[derive(Debug, Clone, Serialize)]
pub struct FieldLabel {
    pub key: String,
    pub label: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct Line {
    pub agency: AgencyRef,
    /// The state of the agency's latest return, or `not_started`.
    pub state: String,
    /// The latest return (what the agency is working on or what was accepted).
    pub return_id: Option<u64>,
    /// The accepted return whose figures count.
    pub accepted_return: Option<u64>,
    pub late: bool,
    /// Accepted figures (none until a return is accepted).
    pub values: Option<Values>,
}

#[derive(Debug, Clone, Serialize)]
pub struct PeriodTotals {
    pub period: String,
    pub totals: Values,
    /// Agencies whose figures are in the totals.
    pub accepted: usize,
}

#[derive(Debug, Clone, Serialize)]
pub struct Summary {
    pub campaign: u64,
    pub period: String,
    pub due: Date,
    pub form_version: u32,
    /// `all` (the verifier) or `agency` (an agency's own figures).
    pub scope: &'static str,
    pub fields: Vec<FieldLabel>,
    pub agencies: Vec<Line>,
    pub totals: Values,
    pub previous: Option<PeriodTotals>,
    /// The change against the previous period, like for like: over the agencies accepted
    /// in both periods (so an agency not accepted yet is not read as a fall).
    pub change: BTreeMap<String, i64>,
    pub not_submitted: Vec<AgencyRef>,
    pub not_accepted: Vec<AgencyRef>,
    /// Totals of every period so far, oldest first.
    pub trend: Vec<PeriodTotals>,
}

fn totals(lines: &[Line]) -> Values {
    let mut t = Values::new();
    for v in lines.iter().filter_map(|l| l.values.as_ref()) {
        for (k, n) in v {
            *t.entry(k.clone()).or_insert(0) += n;
        }
    }
    t
}

/// Total now minus total before, over the agencies with accepted figures in both periods,
/// for the fields both periods have.
fn like_for_like(now: &[Line], before: &[Line]) -> BTreeMap<String, i64> {
    let mut change = BTreeMap::new();
    for l in now {
        let (Some(v), Some(old)) = (
            l.values.as_ref(),
            before.iter().find(|b| b.agency.id == l.agency.id).and_then(|b| b.values.as_ref()),
        ) else {
            continue;
        };
        for (k, n) in v {
            if let Some(o) = old.get(k) {
                *change.entry(k.clone()).or_insert(0) += *n as i64 - *o as i64;
            }
        }
    }
    change
}

/// Each called agency's line in a campaign, limited to `only` when given.
fn lines(
    txn: &redb::ReadTransaction,
    c: &Campaign,
    only: Option<u64>,
    agencies: &std::collections::HashMap<u64, crate::portal::directory::model::Agency>,
    lang: &str,
) -> Result<Vec<Line>> {
    let returns = store::returns_of(txn, c.id)?;
    let mut out = Vec::new();
    for a in c.agencies.iter().filter(|a| only.is_none_or(|o| o == **a)) {
        let mine: Vec<&Return> = returns.iter().filter(|r| r.agency == *a).collect();
        let latest = mine.iter().max_by_key(|r| r.id);
        let accepted = current_accepted(mine.iter().copied());
        out.push(Line {
            agency: agency_ref(agencies, *a, lang),
            // An agency whose figures were accepted stays accepted while a correction of
            // them is under way (the accepted figures are in force until it is accepted).
            state: match (accepted, latest) {
                (Some(_), _) => "accepted",
                (None, Some(r)) => r.state.name(),
                (None, None) => "not_started",
            }
            .to_owned(),
            return_id: latest.map(|r| r.id),
            accepted_return: accepted.map(|r| r.id),
            late: latest.and_then(|r| r.submitted.as_ref()).is_some_and(|s| s.late),
            values: accepted.map(|r| r.values.clone()),
        });
    }
    out.sort_by(|x, y| x.agency.name.cmp(&y.agency.name));
    Ok(out)
}

/// The consolidated report for `period` (the latest campaign's when empty).
pub fn summary(app: &App, actor: &Actor, period: &str, lang: &str) -> Result<Summary> {
    let me = actor.user().ok_or_else(Error::forbidden)?;
    let all = decide(actor, act(HeadcountAction::ReadSummary), Object::Appliance);
    if all {
        require(actor, act(HeadcountAction::ReadSummary), Object::Appliance)?;
    } else {
        require(actor, act(HeadcountAction::ReadSummary), Object::Agency(me.agency_id))?;
    }
    let only = (!all).then_some(me.agency_id);
    let txn = app.db.read()?;
    let mut campaigns = store::campaigns(&txn)?;
    campaigns.sort_by_key(|c| (c.period.end, c.period.start));
    let c = if period.trim().is_empty() {
        campaigns.last()
    } else {
        campaigns.iter().find(|c| c.period.key == period.trim())
    }
    .ok_or_else(|| Error::invalid("period", "headcount-period-unknown"))?
    .clone();
    let def = store::form(&txn, c.form_version)?.ok_or_else(Error::not_found)?;
    let agencies = directory::agencies_by_id(app)?;
    let current = lines(&txn, &c, only, &agencies, lang)?;
    let mut trend = Vec::new();
    let mut lines_of = std::collections::HashMap::new();
    for k in &campaigns {
        if k.period.end > c.period.end {
            break;
        }
        let l = if k.id == c.id { current.clone() } else { lines(&txn, k, only, &agencies, lang)? };
        trend.push(PeriodTotals {
            period: k.period.key.clone(),
            totals: totals(&l),
            accepted: l.iter().filter(|l| l.values.is_some()).count(),
        });
        lines_of.insert(k.period.key.clone(), l);
    }
    // The previous period: the latest campaign of the same kind that ended before this
    // one started (a monthly report compares with the month before).
    let previous = campaigns
        .iter()
        .rfind(|k| k.period.kind == c.period.kind && k.period.end < c.period.start)
        .and_then(|k| trend.iter().find(|t| t.period == k.period.key))
        .cloned();
    let totals = totals(&current);
    // Like for like: the change counts the agencies accepted in both periods only, so an
    // agency not yet accepted this period does not read as a fall in headcount.
    let change = previous
        .as_ref()
        .and_then(|p| lines_of.get(&p.period))
        .map(|before| like_for_like(&current, before))
        .unwrap_or_default();
    Ok(Summary {
        campaign: c.id,
        period: c.period.key.clone(),
        due: c.due,
        form_version: c.form_version,
        scope: if all { "all" } else { "agency" },
        fields: def
            .fields
            .iter()
            .map(|f| FieldLabel { key: f.key.clone(), label: f.label.get(lang).to_owned() })
            .collect(),
        not_submitted: current
            .iter()
            .filter(|l| l.values.is_none() && matches!(l.state.as_str(), "not_started" | "draft"))
            .map(|l| l.agency.clone())
            .collect(),
        not_accepted: current
            .iter()
            .filter(|l| l.values.is_none() && !matches!(l.state.as_str(), "not_started" | "draft"))
            .map(|l| l.agency.clone())
            .collect(),
        agencies: current,
        totals,
        previous,
        change,
        trend,
    })
}

/// The report as a table: an agency per row, the accepted figures, totals as formulas in
/// XLSX.
pub fn table(s: &Summary, t: &dyn Fn(&str) -> String) -> Table {
    let mut columns = vec![
        Column::new("agency", t("headcount-col-agency"), Kind::Text)
            .total_label(t("headcount-col-total")),
        Column::new("state", t("headcount-col-state"), Kind::Text),
    ];
    columns
        .extend(s.fields.iter().map(|f| Column::new(&f.key, f.label.clone(), Kind::Integer).sum()));
    let mut table = Table::new(format!("{} {}", t("headcount-summary-title"), s.period), columns);
    for l in &s.agencies {
        let mut row = vec![
            match l.return_id {
                Some(id) => Cell::Link {
                    text: l.agency.name.clone(),
                    href: format!("/headcount/returns/{id}"),
                },
                None => Cell::text(l.agency.name.clone()),
            },
            Cell::text(t(&format!("headcount-state-{}", l.state.replace('_', "-")))),
        ];
        for f in &s.fields {
            row.push(match l.values.as_ref().and_then(|v| v.get(&f.key)) {
                Some(n) => Cell::Int(*n as i64),
                None => Cell::Empty,
            });
        }
        table.push(row);
    }
    table
}

/// The first total rule (approved = filled + vacant in the built-in form): what the charts
/// show.
fn chart_fields(def_rules: &[Rule]) -> Option<(String, Vec<String>)> {
    def_rules.iter().find_map(|r| match r {
        Rule::Sum { total, parts } => Some((total.clone(), parts.clone())),
        _ => None,
    })
}

/// Stacked bars of the parts (filled, vacant) by agency, and the trend of the total and
/// its parts over periods.
pub fn charts(app: &App, s: &Summary, t: &dyn Fn(&str) -> String) -> Result<(String, String)> {
    let def = {
        let txn = app.db.read()?;
        store::form(&txn, s.form_version)?.ok_or_else(Error::not_found)?
    };
    let Some((total, parts)) = chart_fields(&def.rules) else {
        return Ok((String::new(), String::new()));
    };
    let label =
        |k: &str| s.fields.iter().find(|f| f.key == k).map(|f| f.label.clone()).unwrap_or_default();
    let bars = chart::bars(&Bars {
        id: "headcount-by-agency".into(),
        title: t("headcount-chart-agencies"),
        series: parts
            .iter()
            .enumerate()
            .map(|(i, p)| Series::new(label(p), chart::PALETTE[i % chart::PALETTE.len()]))
            .collect(),
        bars: s
            .agencies
            .iter()
            .filter_map(|l| {
                let v = l.values.as_ref()?;
                Some(Bar {
                    label: l.agency.name.clone(),
                    values: parts.iter().map(|p| *v.get(p).unwrap_or(&0) as f64).collect(),
                    href: l.accepted_return.map(|id| format!("/headcount/returns/{id}")),
                })
            })
            .collect(),
        shares: false,
    });
    let keys: Vec<String> = std::iter::once(total).chain(parts).collect();
    let trend = chart::trend(&Trend {
        id: "headcount-trend".into(),
        title: t("headcount-chart-trend"),
        periods: s.trend.iter().map(|p| p.period.clone()).collect(),
        series: keys
            .iter()
            .enumerate()
            .map(|(i, k)| {
                let values = s
                    .trend
                    .iter()
                    .map(|p| (p.accepted > 0).then(|| *p.totals.get(k).unwrap_or(&0) as f64))
                    .collect();
                (Series::new(label(k), chart::PALETTE[i % chart::PALETTE.len()]), values)
            })
            .collect(),
    });
    Ok((bars, trend))
}
