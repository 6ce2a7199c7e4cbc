//! The API description (issue 2; DESIGN "Web"): `/api/v1/openapi.json` is served, is the
//! document in `docs/openapi.json`, and describes exactly the `/api/v1` routes the code
//! registers — no route undocumented, no documented route missing.

use std::collections::BTreeSet;
use std::path::Path;

use serde_json::Value;

use crate::common::Server;

/// The methods schemathesis tries on a documented path beside the documented ones.
const METHODS: [&str; 5] = ["GET", "POST", "PUT", "PATCH", "DELETE"];

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
                // `{id:\d+}` (a constraint that keeps a parameter off its literal
                // siblings) is documented as `{id}`.
                out.insert((method.to_owned(), without_constraints(route)));
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
            errors_declared(&doc, item, op, method, &what);
        }
    }
    let undocumented: Vec<_> = registered.difference(&documented).collect();
    let phantom: Vec<_> = documented.difference(&registered).collect();
    assert!(undocumented.is_empty(), "routes missing from docs/openapi.json: {undocumented:?}");
    assert!(phantom.is_empty(), "documented routes that do not exist: {phantom:?}");
}

/// The error answers every operation of a kind can give are declared with it (issue 20 point
/// 1: schemathesis' "undocumented status code"): 404 where a path names an object, 400 where a
/// query or body is read, 413 where a body is, 401 and 403 where one must be signed in (the
/// policy may refuse, a password may be due), 403 and the CSRF token on a state-changing
/// request of a signed-in person.
fn errors_declared(doc: &Value, item: &Value, op: &Value, method: &str, what: &str) {
    let params: Vec<&Value> = op["parameters"]
        .as_array()
        .into_iter()
        .chain(item["parameters"].as_array())
        .flatten()
        .map(|p| resolve(doc, p))
        .collect();
    let responses = op["responses"].as_object().unwrap();
    let has = |code: &str| responses.contains_key(code);
    let security = op.get("security").unwrap_or(&doc["security"]);
    let public = security.as_array().is_some_and(Vec::is_empty);
    let unsafe_method = matches!(method, "post" | "put" | "patch" | "delete");
    if params.iter().any(|p| p["in"] == "path") {
        assert!(has("404"), "{what}: 404 undeclared");
    }
    if params.iter().any(|p| p["in"] == "query") || op.get("requestBody").is_some() {
        assert!(has("400"), "{what}: 400 undeclared");
    }
    if op.get("requestBody").is_some() {
        assert!(has("413"), "{what}: 413 undeclared");
    }
    if !public {
        assert!(has("401") && has("403"), "{what}: 401 or 403 undeclared");
    }
    let session = security
        .as_array()
        .into_iter()
        .flatten()
        .any(|s| s.get("session").is_some() || s.get("sessionLoopback").is_some());
    if unsafe_method && session {
        assert!(has("403"), "{what}: 403 undeclared");
        for s in security.as_array().unwrap() {
            assert!(s.get("csrf").is_some(), "{what}: a session without the CSRF token: {s}");
        }
        let loopback =
            security.as_array().unwrap().iter().any(|s| s.get("sessionLoopback").is_some());
        assert!(loopback, "{what}: the loopback session cookie undeclared");
    }
}

/// Follows a local `$ref` (`#/components/...`).
fn resolve<'a>(doc: &'a Value, v: &'a Value) -> &'a Value {
    match v["$ref"].as_str() {
        Some(r) => r.trim_start_matches("#/").split('/').fold(doc, |node, key| &node[key]),
        None => v,
    }
}

/// `/a/{id:\d+}/b` → `/a/{id}/b`.
fn without_constraints(route: &str) -> String {
    let mut out = String::new();
    let mut rest = route;
    while let Some(start) = rest.find('{') {
        let end = rest[start..].find('}').map(|e| start + e).expect("closed parameter");
        let name = rest[start + 1..end].split(':').next().unwrap();
        out.push_str(&rest[..start]);
        out.push_str(&format!("{{{name}}}"));
        rest = &rest[end + 1..];
    }
    out.push_str(rest);
    out
}

/// A method the document does not declare for a path is answered 405 with `Allow` — also where
/// a literal path (`/api/v1/reminders/refresh`, POST only) sits beside a parameter route of
/// another method (`GET /api/v1/reminders/{id}`), which took it for an id and answered 404
/// (issue 20 point 1, schemathesis check ST204). Signed in as the administrator, with the CSRF
/// token, so that neither 401 nor 403 hides the answer.
#[test]
fn every_method_the_document_does_not_declare_is_answered_405() {
    let (_server, admin, csrf) = signed_in_administrator();
    let doc = openapi_document();
    let mut wrong = Vec::new();
    let mut tried = 0;
    for (path, item) in doc["paths"].as_object().unwrap() {
        // Any value will do for a parameter: the route is chosen before it is read.
        let concrete = without_params(path);
        for method in METHODS {
            if item.get(method.to_lowercase()).is_some() {
                continue;
            }
            tried += 1;
            let res = admin.send(method, &concrete, &[("x-csrf-token", &csrf)], None);
            if res.status != 405 || res.header("allow").is_none_or(str::is_empty) {
                wrong.push(format!("{method} {concrete}: {} {}", res.status, res.body));
            }
        }
    }
    assert!(tried > 300, "too few undeclared methods tried: {tried}");
    assert!(
        wrong.is_empty(),
        "undeclared methods not answered 405 with Allow:\n{}",
        wrong.join("\n")
    );
}

/// A server with its system administrator signed in, and the CSRF token: neither 401 nor
/// 403 hides an answer.
fn signed_in_administrator() -> (Server, crate::common::client::Client, String) {
    let server = Server::start();
    server.add_agency("MINJUST");
    server.add_user("admin", "MINJUST", &["system_admin"]);
    let admin = server.signed_in("admin");
    let csrf = admin.csrf().unwrap();
    (server, admin, csrf)
}

/// `docs/openapi.json`, parsed.
fn openapi_document() -> Value {
    let file =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/openapi.json"))
            .unwrap();
    serde_json::from_str(&file).expect("docs/openapi.json is JSON")
}

/// `/a/{id}/b` → `/a/1/b`.
fn without_params(path: &str) -> String {
    path.split('/')
        .map(|seg| if seg.starts_with('{') { "1" } else { seg })
        .collect::<Vec<_>>()
        .join("/")
}

/// Every documented JSON body that is an object refuses an array in its place with 400
/// `invalid_input` because it is not an object, on every route and before any work, instead
/// of reading it field by field in order (issue 20 point 1: serde reads a struct from an
/// array by position, so `[null, "x"]` was taken for `{"email": null, "phone": "x"}`).
#[test]
fn every_json_body_given_as_an_array_is_refused_400() {
    let (_server, admin, csrf) = signed_in_administrator();
    let doc = openapi_document();
    let mut wrong = Vec::new();
    let mut tried = 0;
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            let Some(schema) = op.pointer("/requestBody/content/application~1json/schema") else {
                continue;
            };
            if resolve(&doc, schema)["type"] != "object" {
                continue;
            }
            tried += 1;
            let (method, concrete) = (method.to_uppercase(), without_params(path));
            let body = Some(("application/json", br#"["x", 1, true]"#.to_vec()));
            let res = admin.send(&method, &concrete, &[("x-csrf-token", &csrf)], body);
            let answer: Value = serde_json::from_str(&res.body).unwrap_or_default();
            let because_not_an_object =
                answer["detail"].as_str().is_some_and(|d| d.contains("JSON object"));
            if res.status != 400 || answer["code"] != "invalid_input" || !because_not_an_object {
                wrong.push(format!("{method} {concrete}: {} {}", res.status, res.body));
            }
        }
    }
    assert!(tried >= 50, "too few JSON bodies tried: {tried}");
    assert!(wrong.is_empty(), "arrays not refused as bodies:\n{}", wrong.join("\n"));
}
