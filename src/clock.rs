//! Time as the portal sees it: UTC timestamps for records and the access log, Astana time
//! (bundled tz database, so old system tzdata on an air-gapped server cannot shift it) for
//! what people read and for schedules.

use jiff::{Timestamp, tz::TimeZone};

/// The portal's civil time zone.
pub const ZONE: &str = "Asia/Almaty";

pub fn now() -> Timestamp {
    Timestamp::now()
}

/// The fixed-width UTC form stored in records and the access log:
/// `2026-11-22T06:56:08.123456Z`.
pub fn utc_string(t: Timestamp) -> String {
    t.strftime("%Y-%m-%dT%H:%M:%S%.6fZ").to_string()
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
    fn astana_is_utc_plus_five_after_the_2024_change() {
        let t: Timestamp = "2026-11-22T06:56:00Z".parse().unwrap();
        assert_eq!(local_display(t), "22.11.2026 11:56");
    }
}
