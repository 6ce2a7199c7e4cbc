//! Retrying a write the access log must not drop (R365 §7: no request without its entry).
//! Each failure is logged and retried after a delay that doubles from 50 ms to 5 s, so a
//! full disk or a held database is waited out without spinning.

use std::fmt::Display;
use std::time::Duration;

const FIRST: Duration = Duration::from_millis(50);
const LONGEST: Duration = Duration::from_secs(5);

/// The delays between the attempts.
pub(super) struct Backoff(Duration);

impl Backoff {
    pub(super) fn new() -> Backoff {
        Backoff(FIRST)
    }

    /// The delay before the next attempt.
    pub(super) fn next_delay(&mut self) -> Duration {
        let delay = self.0;
        self.0 = (self.0 * 2).min(LONGEST);
        delay
    }
}

/// Calls `attempt` until it succeeds, sleeping the thread between failures.
pub(super) fn blocking<T, E: Display>(what: &str, mut attempt: impl FnMut() -> Result<T, E>) -> T {
    let mut backoff = Backoff::new();
    loop {
        match attempt() {
            Ok(done) => return done,
            Err(e) => {
                tracing::error!(error = %e, "access log: {what} failed; retrying");
                std::thread::sleep(backoff.next_delay());
            }
        }
    }
}

/// Calls `attempt` until it succeeds, yielding to the runtime between failures.
pub(super) async fn waiting<T, E: Display>(
    what: &str,
    mut attempt: impl FnMut() -> Result<T, E>,
) -> T {
    let mut backoff = Backoff::new();
    loop {
        match attempt() {
            Ok(done) => return done,
            Err(e) => {
                tracing::error!(error = %e, "access log: {what} failed; the request waits");
                tokio::time::sleep(backoff.next_delay()).await;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delays_double_up_to_the_longest() {
        let mut b = Backoff::new();
        let delays: Vec<u64> = (0..9).map(|_| b.next_delay().as_millis() as u64).collect();
        assert_eq!(delays, [50, 100, 200, 400, 800, 1600, 3200, 5000, 5000]);
    }

    #[test]
    fn an_attempt_that_fails_twice_is_retried_until_it_succeeds() {
        let mut calls = 0;
        let got = blocking("test write", || {
            calls += 1;
            if calls < 3 { Err("disk full") } else { Ok(calls) }
        });
        assert_eq!(got, 3);
    }
}
