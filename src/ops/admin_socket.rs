//! The admin socket: how `ipgo` commands reach a running server (redb allows one process
//! per database file).
//!
//! A Unix socket with mode 0600 in the data directory (or `/run/ipgo/admin.sock`). Only the
//! server's own user and root may use it; the kernel tells us the caller's uid
//! (`SO_PEERCRED`), which names the operator in the access log. Protocol: one JSON line
//! with the [`Command`]; the answer is JSON lines `{"out": "..."}` followed by
//! `{"exit": N}`.

use std::io::{BufRead, BufReader, Write};
use std::os::unix::fs::PermissionsExt;
use std::os::unix::net::UnixStream as StdUnixStream;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde::{Deserialize, Serialize};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader as AsyncBufReader};
use tokio::net::{UnixListener, UnixStream};

use super::commands::{self, Command};
use crate::actor::{Actor, Channel, Origin, Who};
use crate::app::App;

/// Commands carry file contents (CA certificates, CRLs of several megabytes, base64).
const MAX_REQUEST: u64 = 64 * 1024 * 1024;

#[derive(Serialize, Deserialize)]
#[serde(untagged)]
enum Frame {
    Out { out: String },
    Exit { exit: i32 },
}

pub struct SocketHandle {
    path: PathBuf,
    task: tokio::task::JoinHandle<()>,
}

impl SocketHandle {
    pub fn stop(self) {
        self.task.abort();
        let _ = std::fs::remove_file(&self.path);
    }
}

pub fn start(app: Arc<App>) -> anyhow::Result<SocketHandle> {
    let path = app.config.admin_socket();
    if path.exists() {
        // A live server would answer; a leftover file from a crash would not.
        if StdUnixStream::connect(&path).is_ok() {
            anyhow::bail!("another ipgo server is already answering on {}", path.display());
        }
        std::fs::remove_file(&path)?;
    }
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let listener = UnixListener::bind(&path)
        .map_err(|e| anyhow::anyhow!("cannot open admin socket {}: {e}", path.display()))?;
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600))?;
    let server_uid = rustix::process::geteuid().as_raw();
    let task = tokio::spawn(async move {
        loop {
            match listener.accept().await {
                Ok((stream, _)) => {
                    let app = app.clone();
                    tokio::spawn(async move {
                        if let Err(e) = serve_one(app, stream, server_uid).await {
                            tracing::warn!(error = %e, "admin socket request failed");
                        }
                    });
                }
                Err(e) => {
                    tracing::error!(error = %e, "admin socket accept failed");
                    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
                }
            }
        }
    });
    Ok(SocketHandle { path, task })
}

async fn serve_one(app: Arc<App>, stream: UnixStream, server_uid: u32) -> anyhow::Result<()> {
    let uid = stream.peer_cred()?.uid();
    let (read, mut write) = stream.into_split();
    if uid != server_uid && uid != 0 {
        tracing::warn!(
            uid,
            "admin socket refused a caller that is neither root nor the server's user"
        );
        send(&mut write, &Frame::Out { out: "error: permission denied\n".into() }).await?;
        send(&mut write, &Frame::Exit { exit: 77 }).await?;
        return Ok(());
    }
    let mut line = String::new();
    AsyncBufReader::new(read).take(MAX_REQUEST).read_line(&mut line).await?;
    let command: Command = match serde_json::from_str(&line) {
        Ok(c) => c,
        Err(e) => {
            send(&mut write, &Frame::Out { out: format!("error: malformed command: {e}\n") })
                .await?;
            send(&mut write, &Frame::Exit { exit: 2 }).await?;
            return Ok(());
        }
    };
    let actor = operator_actor(&command, &super::os_user::name_of(uid));
    let (tx, rx) = flume::bounded::<Vec<u8>>(64);
    let worker = tokio::task::spawn_blocking(move || {
        let mut out = ChunkWriter { tx, buf: Vec::new() };
        let outcome = commands::execute(&app, &actor, command, &mut out);
        let _ = out.flush();
        outcome.exit
    });
    while let Ok(chunk) = rx.recv_async().await {
        send(&mut write, &Frame::Out { out: String::from_utf8_lossy(&chunk).into_owned() }).await?;
    }
    let exit = worker.await.unwrap_or(1);
    send(&mut write, &Frame::Exit { exit }).await?;
    Ok(())
}

async fn send(write: &mut tokio::net::unix::OwnedWriteHalf, frame: &Frame) -> anyhow::Result<()> {
    let mut bytes = serde_json::to_vec(frame)?;
    bytes.push(b'\n');
    write.write_all(&bytes).await?;
    Ok(())
}

/// The operator as the access log names them.
pub fn operator_actor(command: &Command, os_user: &str) -> Actor {
    Actor {
        who: Who::Operator { os_user: os_user.to_owned() },
        origin: Origin::new(
            Channel::Admin,
            "local".into(),
            "ADMIN",
            command.name().into(),
            command.name().into(),
        ),
    }
}

/// Sends command output to the socket in chunks as it is produced.
struct ChunkWriter {
    tx: flume::Sender<Vec<u8>>,
    buf: Vec<u8>,
}

impl Write for ChunkWriter {
    fn write(&mut self, data: &[u8]) -> std::io::Result<usize> {
        self.buf.extend_from_slice(data);
        if self.buf.len() >= 64 * 1024 {
            self.flush()?;
        }
        Ok(data.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        if !self.buf.is_empty() {
            let chunk = std::mem::take(&mut self.buf);
            self.tx.send(chunk).map_err(|_| std::io::Error::other("admin client went away"))?;
        }
        Ok(())
    }
}

/// Client side: runs a command on the server listening at `path`. `None` when no server
/// answers there.
pub fn call(path: &Path, command: &Command, out: &mut dyn Write) -> Option<anyhow::Result<i32>> {
    let stream = match StdUnixStream::connect(path) {
        Ok(s) => s,
        Err(e)
            if matches!(
                e.kind(),
                std::io::ErrorKind::NotFound | std::io::ErrorKind::ConnectionRefused
            ) =>
        {
            return None;
        }
        Err(e) => {
            return Some(Err(anyhow::anyhow!(
                "cannot reach the server at {}: {e}",
                path.display()
            )));
        }
    };
    Some(exchange(stream, command, out))
}

fn exchange(
    mut stream: StdUnixStream,
    command: &Command,
    out: &mut dyn Write,
) -> anyhow::Result<i32> {
    let mut line = serde_json::to_vec(command)?;
    line.push(b'\n');
    stream.write_all(&line)?;
    for frame in BufReader::new(stream).lines() {
        match serde_json::from_str::<Frame>(&frame?)? {
            Frame::Out { out: text } => out.write_all(text.as_bytes())?,
            Frame::Exit { exit } => return Ok(exit),
        }
    }
    anyhow::bail!("the server closed the admin connection before answering")
}
