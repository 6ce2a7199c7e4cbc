//! Snippets: the stretch of a text where the query's words are densest, HTML-escaped, the
//! matched words wrapped in `<mark>`. A word matches as the index matched it — itself, its
//! Russian or Kazakh stem, or a prefix — so `порталом` marks `портале` in the text.
//!
//! The text given is the repaired one the index analysed (letter-spaced words joined), so a
//! word found only after repair is marked too.

use super::prepare::Stems;
use super::query::Terms;
use crate::search::lang::Lang;

/// Only this much of one text is searched for the words (a snippet per hit must stay cheap).
pub const SCAN_LIMIT: usize = 2 << 20;
/// Characters of context before the first marked word.
const LEAD: usize = 40;

#[derive(Clone, Debug, Default, PartialEq)]
pub struct Snippet {
    pub html: String,
    /// How many distinct query words the snippet marks.
    pub matched: usize,
}

fn escape_into(out: &mut String, text: &str) {
    for c in text.chars() {
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            '\n' | '\r' | '\t' => out.push(' '),
            c => out.push(c),
        }
    }
}

/// The byte index `chars` characters before `at` (or 0).
fn back(text: &str, at: usize, chars: usize) -> usize {
    text[..at].char_indices().rev().nth(chars.saturating_sub(1)).map_or(0, |(i, _)| i)
}

/// The byte index `chars` characters after `at` (or the end).
fn ahead(text: &str, at: usize, chars: usize) -> usize {
    text[at..].char_indices().nth(chars).map_or(text.len(), |(i, _)| at + i)
}

fn floor_boundary(text: &str, mut at: usize) -> usize {
    while at > 0 && !text.is_char_boundary(at) {
        at -= 1;
    }
    at
}

fn could_stem_to(word: &str, stems: &std::collections::HashSet<String>) -> bool {
    // A stem starts like its word; checking the first two letters saves stemming most words.
    let head: String = word.chars().take(2).collect();
    stems.iter().any(|s| s.starts_with(&head))
}

/// `(start, end, key)` of every word of `text` the query looks for.
fn matches(stems: &mut Stems, terms: &Terms, text: &str) -> Vec<(usize, usize, String)> {
    let mut candidates = Vec::new();
    stems.exact_tokens(text, |t| {
        let w = t.text.as_str();
        if terms.exact.contains(w)
            || terms.prefixes.iter().any(|p| w.starts_with(p.as_str()))
            || could_stem_to(w, &terms.ru)
            || could_stem_to(w, &terms.kk)
        {
            candidates.push((t.offset_from, t.offset_to, t.text.clone()));
        }
    });
    candidates
        .into_iter()
        .filter_map(|(from, to, w)| {
            if terms.exact.contains(&w) {
                return Some((from, to, w));
            }
            if let Some(p) = terms.prefixes.iter().find(|p| w.starts_with(p.as_str())) {
                return Some((from, to, format!("{p}*")));
            }
            for (lang, set) in [(Lang::Ru, &terms.ru), (Lang::Kk, &terms.kk)] {
                if let Some(s) = stems.stem(lang, &w)
                    && set.contains(s)
                {
                    return Some((from, to, s.to_owned()));
                }
            }
            None
        })
        .collect()
}

/// The best snippet of at most about `max_chars` characters of `text`.
pub fn snippet(stems: &mut Stems, terms: &Terms, text: &str, max_chars: usize) -> Snippet {
    let text = &text[..floor_boundary(text, text.len().min(SCAN_LIMIT))];
    let found = if terms.is_empty() { Vec::new() } else { matches(stems, terms, text) };
    // The window (starting at a match) that marks the most distinct words, then the most.
    let mut best: Option<(usize, usize, usize)> = None; // (distinct, count, first match)
    for (i, &(from, _, _)) in found.iter().enumerate() {
        let limit = ahead(text, from, max_chars.saturating_sub(LEAD));
        let window: Vec<&(usize, usize, String)> =
            found[i..].iter().take_while(|m| m.1 <= limit).collect();
        let mut keys: Vec<&str> = window.iter().map(|m| m.2.as_str()).collect();
        keys.sort_unstable();
        keys.dedup();
        let score = (keys.len(), window.len(), i);
        if best.is_none_or(|b| (score.0, score.1) > (b.0, b.1)) {
            best = Some(score);
        }
    }
    let (start, distinct) = match best {
        Some((distinct, _, i)) => {
            let at = found[i].0;
            let mut s = back(text, at, LEAD);
            // Start at a word boundary.
            if s > 0
                && let Some(space) = text[s..at].find(char::is_whitespace)
            {
                s += space + 1;
            }
            (s, distinct)
        }
        None => (0, 0),
    };
    let end = ahead(text, start, max_chars);
    let mut html = String::new();
    if start > 0 {
        html.push('…');
    }
    let mut at = start;
    for (from, to, _) in found.iter().filter(|m| m.0 >= start && m.1 <= end) {
        escape_into(&mut html, &text[at..*from]);
        html.push_str("<mark>");
        escape_into(&mut html, &text[*from..*to]);
        html.push_str("</mark>");
        at = *to;
    }
    escape_into(&mut html, &text[at..end]);
    if end < text.len() {
        html.push('…');
    }
    Snippet { html: html.trim().to_owned(), matched: distinct }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::search::index::query::parse;

    fn snip(query: &str, text: &str) -> Snippet {
        let mut stems = Stems::default();
        let parsed = parse(&mut stems, query);
        snippet(&mut stems, &parsed.terms, text, 120)
    }

    #[test]
    fn inflected_words_are_marked_and_text_escaped() {
        let s = snip("порталом", "Работа на интранет-портале <b>ведется</b> & далее");
        assert_eq!(
            s.html,
            "Работа на интранет-<mark>портале</mark> &lt;b&gt;ведется&lt;/b&gt; &amp; далее"
        );
        assert_eq!(s.matched, 1);
        let s = snip("мемлекетке", "Мемлекеттік органдардың интранет-порталы");
        assert!(s.html.contains("<mark>Мемлекеттік</mark>"), "{}", s.html);
    }

    #[test]
    fn the_densest_window_is_chosen_and_cut_at_words() {
        let filler = "слово ".repeat(60);
        let text = format!("портал {filler} портал и документ рядом {filler}");
        let s = snip("портал документ", &text);
        assert_eq!(s.matched, 2);
        assert!(s.html.starts_with('…') && s.html.ends_with('…'), "{}", s.html);
        assert!(s.html.contains("<mark>портал</mark> и <mark>документ</mark>"), "{}", s.html);
        assert!(s.html.chars().count() < 200);
    }

    #[test]
    fn prefixes_and_no_match() {
        assert!(snip("интр*", "Интранет-портал").html.contains("<mark>Интранет</mark>"));
        let s = snip("отсутствует", "Совсем другой текст");
        assert_eq!((s.html.as_str(), s.matched), ("Совсем другой текст", 0));
    }
}
