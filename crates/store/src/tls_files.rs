//! Certificates, private keys and CA bundles read from PEM files: the one place paygate does
//! it, for the database's `sslrootcert` here and, in the gateway, the API listener's
//! `--tls-cert/--tls-key` and both ends of the vault's mutual TLS. It lives in the store
//! because the store is the lowest crate that reads such a file; the gateway depends on it.
//!
//! An error names the file and what was wrong with it; the caller prefixes the setting it came
//! from (`tls_cert`, `--vault-ca`, `database url: sslrootcert=`).

use std::fmt;
use std::path::{Path, PathBuf};

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};

/// A PEM file that could not be used: its path and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PemFileError {
    pub path: PathBuf,
    pub problem: String,
}

impl PemFileError {
    fn new(path: &Path, problem: impl fmt::Display) -> Self {
        PemFileError {
            path: path.to_path_buf(),
            problem: problem.to_string(),
        }
    }
}

impl fmt::Display for PemFileError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.path.display(), self.problem)
    }
}

impl std::error::Error for PemFileError {}

/// Every certificate in the file, in order (a chain leaf first); at least one.
pub fn certificates(path: &Path) -> Result<Vec<CertificateDer<'static>>, PemFileError> {
    let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(path)
        .and_then(Iterator::collect)
        .map_err(|e| PemFileError::new(path, e))?;
    if certs.is_empty() {
        return Err(PemFileError::new(path, "no certificate in it"));
    }
    Ok(certs)
}

/// The file's private key (PKCS#8, PKCS#1 or SEC1).
pub fn private_key(path: &Path) -> Result<PrivateKeyDer<'static>, PemFileError> {
    PrivateKeyDer::from_pem_file(path).map_err(|e| PemFileError::new(path, e))
}

/// A CA bundle as trust roots: the certificates rustls can use as anchors, at least one.
pub fn roots(path: &Path) -> Result<rustls::RootCertStore, PemFileError> {
    let mut roots = rustls::RootCertStore::empty();
    let (added, _) = roots.add_parsable_certificates(certificates(path)?);
    if added == 0 {
        return Err(PemFileError::new(path, "no usable CA certificate in it"));
    }
    Ok(roots)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_missing_file_is_named_in_the_error() {
        let e = certificates(Path::new("/nonexistent/ca.pem")).unwrap_err();
        assert!(e.to_string().starts_with("/nonexistent/ca.pem: "), "{e}");
    }

    #[test]
    fn a_file_without_a_certificate_says_so() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("empty.pem");
        std::fs::write(&path, "not a certificate\n").unwrap();
        let e = certificates(&path).unwrap_err();
        assert_eq!(e.problem, "no certificate in it");
        assert_eq!(roots(&path).unwrap_err().problem, "no certificate in it");
    }
}
