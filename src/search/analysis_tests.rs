//! Tests of the analyzers: Russian and Kazakh inflections meet, exact tokens keep the word, and
//! mixed kk/ru text is analysed per stretch of one language.

use super::*;
use crate::search::lang::{self, Lang};
use crate::search::normalize::normalize;
use crate::search::test_corpus;

fn ru(text: &str) -> Vec<String> {
    tokens(&mut russian(), text)
}

fn kk(text: &str) -> Vec<String> {
    tokens(&mut kazakh(), text)
}

#[test]
fn russian_inflections_meet() {
    assert_eq!(ru("порталом"), ru("портале"));
    assert_eq!(ru("Порталом"), ru("ПОРТАЛ"));
    assert_eq!(ru("портала"), ru("порталах"));
    assert_eq!(ru("государственных органов"), ru("государственные органы"));
    assert_eq!(ru("Инструкцию"), ru("инструкции"));
    assert_eq!(ru("ещё"), ru("еще"));
    // Stop words go.
    assert_eq!(ru("в и на портале"), ru("портале"));
}

#[test]
fn kazakh_inflections_meet() {
    assert_eq!(kk("Мемлекеттік органдардың"), kk("мемлекетке органдарына"));
    assert_eq!(kk("порталының"), kk("порталында"));
    assert_eq!(kk("ҚАЗАҚСТАН РЕСПУБЛИКАСЫНЫҢ"), vec!["қазақстан", "республика"]);
    // Stop words go.
    assert_eq!(kk("осы бұйрық және"), kk("бұйрықтың"));
}

#[test]
fn the_russian_stemmer_would_mangle_kazakh() {
    // Why Kazakh text needs its own field and analyzer (STACK-NOTES).
    assert_ne!(ru("органдардың"), ru("орган"));
    assert_eq!(kk("органдардың"), kk("орган"));
}

#[test]
fn exact_analyzer_keeps_words_and_folds_case_homoglyphs_and_yo() {
    let mut ex = exact();
    assert_eq!(tokens(&mut ex, "Порталом ПОРТАЛЕ"), vec!["порталом", "портале"]);
    assert_eq!(tokens(&mut ex, "инtranet-портал"), vec!["интранет", "портал"]);
    assert_eq!(tokens(&mut ex, "Всё"), vec!["все"]);
    // Positions are kept for phrase queries.
    let mut stream = ex.token_stream("мемлекеттік органдардың интранет");
    let mut positions = Vec::new();
    while stream.advance() {
        positions.push(stream.token().position);
    }
    assert_eq!(positions, vec![0, 1, 2]);
}

#[test]
fn query_folding_in_the_analyzer_meets_repaired_documents() {
    // A query typed with the Latin layout meets the repaired document even without normalize_query.
    assert_eq!(kk("инtranet-порталында"), kk(&normalize("интранет-порталы")));
}

#[test]
fn mixed_text_is_analysed_per_language() {
    let text = "Мемлекеттік органдардың интранет-порталында жұмыс істеу жөніндегі нұсқаулық\n\
                Об утверждении Инструкции по работе на интранет-портале государственных органов\n";
    let by = lang::by_language(text, Lang::Ru);
    let kk_tokens = kk(&by.kk);
    let ru_tokens = ru(&by.ru);
    assert!(kk_tokens.contains(&"портал".to_string()), "{kk_tokens:?}");
    assert!(kk_tokens.contains(&"орган".to_string()));
    assert!(ru_tokens.contains(&ru("порталом")[0]), "{ru_tokens:?}");
    assert!(!kk_tokens.iter().any(|t| t.starts_with("инструкц")));
    assert!(!ru_tokens.iter().any(|t| t.starts_with("мемлекет")));
}

#[test]
fn registered_analyzers_are_found_by_name_on_a_real_index() {
    use tantivy::schema::{IndexRecordOption, STORED, Schema, TextFieldIndexing, TextOptions};
    let mut builder = Schema::builder();
    for name in [RU, KK, EXACT] {
        let opts = TextOptions::default().set_stored().set_indexing_options(
            TextFieldIndexing::default()
                .set_tokenizer(name)
                .set_index_option(IndexRecordOption::WithFreqsAndPositions),
        );
        builder.add_text_field(name, opts);
    }
    builder.add_u64_field("id", STORED);
    let index = Index::create_in_ram(builder.build());
    register(&index);
    for name in [RU, KK, EXACT] {
        assert!(index.tokenizers().get(name).is_some(), "{name} not registered");
    }
    let mut a = index.tokenizers().get(RU).expect("ru");
    assert_eq!(tokens(&mut a, "порталом"), ru("портале"));
}

#[test]
fn every_corpus_file_analyses_to_tokens_of_its_language() {
    for (name, text) in test_corpus::files() {
        let by = lang::by_language(&normalize(&text), Lang::Ru);
        let (main, analyzer) = if name.starts_with("002_") { (&by.ru, RU) } else { (&by.kk, KK) };
        let mut a = match analyzer {
            RU => russian(),
            _ => kazakh(),
        };
        let toks = tokens(&mut a, main);
        assert!(toks.len() > 1000, "{name}: {} tokens", toks.len());
        assert!(toks.iter().all(|t| t.len() <= MAX_TOKEN_BYTES));
    }
}
