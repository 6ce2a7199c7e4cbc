//! Full-text search core (I385 §6.6): text repair, Kazakh and Russian analysis, language
//! detection, sandboxed text extraction from attachments, a synthetic corpus generator for
//! benchmarks, and the index built on them (schema, writer, queries, access filtering).

pub mod analysis;
pub mod common_words;
pub mod corpus_gen;
pub mod extract;
pub mod index;
pub mod kazakh;
pub mod lang;
pub mod normalize;
#[cfg(test)]
mod quality_tests;
pub mod russian;
pub mod tokens;

#[cfg(test)]
pub(crate) mod test_corpus;
