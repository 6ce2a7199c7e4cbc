//! Results of a survey computed from its stored responses, without I/O: per question the
//! counts and shares, the matrix as counts per row and point, numeric summaries, the free
//! texts; and breakdowns by agency or department that never show a group of fewer than the
//! survey's k responses apart (I385 §7.8).
//!
//! Suppression: an anonymous survey shows nothing but its count until k people have
//! answered. In a breakdown, groups under k go to "other"; if "other" itself would hold
//! fewer than k (but some), the smallest shown groups join it until it reaches k — else
//! "other" could be worked out as the total minus the groups shown. Free texts are listed
//! for the whole survey only, sorted (never in any order of answering), never per group.

use std::collections::BTreeMap;

use serde::Serialize;

use super::model::{Anonymity, Kind, Survey};
use super::store::Response;

/// How a breakdown groups the responses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum By {
    Agency,
    Department,
}

impl By {
    pub fn parse(s: &str) -> Option<By> {
        match s {
            "agency" => Some(By::Agency),
            "department" => Some(By::Department),
            _ => None,
        }
    }

    fn of(self, r: &Response) -> Option<u64> {
        match self {
            By::Agency => Some(r.agency),
            By::Department => r.department,
        }
    }
}

/// A numeric summary (numbers; scale points).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Stats {
    pub n: u64,
    pub mean: f64,
    pub median: f64,
    pub q1: f64,
    pub q3: f64,
    pub min: f64,
    pub max: f64,
}

/// The `p`-quantile of sorted values, linear between neighbours.
fn quantile(sorted: &[f64], p: f64) -> f64 {
    let pos = p * (sorted.len() - 1) as f64;
    let (lo, hi) = (pos.floor() as usize, pos.ceil() as usize);
    sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo as f64)
}

pub fn stats(values: &[f64]) -> Option<Stats> {
    if values.is_empty() {
        return None;
    }
    let mut v = values.to_vec();
    v.sort_by(f64::total_cmp);
    Some(Stats {
        n: v.len() as u64,
        mean: v.iter().sum::<f64>() / v.len() as f64,
        median: quantile(&v, 0.5),
        q1: quantile(&v, 0.25),
        q3: quantile(&v, 0.75),
        min: v[0],
        max: v[v.len() - 1],
    })
}

/// One question's figures.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct QuestionResult {
    pub key: String,
    #[serde(rename = "type")]
    pub kind: &'static str,
    /// Responses that answered it.
    pub answered: u64,
    /// Choices and scales: responses per option or point (`counts[0]` is option or point 1).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub counts: Vec<u64>,
    /// Matrix: per row, responses per point.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub rows: Vec<Vec<u64>>,
    /// Numbers and scales: the summary; matrix rows: one per row (`row_stats`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stats: Option<Stats>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub row_stats: Vec<Option<Stats>>,
    /// Free texts and dates, sorted; in the whole survey's results only.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub texts: Vec<String>,
}

/// The results of the whole survey or of one group.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct GroupResult {
    /// `all`, `agency:3`, `department:12`, `other`.
    pub key: String,
    /// The agency or department id of a group.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<u64>,
    pub responses: u64,
    pub questions: Vec<QuestionResult>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Results {
    pub responses: u64,
    pub k: u32,
    /// False while an anonymous survey has fewer than k responses: only the count shows.
    pub shown: bool,
    /// The whole survey first, then the groups of the breakdown (and `other`).
    pub groups: Vec<GroupResult>,
}

fn question_results(survey: &Survey, responses: &[&Response], texts: bool) -> Vec<QuestionResult> {
    let mut out = Vec::new();
    for q in survey.questions() {
        let given: Vec<&Vec<String>> =
            responses.iter().filter_map(|r| r.answers.get(&q.key)).collect();
        let mut r = QuestionResult {
            key: q.key.clone(),
            kind: q.kind.name(),
            answered: given.len() as u64,
            counts: Vec::new(),
            rows: Vec::new(),
            stats: None,
            row_stats: Vec::new(),
            texts: Vec::new(),
        };
        let point = |v: &str| v.parse::<usize>().ok().filter(|p| *p >= 1);
        match &q.kind {
            Kind::Single { options } | Kind::Multiple { options, .. } => {
                r.counts = vec![0; options.len()];
                for v in given.iter().flat_map(|g| g.iter()) {
                    if let Some(c) = point(v).and_then(|p| r.counts.get_mut(p - 1)) {
                        *c += 1;
                    }
                }
            }
            Kind::Scale { max, .. } => {
                r.counts = vec![0; *max as usize];
                let mut values = Vec::new();
                for v in given.iter().flat_map(|g| g.iter()) {
                    if let Some(p) = point(v).filter(|p| *p <= *max as usize) {
                        r.counts[p - 1] += 1;
                        values.push(p as f64);
                    }
                }
                r.stats = stats(&values);
            }
            Kind::Matrix { rows, max, .. } => {
                r.rows = vec![vec![0; *max as usize]; rows.len()];
                let mut values = vec![Vec::new(); rows.len()];
                for g in &given {
                    for (i, v) in g.iter().enumerate().take(rows.len()) {
                        if let Some(p) = point(v).filter(|p| *p <= *max as usize) {
                            r.rows[i][p - 1] += 1;
                            values[i].push(p as f64);
                        }
                    }
                }
                r.row_stats = values.iter().map(|v| stats(v)).collect();
            }
            Kind::Number { .. } => {
                let values: Vec<f64> =
                    given.iter().filter_map(|g| g.first()?.parse::<f64>().ok()).collect();
                r.stats = stats(&values);
            }
            Kind::ShortText | Kind::LongText | Kind::Date => {
                if texts {
                    r.texts = given.iter().filter_map(|g| g.first().cloned()).collect();
                    r.texts.sort();
                }
            }
        }
        out.push(r);
    }
    out
}

/// The groups of a breakdown shown apart (each of at least k) and the rest, which is either
/// empty or of at least k too (or everything, when the groups cannot be told apart).
pub fn split_groups(sizes: &BTreeMap<Option<u64>, u64>, k: u64) -> (Vec<u64>, u64) {
    let mut shown: Vec<(u64, u64)> =
        sizes.iter().filter_map(|(g, n)| g.filter(|_| *n >= k).map(|g| (g, *n))).collect();
    let total: u64 = sizes.values().sum();
    // Largest first; the smallest shown group is the one to give up.
    shown.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    let mut other = total - shown.iter().map(|g| g.1).sum::<u64>();
    while other > 0 && other < k {
        match shown.pop() {
            Some((_, n)) => other += n,
            None => break,
        }
    }
    let mut ids: Vec<u64> = shown.into_iter().map(|g| g.0).collect();
    ids.sort_unstable();
    (ids, other)
}

/// The results, broken down `by` agency or department if asked.
pub fn compute(survey: &Survey, responses: &[Response], by: Option<By>) -> Results {
    let n = responses.len() as u64;
    let k = survey.k.max(1);
    let shown = survey.anonymity == Anonymity::Named || n >= u64::from(k);
    let mut results = Results { responses: n, k, shown, groups: Vec::new() };
    if !shown {
        return results;
    }
    let all: Vec<&Response> = responses.iter().collect();
    results.groups.push(GroupResult {
        key: "all".into(),
        id: None,
        responses: n,
        questions: question_results(survey, &all, true),
    });
    let Some(by) = by else { return results };
    let mut sizes: BTreeMap<Option<u64>, u64> = BTreeMap::new();
    for r in responses {
        *sizes.entry(by.of(r)).or_default() += 1;
    }
    let (ids, other) = split_groups(&sizes, u64::from(k));
    let prefix = match by {
        By::Agency => "agency",
        By::Department => "department",
    };
    for id in &ids {
        let members: Vec<&Response> = responses.iter().filter(|r| by.of(r) == Some(*id)).collect();
        results.groups.push(GroupResult {
            key: format!("{prefix}:{id}"),
            id: Some(*id),
            responses: members.len() as u64,
            questions: question_results(survey, &members, false),
        });
    }
    if other > 0 {
        let rest: Vec<&Response> =
            responses.iter().filter(|r| !by.of(r).is_some_and(|g| ids.contains(&g))).collect();
        results.groups.push(GroupResult {
            key: "other".into(),
            id: None,
            responses: rest.len() as u64,
            questions: question_results(survey, &rest, false),
        });
    }
    results
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quartiles_and_median_interpolate() {
        let s = stats(&[1.0, 2.0, 3.0, 4.0]).unwrap();
        assert_eq!((s.mean, s.median, s.q1, s.q3, s.min, s.max), (2.5, 2.5, 1.75, 3.25, 1.0, 4.0));
        assert_eq!(stats(&[7.0]).unwrap().median, 7.0);
        assert!(stats(&[]).is_none());
    }

    #[test]
    fn small_groups_merge_into_other_and_other_never_stands_alone_under_k() {
        let sizes = |v: &[(Option<u64>, u64)]| v.iter().copied().collect::<BTreeMap<_, _>>();
        // 1 and 2 are big enough; 3 (2 responses) goes to other — which would then hold 2,
        // under k: the smallest shown group (2, 6 responses) joins it.
        assert_eq!(
            split_groups(&sizes(&[(Some(1), 9), (Some(2), 6), (Some(3), 2)]), 5),
            (vec![1], 8)
        );
        assert_eq!(
            split_groups(&sizes(&[(Some(1), 9), (Some(2), 6), (Some(3), 5)]), 5),
            (vec![1, 2, 3], 0)
        );
        // Everything small: one "other" of all.
        assert_eq!(split_groups(&sizes(&[(Some(1), 2), (Some(2), 2)]), 5), (vec![], 4));
        // No department counts as other.
        assert_eq!(split_groups(&sizes(&[(Some(1), 5), (None, 5)]), 5), (vec![1], 5));
    }
}
