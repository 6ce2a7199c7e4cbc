//! Routing of requests to the administrator or team that handles them (I617 §14): rules
//! on the category and the applicant's agency, kept by the support administrator. No I/O.
//!
//! The most specific matching rule wins — category and agency, then category alone, then
//! agency alone, then a rule with neither (a catch-all); among equals the oldest. A request
//! no rule matches stays `new`, flagged, with the support administrators.

use serde::{Deserialize, Serialize};

use super::model::Category;

/// Whom a rule sends requests to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind", content = "id")]
pub enum Target {
    /// One administrator's account.
    User(u64),
    /// A team of administrators (e.g. the servers' administrators, I617 §25–§30).
    Team(u64),
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Rule {
    pub id: u64,
    /// `None`: any category.
    pub category: Option<crate::portal::helpdesk::model::Category>,
    /// `None`: any agency.
    pub agency_id: Option<u64>,
    pub target: Target,
    pub created_by: String,
    pub created: String,
}

impl Rule {
    fn matches(&self, category: Category, agency_id: u64) -> bool {
        self.category.is_none_or(|c| c == category) && self.agency_id.is_none_or(|a| a == agency_id)
    }

    fn specificity(&self) -> u8 {
        u8::from(self.category.is_some()) * 2 + u8::from(self.agency_id.is_some())
    }
}

/// A named group of administrators who share requests.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Team {
    pub id: u64,
    pub name_kk: String,
    pub name_ru: String,
    #[serde(default)]
    pub name_en: String,
    pub members: Vec<u64>,
    pub created: String,
}

impl Team {
    pub fn names(&self) -> crate::notify::Names {
        crate::notify::Names::new(&self.name_kk, &self.name_ru, &self.name_en)
    }
}

/// The rule that decides where a request goes, if any.
pub fn route(rules: &[Rule], category: Category, agency_id: u64) -> Option<&Rule> {
    rules
        .iter()
        .filter(|r| r.matches(category, agency_id))
        .max_by(|a, b| a.specificity().cmp(&b.specificity()).then(b.id.cmp(&a.id)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule(id: u64, category: Option<Category>, agency_id: Option<u64>, to: u64) -> Rule {
        Rule {
            id,
            category,
            agency_id,
            target: Target::User(to),
            created_by: "support".into(),
            created: String::new(),
        }
    }

    #[test]
    fn the_most_specific_rule_wins_then_the_oldest() {
        let rules = vec![
            rule(1, None, Some(5), 100),
            rule(2, Some(Category::Signatures), None, 200),
            rule(3, Some(Category::Signatures), Some(5), 300),
            rule(4, Some(Category::Signatures), None, 400),
            rule(5, None, None, 500),
        ];
        let to = |c, a| route(&rules, c, a).map(|r| r.target);
        assert_eq!(to(Category::Signatures, 5), Some(Target::User(300)));
        assert_eq!(to(Category::Signatures, 6), Some(Target::User(200)), "oldest of equals");
        assert_eq!(to(Category::Mail, 5), Some(Target::User(100)));
        assert_eq!(to(Category::Mail, 6), Some(Target::User(500)), "catch-all");
        assert_eq!(route(&rules[..4], Category::Mail, 6), None, "nobody");
        assert_eq!(route(&[], Category::Mail, 6), None);
    }

    #[test]
    fn targets_serialise_with_their_kind() {
        assert_eq!(
            serde_json::to_value(Target::Team(3)).unwrap(),
            serde_json::json!({"kind": "team", "id": 3})
        );
    }
}
