//! tantivy analyzers for the portal's texts: Russian (Snowball stemmer, see [`super::russian`],
//! and stop words), Kazakh
//! (the stemmer of [`super::kazakh`]) and an unstemmed one for exact words and phrases.
//!
//! Custom analyzers are not saved with a tantivy index: [`register`] must run every time an index
//! is opened or created, before any document is added or query parsed. The texts fed to these
//! analyzers are expected to be [`super::normalize::normalize`]d (documents) or
//! [`super::normalize::normalize_query`]d (queries); the analyzers repeat the cheap per-word
//! folding (homoglyphs, ё) so that a query that skipped it still meets the index.

use std::borrow::Cow;

use tantivy::Index;
use tantivy::tokenizer::{
    Language, LowerCaser, RemoveLongFilter, StopWordFilter, TextAnalyzer, Token, TokenFilter,
    TokenStream, Tokenizer,
};

use super::kazakh;
use super::lang::Lang;
use super::normalize::fold_chars;
use super::russian::RussianStemmer;
use super::tokens::{Prepared, Words};

/// Russian: lowercase, fold, drop stop words, Snowball stem ([`super::russian::stem`]).
pub const RU: &str = "ipgo_ru";
/// Kazakh: lowercase, fold, drop stop words, [`kazakh::stem`].
pub const KK: &str = "ipgo_kk";
/// Exact words (both languages): lowercase and fold only; for phrases and exact matches.
pub const EXACT: &str = "ipgo_exact";
/// The index's text fields: tokens analysed beforehand by the analyzers above, handed over
/// as one encoded list per field ([`super::tokens::Prepared`]).
pub const PREPARED: &str = "ipgo_prepared";

/// Tokens longer than this many bytes are dropped (base64 blobs, hashes): 40 Cyrillic letters.
const MAX_TOKEN_BYTES: usize = 80;

/// The analyzer for text in `lang`.
pub fn analyzer_name(lang: Lang) -> &'static str {
    match lang {
        Lang::Kk => KK,
        Lang::Ru => RU,
    }
}

pub fn russian() -> TextAnalyzer {
    TextAnalyzer::builder(Words::default())
        .filter(RemoveLongFilter::limit(MAX_TOKEN_BYTES))
        .filter(LowerCaser)
        .filter(FOLD)
        .filter(russian_stop_words())
        .filter(RussianStemmer)
        .build()
}

pub fn kazakh() -> TextAnalyzer {
    TextAnalyzer::builder(Words::default())
        .filter(RemoveLongFilter::limit(MAX_TOKEN_BYTES))
        .filter(LowerCaser)
        .filter(FOLD)
        .filter(StopWordFilter::remove(kazakh::STOP_WORDS.iter().map(|w| w.to_string())))
        .filter(kazakh::STEMMER)
        .build()
}

pub fn exact() -> TextAnalyzer {
    TextAnalyzer::builder(Words::default())
        .filter(RemoveLongFilter::limit(MAX_TOKEN_BYTES))
        .filter(LowerCaser)
        .filter(FOLD)
        .build()
}

/// Snowball's Russian list as tantivy ships it (written without ё, like the folded tokens).
fn russian_stop_words() -> StopWordFilter {
    StopWordFilter::new(Language::Russian)
        .unwrap_or_else(|| StopWordFilter::remove(Vec::<String>::new()))
}

/// Registers [`RU`], [`KK`] and [`EXACT`] on `index`. Call on every open.
pub fn register(index: &Index) {
    let manager = index.tokenizers();
    manager.register(RU, russian());
    manager.register(KK, kazakh());
    manager.register(EXACT, exact());
    manager.register(PREPARED, TextAnalyzer::from(Prepared::default()));
}

/// The token texts `analyzer` makes of `text` (for tests, benchmarks and query building).
pub fn tokens(analyzer: &mut TextAnalyzer, text: &str) -> Vec<String> {
    let mut stream = analyzer.token_stream(text);
    let mut out = Vec::new();
    while stream.advance() {
        out.push(stream.token().text.clone());
    }
    out
}

/// Rewrites the text of every token with a plain function: tantivy's filter plumbing
/// written once for each per-token rewrite (folding here, the Kazakh stemmer).
#[derive(Clone, Copy)]
pub struct MapText(pub fn(&mut String));

/// Per-token homoglyph and ё folding (see [`super::normalize::normalize_query`]); ASCII tokens
/// pass untouched.
pub const FOLD: MapText = MapText(fold_token);

fn fold_token(text: &mut String) {
    if !text.is_ascii()
        && let Cow::Owned(folded) = fold_chars(text)
    {
        *text = folded;
    }
}

impl TokenFilter for MapText {
    type Tokenizer<T: Tokenizer> = MapTextFilter<T>;

    fn transform<T: Tokenizer>(self, tokenizer: T) -> MapTextFilter<T> {
        MapTextFilter { inner: tokenizer, map: self.0 }
    }
}

#[derive(Clone)]
pub struct MapTextFilter<T> {
    inner: T,
    map: fn(&mut String),
}

impl<T: Tokenizer> Tokenizer for MapTextFilter<T> {
    type TokenStream<'a> = MapTextStream<T::TokenStream<'a>>;

    fn token_stream<'a>(&'a mut self, text: &'a str) -> Self::TokenStream<'a> {
        MapTextStream { tail: self.inner.token_stream(text), map: self.map }
    }
}

pub struct MapTextStream<T> {
    tail: T,
    map: fn(&mut String),
}

impl<T: TokenStream> TokenStream for MapTextStream<T> {
    fn advance(&mut self) -> bool {
        if !self.tail.advance() {
            return false;
        }
        (self.map)(&mut self.tail.token_mut().text);
        true
    }

    fn token(&self) -> &Token {
        self.tail.token()
    }

    fn token_mut(&mut self) -> &mut Token {
        self.tail.token_mut()
    }
}

#[cfg(test)]
#[path = "analysis_tests.rs"]
mod tests;
