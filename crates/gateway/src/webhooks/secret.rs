//! Webhook signing secrets at rest: sealed by the vault with the endpoint id as associated
//! data, opened only to sign a delivery. Endpoints written before sealing keep a clear
//! `secret`; it still signs, and the next update of the endpoint seals it.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use paygate_vault::{SealedCard, Vault};
use serde_json::{Value, json};

/// The field of an endpoint document that holds its sealed secret.
pub const SEALED_FIELD: &str = "secret_sealed";
/// The clear field of older endpoints (and of the create response, never stored).
const CLEAR_FIELD: &str = "secret";

/// Why an endpoint's secret could not be read.
#[derive(Debug, thiserror::Error)]
pub enum SecretError {
    #[error("the endpoint has no signing secret")]
    Missing,
    #[error("the endpoint's sealed secret is malformed")]
    Malformed,
    #[error("the endpoint's secret does not open: {0}")]
    Vault(#[from] paygate_vault::VaultError),
}

/// Seals `secret` into `doc` (the stored endpoint document) and removes any clear copy.
pub fn seal_into(
    vault: &Vault,
    endpoint_id: &str,
    secret: &str,
    doc: &mut Value,
) -> Result<(), SecretError> {
    let sealed = vault.seal_secret(endpoint_id, secret.as_bytes())?;
    if let Value::Object(m) = doc {
        m.remove(CLEAR_FIELD);
        m.insert(
            SEALED_FIELD.into(),
            json!({
                "kek_id": sealed.kek_id,
                "wrapped_dek": B64.encode(&sealed.wrapped_dek),
                "ciphertext": B64.encode(&sealed.ciphertext),
            }),
        );
    }
    Ok(())
}

/// Seals a clear secret left by an older version, if `doc` has one (migrate on write).
pub fn seal_legacy(vault: &Vault, endpoint_id: &str, doc: &mut Value) -> Result<(), SecretError> {
    let clear = doc
        .get(CLEAR_FIELD)
        .and_then(Value::as_str)
        .map(str::to_string);
    match clear {
        Some(secret) => seal_into(vault, endpoint_id, &secret, doc),
        None => Ok(()),
    }
}

/// The signing secret of an endpoint document (sealed, or clear from before sealing).
pub fn open(vault: &Vault, endpoint_id: &str, doc: &Value) -> Result<String, SecretError> {
    if let Some(sealed) = doc.get(SEALED_FIELD) {
        let field = |k: &str| {
            sealed
                .get(k)
                .and_then(Value::as_str)
                .ok_or(SecretError::Malformed)
        };
        let bytes = |k: &str| B64.decode(field(k)?).map_err(|_| SecretError::Malformed);
        let sealed = SealedCard {
            kek_id: field("kek_id")?.to_string(),
            wrapped_dek: bytes("wrapped_dek")?,
            ciphertext: bytes("ciphertext")?,
        };
        let plain = vault.open_secret(endpoint_id, &sealed)?;
        return String::from_utf8(plain.to_vec()).map_err(|_| SecretError::Malformed);
    }
    doc.get(CLEAR_FIELD)
        .and_then(Value::as_str)
        .map(str::to_string)
        .ok_or(SecretError::Missing)
}

/// An endpoint document as the API shows it: no secret in any form.
pub fn strip(doc: &mut Value) {
    if let Value::Object(m) = doc {
        m.remove(CLEAR_FIELD);
        m.remove(SEALED_FIELD);
    }
}
