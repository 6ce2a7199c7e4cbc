//! Sortable columns without JavaScript (issue 21 point 7): each column head of a list is a
//! link asking the same page for `sort=<column>&dir=asc|desc` with its filters kept; the
//! sorted column says so with `aria-sort` (read out by screen readers) and an arrow; the
//! handler sorts its rows with [`Columns::sort`]. A column the list does not know is no
//! sort: the list keeps its own order.

use crate::report::Sort;
use crate::web::forms::{Html, escape};

/// The sortable columns of one list as asked for.
#[derive(Debug, Clone)]
pub struct Columns {
    /// The page's address with its filters and a trailing `?` or `&`.
    base: String,
    key: Option<&'static str>,
    desc: bool,
}

/// A row's value in a column.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum Value {
    Number(i64),
    /// Compared as people read the alphabet: case ignored, Kazakh letters beside their
    /// Cyrillic neighbours (ә after а, қ after к...), not after я as in Unicode.
    Text(Vec<u32>),
}

/// The Kazakh Cyrillic alphabet in its order (it holds the Russian one).
const ALPHABET: &str = "аәбвгғдеёжзийкқлмнңоөпрстуұүфхһцчшщъыіьэюя";

impl Value {
    pub fn text(s: &str) -> Value {
        Value::Text(
            s.trim()
                .chars()
                .flat_map(char::to_lowercase)
                .map(|c| match ALPHABET.chars().position(|a| a == c) {
                    Some(i) => 0x10000 + i as u32,
                    None => c as u32,
                })
                .collect(),
        )
    }
}

impl Columns {
    /// `path` with `filters` (empty values left out) makes the links; `known` are the
    /// columns that sort.
    pub fn new(
        path: &str,
        filters: &[(&str, &str)],
        sort: &Sort,
        known: &[&'static str],
    ) -> Columns {
        let kept: Vec<(&str, &str)> =
            filters.iter().filter(|(_, v)| !v.is_empty()).copied().collect();
        let query = serde_urlencoded::to_string(&kept).unwrap_or_default();
        let base = if query.is_empty() { format!("{path}?") } else { format!("{path}?{query}&") };
        let key = known.iter().copied().find(|k| *k == sort.sort);
        Columns { base, key, desc: sort.descending() }
    }

    /// The column sorted by, if any.
    pub fn key(&self) -> Option<&'static str> {
        self.key
    }

    /// Sorts `rows` by the column asked for; `by(row, column)` gives a row's value (worked
    /// out once a row: it may translate).
    pub fn sort<T>(&self, rows: &mut [T], by: impl Fn(&T, &str) -> Value) {
        let Some(key) = self.key else { return };
        rows.sort_by_cached_key(|r| by(r, key));
        if self.desc {
            rows.reverse();
        }
    }

    /// The head of column `key`: a link sorting by it — ascending, or the other way round
    /// when it is the sorted column — and `aria-sort` with an arrow when sorted.
    pub fn head(&self, key: &str, label: &str) -> Html {
        let sorted = self.key == Some(key);
        let dir = if sorted && !self.desc { "desc" } else { "asc" };
        let href = format!("{}sort={key}&dir={dir}", self.base);
        let (aria, arrow) = match (sorted, self.desc) {
            (false, _) => ("", ""),
            (true, false) => (" aria-sort=\"ascending\"", " <span aria-hidden=\"true\">▲</span>"),
            (true, true) => (" aria-sort=\"descending\"", " <span aria-hidden=\"true\">▼</span>"),
        };
        Html(format!(
            "<th scope=\"col\"{aria}><a class=\"sort\" href=\"{}\">{}{arrow}</a></th>",
            escape(&href),
            escape(label)
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sort(key: &str, dir: &str) -> Sort {
        Sort { sort: key.into(), dir: dir.into() }
    }

    #[test]
    fn heads_link_to_the_sort_with_the_filters_kept_and_say_which_is_sorted() {
        let c = Columns::new(
            "/documents",
            &[("type", "order"), ("agency", "")],
            &sort("title", ""),
            &["title", "updated"],
        );
        let title = c.head("title", "Атауы").0;
        assert!(title.contains("aria-sort=\"ascending\""), "{title}");
        assert!(
            title.contains("href=\"/documents?type=order&amp;sort=title&amp;dir=desc\""),
            "{title}"
        );
        let updated = c.head("updated", "Өзгертілді").0;
        assert!(!updated.contains("aria-sort"), "{updated}");
        assert!(updated.contains("href=\"/documents?type=order&amp;sort=updated&amp;dir=asc\""));
        let c = Columns::new("/drafts", &[], &sort("title", "desc"), &["title"]);
        assert!(c.head("title", "T").0.contains("aria-sort=\"descending\""));
        assert!(c.head("title", "T").0.contains("href=\"/drafts?sort=title&amp;dir=asc\""));
        // A column the list does not know sorts nothing.
        let c = Columns::new("/drafts", &[], &sort("password", "asc"), &["title"]);
        assert_eq!(c.key(), None);
        let mut rows = vec![2, 1];
        c.sort(&mut rows, |r, _| Value::Number(*r));
        assert_eq!(rows, [2, 1]);
    }

    #[test]
    fn text_sorts_in_the_kazakh_alphabet_case_ignored() {
        let c = Columns::new("/x", &[], &sort("t", "asc"), &["t"]);
        let mut rows = vec!["Қаржы", "кадр", "Ясли", "Әкімдік", "Абай", "Zeta", "әлеуметтік"];
        c.sort(&mut rows, |r, _| Value::text(r));
        assert_eq!(rows, ["Zeta", "Абай", "Әкімдік", "әлеуметтік", "кадр", "Қаржы", "Ясли"]);
        let c = Columns::new("/x", &[], &sort("t", "desc"), &["t"]);
        c.sort(&mut rows, |r, _| Value::text(r));
        assert_eq!(rows.first(), Some(&"Ясли"));
    }
}
