//! Signing in the browser through NCALayer (I385 §58–§59): headless Chromium opens the
//! document page, the small script (`web/static/app.js`) fetches the manifest, asks
//! NCALayer on `wss://127.0.0.1:13579` to sign it — the newer `kz.gov.pki.knca.basics`
//! API, and the older `commonUtils` one when NCALayer lacks the newer — and posts the CMS;
//! the page then lists the signature as valid. NCALayer is a stand-in (`ncalayer.rs`)
//! that signs with a real key through `openssl cms -sign`: an RSA key, then a GOST
//! 34.10-2015-512 key (OpenSSL's GOST engine, the CMS encoded as the NCA's software writes
//! it) — the script asks the same way for both, NCALayer takes the algorithm from the key.

#[path = "signing_browser/ncalayer.rs"]
pub(crate) mod ncalayer;

use base64::Engine;
use serde_json::json;

use crate::common::browser::Browser;
use crate::common::documents::post;
use crate::common::{PASSWORD, ftl, wait_for};
use crate::document_signatures::Portal;
use crate::gost::kazakh;
use crate::gost::pki::{cms_sign, gost_pki};
use crate::signatures::pki::{openssl_sign, pki, write_temp};

#[test]
fn i385_58_a_head_signs_in_the_browser_through_ncalayer_old_and_new_api() {
    let pki = pki();
    let portal = Portal::new(&[("head.a", "rsa")]);
    let server = &portal.server;
    let lang =
        server.signed_in("head.a").get_json("/api/v1/me").1["lang"].as_str().unwrap().to_owned();
    let browser = Browser::start_with(&["--ignore-certificate-errors"]);
    let base = server.base_url();
    browser.goto(&format!("{base}/login"));
    browser.type_into("#login", "head.a");
    browser.type_into("#password", PASSWORD);
    browser.click("#sign-in");
    wait_for("the dashboard", 20, || (browser.url() == format!("{base}/")).then_some(()));

    let status = || {
        browser
            .script("return document.querySelector('[data-ncalayer-status]').textContent;")
            .as_str()
            .unwrap_or("")
            .to_owned()
    };
    let valid_rows = || {
        browser
            .script("return document.querySelectorAll('tr.signature[data-status=valid]').length;")
            .as_u64()
            .unwrap_or(0)
    };

    // Without NCALayer running, the page says so (and still offers the file upload).
    browser.goto(&format!("{base}/documents/{}", portal.doc));
    let hidden = browser.script("return document.querySelector('[data-ncalayer]').hidden;");
    assert_eq!(hidden, json!(false), "the script shows the NCALayer button");
    browser.click("[data-ncalayer-sign]");
    let unavailable = ftl(&lang, "ncalayer-unavailable");
    wait_for("the unavailable message", 30, || (status() == unavailable).then_some(()));

    // NCALayer with the `basics` module, holding an RSA key first, a GOST key later.
    let gost_key = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let holds_gost = gost_key.clone();
    let layer = ncalayer::NcaLayer::start(move |data, attached| {
        let extra: &[&str] = if attached { &["-nodetach"] } else { &[] };
        if holds_gost.load(std::sync::atomic::Ordering::Relaxed) {
            let gost = gost_pki();
            let standard = cms_sign(gost, "u512a", "gost2012_512", data, extra);
            return kazakh::cms(gost, &standard, data, "gost2012_512", "u512a.key", None);
        }
        openssl_sign(pki, "rsa", &write_temp(pki, data), "sha256", extra)
    });
    browser.click("[data-ncalayer-sign]");
    wait_for("the signature on the page", 60, || (valid_rows() == 1).then_some(()));
    let client = server.signed_in("head.a");
    let manifest = portal.manifest(&client, 1);
    {
        let requests = layer.requests.lock().unwrap();
        let last = requests.last().expect("NCALayer was asked");
        assert_eq!(last["module"], "kz.gov.pki.knca.basics");
        assert_eq!(last["args"]["format"], "cms");
        assert_eq!(
            last["args"]["data"].as_str().unwrap(),
            base64::engine::general_purpose::STANDARD.encode(&manifest),
            "NCALayer signs exactly the manifest"
        );
    }
    let list = portal.list(&client, 1);
    assert_eq!(list.len(), 1);
    assert_eq!(list[0]["status"], "valid");

    // An older NCALayer: the script falls back to `commonUtils.createCAdESFromBase64`.
    layer.old.store(true, std::sync::atomic::Ordering::Relaxed);
    let res = post(&server.signed_in("author"), &json!({"title": "Екінші жоба", "text": "2"}), &[]);
    let second = res.json()["id"].as_u64().unwrap();
    browser.goto(&format!("{base}/documents/{second}"));
    browser.click("[data-ncalayer-sign]");
    wait_for("the signature on the second page", 60, || (valid_rows() == 1).then_some(()));
    let modules: Vec<String> = layer
        .requests
        .lock()
        .unwrap()
        .iter()
        .map(|r| r["module"].as_str().unwrap_or("").to_owned())
        .collect();
    assert_eq!(
        &modules[modules.len() - 2..],
        ["kz.gov.pki.knca.basics", "kz.gov.pki.knca.commonUtils"],
        "{modules:?}"
    );

    // A head whose key is GOST (the NCA's GOST 34.10-2015-512): the same script, the same
    // request — nothing in it names an algorithm — and NCALayer signs with GOST.
    let gost = gost_pki();
    let path = |name: &str| gost.path(name).to_str().unwrap().to_owned();
    server.cli(&["trust", "add", &path("trusted.pem")], None).ok();
    for ca in ["root", "ca256", "ca2001"] {
        server.cli(&["trust", "crl", &path(&format!("{ca}/crl.pem"))], None).ok();
    }
    server.add_user("head.g", "MIN", &["employee", "head"]);
    server.cli(&["cert", "register", "--login", "head.g", &path("u512a.pem")], None).ok();
    gost_key.store(true, std::sync::atomic::Ordering::Relaxed);
    layer.old.store(false, std::sync::atomic::Ordering::Relaxed);
    let browser = Browser::start_with(&["--ignore-certificate-errors"]);
    browser.goto(&format!("{base}/login"));
    browser.type_into("#login", "head.g");
    browser.type_into("#password", PASSWORD);
    browser.click("#sign-in");
    wait_for("the dashboard", 20, || (browser.url() == format!("{base}/")).then_some(()));
    browser.goto(&format!("{base}/documents/{}", portal.doc));
    browser.click("[data-ncalayer-sign]");
    let valid = || {
        browser
            .script("return document.querySelectorAll('tr.signature[data-status=valid]').length;")
            .as_u64()
            .unwrap_or(0)
    };
    wait_for("the GOST signature on the page", 60, || (valid() == 2).then_some(()));
    let last = layer.requests.lock().unwrap().last().cloned().unwrap();
    assert_eq!(last["module"], "kz.gov.pki.knca.basics");
    assert_eq!(last["args"]["signingParams"]["digested"], false, "NCALayer hashes, by the key");
    let list = portal.list(&server.signed_in("head.g"), 1);
    let gost_cert = ipgo::sign::x509::read_certificates(&gost.read("u512a.pem")).unwrap();
    let mine = list.iter().find(|s| s["signer"]["fingerprint"] == gost_cert[0].fingerprint());
    assert_eq!(mine.map(|s| s["status"].clone()), Some(json!("valid")), "{list:?}");
}
