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

use std::collections::{BTreeMap, HashMap};

use serde::Serialize;

use super::model::{Anonymity, Kind, Question, Survey};
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

/// One question's figures being gathered, one answer at a time.
struct Acc {
    answered: u64,
    counts: Vec<u64>,
    rows: Vec<Vec<u64>>,
    values: Vec<f64>,
    row_values: Vec<Vec<f64>>,
    texts: Vec<String>,
}

fn point(v: &str) -> Option<usize> {
    v.parse::<usize>().ok().filter(|p| *p >= 1)
}

impl Acc {
    fn new(kind: &Kind) -> Acc {
        let (counts, rows) = match kind {
            Kind::Single { options } | Kind::Multiple { options, .. } => {
                (vec![0; options.len()], Vec::new())
            }
            Kind::Scale { max, .. } => (vec![0; *max as usize], Vec::new()),
            Kind::Matrix { rows, max, .. } => {
                (Vec::new(), vec![vec![0; *max as usize]; rows.len()])
            }
            _ => (Vec::new(), Vec::new()),
        };
        let row_values = vec![Vec::new(); rows.len()];
        Acc { answered: 0, counts, rows, values: Vec::new(), row_values, texts: Vec::new() }
    }

    /// Adds one response's answer; free texts and dates only where `texts` (the whole survey).
    fn add(&mut self, kind: &Kind, given: &[String], texts: bool) {
        self.answered += 1;
        match kind {
            Kind::Single { .. } | Kind::Multiple { .. } => {
                for v in given {
                    if let Some(c) = point(v).and_then(|p| self.counts.get_mut(p - 1)) {
                        *c += 1;
                    }
                }
            }
            Kind::Scale { max, .. } => {
                for v in given {
                    if let Some(p) = point(v).filter(|p| *p <= *max as usize) {
                        self.counts[p - 1] += 1;
                        self.values.push(p as f64);
                    }
                }
            }
            Kind::Matrix { max, .. } => {
                let n = self.rows.len();
                for (i, v) in given.iter().enumerate().take(n) {
                    if let Some(p) = point(v).filter(|p| *p <= *max as usize) {
                        self.rows[i][p - 1] += 1;
                        self.row_values[i].push(p as f64);
                    }
                }
            }
            Kind::Number { .. } => {
                if let Some(v) = given.first().and_then(|v| v.parse::<f64>().ok()) {
                    self.values.push(v);
                }
            }
            Kind::ShortText | Kind::LongText | Kind::Date => {
                if let Some(v) = given.first().filter(|_| texts) {
                    self.texts.push(v.clone());
                }
            }
        }
    }

    fn finish(mut self, q: &Question) -> QuestionResult {
        let (stats_of_values, row_stats) = match q.kind {
            Kind::Scale { .. } | Kind::Number { .. } => (stats(&self.values), Vec::new()),
            Kind::Matrix { .. } => (None, self.row_values.iter().map(|v| stats(v)).collect()),
            _ => (None, Vec::new()),
        };
        self.texts.sort();
        QuestionResult {
            key: q.key.clone(),
            kind: q.kind.name(),
            answered: self.answered,
            counts: self.counts,
            rows: self.rows,
            stats: stats_of_values,
            row_stats,
            texts: self.texts,
        }
    }
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

/// The results, broken down `by` agency or department if asked: every group in one pass
/// over the responses (each answer goes to the whole survey's figures and to its group's),
/// so the cost is that of the responses, whatever the number of groups.
pub fn compute(survey: &Survey, responses: &[Response], by: Option<By>) -> Results {
    let n = responses.len() as u64;
    let k = survey.k.max(1);
    let shown = survey.anonymity == Anonymity::Named || n >= u64::from(k);
    let mut results = Results { responses: n, k, shown, groups: Vec::new() };
    if !shown {
        return results;
    }
    let questions: Vec<&Question> = survey.questions().collect();
    let index: HashMap<&str, usize> =
        questions.iter().enumerate().map(|(i, q)| (q.key.as_str(), i)).collect();
    // The groups: 0 is the whole survey, then the groups shown apart, then "other".
    let (ids, other) = match by {
        Some(by) => {
            let mut sizes: BTreeMap<Option<u64>, u64> = BTreeMap::new();
            for r in responses {
                *sizes.entry(by.of(r)).or_default() += 1;
            }
            split_groups(&sizes, u64::from(k))
        }
        None => (Vec::new(), 0),
    };
    let slot_of_id: HashMap<u64, usize> =
        ids.iter().enumerate().map(|(i, id)| (*id, i + 1)).collect();
    let other_slot = (other > 0).then_some(ids.len() + 1);
    let slots = 1 + ids.len() + usize::from(other > 0);
    let mut accs: Vec<Vec<Acc>> =
        (0..slots).map(|_| questions.iter().map(|q| Acc::new(&q.kind)).collect()).collect();
    let mut sizes = vec![0u64; slots];
    for r in responses {
        let slot = by.and_then(|by| match by.of(r).and_then(|g| slot_of_id.get(&g)) {
            Some(s) => Some(*s),
            None => other_slot,
        });
        sizes[0] += 1;
        if let Some(s) = slot {
            sizes[s] += 1;
        }
        for (key, given) in &r.answers {
            let Some(&qi) = index.get(key.as_str()) else { continue };
            let kind = &questions[qi].kind;
            accs[0][qi].add(kind, given, true);
            if let Some(s) = slot {
                accs[s][qi].add(kind, given, false);
            }
        }
    }
    let prefix = match by {
        Some(By::Department) => "department",
        _ => "agency",
    };
    for (slot, (accs, size)) in accs.into_iter().zip(sizes).enumerate() {
        let (key, id) = match slot {
            0 => ("all".to_owned(), None),
            s if s <= ids.len() => (format!("{prefix}:{}", ids[s - 1]), Some(ids[s - 1])),
            _ => ("other".to_owned(), None),
        };
        let questions = accs.into_iter().zip(&questions).map(|(a, q)| a.finish(q)).collect();
        results.groups.push(GroupResult { key, id, responses: size, questions });
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
