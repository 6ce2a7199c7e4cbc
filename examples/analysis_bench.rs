//! Throughput of the search text pipeline on generated kk/ru documents, beside a baseline
//! measured in the same run (tantivy's plain lowercasing analyzer on the raw text):
//! normalize → split by language → Russian/Kazakh/exact analyzers.
//!
//! `cargo run --release --example analysis_bench -- CORPUS_DIR [DOCS]`

use std::time::Instant;

use ipgo::search::analysis::{exact, kazakh, russian, tokens};
use ipgo::search::corpus_gen::{GenConfig, Generator, Vocabulary};
use ipgo::search::lang::{self, Lang};
use ipgo::search::normalize::normalize;
use tantivy::tokenizer::{LowerCaser, SimpleTokenizer, TextAnalyzer};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let dir = args.first().ok_or("usage: analysis_bench CORPUS_DIR [DOCS]")?;
    let n: usize = args.get(1).map(|s| s.parse()).transpose()?.unwrap_or(2000);
    let vocab = Vocabulary::from_dir(std::path::Path::new(dir))?;
    let docs: Vec<String> = Generator::new(&vocab, 1, GenConfig::default())
        .take(n)
        .map(|d| format!("{}\n\n{}", d.title, d.body))
        .collect();
    let bytes: usize = docs.iter().map(String::len).sum();
    let mb = bytes as f64 / 1e6;
    println!("{n} documents, {mb:.1} MB");

    let mut plain = TextAnalyzer::builder(SimpleTokenizer::default()).filter(LowerCaser).build();
    let t = Instant::now();
    let mut count = 0;
    for d in &docs {
        count += tokens(&mut plain, d).len();
    }
    let base = t.elapsed().as_secs_f64();
    println!("baseline  lowercase tokens   {:>7.1} MB/s ({count} tokens)", mb / base);

    let t = Instant::now();
    let normalized: Vec<String> = docs.iter().map(|d| normalize(d)).collect();
    let norm = t.elapsed().as_secs_f64();
    println!("normalize                    {:>7.1} MB/s", mb / norm);

    let (mut ru, mut kk, mut ex) = (russian(), kazakh(), exact());
    let t = Instant::now();
    let split: Vec<_> = normalized.iter().map(|d| lang::by_language(d, Lang::Ru)).collect();
    println!("  split by language          {:>7.1} MB/s", mb / t.elapsed().as_secs_f64());
    for (name, analyzer, pick) in [
        ("ru analyzer on ru text", &mut ru, 0),
        ("kk analyzer on kk text", &mut kk, 1),
        ("exact analyzer on all", &mut ex, 2),
    ] {
        let t = Instant::now();
        let (mut n, mut b) = (0, 0);
        for (d, by) in normalized.iter().zip(&split) {
            let text = [&by.ru, &by.kk, d][pick];
            b += text.len();
            n += tokens(analyzer, text).len();
        }
        let secs = t.elapsed().as_secs_f64();
        println!("  {name:<26} {:>7.1} MB/s ({n} tokens)", b as f64 / 1e6 / secs);
    }
    let t = Instant::now();
    let mut count = 0;
    for d in &normalized {
        let by = lang::by_language(d, Lang::Ru);
        count += tokens(&mut ru, &by.ru).len() + tokens(&mut kk, &by.kk).len();
        count += tokens(&mut ex, d).len();
    }
    let ana = t.elapsed().as_secs_f64();
    println!("split + ru/kk/exact analyzers {:>6.1} MB/s ({count} tokens)", mb / ana);
    println!("whole pipeline               {:>7.1} MB/s", mb / (norm + ana));
    Ok(())
}
