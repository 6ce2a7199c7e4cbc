//! Full-text search core (I385 §6.6): text repair, Kazakh and Russian analysis, language
//! detection, sandboxed text extraction from attachments, and a synthetic corpus generator for
//! benchmarks. The index itself (schema, writer, queries, access filtering) builds on these.

pub mod analysis;
pub mod corpus_gen;
pub mod extract;
pub mod kazakh;
pub mod lang;
pub mod normalize;
#[cfg(test)]
mod quality_tests;
pub mod russian;

#[cfg(test)]
pub(crate) mod test_corpus;
