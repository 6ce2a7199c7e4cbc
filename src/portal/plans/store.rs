//! The action-plans feature's tables: plans, their items (each item with its tasks,
//! reports and consolidated report, so a step rewrites one item, never the whole plan),
//! and the reminders already sent.

use redb::{ReadTransaction, ReadableTable, TableDefinition, WriteTransaction};

use super::model::{Item, Plan};
use crate::db::{get_json, to_json};
use crate::error::Result;

pub const PLANS: TableDefinition<u64, &[u8]> = TableDefinition::new("plans");
/// (plan, item) → item.
pub const ITEMS: TableDefinition<(u64, u64), &[u8]> = TableDefinition::new("plan_items");
/// (plan, item, what) → (): reminders sent (`before:<period>`, `overdue:<period>`, `tasks`).
pub const REMINDED: TableDefinition<(u64, u64, &str), ()> = TableDefinition::new("plan_reminders");

pub fn ensure_tables(txn: &WriteTransaction) -> Result<()> {
    txn.open_table(PLANS)?;
    txn.open_table(ITEMS)?;
    txn.open_table(REMINDED)?;
    Ok(())
}

pub fn plan(txn: &ReadTransaction, id: u64) -> Result<Option<Plan>> {
    get_json(&txn.open_table(PLANS)?, id)
}

pub fn plan_in(txn: &WriteTransaction, id: u64) -> Result<Option<Plan>> {
    get_json(&txn.open_table(PLANS)?, id)
}

pub fn put_plan(txn: &WriteTransaction, plan: &Plan) -> Result<()> {
    txn.open_table(PLANS)?.insert(plan.id, to_json(plan)?.as_slice())?;
    Ok(())
}

pub fn plans(txn: &ReadTransaction) -> Result<Vec<Plan>> {
    let table = txn.open_table(PLANS)?;
    let mut out = Vec::new();
    for row in table.iter()?.rev() {
        out.push(serde_json::from_slice(row?.1.value())?);
    }
    Ok(out)
}

pub fn items(txn: &ReadTransaction, plan: u64) -> Result<Vec<Item>> {
    let table = txn.open_table(ITEMS)?;
    let mut out = Vec::new();
    for row in table.range((plan, 0)..=(plan, u64::MAX))? {
        out.push(serde_json::from_slice(row?.1.value())?);
    }
    Ok(out)
}

pub fn item_in(txn: &WriteTransaction, plan: u64, item: u64) -> Result<Option<Item>> {
    get_json(&txn.open_table(ITEMS)?, (plan, item))
}

pub fn item(txn: &ReadTransaction, plan: u64, item: u64) -> Result<Option<Item>> {
    get_json(&txn.open_table(ITEMS)?, (plan, item))
}

pub fn put_item(txn: &WriteTransaction, item: &Item) -> Result<()> {
    txn.open_table(ITEMS)?.insert((item.plan, item.id), to_json(item)?.as_slice())?;
    Ok(())
}

/// Marks a reminder as sent; `false` if it already was.
pub fn mark_reminded(txn: &WriteTransaction, plan: u64, item: u64, what: &str) -> Result<bool> {
    let mut table = txn.open_table(REMINDED)?;
    if table.get((plan, item, what))?.is_some() {
        return Ok(false);
    }
    table.insert((plan, item, what), ())?;
    Ok(true)
}

pub fn reminded(txn: &ReadTransaction, plan: u64, item: u64, what: &str) -> Result<bool> {
    Ok(txn.open_table(REMINDED)?.get((plan, item, what))?.is_some())
}
