//! Word pairs: a phrase of two frequent words answered from one posting list.
//!
//! A phrase query intersects the posting lists of its words and checks positions for every
//! document holding both. For two very frequent words ("Қазақстан Республикасы",
//! "государственных органов") that is most of the store, and the phrase dominated the time
//! of the benchmark's query mix (docs/benchmarks.md). So each pair of neighbouring words that
//! are both [`common`](super::super::common_words::is_common) is also indexed as one term
//! (`word_word`) in a pairs field beside each exact field ([`pair_term`]), and
//! [`PairPhraseQuery`] reads that single list.
//!
//! The answer is the phrase query's, score included: the pair occurs in a document exactly
//! as often as the phrase does (pairs never span two texts, like phrases), and the score is
//! BM25 computed as tantivy's phrase scorer computes it — the idf of both words, the phrase
//! frequency, the length of the exact field.

use tantivy::fieldnorm::FieldNormReader;
use tantivy::postings::{Postings, SegmentPostings};
use tantivy::query::{Bm25Weight, EmptyScorer, EnableScoring, Explanation, Query, Scorer, Weight};
use tantivy::schema::{Field, IndexRecordOption, Term};
use tantivy::{DocId, DocSet, Score, SegmentReader};

use crate::search::common_words::is_common;

/// Separates the two words of a pair term (never part of a word).
pub const JOIN: char = '_';

/// The pair term of two neighbouring exact words, when both are common.
pub fn pair_term(first: &str, second: &str) -> Option<String> {
    (is_common(first) && is_common(second)).then(|| format!("{first}{JOIN}{second}"))
}

/// The phrase `first second` in `exact`, read from the pair field `pairs`.
#[derive(Clone, Debug)]
pub struct PairPhraseQuery {
    exact: [Term; 2],
    pair: Term,
}

impl PairPhraseQuery {
    /// `None` when the two words are not indexed as a pair.
    pub fn new(exact: Field, pairs: Field, first: &str, second: &str) -> Option<PairPhraseQuery> {
        let pair = pair_term(first, second)?;
        Some(PairPhraseQuery {
            exact: [Term::from_field_text(exact, first), Term::from_field_text(exact, second)],
            pair: Term::from_field_text(pairs, &pair),
        })
    }
}

impl Query for PairPhraseQuery {
    fn weight(&self, enable_scoring: EnableScoring<'_>) -> tantivy::Result<Box<dyn Weight>> {
        let bm25 = match enable_scoring {
            EnableScoring::Enabled { statistics_provider, .. } => {
                Some(Bm25Weight::for_terms(statistics_provider, &self.exact)?)
            }
            EnableScoring::Disabled { .. } => None,
        };
        Ok(Box::new(PairWeight { exact: self.exact[0].field(), pair: self.pair.clone(), bm25 }))
    }

    fn query_terms<'a>(&'a self, visitor: &mut dyn FnMut(&'a Term, bool)) {
        for t in &self.exact {
            visitor(t, true);
        }
    }
}

struct PairWeight {
    exact: Field,
    pair: Term,
    bm25: Option<Bm25Weight>,
}

impl PairWeight {
    fn pair_scorer(
        &self,
        reader: &SegmentReader,
        boost: Score,
    ) -> tantivy::Result<Option<PairScorer>> {
        let postings = reader.inverted_index(self.pair.field())?;
        let Some(postings) = postings.read_postings(&self.pair, IndexRecordOption::WithFreqs)?
        else {
            return Ok(None);
        };
        let fieldnorms = match &self.bm25 {
            Some(_) => reader.fieldnorms_readers().get_field(self.exact)?,
            None => None,
        }
        .unwrap_or_else(|| FieldNormReader::constant(reader.max_doc(), 1));
        Ok(Some(PairScorer {
            postings,
            fieldnorms,
            bm25: self.bm25.as_ref().map(|w| w.boost_by(boost)),
        }))
    }
}

impl Weight for PairWeight {
    fn scorer(&self, reader: &SegmentReader, boost: Score) -> tantivy::Result<Box<dyn Scorer>> {
        Ok(match self.pair_scorer(reader, boost)? {
            Some(scorer) => Box::new(scorer),
            None => Box::new(EmptyScorer),
        })
    }

    fn explain(&self, reader: &SegmentReader, doc: DocId) -> tantivy::Result<Explanation> {
        if let Some(mut s) = self.pair_scorer(reader, 1.0)?
            && s.seek(doc) == doc
        {
            return Ok(Explanation::new("phrase of a common word pair", s.score()));
        }
        Err(tantivy::TantivyError::InvalidArgument(format!("document {doc} does not match")))
    }
}

struct PairScorer {
    postings: SegmentPostings,
    fieldnorms: FieldNormReader,
    bm25: Option<Bm25Weight>,
}

impl DocSet for PairScorer {
    fn advance(&mut self) -> DocId {
        self.postings.advance()
    }

    fn seek(&mut self, target: DocId) -> DocId {
        self.postings.seek(target)
    }

    fn doc(&self) -> DocId {
        self.postings.doc()
    }

    fn size_hint(&self) -> u32 {
        self.postings.size_hint()
    }
}

impl Scorer for PairScorer {
    fn score(&mut self) -> Score {
        match &self.bm25 {
            Some(w) => w.score(self.fieldnorms.fieldnorm_id(self.doc()), self.postings.term_freq()),
            None => 1.0,
        }
    }
}
