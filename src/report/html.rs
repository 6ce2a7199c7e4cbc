//! A [`Table`] as an HTML table that sorts by following a link in its header (no
//! JavaScript): each heading links to the same page with `sort=<key>&dir=asc|desc`, the
//! sorted column carries `aria-sort`, numbers are right-aligned, totals are a `<tfoot>`
//! row (repeated on every printed page with the header).

use std::fmt::Write as _;

use super::{Cell, Sort, Table};

/// How to render: the current sort, how to build a sort link, the text of an empty table.
pub struct Options<'a> {
    pub sort: &'a Sort,
    /// The page's address sorted by column `key`, descending or not.
    pub href: &'a dyn Fn(&str, bool) -> String,
    /// Shown in a single row when the table has no rows.
    pub empty: &'a str,
}

pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// Only links inside the portal: a path, never a scheme.
fn safe_href(href: &str) -> bool {
    href.starts_with('/') && !href.starts_with("//")
}

pub fn render(table: &Table, o: &Options) -> String {
    let mut h = String::with_capacity(256 + table.rows.len() * 120);
    h.push_str("<div class=\"report-wrap\"><table class=\"list report\">");
    let _ = write!(h, "<caption>{}</caption><thead><tr>", escape(&table.title));
    for c in &table.columns {
        let sorted = o.sort.sort == c.key;
        let desc = sorted && o.sort.descending();
        let class = if c.kind.is_numeric() { " class=\"num\"" } else { "" };
        let aria = match (sorted, desc) {
            (true, true) => " aria-sort=\"descending\"",
            (true, false) => " aria-sort=\"ascending\"",
            _ => "",
        };
        let arrow = match (sorted, desc) {
            (true, true) => " ▼",
            (true, false) => " ▲",
            _ => "",
        };
        let href = (o.href)(&c.key, sorted && !desc);
        let _ = write!(
            h,
            "<th scope=\"col\"{class}{aria}><a href=\"{}\">{}{arrow}</a></th>",
            escape(&href),
            escape(&c.label)
        );
    }
    h.push_str("</tr></thead>");
    if table.has_totals() && !table.rows.is_empty() {
        h.push_str("<tfoot><tr class=\"totals\">");
        for (c, cell) in table.columns.iter().zip(table.totals()) {
            cell_html(&mut h, c.kind, &cell, "td");
        }
        h.push_str("</tr></tfoot>");
    }
    h.push_str("<tbody>");
    if table.rows.is_empty() {
        let _ = write!(
            h,
            "<tr><td colspan=\"{}\" class=\"muted\">{}</td></tr>",
            table.columns.len().max(1),
            escape(o.empty)
        );
    }
    for row in &table.rows {
        h.push_str("<tr>");
        for (i, (c, cell)) in table.columns.iter().zip(row).enumerate() {
            cell_html(&mut h, c.kind, cell, if i == 0 { "th scope=\"row\"" } else { "td" });
        }
        h.push_str("</tr>");
    }
    h.push_str("</tbody></table></div>");
    h
}

fn cell_html(h: &mut String, kind: super::Kind, cell: &Cell, tag: &str) {
    let name = tag.split(' ').next().unwrap_or("td");
    let class = if kind.is_numeric() { " class=\"num\"" } else { "" };
    let text = escape(&cell.display(kind));
    match cell {
        Cell::Link { href, .. } if safe_href(href) => {
            let _ = write!(h, "<{tag}{class}><a href=\"{}\">{text}</a></{name}>", escape(href));
        }
        _ => {
            let _ = write!(h, "<{tag}{class}>{text}</{name}>");
        }
    }
}

/// A page address with `sort` and `dir` replaced, other parameters kept.
pub fn sort_href(path: &str, query: &[(String, String)], key: &str, descending: bool) -> String {
    let mut pairs: Vec<(String, String)> =
        query.iter().filter(|(k, _)| k != "sort" && k != "dir").cloned().collect();
    pairs.push(("sort".into(), key.into()));
    pairs.push(("dir".into(), if descending { "desc" } else { "asc" }.into()));
    let q = serde_urlencoded::to_string(&pairs).unwrap_or_default();
    format!("{path}?{q}")
}
