//! The vault service's requests and answers (JSON). Types that carry card data have no `Debug`
//! and are never logged; they exist only between the two ends of the mutual-TLS link.

use serde::{Deserialize, Serialize};

/// `POST /v1/cards`: seal a card under `id` (chosen by the caller, so that a retry seals
/// nothing twice: the same id answers the record already stored).
#[derive(Serialize, Deserialize)]
pub struct SealRequest {
    pub id: String,
    pub merchant_id: String,
    pub number: String,
    pub exp_month: i64,
    pub exp_year: i64,
}

/// The answer to a seal: the vault reference and what the gateway may keep.
#[derive(Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct SealReply {
    pub id: String,
    pub fingerprint: String,
    pub last4: String,
    pub kek_id: String,
}

/// `POST /v1/cards/{id}/unseal` and `POST /v1/cards/{id}/delete`: whose card it is.
#[derive(Debug, Serialize, Deserialize)]
pub struct CardOwner {
    pub merchant_id: String,
}

/// The answer to an unseal: only what the connector needs for the authorization (the CVC is
/// never stored).
#[derive(Serialize, Deserialize)]
pub struct UnsealReply {
    pub number: String,
    pub exp_month: i64,
    pub exp_year: i64,
}

/// The answer to a delete.
#[derive(Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct DeleteReply {
    pub id: String,
    /// False when there was no such card (a delete is idempotent).
    pub deleted: bool,
}

/// `GET /v1/keys`: where key rotation stands.
#[derive(Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct KeysReply {
    pub active_kek: String,
    pub keks: Vec<String>,
    /// Cards whose data key is still wrapped under another KEK (counted up to
    /// [`KEYS_STALE_COUNT_MAX`]).
    pub cards_not_under_active: usize,
}

/// Most stale cards `GET /v1/keys` counts.
pub const KEYS_STALE_COUNT_MAX: usize = 10_000;

/// `GET /healthz`.
#[derive(Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct Health {
    pub ok: bool,
}

/// An error answer: `{"error": {"code", "message", "param"}}`.
#[derive(Debug, Serialize, Deserialize)]
pub struct ErrorReply {
    pub error: ErrorBody,
}

#[derive(Debug, Serialize, Deserialize)]
pub struct ErrorBody {
    pub code: String,
    pub message: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub param: Option<String>,
}
