//! The helpdesk's redb tables: tickets, routing rules, teams.

use redb::{ReadTransaction, ReadableTable, TableDefinition, WriteTransaction};

use super::model::Ticket;
use super::routing::{Rule, Team};
use crate::db::{all_json, get_json, to_json};
use crate::error::Result;

pub const TICKETS: TableDefinition<u64, &[u8]> = TableDefinition::new("helpdesk_tickets");
pub const RULES: TableDefinition<u64, &[u8]> = TableDefinition::new("helpdesk_rules");
pub const TEAMS: TableDefinition<u64, &[u8]> = TableDefinition::new("helpdesk_teams");

pub fn ensure_tables(txn: &WriteTransaction) -> Result<()> {
    txn.open_table(TICKETS)?;
    txn.open_table(RULES)?;
    txn.open_table(TEAMS)?;
    Ok(())
}

pub fn tickets(txn: &ReadTransaction) -> Result<Vec<Ticket>> {
    all_json(&txn.open_table(TICKETS)?)
}

pub fn ticket(txn: &ReadTransaction, id: u64) -> Result<Option<Ticket>> {
    get_json(&txn.open_table(TICKETS)?, id)
}

pub fn ticket_in(txn: &WriteTransaction, id: u64) -> Result<Option<Ticket>> {
    get_json(&txn.open_table(TICKETS)?, id)
}

pub fn put_ticket(txn: &WriteTransaction, t: &Ticket) -> Result<()> {
    txn.open_table(TICKETS)?.insert(t.id, to_json(t)?.as_slice())?;
    Ok(())
}

/// Open tickets (not resolved or closed) and resolved ones, for the background checks.
pub fn unclosed(txn: &ReadTransaction) -> Result<Vec<Ticket>> {
    let table = txn.open_table(TICKETS)?;
    let mut out = Vec::new();
    for row in table.iter()? {
        let (_, v) = row?;
        let t: Ticket = serde_json::from_slice(v.value())?;
        if t.status != super::model::Status::Closed {
            out.push(t);
        }
    }
    Ok(out)
}

pub fn rules(txn: &ReadTransaction) -> Result<Vec<Rule>> {
    all_json(&txn.open_table(RULES)?)
}

pub fn rules_in(txn: &WriteTransaction) -> Result<Vec<Rule>> {
    all_json(&txn.open_table(RULES)?)
}

pub fn put_rule(txn: &WriteTransaction, r: &Rule) -> Result<()> {
    txn.open_table(RULES)?.insert(r.id, to_json(r)?.as_slice())?;
    Ok(())
}

pub fn remove_rule(txn: &WriteTransaction, id: u64) -> Result<Option<Rule>> {
    let mut table = txn.open_table(RULES)?;
    let old = table.remove(id)?.map(|v| serde_json::from_slice(v.value())).transpose()?;
    Ok(old)
}

pub fn teams(txn: &ReadTransaction) -> Result<Vec<Team>> {
    all_json(&txn.open_table(TEAMS)?)
}

pub fn teams_in(txn: &WriteTransaction) -> Result<Vec<Team>> {
    all_json(&txn.open_table(TEAMS)?)
}

pub fn team_in(txn: &WriteTransaction, id: u64) -> Result<Option<Team>> {
    get_json(&txn.open_table(TEAMS)?, id)
}

pub fn put_team(txn: &WriteTransaction, t: &Team) -> Result<()> {
    txn.open_table(TEAMS)?.insert(t.id, to_json(t)?.as_slice())?;
    Ok(())
}
