//! Panics the product catches on purpose are not findings. The text extraction wraps the
//! parsers known to panic on hostile input (calamine, pdf-extract) in `catch_parser_panic`
//! (src/search/extract/mod.rs), which answers `Malformed`: its intended behaviour. But
//! libfuzzer-sys installs a panic hook that aborts on every panic, caught or not, so the
//! extraction targets replace it with one that only keeps the message; a panic that escapes
//! the product is still a finding: its message is printed (fuzz/run.sh reads the
//! `panicked at FILE:LINE`) and the process aborts, which libFuzzer records as a crash.
use std::cell::RefCell;
use std::panic::{AssertUnwindSafe, catch_unwind};

thread_local! {
    static LAST: RefCell<String> = const { RefCell::new(String::new()) };
}

/// In the target's `init:`, after libfuzzer-sys set its aborting hook.
pub fn install() {
    std::panic::set_hook(Box::new(|info| {
        let at = info.location().map(|l| format!("{}:{}", l.file(), l.line())).unwrap_or_default();
        let what = info
            .payload()
            .downcast_ref::<String>()
            .map(String::as_str)
            .or_else(|| info.payload().downcast_ref::<&str>().copied())
            .unwrap_or("");
        LAST.with(|last| *last.borrow_mut() = format!("panicked at {at}: {what}"));
    }));
}

/// Runs one input through the product; a panic that comes out of it aborts.
pub fn run<T>(f: impl FnOnce() -> T) {
    if catch_unwind(AssertUnwindSafe(f)).is_err() {
        LAST.with(|last| eprintln!("uncaught panic: {}", last.borrow()));
        std::process::abort();
    }
}
