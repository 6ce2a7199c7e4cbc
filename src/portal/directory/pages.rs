//! Page templates of the directory feature (`web/templates/directory/*.html`).

use askama::Template;

use super::model::{Agency, Department, WorkingGroup};
use super::service::{AccountView, StaffEntry};
use crate::auth::roles::Role;
use crate::web::render::PageCtx;

#[derive(Template)]
#[template(path = "directory/login.html")]
pub struct LoginPage<'a> {
    pub page: PageCtx<'a>,
    pub pre_token: String,
    pub login: String,
    pub error: Option<String>,
    pub next: String,
    /// The subject of the client certificate presented on this TLS connection.
    pub certificate: Option<String>,
}

#[derive(Template)]
#[template(path = "directory/password.html")]
pub struct PasswordPage<'a> {
    pub page: PageCtx<'a>,
    pub forced: bool,
    pub error: Option<String>,
    pub min_len: usize,
}

#[derive(Template)]
#[template(path = "directory/staff.html")]
pub struct StaffPage<'a> {
    pub page: PageCtx<'a>,
    pub q: String,
    pub agency: String,
    pub agencies: Vec<Agency>,
    pub results: Vec<StaffEntry>,
    pub searched: bool,
}

#[derive(Template)]
#[template(path = "directory/profile.html")]
pub struct ProfilePage<'a> {
    pub page: PageCtx<'a>,
    pub me: AccountView,
    pub agency: Option<Agency>,
    pub department: Option<Department>,
    pub saved: bool,
}

#[derive(Template)]
#[template(path = "directory/admin_agencies.html")]
pub struct AgenciesPage<'a> {
    pub page: PageCtx<'a>,
    pub agencies: Vec<Agency>,
    pub departments: Vec<Department>,
    pub can_add_agency: bool,
}

#[derive(Template)]
#[template(path = "directory/admin_users.html")]
pub struct AccountsPage<'a> {
    pub page: PageCtx<'a>,
    pub accounts: Vec<AccountView>,
    pub agency: String,
    pub agencies: Vec<Agency>,
}

#[derive(Template)]
#[template(path = "directory/admin_user_new.html")]
pub struct NewAccountPage<'a> {
    pub page: PageCtx<'a>,
    pub agencies: Vec<Agency>,
    pub departments: Vec<Department>,
    pub roles: &'static [Role],
}

#[derive(Template)]
#[template(path = "directory/admin_user.html")]
pub struct AccountPage<'a> {
    pub page: PageCtx<'a>,
    pub account: AccountView,
    pub departments: Vec<Department>,
    pub roles: &'static [Role],
}

#[derive(Template)]
#[template(path = "directory/secret.html")]
pub struct SecretPage<'a> {
    pub page: PageCtx<'a>,
    pub login: String,
    pub secret: String,
    pub back: String,
}

/// A group with its members as (id, login, name), and whether the viewer may manage it.
pub type GroupView = (WorkingGroup, Vec<(u64, String, String)>, bool);

#[derive(Template)]
#[template(path = "directory/groups.html")]
pub struct GroupsPage<'a> {
    pub page: PageCtx<'a>,
    pub groups: Vec<GroupView>,
    pub can_create: bool,
}

impl AccountView {
    pub fn has_role(&self, role: &Role) -> bool {
        self.user.roles.contains(role)
    }

    pub fn in_department(&self, id: &u64) -> bool {
        self.user.department_id == Some(*id)
    }

    pub fn is_disabled(&self) -> bool {
        self.user.status == super::model::UserStatus::Disabled
    }
}
