//! Time as the portal sees it: UTC timestamps for records and the access log, Astana time
//! (bundled tz database, so old system tzdata on an air-gapped server cannot shift it) for
//! what people read and for schedules.

//!
//! Tests of time-dependent rules (deadlines, schedules, closing polls) move the portal's
//! clock instead of sleeping: a server started with `[testing] controllable_clock = true`
//! accepts `ipgo clock set|advance` over its admin socket. The clock then runs at normal
//! speed from the instant it was set to; every background job wakes at once to look at the
//! new time ([`changed`]). Production configurations never enable it (the start-up log and
//! `/metrics` say so loudly when it is).

use std::sync::OnceLock;
use std::sync::atomic::{AtomicBool, AtomicI64, Ordering};

use jiff::{SignedDuration, Timestamp, tz::TimeZone};

/// The portal's civil time zone.
pub const ZONE: &str = "Asia/Almaty";

/// Microseconds added to the system clock (0 unless a test moved the clock).
static OFFSET_MICROS: AtomicI64 = AtomicI64::new(0);
static CONTROLLABLE: AtomicBool = AtomicBool::new(false);

/// The portal's current time: the system clock, moved by a test when the clock is
/// controllable.
pub fn now() -> Timestamp {
    let t = Timestamp::now();
    match OFFSET_MICROS.load(Ordering::Relaxed) {
        0 => t,
        offset => t.saturating_add(SignedDuration::from_micros(offset)).unwrap_or(t),
    }
}

/// Lets `set` and `advance` move the clock (only from `[testing] controllable_clock`).
pub fn enable_control() {
    CONTROLLABLE.store(true, Ordering::SeqCst);
}

pub fn is_controllable() -> bool {
    CONTROLLABLE.load(Ordering::SeqCst)
}

/// Why the clock could not be moved.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NotControllable;

/// Makes `now()` read `to` from this instant on (time keeps running from there).
pub fn set(to: Timestamp) -> Result<Timestamp, NotControllable> {
    if !is_controllable() {
        return Err(NotControllable);
    }
    let offset = to.duration_since(Timestamp::now());
    OFFSET_MICROS.store(
        offset.as_micros().clamp(i64::MIN as i128, i64::MAX as i128) as i64,
        Ordering::SeqCst,
    );
    wake();
    Ok(now())
}

/// Moves the clock forward (or back, with a negative duration).
pub fn advance(by: SignedDuration) -> Result<Timestamp, NotControllable> {
    if !is_controllable() {
        return Err(NotControllable);
    }
    let micros = by.as_micros().clamp(i64::MIN as i128, i64::MAX as i128) as i64;
    OFFSET_MICROS.fetch_add(micros, Ordering::SeqCst);
    wake();
    Ok(now())
}

fn notify() -> &'static tokio::sync::Notify {
    static NOTIFY: OnceLock<tokio::sync::Notify> = OnceLock::new();
    NOTIFY.get_or_init(tokio::sync::Notify::new)
}

fn wake() {
    notify().notify_waiters();
}

/// Completes when a test moves the clock: schedulers wait on this beside their timer, so a
/// job due at the new time runs at once.
pub async fn changed() {
    notify().notified().await
}

/// The fixed-width UTC form stored in records and the access log:
/// `2026-11-22T06:56:08.123456Z`.
pub fn utc_string(t: Timestamp) -> String {
    let dt = jiff::tz::Offset::UTC.to_datetime(t);
    if !(0..=9999).contains(&dt.year()) {
        return t.strftime("%Y-%m-%dT%H:%M:%S%.6fZ").to_string();
    }
    // Written digit by digit: this runs for every access-log entry, and strftime's
    // general machinery was a visible share of the log's cost (docs/benchmarks.md).
    let mut s = String::with_capacity(27);
    let mut push = |value: u32, width: u32, after: char| {
        for i in (0..width).rev() {
            s.push(char::from(b'0' + (value / 10u32.pow(i) % 10) as u8));
        }
        if after != '\0' {
            s.push(after);
        }
    };
    push(dt.year() as u32, 4, '-');
    push(dt.month() as u32, 2, '-');
    push(dt.day() as u32, 2, 'T');
    push(dt.hour() as u32, 2, ':');
    push(dt.minute() as u32, 2, ':');
    push(dt.second() as u32, 2, '.');
    push(dt.subsec_nanosecond() as u32 / 1000, 6, 'Z');
    s
}

pub fn astana() -> TimeZone {
    TimeZone::get(ZONE).expect("the bundled tz database has Asia/Almaty")
}

/// Date and time for people, in Astana time: `22.11.2026 11:56`.
pub fn local_display(t: Timestamp) -> String {
    t.to_zoned(astana()).strftime("%d.%m.%Y %H:%M").to_string()
}

/// Parses the stored UTC form back (or any RFC 3339 timestamp).
pub fn parse(s: &str) -> Option<Timestamp> {
    s.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stored_form_is_fixed_width_and_round_trips() {
        let t: Timestamp = "2026-03-01T00:00:00Z".parse().unwrap();
        let s = utc_string(t);
        assert_eq!(s, "2026-03-01T00:00:00.000000Z");
        assert_eq!(parse(&s), Some(t));
    }

    #[test]
    fn stored_form_matches_strftime() {
        for text in [
            "1970-01-01T00:00:00Z",
            "2026-11-22T06:56:08.123456789Z",
            "2024-02-29T23:59:59.999999Z",
        ] {
            let t: Timestamp = text.parse().unwrap();
            assert_eq!(utc_string(t), t.strftime("%Y-%m-%dT%H:%M:%S%.6fZ").to_string(), "{text}");
        }
        assert_eq!(utc_string(now()).len(), 27);
    }

    #[test]
    fn astana_is_utc_plus_five_after_the_2024_change() {
        let t: Timestamp = "2026-11-22T06:56:00Z".parse().unwrap();
        assert_eq!(local_display(t), "22.11.2026 11:56");
    }
}
