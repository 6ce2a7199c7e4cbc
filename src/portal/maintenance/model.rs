//! A maintenance window and the rules for scheduling one. No I/O.

use jiff::{Timestamp, ToSpan};
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

/// The shortest notice the regulations allow (I617 §17: at least 24 hours).
pub const MIN_NOTICE_HOURS: i64 = 24;
/// The longest window that may be scheduled at once.
pub const MAX_DAYS: i64 = 7;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Effect {
    /// The portal is unavailable during the window.
    Stops,
    /// The portal keeps running but changes (an upgrade, a new function).
    Changes,
}

impl Effect {
    pub fn parse(s: &str) -> Option<Effect> {
        match s.trim() {
            "stops" => Some(Effect::Stops),
            "changes" => Some(Effect::Changes),
            _ => None,
        }
    }

    pub fn message_key(self) -> &'static str {
        match self {
            Effect::Stops => "maintenance-effect-stops",
            Effect::Changes => "maintenance-effect-changes",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Cancelled {
    pub by: String,
    pub at: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Window {
    pub id: u64,
    /// UTC, stored form.
    pub starts: String,
    pub ends: String,
    pub effect: Effect,
    pub note_kk: String,
    pub note_ru: String,
    #[serde(default)]
    pub note_en: String,
    pub created_by: String,
    pub created: String,
    #[serde(default)]
    pub cancelled: Option<Cancelled>,
}

impl Window {
    /// Shown from scheduling until it ends, unless cancelled.
    pub fn shown_at(&self, now: Timestamp) -> bool {
        self.cancelled.is_none() && crate::clock::parse(&self.ends).is_some_and(|end| now < end)
    }

    pub fn running_at(&self, now: Timestamp) -> bool {
        self.shown_at(now) && crate::clock::parse(&self.starts).is_some_and(|start| now >= start)
    }

    /// The note in a language, falling back to Russian, then Kazakh.
    pub fn note(&self, lang: &str) -> &str {
        let pick = match lang {
            "kk" => &self.note_kk,
            "en" => &self.note_en,
            _ => &self.note_ru,
        };
        [pick, &self.note_ru, &self.note_kk]
            .into_iter()
            .find(|s| !s.is_empty())
            .map(String::as_str)
            .unwrap_or("")
    }
}

/// What an administrator asks for.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct NewWindow {
    /// Astana local `2026-11-25T20:00` (an HTML datetime-local field) or RFC 3339.
    pub starts: String,
    pub ends: String,
    pub effect: String,
    pub note_kk: String,
    pub note_ru: String,
    pub note_en: String,
}

/// Parses a time typed by a person (Astana time unless an offset is given).
pub fn parse_time(field: &str, s: &str) -> Result<Timestamp> {
    let s = s.trim();
    if let Ok(t) = s.parse::<Timestamp>() {
        return Ok(t);
    }
    s.parse::<jiff::civil::DateTime>()
        .ok()
        .and_then(|dt| dt.to_zoned(crate::clock::astana()).ok())
        .map(|z| z.timestamp())
        .ok_or_else(|| Error::invalid(field, "invalid-time"))
}

/// Checks a request against the rules; returns (starts, ends, effect).
pub fn check(input: &NewWindow, now: Timestamp) -> Result<(Timestamp, Timestamp, Effect)> {
    let starts = parse_time("starts", &input.starts)?;
    let ends = parse_time("ends", &input.ends)?;
    let effect =
        Effect::parse(&input.effect).ok_or_else(|| Error::invalid("effect", "invalid-choice"))?;
    let earliest = now.checked_add(MIN_NOTICE_HOURS.hours()).map_err(Error::internal)?;
    if starts < earliest {
        return Err(Error::invalid("starts", "maintenance-too-soon"));
    }
    if ends <= starts {
        return Err(Error::invalid("ends", "maintenance-ends-before-start"));
    }
    let longest = starts.checked_add((MAX_DAYS * 24).hours()).map_err(Error::internal)?;
    if ends > longest {
        return Err(Error::invalid("ends", "maintenance-too-long"));
    }
    if input.note_kk.trim().is_empty() && input.note_ru.trim().is_empty() {
        return Err(Error::invalid("note_ru", "maintenance-note-required"));
    }
    Ok((starts, ends, effect))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input(starts: &str, ends: &str) -> NewWindow {
        NewWindow {
            starts: starts.into(),
            ends: ends.into(),
            effect: "stops".into(),
            note_ru: "Обновление".into(),
            ..Default::default()
        }
    }

    #[test]
    fn notice_of_at_least_24_hours_is_required_i617_17() {
        let now: Timestamp = "2026-11-22T06:00:00Z".parse().unwrap();
        // 23:59 ahead is refused, 24:00 ahead accepted (Astana is UTC+5).
        let err = check(&input("2026-11-23T10:59", "2026-11-23T12:00"), now).unwrap_err();
        assert_eq!(err.detail_key, Some("maintenance-too-soon"));
        let (s, _, _) = check(&input("2026-11-23T11:00", "2026-11-23T12:00"), now).unwrap();
        assert_eq!(s.to_string(), "2026-11-23T06:00:00Z");
        assert!(check(&input("2026-11-23T06:00:00Z", "2026-11-23T07:00:00Z"), now).is_ok());
    }

    #[test]
    fn bad_windows_are_refused_with_the_field_named() {
        let now: Timestamp = "2026-11-22T06:00:00Z".parse().unwrap();
        let check_err = |i: NewWindow, field: &str, key: &str| {
            let e = check(&i, now).unwrap_err();
            assert_eq!((e.field.as_deref(), e.detail_key), (Some(field), Some(key)));
        };
        check_err(
            input("2026-12-01T10:00", "2026-12-01T09:00"),
            "ends",
            "maintenance-ends-before-start",
        );
        check_err(input("2026-12-01T10:00", "2026-12-20T10:00"), "ends", "maintenance-too-long");
        check_err(input("tomorrow", "2026-12-01T10:00"), "starts", "invalid-time");
        let mut no_note = input("2026-12-01T10:00", "2026-12-01T11:00");
        no_note.note_ru.clear();
        check_err(no_note, "note_ru", "maintenance-note-required");
        let mut effect = input("2026-12-01T10:00", "2026-12-01T11:00");
        effect.effect = "explodes".into();
        check_err(effect, "effect", "invalid-choice");
    }

    #[test]
    fn shown_until_the_end_and_running_only_inside() {
        let w = Window {
            id: 1,
            starts: "2026-12-01T05:00:00.000000Z".into(),
            ends: "2026-12-01T06:00:00.000000Z".into(),
            effect: Effect::Changes,
            note_kk: "Жаңарту".into(),
            note_ru: String::new(),
            note_en: String::new(),
            created_by: "admin".into(),
            created: "2026-11-22T00:00:00.000000Z".into(),
            cancelled: None,
        };
        let at = |s: &str| s.parse::<Timestamp>().unwrap();
        assert!(
            w.shown_at(at("2026-11-30T00:00:00Z")) && !w.running_at(at("2026-11-30T00:00:00Z"))
        );
        assert!(w.running_at(at("2026-12-01T05:30:00Z")));
        assert!(!w.shown_at(at("2026-12-01T06:00:00Z")));
        assert_eq!(w.note("ru"), "Жаңарту", "falls back to the other language");
    }
}
