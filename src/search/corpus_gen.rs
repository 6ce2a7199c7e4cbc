//! A deterministic generator of realistic kk/ru documents for search benchmarks: words are drawn
//! with Zipf's law over the vocabulary of the real regulations (ranked by frequency), a share of
//! them re-inflected (Kazakh case/plural/possessive suffixes chosen by vowel harmony and the
//! stem's last sound; Russian noun and adjective endings), and assembled into titles, sentences,
//! paragraphs and text attachments. The same seed always gives the same documents.

use std::collections::HashMap;
use std::path::Path;

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::Serialize;

use super::lang::{self, Lang};
use super::normalize::normalize;
use super::{kazakh, russian};

/// Words of each language ranked by frequency (most frequent first).
#[derive(Clone, Debug, Default)]
pub struct Vocabulary {
    pub kk: Vec<(String, u32)>,
    pub ru: Vec<(String, u32)>,
}

impl Vocabulary {
    /// Counts the words (lowercase, letters only, two or more) of each language in `texts`.
    pub fn from_texts<'a>(texts: impl IntoIterator<Item = &'a str>) -> Self {
        let mut counts: [HashMap<String, u32>; 2] = Default::default();
        for text in texts {
            let by = lang::by_language(&normalize(text), Lang::Ru);
            for (i, part) in [by.kk, by.ru].iter().enumerate() {
                for w in part.split(|c: char| !c.is_alphabetic()) {
                    if w.chars().count() >= 2 {
                        *counts[i].entry(w.to_lowercase()).or_default() += 1;
                    }
                }
            }
        }
        let rank = |m: HashMap<String, u32>| {
            let mut v: Vec<(String, u32)> = m.into_iter().collect();
            v.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
            v
        };
        let [kk, ru] = counts;
        Vocabulary { kk: rank(kk), ru: rank(ru) }
    }

    /// The vocabulary of every `.txt` file in `dir` (read in name order).
    pub fn from_dir(dir: &Path) -> std::io::Result<Self> {
        let mut paths: Vec<_> = std::fs::read_dir(dir)?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|e| e == "txt"))
            .collect();
        paths.sort();
        let texts: Vec<String> =
            paths.iter().map(std::fs::read_to_string).collect::<Result<_, _>>()?;
        Ok(Self::from_texts(texts.iter().map(String::as_str)))
    }
}

/// Shape of the generated documents.
#[derive(Clone, Debug)]
pub struct GenConfig {
    /// Zipf exponent (1.0 is natural language).
    pub zipf_s: f64,
    /// Share of Kazakh documents.
    pub kk_share: f64,
    /// Share of words given a different inflection.
    pub inflect_share: f64,
    pub body_words: (usize, usize),
    pub attachment_share: f64,
    pub attachment_words: (usize, usize),
}

impl Default for GenConfig {
    fn default() -> Self {
        GenConfig {
            zipf_s: 1.0,
            kk_share: 0.5,
            inflect_share: 0.3,
            body_words: (80, 600),
            attachment_share: 0.3,
            attachment_words: (200, 2000),
        }
    }
}

impl GenConfig {
    /// Shaped like a portal's store: most documents a short text (median ≈ 3 KB, ≈ 190
    /// words), one in twenty with an attachment's text of 50–200 KB.
    pub fn portal() -> Self {
        GenConfig {
            body_words: (100, 280),
            attachment_share: 0.05,
            attachment_words: (3_200, 12_800),
            ..GenConfig::default()
        }
    }
}

#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct GenAttachment {
    pub name: String,
    pub text: String,
}

#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct GenDoc {
    pub id: u64,
    pub lang: Lang,
    pub title: String,
    pub body: String,
    pub attachments: Vec<GenAttachment>,
}

/// Cumulative Zipf weights over a ranked word list.
struct Sampler {
    words: Vec<String>,
    cumulative: Vec<f64>,
}

impl Sampler {
    fn new(ranked: &[(String, u32)], s: f64) -> Self {
        let mut total = 0.0;
        let cumulative = (0..ranked.len())
            .map(|r| {
                total += 1.0 / ((r + 1) as f64).powf(s);
                total
            })
            .collect();
        Sampler { words: ranked.iter().map(|(w, _)| w.clone()).collect(), cumulative }
    }

    fn sample(&self, rng: &mut ChaCha8Rng) -> &str {
        let total = self.cumulative.last().copied().unwrap_or(0.0);
        let x = rng.random::<f64>() * total;
        let i = self.cumulative.partition_point(|&c| c < x).min(self.words.len() - 1);
        &self.words[i]
    }
}

pub struct Generator {
    rng: ChaCha8Rng,
    config: GenConfig,
    kk: Sampler,
    ru: Sampler,
    ru_stemmer: frostem::Stemmer,
    next_id: u64,
}

impl Generator {
    /// Documents from id `first` on, drawn with their own seed: blocks of a large corpus
    /// can be generated in parallel and still come out the same every time.
    pub fn starting_at(vocab: &Vocabulary, seed: u64, config: GenConfig, first: u64) -> Self {
        let mut g = Generator::new(vocab, seed, config);
        g.next_id = first;
        g
    }

    /// Panics if either language's vocabulary is empty.
    pub fn new(vocab: &Vocabulary, seed: u64, config: GenConfig) -> Self {
        assert!(!vocab.kk.is_empty() && !vocab.ru.is_empty(), "empty vocabulary");
        Generator {
            rng: ChaCha8Rng::seed_from_u64(seed),
            kk: Sampler::new(&vocab.kk, config.zipf_s),
            ru: Sampler::new(&vocab.ru, config.zipf_s),
            config,
            ru_stemmer: frostem::Stemmer::new(frostem::Algorithm::Russian),
            next_id: 1,
        }
    }

    pub fn next_document(&mut self) -> GenDoc {
        let lang = if self.rng.random_bool(self.config.kk_share) { Lang::Kk } else { Lang::Ru };
        let title = self.sentence(lang, 6, 12);
        let (lo, hi) = self.config.body_words;
        let body = self.text(lang, lo, hi);
        let mut attachments = Vec::new();
        if self.rng.random_bool(self.config.attachment_share) {
            let (lo, hi) = self.config.attachment_words;
            let text = self.text(lang, lo, hi);
            attachments.push(GenAttachment {
                name: format!("{}-{}.txt", self.next_id, lang.code()),
                text,
            });
        }
        let id = self.next_id;
        self.next_id += 1;
        GenDoc { id, lang, title: title.trim_end_matches('.').to_string(), body, attachments }
    }

    /// Paragraphs of 2–6 sentences until about `lo..hi` words.
    fn text(&mut self, lang: Lang, lo: usize, hi: usize) -> String {
        let target = self.rng.random_range(lo..=hi.max(lo));
        let (mut words, mut out) = (0, String::new());
        while words < target {
            let n = self.rng.random_range(2..=6);
            for k in 0..n {
                let s = self.sentence(lang, 6, 20);
                words += s.split_whitespace().count();
                if k > 0 {
                    out.push(' ');
                }
                out.push_str(&s);
            }
            out.push_str("\n\n");
        }
        out.truncate(out.trim_end().len());
        out
    }

    fn sentence(&mut self, lang: Lang, lo: usize, hi: usize) -> String {
        let n = self.rng.random_range(lo..=hi);
        let mut words: Vec<String> = Vec::with_capacity(n + 2);
        for _ in 0..n {
            let w = match lang {
                Lang::Kk => self.kk.sample(&mut self.rng).to_string(),
                Lang::Ru => self.ru.sample(&mut self.rng).to_string(),
            };
            // Abbreviations and short function words keep their form.
            let inflectable = w.chars().count() >= 5;
            let w = if inflectable && self.rng.random_bool(self.config.inflect_share) {
                self.inflect(lang, &w)
            } else {
                w
            };
            words.push(w);
        }
        if self.rng.random_bool(0.15) {
            let no = self.rng.random_range(1..1000);
            let at = self.rng.random_range(0..words.len());
            words.insert(at, format!("№ {no}"));
        }
        let mut s = words.join(" ");
        if let Some(first) = s.chars().next() {
            s.replace_range(..first.len_utf8(), &first.to_uppercase().to_string());
        }
        s.push('.');
        s
    }

    fn inflect(&mut self, lang: Lang, word: &str) -> String {
        match lang {
            Lang::Kk => kk_inflect(&kazakh::stem(word), &mut self.rng),
            Lang::Ru => {
                let stem = russian::stem(&self.ru_stemmer, word);
                let endings: &[&str] = if word.ends_with("ый")
                    || word.ends_with("ий")
                    || word.ends_with("ая")
                    || word.ends_with("ых")
                    || word.ends_with("ого")
                {
                    &["ый", "ого", "ому", "ым", "ом", "ая", "ой", "ую", "ые", "ых", "ыми"]
                } else {
                    &["", "а", "у", "ом", "е", "ы", "ов", "ам", "ами", "ах"]
                };
                format!("{stem}{}", endings[self.rng.random_range(0..endings.len())])
            }
        }
    }
}

impl Iterator for Generator {
    type Item = GenDoc;

    fn next(&mut self) -> Option<GenDoc> {
        Some(self.next_document())
    }
}

/// Appends a plural, possessive and/or case suffix to a Kazakh stem, each variant chosen by the
/// stem's last vowel (back/front) and last sound (vowel, voiced, voiceless).
pub fn kk_inflect(stem: &str, rng: &mut impl Rng) -> String {
    let mut word = stem.to_string();
    if rng.random_bool(0.3) {
        word.push_str(pick(&word, ["лар", "лер"], ["дар", "дер"], ["тар", "тер"]));
    }
    if rng.random_bool(0.3) {
        let poss = if ends_vowel(&word) { ["сы", "сі"] } else { ["ы", "і"] };
        word.push_str(if front(&word) { poss[1] } else { poss[0] });
        let case = ["ның", "на", "н", "нда", "мен"][rng.random_range(0..5)];
        let case = match (case, front(&word)) {
            ("ның", true) => "нің",
            ("на", true) => "не",
            ("нда", true) => "нде",
            (c, _) => c,
        };
        word.push_str(case);
        return word;
    }
    let suffix = match rng.random_range(0..6) {
        0 => pick(&word, ["ның", "нің"], ["дың", "дің"], ["тың", "тің"]),
        1 => pick(&word, ["ға", "ге"], ["ға", "ге"], ["қа", "ке"]),
        2 => pick(&word, ["да", "де"], ["да", "де"], ["та", "те"]),
        3 => pick(&word, ["дан", "ден"], ["дан", "ден"], ["тан", "тен"]),
        4 => pick(&word, ["ны", "ні"], ["ды", "ді"], ["ты", "ті"]),
        _ => "мен",
    };
    word.push_str(suffix);
    word
}

fn ends_vowel(w: &str) -> bool {
    w.ends_with(['а', 'ә', 'е', 'о', 'ө', 'ұ', 'ү', 'ы', 'і', 'и', 'я', 'ю', 'э'])
}

fn front(w: &str) -> bool {
    w.chars().rev().find(|c| "аоұыәеөүіиуюяэ".contains(*c)).is_some_and(|c| "әеөүіи".contains(c))
}

/// The variant for a stem ending in a vowel, a voiced consonant, or a voiceless one.
fn pick(
    w: &str,
    vowel: [&'static str; 2],
    voiced: [&'static str; 2],
    voiceless: [&'static str; 2],
) -> &'static str {
    let pair = if ends_vowel(w) {
        vowel
    } else if w.ends_with(['к', 'қ', 'п', 'с', 'т', 'ф', 'х', 'ц', 'ч', 'ш', 'щ']) {
        voiceless
    } else {
        voiced
    };
    if front(w) { pair[1] } else { pair[0] }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::search::test_corpus;

    fn vocab() -> Vocabulary {
        Vocabulary::from_dir(&test_corpus::dir()).expect("corpus")
    }

    #[test]
    fn same_seed_same_documents() {
        let v = vocab();
        let a: Vec<GenDoc> = Generator::new(&v, 7, GenConfig::default()).take(20).collect();
        let b: Vec<GenDoc> = Generator::new(&v, 7, GenConfig::default()).take(20).collect();
        let c: Vec<GenDoc> = Generator::new(&v, 8, GenConfig::default()).take(20).collect();
        assert_eq!(a, b);
        assert_ne!(a, c);
        assert_eq!(a.iter().map(|d| d.id).collect::<Vec<_>>(), (1..=20).collect::<Vec<u64>>());
    }

    #[test]
    fn documents_read_as_their_language_with_a_zipf_profile() {
        let v = vocab();
        assert!(v.kk.len() > 500 && v.ru.len() > 500, "{} {}", v.kk.len(), v.ru.len());
        let docs: Vec<GenDoc> = Generator::new(&v, 1, GenConfig::default()).take(200).collect();
        let kk = docs.iter().filter(|d| d.lang == Lang::Kk).count();
        assert!((60..=140).contains(&kk), "{kk} Kazakh of 200");
        for d in &docs {
            assert_eq!(lang::guess(&d.body), Some(d.lang), "doc {}", d.id);
            assert!(!d.title.is_empty());
        }
        assert!(docs.iter().any(|d| !d.attachments.is_empty()));
        // The most frequent Kazakh word of the regulations is far more frequent than the 100th.
        let text: String =
            docs.iter().filter(|d| d.lang == Lang::Kk).map(|d| d.body.as_str()).collect();
        let count = |w: &str| {
            text.split(|c: char| !c.is_alphabetic()).filter(|t| t.to_lowercase() == w).count()
        };
        assert!(count(&v.kk[0].0) > 5 * count(&v.kk[100].0).max(1));
    }

    #[test]
    fn kazakh_inflections_stem_back() {
        let mut rng = ChaCha8Rng::seed_from_u64(3);
        for stem in ["орган", "портал", "құжат", "жүйе", "ереже", "министр", "ақпарат"]
        {
            for _ in 0..30 {
                let w = kk_inflect(stem, &mut rng);
                assert_eq!(kazakh::stem(&w), kazakh::stem(stem), "{w}");
            }
        }
    }
}
