//! A light suffix-stripping stemmer for Kazakh (no Kazakh stemmer exists for tantivy or Snowball),
//! and its tantivy token filter.
//!
//! Kazakh is agglutinative: a noun takes suffixes in a fixed order,
//! `stem + (derivation -лық) + plural + possessive + case`, e.g.
//! `мемлекет·тік·тер·і·нің` "of their state [bodies]". Each suffix has variants chosen by
//! *vowel harmony* (back а о ұ ы vs front ә е ө ү і in the last syllable) and by the sound
//! the stem ends with (`-лар` after vowels and sonorants, `-дар` after voiced consonants, `-тар`
//! after voiceless ones). The stemmer strips one suffix per slot from the outside in, accepting
//! only the variant whose consonant fits the sound the stem ends with and whose vowel agrees with
//! the stem's last vowel, and never leaving fewer than [`MIN_STEM`] letters. The consonant check
//! is what tells `ақпарат·ы` (its information) from a false `ақпара·ты`.
//!
//! Suffix inventory, from:
//! - A. Makhambetov et al., "Data-driven morphological analysis and disambiguation for Kazakh",
//!   CICLing 2015 (noun paradigm: plural, possessive, seven cases);
//! - G. Kessikbayeva, I. Cicekli, "Rule based morphological analyzer of Kazakh language",
//!   SIGMORPHON 2014 (allomorph tables for case and possessive suffixes);
//! - the Apertium Kazakh transducer `apertium-kaz` (morphotactics and the `-ДАғы`, `-ғы`
//!   attributive suffixes);
//! - the noun tables of the English Wikipedia article "Kazakh grammar" (plural, possessive and
//!   case allomorphs; derivational `-лық/-лік`).
//!
//! Deliberately *not* stripped, because they collide with the ends of common stems: the
//! equative `-ша/-ше` (тармақша "subparagraph" ≠ тармақ "paragraph"), the bare dative `-а/-е`,
//! first- and second-person singular `-м/-ң`, and all verb inflection.

/// Fewest letters a stem keeps. Kazakh roots are rarely shorter (заң "law", жыл "year").
pub const MIN_STEM: usize = 3;

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Harmony {
    Back,
    Front,
    Neutral,
}

fn vowel_class(c: char) -> Option<Harmony> {
    match c {
        'а' | 'о' | 'ұ' | 'ы' => Some(Harmony::Back),
        'ә' | 'е' | 'ө' | 'ү' | 'і' => Some(Harmony::Front),
        // Russian loan letters: harmony of loanwords follows no single rule.
        'и' | 'у' | 'ю' | 'я' | 'э' | 'ё' => Some(Harmony::Neutral),
        _ => None,
    }
}

fn is_vowel(c: char) -> bool {
    vowel_class(c).is_some()
}

/// `у` and `й` close a syllable like consonants (тіркелу·і, not *тіркелу·сі).
fn ends_in_consonant(stem: &[char]) -> bool {
    stem.last().is_some_and(|&c| c == 'у' || c == 'й' || (c.is_alphabetic() && !is_vowel(c)))
}

fn ends_in_vowel(stem: &[char]) -> bool {
    stem.last().is_some_and(|&c| c != 'у' && is_vowel(c))
}

/// Voiceless consonants, after which suffixes take their т/қ/к/п variants.
fn ends_voiceless(stem: &[char]) -> bool {
    matches!(stem.last(), Some('к' | 'қ' | 'п' | 'с' | 'т' | 'ф' | 'х' | 'ц' | 'ч' | 'ш' | 'щ'))
}

fn ends_nasal(stem: &[char]) -> bool {
    matches!(stem.last(), Some('м' | 'н' | 'ң'))
}

/// The stem ends in the possessive `-ы/-і/-сы/-сі`, which `-н`, `-на`, `-нда`, `-ндағы` follow.
fn after_possessive(stem: &[char]) -> bool {
    matches!(stem.last(), Some('ы' | 'і'))
}

/// What the stem must end with for a suffix variant to fit (the consonant alternations).
#[derive(Clone, Copy)]
enum Cond {
    /// Anything.
    None,
    /// A vowel (the н-variants: -ны, -сы).
    Vowel,
    /// A consonant, `у` or `й` (-ы, -ым).
    Consonant,
    /// The third-person possessive (-н, -на, -нда, -ндағы).
    Possessive,
    /// A voiceless consonant (the т/қ/к variants).
    Voiceless,
    /// A vowel or a voiced consonant (the д/л/ғ/г variants).
    NotVoiceless,
    /// A voiced consonant (-ды, -дың: after vowels these are -ны, -ның).
    VoicedConsonant,
    /// A vowel or a nasal (genitive -ның).
    VowelOrNasal,
}

impl Cond {
    fn holds(self, stem: &[char]) -> bool {
        match self {
            Cond::None => true,
            Cond::Vowel => ends_in_vowel(stem),
            Cond::Consonant => ends_in_consonant(stem),
            Cond::Possessive => after_possessive(stem),
            Cond::Voiceless => ends_voiceless(stem),
            Cond::NotVoiceless => !ends_voiceless(stem),
            Cond::VoicedConsonant => ends_in_consonant(stem) && !ends_voiceless(stem),
            Cond::VowelOrNasal => ends_in_vowel(stem) || ends_nasal(stem),
        }
    }
}

struct Suffix {
    text: &'static str,
    cond: Cond,
}

const fn s(text: &'static str, cond: Cond) -> Suffix {
    Suffix { text, cond }
}

use Cond::{
    Consonant as C, None as N, NotVoiceless as D, Possessive as P, VoicedConsonant as VC,
    Voiceless as T, Vowel as V, VowelOrNasal as VN,
};

/// Case endings and the attributive suffixes that stand in the case slot.
#[rustfmt::skip]
const CASE: &[Suffix] = &[
    // Locative-attributive -ДАғы "which is in": жөнін·дегі, салалары·ндағы.
    s("ндағы", P), s("ндегі", P), s("дағы", D), s("дегі", D), s("тағы", T), s("тегі", T),
    // Genitive.
    s("ның", VN), s("нің", VN), s("дың", VC), s("дің", VC), s("тың", T), s("тің", T),
    // Ablative.
    s("нан", P), s("нен", P), s("дан", D), s("ден", D), s("тан", T), s("тен", T),
    // Instrumental (does not harmonise).
    s("мен", N), s("бен", N), s("пен", N),
    // Locative (-нДА after the possessive).
    s("нда", P), s("нде", P), s("да", D), s("де", D), s("та", T), s("те", T),
    // Dative (-нА after the possessive).
    s("на", P), s("не", P), s("ға", D), s("ге", D), s("қа", T), s("ке", T),
    // Accusative (-н after the possessive).
    s("ны", V), s("ні", V), s("ды", VC), s("ді", VC), s("ты", T), s("ті", T), s("н", P),
    // Temporal attributive -ғы: жыл·ғы, бүгін·гі.
    s("ғы", VC), s("гі", VC), s("қы", T), s("кі", T),
];

/// Possessive endings (third person, first and second plural, polite second person).
#[rustfmt::skip]
const POSSESSIVE: &[Suffix] = &[
    s("ымыз", C), s("іміз", C), s("мыз", V), s("міз", V),
    s("ыңыз", C), s("іңіз", C), s("ңыз", V), s("ңіз", V),
    s("сы", V), s("сі", V), s("ы", C), s("і", C),
];

/// The third-person possessive after a consonant, tried once more at the end.
const FINAL_VOWEL: &[Suffix] = &[s("ы", C), s("і", C)];

#[rustfmt::skip]
const PLURAL: &[Suffix] =
    &[s("лар", D), s("лер", D), s("дар", D), s("дер", D), s("тар", T), s("тер", T)];

/// Derivational -лық "-ness, -al": мемлекет·тік "state (adj.)", министр·лік "ministry".
#[rustfmt::skip]
const DERIVATION: &[Suffix] =
    &[s("лық", D), s("лік", D), s("дық", D), s("дік", D), s("тық", T), s("тік", T)];

/// Stems the rules would cut into (-стан "land" looks like the ablative -тан).
const PROTECTED: &[&str] = &[
    "қазақстан",
    "өзбекстан",
    "қырғызстан",
    "тәжікстан",
    "түрікменстан",
    "ауғанстан",
    "пәкістан",
    "үндістан",
    "дағыстан",
    "татарстан",
    "башқұртстан",
];

/// Stems one lowercase word. Words with characters other than Cyrillic letters (numbers, Latin
/// names) are returned unchanged.
pub fn stem(word: &str) -> String {
    if !word.chars().all(|c| matches!(c, '\u{0400}'..='\u{04FF}')) {
        return word.to_string();
    }
    let mut chars: Vec<char> = word.chars().collect();
    let floor = PROTECTED
        .iter()
        .find(|p| word.starts_with(*p))
        .map_or(MIN_STEM, |p| p.chars().count().max(MIN_STEM));
    for slot in [CASE, POSSESSIVE, PLURAL, DERIVATION] {
        strip(&mut chars, slot, floor);
    }
    // A stem-final -ы/-і left after the plural is stripped is the possessive's twin
    // (қатысушы·лар vs қатысуш·ы): drop it so every form meets.
    strip(&mut chars, FINAL_VOWEL, floor);
    devoice(&mut chars);
    chars.into_iter().collect()
}

/// Strips the longest suffix of `slot` whose conditions hold; true when one was stripped.
fn strip(chars: &mut Vec<char>, slot: &[Suffix], floor: usize) -> bool {
    let mut best: Option<usize> = None;
    let last = chars.last().copied();
    for suf in slot {
        if suf.text.chars().next_back() != last {
            continue;
        }
        let n = suf.text.chars().count();
        if chars.len() < n + floor || !chars[chars.len() - n..].iter().copied().eq(suf.text.chars())
        {
            continue;
        }
        let (stem, sc) = chars.split_at(chars.len() - n);
        if suf.cond.holds(stem)
            && !possessive_s_misread(stem, sc)
            && harmonises(stem, sc)
            && stem.iter().any(|&c| is_vowel(c))
        {
            best = Some(best.map_or(n, |b: usize| b.max(n)));
        }
    }
    let Some(len) = best else { return false };
    let first = chars[chars.len() - len];
    chars.truncate(chars.len() - len);
    if is_vowel(first) {
        devoice(chars);
    }
    true
}

/// `-сы/-сі` after a stem in `ы/і` is almost always a misreading of `-с·ы` (жұмыс·ы "its work",
/// not *жұмы·сы); the exception is agent nouns in `-шы/-ші` (қатысушы·сы "its participant").
fn possessive_s_misread(stem: &[char], suffix: &[char]) -> bool {
    matches!(suffix, ['с', 'ы' | 'і'])
        && matches!(stem.last(), Some('ы' | 'і'))
        && !matches!(stem, [.., 'ш', 'ы' | 'і'])
}

/// The suffix's vowel agrees with the stem's last vowel (loanword vowels agree with both). The
/// instrumental -мен/-бен/-пен is the one suffix that does not harmonise (органмен).
fn harmonises(stem: &[char], suffix: &[char]) -> bool {
    if matches!(suffix, ['м' | 'б' | 'п', 'е', 'н']) {
        return true;
    }
    let want = suffix.iter().find_map(|&c| vowel_class(c));
    let have = stem.iter().rev().find_map(|&c| vowel_class(c));
    match (want, have) {
        (Some(w), Some(h)) => w == h || w == Harmony::Neutral || h == Harmony::Neutral,
        _ => true,
    }
}

/// Stem-final б г ғ are the voiced forms of п к қ before a vowel (кітап → кітабы,
/// бұйрық → бұйрығы): devoice so both forms give one stem.
fn devoice(chars: &mut [char]) {
    if let Some(last) = chars.last_mut() {
        *last = match *last {
            'б' => 'п',
            'г' => 'к',
            'ғ' => 'қ',
            c => c,
        };
    }
}

/// Conjunctions, particles and pronouns too frequent to help a search (Kazakh has no standard
/// list; these are the function words of the regulations in `shared/corpus`).
pub const STOP_WORDS: &[&str] = &[
    "және",
    "мен",
    "бен",
    "пен",
    "да",
    "де",
    "та",
    "те",
    "ол",
    "осы",
    "бұл",
    "сол",
    "үшін",
    "немесе",
    "әрі",
    "не",
    "ма",
    "ме",
    "ба",
    "бе",
    "па",
    "пе",
    "ғана",
    "тек",
    "еді",
    "екен",
];

/// The stemmer as a tantivy token filter (apply after lowercasing).
pub const STEMMER: super::analysis::MapText = super::analysis::MapText(stem_token);

fn stem_token(text: &mut String) {
    *text = stem(text);
}

#[cfg(test)]
#[path = "kazakh_tests.rs"]
mod tests;
