//! The Russian Snowball stemmer with one correction for the portal's vocabulary: Snowball reads a
//! final `-ал/-ял` or `-ан(ы)` (`портал`, `канал`, `материал`, `органы`) as a verb ending and cuts
//! it, so `портал` → `порта` while `портале` → `портал`, and `органы` → `орга` while `органов` →
//! `орган`. Legal texts are full of such nouns and nearly free of past-tense verbs, so a cut verb
//! ending `-л(а/о/и)` or `-н(а/о/ы)` after `а/я` gets its consonant back: every case form of
//! `портал` and `орган` meets, and `сказал/сказала` or `утверждена/утверждены` still meet.

use std::borrow::Cow;

use frostem::{Algorithm, Stemmer};
use tantivy::tokenizer::{Token, TokenFilter, TokenStream, Tokenizer};

/// Stems one lowercase Russian word.
pub fn stem(stemmer: &Stemmer, word: &str) -> String {
    let stemmed = stemmer.stem(word);
    if let Some(rest) = word.strip_prefix(stemmed.as_ref())
        && matches!(rest, "л" | "ла" | "ло" | "ли" | "н" | "на" | "но" | "ны" | "нно")
        && stemmed.ends_with(['а', 'я'])
        && let Some(consonant) = rest.chars().next()
    {
        return format!("{stemmed}{consonant}");
    }
    match stemmed {
        Cow::Borrowed(s) => s.to_string(),
        Cow::Owned(s) => s,
    }
}

/// [`stem`] as a tantivy token filter (apply after lowercasing).
#[derive(Clone, Copy, Default)]
pub struct RussianStemmer;

impl TokenFilter for RussianStemmer {
    type Tokenizer<T: Tokenizer> = RussianStemmerFilter<T>;

    fn transform<T: Tokenizer>(self, tokenizer: T) -> RussianStemmerFilter<T> {
        RussianStemmerFilter { inner: tokenizer }
    }
}

#[derive(Clone)]
pub struct RussianStemmerFilter<T> {
    inner: T,
}

impl<T: Tokenizer> Tokenizer for RussianStemmerFilter<T> {
    type TokenStream<'a> = RussianStemmerStream<T::TokenStream<'a>>;

    fn token_stream<'a>(&'a mut self, text: &'a str) -> Self::TokenStream<'a> {
        RussianStemmerStream {
            tail: self.inner.token_stream(text),
            stemmer: Stemmer::new(Algorithm::Russian),
        }
    }
}

pub struct RussianStemmerStream<T> {
    tail: T,
    stemmer: Stemmer,
}

impl<T: TokenStream> TokenStream for RussianStemmerStream<T> {
    fn advance(&mut self) -> bool {
        if !self.tail.advance() {
            return false;
        }
        let token = self.tail.token_mut();
        token.text = stem(&self.stemmer, &token.text);
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
mod tests {
    use super::*;

    fn st(w: &str) -> String {
        stem(&Stemmer::new(Algorithm::Russian), w)
    }

    #[test]
    fn nouns_in_al_keep_their_l() {
        for family in [
            &["портал", "портала", "порталу", "порталом", "портале", "порталы", "порталов"][..],
            &["канал", "канала", "каналом", "каналах"],
            &["материал", "материалы", "материалов", "материала"],
            &["орган", "органы", "органов", "органам", "органа", "органах"],
            &["утвержден", "утверждена", "утверждено", "утверждены"],
        ] {
            let stems: Vec<String> = family.iter().map(|w| st(w)).collect();
            assert!(stems.iter().all(|s| *s == stems[0]), "{family:?} → {stems:?}");
        }
        assert_eq!(st("сказал"), st("сказала"));
        assert_eq!(st("государственных"), st("государственные"));
    }
}
