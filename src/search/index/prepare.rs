//! Turning a document into a tantivy document in one pass over its text.
//!
//! Analysing the text separately for the Russian, Kazakh and exact fields costs three
//! tokenizations (docs/search-core.md measured ≈6 MB/s for it). Here the text is tokenized,
//! lowercased and folded once (the [`analysis::exact`] analyzer); each word then goes to the
//! exact field and, by the language of its line ([`lang::segments`]), to the Russian or the
//! Kazakh field as its stem. Stems come from a per-thread cache filled by running the registered
//! analyzers ([`analysis::russian`], [`analysis::kazakh`]) on the word itself, so the index holds
//! exactly the terms those analyzers give at query time (a unit test compares both on the
//! regulations) — and words repeat (Zipf), so the stemmer runs on few of them.
//!
//! The fields get their tokens as one encoded string each ([`tokens::Prepared`] reads them
//! back in tantivy's indexing threads): tantivy indexes the given tokens as they are.

use rustc_hash::FxHashMap;
use tantivy::TantivyDocument;
use tantivy::schema::Facet;
use tantivy::tokenizer::{TextAnalyzer, Token, TokenStream};

use super::pairs;
use super::schema::Fields;
use crate::search::analysis;
use crate::search::lang::{self, Lang};
use crate::search::tokens;

/// One portal document as the index takes it. Texts must already be repaired
/// ([`crate::search::normalize::normalize`]).
#[derive(Clone, Debug, Default)]
pub struct IndexDoc {
    pub doc_id: u64,
    pub version: u32,
    /// Changes whenever anything indexed about the document changes (see the portal's feed).
    pub stamp: u64,
    pub agency_id: u64,
    pub author_id: u64,
    pub doc_type: String,
    pub status: String,
    /// Unix milliseconds.
    pub created: i64,
    pub updated: i64,
    /// Who may read it ([`crate::portal::documents::model::AccessRule::principals`]).
    pub principals: Vec<String>,
    /// Titles, file names, field values.
    pub titles: Vec<String>,
    /// The document's text and the text of each attachment (or archive member).
    pub bodies: Vec<Body>,
    /// Stored as is, returned with each hit.
    pub payload: Vec<u8>,
}

#[derive(Clone, Debug, Default)]
pub struct Body {
    pub text: String,
    /// The language of the whole text when known (else guessed from the text).
    pub lang: Option<Lang>,
}

/// Stems remembered per language before the cache starts over.
const CACHE_LIMIT: usize = 400_000;

/// Words → stems with the portal's analyzers, cached. One per thread.
pub struct Stems {
    exact: TextAnalyzer,
    ru: TextAnalyzer,
    kk: TextAnalyzer,
    ru_cache: FxHashMap<String, Option<String>>,
    kk_cache: FxHashMap<String, Option<String>>,
}

impl Default for Stems {
    fn default() -> Self {
        Stems {
            exact: analysis::exact(),
            ru: analysis::russian(),
            kk: analysis::kazakh(),
            ru_cache: FxHashMap::default(),
            kk_cache: FxHashMap::default(),
        }
    }
}

fn first_token(analyzer: &mut TextAnalyzer, word: &str) -> Option<String> {
    let mut stream = analyzer.token_stream(word);
    stream.advance().then(|| stream.token().text.clone())
}

impl Stems {
    /// The stem of an exact (lowercased, folded) word in `lang`; `None` for a stop word.
    pub fn stem(&mut self, lang: Lang, word: &str) -> Option<&str> {
        let (cache, analyzer) = match lang {
            Lang::Ru => (&mut self.ru_cache, &mut self.ru),
            Lang::Kk => (&mut self.kk_cache, &mut self.kk),
        };
        if !cache.contains_key(word) {
            if cache.len() >= CACHE_LIMIT {
                cache.clear();
            }
            cache.insert(word.to_owned(), first_token(analyzer, word));
        }
        cache.get(word).and_then(|s| s.as_deref())
    }

    /// The exact words of `text`: lowercased, folded, with offsets and positions.
    pub fn exact_tokens(&mut self, text: &str, mut each: impl FnMut(&Token)) {
        let mut stream = self.exact.token_stream(text);
        while stream.advance() {
            each(stream.token());
        }
    }
}

/// Token lists of the three fields of one group (titles or bodies), encoded for
/// [`tokens::Prepared`].
#[derive(Default)]
struct Group {
    ru: String,
    kk: String,
    exact: String,
    pairs: String,
    /// Language of each word of the text being added (reused between texts).
    langs: Vec<Lang>,
    words: Vec<(usize, usize)>,
}

impl Group {
    fn add(&mut self, stems: &mut Stems, text: &str, lang: Option<Lang>) {
        if text.is_empty() {
            return;
        }
        let fallback = lang.or_else(|| lang::guess(text)).unwrap_or(Lang::Ru);
        let segments = lang::segments(text, fallback);
        let mut seg = 0;
        let (exact, langs, words) = (&mut self.exact, &mut self.langs, &mut self.words);
        langs.clear();
        words.clear();
        stems.exact_tokens(text, |t| {
            while seg + 1 < segments.len() && t.offset_from >= segments[seg].range.end {
                seg += 1;
            }
            let start = exact.len();
            tokens::encode(exact, &t.text);
            words.push((start, t.text.len()));
            langs.push(segments.get(seg).map(|s| s.lang).unwrap_or(fallback));
        });
        let mut previous: Option<&str> = None;
        for (&(start, len), &lang) in self.words.iter().zip(&self.langs) {
            let word = &self.exact[start..start + len];
            if let Some(stem) = stems.stem(lang, word) {
                match lang {
                    Lang::Ru => tokens::encode(&mut self.ru, stem),
                    Lang::Kk => tokens::encode(&mut self.kk, stem),
                }
            }
            if let Some(pair) = previous.and_then(|p| pairs::pair_term(p, word)) {
                tokens::encode(&mut self.pairs, &pair);
            }
            previous = Some(word);
        }
        // Stemmed fields keep frequencies only: positions (and so gaps) matter in the exact
        // field alone.
        tokens::end_text(&mut self.exact);
    }

    /// Puts the lists into the fields `[ru, kk, exact, pairs]`.
    fn into_fields(self, doc: &mut TantivyDocument, fields: [tantivy::schema::Field; 4]) {
        let lists = [self.ru, self.kk, self.exact, self.pairs];
        for (field, list) in fields.into_iter().zip(lists) {
            if list.bytes().any(|b| b != tokens::GAP_MARK as u8) {
                doc.add_text(field, list);
            }
        }
    }
}

fn year_of(millis: i64) -> i16 {
    jiff::Timestamp::from_millisecond(millis)
        .map(|t| t.to_zoned(crate::clock::astana()).year())
        .unwrap_or(1970)
}

/// Builds the tantivy document (the text analysed here, in the caller's thread).
pub fn prepare(stems: &mut Stems, fields: &Fields, d: &IndexDoc) -> TantivyDocument {
    let mut doc = TantivyDocument::default();
    doc.add_u64(fields.doc_id, d.doc_id);
    doc.add_u64(fields.version, u64::from(d.version));
    doc.add_u64(fields.stamp, d.stamp);
    doc.add_u64(fields.agency, d.agency_id);
    doc.add_u64(fields.author, d.author_id);
    doc.add_text(fields.doc_type, &d.doc_type);
    doc.add_text(fields.status, &d.status);
    doc.add_i64(fields.updated, d.updated);
    doc.add_i64(fields.created, d.created);
    for facet in [
        Facet::from_path(["type", d.doc_type.as_str()]),
        Facet::from_path(["agency", d.agency_id.to_string().as_str()]),
        Facet::from_path(["status", d.status.as_str()]),
        Facet::from_path(["year", year_of(d.updated).to_string().as_str()]),
    ] {
        doc.add_facet(fields.facet, facet);
    }
    for p in &d.principals {
        doc.add_text(fields.principal, p);
    }
    let mut titles = Group::default();
    for t in &d.titles {
        titles.add(stems, t, None);
    }
    titles.into_fields(
        &mut doc,
        [fields.title_ru, fields.title_kk, fields.title_exact, fields.title_pairs],
    );
    let mut bodies = Group::default();
    for b in &d.bodies {
        bodies.add(stems, &b.text, b.lang);
    }
    bodies.into_fields(
        &mut doc,
        [fields.body_ru, fields.body_kk, fields.body_exact, fields.body_pairs],
    );
    doc.add_bytes(fields.payload, d.payload.as_slice());
    doc
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::search::analysis::tokens as analysed;
    use crate::search::normalize::normalize;
    use crate::search::test_corpus;

    /// The tokens (and positions) tantivy indexes for `field`.
    fn indexed(doc: &TantivyDocument, field: tantivy::schema::Field) -> Vec<(String, usize)> {
        use tantivy::schema::document::{Document, Value};
        let mut out = Vec::new();
        let mut prepared = TextAnalyzer::from(tokens::Prepared::default());
        for (f, v) in doc.iter_fields_and_values() {
            if f == field
                && let Some(list) = v.as_str()
            {
                let mut stream = prepared.token_stream(list);
                while stream.advance() {
                    out.push((stream.token().text.clone(), stream.token().position));
                }
            }
        }
        out
    }

    fn texts_of(doc: &TantivyDocument, field: tantivy::schema::Field) -> Vec<String> {
        indexed(doc, field).into_iter().map(|(t, _)| t).collect()
    }

    /// The one-pass terms are exactly what the registered analyzers make of the same text
    /// split by language — the terms queries are analysed into.
    #[test]
    fn one_pass_terms_equal_the_analyzers_terms_on_the_regulations() {
        let (_, fields) = super::super::schema::build();
        let mut stems = Stems::default();
        for (name, raw) in test_corpus::files() {
            let text = normalize(&raw);
            let d = IndexDoc {
                bodies: vec![Body { text: text.clone(), lang: None }],
                ..Default::default()
            };
            let doc = prepare(&mut stems, &fields, &d);
            let fallback = lang::guess(&text).unwrap_or(Lang::Ru);
            let by = lang::by_language(&text, fallback);
            assert_eq!(
                texts_of(&doc, fields.body_ru),
                analysed(&mut analysis::russian(), &by.ru),
                "{name}: Russian stems"
            );
            assert_eq!(
                texts_of(&doc, fields.body_kk),
                analysed(&mut analysis::kazakh(), &by.kk),
                "{name}: Kazakh stems"
            );
            assert_eq!(
                texts_of(&doc, fields.body_exact),
                analysed(&mut analysis::exact(), &text),
                "{name}: exact words"
            );
        }
    }

    #[test]
    fn texts_are_kept_apart_by_a_position_gap() {
        let (_, fields) = super::super::schema::build();
        let d = IndexDoc {
            bodies: vec![
                Body { text: "первый текст".into(), lang: None },
                Body { text: "второй".into(), lang: None },
            ],
            ..Default::default()
        };
        let doc = prepare(&mut Stems::default(), &fields, &d);
        let positions: Vec<usize> =
            indexed(&doc, fields.body_exact).into_iter().map(|(_, p)| p).collect();
        assert_eq!(positions, vec![0, 1, 1 + tokens::GAP]);
    }
}
