//! The calendar against the official production calendars (see `docs/calendar.md` for the
//! sources), and the arithmetic users rely on.

use jiff::civil::{Date, date};
use jiff::{SignedDuration, Timestamp};

use super::*;

fn cal() -> Calendar {
    Calendar::default()
}

fn working_in_month(c: &Calendar, year: i16, month: i8) -> usize {
    let first = date(year, month, 1);
    let last = first.last_of_month();
    let mut n = 0;
    let mut d = first;
    while d <= last {
        n += usize::from(c.is_working_day(d));
        d = d.tomorrow().unwrap();
    }
    n
}

fn days_off(c: &Calendar, year: i16) -> Vec<Date> {
    c.special_days(date(year, 1, 1), date(year, 12, 31))
        .into_iter()
        .filter(|d| !d.working && !law::is_weekend(d.date))
        .map(|d| d.date)
        .collect()
}

/// 2026 as published (egov calendar of days off; Ministry of Labour): January has 19
/// working days; 8 March (Sunday) → 9 March; Nauryz 21–22 March (weekend) → 24, 25 March;
/// 9 May (Saturday) → 11 May; Kurban Ait 27 May; 25 October (Sunday) → 26 October; no
/// Constitution Day on 30 August after the Constitution of 2026.
#[test]
fn official_2026() {
    let c = cal();
    assert_eq!(working_in_month(&c, 2026, 1), 19);
    assert_eq!(
        days_off(&c, 2026),
        vec![
            date(2026, 1, 1),
            date(2026, 1, 2),
            date(2026, 1, 7),
            date(2026, 3, 9),
            date(2026, 3, 23),
            date(2026, 3, 24),
            date(2026, 3, 25),
            date(2026, 5, 1),
            date(2026, 5, 7),
            date(2026, 5, 11),
            date(2026, 5, 27),
            date(2026, 7, 6),
            date(2026, 10, 26),
            date(2026, 12, 16),
        ]
    );
    assert!(c.is_working_day(date(2026, 8, 31)), "no Constitution Day moved in 2026");
    let moved = c.day(date(2026, 3, 25));
    assert_eq!(moved.kind, DayKind::MovedHoliday);
    assert_eq!((moved.holiday, moved.moved_from), (Some(Holiday::Nauryz), Some(date(2026, 3, 22))));
}

/// 2024 with its decree: Saturday 4 May a working day, Wednesday 8 May a day off.
#[test]
fn official_2024_with_a_working_saturday() {
    let c = cal();
    let saturday = c.day(date(2024, 5, 4));
    assert!(saturday.working);
    assert_eq!((saturday.kind, saturday.source), (DayKind::TransferredWorkday, Source::Decree));
    assert!(!c.is_working_day(date(2024, 5, 8)));
    assert_eq!(c.day(date(2024, 5, 8)).kind, DayKind::TransferredDayOff);
    // May 2024: 31 days, 8 weekend days + the working Saturday; days off 1, 7, 8, 9 May.
    assert_eq!(working_in_month(&c, 2024, 5), 31 - 8 + 1 - 4);
    // Approved on Thursday 2 May, due within 3 working days: Friday 3, Saturday 4 (worked),
    // Monday 6 May.
    assert_eq!(c.add_working_days(date(2024, 5, 2), 3), date(2024, 5, 6));
    // Kurban Ait on Sunday 16 June 2024 moves nowhere.
    assert!(c.is_working_day(date(2024, 6, 17)));
}

/// 2025 with its decree: Sunday 5 January worked, Friday 3 January off; 8 March (Saturday)
/// → 10 March; 30 August (Saturday) → 1 September; 25 October (Saturday) → 27 October.
#[test]
fn official_2025_with_a_working_sunday() {
    let c = cal();
    assert!(c.is_working_day(date(2025, 1, 5)));
    assert!(!c.is_working_day(date(2025, 1, 3)));
    for d in [date(2025, 3, 10), date(2025, 9, 1), date(2025, 10, 27), date(2025, 6, 6)] {
        assert!(!c.is_working_day(d), "{d}");
    }
    assert!(c.is_working_day(date(2025, 9, 2)));
}

/// 2027 by the law: 2 January (Saturday) → 4 January; Constitution Day 15 March;
/// Nauryz 21 March (Sunday) → 24 March; 1 May (Saturday) → 3 May; 9 May (Sunday) → 10 May.
#[test]
fn law_2027() {
    let c = cal();
    for d in [
        date(2027, 1, 4),
        date(2027, 3, 15),
        date(2027, 3, 24),
        date(2027, 5, 3),
        date(2027, 5, 10),
    ] {
        assert!(!c.is_working_day(d), "{d}");
    }
    assert!(c.is_working_day(date(2027, 3, 25)));
    assert!(c.is_working_day(date(2027, 5, 17)), "Kurban Ait on Sunday 16 May does not move");
}

#[test]
fn administrator_entries_win() {
    let c = Calendar::new(vec![
        Entry { date: date(2027, 1, 9), kind: EntryKind::Working, note: "decree".into() },
        Entry { date: date(2027, 1, 8), kind: EntryKind::DayOff, note: "decree".into() },
        Entry { date: date(2027, 1, 4), kind: EntryKind::Working, note: "".into() },
    ]);
    assert_eq!(c.day(date(2027, 1, 9)).kind, DayKind::TransferredWorkday);
    assert_eq!(c.day(date(2027, 1, 9)).source, Source::Administrator);
    assert!(!c.is_working_day(date(2027, 1, 8)));
    assert!(c.is_working_day(date(2027, 1, 4)));
    assert!(c.year_is_confirmed(2027));
    assert!(!c.year_is_confirmed(2031));
}

#[test]
fn working_day_arithmetic() {
    let c = cal();
    // Friday 20 March 2026; the next working day is Thursday 26 (21–25 are days off).
    assert_eq!(c.next_working_day(date(2026, 3, 20)), date(2026, 3, 26));
    assert_eq!(c.add_working_days(date(2026, 3, 26), -1), date(2026, 3, 20));
    assert_eq!(c.add_working_days(date(2026, 3, 21), 0), date(2026, 3, 21));
    assert_eq!(c.working_day_on_or_after(date(2026, 3, 21)), date(2026, 3, 26));
    assert_eq!(c.working_days_between(date(2026, 3, 20), date(2026, 3, 26)), 1);
    assert_eq!(c.working_days_between(date(2026, 3, 26), date(2026, 3, 20)), -1);
    assert_eq!(c.working_days_between(date(2026, 3, 2), date(2026, 3, 2)), 0);
    // Whole year 2026, five-day week: 365 - 104 weekend days - 14 weekday days off.
    assert_eq!(c.working_days_between(date(2025, 12, 31), date(2026, 12, 31)), 365 - 104 - 14);
    // Round trip over many starting points.
    let mut d = date(2026, 1, 1);
    for _ in 0..400 {
        for n in [1, 3, 5, 20] {
            let later = c.add_working_days(d, n);
            assert_eq!(c.working_days_between(d, later), n as i64, "{d} + {n}");
            assert!(c.is_working_day(later));
        }
        d = d.tomorrow().unwrap();
    }
}

fn at(s: &str) -> Timestamp {
    s.parse().unwrap()
}

#[test]
fn support_hours_across_an_evening_a_weekend_and_a_holiday() {
    let c = cal();
    let s = Schedule::support_hours();
    // Friday 20 March 2026 18:00 Astana → Thursday 26 March 10:00: Friday 1 h, Saturday 21
    // is Nauryz (no hours), Sunday none, 23–25 days off, Thursday 1 h.
    let t = c.working_time(&s, at("2026-03-20T18:00:00+05:00"), at("2026-03-26T10:00:00+05:00"));
    assert_eq!(t, SignedDuration::from_hours(2));
    // A plain Saturday has its three hours: Friday 27 March 18:00 → Monday 30 March 10:00.
    let t = c.working_time(&s, at("2026-03-27T18:00:00+05:00"), at("2026-03-30T10:00:00+05:00"));
    assert_eq!(t, SignedDuration::from_hours(1 + 3 + 1));
    // A working Saturday by decree has full weekday hours.
    let t = c.working_time(&s, at("2024-05-04T00:00:00+05:00"), at("2024-05-05T00:00:00+05:00"));
    assert_eq!(t, SignedDuration::from_hours(10));
    // Pauses: two intervals, overlapping, count once.
    let t = c.working_time_in(
        &s,
        &[
            (at("2026-03-27T09:00:00+05:00"), at("2026-03-27T12:00:00+05:00")),
            (at("2026-03-27T11:00:00+05:00"), at("2026-03-27T13:00:00+05:00")),
            (at("2026-03-27T15:00:00+05:00"), at("2026-03-27T16:30:00+05:00")),
        ],
    );
    assert_eq!(t, SignedDuration::from_mins(4 * 60 + 90));
    // An 8-hour target from Friday 20 March 17:00 falls due Thursday 26 March 15:00.
    let due =
        c.add_working_time(&s, at("2026-03-20T17:00:00+05:00"), SignedDuration::from_hours(8));
    assert_eq!(due, Some(at("2026-03-26T15:00:00+05:00")));
    // The host's zone plays no part: the same instants in UTC give the same answer.
    let t = c.working_time(&s, at("2026-03-20T13:00:00Z"), at("2026-03-26T05:00:00Z"));
    assert_eq!(t, SignedDuration::from_hours(2));
}

#[test]
fn csv_round_trip_and_refusals_name_the_line() {
    let text = "date,kind,note\n2027-01-09,working,Decree 1\n2027-01-08;day_off\n";
    // Mixed separators: the second line has one field only.
    let e = csv::parse(text.as_bytes()).unwrap_err();
    assert_eq!((e.line, e.reason), (3, "calendar-csv-columns"));
    let good =
        "\u{feff}date;kind;note\n2027-01-09;working;Decree 1\n\n2028-05-05;holiday;Құрбан айт\n";
    let entries = csv::parse(good.as_bytes()).unwrap();
    assert_eq!(entries.len(), 2);
    assert_eq!(entries[1].note, "Құрбан айт");
    assert_eq!(csv::parse(csv::write(&entries).as_bytes()).unwrap(), entries);
    for (bad, line, reason) in [
        ("2027-02-30,working\n", 1, "calendar-csv-date"),
        ("2027-01-09,working\n2027-01-10,weekend\n", 2, "calendar-csv-kind"),
        ("2027-01-09,working\n2027-01-09,day_off\n", 2, "calendar-csv-duplicate"),
        ("2027-01-09,working,a,b\n", 1, "calendar-csv-columns"),
        ("09.01.2027,working\n", 1, "calendar-csv-date"),
    ] {
        let e = csv::parse(bad.as_bytes()).unwrap_err();
        assert_eq!((e.line, e.reason), (line, reason), "{bad}");
    }
    let e = csv::parse(b"2027-01-09,working\n2027-01-10,\xff\n").unwrap_err();
    assert_eq!((e.line, e.reason), (2, "calendar-csv-encoding"));
}
