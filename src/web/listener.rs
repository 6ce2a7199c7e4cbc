//! The listening socket and what each connection goes through before the application:
//! TLS (rustls, HTTP/2 by ALPN), the connection tap (`conntap.rs`: responses that actix
//! makes on its own are logged too), the client certificate and the connection's
//! transport for the request, then actix-http with the portal's timeouts.
//!
//! Built on actix-server directly rather than `actix_web::HttpServer`, which offers no way
//! to wrap a connection's stream; the settings are those `HttpServer` would apply.

use std::any::Any;
use std::net::{SocketAddr, TcpListener};
use std::sync::Arc;
use std::time::Duration;

use actix_http::{HttpService, Protocol, Request, Response};
use actix_server::{Server, ServerBuilder, ServerServiceFactory};
use actix_service::{
    IntoServiceFactory, ServiceFactory, ServiceFactoryExt, fn_service, map_config,
};
use actix_tls::accept::TlsError;
use actix_tls::accept::rustls_0_23::{Acceptor, TlsStream};
use actix_web::body::MessageBody;
use actix_web::dev::{AppConfig, Extensions};
use actix_web::rt::net::TcpStream;

use super::conntap::{Tap, Tapped};
use crate::audit::AuditLog;

/// Whether the request came over TLS (set on every connection; the pipeline reads it).
#[derive(Debug, Clone, Copy)]
pub struct Transport {
    pub secure: bool,
}

/// What the listener needs besides the application.
pub struct Settings {
    pub workers: usize,
    /// `server.request_head_timeout_seconds`: a request line and headers slower than this
    /// are answered 408.
    pub head_timeout: Duration,
    /// Where refused requests are logged.
    pub audit: Arc<AuditLog>,
    /// rustls configuration; `None` for plain HTTP (loopback only).
    pub tls: Option<rustls::ServerConfig>,
}

/// Where to listen: a socket handed over by systemd, or an address to bind.
pub enum Listen {
    Inherited(TcpListener),
    Bind(SocketAddr),
}

fn attach<Fac: ServerServiceFactory<TcpStream>>(
    builder: ServerBuilder,
    listen: Listen,
    name: &str,
    factory: Fac,
) -> std::io::Result<ServerBuilder> {
    match listen {
        Listen::Inherited(listener) => builder.listen(name, listener, factory),
        Listen::Bind(addr) => builder.bind(name, addr, factory),
    }
}

/// A server listening on `listen`, serving the application `factory` makes (one per
/// worker).
pub fn server<F, I, S, B>(
    factory: F,
    listen: Listen,
    addr: SocketAddr,
    settings: Settings,
) -> std::io::Result<Server>
where
    F: Fn() -> I + Send + Clone + 'static,
    I: IntoServiceFactory<S, Request>,
    S: ServiceFactory<Request, Config = AppConfig> + 'static,
    S::Error: Into<actix_web::Error> + 'static,
    S::InitError: std::fmt::Debug,
    S::Response: Into<Response<B>> + 'static,
    S::Service: 'static,
    B: MessageBody + 'static,
{
    let Settings { workers, head_timeout, audit, tls } = settings;
    let builder = Server::build().workers(workers).shutdown_timeout(10);
    match tls {
        None => attach(builder, listen, "ipgo-http", move || {
            let audit = audit.clone();
            fn_service(move |io: TcpStream| {
                set_nodelay(&io);
                let tap = Tap::new(io.peer_addr().ok().map(|a| a.ip()), audit.clone());
                let peer = io.peer_addr().ok();
                async move { Ok((Tapped::new(io, Some(tap)), Protocol::Http1, peer)) }
            })
            .and_then(http(factory.clone(), head_timeout, addr, false))
        }),
        Some(mut config) => {
            config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
            let mut acceptor = Acceptor::new(config);
            acceptor.set_handshake_timeout(Duration::from_secs(3));
            attach(builder, listen, "ipgo-https", move || {
                let audit = audit.clone();
                acceptor
                    .clone()
                    .map_init_err(|_| ())
                    .map_err(TlsError::into_service_error)
                    .and_then(fn_service(move |io: TlsStream<TcpStream>| {
                        set_nodelay(io.get_ref().0);
                        let peer = io.get_ref().0.peer_addr().ok();
                        let h2 = io.get_ref().1.alpn_protocol() == Some(b"h2".as_slice());
                        let (tap, protocol) = match h2 {
                            true => (None, Protocol::Http2),
                            false => (
                                Some(Tap::new(peer.map(|a| a.ip()), audit.clone())),
                                Protocol::Http1,
                            ),
                        };
                        async move { Ok((Tapped::new(io, tap), protocol, peer)) }
                    }))
                    .and_then(
                        http(factory.clone(), head_timeout, addr, true).map_err(TlsError::Service),
                    )
            })
        }
    }
    .map(|b| b.run())
}

/// Turns Nagle's algorithm off, as `actix_web::HttpServer` would ask of actix-http: a
/// streamed (compressed) answer goes out in several writes, and with Nagle on, the last one
/// waits for the client's delayed ACK — 40 ms on Linux, up to 200 ms on Windows — on every
/// keep-alive request (measured: 43 ms p50 for the gzip-compressed dashboard).
fn set_nodelay(io: &TcpStream) {
    if let Err(e) = io.set_nodelay(true) {
        tracing::debug!("TCP_NODELAY: {e}");
    }
}

/// actix-http over a tapped stream `T`, with the portal's timeouts and the connection's
/// facts (transport, client certificate) for each request.
fn http<T, F, I, S, B>(
    factory: F,
    head_timeout: Duration,
    addr: SocketAddr,
    secure: bool,
) -> impl ServiceFactory<
    (Tapped<T>, Protocol, Option<SocketAddr>),
    Config = (),
    Response = (),
    Error = actix_http::error::DispatchError,
    InitError = (),
>
where
    T: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + 'static,
    F: Fn() -> I,
    I: IntoServiceFactory<S, Request>,
    S: ServiceFactory<Request, Config = AppConfig> + 'static,
    S::Error: Into<actix_web::Error> + 'static,
    S::InitError: std::fmt::Debug,
    S::Response: Into<Response<B>> + 'static,
    S::Service: 'static,
    B: MessageBody + 'static,
{
    let app = factory().into_factory().map_err(|e| e.into().error_response());
    HttpService::build()
        .keep_alive(Duration::from_secs(5))
        .client_request_timeout(head_timeout)
        .client_disconnect_timeout(Duration::from_secs(1))
        .local_addr(addr)
        .on_connect_ext(move |io: &Tapped<T>, ext: &mut Extensions| {
            ext.insert(Transport { secure });
            super::client_cert::on_connect(io.get_ref() as &dyn Any, ext);
        })
        .finish(map_config(app, |_| AppConfig::default()))
}
