//! The API's listener: TLS when configured (rustls, TLS 1.2 and 1.3 only — PCI DSS 4.2.1),
//! limits against slow and greedy clients (PCI DSS 6.4: a header that takes longer than
//! `header_read_timeout_ms` closes the connection, a body that takes longer than
//! `body_read_timeout_ms` is answered 408, at most `max_connections` connections are served at
//! once and the next wait in the kernel's backlog), and a drain on shutdown: connections are
//! told to finish their request in flight and close.
//!
//! Written on hyper's connection API rather than `axum::serve` because the latter has neither
//! TLS nor a header timeout; this is the loop `axum::serve` runs, with those added.

use axum::Router;
use axum::extract::ConnectInfo;
use hyper::Request;
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use paygate_store::tls_files;
use serde::Deserialize;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpListener;
use tokio::sync::{Semaphore, watch};
use tokio::task::JoinSet;
use tower_service::Service;

/// How the API listener is set up (`[listener]` in paygate.toml, `--tls-cert` … flags).
#[derive(Clone, Debug, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ListenerConfig {
    /// PEM certificate chain of the API's TLS certificate (leaf first).
    pub tls_cert: Option<PathBuf>,
    /// PEM private key (PKCS#8, PKCS#1 or SEC1) of `tls_cert`.
    pub tls_key: Option<PathBuf>,
    /// TLS is terminated in front of paygate (a load balancer or proxy): a live-mode gateway
    /// on a non-loopback address without `tls_cert` starts only when this says so.
    pub tls_offloaded: bool,
    /// A request's header must arrive within this time, or the connection is closed.
    pub header_read_timeout_ms: u64,
    /// A request's body must arrive within this time, or the answer is 408.
    pub body_read_timeout_ms: u64,
    /// Connections served at once; further ones wait in the listen backlog.
    pub max_connections: usize,
}

/// How long a TLS handshake may take before the connection is dropped.
const TLS_HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

impl Default for ListenerConfig {
    fn default() -> ListenerConfig {
        ListenerConfig {
            tls_cert: None,
            tls_key: None,
            tls_offloaded: false,
            header_read_timeout_ms: 10_000,
            body_read_timeout_ms: 10_000,
            max_connections: 4_096,
        }
    }
}

impl ListenerConfig {
    /// The TLS server configuration, when a certificate is configured.
    pub fn tls(&self) -> Result<Option<Arc<rustls::ServerConfig>>, String> {
        let (cert, key) = match (&self.tls_cert, &self.tls_key) {
            (None, None) => return Ok(None),
            (Some(c), Some(k)) => (c, k),
            _ => return Err("tls_cert and tls_key must be given together".into()),
        };
        let chain = tls_files::certificates(cert).map_err(|e| format!("tls_cert {e}"))?;
        let key = tls_files::private_key(key).map_err(|e| format!("tls_key {e}"))?;
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let mut config = rustls::ServerConfig::builder_with_provider(provider)
            .with_protocol_versions(&[&rustls::version::TLS13, &rustls::version::TLS12])
            .map_err(|e| format!("TLS: {e}"))?
            .with_no_client_auth()
            .with_single_cert(chain, key)
            .map_err(|e| format!("TLS certificate and key: {e}"))?;
        config.alpn_protocols = vec![b"http/1.1".to_vec()];
        Ok(Some(Arc::new(config)))
    }

    /// Whether a live-mode gateway may listen as configured: TLS here, TLS in front of it
    /// (`tls_offloaded`), or only the loopback interface.
    pub fn check_live(&self, listen: &std::net::SocketAddr) -> Result<(), String> {
        if self.tls_cert.is_some() || self.tls_offloaded || listen.ip().is_loopback() {
            return Ok(());
        }
        Err(format!(
            "PCI DSS 4.2.1: live-mode keys exist and the API would listen on {listen} without TLS; \
             give --tls-cert/--tls-key, or --tls-offloaded when a proxy in front terminates TLS"
        ))
    }
}

/// Serves `app` on `listener` until `shutdown` turns true, then drains.
pub async fn serve(
    listener: TcpListener,
    app: Router,
    cfg: &ListenerConfig,
    tls: Option<Arc<rustls::ServerConfig>>,
    mut shutdown: watch::Receiver<bool>,
) {
    let acceptor = tls.map(tokio_rustls::TlsAcceptor::from);
    let permits = Arc::new(Semaphore::new(cfg.max_connections.max(1)));
    let header_timeout = Duration::from_millis(cfg.header_read_timeout_ms.max(1));
    let mut connections = JoinSet::new();
    loop {
        let permit = tokio::select! {
            p = permits.clone().acquire_owned() => match p { Ok(p) => p, Err(_) => break },
            () = stopped(&mut shutdown) => break,
        };
        let (tcp, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(e) => {
                    // Out of file descriptors and the like: back off instead of spinning.
                    crate::error::warn_limited("accept failed", &e);
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = stopped(&mut shutdown) => break,
        };
        // Answers go out as soon as they are written, never held back by Nagle's algorithm.
        let _ = tcp.set_nodelay(true);
        let app = app.clone();
        let acceptor = acceptor.clone();
        let rx = shutdown.clone();
        connections.spawn(async move {
            let _permit = permit;
            match acceptor {
                None => serve_connection(tcp, peer, app, header_timeout, rx).await,
                Some(acceptor) => {
                    match tokio::time::timeout(TLS_HANDSHAKE_TIMEOUT, acceptor.accept(tcp)).await {
                        Ok(Ok(tls)) => serve_connection(tls, peer, app, header_timeout, rx).await,
                        Ok(Err(e)) => tracing::debug!(error = %e, "TLS handshake failed"),
                        Err(_) => tracing::debug!("TLS handshake timed out"),
                    }
                }
            }
        });
        while connections.try_join_next().is_some() {}
    }
    while connections.join_next().await.is_some() {}
}

/// Resolves once shutdown is asked for (or its sender is gone); holds no guard across awaits.
async fn stopped(shutdown: &mut watch::Receiver<bool>) {
    let _ = shutdown.wait_for(|v| *v).await;
}

async fn serve_connection<I>(
    io: I,
    peer: SocketAddr,
    app: Router,
    header_timeout: Duration,
    mut shutdown: watch::Receiver<bool>,
) where
    I: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let mut builder = hyper::server::conn::http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(header_timeout);
    // The peer's address reaches handlers that record where a request came from (the
    // dashboard's audit log) as `ConnectInfo<SocketAddr>`, as `axum::serve` would put it; the
    // router is shared by every connection (a clone is a reference count), never rebuilt.
    let service = hyper::service::service_fn(move |mut req: Request<Incoming>| {
        req.extensions_mut().insert(ConnectInfo(peer));
        app.clone().call(req)
    });
    let conn = builder.serve_connection(TokioIo::new(io), service);
    let mut conn = std::pin::pin!(conn);
    tokio::select! {
        result = conn.as_mut() => {
            if let Err(e) = result {
                tracing::debug!(error = %e, "connection ended with an error");
            }
        }
        () = stopped(&mut shutdown) => {
            conn.as_mut().graceful_shutdown();
            let _ = conn.await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn live_mode_needs_tls_here_or_in_front_unless_on_loopback() {
        let public: std::net::SocketAddr = "0.0.0.0:8080".parse().unwrap();
        let loopback: std::net::SocketAddr = "127.0.0.1:8080".parse().unwrap();
        let plain = ListenerConfig::default();
        assert!(plain.check_live(&loopback).is_ok());
        let refused = plain.check_live(&public).unwrap_err();
        assert!(refused.contains("PCI DSS 4.2.1"), "{refused}");
        let offloaded = ListenerConfig {
            tls_offloaded: true,
            ..ListenerConfig::default()
        };
        assert!(offloaded.check_live(&public).is_ok());
    }

    #[test]
    fn a_certificate_without_its_key_is_refused() {
        let half = ListenerConfig {
            tls_cert: Some("cert.pem".into()),
            ..ListenerConfig::default()
        };
        assert!(half.tls().unwrap_err().contains("together"));
    }
}
