//! Where a state body stands: its region and its kind. The consolidated headcount report
//! (I385 §28) groups agencies by them. Both are closed lists stored by stable codes; their
//! names are Fluent messages `region-<code>` and `agency-kind-<code>` (`main.ftl`), so a
//! page shows them in the reader's language.

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

/// The regions of Kazakhstan: the three cities of republican significance and the 17
/// oblasts (as of the 2022 reform: Abai, Zhetisu and Ulytau included).
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[serde(rename_all = "snake_case")]
pub enum Region {
    Astana,
    Almaty,
    Shymkent,
    Abai,
    Akmola,
    Aktobe,
    AlmatyRegion,
    Atyrau,
    EastKazakhstan,
    Zhambyl,
    Zhetisu,
    WestKazakhstan,
    Karaganda,
    Kostanay,
    Kyzylorda,
    Mangystau,
    Pavlodar,
    NorthKazakhstan,
    Turkistan,
    Ulytau,
}

impl Region {
    pub const ALL: [Region; 20] = [
        Region::Astana,
        Region::Almaty,
        Region::Shymkent,
        Region::Abai,
        Region::Akmola,
        Region::Aktobe,
        Region::AlmatyRegion,
        Region::Atyrau,
        Region::EastKazakhstan,
        Region::Zhambyl,
        Region::Zhetisu,
        Region::WestKazakhstan,
        Region::Karaganda,
        Region::Kostanay,
        Region::Kyzylorda,
        Region::Mangystau,
        Region::Pavlodar,
        Region::NorthKazakhstan,
        Region::Turkistan,
        Region::Ulytau,
    ];

    /// The stable code (as stored and in the API).
    pub fn code(self) -> &'static str {
        match self {
            Region::Astana => "astana",
            Region::Almaty => "almaty",
            Region::Shymkent => "shymkent",
            Region::Abai => "abai",
            Region::Akmola => "akmola",
            Region::Aktobe => "aktobe",
            Region::AlmatyRegion => "almaty_region",
            Region::Atyrau => "atyrau",
            Region::EastKazakhstan => "east_kazakhstan",
            Region::Zhambyl => "zhambyl",
            Region::Zhetisu => "zhetisu",
            Region::WestKazakhstan => "west_kazakhstan",
            Region::Karaganda => "karaganda",
            Region::Kostanay => "kostanay",
            Region::Kyzylorda => "kyzylorda",
            Region::Mangystau => "mangystau",
            Region::Pavlodar => "pavlodar",
            Region::NorthKazakhstan => "north_kazakhstan",
            Region::Turkistan => "turkistan",
            Region::Ulytau => "ulytau",
        }
    }

    /// The Fluent message naming the region.
    pub fn message(self) -> String {
        format!("region-{}", self.code().replace('_', "-"))
    }
}

/// The kind of a state body.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[serde(rename_all = "snake_case")]
pub enum AgencyKind {
    /// A central state body (a ministry, an agency of the Republic).
    Central,
    /// A local executive body (an akimat and its departments).
    Local,
    /// A territorial subdivision of a central state body.
    Territorial,
    Other,
}

impl AgencyKind {
    pub const ALL: [AgencyKind; 4] =
        [AgencyKind::Central, AgencyKind::Local, AgencyKind::Territorial, AgencyKind::Other];

    pub fn code(self) -> &'static str {
        match self {
            AgencyKind::Central => "central",
            AgencyKind::Local => "local",
            AgencyKind::Territorial => "territorial",
            AgencyKind::Other => "other",
        }
    }

    pub fn message(self) -> String {
        format!("agency-kind-{}", self.code())
    }
}

/// A region from its code; empty means "not said". An unknown code is refused with the
/// field named, so a form shows the message by the field.
pub fn parse_region(code: &str) -> Result<Option<Region>> {
    parse(code, &Region::ALL, Region::code, "region", "agency-region-unknown")
}

/// An agency kind from its code; empty means "not said".
pub fn parse_kind(code: &str) -> Result<Option<AgencyKind>> {
    parse(code, &AgencyKind::ALL, AgencyKind::code, "kind", "agency-kind-unknown")
}

fn parse<T: Copy>(
    code: &str,
    all: &[T],
    code_of: fn(T) -> &'static str,
    field: &str,
    unknown: &'static str,
) -> Result<Option<T>> {
    let code = code.trim();
    if code.is_empty() {
        return Ok(None);
    }
    all.iter()
        .copied()
        .find(|x| code_of(*x) == code)
        .map(Some)
        .ok_or_else(|| Error::invalid(field, unknown))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn twenty_regions_with_distinct_codes_that_round_trip_through_serde() {
        let codes: std::collections::BTreeSet<_> = Region::ALL.iter().map(|r| r.code()).collect();
        assert_eq!(codes.len(), 20, "3 cities + 17 oblasts");
        for r in Region::ALL {
            let json = serde_json::to_string(&r).unwrap();
            assert_eq!(json, format!("\"{}\"", r.code()));
            assert_eq!(parse_region(r.code()).unwrap(), Some(r));
        }
        for k in AgencyKind::ALL {
            assert_eq!(serde_json::to_string(&k).unwrap(), format!("\"{}\"", k.code()));
            assert_eq!(parse_kind(k.code()).unwrap(), Some(k));
        }
    }

    #[test]
    fn empty_is_unset_and_unknown_is_refused_naming_the_field() {
        assert_eq!(parse_region(" ").unwrap(), None);
        assert_eq!(parse_kind("").unwrap(), None);
        let e = parse_region("atlantis").unwrap_err();
        assert_eq!(e.field.as_deref(), Some("region"));
        let e = parse_kind("ministry").unwrap_err();
        assert_eq!(e.field.as_deref(), Some("kind"));
    }
}
