//! Page templates of the directory feature (`web/templates/directory/*.html`).

use askama::Template;

use super::model::{Agency, Department, WorkingGroup};
use super::service::{AccountView, StaffEntry};
use crate::auth::roles::Role;
use crate::web::forms::Form;
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
    /// The language picked on this page, which signing in saves to the profile.
    pub chosen_lang: Option<&'static str>,
}

#[derive(Template)]
#[template(path = "directory/password.html")]
pub struct PasswordPage<'a> {
    pub page: PageCtx<'a>,
    pub forced: bool,
    pub min_len: usize,
    pub f: Form,
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
    /// The contacts form.
    pub f: Form,
}

#[derive(Template)]
#[template(path = "directory/admin_agencies.html")]
pub struct AgenciesPage<'a> {
    pub page: PageCtx<'a>,
    pub agencies: Vec<Agency>,
    pub departments: Vec<Department>,
    pub can_add_agency: bool,
    /// A refused form: `agency`, or `department` with the agency's id in `agency`.
    pub f: Form,
}

impl AgenciesPage<'_> {
    pub fn new_agency(&self) -> Form {
        if self.f.id == "agency" { self.f.clone() } else { Form::new("agency") }
    }

    /// The region-and-kind form of agency `a`, with its current values (or what was refused).
    pub fn place(&self, a: &Agency) -> Form {
        if self.f.id == "place" && self.f.value("agency") == a.code {
            return self.f.clone().instance(&a.code);
        }
        Form::new("place")
            .instance(&a.code)
            .set("region", a.region.map(|r| r.code()).unwrap_or(""))
            .set("kind", a.kind.map(|k| k.code()).unwrap_or(""))
    }

    /// (code, Fluent message) of every region, for a select.
    pub fn regions(&self) -> Vec<(&'static str, String)> {
        super::place::Region::ALL.iter().map(|r| (r.code(), r.message())).collect()
    }

    /// (code, Fluent message) of every agency kind.
    pub fn kinds(&self) -> Vec<(&'static str, String)> {
        super::place::AgencyKind::ALL.iter().map(|k| (k.code(), k.message())).collect()
    }

    /// The new-department form of agency `id`.
    pub fn new_department(&self, id: &u64) -> Form {
        if self.f.id == "department" && self.f.value("agency") == id.to_string() {
            self.f.clone().instance(id)
        } else {
            Form::new("department").instance(id)
        }
    }
}

#[derive(Template)]
#[template(path = "directory/admin_users.html")]
pub struct AccountsPage<'a> {
    pub page: PageCtx<'a>,
    pub accounts: Vec<AccountView>,
    pub agency: String,
    pub agencies: Vec<Agency>,
    /// The column heads that sort (issue 21 p. 7).
    pub columns: crate::web::sorting::Columns,
    /// Whether to offer "new account": the person may create one in some agency (support
    /// staff see the accounts but create none).
    pub can_create: bool,
}

#[derive(Template)]
#[template(path = "directory/admin_user_new.html")]
pub struct NewAccountPage<'a> {
    pub page: PageCtx<'a>,
    pub agencies: Vec<Agency>,
    pub departments: Vec<Department>,
    pub roles: &'static [Role],
    pub f: Form,
}

impl NewAccountPage<'_> {
    /// The departments of one agency (the list names its agency).
    pub fn departments_of(&self, agency: &Agency) -> Vec<&Department> {
        self.departments.iter().filter(|d| d.agency_id == agency.id).collect()
    }
}

#[derive(Template)]
#[template(path = "directory/admin_user.html")]
pub struct AccountPage<'a> {
    pub page: PageCtx<'a>,
    pub account: AccountView,
    pub departments: Vec<Department>,
    pub roles: &'static [Role],
    /// A refused form: `profile`, `roles` or `status`.
    pub f: Form,
}

impl AccountPage<'_> {
    /// The profile form, pre-filled from the account unless refused.
    pub fn profile(&self) -> Form {
        if self.f.id == "profile" {
            return self.f.clone();
        }
        let u = &self.account.user;
        Form::new("profile")
            .set("name_kk", u.name_kk.clone())
            .set("name_ru", u.name_ru.clone())
            .set("position_kk", u.position_kk.clone())
            .set("position_ru", u.position_ru.clone())
            .set("department_id", u.department_id.map(|d| d.to_string()).unwrap_or_default())
            .set("email", u.email.clone())
            .set("phone", u.phone.clone())
    }

    /// The roles form, with the account's roles unless refused.
    pub fn roles_form(&self) -> Form {
        if self.f.id == "roles" {
            return self.f.clone();
        }
        self.account.user.roles.iter().fold(Form::new("roles"), |f, r| f.add("role", r.name()))
    }

    /// The reason enabling or disabling was refused.
    pub fn status(&self) -> Form {
        if self.f.id == "status" { self.f.clone() } else { Form::new("status") }
    }
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
    /// A refused form: `group` (new group) or `members` (with the group's id in `group`).
    pub f: Form,
}

impl GroupsPage<'_> {
    /// The new-group form as shown.
    pub fn new_group(&self) -> Form {
        if self.f.id == "group" { self.f.clone() } else { Form::new("group") }
    }

    /// The members form of group `id` as shown (its id is unique on the page).
    pub fn members(&self, g: &WorkingGroup, members: &[(u64, String, String)]) -> Form {
        if self.f.id == "members" && self.f.value("group") == g.id.to_string() {
            return self.f.clone().instance(g.id);
        }
        let logins: Vec<&str> = members.iter().map(|(_, login, _)| login.as_str()).collect();
        Form::new("members")
            .instance(g.id)
            .set("members", logins.join("\n"))
            .set("group", g.id.to_string())
    }
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
