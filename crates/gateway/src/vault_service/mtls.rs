//! Mutual TLS of the vault service (rustls, ring; TLS 1.3 and 1.2 only): the server requires a
//! client certificate chaining to `--client-ca`, the client verifies the server against its CA
//! bundle and presents its own certificate.

use std::path::Path;
use std::sync::Arc;

use paygate_store::tls_files;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use rustls::server::WebPkiClientVerifier;

const VERSIONS: &[&rustls::SupportedProtocolVersion] =
    &[&rustls::version::TLS13, &rustls::version::TLS12];

fn provider() -> Arc<rustls::crypto::CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

/// The certificates of a PEM file; `what` names the flag in errors.
fn load_certs(path: &Path, what: &str) -> Result<Vec<CertificateDer<'static>>, String> {
    tls_files::certificates(path).map_err(|e| format!("{what} {e}"))
}

fn load_key(path: &Path, what: &str) -> Result<PrivateKeyDer<'static>, String> {
    tls_files::private_key(path).map_err(|e| format!("{what} {e}"))
}

fn roots(path: &Path, what: &str) -> Result<Arc<rustls::RootCertStore>, String> {
    tls_files::roots(path)
        .map(Arc::new)
        .map_err(|e| format!("{what} {e}"))
}

/// The vault server's configuration: `cert`/`key` it presents, clients must chain to `client_ca`.
pub fn server_config(
    cert: &Path,
    key: &Path,
    client_ca: &Path,
) -> Result<Arc<rustls::ServerConfig>, String> {
    let verifier =
        WebPkiClientVerifier::builder_with_provider(roots(client_ca, "--client-ca")?, provider())
            .build()
            .map_err(|e| format!("--client-ca {}: {e}", client_ca.display()))?;
    let mut config = rustls::ServerConfig::builder_with_provider(provider())
        .with_protocol_versions(VERSIONS)
        .map_err(|e| format!("TLS: {e}"))?
        .with_client_cert_verifier(verifier)
        .with_single_cert(load_certs(cert, "--tls-cert")?, load_key(key, "--tls-key")?)
        .map_err(|e| format!("--tls-cert/--tls-key: {e}"))?;
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(Arc::new(config))
}

/// Files of the gateway's side of the link (`--vault-ca`, `--vault-client-cert`,
/// `--vault-client-key`).
#[derive(Clone, Debug)]
pub struct ClientFiles<'a> {
    pub ca: &'a Path,
    pub cert: &'a Path,
    pub key: &'a Path,
}

/// The gateway's configuration: trusts only `ca` for the vault, presents `cert`/`key`.
pub fn client_config(files: &ClientFiles<'_>) -> Result<rustls::ClientConfig, String> {
    rustls::ClientConfig::builder_with_provider(provider())
        .with_protocol_versions(VERSIONS)
        .map_err(|e| format!("TLS: {e}"))?
        .with_root_certificates(roots(files.ca, "--vault-ca")?)
        .with_client_auth_cert(
            load_certs(files.cert, "--vault-client-cert")?,
            load_key(files.key, "--vault-client-key")?,
        )
        .map_err(|e| format!("--vault-client-cert/--vault-client-key: {e}"))
}
