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
use crate::portal::directory::model::Agency;
use crate::portal::directory::place::{AgencyKind, Region};
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

/// How the report groups the agencies (§28: across agencies, by region or by kind).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Grouping {
    #[default]
    Agency,
    Region,
    Kind,
}

impl Grouping {
    pub const ALL: [Grouping; 3] = [Grouping::Agency, Grouping::Region, Grouping::Kind];

    /// From the `group` query parameter; empty means by agency.
    pub fn parse(code: &str) -> Result<Grouping> {
        Grouping::ALL
            .into_iter()
            .find(|g| g.code() == code.trim())
            .or_else(|| code.trim().is_empty().then_some(Grouping::Agency))
            .ok_or_else(|| Error::invalid("group", "headcount-group-unknown"))
    }

    pub fn code(self) -> &'static str {
        match self {
            Grouping::Agency => "agency",
            Grouping::Region => "region",
            Grouping::Kind => "kind",
        }
    }
}

/// One region's or kind's part of the report: the sums of its agencies' accepted figures.
#[derive(Debug, Clone, Serialize)]
pub struct Group {
    /// The region or kind code; empty for the agencies where it is not specified.
    pub key: String,
    /// Its name in the reader's language.
    pub name: String,
    /// Agencies of the group called in the period, and how many of them are accepted.
    pub called: usize,
    pub accepted: usize,
    pub totals: Values,
    /// Like for like against the previous period, as [`Summary::change`].
    pub change: BTreeMap<String, i64>,
    pub not_submitted: Vec<AgencyRef>,
    pub not_accepted: Vec<AgencyRef>,
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
    pub group: Grouping,
    /// The groups, in the order of the closed list (empty when grouped by agency).
    pub groups: Vec<Group>,
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

/// Agencies that have not submitted (nothing yet, or a draft).
fn not_submitted(lines: &[Line]) -> Vec<AgencyRef> {
    lines
        .iter()
        .filter(|l| l.values.is_none() && matches!(l.state.as_str(), "not_started" | "draft"))
        .map(|l| l.agency.clone())
        .collect()
}

/// Agencies that submitted but whose figures are not accepted yet.
fn not_accepted(lines: &[Line]) -> Vec<AgencyRef> {
    lines
        .iter()
        .filter(|l| l.values.is_none() && !matches!(l.state.as_str(), "not_started" | "draft"))
        .map(|l| l.agency.clone())
        .collect()
}

/// The lines split into groups by region or kind, in the closed list's order and the
/// agencies where it is not said last. Every line is in exactly one group, so the groups'
/// totals add up to the report's.
fn groups(
    grouping: Grouping,
    current: &[Line],
    before: Option<&Vec<Line>>,
    agencies: &std::collections::HashMap<u64, Agency>,
    name: &dyn Fn(&str) -> String,
) -> Vec<Group> {
    // (position in the closed list, code, Fluent message) of a line's group.
    let key = |l: &Line| -> (usize, &'static str, String) {
        let a = agencies.get(&l.agency.id);
        let found = match grouping {
            Grouping::Agency => None,
            Grouping::Region => a.and_then(|a| a.region).map(|r: Region| {
                (Region::ALL.iter().position(|x| *x == r).unwrap_or(0), r.code(), r.message())
            }),
            Grouping::Kind => a.and_then(|a| a.kind).map(|k: AgencyKind| {
                (AgencyKind::ALL.iter().position(|x| *x == k).unwrap_or(0), k.code(), k.message())
            }),
        };
        found.unwrap_or_else(|| {
            let none =
                if grouping == Grouping::Kind { "agency-kind-none" } else { "agency-region-none" };
            (usize::MAX, "", none.to_owned())
        })
    };
    if grouping == Grouping::Agency {
        return Vec::new();
    }
    let mut by: BTreeMap<(usize, &'static str), (String, Vec<Line>)> = BTreeMap::new();
    for l in current {
        let (order, code, message) = key(l);
        by.entry((order, code)).or_insert_with(|| (message, Vec::new())).1.push(l.clone());
    }
    by.into_iter()
        .map(|((_, code), (message, lines))| Group {
            key: code.to_owned(),
            name: name(&message),
            called: lines.len(),
            accepted: lines.iter().filter(|l| l.values.is_some()).count(),
            totals: totals(&lines),
            change: before.map(|b| like_for_like(&lines, b)).unwrap_or_default(),
            not_submitted: not_submitted(&lines),
            not_accepted: not_accepted(&lines),
        })
        .collect()
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

/// The consolidated report for `period` (the latest campaign's when empty), grouped as
/// `grouping` says.
pub fn summary(
    app: &App,
    actor: &Actor,
    period: &str,
    grouping: Grouping,
    lang: &str,
) -> Result<Summary> {
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
    let before = previous.as_ref().and_then(|p| lines_of.get(&p.period));
    let change = before.map(|before| like_for_like(&current, before)).unwrap_or_default();
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
        not_submitted: not_submitted(&current),
        not_accepted: not_accepted(&current),
        group: grouping,
        groups: groups(grouping, &current, before, &agencies, &|m| app.i18n.text(lang, m)),
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
    if s.group != Grouping::Agency {
        return group_table(s, t);
    }
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

/// The report grouped by region or kind: a group per row with how many of its agencies are
/// accepted, and the sums of their accepted figures (totals as formulas in XLSX).
fn group_table(s: &Summary, t: &dyn Fn(&str) -> String) -> Table {
    let head = if s.group == Grouping::Kind { "field-agency-kind" } else { "field-region" };
    let mut columns = vec![
        Column::new("group", t(head), Kind::Text).total_label(t("headcount-col-total")),
        Column::new("accepted", t("headcount-col-accepted"), Kind::Integer).sum(),
        Column::new("called", t("headcount-col-called"), Kind::Integer).sum(),
    ];
    columns
        .extend(s.fields.iter().map(|f| Column::new(&f.key, f.label.clone(), Kind::Integer).sum()));
    let title = format!("{} {} ({})", t("headcount-summary-title"), s.period, t(head));
    let mut table = Table::new(title, columns);
    for g in &s.groups {
        let mut row = vec![
            Cell::text(g.name.clone()),
            Cell::Int(g.accepted as i64),
            Cell::Int(g.called as i64),
        ];
        row.extend(s.fields.iter().map(|f| match g.totals.get(&f.key) {
            Some(n) => Cell::Int(*n as i64),
            None => Cell::Empty,
        }));
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
        id: format!("headcount-by-{}", s.group.code()),
        title: t(&format!("headcount-chart-by-{}", s.group.code())),
        series: parts
            .iter()
            .enumerate()
            .map(|(i, p)| Series::new(label(p), chart::PALETTE[i % chart::PALETTE.len()]))
            .collect(),
        bars: if s.group == Grouping::Agency {
            s.agencies
                .iter()
                .filter_map(|l| {
                    let v = l.values.as_ref()?;
                    Some(Bar {
                        label: l.agency.name.clone(),
                        values: parts.iter().map(|p| *v.get(p).unwrap_or(&0) as f64).collect(),
                        href: l.accepted_return.map(|id| format!("/headcount/returns/{id}")),
                    })
                })
                .collect()
        } else {
            s.groups
                .iter()
                .filter(|g| g.accepted > 0)
                .map(|g| Bar {
                    label: g.name.clone(),
                    values: parts.iter().map(|p| *g.totals.get(p).unwrap_or(&0) as f64).collect(),
                    href: None,
                })
                .collect()
        },
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

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;

    fn agency(id: u64, region: Option<Region>, kind: Option<AgencyKind>) -> Agency {
        Agency {
            id,
            code: format!("A{id}"),
            name_kk: String::new(),
            name_ru: format!("Орган {id}"),
            name_en: String::new(),
            created: String::new(),
            region,
            kind,
        }
    }

    fn line(id: u64, state: &str, approved: Option<u64>) -> Line {
        Line {
            agency: AgencyRef { id, code: format!("A{id}"), name: format!("Орган {id}") },
            state: state.into(),
            return_id: None,
            accepted_return: None,
            late: false,
            values: approved.map(|n| Values::from([("approved".to_owned(), n)])),
        }
    }

    #[test]
    fn i385_s28_groups_add_up_to_the_total_and_name_the_missing_agencies_in_their_group() {
        let agencies: HashMap<u64, Agency> = [
            agency(1, Some(Region::Karaganda), Some(AgencyKind::Local)),
            agency(2, Some(Region::Astana), Some(AgencyKind::Central)),
            agency(3, Some(Region::Karaganda), Some(AgencyKind::Territorial)),
            agency(4, None, None),
            agency(5, Some(Region::Astana), Some(AgencyKind::Central)),
        ]
        .into_iter()
        .map(|a| (a.id, a))
        .collect();
        let now = vec![
            line(1, "accepted", Some(100)),
            line(2, "accepted", Some(300)),
            line(3, "submitted", None),
            line(4, "accepted", Some(7)),
            line(5, "draft", None),
        ];
        let before = vec![line(1, "accepted", Some(90)), line(2, "accepted", Some(310))];
        let name = |m: &str| m.to_owned();
        let by_region = groups(Grouping::Region, &now, Some(&before), &agencies, &name);
        let keys: Vec<&str> = by_region.iter().map(|g| g.key.as_str()).collect();
        assert_eq!(keys, ["astana", "karaganda", ""], "closed-list order, unspecified last");
        let sum: u64 = by_region.iter().map(|g| g.totals["approved"]).sum();
        assert_eq!(sum, totals(&now)["approved"]);
        assert_eq!(by_region[1].change["approved"], 10);
        assert_eq!(by_region[0].change["approved"], -10);
        assert_eq!(by_region[0].not_submitted[0].code, "A5");
        assert_eq!(by_region[1].not_accepted[0].code, "A3");
        assert_eq!((by_region[1].called, by_region[1].accepted), (2, 1));
        assert_eq!(by_region[2].name, "agency-region-none");

        let by_kind = groups(Grouping::Kind, &now, None, &agencies, &name);
        let keys: Vec<&str> = by_kind.iter().map(|g| g.key.as_str()).collect();
        assert_eq!(keys, ["central", "local", "territorial", ""]);
        assert!(by_kind.iter().all(|g| g.change.is_empty()), "no previous period");
        assert_eq!(by_kind[3].name, "agency-kind-none");
        assert!(groups(Grouping::Agency, &now, None, &agencies, &name).is_empty());
    }

    #[test]
    fn grouping_parses_its_codes_and_refuses_others_by_the_field() {
        assert_eq!(Grouping::parse("").unwrap(), Grouping::Agency);
        assert_eq!(Grouping::parse("region").unwrap(), Grouping::Region);
        assert_eq!(Grouping::parse("kind").unwrap(), Grouping::Kind);
        assert_eq!(Grouping::parse("oblast").unwrap_err().field.as_deref(), Some("group"));
    }
}
