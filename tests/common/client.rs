//! An HTTP client for the tests (ureq 3) that keeps cookies like a browser would, sends the
//! session's CSRF token on state-changing requests, never follows redirects (tests look at
//! them), and returns `(status, json)` or the whole response.

use std::cell::RefCell;
use std::time::Duration;

use serde_json::Value;
use ureq::http;

use super::server::Server;

/// A response: status, headers (names lower-case), body as text.
#[derive(Debug, Clone)]
pub struct Resp {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl Resp {
    /// The body as JSON (`Value::Null` when it is not JSON).
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or(Value::Null)
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        let name = name.to_ascii_lowercase();
        self.headers.iter().find(|(k, _)| *k == name).map(|(_, v)| v.as_str())
    }

    pub fn set_cookies(&self) -> Vec<&str> {
        self.headers.iter().filter(|(k, _)| k == "set-cookie").map(|(_, v)| v.as_str()).collect()
    }

    /// The `Set-Cookie` header that sets cookie `name`.
    pub fn set_cookie(&self, name: &str) -> Option<&str> {
        self.set_cookies().into_iter().find(|c| c.starts_with(&format!("{name}=")))
    }
}

pub struct Client {
    agent: ureq::Agent,
    pub base: String,
    jar: RefCell<Vec<(String, String)>>,
    csrf: RefCell<Option<String>>,
    /// Headers sent with every request (e.g. a browser's `Origin`).
    always: RefCell<Vec<(String, String)>>,
}

impl Client {
    /// A client for `server` (trusting its self-signed certificate in TLS mode).
    pub fn new(server: &Server) -> Client {
        Client::build(server, None)
    }

    /// A client that presents a client certificate (PEM certificate and key) on its TLS
    /// connections (mutual TLS).
    pub fn with_certificate(server: &Server, cert_pem: &[u8], key_pem: &[u8]) -> Client {
        let cert = ureq::tls::Certificate::from_pem(cert_pem).expect("client certificate PEM");
        let key = ureq::tls::PrivateKey::from_pem(key_pem).expect("client key PEM");
        Client::build(server, Some(ureq::tls::ClientCert::new_with_certs(&[cert], key)))
    }

    /// `POST path` without a body; `Err` when the connection itself fails (e.g. the TLS
    /// handshake refuses the client certificate).
    pub fn try_post(&self, path: &str) -> Result<u16, String> {
        let url = format!("{}{path}", self.base);
        let req = http::Request::post(url).body(()).map_err(|e| e.to_string())?;
        self.agent.run(req).map(|r| r.status().as_u16()).map_err(|e| e.to_string())
    }

    fn build(server: &Server, identity: Option<ureq::tls::ClientCert>) -> Client {
        let mut config = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .max_redirects(0)
            .allow_non_standard_methods(true)
            .timeout_global(Some(Duration::from_secs(60)));
        if server.scheme == "https" {
            let pem = std::fs::read(server.trust_anchor()).expect("read the trusted certificate");
            let cert = ureq::tls::Certificate::from_pem(&pem).expect("certificate PEM");
            let tls = ureq::tls::TlsConfig::builder()
                .root_certs(ureq::tls::RootCerts::new_with_certs(&[cert]))
                .client_cert(identity)
                .build();
            config = config.tls_config(tls);
        }
        Client {
            agent: config.build().into(),
            base: server.base_url(),
            jar: RefCell::new(Vec::new()),
            csrf: RefCell::new(None),
            always: RefCell::new(Vec::new()),
        }
    }

    /// `GET path` → the status, or `None` when nothing answers (used while starting).
    pub fn probe(&self, path: &str) -> Option<u16> {
        let url = format!("{}{path}", self.base);
        let req = http::Request::get(url).body(()).ok()?;
        self.agent.run(req).ok().map(|r| r.status().as_u16())
    }

    /// Sends a request with optional extra headers and body `(content type, bytes)`.
    /// Cookies from the jar go with it and cookies set by the answer go into the jar.
    pub fn send(
        &self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: Option<(&str, Vec<u8>)>,
    ) -> Resp {
        let (status, headers, bytes) = self.send_raw(method, path, headers, body);
        let body = String::from_utf8(bytes)
            .unwrap_or_else(|e| panic!("{method} {path}: the body is not UTF-8: {e}"));
        Resp { status, headers, body }
    }

    /// GET whose answer is binary (an XLSX file): status, headers and bytes.
    pub fn get_bytes(&self, path: &str) -> (u16, Vec<(String, String)>, Vec<u8>) {
        self.send_raw("GET", path, &[], None)
    }

    /// [`send`](Self::send) with the body as bytes.
    pub fn send_raw(
        &self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: Option<(&str, Vec<u8>)>,
    ) -> (u16, Vec<(String, String)>, Vec<u8>) {
        let url = format!("{}{path}", self.base);
        let mut builder = http::Request::builder()
            .method(http::Method::from_bytes(method.as_bytes()).expect("method"))
            .uri(&url);
        let cookies = self.cookie_header();
        if !cookies.is_empty() {
            builder = builder.header("cookie", cookies);
        }
        for (k, v) in self.always.borrow().iter() {
            builder = builder.header(k.as_str(), v.as_str());
        }
        for (k, v) in headers {
            builder = builder.header(*k, *v);
        }
        let result = match body {
            Some((content_type, bytes)) => {
                let req = builder.header("content-type", content_type).body(bytes).expect("req");
                self.agent.run(req)
            }
            None => self.agent.run(builder.body(()).expect("request")),
        };
        let mut res = result.unwrap_or_else(|e| panic!("{method} {url}: {e}"));
        let status = res.status().as_u16();
        let headers: Vec<(String, String)> = res
            .headers()
            .iter()
            .map(|(k, v)| (k.as_str().to_owned(), String::from_utf8_lossy(v.as_bytes()).into()))
            .collect();
        let body = res
            .body_mut()
            .with_config()
            .limit(256 * 1024 * 1024)
            .read_to_vec()
            .unwrap_or_else(|e| panic!("{method} {url}: reading the body: {e}"));
        for (k, v) in &headers {
            if k == "set-cookie" {
                self.store_cookie(v);
            }
        }
        (status, headers, body)
    }

    fn csrf_header(&self) -> Vec<(String, String)> {
        self.csrf.borrow().iter().map(|t| ("x-csrf-token".to_owned(), t.clone())).collect()
    }

    fn send_json(&self, method: &str, path: &str, body: Option<&Value>) -> (u16, Value) {
        let csrf = self.csrf_header();
        let headers: Vec<(&str, &str)> =
            csrf.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        let body = body.map(|b| ("application/json", serde_json::to_vec(b).expect("json")));
        let res = self.send(method, path, &headers, body);
        (res.status, res.json())
    }

    pub fn get(&self, path: &str) -> Resp {
        self.send("GET", path, &[], None)
    }

    pub fn get_json(&self, path: &str) -> (u16, Value) {
        self.send_json("GET", path, None)
    }

    /// POST with a JSON body and the session's CSRF token.
    pub fn post_json(&self, path: &str, body: &Value) -> (u16, Value) {
        self.send_json("POST", path, Some(body))
    }

    pub fn patch_json(&self, path: &str, body: &Value) -> (u16, Value) {
        self.send_json("PATCH", path, Some(body))
    }

    pub fn put_json(&self, path: &str, body: &Value) -> (u16, Value) {
        self.send_json("PUT", path, Some(body))
    }

    /// DELETE with the session's CSRF token.
    pub fn delete(&self, path: &str) -> (u16, Value) {
        self.send_json("DELETE", path, None)
    }

    /// POST of an url-encoded form (as a browser without JavaScript sends it).
    pub fn post_form(&self, path: &str, fields: &[(&str, &str)]) -> Resp {
        let body = serde_urlencoded::to_string(fields).expect("form").into_bytes();
        self.send("POST", path, &[], Some(("application/x-www-form-urlencoded", body)))
    }

    /// `POST /api/v1/session`; returns `(status, json)` and keeps the CSRF token on success.
    pub fn try_login(&self, login: &str, password: &str) -> (u16, Value) {
        let (status, body) = self.send_json(
            "POST",
            "/api/v1/session",
            Some(&serde_json::json!({"login": login, "password": password})),
        );
        if status == 200 {
            self.set_csrf(body["csrf"].as_str());
        }
        (status, body)
    }

    /// Signs in and returns the CSRF token; panics unless the portal answers 200.
    pub fn login(&self, login: &str, password: &str) -> String {
        let (status, body) = self.try_login(login, password);
        assert_eq!(status, 200, "sign-in of {login} failed: {body}");
        body["csrf"].as_str().expect("csrf in the sign-in answer").to_owned()
    }

    pub fn csrf(&self) -> Option<String> {
        self.csrf.borrow().clone()
    }

    pub fn set_csrf(&self, token: Option<&str>) {
        *self.csrf.borrow_mut() = token.map(str::to_owned);
    }

    /// Sends this header with every later request.
    pub fn always_send(&self, name: &str, value: &str) {
        self.always.borrow_mut().push((name.to_owned(), value.to_owned()));
    }

    // -----------------------------------------------------------------------------------
    // Cookie jar

    pub fn cookie(&self, name: &str) -> Option<String> {
        self.jar.borrow().iter().find(|(k, _)| k == name).map(|(_, v)| v.clone())
    }

    pub fn set_cookie(&self, name: &str, value: &str) {
        let mut jar = self.jar.borrow_mut();
        jar.retain(|(k, _)| k != name);
        jar.push((name.to_owned(), value.to_owned()));
    }

    fn store_cookie(&self, header: &str) {
        let first = header.split(';').next().unwrap_or("");
        let Some((name, value)) = first.split_once('=') else { return };
        let removal = value.is_empty()
            || header.split(';').any(|a| a.trim().eq_ignore_ascii_case("max-age=0"));
        let mut jar = self.jar.borrow_mut();
        jar.retain(|(k, _)| k != name.trim());
        if !removal {
            jar.push((name.trim().to_owned(), value.trim().to_owned()));
        }
    }

    /// The `Cookie` header this client would send, if it holds any cookie.
    pub fn cookie_header_value(&self) -> Option<String> {
        let h = self.cookie_header();
        (!h.is_empty()).then_some(h)
    }

    fn cookie_header(&self) -> String {
        self.jar.borrow().iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join("; ")
    }
}
