//! Disabling a leaver's account on the day agreed beforehand (I617 §20). The HR officer's
//! right was checked when the departure was requested; on the day the server acts, inside
//! the caller's transaction so the account and the request that asked for it change
//! together.

use redb::WriteTransaction;

use super::model::UserStatus;
use super::store::{USERS, Writer};
use crate::app::App;
use crate::error::Result;

/// Sessions ended by a departure, forgotten once the transaction is committed.
#[must_use]
#[derive(Debug, Default)]
pub struct Ended(Vec<[u8; 32]>);

/// Disables the account and ends its sessions in `txn`. Returns `None` when there is no
/// such account or it is disabled already (nothing to do).
pub fn disable_in(app: &App, txn: &WriteTransaction, user_id: u64) -> Result<Option<Ended>> {
    let user: Option<super::model::User> = crate::db::get_json(&txn.open_table(USERS)?, user_id)?;
    let Some(mut user) = user.filter(|u| u.status != UserStatus::Disabled) else {
        return Ok(None);
    };
    user.status = UserStatus::Disabled;
    Writer(txn).put_user(&user)?;
    Ok(Some(Ended(app.sessions.end_user_in(txn, user_id)?)))
}

/// After the commit: the ended sessions stop at once and the directory is re-read.
pub fn after_commit(app: &App, ended: Ended) {
    app.sessions.forget(&ended.0);
    app.directory_changed();
}
