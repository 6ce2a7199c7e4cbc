//! Text repair before analysis (I385 §6.6 search): Unicode NFKC, invisible characters, words
//! hyphenated across line breaks, letter-spaced words from PDF extraction, mixed-script homoglyphs
//! and ё → е. The repaired text is what gets indexed (and what snippets are cut from); the
//! original stays in the document store for display.
//!
//! Every stage is a pure function of the text so that the same input always indexes the same way,
//! and each stage works on whole lines or words so that it cannot move text across paragraphs.

mod spacing;

use std::borrow::Cow;
use std::collections::HashSet;

use unicode_normalization::{IsNormalized, UnicodeNormalization, is_nfkc_quick};

#[cfg(test)]
use spacing::MIN_SPACED_LETTERS;
pub use spacing::repair_letter_spacing;
use spacing::repair_spacing;

// Every stage first checks cheaply whether it has anything to do and then borrows its input
// unchanged: most text needs few or none of the repairs, and indexing speed matters.

/// Repairs `text` for indexing. Idempotent: `normalize(normalize(x)) == normalize(x)`.
pub fn normalize(text: &str) -> String {
    let text = nfkc_keeping_numero(text);
    let text = strip_invisible(&text);
    let text = join_hyphens(&text);
    let text = repair_spacing(&text);
    let text = fold_words(&text);
    fold_yo(&text).into_owned()
}

/// The repair for a short query string: the same character-level folding as [`normalize`] but
/// none of the layout repairs, which need the context of a whole document.
pub fn normalize_query(query: &str) -> String {
    fold_chars(query).into_owned()
}

/// [`normalize_query`] borrowing its input when nothing changes (for per-token use).
pub(crate) fn fold_chars(text: &str) -> Cow<'_, str> {
    if is_plain_token(text) {
        return Cow::Borrowed(text);
    }
    let t1 = nfkc_keeping_numero(text);
    let t2 = strip_invisible(&t1);
    let t3 = fold_words(&t2);
    match fold_yo(&t3) {
        Cow::Owned(s) => Cow::Owned(s),
        Cow::Borrowed(_) => match t3 {
            Cow::Owned(s) => Cow::Owned(s),
            Cow::Borrowed(_) => match t2 {
                Cow::Owned(s) => Cow::Owned(s),
                Cow::Borrowed(_) => t1,
            },
        },
    }
}

/// A word of Cyrillic letters or of ASCII letters (with digits), without ё: nothing to fold.
fn is_plain_token(text: &str) -> bool {
    let (mut cyr, mut lat) = (false, false);
    for c in text.chars() {
        match c {
            'ё' | 'Ё' => return false,
            '\u{0400}'..='\u{04FF}' => cyr = true,
            'a'..='z' | 'A'..='Z' => lat = true,
            '0'..='9' => {}
            _ => return false,
        }
    }
    !(cyr && lat)
}

/// Characters that NFKC leaves alone and that make up nearly all kk/ru text.
fn is_nfkc_stable(c: char) -> bool {
    matches!(c, ' '..='~' | '\n' | '\t' | '\u{0400}'..='\u{04FF}' | '«' | '»' | '–' | '—' | '“' | '”' | '‘' | '’' | '№')
}

/// NFKC, except that `№` stays: NFKC would turn it into `No`, which reads badly in the kk/ru
/// snippets cut from the repaired text, and users type `№` in queries.
fn nfkc_keeping_numero(text: &str) -> Cow<'_, str> {
    if text.chars().all(is_nfkc_stable)
        || is_nfkc_quick(text.chars().filter(|&c| c != '№')) == IsNormalized::Yes
    {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len());
    for (i, piece) in text.split('№').enumerate() {
        if i > 0 {
            out.push('№');
        }
        out.extend(piece.nfkc());
    }
    Cow::Owned(out)
}

/// Soft hyphens, zero-width spaces and joiners, byte-order marks and word joiners: they are
/// invisible in display but split or glue tokens (`госу\u{AD}дарство`).
fn strip_invisible(text: &str) -> Cow<'_, str> {
    let invisible =
        |c: char| matches!(c, '\r' | '\u{AD}' | '\u{200B}'..='\u{200D}' | '\u{2060}' | '\u{FEFF}');
    if !text.contains(invisible) {
        return Cow::Borrowed(text);
    }
    Cow::Owned(strip_invisible_chars(text))
}

fn strip_invisible_chars(text: &str) -> String {
    text.replace("\r\n", "\n")
        .chars()
        .filter(|c| !matches!(c, '\u{AD}' | '\u{200B}'..='\u{200D}' | '\u{2060}' | '\u{FEFF}'))
        .map(|c| if c == '\r' { '\n' } else { c })
        .collect()
}

fn is_hyphen(c: char) -> bool {
    matches!(c, '-' | '\u{2010}')
}

/// Joins `госу-\nдарственных` into `государственных`. A hyphen at a line end may also be a real
/// compound split at its hyphen (`интранет-\nпортал`): when the same compound appears elsewhere in
/// the text with its hyphen on one line, the hyphen is kept. The next part must start with a
/// lowercase letter (a capital starts a new item, `-\nПриказ`).
pub fn join_line_break_hyphens(text: &str) -> String {
    join_hyphens(text).into_owned()
}

fn join_hyphens(text: &str) -> Cow<'_, str> {
    // Anything to do: a hyphen after a letter, then only spaces up to a line break.
    let candidate = text.match_indices('\n').any(|(i, _)| {
        let before = text[..i].trim_end_matches([' ', '\t']);
        let mut rev = before.chars().rev();
        matches!(rev.next(), Some(c) if is_hyphen(c)) && rev.next().is_some_and(char::is_alphabetic)
    });
    if !candidate {
        return Cow::Borrowed(text);
    }
    let compounds: HashSet<String> = hyphenated_compounds(text);
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if is_hyphen(c) && i > 0 && chars[i - 1].is_alphabetic() {
            // Look past trailing spaces, one newline, and the next line's indentation.
            let mut j = i + 1;
            while j < chars.len() && (chars[j] == ' ' || chars[j] == '\t') {
                j += 1;
            }
            if j < chars.len() && chars[j] == '\n' {
                let mut k = j + 1;
                while k < chars.len() && (chars[k] == ' ' || chars[k] == '\t') {
                    k += 1;
                }
                if k < chars.len() && chars[k].is_alphabetic() && chars[k].is_lowercase() {
                    let left = word_before(&chars, i);
                    let right = word_after(&chars, k);
                    let compound = format!("{}-{}", left.to_lowercase(), right.to_lowercase());
                    if compounds.contains(&compound) {
                        out.push('-');
                    }
                    i = k;
                    continue;
                }
            }
        }
        out.push(c);
        i += 1;
    }
    Cow::Owned(out)
}

fn word_before(chars: &[char], end: usize) -> String {
    let mut start = end;
    while start > 0 && chars[start - 1].is_alphabetic() {
        start -= 1;
    }
    chars[start..end].iter().collect()
}

fn word_after(chars: &[char], start: usize) -> String {
    chars[start..].iter().take_while(|c| c.is_alphabetic()).collect()
}

/// Lowercased `left-right` compounds written with the hyphen inside one line.
fn hyphenated_compounds(text: &str) -> HashSet<String> {
    let mut set = HashSet::new();
    for line in text.lines() {
        let chars: Vec<char> = line.chars().collect();
        for (i, &c) in chars.iter().enumerate() {
            if is_hyphen(c)
                && i > 0
                && i + 1 < chars.len()
                && chars[i - 1].is_alphabetic()
                && chars[i + 1].is_alphabetic()
            {
                let left = word_before(&chars, i);
                let right = word_after(&chars, i + 1);
                set.insert(format!("{}-{}", left.to_lowercase(), right.to_lowercase()));
            }
        }
    }
    set
}

fn is_cyrillic(c: char) -> bool {
    matches!(c, '\u{0400}'..='\u{052F}' | '\u{1C80}'..='\u{1C8F}' | '\u{2DE0}'..='\u{2DFF}' | '\u{A640}'..='\u{A69F}')
}

fn is_latin(c: char) -> bool {
    c.is_ascii_alphabetic()
        || matches!(c, '\u{00C0}'..='\u{024F}' if c.is_alphabetic() && c != '×' && c != '÷')
}

/// Latin letters that look like a Cyrillic letter, and that letter. `i` maps to Kazakh `і`, the
/// letter it stands in for in texts typed with fonts that lacked `і` (`Үкiметiнiң`).
#[rustfmt::skip]
fn latin_lookalike(c: char) -> Option<char> {
    Some(match c {
        'a' => 'а', 'c' => 'с', 'e' => 'е', 'o' => 'о', 'p' => 'р', 'x' => 'х', 'y' => 'у',
        'i' => 'і', 'h' => 'һ', 's' => 'ѕ',
        'A' => 'А', 'B' => 'В', 'C' => 'С', 'E' => 'Е', 'H' => 'Н', 'I' => 'І', 'K' => 'К',
        'M' => 'М', 'O' => 'О', 'P' => 'Р', 'T' => 'Т', 'X' => 'Х', 'Y' => 'У',
        _ => return None,
    })
}

/// Transliteration of the Latin letters with no Cyrillic look-alike, for words that are clearly
/// Cyrillic but had a stretch typed in the Latin layout (`инtranet` → `интранет`).
#[rustfmt::skip]
fn latin_to_cyrillic(c: char) -> Option<char> {
    if let Some(l) = latin_lookalike(c) {
        // `s` looks like Macedonian `ѕ`, which kk/ru never use: a Cyrillic word wants `с`.
        return Some(if l == 'ѕ' { 'с' } else { l });
    }
    Some(match c {
        'b' => 'б', 'd' => 'д', 'f' => 'ф', 'g' => 'г', 'j' => 'й', 'k' => 'к', 'l' => 'л',
        'm' => 'м', 'n' => 'н', 'q' => 'қ', 'r' => 'р', 't' => 'т', 'u' => 'у', 'v' => 'в',
        'w' => 'в', 'z' => 'з', 'ö' => 'ө', 'ü' => 'ү',
        'D' => 'Д', 'F' => 'Ф', 'G' => 'Г', 'J' => 'Й', 'L' => 'Л', 'N' => 'Н', 'Q' => 'Қ',
        'R' => 'Р', 'S' => 'С', 'U' => 'У', 'V' => 'В', 'W' => 'В', 'Z' => 'З', 'Ö' => 'Ө',
        'Ü' => 'Ү',
        _ => return None,
    })
}

/// Cyrillic letters that look like a Latin letter, and that letter.
#[rustfmt::skip]
fn cyrillic_lookalike(c: char) -> Option<char> {
    Some(match c {
        'а' => 'a', 'с' => 'c', 'е' => 'e', 'о' => 'o', 'р' => 'p', 'х' => 'x', 'у' => 'y',
        'і' => 'i', 'һ' => 'h', 'ѕ' => 's', 'ј' => 'j', 'ԁ' => 'd', 'ԛ' => 'q', 'ԝ' => 'w',
        'А' => 'A', 'В' => 'B', 'С' => 'C', 'Е' => 'E', 'Н' => 'H', 'І' => 'I', 'К' => 'K',
        'М' => 'M', 'О' => 'O', 'Р' => 'P', 'Т' => 'T', 'Х' => 'X', 'У' => 'Y', 'Ј' => 'J',
        'Ѕ' => 'S',
        _ => return None,
    })
}

/// Folds words that mix Cyrillic and Latin letters into one script. A word with any Cyrillic
/// letter that has no Latin twin is Cyrillic (`инtranet`, `Үкiметiнiң`, `қарau`); otherwise a
/// word with a Latin letter that has no Cyrillic twin is Latin (`Windоws` with Cyrillic `о`);
/// a word made only of look-alikes is Cyrillic (`НОMEP`), as the portal's texts are kk/ru.
pub fn fold_homoglyphs(text: &str) -> String {
    fold_words(text).into_owned()
}

/// Whether some word mixes Cyrillic and Latin letters.
fn has_mixed_word(text: &str) -> bool {
    let (mut cyr, mut lat) = (false, false);
    for c in text.chars() {
        if is_cyrillic(c) {
            cyr = true;
        } else if is_latin(c) {
            lat = true;
        } else if !c.is_alphabetic() && !is_combining(c) {
            cyr = false;
            lat = false;
        }
        if cyr && lat {
            return true;
        }
    }
    false
}

fn fold_words(text: &str) -> Cow<'_, str> {
    if !has_mixed_word(text) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len());
    let mut word = String::new();
    for c in text.chars() {
        if c.is_alphabetic() || (!word.is_empty() && is_combining(c)) {
            word.push(c);
        } else {
            flush_word(&mut word, &mut out);
            out.push(c);
        }
    }
    flush_word(&mut word, &mut out);
    Cow::Owned(out)
}

fn is_combining(c: char) -> bool {
    matches!(c, '\u{0300}'..='\u{036F}')
}

fn flush_word(word: &mut String, out: &mut String) {
    if word.is_empty() {
        return;
    }
    let (mut cyr, mut lat, mut cyr_strong, mut lat_strong) = (0usize, 0usize, 0, 0);
    for c in word.chars() {
        if is_cyrillic(c) {
            cyr += 1;
            cyr_strong += usize::from(cyrillic_lookalike(c).is_none());
        } else if is_latin(c) {
            lat += 1;
            lat_strong += usize::from(latin_lookalike(c).is_none());
        }
    }
    if cyr == 0 || lat == 0 {
        out.push_str(word);
    } else {
        let to_cyrillic = cyr_strong > 0 || lat_strong == 0;
        for c in word.chars() {
            let folded = if to_cyrillic && is_latin(c) {
                latin_to_cyrillic(c)
            } else if !to_cyrillic && is_cyrillic(c) {
                cyrillic_lookalike(c)
            } else {
                None
            };
            out.push(folded.unwrap_or(c));
        }
    }
    word.clear();
}

/// ё → е, Ё → Е: Russian writes ё optionally, so both spellings must meet.
fn fold_yo(text: &str) -> Cow<'_, str> {
    if !text.contains(['ё', 'Ё']) {
        return Cow::Borrowed(text);
    }
    text.chars()
        .map(|c| match c {
            'ё' => 'е',
            'Ё' => 'Е',
            c => c,
        })
        .collect::<String>()
        .into()
}

#[cfg(test)]
#[path = "normalize_tests.rs"]
mod tests;
