//! The terminal registry: a store's terminals, each registered to one merchant
//! (`paygate terminal create`). A terminal names itself in every message by DE 41 (its
//! terminal id) and DE 42 (its merchant's card-acceptor id); a terminal the gateway does not
//! know, or whose DE 42 is not its merchant's, is answered `03` (invalid merchant).
//!
//! A terminal is a test-mode object of its merchant (`terminal`, id `tml_<DE 41>`), so the
//! listener finds it by DE 41 alone and the merchant's objects stay in the merchant's scope.

use crate::ids::random_base62;
use crate::records::insert;
use paygate_store::{CommitError, Scope, Store, WriteUnit};
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// Object id prefix of a terminal.
const PREFIX: &str = "tml_";

/// A registered terminal.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Terminal {
    pub id: String,
    pub object: String,
    /// DE 41, 8 characters.
    pub terminal_id: String,
    /// DE 42, the merchant's card-acceptor id (15 characters).
    pub merchant_id: String,
    /// The merchant account (`acct_…`) the terminal's payments belong to.
    pub merchant: String,
    pub livemode: bool,
    pub created: i64,
}

/// Why a terminal cannot be registered.
#[derive(Debug, thiserror::Error)]
pub enum RegistryError {
    #[error("no merchant {0}")]
    UnknownMerchant(String),
    #[error("store: {0}")]
    Store(String),
}

/// Registers a new terminal for `merchant` (a fresh DE 41; retried on the rare collision).
pub async fn create(store: &Store, merchant: &str, now: i64) -> Result<Terminal, RegistryError> {
    let known = store.get_merchant(merchant).await;
    match known {
        Ok(Some(_)) => {}
        Ok(None) => return Err(RegistryError::UnknownMerchant(merchant.to_owned())),
        Err(e) => return Err(RegistryError::Store(e.to_string())),
    }
    let scope = Scope {
        merchant_id: merchant.to_owned(),
        livemode: false,
    };
    let mut last = String::new();
    for _ in 0..5 {
        let terminal_id = format!("P{}", random_base62(7).to_ascii_uppercase());
        let terminal = Terminal {
            id: format!("{PREFIX}{terminal_id}"),
            object: "terminal".into(),
            merchant_id: paygate_connector_card::acceptor_id(merchant),
            terminal_id,
            merchant: merchant.to_owned(),
            livemode: false,
            created: now,
        };
        let doc = serde_json::to_value(&terminal).expect("a terminal serializes");
        let unit = WriteUnit {
            ops: vec![insert(&scope, "terminal", None, &doc, now)],
        };
        match store.commit(unit).await {
            Ok(_) => return Ok(terminal),
            Err(CommitError::Conflict { .. }) => last = "terminal id collision".into(),
            Err(e) => return Err(RegistryError::Store(e.to_string())),
        }
    }
    Err(RegistryError::Store(last))
}

/// The terminal named by DE 41, if registered.
pub async fn find(store: &Store, terminal_id: &str) -> Result<Option<Terminal>, String> {
    let row = store
        .find_object(&format!("{PREFIX}{terminal_id}"))
        .await
        .map_err(|e| e.to_string())?;
    Ok(row
        .filter(|r| r.kind == "terminal")
        .and_then(|r| serde_json::from_value::<Terminal>(r.data).ok()))
}

/// The terminal as the CLI prints it with `--json`.
pub fn cli_view(t: &Terminal) -> Value {
    serde_json::json!({
        "id": t.id,
        "terminal_id": t.terminal_id,
        "merchant_id": t.merchant_id,
        "merchant": t.merchant,
    })
}
