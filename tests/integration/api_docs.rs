//! The API description (issue 2; DESIGN "Web"): `/api/v1/openapi.json` is served, is the
//! document in `docs/openapi.json`, and describes exactly the `/api/v1` routes the code
//! registers — no route undocumented, no documented route missing.

use std::collections::BTreeSet;
use std::path::Path;

use serde_json::Value;

use crate::common::Server;

/// `(method, path)` of every `.route("/api/v1/...", web::method()...)` in `src/`.
fn registered_api_routes() -> BTreeSet<(String, String)> {
    let mut out = BTreeSet::new();
    let mut stack = vec![Path::new(env!("CARGO_MANIFEST_DIR")).join("src")];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
                continue;
            }
            if path.extension().is_none_or(|e| e != "rs") {
                continue;
            }
            let text = std::fs::read_to_string(&path).unwrap();
            for part in text.split(".route(\"").skip(1) {
                let Some((route, rest)) = part.split_once('"') else { continue };
                if !route.starts_with("/api/v1") {
                    continue;
                }
                let method = rest
                    .split("web::")
                    .nth(1)
                    .and_then(|m| m.split('(').next())
                    .unwrap_or_else(|| panic!("no method for {route} in {}", path.display()));
                out.insert((method.to_owned(), route.to_owned()));
            }
        }
    }
    out
}

#[test]
fn the_served_openapi_document_describes_every_api_route_and_nothing_else() {
    let server = Server::start();
    let res = server.client().get("/api/v1/openapi.json");
    assert_eq!(res.status, 200);
    assert!(res.header("content-type").unwrap().starts_with("application/json"));
    let file =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/openapi.json"))
            .unwrap();
    assert_eq!(res.body, file, "the served document is docs/openapi.json");
    let doc: Value = serde_json::from_str(&file).expect("docs/openapi.json is JSON");
    assert!(doc["openapi"].as_str().unwrap().starts_with("3."));

    let registered = registered_api_routes();
    assert!(registered.len() >= 20, "route scan found too little: {registered:?}");
    let mut documented = BTreeSet::new();
    for (path, item) in doc["paths"].as_object().expect("paths") {
        for (method, op) in item.as_object().unwrap() {
            if method == "parameters" {
                continue;
            }
            documented.insert((method.clone(), path.clone()));
            let what = format!("{method} {path}");
            assert!(op["summary"].as_str().is_some_and(|s| !s.is_empty()), "{what}: summary");
            assert!(
                op["responses"].as_object().is_some_and(|r| !r.is_empty()),
                "{what}: responses"
            );
            // Every `{param}` of the path is declared.
            let declared: Vec<String> = op["parameters"]
                .as_array()
                .into_iter()
                .chain(item["parameters"].as_array())
                .flatten()
                .filter_map(|p| resolve(&doc, p)["name"].as_str().map(str::to_owned))
                .collect();
            for param in path.split('{').skip(1).map(|p| p.split('}').next().unwrap()) {
                assert!(declared.iter().any(|d| d == param), "{what}: {{{param}}} undeclared");
            }
        }
    }
    let undocumented: Vec<_> = registered.difference(&documented).collect();
    let phantom: Vec<_> = documented.difference(&registered).collect();
    assert!(undocumented.is_empty(), "routes missing from docs/openapi.json: {undocumented:?}");
    assert!(phantom.is_empty(), "documented routes that do not exist: {phantom:?}");
}

/// Follows a local `$ref` (`#/components/...`).
fn resolve<'a>(doc: &'a Value, v: &'a Value) -> &'a Value {
    match v["$ref"].as_str() {
        Some(r) => r.trim_start_matches("#/").split('/').fold(doc, |node, key| &node[key]),
        None => v,
    }
}
