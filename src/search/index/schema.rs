//! The index schema: one tantivy document per portal document (its current version).
//!
//! - identity and bookkeeping: `doc_id` (indexed, fast, stored), `version`, `stamp` (what the
//!   store said when it was indexed: lets a restart find what changed while it was down);
//! - filters and facets: `agency`, `author` (ids), `doc_type`, `status`, `updated`/`created`
//!   (Unix milliseconds, fast: range filters and sorting by date), and one facet field holding
//!   `/type/…`, `/agency/…`, `/status/…`, `/year/…` for counts;
//! - access: `principal` — the terms of [`crate::portal::documents::model::AccessRule::principals`];
//!   every query requires one of the searcher's own (access control inside the query);
//! - text: titles (with file names and field values) and bodies (the document's text and the
//!   text extracted from each attachment), each in three fields: Russian stems, Kazakh stems
//!   (frequencies only: words, not phrases) and exact words with positions (phrases, prefixes),
//!   plus the pairs of neighbouring common words as single terms ([`super::pairs`]);
//! - `payload`: opaque stored bytes for the caller (the portal stores the repaired text of each
//!   part, sealed with the document's key, for snippets — so the index holds no readable text,
//!   only its terms).

use tantivy::schema::{
    FAST, Field, INDEXED, IndexRecordOption, STORED, STRING, Schema, TextFieldIndexing, TextOptions,
};

use crate::search::analysis::PREPARED;

/// Written into every commit; an index made by another layout is rebuilt, not read.
pub const LAYOUT: &str = "ipgo-index-v2";

#[derive(Clone, Copy, Debug)]
pub struct Fields {
    pub doc_id: Field,
    pub version: Field,
    pub stamp: Field,
    pub agency: Field,
    pub author: Field,
    pub doc_type: Field,
    pub status: Field,
    pub updated: Field,
    pub created: Field,
    pub facet: Field,
    pub principal: Field,
    pub title_ru: Field,
    pub title_kk: Field,
    pub title_exact: Field,
    pub body_ru: Field,
    pub body_kk: Field,
    pub body_exact: Field,
    /// Neighbouring common words as one term ([`super::pairs`]).
    pub title_pairs: Field,
    pub body_pairs: Field,
    pub payload: Field,
}

/// Field names as the fast-field collectors need them.
pub const UPDATED: &str = "updated";

/// A text field fed with prepared token lists (see [`crate::search::tokens::Prepared`]).
fn text(positions: bool) -> TextOptions {
    let option = if positions {
        IndexRecordOption::WithFreqsAndPositions
    } else {
        IndexRecordOption::WithFreqs
    };
    TextOptions::default().set_indexing_options(
        TextFieldIndexing::default().set_tokenizer(PREPARED).set_index_option(option),
    )
}

pub fn build() -> (Schema, Fields) {
    let mut b = Schema::builder();
    let fields = Fields {
        doc_id: b.add_u64_field("doc_id", INDEXED | FAST | STORED),
        version: b.add_u64_field("version", FAST | STORED),
        stamp: b.add_u64_field("stamp", FAST),
        agency: b.add_u64_field("agency", INDEXED | FAST),
        author: b.add_u64_field("author", INDEXED | FAST),
        doc_type: b.add_text_field("doc_type", STRING),
        status: b.add_text_field("status", STRING),
        updated: b.add_i64_field(UPDATED, INDEXED | FAST),
        created: b.add_i64_field("created", FAST),
        facet: b.add_facet_field("facet", INDEXED),
        principal: b.add_text_field("principal", STRING),
        title_ru: b.add_text_field("title_ru", text(false)),
        title_kk: b.add_text_field("title_kk", text(false)),
        title_exact: b.add_text_field("title_exact", text(true)),
        body_ru: b.add_text_field("body_ru", text(false)),
        body_kk: b.add_text_field("body_kk", text(false)),
        body_exact: b.add_text_field("body_exact", text(true)),
        title_pairs: b.add_text_field("title_pairs", text(false)),
        body_pairs: b.add_text_field("body_pairs", text(false)),
        payload: b.add_bytes_field("payload", STORED),
    };
    (b.build(), fields)
}

impl Fields {
    /// Takes the fields of an opened index (same layout as [`build`]).
    pub fn of(schema: &Schema) -> tantivy::Result<Fields> {
        let f = |name: &str| schema.get_field(name);
        Ok(Fields {
            doc_id: f("doc_id")?,
            version: f("version")?,
            stamp: f("stamp")?,
            agency: f("agency")?,
            author: f("author")?,
            doc_type: f("doc_type")?,
            status: f("status")?,
            updated: f(UPDATED)?,
            created: f("created")?,
            facet: f("facet")?,
            principal: f("principal")?,
            title_ru: f("title_ru")?,
            title_kk: f("title_kk")?,
            title_exact: f("title_exact")?,
            body_ru: f("body_ru")?,
            body_kk: f("body_kk")?,
            body_exact: f("body_exact")?,
            title_pairs: f("title_pairs")?,
            body_pairs: f("body_pairs")?,
            payload: f("payload")?,
        })
    }
}
