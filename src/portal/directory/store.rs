//! The directory's redb tables and typed access to them.

use redb::{ReadTransaction, ReadableTable, TableDefinition, WriteTransaction};

use super::model::{Agency, Department, User, WorkingGroup};
use crate::db::{self, all_json, get_json, to_json};
use crate::error::{Error, Result};

pub const AGENCIES: TableDefinition<u64, &[u8]> = TableDefinition::new("agencies");
pub const AGENCY_CODES: TableDefinition<&str, u64> = TableDefinition::new("agency_codes");
pub const DEPARTMENTS: TableDefinition<u64, &[u8]> = TableDefinition::new("departments");
pub const USERS: TableDefinition<u64, &[u8]> = TableDefinition::new("users");
pub const LOGINS: TableDefinition<&str, u64> = TableDefinition::new("user_logins");
pub const GROUPS: TableDefinition<u64, &[u8]> = TableDefinition::new("working_groups");
/// (user id, group id) for "which groups is this person in".
pub const GROUP_MEMBERS: TableDefinition<(u64, u64), ()> =
    TableDefinition::new("working_group_members");

pub fn ensure_tables(txn: &WriteTransaction) -> Result<()> {
    txn.open_table(AGENCIES)?;
    txn.open_table(AGENCY_CODES)?;
    txn.open_table(DEPARTMENTS)?;
    txn.open_table(USERS)?;
    txn.open_table(LOGINS)?;
    txn.open_table(GROUPS)?;
    txn.open_table(GROUP_MEMBERS)?;
    Ok(())
}

/// Read access within one snapshot.
pub struct Reader<'a>(pub &'a ReadTransaction);

impl Reader<'_> {
    pub fn agency(&self, id: u64) -> Result<Option<Agency>> {
        get_json(&self.0.open_table(AGENCIES)?, id)
    }

    pub fn agency_by_code(&self, code: &str) -> Result<Option<Agency>> {
        let id =
            self.0.open_table(AGENCY_CODES)?.get(code.to_uppercase().as_str())?.map(|g| g.value());
        match id {
            Some(id) => self.agency(id),
            None => Ok(None),
        }
    }

    pub fn agencies(&self) -> Result<Vec<Agency>> {
        all_json(&self.0.open_table(AGENCIES)?)
    }

    pub fn department(&self, id: u64) -> Result<Option<Department>> {
        get_json(&self.0.open_table(DEPARTMENTS)?, id)
    }

    pub fn departments(&self) -> Result<Vec<Department>> {
        all_json(&self.0.open_table(DEPARTMENTS)?)
    }

    pub fn user(&self, id: u64) -> Result<Option<User>> {
        get_json(&self.0.open_table(USERS)?, id)
    }

    pub fn user_by_login(&self, login: &str) -> Result<Option<User>> {
        let id = self
            .0
            .open_table(LOGINS)?
            .get(login.trim().to_lowercase().as_str())?
            .map(|g| g.value());
        match id {
            Some(id) => self.user(id),
            None => Ok(None),
        }
    }

    pub fn users(&self) -> Result<Vec<User>> {
        all_json(&self.0.open_table(USERS)?)
    }

    pub fn group(&self, id: u64) -> Result<Option<WorkingGroup>> {
        get_json(&self.0.open_table(GROUPS)?, id)
    }

    pub fn groups(&self) -> Result<Vec<WorkingGroup>> {
        all_json(&self.0.open_table(GROUPS)?)
    }

    pub fn group_ids_of(&self, user_id: u64) -> Result<Vec<u64>> {
        let table = self.0.open_table(GROUP_MEMBERS)?;
        let mut out = Vec::new();
        for row in table.range((user_id, 0)..=(user_id, u64::MAX))? {
            out.push(row?.0.value().1);
        }
        Ok(out)
    }
}

/// Write access within one transaction.
pub struct Writer<'a>(pub &'a WriteTransaction);

impl Writer<'_> {
    pub fn agency_by_code(&self, code: &str) -> Result<Option<Agency>> {
        let id =
            self.0.open_table(AGENCY_CODES)?.get(code.to_uppercase().as_str())?.map(|g| g.value());
        match id {
            Some(id) => get_json(&self.0.open_table(AGENCIES)?, id),
            None => Ok(None),
        }
    }

    pub fn insert_agency(&self, mut agency: Agency) -> Result<Agency> {
        let mut codes = self.0.open_table(AGENCY_CODES)?;
        if codes.get(agency.code.as_str())?.is_some() {
            return Err(Error::new(crate::error::Code::Conflict)
                .with_field("code")
                .with_detail_key("agency-code-taken"));
        }
        agency.id = db::next_id(self.0, "agency")?;
        codes.insert(agency.code.as_str(), agency.id)?;
        self.put_agency(&agency)?;
        Ok(agency)
    }

    pub fn put_agency(&self, agency: &Agency) -> Result<()> {
        self.0.open_table(AGENCIES)?.insert(agency.id, to_json(agency)?.as_slice())?;
        Ok(())
    }

    pub fn insert_department(&self, mut dept: Department) -> Result<Department> {
        dept.id = db::next_id(self.0, "department")?;
        self.0.open_table(DEPARTMENTS)?.insert(dept.id, to_json(&dept)?.as_slice())?;
        Ok(dept)
    }

    pub fn insert_user(&self, mut user: User) -> Result<User> {
        let mut logins = self.0.open_table(LOGINS)?;
        if logins.get(user.login.as_str())?.is_some() {
            return Err(Error::new(crate::error::Code::Conflict)
                .with_field("login")
                .with_detail_key("login-taken"));
        }
        user.id = db::next_id(self.0, "user")?;
        logins.insert(user.login.as_str(), user.id)?;
        self.put_user(&user)?;
        Ok(user)
    }

    pub fn put_user(&self, user: &User) -> Result<()> {
        self.0.open_table(USERS)?.insert(user.id, to_json(user)?.as_slice())?;
        Ok(())
    }

    pub fn put_group(&self, group: &WorkingGroup, old_members: &[u64]) -> Result<()> {
        self.0.open_table(GROUPS)?.insert(group.id, to_json(group)?.as_slice())?;
        let mut members = self.0.open_table(GROUP_MEMBERS)?;
        for m in old_members {
            members.remove((*m, group.id))?;
        }
        for m in &group.members {
            members.insert((*m, group.id), ())?;
        }
        Ok(())
    }
}
