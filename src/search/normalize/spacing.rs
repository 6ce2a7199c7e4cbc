//! Repair of letter-spaced words from PDF extraction (`г о с у д а р с т в е н н ы х` →
//! `государственных`), without gluing real one-letter words.

use std::borrow::Cow;
use std::cell::OnceCell;
use std::collections::HashSet;

/// Real one-letter words of Russian (а в и к о с у я, and the short forms б ж) and Kazakh (е, ә,
/// о, у): the only single letters a segmentation may leave standing alone.
const ONE_LETTER_WORDS: &[char] = &['а', 'б', 'в', 'ж', 'и', 'к', 'о', 'с', 'у', 'я', 'е', 'ә'];

/// Minimum letters in one spaced group before a run counts as letter-spaced: real one-letter
/// words come at most two or three in a row (`и в`, `а и в`), never four.
pub(super) const MIN_SPACED_LETTERS: usize = 4;

/// Repairs letter-spaced words (`г о с у д а р с т в е н н ы х  о р г а н о в .`), line by line.
///
/// A *run* is a maximal sequence of single-character tokens separated by spaces. It is repaired
/// only when one of its groups (tokens separated by single spaces) holds at least
/// [`MIN_SPACED_LETTERS`] letters, not all of them real one-letter words. PDF extractors write letter gaps as one space and word gaps
/// as two or more; when a run has such wider gaps they are the word boundaries. When it has none,
/// the glued letters are split into words seen elsewhere in the same text (the document's own
/// vocabulary), and left glued if no such split exists. A lowercase letter followed by a capital
/// also starts a new word (`...ш а с ы н а Б Ұ Й Ы Р А М Ы Н` → `...шасына БҰЙЫРАМЫН`).
pub fn repair_letter_spacing(text: &str) -> String {
    repair_spacing(text).into_owned()
}

pub(super) fn repair_spacing(text: &str) -> Cow<'_, str> {
    if !text.split('\n').any(has_spaced_run) {
        return Cow::Borrowed(text);
    }
    // The vocabulary is only built if some run needs splitting.
    let vocab = OnceCell::new();
    let mut out = String::with_capacity(text.len());
    for (n, line) in text.split('\n').enumerate() {
        if n > 0 {
            out.push('\n');
        }
        if has_spaced_run(line) {
            repair_line(line, &|| vocab.get_or_init(|| vocabulary(text)), &mut out);
        } else {
            out.push_str(line);
        }
    }
    Cow::Owned(out)
}

/// Whether `line` has [`MIN_SPACED_LETTERS`] single-character tokens in a row (cheap, no
/// allocation): the precondition of any letter-spacing repair.
fn has_spaced_run(line: &str) -> bool {
    let (mut run, mut token_len) = (0usize, 0usize);
    for c in line.chars().chain(std::iter::once(' ')) {
        if c == ' ' || c == '\t' {
            if token_len == 1 {
                run += 1;
                if run >= MIN_SPACED_LETTERS {
                    return true;
                }
            } else if token_len > 1 {
                run = 0;
            }
            token_len = 0;
        } else {
            token_len += 1;
        }
    }
    false
}

/// Lowercased words of at least two letters, outside letter-spaced runs.
fn vocabulary(text: &str) -> HashSet<String> {
    text.split(|c: char| !c.is_alphabetic())
        .filter(|w| w.chars().count() >= 2)
        .map(str::to_lowercase)
        .collect()
}

struct Tok<'a> {
    text: &'a str,
    start: usize,
    end: usize,
}

type Vocab<'a> = dyn Fn() -> &'a HashSet<String> + 'a;

fn repair_line<'a>(line: &str, vocab: &Vocab<'a>, out: &mut String) {
    let mut toks = Vec::new();
    let mut start = None;
    for (i, c) in line.char_indices() {
        if c == ' ' || c == '\t' {
            if let Some(s) = start.take() {
                toks.push(Tok { text: &line[s..i], start: s, end: i });
            }
        } else if start.is_none() {
            start = Some(i);
        }
    }
    if let Some(s) = start {
        toks.push(Tok { text: &line[s..], start: s, end: line.len() });
    }
    let single = |t: &Tok| {
        let mut cs = t.text.chars();
        matches!((cs.next(), cs.next()), (Some(c), None) if !c.is_control())
    };
    let mut written = 0;
    let mut i = 0;
    while i < toks.len() {
        if !single(&toks[i]) {
            i += 1;
            continue;
        }
        let mut j = i;
        while j + 1 < toks.len() && single(&toks[j + 1]) {
            j += 1;
        }
        if let Some(repaired) = repair_run(line, &toks[i..=j], vocab) {
            out.push_str(&line[written..toks[i].start]);
            out.push_str(&repaired);
            written = toks[j].end;
        }
        i = j + 1;
    }
    out.push_str(&line[written..]);
}

/// Repairs one run of single-character tokens, or `None` when it is not letter-spaced.
fn repair_run<'a>(line: &str, run: &[Tok], vocab: &Vocab<'a>) -> Option<String> {
    // Groups: tokens joined by single spaces.
    let mut groups: Vec<Vec<char>> = vec![Vec::new()];
    let mut wide_gaps = false;
    for (k, tok) in run.iter().enumerate() {
        if k > 0 {
            let gap = &line[run[k - 1].end..tok.start];
            if gap.chars().count() >= 2 {
                wide_gaps = true;
                groups.push(Vec::new());
            }
        }
        groups.last_mut()?.extend(tok.text.chars());
    }
    let letters = |g: &Vec<char>| g.iter().filter(|c| c.is_alphabetic()).count();
    // A group made only of letters that are words by themselves may be words (`а и в с`).
    let word_letters_only = |g: &Vec<char>| {
        g.iter()
            .filter(|c| c.is_alphabetic())
            .all(|c| c.to_lowercase().all(|l| ONE_LETTER_WORDS.contains(&l)))
    };
    if !groups.iter().any(|g| letters(g) >= MIN_SPACED_LETTERS && !word_letters_only(g)) {
        return None;
    }
    let mut words: Vec<String> = Vec::new();
    for group in &groups {
        for piece in split_on_case_change(group) {
            if wide_gaps {
                words.push(piece);
            } else {
                words.extend(segment(&piece, vocab()));
            }
        }
    }
    Some(words.join(" "))
}

/// Splits glued letters where a lowercase letter meets a capital, and where a run of at least two
/// capitals meets a lowercase letter (`БҰЙЫРАМЫНсәйкес`). A single capital followed by lowercase
/// is a capitalised word and stays.
fn split_on_case_change(group: &[char]) -> Vec<String> {
    let mut pieces = Vec::new();
    let mut cur = String::new();
    let mut upper_run = 0;
    let mut prev_lower = false;
    for &c in group {
        let upper = c.is_uppercase();
        let lower = c.is_lowercase();
        if !cur.is_empty() && ((upper && prev_lower) || (lower && upper_run >= 2)) {
            pieces.push(std::mem::take(&mut cur));
            upper_run = 0;
        }
        cur.push(c);
        if upper {
            upper_run += 1;
        } else if c.is_alphabetic() {
            upper_run = 0;
        }
        prev_lower = lower;
    }
    if !cur.is_empty() {
        pieces.push(cur);
    }
    pieces
}

/// Splits letters glued from a run without word gaps into words of the document's vocabulary
/// (fewest words wins; one-letter pieces only from [`ONE_LETTER_WORDS`]). Punctuation at the ends
/// stays attached. Returns the glued word unchanged when it is itself known or no split exists.
fn segment(glued: &str, vocab: &HashSet<String>) -> Vec<String> {
    let chars: Vec<char> = glued.chars().collect();
    let lead = chars.iter().take_while(|c| !c.is_alphabetic()).count();
    let trail = chars[lead..].iter().rev().take_while(|c| !c.is_alphabetic()).count();
    let core: Vec<char> = chars[lead..chars.len() - trail].to_vec();
    let lower: Vec<char> = core.iter().flat_map(|c| c.to_lowercase()).collect();
    if lower.len() != core.len()
        || core.len() < 2 * MIN_SPACED_LETTERS
        || vocab.contains(&lower.iter().collect::<String>())
        || core.iter().any(|c| !c.is_alphabetic())
    {
        return vec![glued.to_string()];
    }
    // best[i]: fewest words covering core[..i], with the start of the last word.
    let n = core.len();
    let mut best: Vec<Option<(usize, usize)>> = vec![None; n + 1];
    best[0] = Some((0, 0));
    for end in 1..=n {
        for start in 0..end {
            let Some((count, _)) = best[start] else { continue };
            let piece: String = lower[start..end].iter().collect();
            let known = if end - start == 1 {
                ONE_LETTER_WORDS.contains(&lower[start])
            } else {
                vocab.contains(&piece)
            };
            if known && best[end].is_none_or(|(c, _)| count + 1 < c) {
                best[end] = Some((count + 1, start));
            }
        }
    }
    if best[n].is_none() {
        return vec![glued.to_string()];
    }
    let mut bounds = Vec::new();
    let mut end = n;
    while end > 0 {
        let (_, start) = best[end].unwrap_or((0, 0));
        bounds.push((start, end));
        end = start;
    }
    bounds.reverse();
    let last = bounds.len() - 1;
    bounds
        .into_iter()
        .enumerate()
        .map(|(k, (s, e))| {
            let mut w = String::new();
            if k == 0 {
                w.extend(&chars[..lead]);
            }
            w.extend(&core[s..e]);
            if k == last {
                w.extend(&chars[chars.len() - trail..]);
            }
            w
        })
        .collect()
}
