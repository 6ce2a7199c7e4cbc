//! A real SMTP server for the tests (aiosmtpd from PyPI, `tests/setup-drafts.sh`) on
//! loopback, keeping every message in a Maildir that the tests read back.

use std::process::{Child, Command, Stdio};

use serde_json::Value;

use super::wait_for;

/// A real SMTP server on loopback that keeps every message in a Maildir.
pub struct Smtp {
    child: Child,
    pub port: u16,
    maildir: tempfile::TempDir,
}

impl Smtp {
    pub fn start() -> Smtp {
        let maildir = tempfile::tempdir().unwrap();
        let port = crate::common::free_port();
        let child = Command::new("python3")
            .args([
                "-m",
                "aiosmtpd",
                "-n",
                "-l",
                &format!("127.0.0.1:{port}"),
                "-c",
                "aiosmtpd.handlers.Mailbox",
            ])
            .arg(maildir.path().join("box"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start aiosmtpd (run tests/setup-drafts.sh)");
        wait_for("the SMTP server", 20, || {
            std::net::TcpStream::connect(("127.0.0.1", port)).ok().map(|_| ())
        });
        Smtp { child, port, maildir }
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Every delivered message as `{to, subject, body}`, decoded by Python's email library.
    pub fn messages(&self) -> Vec<Value> {
        let script = r#"
import json, mailbox, sys
from email.header import decode_header, make_header
out = []
for m in mailbox.Maildir(sys.argv[1], create=False):
    body = m.get_payload(decode=True).decode(m.get_content_charset() or "utf-8")
    out.append({"to": m["To"], "subject": str(make_header(decode_header(m["Subject"]))), "body": body})
print(json.dumps(out))
"#;
        let dir = self.maildir.path().join("box");
        if !dir.exists() {
            return Vec::new();
        }
        let out = Command::new("python3").arg("-c").arg(script).arg(&dir).output().unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        serde_json::from_slice(&out.stdout).unwrap()
    }

    pub fn wait_for_mail(&self, to: &str, subject_part: &str) -> Value {
        wait_for(&format!("mail to {to} about {subject_part:?}"), 30, || {
            self.messages().into_iter().find(|m| {
                m["to"].as_str().unwrap_or("").contains(to)
                    && m["subject"].as_str().unwrap_or("").contains(subject_part)
            })
        })
    }
}

impl Drop for Smtp {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
