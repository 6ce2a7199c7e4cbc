//! The reporting layer, a shared service that knows no portal feature.
//!
//! A report is a [`Table`]: typed [`Column`]s (with what their total is), rows of
//! [`Cell`]s, and totals computed from the rows. One table renders as
//! * an HTML table sortable by links (no JavaScript) — [`html::render`];
//! * CSV — [`csv::write`];
//! * XLSX with typed cells, a frozen header, column widths and totals as formulas —
//!   [`xlsx::Stream`], which writes rows as they come (constant-memory mode), so an export
//!   of thousands of rows never holds them all;
//! * server-side SVG charts ([`chart`]): bars by category (plain or stacked), a trend over
//!   periods, a distribution of answers — with labels measured in the metrics of the font
//!   the page uses ([`font`]), so Kazakh and Russian labels fit.
//!
//! Labels arrive translated: the layer never looks up texts. Printing on A4 is the job of
//! `web/static/app.css` (`@media print`), which the report markup is made for.

use std::cmp::Ordering;

use jiff::Timestamp;
use jiff::civil::Date;
use serde::Serialize;

pub mod chart;
pub mod csv;
pub mod font;
mod font_widths;
pub mod html;
#[cfg(test)]
mod tests;
pub mod xlsx;

/// What a column holds; decides alignment, sorting, the XLSX cell type and format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    Text,
    Integer,
    /// A number with this many decimals.
    Decimal(u8),
    /// A share 0..=1 shown as a percentage.
    Percent,
    Date,
    /// An instant, shown in Astana time.
    DateTime,
}

impl Kind {
    pub fn is_numeric(self) -> bool {
        matches!(self, Kind::Integer | Kind::Decimal(_) | Kind::Percent)
    }
}

/// What the totals row shows under a column.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Total {
    None,
    /// The sum of the column (a `SUM` formula in XLSX).
    Sum,
    /// A text, e.g. "Total" under the first column.
    Label(String),
}

#[derive(Debug, Clone, Serialize)]
pub struct Column {
    /// Stable key: the sort parameter and the CSV/JSON field name.
    pub key: String,
    /// The heading, already translated.
    pub label: String,
    pub kind: Kind,
    pub total: Total,
}

impl Column {
    pub fn new(key: &str, label: impl Into<String>, kind: Kind) -> Column {
        Column { key: key.to_owned(), label: label.into(), kind, total: Total::None }
    }

    pub fn sum(mut self) -> Column {
        self.total = Total::Sum;
        self
    }

    pub fn total_label(mut self, label: impl Into<String>) -> Column {
        self.total = Total::Label(label.into());
        self
    }
}

/// One value.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(untagged)]
pub enum Cell {
    Empty,
    Text(String),
    /// A text linking to a page of the portal (a link in HTML, text elsewhere).
    Link {
        text: String,
        href: String,
    },
    Int(i64),
    Num(f64),
    Date(Date),
    DateTime(Timestamp),
}

impl Cell {
    pub fn text(s: impl Into<String>) -> Cell {
        Cell::Text(s.into())
    }

    pub fn number(&self) -> Option<f64> {
        match self {
            Cell::Int(i) => Some(*i as f64),
            Cell::Num(n) => Some(*n),
            _ => None,
        }
    }

    /// The text a person reads (dates as `dd.mm.yyyy`, instants in Astana time).
    pub fn display(&self, kind: Kind) -> String {
        match self {
            Cell::Empty => String::new(),
            Cell::Text(s) | Cell::Link { text: s, .. } => s.clone(),
            Cell::Int(i) => group_digits(&i.to_string()),
            Cell::Num(n) => match kind {
                Kind::Percent => format!("{}%", trim_number(n * 100.0, 1)),
                Kind::Decimal(p) => trim_number(*n, p),
                _ => trim_number(*n, 2),
            },
            Cell::Date(d) => d.strftime("%d.%m.%Y").to_string(),
            Cell::DateTime(t) => crate::clock::local_display(*t),
        }
    }

    fn compare(&self, other: &Cell) -> Ordering {
        fn rank(c: &Cell) -> u8 {
            match c {
                Cell::Empty => 0,
                Cell::Int(_) | Cell::Num(_) => 1,
                Cell::Date(_) => 2,
                Cell::DateTime(_) => 3,
                Cell::Text(_) | Cell::Link { .. } => 4,
            }
        }
        match (self, other) {
            (a, b) if a.number().is_some() && b.number().is_some() => {
                a.number().unwrap_or(0.0).total_cmp(&b.number().unwrap_or(0.0))
            }
            (Cell::Date(a), Cell::Date(b)) => a.cmp(b),
            (Cell::DateTime(a), Cell::DateTime(b)) => a.cmp(b),
            (
                Cell::Text(a) | Cell::Link { text: a, .. },
                Cell::Text(b) | Cell::Link { text: b, .. },
            ) => collate(a).cmp(&collate(b)),
            (a, b) => rank(a).cmp(&rank(b)),
        }
    }
}

/// A sort key that orders Kazakh and Russian words as a reader expects: case-insensitive,
/// Kazakh letters beside their Russian neighbours (Ә after А, Ғ after Г, …), Ё with Е.
fn collate(s: &str) -> Vec<u32> {
    s.chars()
        .flat_map(char::to_lowercase)
        .map(|c| {
            let base = match c {
                'ә' => ('а', 1),
                'ғ' => ('г', 1),
                'ё' => ('е', 1),
                'қ' => ('к', 1),
                'ң' => ('н', 1),
                'ө' => ('о', 1),
                'ұ' => ('у', 1),
                'ү' => ('у', 2),
                'һ' => ('х', 1),
                'і' => ('и', 1),
                other => (other, 0),
            };
            (base.0 as u32) * 4 + base.1
        })
        .collect()
}

fn trim_number(n: f64, places: u8) -> String {
    let s = format!("{n:.*}", places as usize);
    let (int, frac) = s.split_once('.').map(|(a, b)| (a, Some(b))).unwrap_or((&s, None));
    let mut out = group_digits(int);
    if let Some(f) = frac {
        out.push(',');
        out.push_str(f);
    }
    out
}

/// `1234567` → `1 234 567` (thin no-break spaces, as Kazakh and Russian typography wants).
fn group_digits(int: &str) -> String {
    let (sign, digits) = int.strip_prefix('-').map(|d| ("-", d)).unwrap_or(("", int));
    let mut out = String::from(sign);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push('\u{202F}');
        }
        out.push(c);
    }
    out
}

/// A report: a title, columns and rows.
#[derive(Debug, Clone, Serialize)]
pub struct Table {
    pub title: String,
    pub columns: Vec<Column>,
    pub rows: Vec<Vec<Cell>>,
}

impl Table {
    pub fn new(title: impl Into<String>, columns: Vec<Column>) -> Table {
        Table { title: title.into(), columns, rows: Vec::new() }
    }

    /// Adds a row; missing trailing cells are empty, extra cells are dropped.
    pub fn push(&mut self, mut row: Vec<Cell>) {
        row.resize(self.columns.len(), Cell::Empty);
        self.rows.push(row);
    }

    pub fn has_totals(&self) -> bool {
        self.columns.iter().any(|c| c.total != Total::None)
    }

    /// The totals row (empty cells where a column has no total).
    pub fn totals(&self) -> Vec<Cell> {
        totals(&self.columns, self.rows.iter())
    }

    /// Sorts by the column `key` (stable; unknown keys leave the order as it is).
    pub fn sort(&mut self, key: &str, descending: bool) {
        let Some(i) = self.columns.iter().position(|c| c.key == key) else { return };
        self.rows.sort_by(|a, b| {
            let o = a[i].compare(&b[i]);
            if descending { o.reverse() } else { o }
        });
    }

    pub fn column(&self, key: &str) -> Option<usize> {
        self.columns.iter().position(|c| c.key == key)
    }
}

/// Totals of `rows` under `columns`.
pub fn totals<'a>(columns: &[Column], rows: impl Iterator<Item = &'a Vec<Cell>>) -> Vec<Cell> {
    let mut sums = vec![0f64; columns.len()];
    let mut integral = vec![true; columns.len()];
    for row in rows {
        for (i, cell) in row.iter().enumerate().take(columns.len()) {
            if let Some(n) = cell.number() {
                sums[i] += n;
                integral[i] &= matches!(cell, Cell::Int(_));
            }
        }
    }
    columns
        .iter()
        .enumerate()
        .map(|(i, c)| match &c.total {
            Total::None => Cell::Empty,
            Total::Label(l) => Cell::Text(l.clone()),
            Total::Sum if integral[i] => Cell::Int(sums[i] as i64),
            Total::Sum => Cell::Num(sums[i]),
        })
        .collect()
}

/// The sort a page asked for: `?sort=<key>&dir=desc`.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Deserialize)]
#[serde(default)]
pub struct Sort {
    pub sort: String,
    pub dir: String,
}

impl Sort {
    pub fn descending(&self) -> bool {
        self.dir == "desc"
    }

    pub fn apply(&self, table: &mut Table) {
        if !self.sort.is_empty() {
            table.sort(&self.sort, self.descending());
        }
    }
}
