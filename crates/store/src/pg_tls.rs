//! PostgreSQL over TLS: libpq's `sslmode` and `sslrootcert` parameters of a database URL,
//! honoured with rustls (through `tokio-postgres-rustls`).
//!
//! tokio-postgres itself knows only `disable | prefer | require` and rejects `sslrootcert`, so
//! both are taken out of the URL here ([`split_url`]) and turned into a rustls client
//! configuration ([`PgTls::from_params`]). The modes mean what they mean for libpq:
//!
//! | `sslmode` | TLS | server certificate |
//! |---|---|---|
//! | absent, `disable` | no (paygate's default: unchanged from before TLS support) | — |
//! | `prefer` | when the server offers it | not checked |
//! | `require` | yes | not checked, unless `sslrootcert` is given (then as `verify-ca`) |
//! | `verify-ca` | yes | chains to `sslrootcert` |
//! | `verify-full` | yes | chains to `sslrootcert` and names the host connected to |

use std::path::{Path, PathBuf};
use std::sync::Arc;

use rustls::client::WebPkiServerVerifier;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::CryptoProvider;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{CertificateError, DigitallySignedStruct, SignatureScheme};
use tokio_postgres_rustls::MakeRustlsConnect;

use crate::error::StoreError;
use crate::tls_files;

/// libpq's `sslmode`, as far as paygate honours it (`allow` is refused: it would try plaintext
/// first, which is what a TLS setting is meant to prevent).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum SslMode {
    Disable,
    Prefer,
    Require,
    VerifyCa,
    VerifyFull,
}

impl SslMode {
    fn parse(value: &str) -> Result<SslMode, StoreError> {
        Ok(match value {
            "disable" => SslMode::Disable,
            "prefer" => SslMode::Prefer,
            "require" => SslMode::Require,
            "verify-ca" => SslMode::VerifyCa,
            "verify-full" => SslMode::VerifyFull,
            other => {
                return Err(StoreError::Config(format!(
                    "database url: sslmode={other:?}, must be one of disable, prefer, require, \
                     verify-ca, verify-full"
                )));
            }
        })
    }

    /// What tokio-postgres is told: it only needs to know whether TLS is optional.
    fn negotiation(self) -> tokio_postgres::config::SslMode {
        match self {
            SslMode::Disable => tokio_postgres::config::SslMode::Disable,
            SslMode::Prefer => tokio_postgres::config::SslMode::Prefer,
            SslMode::Require | SslMode::VerifyCa | SslMode::VerifyFull => {
                tokio_postgres::config::SslMode::Require
            }
        }
    }
}

/// The TLS parameters taken out of a database URL.
#[derive(Debug, Default, PartialEq, Eq)]
pub(crate) struct TlsParams {
    pub(crate) sslmode: Option<String>,
    pub(crate) sslrootcert: Option<PathBuf>,
}

/// Splits `sslmode` and `sslrootcert` off a database URL (`postgres://…?k=v&…`) or key/value
/// connection string (`host=… sslmode=…`); the rest goes to tokio-postgres unchanged.
pub(crate) fn split_url(url: &str) -> (String, TlsParams) {
    let mut params = TlsParams::default();
    let mut take = |key: &str, value: &str| match key {
        "sslmode" => {
            params.sslmode = Some(value.to_owned());
            true
        }
        "sslrootcert" => {
            let path = percent_encoding::percent_decode_str(value).decode_utf8_lossy();
            params.sslrootcert = Some(PathBuf::from(path.as_ref()));
            true
        }
        _ => false,
    };
    let rest = if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        match url.split_once('?') {
            None => url.to_owned(),
            Some((base, query)) => {
                let kept: Vec<&str> = query
                    .split('&')
                    .filter(|kv| {
                        let (k, v) = kv.split_once('=').unwrap_or((kv, ""));
                        !take(k, v)
                    })
                    .collect();
                if kept.is_empty() {
                    base.to_owned()
                } else {
                    format!("{base}?{}", kept.join("&"))
                }
            }
        }
    } else {
        let kept: Vec<&str> = url
            .split_whitespace()
            .filter(|kv| {
                let (k, v) = kv.split_once('=').unwrap_or((kv, ""));
                !take(k.trim(), v.trim())
            })
            .collect();
        kept.join(" ")
    };
    (rest, params)
}

/// How connections are made: plaintext, or TLS with a rustls configuration.
#[derive(Clone)]
pub(crate) enum PgTls {
    Plain,
    Rustls(MakeRustlsConnect),
}

impl PgTls {
    /// Builds the connector and sets tokio-postgres' own `ssl_mode` to match.
    pub(crate) fn from_params(
        params: &TlsParams,
        config: &mut tokio_postgres::Config,
    ) -> Result<PgTls, StoreError> {
        let mode = match &params.sslmode {
            None => SslMode::Disable,
            Some(m) => SslMode::parse(m)?,
        };
        config.ssl_mode(mode.negotiation());
        let roots = match &params.sslrootcert {
            Some(path) => Some(load_roots(path)?),
            None => None,
        };
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let verifier: Arc<dyn ServerCertVerifier> = match (mode, roots) {
            (SslMode::Disable, _) => return Ok(PgTls::Plain),
            (SslMode::Prefer, _) | (SslMode::Require, None) => {
                Arc::new(EncryptOnly(Arc::clone(&provider)))
            }
            (SslMode::VerifyCa | SslMode::VerifyFull, None) => {
                return Err(StoreError::Config(
                    "database url: sslmode=verify-ca and verify-full need sslrootcert=FILE \
                     (the PEM CA bundle the server's certificate must chain to)"
                        .into(),
                ));
            }
            (SslMode::Require | SslMode::VerifyCa, Some(roots)) => {
                Arc::new(ChainOnly(webpki_verifier(roots, &provider)?))
            }
            (SslMode::VerifyFull, Some(roots)) => webpki_verifier(roots, &provider)?,
        };
        let tls = rustls::ClientConfig::builder_with_provider(provider)
            .with_protocol_versions(&[&rustls::version::TLS13, &rustls::version::TLS12])
            .map_err(|e| StoreError::Config(format!("database TLS: {e}")))?
            .dangerous()
            .with_custom_certificate_verifier(verifier)
            .with_no_client_auth();
        Ok(PgTls::Rustls(MakeRustlsConnect::new(tls)))
    }
}

fn load_roots(path: &Path) -> Result<rustls::RootCertStore, StoreError> {
    tls_files::roots(path).map_err(|e| StoreError::Config(format!("database url: sslrootcert={e}")))
}

fn webpki_verifier(
    roots: rustls::RootCertStore,
    provider: &Arc<CryptoProvider>,
) -> Result<Arc<WebPkiServerVerifier>, StoreError> {
    WebPkiServerVerifier::builder_with_provider(Arc::new(roots), Arc::clone(provider))
        .build()
        .map_err(|e| StoreError::Config(format!("database url: sslrootcert: {e}")))
}

/// `verify-ca`: the chain must lead to a trusted root; the name in the certificate is not
/// compared with the host (libpq's meaning).
#[derive(Debug)]
struct ChainOnly(Arc<WebPkiServerVerifier>);

/// `prefer` and `require` without `sslrootcert`: the link is encrypted, the server is not
/// authenticated (libpq's meaning). Handshake signatures are still checked.
#[derive(Debug)]
struct EncryptOnly(Arc<CryptoProvider>);

impl ServerCertVerifier for ChainOnly {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        let checked = self
            .0
            .verify_server_cert(end_entity, intermediates, server_name, ocsp, now);
        match checked {
            Err(rustls::Error::InvalidCertificate(
                CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. },
            )) => Ok(ServerCertVerified::assertion()),
            other => other,
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.0.verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.0.verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.supported_verify_schemes()
    }
}

impl ServerCertVerifier for EncryptOnly {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        let algs = &self.0.signature_verification_algorithms;
        rustls::crypto::verify_tls12_signature(message, cert, dss, algs)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        let algs = &self.0.signature_verification_algorithms;
        rustls::crypto::verify_tls13_signature(message, cert, dss, algs)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn url_form_loses_only_the_tls_parameters() {
        let (rest, p) = split_url(
            "postgres://u@db:5432/pg?application_name=x&sslmode=verify-full&sslrootcert=%2Fetc%2Fca.pem",
        );
        assert_eq!(rest, "postgres://u@db:5432/pg?application_name=x");
        assert_eq!(p.sslmode.as_deref(), Some("verify-full"));
        assert_eq!(p.sslrootcert, Some(PathBuf::from("/etc/ca.pem")));
        let (rest, p) = split_url("postgres://u@db/pg?sslmode=require");
        assert_eq!(rest, "postgres://u@db/pg");
        assert_eq!(p.sslrootcert, None);
    }

    #[test]
    fn key_value_form_loses_only_the_tls_parameters() {
        let (rest, p) = split_url("host=db user=u sslmode=verify-ca sslrootcert=/ca.pem");
        assert_eq!(rest, "host=db user=u");
        assert_eq!(p.sslmode.as_deref(), Some("verify-ca"));
        assert_eq!(p.sslrootcert, Some(PathBuf::from("/ca.pem")));
    }

    #[test]
    fn modes_are_checked_and_verification_needs_a_root() {
        let mut config = tokio_postgres::Config::new();
        let params = |m: &str| TlsParams {
            sslmode: Some(m.into()),
            sslrootcert: None,
        };
        let err = PgTls::from_params(&params("allow"), &mut config)
            .err()
            .unwrap();
        assert!(err.to_string().contains("sslmode=\"allow\""), "{err}");
        let err = PgTls::from_params(&params("verify-full"), &mut config)
            .err()
            .unwrap();
        assert!(err.to_string().contains("sslrootcert"), "{err}");
        assert!(matches!(
            PgTls::from_params(&TlsParams::default(), &mut config),
            Ok(PgTls::Plain)
        ));
        assert!(matches!(
            PgTls::from_params(&params("require"), &mut config),
            Ok(PgTls::Rustls(_))
        ));
        assert_eq!(
            config.get_ssl_mode(),
            tokio_postgres::config::SslMode::Require
        );
    }
}
