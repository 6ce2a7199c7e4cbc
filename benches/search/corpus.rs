//! The search benchmark's corpus: generated from the regulations' vocabulary
//! (`search::corpus_gen`), seeded with the artifacts whose recall is measured, written once per
//! size to a TSV file that both engines index from.

use std::collections::HashSet;
use std::io::{BufRead, BufWriter, Write};
use std::path::Path;
use std::process::{Command, Stdio};

use ipgo::portal::search::payload::{Part, Payload};
use ipgo::search::analysis;
use ipgo::search::corpus_gen::{GenConfig, Generator, Vocabulary};
use ipgo::search::index::{Body, IndexDoc};
use ipgo::search::normalize::normalize;
use tantivy::tokenizer::TextAnalyzer;

use super::{AGENCIES, KEY};

// ---------------------------------------------------------------------------------------
// Corpus

/// Content words (four letters or more, not stop words) of a ranked vocabulary, most frequent
/// first: the query mix is made of words someone would search for.
pub(crate) fn content_words(words: &[(String, u32)], mut analyzer: TextAnalyzer) -> Vec<String> {
    words
        .iter()
        .map(|(w, _)| w)
        .filter(|w| w.chars().count() >= 4 && !analysis::tokens(&mut analyzer, w).is_empty())
        .cloned()
        .collect()
}

/// The stems (by both analyzers) of every vocabulary word: the generator only writes these
/// words and other inflections of them.
pub(crate) fn vocabulary_stems(v: &Vocabulary) -> HashSet<String> {
    let (mut ru, mut kk) = (analysis::russian(), analysis::kazakh());
    let mut stems = HashSet::new();
    for (w, _) in v.ru.iter().chain(&v.kk) {
        stems.extend(analysis::tokens(&mut ru, w));
        stems.extend(analysis::tokens(&mut kk, w));
    }
    stems
}

/// The first candidate none of whose stems the generated text can contain, so that a document
/// holds the word only as the artifact put into it.
pub(crate) fn unseen<'a>(stems: &HashSet<String>, what: &str, candidates: &[&'a str]) -> &'a str {
    let (mut ru, mut kk) = (analysis::russian(), analysis::kazakh());
    candidates
        .iter()
        .find(|w| {
            analysis::tokens(&mut ru, w)
                .into_iter()
                .chain(analysis::tokens(&mut kk, w))
                .all(|s| !stems.contains(&s))
        })
        .unwrap_or_else(|| panic!("every {what} candidate occurs in the corpus vocabulary"))
}

/// `табличный` → `т а б л и ч н ы й`.
pub(crate) fn letter_spaced(word: &str) -> String {
    word.chars().map(String::from).collect::<Vec<_>>().join(" ")
}

/// The artifacts put into 1 % of documents each, and what a person would type to find them.
/// Each word is one the generated text never contains otherwise, so recall counts only what
/// the artifact itself lets an engine find.
pub(crate) struct Artifacts {
    /// Searched as typed; written letter-spaced the way PDF extraction of the regulations
    /// gives it (one space between letters, two between words).
    pub(crate) spaced_query: String,
    pub(crate) spaced_text: String,
    /// A Russian word written with one Latin look-alike letter.
    pub(crate) homoglyph_query: String,
    pub(crate) homoglyph_text: String,
    /// A Kazakh noun written in one case form, searched in another.
    pub(crate) kk_text: String,
    pub(crate) kk_query: String,
}

impl Artifacts {
    pub(crate) fn pick(v: &Vocabulary) -> Artifacts {
        let stems = vocabulary_stems(v);
        let spaced = unseen(
            &stems,
            "letter-spaced",
            &["машиночитаемый", "структурированный", "табулированный", "сводный"],
        );
        let homoglyph = unseen(
            &stems,
            "homoglyph",
            &["сопроводительного", "конфиденциальности", "координационного", "ходатайство"],
        );
        // (text form, query form): locative and genitive of the same noun.
        let kk = [
            ("мұрағатында", "мұрағаттың"),
            ("кеңсесінде", "кеңсенің"),
            ("хаттамасында", "хаттаманың"),
            ("өтінішінде", "өтініштің"),
        ];
        let kk_query = unseen(&stems, "Kazakh", &kk.map(|(_, q)| q));
        let kk_text = kk.iter().find(|(_, q)| *q == kk_query).map(|(t, _)| *t).unwrap();
        Artifacts {
            spaced_query: spaced.into(),
            spaced_text: format!("3 )  X L S X  -  {}  ф о р м а т ;", letter_spaced(spaced)),
            homoglyph_text: homoglyph.replacen('о', "o", 1),
            homoglyph_query: homoglyph.into(),
            kk_text: kk_text.into(),
            kk_query: kk_query.into(),
        }
    }

    pub(crate) fn sentence(&self, id: u64) -> Option<String> {
        match id % 100 {
            1 => Some(self.spaced_text.clone()),
            2 => Some(format!("Уточнение: {} рассматривается отдельно.", self.homoglyph_text)),
            3 => Some(format!("Ескерту: {} қаралады.", self.kk_text)),
            _ => None,
        }
    }

    /// (name, query, the residue `id % 100` of the documents holding the artifact)
    pub(crate) fn queries(&self) -> Vec<(&'static str, String, u64)> {
        vec![
            ("letter-spaced word", self.spaced_query.clone(), 1),
            ("Latin look-alike letter", self.homoglyph_query.clone(), 2),
            ("Kazakh inflection", self.kk_query.clone(), 3),
        ]
    }
}

pub(crate) fn escape_tsv(s: &str, out: &mut String) {
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\t' => out.push_str("\\t"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            c => out.push(c),
        }
    }
}

pub(crate) fn unescape_tsv(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        if c == '\\' {
            match chars.next() {
                Some('t') => out.push('\t'),
                Some('n') => out.push('\n'),
                Some('r') => out.push('\r'),
                Some(o) => out.push(o),
                None => {}
            }
        } else {
            out.push(c);
        }
    }
    out
}

pub(crate) fn principals(id: u64) -> Vec<String> {
    if id.is_multiple_of(2) {
        vec!["all".into()]
    } else {
        vec![format!("agency:{}", id % AGENCIES)]
    }
}

/// Documents per generated block (each block has its own seed, so blocks are generated in
/// parallel and the corpus is the same every run).
pub(crate) const BLOCK: u64 = 1024;

/// One block of the corpus as TSV lines, and its bytes of text.
pub(crate) fn corpus_block(
    vocab: &Vocabulary,
    shape: &GenConfig,
    art: &Artifacts,
    b: u64,
    n: u64,
) -> (String, u64) {
    let first = b * BLOCK + 1;
    let count = BLOCK.min(n + 1 - first) as usize;
    let mut out = String::new();
    let mut text_bytes = 0u64;
    let start = 1_700_000_000_000i64;
    for d in Generator::starting_at(vocab, 7 + b * 1_000_003, shape.clone(), first).take(count) {
        let mut body = d.body;
        if let Some(s) = art.sentence(d.id) {
            body.push_str("\n\n");
            body.push_str(&s);
        }
        let attachment: String =
            d.attachments.iter().map(|a| a.text.as_str()).collect::<Vec<_>>().join("\n\n");
        text_bytes += (d.title.len() + body.len() + attachment.len()) as u64;
        let doc_type = if d.id.is_multiple_of(5) { "regulation" } else { "generic" };
        out.push_str(&format!(
            "{}\t{}\t{}\t{}\t{{{}}}\t",
            d.id,
            d.id % AGENCIES,
            doc_type,
            start + d.id as i64 * 60_000,
            principals(d.id).join(",")
        ));
        escape_tsv(&d.title, &mut out);
        out.push('\t');
        escape_tsv(&body, &mut out);
        out.push('\t');
        escape_tsv(&attachment, &mut out);
        out.push('\n');
    }
    (out, text_bytes)
}

/// Writes `n` documents as TSV (PostgreSQL COPY text format), generated on every core;
/// returns the bytes of text.
pub(crate) fn write_corpus(
    vocab: &Vocabulary,
    shape: &GenConfig,
    art: &Artifacts,
    n: usize,
    path: &Path,
) -> u64 {
    // Compressed on the way to disk (the 1M-document corpus is ≈ 9 GB of text; both engines
    // read it back through `zstd -dc`, which costs both the same).
    let mut zstd = Command::new("zstd")
        .args(["-q", "-f", "-3", "-T0", "-o"])
        .arg(path)
        .stdin(Stdio::piped())
        .spawn()
        .expect("zstd (apt-get install zstd)");
    let mut out = BufWriter::with_capacity(1 << 20, zstd.stdin.take().expect("zstd stdin"));
    let blocks = (n as u64).div_ceil(BLOCK);
    let next = std::sync::atomic::AtomicU64::new(0);
    let threads = std::thread::available_parallelism().map(|t| t.get()).unwrap_or(2);
    let (tx, rx) = flume::bounded::<(u64, String, u64)>(2 * threads);
    let mut text_bytes = 0u64;
    std::thread::scope(|s| {
        for _ in 0..threads {
            let (tx, next) = (tx.clone(), &next);
            s.spawn(move || {
                loop {
                    let b = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    if b >= blocks {
                        break;
                    }
                    let (lines, bytes) = corpus_block(vocab, shape, art, b, n as u64);
                    if tx.send((b, lines, bytes)).is_err() {
                        break;
                    }
                }
            });
        }
        drop(tx);
        // Blocks arrive in any order; they are written in order.
        let mut waiting = std::collections::BTreeMap::new();
        let mut expected = 0;
        for (b, lines, bytes) in rx.iter() {
            waiting.insert(b, (lines, bytes));
            while let Some((lines, bytes)) = waiting.remove(&expected) {
                out.write_all(lines.as_bytes()).expect("write corpus");
                text_bytes += bytes;
                expected += 1;
            }
        }
    });
    out.flush().expect("flush corpus");
    drop(out);
    assert!(zstd.wait().expect("zstd").success(), "zstd failed");
    text_bytes
}

/// The corpus file's lines, decompressed by a `zstd -dc` child.
pub(crate) fn corpus_lines(path: &Path) -> impl Iterator<Item = String> {
    let mut child = Command::new("zstd")
        .arg("-dcq")
        .arg(path)
        .stdout(Stdio::piped())
        .spawn()
        .expect("zstd (apt-get install zstd)");
    let out = child.stdout.take().expect("zstd stdout");
    let mut lines = std::io::BufReader::with_capacity(1 << 20, out).lines();
    std::iter::from_fn(move || match lines.next() {
        Some(line) => Some(line.expect("corpus line")),
        None => {
            let _ = child.wait();
            None
        }
    })
}

pub(crate) struct Row {
    pub(crate) id: u64,
    pub(crate) agency: u64,
    pub(crate) doc_type: String,
    pub(crate) updated: i64,
    pub(crate) title: String,
    pub(crate) body: String,
    pub(crate) attachment: String,
}

pub(crate) fn parse_row(line: &str) -> Row {
    let f: Vec<&str> = line.split('\t').collect();
    Row {
        id: f[0].parse().unwrap(),
        agency: f[1].parse().unwrap(),
        doc_type: f[2].to_owned(),
        updated: f[3].parse().unwrap(),
        title: unescape_tsv(f[5]),
        body: unescape_tsv(f[6]),
        attachment: unescape_tsv(f[7]),
    }
}

/// What the portal's feed builds for a document (repair, sealed payload), without the store.
pub(crate) fn index_doc(row: Row) -> IndexDoc {
    let mut parts = vec![Part { text: normalize(&row.body), ..Default::default() }];
    if !row.attachment.is_empty() {
        parts.push(Part {
            file_id: Some(row.id),
            name: format!("{}.txt", row.id),
            text: normalize(&row.attachment),
            ..Default::default()
        });
    }
    let payload = Payload { title: row.title.clone(), parts, ..Default::default() };
    let sealed = payload.seal(&KEY, row.id, 1).expect("seal");
    IndexDoc {
        doc_id: row.id,
        version: 1,
        stamp: row.id,
        agency_id: row.agency,
        author_id: 1,
        doc_type: row.doc_type,
        status: "unsigned".into(),
        created: row.updated,
        updated: row.updated,
        principals: principals(row.id),
        titles: vec![normalize(&row.title)],
        bodies: payload.parts.into_iter().map(|p| Body { text: p.text, lang: None }).collect(),
        payload: sealed,
    }
}
