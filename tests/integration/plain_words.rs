//! Issue 21 point 6: no developer jargon on people's pages — no clause ids ("(I385 §57)"),
//! no configuration keys ("[signatures] crl_urls"), no environment variables, no command
//! lines (`ipgo audit export`, `openssl cms …`). The main pages of each role are rendered by
//! the real server and their visible text is scanned; the old texts of trust-intro,
//! maintenance-rule, trust-fetch-none and audit-note fail this test.

use crate::common::Server;

/// The visible text of a page: tags and comments dropped (attributes may name operations).
fn visible_text(html: &str) -> String {
    let mut out = String::with_capacity(html.len());
    let mut in_tag = false;
    for c in html.chars() {
        match c {
            '<' => in_tag = true,
            '>' if in_tag => {
                in_tag = false;
                out.push(' ');
            }
            _ if !in_tag => out.push(c),
            _ => {}
        }
    }
    out
}

/// Jargon found in a page's visible text, if any.
fn jargon(text: &str) -> Vec<String> {
    let mut found = Vec::new();
    for needle in ["§", "I385", "I617", "R365", "IPGO_", "openssl", "`ipgo ", "«ipgo ", "\"ipgo "]
    {
        if let Some(at) = text.find(needle) {
            let start = text[..at].char_indices().rev().nth(40).map_or(0, |(i, _)| i);
            let end = text[at..].char_indices().nth(40).map_or(text.len(), |(i, _)| at + i);
            found.push(format!("{needle:?} in …{}…", &text[start..end]));
        }
    }
    // A configuration section named alone: "the [directory] section".
    for (i, _) in text.match_indices('[') {
        let name: String =
            text[i + 1..].chars().take_while(|c| c.is_ascii_lowercase() || *c == '_').collect();
        if name.len() >= 3 && text[i + 1 + name.len()..].starts_with(']') {
            found.push(format!("config section [{name}]"));
        }
    }
    // A configuration key: "[section] snake_case_key".
    let s = text;
    for (i, _) in s.match_indices("] ") {
        let before = &s[..i];
        let Some(open) = before.rfind('[') else { continue };
        let section = &before[open + 1..];
        let key: String =
            s[i + 2..].chars().take_while(|c| c.is_ascii_lowercase() || *c == '_').collect();
        if !section.is_empty()
            && section.chars().all(|c| c.is_ascii_lowercase() || c == '_')
            && key.contains('_')
        {
            found.push(format!("config key [{section}] {key}"));
        }
    }
    found
}

#[test]
fn issue_21_p6_the_main_pages_of_every_role_speak_without_developer_jargon() {
    assert!(!jargon("Only valid certificates may sign (I385 §57).").is_empty());
    assert!(!jargon("No URLs configured ([signatures] crl_urls): by hand.").is_empty());
    assert!(!jargon("`ipgo audit export` includes them.").is_empty());
    assert!(!jargon("The settings are in the [directory] section of the file.").is_empty());
    assert!(jargon("Only valid, unrevoked certificates may sign.").is_empty());

    let server = Server::start();
    server.add_agency("MIN");
    server.add_user("admin", "MIN", &["system_admin"]);
    server.add_user("auditor", "MIN", &["auditor"]);
    server.add_user("clerk", "MIN", &["employee"]);
    server.add_user("head", "MIN", &["employee", "head"]);
    // The pages each role starts its day on; the guides under /help are where such
    // details belong, so they are not among them.
    let workflows: &[&str] = &[
        "/",
        "/documents",
        "/drafts",
        "/discussions",
        "/meetings",
        "/plans",
        "/reminders",
        "/surveys",
        "/helpdesk",
        "/inbox",
        "/help",
    ];
    let pages: &[(&str, &[&str])] = &[
        ("admin", &["/", "/admin/trust", "/admin/maintenance", "/admin/directory-sync"]),
        ("auditor", &["/", "/audit"]),
        ("clerk", workflows),
        ("head", workflows),
    ];
    let mut problems = Vec::new();
    for (login, paths) in pages {
        let client = server.signed_in(login);
        for path in *paths {
            let page = client.get(path);
            assert_eq!(page.status, 200, "{login} {path}");
            for j in jargon(&visible_text(&page.body)) {
                problems.push(format!("{login} {path}: {j}"));
            }
        }
    }
    assert!(problems.is_empty(), "developer jargon on people's pages:\n{}", problems.join("\n"));
}
