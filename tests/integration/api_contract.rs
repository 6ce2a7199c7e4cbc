//! The API examined by a tool written by others (issue 20 point 1): `schemathesis` (PyPI,
//! pinned in `tests/setup-schemathesis.sh`) reads `/api/v1/openapi.json` from the running
//! demo and sends what the document allows — and what it forbids — with every check on
//! (server errors, status codes, content types, headers, response schemas, negative data
//! rejected, positive data accepted, missing headers, undeclared methods answered 405, auth
//! ignored, use after free, resources available) and the stateful phase, signed in as an
//! employee, a head and the system administrator in turn.
//!
//! The bounded run here fails on any finding over the operations in [`COVERED`] — the part
//! of the API whose document and code agree; the list only grows as the rest is fixed. The
//! long run over every operation (`tests/api-contract-long.sh`, figures in
//! `docs/api-contract.md`) sets `IPGO_CONTRACT_ALL=1` and more examples.

use std::path::PathBuf;
use std::process::Command;

use crate::common::{PASSWORD, Server};

/// Operations of the bounded run (regular expressions over the path, anchored): every
/// operation whose document and code agree under every check — since the long run of
/// 2026-12-05, all of them (docs/api-contract.md).
const COVERED: &[&str] = &[r"/api/v1/.*"];

/// Who signs in, one run each: an employee, a head, the system administrator.
const PEOPLE: [&str; 3] = ["dev.employee", "dev.head", "admin"];

fn st() -> PathBuf {
    let st =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/test-tools/schemathesis/bin/st");
    assert!(
        st.exists(),
        "schemathesis is missing: run tests/setup-schemathesis.sh (CI runs it before the tests)"
    );
    st
}

fn env_or(name: &str, default: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| default.to_owned())
}

#[test]
fn schemathesis_finds_nothing_with_every_check_for_an_employee_a_head_and_the_administrator() {
    let st = st();
    let all = std::env::var("IPGO_CONTRACT_ALL").is_ok_and(|v| v == "1");
    let examples = env_or("IPGO_CONTRACT_EXAMPLES", "3");
    let server = Server::builder().demo().start();
    let base = server.base_url();
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let settings = std::fs::read_to_string(root.join("tests/schemathesis.toml")).unwrap();
    let mut failures = Vec::new();
    for login in PEOPLE {
        server
            .cli(&["user", "reset-password", "--login", login, "--password-stdin"], Some(PASSWORD))
            .ok();
        let client = server.signed_in(login);
        let session = client.cookie("ipgo_session").expect("a session cookie over loopback HTTP");
        let csrf = client.csrf().expect("the sign-in answer's CSRF token");
        // The hooks, the shared settings with their reasoned exceptions, and the credentials
        // as the document's security schemes name them, so the tool's auth checks know what
        // to take away.
        let config = server.scratch().join(format!("schemathesis-{login}.toml"));
        std::fs::write(
            &config,
            format!(
                "hooks = \"{}\"\n\n{settings}\n[auth.openapi.sessionLoopback]\n\
                 api_key = \"{session}\"\n\n[auth.openapi.csrf]\napi_key = \"{csrf}\"\n",
                root.join("tests/schemathesis_hooks.py").display()
            ),
        )
        .unwrap();
        // Kept after the run (the server's scratch directory is not) for the figures.
        let reports = root.join("target/api-contract").join(login);
        let _ = std::fs::remove_dir_all(&reports);
        let mut cmd = Command::new(&st);
        cmd.arg("--no-color")
            .arg("--config-file")
            .arg(&config)
            .arg("run")
            .arg(format!("{base}/api/v1/openapi.json"))
            .args(["--checks", "all"])
            .args(["--phases", "examples,coverage,fuzzing,stateful"])
            .args(["--max-examples", &examples])
            .args(["--seed", &env_or("IPGO_CONTRACT_SEED", "20")])
            .args(["--workers", "1"])
            .args(["--generation-database", "none"])
            .args(["--report", "junit,ndjson"])
            .arg("--report-dir")
            .arg(&reports)
            // Signing out or changing one's own password would end the run's session.
            .args(["--exclude-path-regex", r"^/api/v1/(session|me/password)$"]);
        if !all {
            cmd.args(["--include-path-regex", &format!("^({})$", COVERED.join("|"))]);
        }
        let out = cmd.output().expect("schemathesis runs");
        let text = String::from_utf8_lossy(&out.stdout).into_owned();
        println!("== {login}\n{text}\n{}", String::from_utf8_lossy(&out.stderr));
        if !out.status.success() {
            failures.push(format!("{login}: exit {:?}\n{text}", out.status.code()));
        }
    }
    assert!(failures.is_empty(), "schemathesis findings:\n{}", failures.join("\n\n"));
}
