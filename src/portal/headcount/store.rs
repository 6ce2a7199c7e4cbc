//! The headcount feature's tables: published form definitions, campaigns, returns and an
//! index of returns by campaign and agency.
//!
//! Immutability of accepted data (I385 §27) is kept here, below every route: [`put_return`]
//! is the only writer of a return, and it refuses to overwrite a return whose stored state
//! is accepted — whatever the caller, whatever it believes the state to be. A correction is
//! a new return that names the accepted one.

use redb::{ReadTransaction, ReadableTable, TableDefinition, WriteTransaction};

use super::model::{Campaign, FormDefinition, Return, State};
use crate::db::{get_json, to_json};
use crate::error::{Code, Error, Result};

/// version → form definition (version 1 is built in and stored only if published again).
pub const FORMS: TableDefinition<u32, &[u8]> = TableDefinition::new("headcount_forms");
pub const CAMPAIGNS: TableDefinition<u64, &[u8]> = TableDefinition::new("headcount_campaigns");
pub const RETURNS: TableDefinition<u64, &[u8]> = TableDefinition::new("headcount_returns");
/// (campaign, agency, return) → ().
pub const BY_CAMPAIGN: TableDefinition<(u64, u64, u64), ()> =
    TableDefinition::new("headcount_returns_by_campaign");

pub fn ensure_tables(txn: &WriteTransaction) -> Result<()> {
    txn.open_table(FORMS)?;
    txn.open_table(CAMPAIGNS)?;
    txn.open_table(RETURNS)?;
    txn.open_table(BY_CAMPAIGN)?;
    Ok(())
}

/// The refusal of any change to an accepted return.
pub fn accepted_refusal() -> Error {
    Error::new(Code::Conflict).with_field("state").with_detail_key("headcount-return-accepted")
}

pub fn forms(txn: &ReadTransaction) -> Result<Vec<FormDefinition>> {
    let mut out = vec![FormDefinition::builtin()];
    for row in txn.open_table(FORMS)?.iter()? {
        out.push(serde_json::from_slice(row?.1.value())?);
    }
    Ok(out)
}

pub fn form(txn: &ReadTransaction, version: u32) -> Result<Option<FormDefinition>> {
    if version == 1 {
        return Ok(Some(FormDefinition::builtin()));
    }
    get_json(&txn.open_table(FORMS)?, version)
}

/// Publishes the next version; versions are never overwritten.
pub fn add_form(txn: &WriteTransaction, mut def: FormDefinition) -> Result<u32> {
    let mut table = txn.open_table(FORMS)?;
    let last = table.last()?.map(|(k, _)| k.value()).unwrap_or(1);
    def.version = last + 1;
    table.insert(def.version, to_json(&def)?.as_slice())?;
    Ok(def.version)
}

pub fn campaigns(txn: &ReadTransaction) -> Result<Vec<Campaign>> {
    let mut out = Vec::new();
    for row in txn.open_table(CAMPAIGNS)?.iter()? {
        out.push(serde_json::from_slice(row?.1.value())?);
    }
    Ok(out)
}

pub fn campaign(txn: &ReadTransaction, id: u64) -> Result<Option<Campaign>> {
    get_json(&txn.open_table(CAMPAIGNS)?, id)
}

pub fn put_campaign(txn: &WriteTransaction, c: &Campaign) -> Result<()> {
    txn.open_table(CAMPAIGNS)?.insert(c.id, to_json(c)?.as_slice())?;
    Ok(())
}

pub fn get_return(txn: &ReadTransaction, id: u64) -> Result<Option<Return>> {
    get_json(&txn.open_table(RETURNS)?, id)
}

pub fn return_in(txn: &WriteTransaction, id: u64) -> Result<Option<Return>> {
    get_json(&txn.open_table(RETURNS)?, id)
}

/// Writes a return — refused if the stored one is accepted (§27).
pub fn put_return(txn: &WriteTransaction, r: &Return) -> Result<()> {
    let mut table = txn.open_table(RETURNS)?;
    let stored: Option<Return> = get_json(&table, r.id)?;
    if stored.as_ref().is_some_and(|s| s.state == State::Accepted) {
        return Err(accepted_refusal());
    }
    table.insert(r.id, to_json(r)?.as_slice())?;
    if stored.is_none() {
        txn.open_table(BY_CAMPAIGN)?.insert((r.campaign, r.agency, r.id), ())?;
    }
    Ok(())
}

/// The returns of a campaign (every agency, corrections included), oldest first.
pub fn returns_of(txn: &ReadTransaction, campaign: u64) -> Result<Vec<Return>> {
    let index = txn.open_table(BY_CAMPAIGN)?;
    let table = txn.open_table(RETURNS)?;
    let mut out = Vec::new();
    for row in index.range((campaign, 0, 0)..=(campaign, u64::MAX, u64::MAX))? {
        let (_, _, id) = row?.0.value();
        if let Some(r) = get_json(&table, id)? {
            out.push(r);
        }
    }
    out.sort_by_key(|r: &Return| r.id);
    Ok(out)
}

/// An agency's returns in a campaign, inside a write transaction.
pub fn agency_returns_in(
    txn: &WriteTransaction,
    campaign: u64,
    agency: u64,
) -> Result<Vec<Return>> {
    let index = txn.open_table(BY_CAMPAIGN)?;
    let table = txn.open_table(RETURNS)?;
    let mut out = Vec::new();
    for row in index.range((campaign, agency, 0)..=(campaign, agency, u64::MAX))? {
        let (_, _, id) = row?.0.value();
        if let Some(r) = get_json(&table, id)? {
            out.push(r);
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db::Db;
    use crate::portal::headcount::model::{Acceptance, Values};

    fn sample(id: u64) -> Return {
        Return {
            id,
            campaign: 7,
            agency: 3,
            form_version: 1,
            values: Values::from([("approved".to_owned(), 10), ("filled".to_owned(), 9)]),
            state: State::Submitted,
            revision: 1,
            corrects: None,
            reason: String::new(),
            comments: vec![],
            created_at: "2026-12-01T05:00:00Z".into(),
            created_by: 1,
            submitted: None,
            accepted: None,
            signature: None,
            history: vec![],
        }
    }

    /// I385 §27: once accepted, a return cannot be overwritten through the store itself —
    /// not by a later state, not by the same state, not by a forged "draft" — and it stays
    /// readable exactly as accepted; a correction is another record.
    #[test]
    fn an_accepted_return_can_never_be_overwritten() {
        let dir = tempfile::tempdir().unwrap();
        let db = Db::open(&dir.path().join("t.redb")).unwrap();
        db.write(ensure_tables).unwrap();
        let mut r = sample(1);
        db.write(|txn| put_return(txn, &r)).unwrap();
        r.state = State::Accepted;
        r.accepted = Some(Acceptance { at: "x".into(), by: 2, digest: "d".into() });
        db.write(|txn| put_return(txn, &r)).unwrap();
        let accepted = serde_json::to_vec(&r).unwrap();
        for state in [State::Draft, State::Submitted, State::Returned, State::Accepted] {
            let mut changed = r.clone();
            changed.state = state;
            changed.values.insert("filled".into(), 8);
            let e = db.write(|txn| put_return(txn, &changed)).unwrap_err();
            assert_eq!((e.code, e.detail_key), (Code::Conflict, Some("headcount-return-accepted")));
        }
        let stored = get_return(&db.read().unwrap(), 1).unwrap().unwrap();
        assert_eq!(serde_json::to_vec(&stored).unwrap(), accepted, "unchanged to the byte");
        let mut correction = sample(2);
        correction.corrects = Some(1);
        db.write(|txn| put_return(txn, &correction)).unwrap();
        let all = returns_of(&db.read().unwrap(), 7).unwrap();
        assert_eq!(
            all.iter().map(|r| (r.id, r.state)).collect::<Vec<_>>(),
            [(1, State::Accepted), (2, State::Submitted)]
        );
    }
}
