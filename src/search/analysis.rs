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
    Language, LowerCaser, RemoveLongFilter, SimpleTokenizer, StopWordFilter, TextAnalyzer, Token,
    TokenFilter, TokenStream, Tokenizer,
};

use super::kazakh::{self, KazakhStemmer};
use super::lang::Lang;
use super::normalize::fold_chars;
use super::russian::RussianStemmer;

/// Russian: lowercase, fold, drop stop words, Snowball stem ([`super::russian::stem`]).
pub const RU: &str = "ipgo_ru";
/// Kazakh: lowercase, fold, drop stop words, [`kazakh::stem`].
pub const KK: &str = "ipgo_kk";
/// Exact words (both languages): lowercase and fold only; for phrases and exact matches.
pub const EXACT: &str = "ipgo_exact";

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
    TextAnalyzer::builder(SimpleTokenizer::default())
        .filter(RemoveLongFilter::limit(MAX_TOKEN_BYTES))
        .filter(LowerCaser)
        .filter(Fold)
        .filter(russian_stop_words())
        .filter(RussianStemmer)
        .build()
}

pub fn kazakh() -> TextAnalyzer {
    TextAnalyzer::builder(SimpleTokenizer::default())
        .filter(RemoveLongFilter::limit(MAX_TOKEN_BYTES))
        .filter(LowerCaser)
        .filter(Fold)
        .filter(StopWordFilter::remove(kazakh::STOP_WORDS.iter().map(|w| w.to_string())))
        .filter(KazakhStemmer)
        .build()
}

pub fn exact() -> TextAnalyzer {
    TextAnalyzer::builder(SimpleTokenizer::default())
        .filter(RemoveLongFilter::limit(MAX_TOKEN_BYTES))
        .filter(LowerCaser)
        .filter(Fold)
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

/// Per-token homoglyph and ё folding (see [`super::normalize::normalize_query`]); ASCII tokens
/// pass untouched.
#[derive(Clone, Copy, Default)]
pub struct Fold;

impl TokenFilter for Fold {
    type Tokenizer<T: Tokenizer> = FoldFilter<T>;

    fn transform<T: Tokenizer>(self, tokenizer: T) -> FoldFilter<T> {
        FoldFilter { inner: tokenizer }
    }
}

#[derive(Clone)]
pub struct FoldFilter<T> {
    inner: T,
}

impl<T: Tokenizer> Tokenizer for FoldFilter<T> {
    type TokenStream<'a> = FoldStream<T::TokenStream<'a>>;

    fn token_stream<'a>(&'a mut self, text: &'a str) -> Self::TokenStream<'a> {
        FoldStream { tail: self.inner.token_stream(text) }
    }
}

pub struct FoldStream<T> {
    tail: T,
}

impl<T: TokenStream> TokenStream for FoldStream<T> {
    fn advance(&mut self) -> bool {
        if !self.tail.advance() {
            return false;
        }
        let token = self.tail.token_mut();
        if !token.text.is_ascii()
            && let Cow::Owned(folded) = fold_chars(&token.text)
        {
            token.text = folded;
        }
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
