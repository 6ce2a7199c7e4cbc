//! The search use case (I385 §6.6): a signed-in person's query over the documents they may
//! read. Access is decided twice: inside the query (the person's principal terms from the
//! policy) and for every hit again by the policy itself against the document as the store
//! has it now — a hit the index still holds after an access change never slips through.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};
use serde_json::json;

use super::payload::Payload;
use crate::actor::Actor;
use crate::app::App;
use crate::auth::policy::{self, Action, Object};
use crate::error::{Error, Result};
use crate::portal::directory::service as directory;
use crate::portal::documents::model::{DocState, type_spec};
use crate::portal::documents::store::Reader;
use crate::search::index::query::{self, FacetValue, Filters, Request, Sort};
use crate::search::index::snippet::{Snippet, snippet};

/// Longest query accepted, in characters.
pub const MAX_QUERY_CHARS: usize = 500;
pub const PER_PAGE: usize = 10;
const MAX_PAGE: usize = 1000;
/// Characters of a snippet.
const SNIPPET_CHARS: usize = 240;

/// The request as it comes (all text, so no request is refused by the framework).
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[serde(default)]
pub struct Params {
    pub q: String,
    #[serde(rename = "type")]
    pub doc_type: String,
    /// Agency code.
    pub agency: String,
    /// Author login.
    pub author: String,
    /// `signed` or `unsigned`.
    pub status: String,
    /// Last change from this day (`YYYY-MM-DD`, Astana time)...
    pub from: String,
    /// ...to this day inclusive.
    pub to: String,
    /// From 1.
    pub page: String,
    /// `relevance` (default) or `date`.
    pub sort: String,
}

#[derive(Clone, Debug, Serialize)]
pub struct FileRef {
    pub id: u64,
    pub name: String,
    /// The member of an archive, when the text came from one.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub path: String,
}

/// An attachment whose text could not be extracted (it is still found by its metadata).
#[derive(Clone, Debug, Serialize)]
pub struct Unreadable {
    pub file_id: u64,
    pub name: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub path: String,
    /// `search::extract::ErrorKind::code`.
    pub reason: String,
}

#[derive(Clone, Debug, Serialize)]
pub struct HitView {
    pub document_id: u64,
    pub version: u32,
    pub title: String,
    /// HTML: escaped text, matched words in `<mark>`.
    pub snippet: String,
    /// The attachment whose text matched; `null` when the document's own text or title did.
    pub file: Option<FileRef>,
    #[serde(rename = "type")]
    pub doc_type: String,
    pub agency: String,
    pub updated: String,
    pub unreadable: Vec<Unreadable>,
}

#[derive(Clone, Debug, Default, Serialize)]
pub struct FacetsView {
    #[serde(rename = "type")]
    pub types: Vec<FacetValue>,
    pub agency: Vec<FacetValue>,
    pub status: Vec<FacetValue>,
    pub year: Vec<FacetValue>,
}

#[derive(Clone, Debug, Default, Serialize)]
pub struct Page {
    /// Matches in all pages: counted when `total_exact`, else estimated from a sample (the
    /// facet counts likewise).
    pub total: usize,
    pub total_exact: bool,
    pub page: usize,
    pub per_page: usize,
    pub hits: Vec<HitView>,
    pub facets: FacetsView,
}

fn day_start(field: &str, day: &str, plus_days: i64) -> Result<Option<i64>> {
    if day.is_empty() {
        return Ok(None);
    }
    let date: jiff::civil::Date = day.parse().map_err(|_| Error::invalid(field, "invalid-date"))?;
    let date = date
        .checked_add(jiff::Span::new().days(plus_days))
        .map_err(|_| Error::invalid(field, "invalid-date"))?;
    let zoned =
        date.to_zoned(crate::clock::astana()).map_err(|_| Error::invalid(field, "invalid-date"))?;
    Ok(Some(zoned.timestamp().as_millisecond()))
}

/// Checks the parameters and turns names into ids (unknown agencies and authors select
/// nothing, as in the document list).
fn filters(
    app: &App,
    actor: &Actor,
    p: &Params,
    agency_ids: &HashMap<String, u64>,
) -> Result<Filters> {
    let doc_type = match p.doc_type.trim() {
        "" => None,
        t if type_spec(t).is_some() => Some(t.to_owned()),
        t => return Err(Error::invalid("type", "unknown-type").with_detail(t.to_owned())),
    };
    let status = match p.status.trim() {
        "" => None,
        s @ ("signed" | "unsigned") => Some(s.to_owned()),
        s => {
            return Err(Error::invalid("status", "invalid-search-status").with_detail(s.to_owned()));
        }
    };
    let agency = match p.agency.trim() {
        "" => None,
        code => Some(agency_ids.get(&code.to_uppercase()).copied().unwrap_or(u64::MAX)),
    };
    let author = match p.author.trim() {
        "" => None,
        login => {
            Some(directory::user_by_login(app, actor, login).map(|u| u.id).unwrap_or(u64::MAX))
        }
    };
    Ok(Filters {
        doc_type,
        agency,
        author,
        status,
        from: day_start("from", p.from.trim(), 0)?,
        until: day_start("to", p.to.trim(), 1)?,
    })
}

fn facet_codes(values: Vec<FacetValue>, codes: &HashMap<u64, String>) -> Vec<FacetValue> {
    values
        .into_iter()
        .map(|v| {
            let code = v.value.parse().ok().and_then(|id: u64| codes.get(&id).cloned());
            FacetValue { value: code.unwrap_or(v.value), count: v.count }
        })
        .collect()
}

/// The snippet of the part where the query matched best, and that part's attachment.
fn best_part(app: &App, terms: &query::Terms, payload: &Payload) -> (Snippet, Option<FileRef>) {
    app.search.with_stems(|stems| {
        let mut best: Option<(Snippet, Option<FileRef>)> = None;
        for part in payload.parts.iter().filter(|p| !p.text.is_empty()).take(100) {
            let s = snippet(stems, terms, &part.text, SNIPPET_CHARS);
            if best.as_ref().is_none_or(|(b, _)| s.matched > b.matched) {
                let file = part.file_id.map(|id| FileRef {
                    id,
                    name: part.name.clone(),
                    path: part.path.clone(),
                });
                best = Some((s, file));
            }
        }
        let (s, file) = best.unwrap_or_default();
        if s.matched > 0 {
            return (s, file);
        }
        // Nothing in the texts: a file whose name matched, or else the document itself.
        let named = payload
            .parts
            .iter()
            .filter_map(|p| p.file_id.map(|id| (id, p)))
            .find(|(_, p)| snippet(stems, terms, &p.name, SNIPPET_CHARS).matched > 0);
        let file = named.map(|(id, p)| FileRef { id, name: p.name.clone(), path: String::new() });
        (s, file)
    })
}

/// Searches the documents `actor` may read.
pub fn search(app: &App, actor: &Actor, p: &Params, lang: &str) -> Result<Page> {
    let user = actor.user().ok_or_else(Error::forbidden)?.clone();
    if p.q.chars().count() > MAX_QUERY_CHARS {
        return Err(Error::invalid("q", "query-too-long").with_detail(MAX_QUERY_CHARS.to_string()));
    }
    let page = match p.page.trim() {
        "" => 1,
        n => n
            .parse::<usize>()
            .ok()
            .filter(|n| (1..=MAX_PAGE).contains(n))
            .ok_or_else(|| Error::invalid("page", "invalid-page"))?,
    };
    let sort = match p.sort.trim() {
        "" | "relevance" => Sort::Relevance,
        "date" => Sort::Newest,
        other => return Err(Error::invalid("sort", "invalid-sort").with_detail(other.to_owned())),
    };
    let agencies = directory::agencies_by_id(app)?;
    let ids: HashMap<String, u64> =
        agencies.values().map(|a| (a.code.to_uppercase(), a.id)).collect();
    let codes: HashMap<u64, String> = agencies.values().map(|a| (a.id, a.code.clone())).collect();
    let filters = filters(app, actor, p, &ids)?;
    let principals = policy::search_principals(&user);
    let parsed = app.search.with_stems(|stems| query::parse(stems, &p.q));
    let request = Request {
        parsed: &parsed,
        principals: &principals,
        filters,
        sort,
        offset: (page - 1) * PER_PAGE,
        limit: PER_PAGE,
        facets: true,
    };
    let found = query::search(&app.search.index, &request).map_err(Error::internal)?;
    let txn = app.db.read()?;
    let store = Reader(&txn);
    let mut hits = Vec::new();
    let mut withheld = 0;
    for hit in found.hits {
        let readable = store.document(hit.doc_id)?.filter(|d| {
            d.state == DocState::Active
                && policy::decide(
                    actor,
                    Action::DocumentRead,
                    Object::Document {
                        agency_id: d.agency_id,
                        author_id: d.author_id,
                        access: &d.access,
                    },
                )
        });
        let (Some(doc), Some(key)) = (readable, app.vault.key(hit.doc_id)) else {
            withheld += 1;
            continue;
        };
        let payload = Payload::open(&key, hit.doc_id, hit.version, &hit.payload)?;
        let (snippet, file) = best_part(app, &parsed.terms, &payload);
        let unreadable = payload
            .parts
            .iter()
            .filter_map(|part| {
                Some(Unreadable {
                    file_id: part.file_id?,
                    name: part.name.clone(),
                    path: part.path.clone(),
                    reason: part.error.clone()?,
                })
            })
            .collect();
        hits.push(HitView {
            document_id: hit.doc_id,
            version: hit.version,
            title: payload.title_in(lang).to_owned(),
            snippet: snippet.html,
            file,
            doc_type: doc.doc_type.clone(),
            agency: codes.get(&doc.agency_id).cloned().unwrap_or_default(),
            updated: doc.updated.clone(),
            unreadable,
        });
    }
    if withheld > 0 {
        tracing::info!(withheld, "search: hits withheld by the policy (index not yet updated)");
    }
    let facets = found.facets.unwrap_or_default();
    actor.origin.set_operation("search.query");
    actor.origin.set_detail(json!({"total": found.total, "page": page, "withheld": withheld}));
    Ok(Page {
        total: found.total.saturating_sub(withheld),
        total_exact: found.total_exact,
        page,
        per_page: PER_PAGE,
        hits,
        facets: FacetsView {
            types: facets.types,
            agency: facet_codes(facets.agencies, &codes),
            status: facets.statuses,
            year: facets.years,
        },
    })
}
