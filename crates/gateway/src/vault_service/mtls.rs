//! Mutual TLS of the vault service (rustls, ring; TLS 1.3 and 1.2 only): the server requires a
//! client certificate chaining to `--client-ca`, the client verifies the server against its CA
//! bundle and presents its own certificate.

use std::path::Path;
use std::sync::Arc;

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use rustls::server::WebPkiClientVerifier;

const VERSIONS: &[&rustls::SupportedProtocolVersion] =
    &[&rustls::version::TLS13, &rustls::version::TLS12];

fn provider() -> Arc<rustls::crypto::CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

/// The certificates of a PEM file; `what` names the flag in errors.
pub fn load_certs(path: &Path, what: &str) -> Result<Vec<CertificateDer<'static>>, String> {
    let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(path)
        .and_then(Iterator::collect)
        .map_err(|e| format!("{what} {}: {e}", path.display()))?;
    if certs.is_empty() {
        return Err(format!("{what} {}: no certificate in it", path.display()));
    }
    Ok(certs)
}

fn load_key(path: &Path, what: &str) -> Result<PrivateKeyDer<'static>, String> {
    PrivateKeyDer::from_pem_file(path).map_err(|e| format!("{what} {}: {e}", path.display()))
}

fn roots(path: &Path, what: &str) -> Result<Arc<rustls::RootCertStore>, String> {
    let mut roots = rustls::RootCertStore::empty();
    let (added, _) = roots.add_parsable_certificates(load_certs(path, what)?);
    if added == 0 {
        return Err(format!(
            "{what} {}: no usable CA certificate",
            path.display()
        ));
    }
    Ok(Arc::new(roots))
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
