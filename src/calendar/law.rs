//! What the law and the Government's decrees say about days off in Kazakhstan.
//!
//! * The holidays of the Law «On holidays in the Republic of Kazakhstan» (national and
//!   state holidays) are days off; when one falls on a Saturday or Sunday, the next working
//!   day is a day off instead (Labour Code art. 85 p. 2). The religious holidays —
//!   Orthodox Christmas (7 January) and the first day of Kurban Ait — are days off but are
//!   **excluded** from that rule: on a weekend they move nowhere.
//! * Kurban Ait follows the lunar calendar; its date is set every year.
//! * The Government moves days off by decree (Labour Code art. 85 p. 3) to make bridges:
//!   a Saturday (or Sunday) becomes a working day and a weekday a day off.
//!
//! The built-in data below covers the years whose decrees and Kurban Ait dates were
//! published when this release was made; the administrator adds later ones on the
//! calendar page or with `ipgo calendar`. Sources and known differences from other
//! calendars are in `docs/calendar.md`.

use jiff::civil::{Date, Weekday, date};

/// The holidays days off are named after (message ids `holiday-<name>` in `calendar.ftl`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Holiday {
    NewYear,
    OrthodoxChristmas,
    WomensDay,
    Nauryz,
    UnityDay,
    DefenderDay,
    VictoryDay,
    CapitalDay,
    ConstitutionDay,
    RepublicDay,
    IndependenceDay,
    KurbanAit,
}

impl Holiday {
    pub const ALL: &'static [Holiday] = &[
        Holiday::NewYear,
        Holiday::OrthodoxChristmas,
        Holiday::WomensDay,
        Holiday::Nauryz,
        Holiday::UnityDay,
        Holiday::DefenderDay,
        Holiday::VictoryDay,
        Holiday::CapitalDay,
        Holiday::ConstitutionDay,
        Holiday::RepublicDay,
        Holiday::IndependenceDay,
        Holiday::KurbanAit,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Holiday::NewYear => "new_year",
            Holiday::OrthodoxChristmas => "orthodox_christmas",
            Holiday::WomensDay => "womens_day",
            Holiday::Nauryz => "nauryz",
            Holiday::UnityDay => "unity_day",
            Holiday::DefenderDay => "defender_day",
            Holiday::VictoryDay => "victory_day",
            Holiday::CapitalDay => "capital_day",
            Holiday::ConstitutionDay => "constitution_day",
            Holiday::RepublicDay => "republic_day",
            Holiday::IndependenceDay => "independence_day",
            Holiday::KurbanAit => "kurban_ait",
        }
    }

    pub fn message_key(self) -> String {
        format!("holiday-{}", self.name().replace('_', "-"))
    }

    /// Religious holidays are days off but never move to the next working day.
    pub fn moves_when_on_day_off(self) -> bool {
        !matches!(self, Holiday::OrthodoxChristmas | Holiday::KurbanAit)
    }
}

/// The fixed-date holidays of `year` under the law in force that year.
pub fn fixed_holidays(year: i16) -> Vec<(Date, Holiday)> {
    let d = |m: i8, day: i8| date(year, m, day);
    let mut out = vec![(d(1, 1), Holiday::NewYear), (d(1, 2), Holiday::NewYear)];
    if year >= 2006 {
        out.push((d(1, 7), Holiday::OrthodoxChristmas));
    }
    out.push((d(3, 8), Holiday::WomensDay));
    if year >= 2010 {
        out.extend([(d(3, 21), Holiday::Nauryz), (d(3, 22), Holiday::Nauryz)]);
        out.push((d(3, 23), Holiday::Nauryz));
    }
    // The Constitution of 2026 (referendum of 15 March 2026) moved Constitution Day from
    // 30 August to 15 March, celebrated from 2027; 2026 has neither.
    if year >= 2027 {
        out.push((d(3, 15), Holiday::ConstitutionDay));
    }
    out.push((d(5, 1), Holiday::UnityDay));
    if year >= 2013 {
        out.push((d(5, 7), Holiday::DefenderDay));
    }
    out.push((d(5, 9), Holiday::VictoryDay));
    if year >= 2009 {
        out.push((d(7, 6), Holiday::CapitalDay));
    }
    if (1996..=2025).contains(&year) {
        out.push((d(8, 30), Holiday::ConstitutionDay));
    }
    if year >= 2022 {
        out.push((d(10, 25), Holiday::RepublicDay));
    }
    out.push((d(12, 16), Holiday::IndependenceDay));
    if year <= 2021 {
        out.push((d(12, 17), Holiday::IndependenceDay));
    }
    out.sort_by_key(|(date, _)| *date);
    out
}

/// A decreed move of a day off: `working` becomes a working day, `day_off` a day off.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Transfer {
    pub working: Date,
    pub day_off: Date,
}

/// Everything set for one year beyond the fixed rules.
pub struct YearData {
    pub year: i16,
    /// The first day of Kurban Ait (set by the Spiritual Administration of Muslims).
    pub kurban_ait: Date,
    /// Decreed transfers of days off (Government decrees under Labour Code art. 85 p. 3).
    pub transfers: &'static [Transfer],
}

/// Years whose Kurban Ait date and transfer decrees are built in.
pub const BUILT_IN: &[YearData] = &[
    // Government decree No. 109 of 2024: rest day moved from Saturday 4 May to Wednesday
    // 8 May (Defender Day 7 May, Victory Day 9 May).
    YearData {
        year: 2024,
        kurban_ait: date(2024, 6, 16),
        transfers: &[Transfer { working: date(2024, 5, 4), day_off: date(2024, 5, 8) }],
    },
    // Government decree No. 436 of 2024: rest day moved from Sunday 5 January to Friday
    // 3 January 2025.
    YearData {
        year: 2025,
        kurban_ait: date(2025, 6, 6),
        transfers: &[Transfer { working: date(2025, 1, 5), day_off: date(2025, 1, 3) }],
    },
    // The production calendar of 2026 as published by the Ministry of Labour: no decreed
    // transfer; Kurban Ait on 27 May.
    YearData { year: 2026, kurban_ait: date(2026, 5, 27), transfers: &[] },
    // 2027: Kurban Ait on 16 May (a Sunday: religious holidays do not move). No transfer
    // decree had been published for 2027 when this release was made.
    YearData { year: 2027, kurban_ait: date(2027, 5, 16), transfers: &[] },
];

pub fn built_in(year: i16) -> Option<&'static YearData> {
    BUILT_IN.iter().find(|y| y.year == year)
}

pub fn is_weekend(d: Date) -> bool {
    matches!(d.weekday(), Weekday::Saturday | Weekday::Sunday)
}

/// A day off of the law: a holiday, or the working day a holiday moved to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LawDay {
    Holiday(Holiday),
    /// The next working day after `from`, a holiday that fell on a day off.
    Moved {
        holiday: Holiday,
        from: Date,
    },
}

/// The days off the law gives in `year` (holidays and the days they moved to), in date
/// order. A holiday on a weekend moves to the first following day that is neither a
/// weekend, a holiday, nor already a moved day off (so Nauryz on
/// Saturday 21 and Sunday 22 March 2026 gives Tuesday 24 and Wednesday 25, Monday 23 being
/// Nauryz itself).
pub fn law_days(year: i16) -> Vec<(Date, LawDay)> {
    let mut holidays: Vec<(Date, Holiday)> = fixed_holidays(year);
    if let Some(y) = built_in(year) {
        holidays.push((y.kurban_ait, Holiday::KurbanAit));
        holidays.sort_by_key(|(d, _)| *d);
    }
    let is_holiday = |d: Date| holidays.iter().any(|(h, _)| *h == d);
    let mut out: Vec<(Date, LawDay)> =
        holidays.iter().map(|(d, h)| (*d, LawDay::Holiday(*h))).collect();
    for (day, holiday) in &holidays {
        if !holiday.moves_when_on_day_off() || !is_weekend(*day) {
            continue;
        }
        let mut next = *day;
        loop {
            next = next.tomorrow().expect("date in range");
            let taken = out.iter().any(|(d, _)| *d == next);
            if !is_weekend(next) && !is_holiday(next) && !taken {
                break;
            }
        }
        out.push((next, LawDay::Moved { holiday: *holiday, from: *day }));
    }
    out.sort_by_key(|(d, _)| *d);
    out
}
