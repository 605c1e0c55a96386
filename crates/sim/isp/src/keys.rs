//! The server's keys, all derived from the CAVV key (HMAC-SHA256 per purpose), so the data
//! directory never holds a private key: the root and issuing CA keys, the card-encryption key
//! (ECDH-ES), the card-fingerprint key. The CA certificates are made once and kept in the
//! database; a data directory opened with another CAVV key is refused.

use std::time::{Duration, SystemTime};

use hmac::{Hmac, KeyInit, Mac};
use paygate_isp::ca::Authority;
use paygate_isp::cert;
use paygate_isp::p256::SecretKey;
use paygate_isp::p256::ecdsa::SigningKey;
use paygate_sim_kit::SimError;
use sha2::{Digest, Sha256};

use crate::store::Store;

const ROOT_DN: &str = "CN=paygate ISP simulator root CA,O=paygate test";
const ISSUING_DN: &str = "CN=paygate ISP simulator issuing CA,O=paygate test";
const YEAR: Duration = Duration::from_secs(365 * 24 * 3600);

/// The keys; `Debug` shows none of them.
pub(crate) struct Keys {
    pub root: Authority,
    pub issuing: Authority,
    pub encryption: SecretKey,
    /// `kid` of the encryption key: 16 hex digits of SHA-256 of its SEC1 point.
    pub kid: String,
    fingerprint: [u8; 32],
    cavv: [u8; 32],
}

impl std::fmt::Debug for Keys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Keys")
            .field("kid", &self.kid)
            .finish_non_exhaustive()
    }
}

pub(crate) fn hmac(key: &[u8], parts: &[&[u8]]) -> [u8; 32] {
    let mut mac =
        <Hmac<Sha256> as KeyInit>::new_from_slice(key).expect("HMAC takes any key length");
    for p in parts {
        mac.update(p);
    }
    mac.finalize().into_bytes().into()
}

fn signing_key(cavv: &[u8; 32], label: &str) -> Result<SigningKey, SimError> {
    SigningKey::from_slice(&hmac(cavv, &[b"paygate-sim-isp ", label.as_bytes()])).map_err(|_| {
        SimError::Config {
            field: "cavv_key",
            rule: format!("derives an invalid {label} key"),
        }
    })
}

fn config_err(rule: String) -> SimError {
    SimError::Config {
        field: "data_dir",
        rule,
    }
}

/// The CA certificate `name` from the store, or a new one made by `make` and stored; its key
/// must be `key`.
fn authority(
    store: &Store,
    name: &str,
    key: SigningKey,
    make: impl FnOnce(SigningKey) -> Result<Authority, paygate_isp::IspError>,
) -> Result<Authority, SimError> {
    if let Some(pem) = store.ca_certificate(name)? {
        let certificate = cert::parse_pem(&pem).map_err(|e| config_err(e.to_string()))?;
        if cert::public_key(&certificate).ok().as_ref() != Some(key.verifying_key()) {
            return Err(config_err(format!(
                "its {name} CA was made with another CAVV key"
            )));
        }
        return Ok(Authority { key, certificate });
    }
    let made = make(key).map_err(|e| config_err(e.to_string()))?;
    let pem = cert::to_pem(&made.certificate).map_err(|e| config_err(e.to_string()))?;
    store.put_ca_certificate(name, &pem)?;
    Ok(made)
}

impl Keys {
    /// Derives the keys and loads (or makes) the CA certificates.
    pub(crate) fn load(cavv: [u8; 32], store: &Store) -> Result<Keys, SimError> {
        let since = SystemTime::now() - Duration::from_secs(3600);
        let root = authority(store, "root", signing_key(&cavv, "root")?, |k| {
            Authority::root(ROOT_DN, k, since, 20 * YEAR)
        })?;
        let issuing = authority(store, "issuing", signing_key(&cavv, "issuing")?, |k| {
            root.subordinate(ISSUING_DN, k, since, 10 * YEAR)
        })?;
        let encryption = SecretKey::from(signing_key(&cavv, "encryption")?);
        let point = encryption.public_key().to_sec1_bytes();
        let kid = Sha256::digest(&point)[..8]
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        Ok(Keys {
            root,
            issuing,
            encryption,
            kid,
            fingerprint: hmac(&cavv, &[b"paygate-sim-isp card fingerprint v1"]),
            cavv,
        })
    }

    /// The keyed fingerprint of a PAN (64 hex digits); never a plain hash.
    pub(crate) fn fingerprint(&self, pan: &str) -> String {
        hex(&hmac(&self.fingerprint, &[pan.as_bytes()]))
    }

    /// The authentication value (CAVV) of `docs/iso8583.md`: base64 of the first 20 bytes of
    /// HMAC-SHA256(cavv_key, "{PAN}|{amount}|{currency numeric}|{transaction_id}|{eci}").
    pub(crate) fn cavv(
        &self,
        pan: &str,
        amount: i64,
        currency: u16,
        txn: &str,
        eci: &str,
    ) -> String {
        use base64::Engine as _;
        let input = format!("{pan}|{amount}|{currency:03}|{txn}|{eci}");
        base64::engine::general_purpose::STANDARD
            .encode(&hmac(&self.cavv, &[input.as_bytes()])[..20])
    }
}

/// Lowercase hex.
pub(crate) fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// `prefix` and 24 random hex digits (card references, verification ids).
pub(crate) fn random_id(prefix: &str) -> String {
    let mut b = [0u8; 12];
    // The OS random source does not fail on the supported platforms; a zeroed id would still
    // be caught by the UNIQUE constraints.
    let _ = getrandom::fill(&mut b);
    format!("{prefix}{}", hex(&b))
}
