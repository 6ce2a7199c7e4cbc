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

/// Nice value of the threads that keep the index up to date (and of the extraction
/// children): on a busy machine the requests of people come first, the index catches up
/// when they pause.
pub const BACKGROUND_NICE: i32 = 10;

/// Lowers the calling thread's scheduling priority to [`BACKGROUND_NICE`]; threads it
/// starts afterwards inherit it. Best effort.
pub fn run_in_background() {
    // SAFETY: gettid and setpriority on the calling thread, no pointers.
    unsafe {
        let tid = libc::gettid();
        libc::setpriority(libc::PRIO_PROCESS, tid as libc::id_t, BACKGROUND_NICE);
    }
}
