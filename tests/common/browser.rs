//! Headless Debian `chromium` driven through `chromedriver` with plain WebDriver over HTTP
//! (W3C protocol, ureq). Missing browser or driver is a test failure, never a skip:
//! `tests/run-all.sh` installs both.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use base64::Engine;
use serde_json::{Value, json};

/// W3C WebDriver's key for an element reference.
const ELEMENT: &str = "element-6066-11e4-a52e-4f735466cecf";

/// Finds an executable on `PATH`.
pub fn which(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path).map(|dir| dir.join(name)).find(|p| p.is_file())
}

pub struct Browser {
    driver: Child,
    base: String,
    session: String,
    agent: ureq::Agent,
    _profile: tempfile::TempDir,
}

impl Browser {
    /// Starts chromedriver on a free port and opens a headless Chromium session.
    pub fn start() -> Browser {
        Browser::start_with(&[])
    }

    /// Like [`start`](Self::start), with more Chromium switches (e.g.
    /// `--ignore-certificate-errors` for a test's own TLS server).
    pub fn start_with(extra: &[&str]) -> Browser {
        let chromium = which("chromium").unwrap_or_else(|| {
            panic!("`chromium` is not installed: apt-get install chromium (tests/run-all.sh does)")
        });
        let chromedriver = which("chromedriver").unwrap_or_else(|| {
            panic!(
                "`chromedriver` is not installed: apt-get install chromium-driver \
                 (tests/run-all.sh does)"
            )
        });
        let port = super::free_port();
        let driver = Command::new(&chromedriver)
            .arg(format!("--port={port}"))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start chromedriver");
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_global(Some(Duration::from_secs(120)))
            .build()
            .into();
        let base = format!("http://127.0.0.1:{port}");
        let profile = tempfile::Builder::new().prefix("ipgo-chromium-").tempdir().expect("dir");
        let mut browser =
            Browser { driver, base, session: String::new(), agent, _profile: profile };
        super::wait_for("chromedriver to be ready", 30, || {
            let mut res = browser.agent.get(format!("{}/status", browser.base)).call().ok()?;
            let body: Value = res.body_mut().read_json().ok()?;
            body["value"]["ready"].as_bool().filter(|r| *r)
        });
        let mut args = vec![
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--window-size=1280,900",
            &format!("--user-data-dir={}", browser._profile.path().display()),
        ]
        .into_iter()
        .map(str::to_owned)
        .collect::<Vec<String>>();
        args.extend(extra.iter().map(|s| s.to_string()));
        let caps = json!({"capabilities": {"alwaysMatch": {
            "browserName": "chrome",
            "goog:chromeOptions": {"binary": chromium, "args": args},
        }}});
        let value = browser.call("POST", "/session", Some(caps));
        browser.session = value["sessionId"].as_str().expect("WebDriver session id").to_owned();
        browser
    }

    /// One WebDriver command; returns its `value`, panicking on a WebDriver error.
    fn call(&self, method: &str, path: &str, body: Option<Value>) -> Value {
        let url = format!("{}{path}", self.base);
        let result = match (method, body) {
            ("GET", _) => self.agent.get(&url).call(),
            ("DELETE", _) => self.agent.delete(&url).call(),
            (_, body) => self.agent.post(&url).send_json(body.unwrap_or_else(|| json!({}))),
        };
        let mut res = result.unwrap_or_else(|e| panic!("WebDriver {method} {path}: {e}"));
        let status = res.status().as_u16();
        let body: Value = res.body_mut().read_json().unwrap_or(Value::Null);
        assert!(status < 400, "WebDriver {method} {path} answered {status}: {body}");
        body["value"].clone()
    }

    fn session_path(&self, rest: &str) -> String {
        format!("/session/{}{rest}", self.session)
    }

    pub fn goto(&self, url: &str) {
        self.call("POST", &self.session_path("/url"), Some(json!({"url": url})));
    }

    pub fn url(&self) -> String {
        self.call("GET", &self.session_path("/url"), None).as_str().unwrap_or("").to_owned()
    }

    pub fn title(&self) -> String {
        self.call("GET", &self.session_path("/title"), None).as_str().unwrap_or("").to_owned()
    }

    /// Runs a script in the page and returns its result.
    pub fn script(&self, script: &str) -> Value {
        self.call(
            "POST",
            &self.session_path("/execute/sync"),
            Some(json!({"script": script, "args": []})),
        )
    }

    /// The text a person sees on the page.
    pub fn text(&self) -> String {
        self.script("return document.body.innerText;").as_str().unwrap_or("").to_owned()
    }

    /// The `lang` attribute of the page.
    pub fn lang(&self) -> String {
        self.script("return document.documentElement.lang;").as_str().unwrap_or("").to_owned()
    }

    fn find(&self, css: &str) -> String {
        let value = self.call(
            "POST",
            &self.session_path("/element"),
            Some(json!({"using": "css selector", "value": css})),
        );
        value[ELEMENT].as_str().unwrap_or_else(|| panic!("no element {css}: {value}")).to_owned()
    }

    pub fn type_into(&self, css: &str, text: &str) {
        let id = self.find(css);
        self.call("POST", &self.session_path(&format!("/element/{id}/clear")), None);
        self.call(
            "POST",
            &self.session_path(&format!("/element/{id}/value")),
            Some(json!({"text": text})),
        );
    }

    pub fn click(&self, css: &str) {
        let id = self.find(css);
        self.call("POST", &self.session_path(&format!("/element/{id}/click")), None);
    }

    /// Forgets every cookie of the current site (signs the person out without a form).
    pub fn clear_cookies(&self) {
        self.call("DELETE", &self.session_path("/cookie"), None);
    }

    /// Saves a PNG screenshot as `dir/name.png` and returns its path.
    pub fn screenshot(&self, dir: &Path, name: &str) -> PathBuf {
        let b64 = self.call("GET", &self.session_path("/screenshot"), None);
        let png = base64::engine::general_purpose::STANDARD
            .decode(b64.as_str().expect("screenshot data"))
            .expect("screenshot is base64");
        assert!(png.starts_with(b"\x89PNG"), "screenshot is a PNG");
        std::fs::create_dir_all(dir).expect("screenshot directory");
        let path = dir.join(format!("{name}.png"));
        std::fs::write(&path, png).expect("write screenshot");
        path
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        if !self.session.is_empty() {
            let _ = self.agent.delete(format!("{}/session/{}", self.base, self.session)).call();
        }
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}
