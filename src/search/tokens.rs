//! Two tokenizers that keep indexing fast.
//!
//! - [`Words`]: the words of a text — maximal runs of alphanumeric characters, exactly as
//!   tantivy's `SimpleTokenizer` cuts them — with a fast path for ASCII and Cyrillic letters.
//!   `char::is_alphanumeric` searches Unicode tables for every Cyrillic letter; that search
//!   was the largest single cost of analysing kk/ru text (docs/benchmarks.md).
//! - [`Prepared`]: the index fields' tokenizer. The one-pass analysis ([`super::index::prepare`])
//!   hands each field its tokens as one string, [`encode`]d: tokens separated by spaces, a
//!   [`GAP_MARK`] where the next text begins (positions jump by [`GAP`], so a phrase never
//!   spans two texts). Tantivy's own pre-tokenized values cost a string per token and a JSON
//!   encoding and decoding of every token list.

use tantivy::tokenizer::{Token, TokenStream, Tokenizer};

/// Positions left between two texts of one field.
pub const GAP: usize = 64;
/// Separates two texts in an encoded token list.
pub const GAP_MARK: char = '\u{1}';

/// Whether `c` belongs to a word (the same answer as `char::is_alphanumeric`).
#[inline]
pub fn is_word_char(c: char) -> bool {
    match c {
        'a'..='z' | 'A'..='Z' | '0'..='9' => true,
        '\0'..='\u{7f}' => false,
        // Cyrillic: every code point is a letter except the thousands sign and the
        // combining marks U+0482–U+0489.
        '\u{400}'..='\u{481}' | '\u{48a}'..='\u{4ff}' => true,
        '\u{482}'..='\u{489}' => false,
        _ => c.is_alphanumeric(),
    }
}

/// Words of a text, as tantivy's `SimpleTokenizer` gives them.
#[derive(Clone, Default)]
pub struct Words {
    token: Token,
}

pub struct WordStream<'a> {
    text: &'a str,
    at: usize,
    token: &'a mut Token,
}

impl Tokenizer for Words {
    type TokenStream<'a> = WordStream<'a>;

    fn token_stream<'a>(&'a mut self, text: &'a str) -> WordStream<'a> {
        self.token.reset();
        WordStream { text, at: 0, token: &mut self.token }
    }
}

impl WordStream<'_> {
    /// The byte index where the word starting at `from` ends.
    fn word_end(&self, from: usize) -> usize {
        self.text[from..]
            .char_indices()
            .find(|&(_, c)| !is_word_char(c))
            .map_or(self.text.len(), |(i, _)| from + i)
    }
}

impl TokenStream for WordStream<'_> {
    fn advance(&mut self) -> bool {
        self.token.text.clear();
        self.token.position = self.token.position.wrapping_add(1);
        let rest = &self.text[self.at..];
        let Some((i, _)) = rest.char_indices().find(|&(_, c)| is_word_char(c)) else {
            self.at = self.text.len();
            return false;
        };
        let start = self.at + i;
        let end = self.word_end(start);
        self.token.offset_from = start;
        self.token.offset_to = end;
        self.token.text.push_str(&self.text[start..end]);
        self.at = end;
        true
    }

    fn token(&self) -> &Token {
        self.token
    }

    fn token_mut(&mut self) -> &mut Token {
        self.token
    }
}

/// Appends one text's tokens to an encoded token list (call [`end_text`] after each text).
pub fn encode(out: &mut String, token: &str) {
    out.push_str(token);
    out.push(' ');
}

/// Ends one text of an encoded token list: the next text's positions start [`GAP`] after
/// this text's last.
pub fn end_text(out: &mut String) {
    out.push(GAP_MARK);
}

/// Reads back what [`encode`] and [`end_text`] wrote.
#[derive(Clone, Default)]
pub struct Prepared {
    token: Token,
}

pub struct PreparedStream<'a> {
    text: &'a [u8],
    source: &'a str,
    at: usize,
    /// Position of the next token, and of the last one (or the text's base while none).
    next: usize,
    last: usize,
    token: &'a mut Token,
}

impl Tokenizer for Prepared {
    type TokenStream<'a> = PreparedStream<'a>;

    fn token_stream<'a>(&'a mut self, text: &'a str) -> PreparedStream<'a> {
        self.token.reset();
        PreparedStream {
            text: text.as_bytes(),
            source: text,
            at: 0,
            next: 0,
            last: 0,
            token: &mut self.token,
        }
    }
}

impl TokenStream for PreparedStream<'_> {
    fn advance(&mut self) -> bool {
        loop {
            match self.text.get(self.at) {
                None => return false,
                Some(b' ') => self.at += 1,
                Some(&b) if b == GAP_MARK as u8 => {
                    self.at += 1;
                    self.next = self.last + GAP;
                    self.last = self.next;
                }
                Some(_) => break,
            }
        }
        let start = self.at;
        let len = self.text[start..]
            .iter()
            .position(|&b| b == b' ' || b == GAP_MARK as u8)
            .unwrap_or(self.text.len() - start);
        self.at = start + len;
        self.token.text.clear();
        // Token boundaries are ASCII bytes, so the slice is on character boundaries.
        self.token.text.push_str(&self.source[start..start + len]);
        self.token.offset_from = start;
        self.token.offset_to = start + len;
        self.token.position = self.next;
        self.last = self.next;
        self.next += 1;
        true
    }

    fn token(&self) -> &Token {
        self.token
    }

    fn token_mut(&mut self) -> &mut Token {
        self.token
    }
}

#[cfg(test)]
mod tests {
    use tantivy::tokenizer::{SimpleTokenizer, TextAnalyzer};

    use super::*;
    use crate::search::test_corpus;

    fn all(tokenizer: impl Tokenizer, text: &str) -> Vec<(String, usize, usize, usize)> {
        let mut analyzer = TextAnalyzer::builder(tokenizer).build();
        let mut stream = analyzer.token_stream(text);
        let mut out = Vec::new();
        while stream.advance() {
            let t = stream.token();
            out.push((t.text.clone(), t.position, t.offset_from, t.offset_to));
        }
        out
    }

    #[test]
    fn word_characters_are_the_alphanumeric_ones() {
        for c in (0..0x3_0000).filter_map(char::from_u32) {
            assert_eq!(is_word_char(c), c.is_alphanumeric(), "U+{:04X}", c as u32);
        }
    }

    #[test]
    fn words_are_cut_as_the_simple_tokenizer_cuts_them() {
        let mut texts: Vec<String> = test_corpus::files().into_iter().map(|(_, t)| t).collect();
        texts.push("  3 )  X L S X  -  м а ш и н о ч и т а е м ы й ; ҚР№5 ӘҒ-дің ǅ ½ x²".into());
        texts.push(String::new());
        for text in &texts {
            assert_eq!(all(Words::default(), text), all(SimpleTokenizer::default(), text));
        }
    }

    #[test]
    fn prepared_lists_give_back_tokens_and_positions() {
        let mut list = String::new();
        for t in ["первый", "текст"] {
            encode(&mut list, t);
        }
        end_text(&mut list);
        end_text(&mut list); // a text without words still moves on
        encode(&mut list, "второй");
        end_text(&mut list);
        let got: Vec<(String, usize)> =
            all(Prepared::default(), &list).into_iter().map(|(t, p, ..)| (t, p)).collect();
        assert_eq!(
            got,
            vec![("первый".into(), 0), ("текст".into(), 1), ("второй".into(), 1 + 2 * GAP)]
        );
        assert!(all(Prepared::default(), "").is_empty());
    }
}
