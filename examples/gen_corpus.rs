//! Writes a synthetic kk/ru corpus for search benchmarks as JSON lines on stdout, one document
//! (`{id, lang, title, body, attachments:[{name, text}]}`) per line.
//!
//! `cargo run --release --example gen_corpus -- CORPUS_DIR COUNT [SEED] > docs.jsonl`
//! (CORPUS_DIR: the regulations in `shared/corpus`, whose vocabulary is sampled.)

use std::io::Write;
use std::path::PathBuf;

use ipgo::search::corpus_gen::{GenConfig, Generator, Vocabulary};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (Some(dir), Some(count)) = (args.first(), args.get(1)) else {
        return Err("usage: gen_corpus CORPUS_DIR COUNT [SEED]".into());
    };
    let count: u64 = count.parse()?;
    let seed: u64 = args.get(2).map(|s| s.parse()).transpose()?.unwrap_or(1);
    let vocab = Vocabulary::from_dir(&PathBuf::from(dir))?;
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    for doc in Generator::new(&vocab, seed, GenConfig::default()).take(count as usize) {
        serde_json::to_writer(&mut out, &doc)?;
        out.write_all(b"\n")?;
    }
    out.flush()?;
    Ok(())
}
