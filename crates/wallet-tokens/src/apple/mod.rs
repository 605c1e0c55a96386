//! Apple Pay's `paymentData` (the `PKPaymentToken.paymentData` JSON an app or web page hands to
//! the merchant): signature and chain ([`signature`]), the merchant's processing keys
//! ([`ApplePayKey`]), decryption (`decrypt`), then the payload.

mod decrypt;
mod keys;
pub mod signature;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use serde::Deserialize;
use x509_cert::Certificate;

pub use keys::ApplePayKey;

use crate::{KeyError, UnixTime, WalletError, WalletToken, payload};

/// Apple Root CA - G3, the built-in trust root (roots/ORIGIN.txt).
const APPLE_ROOT_CA_G3: &str = include_str!("../../roots/AppleRootCA-G3.pem");

/// The certificates Apple Pay signatures must chain to.
#[derive(Clone, Debug)]
pub struct TrustRoots(Vec<Certificate>);

impl TrustRoots {
    /// Apple Root CA - G3 only: what production merchants trust.
    pub fn apple() -> TrustRoots {
        TrustRoots(signature::roots_from_pem(APPLE_ROOT_CA_G3).expect("the built-in root parses"))
    }

    /// Roots from PEM (a test-mode merchant's `--trust-root`), one or more certificates.
    pub fn from_pem(pem: &str) -> Result<TrustRoots, KeyError> {
        match signature::roots_from_pem(pem) {
            Ok(roots) if !roots.is_empty() => Ok(TrustRoots(roots)),
            Ok(_) => Err(KeyError::Unreadable {
                what: "trust root",
                rule: "holds no certificate".to_owned(),
            }),
            Err(e) => Err(KeyError::Unreadable {
                what: "trust root",
                rule: e.to_string(),
            }),
        }
    }

    /// These roots and `other`'s.
    pub fn with(mut self, other: &TrustRoots) -> TrustRoots {
        self.0.extend(other.0.iter().cloned());
        self
    }
}

#[derive(Deserialize)]
struct PaymentData {
    version: String,
    data: String,
    signature: String,
    header: Header,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Header {
    ephemeral_public_key: Option<String>,
    wrapped_key: Option<String>,
    public_key_hash: String,
    transaction_id: String,
    application_data: Option<String>,
}

/// A whole `PKPaymentToken` is accepted too: its `paymentData` is read.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct PkPaymentToken {
    payment_data: PaymentData,
}

fn b64(field: &'static str, s: &str) -> Result<Vec<u8>, WalletError> {
    STANDARD
        .decode(s)
        .map_err(|_| WalletError::malformed(field, "must be base64"))
}

fn parse(json: &str) -> Result<PaymentData, WalletError> {
    if let Ok(t) = serde_json::from_str::<PkPaymentToken>(json) {
        return Ok(t.payment_data);
    }
    serde_json::from_str(json).map_err(|_| {
        WalletError::malformed(
            "pk_token",
            "must be the paymentData JSON (version, data, signature, header)",
        )
    })
}

/// Verifies `payment_data_json` against `roots` at `now`, picks the key by
/// `header.publicKeyHash` among `keys` and decrypts the token.
pub fn open(
    payment_data_json: &str,
    keys: &[ApplePayKey],
    roots: &TrustRoots,
    now: UnixTime,
) -> Result<WalletToken, WalletError> {
    let pd = parse(payment_data_json)?;
    let data = b64("data", &pd.data)?;
    let sig = b64("signature", &pd.signature)?;
    let transaction_id = hex::decode(&pd.header.transaction_id)
        .map_err(|_| WalletError::malformed("header.transactionId", "must be hex"))?;
    let key_part = match pd.version.as_str() {
        "EC_v1" => pd
            .header
            .ephemeral_public_key
            .as_deref()
            .map(|k| ("header.ephemeralPublicKey", k)),
        "RSA_v1" => pd
            .header
            .wrapped_key
            .as_deref()
            .map(|k| ("header.wrappedKey", k)),
        _ => return Err(WalletError::malformed("version", "must be EC_v1 or RSA_v1")),
    };
    let (field, key_part) = key_part.ok_or(WalletError::malformed(
        "header",
        "EC_v1 needs ephemeralPublicKey, RSA_v1 wrappedKey",
    ))?;
    let key_part = b64(field, key_part)?;
    let mut signed = [key_part.as_slice(), &data, &transaction_id].concat();
    if let Some(app) = &pd.header.application_data {
        let app = hex::decode(app)
            .map_err(|_| WalletError::malformed("header.applicationData", "must be hex"))?;
        signed.extend_from_slice(&app);
    }
    let signed_at = signature::verify(&sig, &signed, &roots.0, now)?;
    let hash = b64("header.publicKeyHash", &pd.header.public_key_hash)?;
    let key = keys
        .iter()
        .find(|k| k.public_key_hash().as_slice() == hash.as_slice())
        .ok_or(WalletError::UnknownKey)?;
    let aes_key = match pd.version.as_str() {
        "EC_v1" => decrypt::ec_key(key, &key_part)?,
        _ => decrypt::rsa_key(key, &key_part)?,
    };
    let plaintext = decrypt::open_data(&aes_key, &data)?;
    payload::apple(&plaintext, hex::encode(&transaction_id), signed_at)
}
