//! Tests of text repair: table-driven cases, then the real raw files of `shared/corpus`.

use super::*;
use crate::search::test_corpus;

#[track_caller]
fn check(input: &str, expected: &str) {
    let got = normalize(input);
    assert_eq!(got, expected, "normalize({input:?})");
    assert_eq!(normalize(&got), got, "normalize is not idempotent on {input:?}");
}

#[test]
fn unicode_forms_and_invisible_characters() {
    check("госу\u{AD}дарство", "государство");
    check("интранет\u{200B}портал", "интранетпортал");
    check("\u{FEFF}Приказ № 385", "Приказ № 385");
    check("ﬁle № 7", "file № 7");
    check("Ｐｏｒｔａｌ", "Portal");
    check("во\u{A0}исполнение", "во исполнение");
    check("ёлка Ёж её", "елка Еж ее");
    check("е\u{308}лка", "елка");
    check("строка\r\nдругая\rещё", "строка\nдругая\nеще");
}

#[test]
fn words_hyphenated_across_line_breaks() {
    check("государ-\nственных органов", "государственных органов");
    check("государ-  \n      ственных", "государственных");
    check("мемлекет-\nтік органдар", "мемлекеттік органдар");
    // A real compound, seen with its hyphen elsewhere in the text, keeps it.
    check("интранет-портал и интранет-\nпортал", "интранет-портал и интранет-портал");
    // A capital after the break starts a new item: nothing is joined.
    check("Приложение 1 -\nПриказ", "Приложение 1 -\nПриказ");
    check("пункт 2-\n3", "пункт 2-\n3");
}

#[test]
fn letter_spaced_words_with_wide_word_gaps() {
    check(
        "участников Интранет-портала г о с у д а р с т в е н н ы х  о р г а н о в .",
        "участников Интранет-портала государственных органов.",
    );
    check("м е м л е к е т т і к  т і р к е л у і н ;", "мемлекеттік тіркелуін;");
    check(
        " с ә й к е с  т а р м а қ ш а с ы н а Б Ұ Й Ы Р А М Ы Н :",
        " сәйкес тармақшасына БҰЙЫРАМЫН:",
    );
    check(
        "3 )  X L S ,  X L S X  -  т а б л и ч н ы й  ф о р м а т ;",
        "3) XLS, XLSX - табличный формат;",
    );
    // Real one-letter words standing between wide gaps stay words of their own.
    check("с о г л а с н о  с  п р и к а з о м", "согласно с приказом");
    check("п о р т а л  и  в  с е т и", "портал и в сети");
    check("Г о с у д а р с т в е н н ы й", "Государственный");
}

#[test]
fn real_one_letter_words_are_never_glued() {
    check("и в том числе", "и в том числе");
    check("а и в с тем", "а и в с тем");
    check("с учетом и в соответствии с", "с учетом и в соответствии с");
    check("пункты 1 2 3 4 5", "пункты 1 2 3 4 5");
    check("Қ.Б. Елеусізова", "Қ.Б. Елеусізова");
    check("ол е деп жауап берді", "ол е деп жауап берді");
}

#[test]
fn letter_spaced_words_without_word_gaps_split_by_the_documents_vocabulary() {
    check(
        "Порядок работы государственных органов.\nп о р я д о к р а б о т ы г о с у д а р с т в е н н ы х о р г а н о в",
        "Порядок работы государственных органов.\nпорядок работы государственных органов",
    );
    check("порталы и сети\nп о р т а л ы и с е т и", "порталы и сети\nпорталы и сети");
    // No known split: the letters are glued into one word rather than left spaced.
    check("ж у м ы с ы", "жумысы");
}

#[test]
fn mixed_script_homoglyphs() {
    check("инtranet-порталында", "интранет-порталында");
    check("Үкiметiнiң шешiмiмен", "Үкіметінің шешімімен");
    check("мемлекеттiк", "мемлекеттік");
    check("қарau", "қарау");
    check("пoртaл", "портал");
    check("Windоws", "Windows");
    check("PDF-файл XLSX intranet", "PDF-файл XLSX intranet");
    check("НОMEP", "НОМЕР");
    check("Cистема", "Система");
}

#[test]
fn query_normalization_folds_characters_but_not_layout() {
    assert_eq!(normalize_query("инtranet"), "интранет");
    assert_eq!(normalize_query("Ёлка"), "Елка");
    assert_eq!(normalize_query("а в с"), "а в с");
}

const REAL_ONE_LETTER: &[&str] = &["и", "в", "с", "к", "о", "у", "а", "я"];

/// Words of the text that contain a real one-letter word glued to its neighbour, as a sanity net:
/// lowercase words in the repaired text that do not occur in the clean text of the corpus.
#[test]
fn raw_corpus_files_are_repaired() {
    let files = test_corpus::files();
    let raw_ru = test_corpus::read(&files, "002_");
    let fixed = normalize(&raw_ru);
    assert!(fixed.contains("государственных органов."), "letter-spaced ru words not repaired");
    assert!(fixed.contains("XLS, XLSX - табличный формат;"));
    assert!(!fixed.contains("г о с у д"));

    let raw_kk = test_corpus::read(&files, "000_");
    let fixed = normalize(&raw_kk);
    assert!(fixed.contains("мемлекеттік тіркелуін;"));
    assert!(fixed.contains("Үкіметінің"), "Latin i not folded to Kazakh і");
    assert!(raw_kk.contains("мемлекеттiк"), "the raw file has Latin i inside Kazakh words");
    assert_eq!(mixed_script_words(&fixed), Vec::<String>::new());

    let raw_kk2 = test_corpus::read(&files, "003_");
    let fixed = normalize(&raw_kk2);
    assert!(fixed.contains("сәйкес тармақшасына БҰЙЫРАМЫН:"));

    let md_kk = test_corpus::read(&files, "004_");
    let fixed = normalize(&md_kk);
    assert_eq!(mixed_script_words(&fixed), Vec::<String>::new());
    assert_eq!(fixed.matches("интранет").count(), md_kk.matches("инtranet").count());
    assert!(fixed.contains("қарау"));
}

#[test]
fn every_corpus_file_keeps_its_one_letter_words_and_words() {
    for (name, text) in test_corpus::files() {
        let fixed = normalize(&text);
        let count =
            |t: &str, w: &str| t.split(|c: char| !c.is_alphabetic()).filter(|x| *x == w).count();
        for w in REAL_ONE_LETTER {
            let before = count(&text, w);
            let after = count(&fixed, w);
            // Letter-spaced runs hold single letters that are not words, so repair can only
            // lower the count by the letters of those runs; a real word never disappears.
            let spaced_letters = spaced_letter_count(&text, w);
            assert!(
                after + spaced_letters >= before,
                "{name}: '{w}' {before} → {after} (spaced letters {spaced_letters})"
            );
        }
        // No glued monsters: every repaired word longer than 25 letters already existed.
        for word in fixed.split(|c: char| !c.is_alphabetic()) {
            if word.chars().count() > 25 {
                assert!(text.contains(word), "{name}: glued word {word:?}");
            }
        }
        assert_eq!(normalize(&fixed), fixed, "{name}: not idempotent");
    }
}

/// How many times letter `w` appears inside letter-spaced runs of `text`.
fn spaced_letter_count(text: &str, w: &str) -> usize {
    let mut n = 0;
    for line in text.lines() {
        let toks: Vec<&str> = line.split_whitespace().collect();
        let mut i = 0;
        while i < toks.len() {
            let mut j = i;
            while j < toks.len() && toks[j].chars().count() == 1 {
                j += 1;
            }
            if j - i >= MIN_SPACED_LETTERS {
                n += toks[i..j].iter().filter(|t| **t == w).count();
            }
            i = j.max(i + 1);
        }
    }
    n
}

/// Words that still mix Cyrillic and Latin letters.
fn mixed_script_words(text: &str) -> Vec<String> {
    text.split(|c: char| !c.is_alphabetic())
        .filter(|w| w.chars().any(is_cyrillic) && w.chars().any(|c| c.is_ascii_alphabetic()))
        .map(str::to_string)
        .collect()
}
