//! The route table: features add `(path, route)` pairs as they would to actix's
//! `ServiceConfig`; the table installs them grouped into one scope per leading path
//! (`/plans`, `/api/v1/plans`, …).
//!
//! Why: actix tries the resources of a level one by one and matches each dynamic pattern
//! with a regular expression. With some 350 routes flat at the top, a request for a page
//! registered late ran ~190 expressions before its own (15–50 µs of a 90 µs page; a 404
//! ran them all), and every worker compiled them all with the `regex` crate's DFAs — 5 MiB
//! per worker, the largest item of the server's idle memory. Scoped, a request first
//! compares a few dozen static prefixes and then tries only its own feature's patterns,
//! which lets the router use `regex-lite` (no DFAs; slower per match, but a scope holds at
//! most a few dozen patterns). Groups never overlap (a prefix is whole segments), so the
//! order of groups does not matter; routes keep their order inside a group.

use std::collections::BTreeMap;

use actix_web::{Route, web};

/// How many leading segments name a group: `/api/v1/<feature>` for the JSON API, the first
/// segment for pages.
fn group_of(path: &str) -> Option<&str> {
    let depth = match path.strip_prefix("/api") {
        Some(rest) if rest.starts_with("/v1/") => 3,
        // A group `/api` would swallow every `/api/v1/<feature>` group.
        Some(rest) if rest.is_empty() || rest.starts_with('/') => return None,
        _ => 1,
    };
    let mut end = 0;
    for _ in 0..depth {
        let rest = &path[end..];
        let next = rest.get(1..)?.find('/').map(|i| i + 1).unwrap_or(rest.len());
        end += next;
    }
    let group = &path[..end];
    // A dynamic segment cannot be a scope's static prefix.
    (!group.contains('{') && group.len() > 1).then_some(group)
}

#[derive(Default)]
pub struct RouteTable {
    /// Group prefix → the routes under it, as (path below the prefix, route), in the order
    /// they were added.
    groups: BTreeMap<String, Vec<(String, Route)>>,
    /// Routes without a static group (the root `/`), installed after the groups.
    ungrouped: Vec<(String, Route)>,
}

impl RouteTable {
    /// Adds a route for `path` (a full path, as in `ServiceConfig::route`).
    pub fn route(&mut self, path: &str, route: Route) -> &mut Self {
        match group_of(path) {
            Some(group) => {
                let rest = path[group.len()..].to_string();
                self.groups.entry(group.to_string()).or_default().push((rest, route));
            }
            None => self.ungrouped.push((path.to_string(), route)),
        }
        self
    }

    /// Installs the table. A group whose routes all sit at its prefix (`/healthz`) needs no
    /// scope: a static pattern is a string comparison already.
    pub fn install(self, cfg: &mut web::ServiceConfig) {
        for (prefix, routes) in self.groups {
            if routes.iter().all(|(rest, _)| rest.is_empty()) {
                for (_, route) in routes {
                    cfg.route(&prefix, route);
                }
                continue;
            }
            let mut scope = web::scope(&prefix);
            for (rest, route) in routes {
                scope = scope.route(&rest, route);
            }
            cfg.service(scope);
        }
        for (path, route) in self.ungrouped {
            cfg.route(&path, route);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::group_of;

    #[test]
    fn groups_are_whole_leading_segments() {
        assert_eq!(group_of("/plans"), Some("/plans"));
        assert_eq!(group_of("/plans/{id}/post"), Some("/plans"));
        assert_eq!(group_of("/api/v1/plans"), Some("/api/v1/plans"));
        assert_eq!(group_of("/api/v1/plans/{id}"), Some("/api/v1/plans"));
        assert_eq!(group_of("/api/v1/usage.csv"), Some("/api/v1/usage.csv"));
        assert_eq!(group_of("/static/{name}"), Some("/static"));
        assert_eq!(group_of("/"), None);
        assert_eq!(group_of("/{lang}/x"), None);
        assert_eq!(group_of("/api/v1/{x}"), None);
        assert_eq!(group_of("/api/v1"), None);
        assert_eq!(group_of("/api"), None);
        assert_eq!(group_of("/apis/x"), Some("/apis"));
    }
}
