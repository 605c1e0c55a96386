//! The exporter's HTTP client towards the collector: a JSON POST over HTTP/1.1 (hyper-util's
//! pooled client), plain `http://` or `https://` with rustls (ring) — the roots are Mozilla's
//! (webpki-roots), or the CA file `--otlp-certificate` names — with one timeout for the whole
//! request. The same stack as the 3DS Server's client; nothing new in the build.

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::{Method, Request, Uri, header};
use hyper_rustls::HttpsConnector;
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use rustls::pki_types::CertificateDer;
use rustls::pki_types::pem::PemObject;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

/// One POST, all included.
const POST_TIMEOUT: Duration = Duration::from_secs(5);
/// Establishing the connection.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(2);

/// Where spans are posted, and how.
#[derive(Clone)]
pub struct Collector {
    url: Uri,
    tls: Arc<rustls::ClientConfig>,
}

impl std::fmt::Debug for Collector {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Collector({})", self.url)
    }
}

impl Collector {
    /// The collector at `traces_url` (`http(s)://…/v1/traces`); an https one's certificate
    /// must chain to the CAs of `ca_file` (PEM) when given, else to Mozilla's roots.
    pub fn new(traces_url: &str, ca_file: Option<&Path>) -> Result<Collector, String> {
        let url: Uri = traces_url
            .parse()
            .map_err(|_| format!("--otlp-endpoint {traces_url:?} is not a URL"))?;
        if !matches!(url.scheme_str(), Some("http" | "https")) || url.host().is_none() {
            return Err(format!(
                "--otlp-endpoint {traces_url:?} must be an http:// or https:// URL"
            ));
        }
        let roots = match ca_file {
            Some(path) => roots_from(path)?,
            None => {
                rustls::RootCertStore::from_iter(webpki_roots::TLS_SERVER_ROOTS.iter().cloned())
            }
        };
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let tls = rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(|e| format!("OTLP TLS: {e}"))?
            .with_root_certificates(roots)
            .with_no_client_auth();
        Ok(Collector {
            url,
            tls: Arc::new(tls),
        })
    }

    /// The HTTP client (made on the exporter's thread).
    pub fn client(&self) -> PostClient {
        let mut connector = HttpConnector::new();
        connector.set_connect_timeout(Some(CONNECT_TIMEOUT));
        connector.enforce_http(false);
        let https = hyper_rustls::HttpsConnectorBuilder::new()
            .with_tls_config((*self.tls).clone())
            .https_or_http()
            .enable_http1()
            .wrap_connector(connector);
        PostClient {
            http: Client::builder(TokioExecutor::new()).build(https),
            url: self.url.clone(),
        }
    }
}

/// The CAs of a PEM file.
fn roots_from(path: &Path) -> Result<rustls::RootCertStore, String> {
    let what = format!("--otlp-certificate {}", path.display());
    let mut roots = rustls::RootCertStore::empty();
    for cert in CertificateDer::pem_file_iter(path).map_err(|e| format!("{what}: {e}"))? {
        let cert = cert.map_err(|e| format!("{what}: {e}"))?;
        roots
            .add(cert)
            .map_err(|e| format!("{what}: not a CA certificate: {e}"))?;
    }
    if roots.is_empty() {
        return Err(format!("{what}: no PEM certificate in it"));
    }
    Ok(roots)
}

/// Posts batches to the collector.
pub struct PostClient {
    http: Client<HttpsConnector<HttpConnector>, Full<Bytes>>,
    url: Uri,
}

impl PostClient {
    /// POSTs `body` (JSON); Ok when the collector answered 2xx.
    pub async fn post(&self, body: Vec<u8>) -> Result<(), String> {
        let req = Request::builder()
            .method(Method::POST)
            .uri(self.url.clone())
            .header(header::CONTENT_TYPE, "application/json")
            .body(Full::new(Bytes::from(body)))
            .map_err(|e| e.to_string())?;
        let exchange = async {
            let resp = self
                .http
                .request(req)
                .await
                .map_err(|e| format!("collector not reached: {e}"))?;
            let status = resp.status();
            // Read the answer to the end, so the connection goes back to the pool.
            let _ = resp.into_body().collect().await;
            if status.is_success() {
                Ok(())
            } else {
                Err(format!("collector answered HTTP {status}"))
            }
        };
        tokio::time::timeout(POST_TIMEOUT, exchange)
            .await
            .map_err(|_| format!("collector did not answer within {POST_TIMEOUT:?}"))?
    }
}
