//! The results page (`web/templates/search/results.html`): the query and filters as a form,
//! facet counts as links that narrow the search, hits with highlighted snippets naming the
//! attachment that matched, and pages.

use askama::Template;

use super::service::{Page, Params};
use crate::portal::directory::model::Agency;
use crate::portal::documents::model::TypeSpec;
use crate::web::render::PageCtx;

#[derive(Template)]
#[template(path = "search/results.html")]
pub struct ResultsPage<'a> {
    pub page: PageCtx<'a>,
    pub params: Params,
    pub result: Option<Page>,
    /// A translated message about a parameter that could not be used.
    pub error: Option<String>,
    pub agencies: Vec<Agency>,
    pub types: &'static [TypeSpec],
}

impl ResultsPage<'_> {
    fn pairs(&self) -> Vec<(&'static str, String)> {
        let p = &self.params;
        vec![
            ("q", p.q.clone()),
            ("type", p.doc_type.clone()),
            ("agency", p.agency.clone()),
            ("author", p.author.clone()),
            ("status", p.status.clone()),
            ("from", p.from.clone()),
            ("to", p.to.clone()),
            ("sort", p.sort.clone()),
            ("page", p.page.clone()),
        ]
    }

    /// This search with `key` set to `value` (and back on the first page, unless the page is
    /// what changes).
    pub fn link(&self, key: &str, value: &str) -> String {
        let mut pairs = self.pairs();
        for (k, v) in pairs.iter_mut() {
            if *k == key {
                *v = value.to_owned();
            } else if *k == "page" {
                v.clear();
            }
        }
        pairs.retain(|(_, v)| !v.is_empty());
        format!("/search?{}", serde_urlencoded::to_string(&pairs).unwrap_or_default())
    }

    /// This search narrowed to changes made in `year`.
    pub fn year_link(&self, year: &str) -> String {
        let mut pairs: Vec<(&str, String)> = self.pairs();
        for (k, v) in pairs.iter_mut() {
            match *k {
                "from" => *v = format!("{year}-01-01"),
                "to" => *v = format!("{year}-12-31"),
                "page" => v.clear(),
                _ => {}
            }
        }
        pairs.retain(|(_, v)| !v.is_empty());
        format!("/search?{}", serde_urlencoded::to_string(&pairs).unwrap_or_default())
    }

    pub fn page_link(&self, n: &usize) -> String {
        self.link("page", &n.to_string())
    }

    pub fn prev_page(&self) -> Option<usize> {
        self.result.as_ref().filter(|r| r.page > 1).map(|r| r.page - 1)
    }

    pub fn next_page(&self) -> Option<usize> {
        self.result.as_ref().filter(|r| r.page * r.per_page < r.total).map(|r| r.page + 1)
    }

    pub fn found(&self) -> String {
        match &self.result {
            Some(r) if !r.total_exact => self.page.t1("search-found-about", "count", r.total),
            r => self.page.t1("search-found", "count", r.as_ref().map_or(0, |r| r.total)),
        }
    }

    /// "≈ " before counts that were estimated (more matches than are counted one by one).
    pub fn approx(&self) -> &'static str {
        if self.result.as_ref().is_some_and(|r| !r.total_exact) { "≈ " } else { "" }
    }

    pub fn type_name(&self, code: &str) -> String {
        self.page.tk("doctype-", code)
    }

    pub fn status_name(&self, code: &str) -> String {
        self.page.tk("search-status-", code)
    }

    pub fn reason(&self, code: &str) -> String {
        self.page.tk("extract-error-", code)
    }

    /// Whether a filter beyond the words is set: the folded filters then show open.
    pub fn filtered(&self) -> bool {
        let keys = ["type", "agency", "author", "status", "from", "to"];
        self.pairs().iter().any(|(k, v)| keys.contains(k) && !v.trim().is_empty())
    }

    pub fn selected(&self, key: &str, value: &str) -> bool {
        self.pairs().iter().any(|(k, v)| *k == key && v.eq_ignore_ascii_case(value))
    }
}
