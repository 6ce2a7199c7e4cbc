//! The demo can sign out of the box (issue 21 point 9; I385 §14, §16): `ipgo demo` installs
//! its CA and CRL in the trust store, registers certificates for the heads and the OKDO
//! officer, writes their PKCS#12 key files and `demo-signing.txt` (how to sign) beside
//! `demo-accounts.txt` — and the heads walk a draft through its signatures by file upload
//! with those very files, as a visitor without NCALayer would. The corpus documents get
//! clean titles (no `## `, no title cut at the first line break).

use std::path::{Path, PathBuf};

use crate::common::documents::{Part, post_form_parts};
use crate::common::{PASSWORD, Server};

fn corpus_dir() -> PathBuf {
    std::env::var_os("IPGO_CORPUS")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus"))
}

/// `ipgo sign --p12 FILE` over `content` with the password the how-to prints.
fn sign_with(p12: &Path, content: &[u8]) -> Vec<u8> {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("manifest.txt"), content).unwrap();
    let out = std::process::Command::new(crate::common::server::BIN)
        .arg("sign")
        .arg("--p12")
        .arg(p12)
        .arg("--manifest")
        .arg(dir.path().join("manifest.txt"))
        .arg("--out")
        .arg(dir.path().join("signature.p7s"))
        .env("IPGO_P12_PASSWORD", "demo")
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    std::fs::read(dir.path().join("signature.p7s")).unwrap()
}

#[test]
fn the_demos_heads_sign_a_draft_with_the_key_files_the_demo_wrote() {
    let server = Server::builder().demo_corpus(&corpus_dir()).start();
    for login in ["dev.head", "fin.head", "econ.head", "okdo.officer"] {
        server
            .cli(&["user", "reset-password", "--login", login, "--password-stdin"], Some(PASSWORD))
            .ok();
    }

    // The how-to beside the accounts names each key file (which exists) and the password.
    let howto = std::fs::read_to_string(server.data.join("demo-signing.txt")).unwrap();
    assert!(server.stdout().contains("How to sign in the demo"), "printed too");
    for login in ["dev.head", "fin.head", "econ.head", "okdo.officer"] {
        let file = server.data.join(format!("demo-signing/{login}.p12"));
        assert!(file.is_file(), "{}", file.display());
        assert!(howto.contains(&file.display().to_string()), "{howto}");
    }
    assert!(howto.contains("password \"demo\"") && howto.contains("ipgo sign --p12"), "{howto}");
    let accounts = std::fs::read_to_string(server.data.join("demo-accounts.txt")).unwrap();
    assert!(accounts.contains("demo-signing.txt"), "the accounts point to the how-to");

    // The demo CA is in the trust store; the OKDO officer's key signs as well.
    let trust = server.cli(&["trust", "list"], None).ok().stdout;
    assert!(trust.contains("ipgo demo CA"), "{trust}");
    let okdo_sig = sign_with(&server.data.join("demo-signing/okdo.officer.p12"), b"test");
    assert!(!okdo_sig.is_empty());

    let drafts_of = |login: &str| {
        let c = server.signed_in(login);
        let (status, list) = c.get_json("/api/v1/drafts");
        assert_eq!(status, 200, "{list}");
        (c, list["drafts"].as_array().unwrap().clone())
    };
    // 1. The developer's head signs the draft awaiting the signature: the manifest from the
    //    page's link, `ipgo sign` with dev.head.p12, the file uploaded in the page's form.
    let (dev_head, drafts) = drafts_of("dev.head");
    let draft = drafts.iter().find(|d| d["stage"] == "awaiting_developer_signature").unwrap();
    let (id, doc, n) = (draft["id"].as_u64().unwrap(), &draft["document_id"], &draft["version"]);
    let page = dev_head.get(&format!("/drafts/{id}"));
    let manifest_link = format!("/documents/{doc}/versions/{n}/manifest?download=1");
    assert!(page.body.contains(&manifest_link.replace('&', "&amp;")), "{}", page.body);
    let manifest = dev_head.get_bytes(&manifest_link);
    assert_eq!(manifest.0, 200);
    let sig = sign_with(&server.data.join("demo-signing/dev.head.p12"), &manifest.2);
    let signature = |bytes: Vec<u8>| Part {
        name: "signature",
        file_name: Some("signature.p7s"),
        content_type: "application/pkcs7-signature",
        bytes,
    };
    let res = post_form_parts(
        &dev_head,
        &format!("/drafts/{id}/act/developer_sign"),
        vec![signature(sig)],
    );
    assert!(matches!(res.status, 200 | 303), "{} {}", res.status, res.body);
    let (_, d) = dev_head.get_json(&format!("/api/v1/drafts/{id}"));
    assert_eq!(d["stage"], "on_approval", "{d}");

    // 2. The draft on approval: econ.head (letter registered by the demo) approves with the
    //    file signed by econ.head.p12; both approvals now stand and it goes to OKDO.
    let (econ, drafts) = drafts_of("econ.head");
    let draft = drafts
        .iter()
        .find(|d| d["stage"] == "on_approval" && d["id"].as_u64() != Some(id))
        .unwrap();
    let (id2, doc, n) = (draft["id"].as_u64().unwrap(), &draft["document_id"], &draft["version"]);
    let manifest = econ.get_bytes(&format!("/documents/{doc}/versions/{n}/manifest?download=1"));
    assert_eq!(manifest.0, 200);
    let sig = sign_with(&server.data.join("demo-signing/econ.head.p12"), &manifest.2);
    let res = post_form_parts(&econ, &format!("/drafts/{id2}/act/approve"), vec![signature(sig)]);
    assert!(matches!(res.status, 200 | 303), "{} {}", res.status, res.body);
    let (_, d) = econ.get_json(&format!("/api/v1/drafts/{id2}"));
    assert_eq!(d["stage"], "at_chancellery", "{d}");
    for a in d["approvals"].as_array().unwrap() {
        assert_eq!((&a["decision"], &a["signature_status"]), (&"approved".into(), &"valid".into()));
    }

    // The corpus documents carry clean titles: the whole first paragraph, no Markdown marks.
    let (status, list) = dev_head.get_json("/api/v1/documents?limit=500");
    assert_eq!(status, 200, "{list}");
    let titles: Vec<&str> = list["documents"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|d| d["title"].as_str())
        .filter(|t| t.contains("нұсқаулықты бекіту туралы") || t.contains("Инструкции"))
        .collect();
    assert!(titles.len() >= 3, "{list}");
    for t in &titles {
        assert!(!t.contains('#') && !t.contains('*') && !t.contains('\n'), "{t}");
    }
    assert!(
        titles.contains(
            &"Об утверждении Инструкции по работе на интранет-портале государственных органов"
        ),
        "the title broken across lines is joined: {titles:?}"
    );
}
