//! Language detection for kk/ru text, per document and per line or paragraph. Kazakh Cyrillic has
//! nine letters Russian lacks (ә ғ қ ң ө ұ ү һ і); their share among Cyrillic letters is ~10% in
//! Kazakh prose and zero in Russian, which makes a dictionary-free decision reliable once a line
//! has a few words.

use std::ops::Range;

use serde::{Deserialize, Serialize};

/// A language the portal analyses.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Lang {
    Kk,
    Ru,
}

impl Lang {
    pub fn code(self) -> &'static str {
        match self {
            Lang::Kk => "kk",
            Lang::Ru => "ru",
        }
    }
}

/// Letters of the Kazakh Cyrillic alphabet that Russian does not have.
pub fn is_kazakh_letter(c: char) -> bool {
    matches!(
        c,
        'ә' | 'ғ'
            | 'қ'
            | 'ң'
            | 'ө'
            | 'ұ'
            | 'ү'
            | 'һ'
            | 'і'
            | 'Ә'
            | 'Ғ'
            | 'Қ'
            | 'Ң'
            | 'Ө'
            | 'Ұ'
            | 'Ү'
            | 'Һ'
            | 'І'
    )
}

fn is_cyrillic(c: char) -> bool {
    matches!(c, '\u{0400}'..='\u{04FF}')
}

/// Below this many Cyrillic letters, a text without Kazakh letters is too short to call Russian
/// (`Ескерту.` is Kazakh, `Приложение` Russian).
const MIN_LETTERS_FOR_RU: usize = 20;

/// Kazakh when at least 2% of the Cyrillic letters are Kazakh-only (a stray `і` typo in a long
/// Russian paragraph stays Russian); Russian when there are enough Cyrillic letters and none or
/// nearly none are; `None` when the text has too few Cyrillic letters to tell.
pub fn guess(text: &str) -> Option<Lang> {
    let (mut cyr, mut kk) = (0usize, 0usize);
    for c in text.chars() {
        if is_cyrillic(c) {
            cyr += 1;
            kk += usize::from(is_kazakh_letter(c));
        }
    }
    if kk > 0 && kk * 50 >= cyr {
        Some(Lang::Kk)
    } else if cyr >= MIN_LETTERS_FOR_RU {
        Some(Lang::Ru)
    } else {
        None
    }
}

/// A stretch of text in one language: a byte range of the analysed text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Segment {
    pub lang: Lang,
    pub range: Range<usize>,
}

/// Splits `text` into runs of lines of one language. A line too short to tell takes the language
/// of the line before it (a heading takes the language of the text above; the first lines take
/// the language of the whole text, or `fallback` when even that cannot be told).
pub fn segments(text: &str, fallback: Lang) -> Vec<Segment> {
    let doc = guess(text).unwrap_or(fallback);
    let mut out: Vec<Segment> = Vec::new();
    let mut current = doc;
    let mut start = 0;
    for line in text.split_inclusive('\n') {
        let end = start + line.len();
        if let Some(lang) = guess(line) {
            current = lang;
        }
        match out.last_mut() {
            Some(seg) if seg.lang == current => seg.range.end = end,
            _ => out.push(Segment { lang: current, range: start..end }),
        }
        start = end;
    }
    out
}

/// The text of each language, lines in their order, stretches joined by a blank line: what goes
/// into the Kazakh and Russian fields of the index.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ByLanguage {
    pub kk: String,
    pub ru: String,
}

pub fn by_language(text: &str, fallback: Lang) -> ByLanguage {
    let mut out = ByLanguage::default();
    for seg in segments(text, fallback) {
        let target = match seg.lang {
            Lang::Kk => &mut out.kk,
            Lang::Ru => &mut out.ru,
        };
        if !target.is_empty() {
            target.push_str("\n\n");
        }
        target.push_str(text[seg.range].trim_end());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::search::test_corpus;

    #[test]
    fn guesses_by_kazakh_letters() {
        assert_eq!(guess("Мемлекеттік органдардың интранет-порталы"), Some(Lang::Kk));
        assert_eq!(
            guess("Об утверждении Инструкции по работе на интранет-портале"),
            Some(Lang::Ru)
        );
        assert_eq!(guess("Ескерту."), None);
        assert_eq!(guess("XLS, XLSX 2012"), None);
        // One stray і in a long Russian paragraph does not make it Kazakh.
        let ru = "В соответствии с подпунктом девятым статьи шестой Закона Республики Казахстан \
                  об информатизации приказываю утвердить прилагаемую инструкцию по работе і";
        assert_eq!(guess(ru), Some(Lang::Ru));
    }

    #[test]
    fn mixed_text_is_split_per_line_and_short_lines_follow_their_context() {
        let text = "Ескерту.\nМемлекеттік органдардың интранет-порталы\n\
                    Приказ Министра транспорта и коммуникаций Республики Казахстан\n\
                    Примечание.\nБұйрықтың күші жойылды\n";
        let segs = segments(text, Lang::Ru);
        let langs: Vec<Lang> = segs.iter().map(|s| s.lang).collect();
        assert_eq!(langs, vec![Lang::Kk, Lang::Ru, Lang::Kk]);
        assert_eq!(
            &text[segs[1].range.clone()],
            "Приказ Министра транспорта и коммуникаций Республики Казахстан\nПримечание.\n"
        );
        let by = by_language(text, Lang::Ru);
        assert_eq!(
            by.kk,
            "Ескерту.\nМемлекеттік органдардың интранет-порталы\n\nБұйрықтың күші жойылды"
        );
        assert!(by.ru.starts_with("Приказ Министра"));
    }

    #[test]
    fn corpus_files_are_recognised() {
        for (name, text) in test_corpus::files() {
            let expected = if name.starts_with("002_") { Lang::Ru } else { Lang::Kk };
            assert_eq!(guess(&text), Some(expected), "{name}");
            let by = by_language(&text, Lang::Ru);
            let (main, other) = match expected {
                Lang::Kk => (&by.kk, &by.ru),
                Lang::Ru => (&by.ru, &by.kk),
            };
            // Almost all of a monolingual regulation lands in its own language's field.
            assert!(other.len() * 20 < main.len(), "{name}: {} vs {}", other.len(), main.len());
        }
    }
}
