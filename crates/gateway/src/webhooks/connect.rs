//! The HTTP client of one webhook endpoint: a keep-alive pool of its own, and a connector
//! whose name resolution is the SSRF guard, so each new connection goes to an address that
//! was checked a moment before (TLS still verifies and sends SNI for the host name).

use super::guard::{Dns, Refused};
use bytes::Bytes;
use http_body_util::Full;
use hyper_rustls::HttpsConnector;
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::client::legacy::connect::dns::Name;
use hyper_util::rt::TokioExecutor;
use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::{Arc, OnceLock};
use std::task::{Context, Poll};
use std::time::Duration;

/// Idle keep-alive connections kept per endpoint.
const IDLE_PER_ENDPOINT_MAX: usize = 4;
/// An idle pooled connection is closed after this.
const IDLE_TIMEOUT_S: u64 = 60;

/// HTTP/1.1 client for one endpoint: https (rustls, ring, Mozilla's roots from webpki-roots)
/// and, for test-mode and allowed private endpoints, plain http.
pub type HttpClient = Client<HttpsConnector<HttpConnector<VettingResolver>>, Full<Bytes>>;

/// Resolves through [`Dns`] and hands the connector only checked addresses.
#[derive(Clone)]
pub struct VettingResolver {
    dns: Dns,
    allow_private: bool,
}

type Resolved =
    Pin<Box<dyn Future<Output = Result<std::vec::IntoIter<SocketAddr>, Refused>> + Send>>;

impl tower_service::Service<Name> for VettingResolver {
    type Response = std::vec::IntoIter<SocketAddr>;
    type Error = Refused;
    type Future = Resolved;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), Refused>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, name: Name) -> Resolved {
        let (dns, allow_private) = (self.dns.clone(), self.allow_private);
        Box::pin(async move {
            let ips = dns.vetted(name.as_str(), allow_private).await?;
            // Port 0: the connector puts the URL's port in.
            let addrs: Vec<SocketAddr> = ips.into_iter().map(|ip| SocketAddr::new(ip, 0)).collect();
            Ok(addrs.into_iter())
        })
    }
}

/// A client whose connections reach only addresses the guard accepted (`allow_private` for
/// test mode or `webhooks_allow_private`).
pub fn client(dns: &Dns, allow_private: bool, timeout_ms: u64) -> HttpClient {
    let resolver = VettingResolver {
        dns: dns.clone(),
        allow_private,
    };
    let mut http = HttpConnector::new_with_resolver(resolver);
    http.set_connect_timeout(Some(Duration::from_millis(timeout_ms)));
    http.set_nodelay(true);
    http.enforce_http(false);
    let https = hyper_rustls::HttpsConnectorBuilder::new()
        .with_tls_config(rustls_config())
        .https_or_http()
        .enable_http1()
        .wrap_connector(http);
    Client::builder(TokioExecutor::new())
        .pool_max_idle_per_host(IDLE_PER_ENDPOINT_MAX)
        .pool_idle_timeout(Duration::from_secs(IDLE_TIMEOUT_S))
        .build(https)
}

/// TLS with ring and Mozilla's roots (webpki-roots), built once (also the ISP client's).
pub(crate) fn rustls_config() -> rustls::ClientConfig {
    static CONFIG: OnceLock<Arc<rustls::ClientConfig>> = OnceLock::new();
    let config = CONFIG.get_or_init(|| {
        let roots =
            rustls::RootCertStore::from_iter(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        Arc::new(
            rustls::ClientConfig::builder_with_provider(provider)
                .with_safe_default_protocol_versions()
                .expect("ring supports TLS 1.2 and 1.3 (a failure is a build defect)")
                .with_root_certificates(roots)
                .with_no_client_auth(),
        )
    });
    (**config).clone()
}

/// The guard's refusal inside a client error, if that is why the request failed.
pub fn refusal<'a>(err: &'a (dyn std::error::Error + 'static)) -> Option<&'a Refused> {
    let mut cur: Option<&'a (dyn std::error::Error + 'static)> = Some(err);
    while let Some(e) = cur {
        if let Some(r) = e.downcast_ref::<Refused>() {
            return Some(r);
        }
        cur = e.source();
    }
    None
}
