//! A stand-in for NCALayer, the Kazakh NCA's signing application, for the browser test:
//! a WebSocket server over TLS on `wss://127.0.0.1:13579` (rustls, a certificate made by
//! rcgen; RFC 6455 framing by hand) that greets like NCALayer 1.4, answers the
//! `kz.gov.pki.knca.basics` `sign` request — or, imitating an older NCALayer, refuses that
//! module (`MODULE_NOT_FOUND`) and answers `kz.gov.pki.knca.commonUtils`
//! `createCAdESFromBase64` — and signs the data it is given with a real key through the
//! closure the test passes (`openssl cms -sign`). Test code only: the portal under test
//! cannot tell it from the real application.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use base64::Engine;
use serde_json::{Value, json};

pub const PORT: u16 = 13579;

type Signer = dyn Fn(&[u8], bool) -> Vec<u8> + Send + Sync;

pub struct NcaLayer {
    /// Every request received, as JSON.
    pub requests: Arc<Mutex<Vec<Value>>>,
    /// When set, behave like an NCALayer without the `basics` module.
    pub old: Arc<AtomicBool>,
    stop: Arc<AtomicBool>,
}

impl NcaLayer {
    pub fn start(sign: impl Fn(&[u8], bool) -> Vec<u8> + Send + Sync + 'static) -> NcaLayer {
        let listener = // Another browser test may hold the port for a minute or two.
        crate::common::wait_for("port 13579 to be free", 240, || {
            TcpListener::bind(("127.0.0.1", PORT)).ok()
        });
        listener.set_nonblocking(true).unwrap();
        let made = rcgen::generate_simple_self_signed(vec!["127.0.0.1".into(), "localhost".into()])
            .unwrap();
        let cert = made.cert.der().clone();
        let key = rustls_pki_types::PrivateKeyDer::Pkcs8(
            rustls_pki_types::PrivatePkcs8KeyDer::from(made.signing_key.serialize_der()),
        );
        let config = Arc::new(
            rustls::ServerConfig::builder_with_provider(Arc::new(
                rustls::crypto::ring::default_provider(),
            ))
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_no_client_auth()
            .with_single_cert(vec![cert], key)
            .unwrap(),
        );
        let layer =
            NcaLayer { requests: Arc::default(), old: Arc::default(), stop: Arc::default() };
        let (requests, old, stop) = (layer.requests.clone(), layer.old.clone(), layer.stop.clone());
        let sign: Arc<Signer> = Arc::new(sign);
        std::thread::spawn(move || {
            while !stop.load(Ordering::Relaxed) {
                match listener.accept() {
                    Ok((stream, _)) => {
                        let (config, requests, old, sign) =
                            (config.clone(), requests.clone(), old.clone(), sign.clone());
                        std::thread::spawn(move || {
                            let _ = serve(stream, config, &requests, &old, &*sign);
                        });
                    }
                    Err(_) => std::thread::sleep(std::time::Duration::from_millis(20)),
                }
            }
        });
        layer
    }
}

impl Drop for NcaLayer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
    }
}

fn serve(
    tcp: TcpStream,
    config: Arc<rustls::ServerConfig>,
    requests: &Mutex<Vec<Value>>,
    old: &AtomicBool,
    sign: &Signer,
) -> std::io::Result<()> {
    tcp.set_nonblocking(false)?;
    tcp.set_read_timeout(Some(std::time::Duration::from_secs(30)))?;
    let conn = rustls::ServerConnection::new(config).map_err(std::io::Error::other)?;
    let mut tls = rustls::StreamOwned::new(conn, tcp);
    // The HTTP upgrade.
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        if tls.read(&mut byte)? == 0 {
            return Ok(());
        }
        head.push(byte[0]);
    }
    let head = String::from_utf8_lossy(&head).into_owned();
    let key = head
        .lines()
        .find_map(|l| {
            let (name, value) = l.split_once(':')?;
            name.trim().eq_ignore_ascii_case("sec-websocket-key").then(|| value.trim().to_owned())
        })
        .unwrap_or_default();
    let digest = ring::digest::digest(
        &ring::digest::SHA1_FOR_LEGACY_USE_ONLY,
        format!("{key}258EAFA5-E914-47DA-95CA-C5AB0DC85B11").as_bytes(),
    );
    let accept = base64::engine::general_purpose::STANDARD.encode(digest.as_ref());
    write!(
        tls,
        "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
         Sec-WebSocket-Accept: {accept}\r\n\r\n"
    )?;
    send(&mut tls, &json!({"result": {"version": "1.4"}}).to_string())?;
    while let Some(text) = receive(&mut tls)? {
        let request: Value = serde_json::from_str(&text).unwrap_or(Value::Null);
        requests.lock().unwrap().push(request.clone());
        let answer = answer(&request, old.load(Ordering::Relaxed), sign);
        send(&mut tls, &answer.to_string())?;
    }
    Ok(())
}

fn answer(request: &Value, old: bool, sign: &Signer) -> Value {
    let b64 = base64::engine::general_purpose::STANDARD;
    match (request["module"].as_str(), request["method"].as_str()) {
        (Some("kz.gov.pki.knca.basics"), Some("sign")) if !old => {
            let args = &request["args"];
            let Ok(data) = b64.decode(args["data"].as_str().unwrap_or("")) else {
                return json!({"status": false, "code": "INVALID_SIGNING_PARAMS", "message": "data"});
            };
            let attached = args["signingParams"]["encapsulate"].as_bool().unwrap_or(true);
            json!({"status": true, "body": {"result": [b64.encode(sign(&data, attached))]}})
        }
        (Some("kz.gov.pki.knca.commonUtils"), Some("createCAdESFromBase64")) => {
            let Ok(data) = b64.decode(request["args"][2].as_str().unwrap_or("")) else {
                return json!({"code": "500", "message": "data"});
            };
            // The fourth argument asks for a detached signature.
            let detached = request["args"][3].as_bool().unwrap_or(false);
            json!({"code": "200", "message": "", "responseObject": b64.encode(sign(&data, !detached))})
        }
        _ => json!({"success": false, "errorCode": "MODULE_NOT_FOUND"}),
    }
}

fn send(w: &mut impl Write, text: &str) -> std::io::Result<()> {
    let bytes = text.as_bytes();
    let mut frame = vec![0x81];
    match bytes.len() {
        n if n < 126 => frame.push(n as u8),
        n if n < 65536 => {
            frame.push(126);
            frame.extend((n as u16).to_be_bytes());
        }
        n => {
            frame.push(127);
            frame.extend((n as u64).to_be_bytes());
        }
    }
    frame.extend_from_slice(bytes);
    w.write_all(&frame)?;
    w.flush()
}

/// One text message from the browser (masked, unfragmented); `None` on close.
fn receive(r: &mut impl Read) -> std::io::Result<Option<String>> {
    loop {
        let mut head = [0u8; 2];
        if r.read_exact(&mut head).is_err() {
            return Ok(None);
        }
        let opcode = head[0] & 0x0f;
        let mut len = (head[1] & 0x7f) as u64;
        if len == 126 {
            let mut b = [0u8; 2];
            r.read_exact(&mut b)?;
            len = u16::from_be_bytes(b) as u64;
        } else if len == 127 {
            let mut b = [0u8; 8];
            r.read_exact(&mut b)?;
            len = u64::from_be_bytes(b);
        }
        let mut mask = [0u8; 4];
        if head[1] & 0x80 != 0 {
            r.read_exact(&mut mask)?;
        }
        let mut payload = vec![0u8; len as usize];
        r.read_exact(&mut payload)?;
        for (i, b) in payload.iter_mut().enumerate() {
            *b ^= mask[i % 4];
        }
        match opcode {
            0x8 => return Ok(None),
            0x1 => return Ok(Some(String::from_utf8_lossy(&payload).into_owned())),
            _ => continue,
        }
    }
}
