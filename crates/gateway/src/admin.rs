//! Operator actions behind the CLI: merchants and their keys.

use crate::auth::mint_key;
use crate::config::Config;
use crate::ids::new_id;
use paygate_payments::{Clock, SystemClock};
use paygate_store::{CommitError, ConflictKind, MerchantRow, Op, OpResult, Store, WriteUnit};
use serde_json::json;

/// A merchant with its first test-mode key pair (the keys are shown this once).
#[derive(Debug, Clone, serde::Serialize)]
pub struct NewMerchant {
    pub id: String,
    pub secret_key: String,
    pub secret_key_id: String,
    pub publishable_key: String,
    pub publishable_key_id: String,
}

/// An API key as operators see it: never the key, only its prefix and last four characters.
#[derive(Debug, Clone, serde::Serialize)]
pub struct KeyInfo {
    pub id: String,
    /// `secret` or `publishable`.
    #[serde(rename = "type")]
    pub kind: String,
    /// `test` or `live`.
    pub mode: &'static str,
    /// e.g. `sk_test_…a1B2`.
    pub redacted: String,
    /// Unix seconds.
    pub created: i64,
    /// Unix seconds, once revoked.
    pub revoked: Option<i64>,
}

/// What `revoke_key` did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Revoked {
    Now,
    Already,
}

/// Creates a merchant with the configured default fee and settlement delay, and test keys.
pub async fn create_merchant(
    store: &Store,
    cfg: &Config,
    name: &str,
) -> Result<NewMerchant, String> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 200 {
        return Err("--name must be 1 to 200 characters".into());
    }
    let id = new_id("acct");
    let row = MerchantRow {
        id: id.clone(),
        name: name.to_string(),
        created: SystemClock.now(),
        settings: json!({
            "fee_bps": cfg.default_fee_bps,
            "fee_fixed": {},
            "settle_days": cfg.default_settle_days,
            "default_fee_fixed_minor": cfg.default_fee_fixed_minor,
        }),
    };
    let (secret_key, sk) = mint_key(&id, false, true);
    let (publishable_key, pk) = mint_key(&id, false, false);
    let (secret_key_id, publishable_key_id) = (sk.id.clone(), pk.id.clone());
    let unit = WriteUnit {
        ops: vec![
            Op::InsertMerchant(row),
            Op::InsertApiKey(sk),
            Op::InsertApiKey(pk),
        ],
    };
    store.commit(unit).await.map_err(|e| e.to_string())?;
    Ok(NewMerchant {
        id,
        secret_key,
        secret_key_id,
        publishable_key,
        publishable_key_id,
    })
}

/// Mints a key; returns (key shown once, key id).
pub async fn create_key(
    store: &Store,
    merchant_id: &str,
    livemode: bool,
    secret: bool,
) -> Result<(String, String), String> {
    store
        .get_merchant(merchant_id)
        .await
        .map_err(|e| e.to_string())?
        .ok_or_else(|| format!("no merchant {merchant_id}"))?;
    let (key, row) = mint_key(merchant_id, livemode, secret);
    let id = row.id.clone();
    store
        .commit(WriteUnit {
            ops: vec![Op::InsertApiKey(row)],
        })
        .await
        .map_err(|e| e.to_string())?;
    Ok((key, id))
}

/// Revokes a key by id; an unknown id is an error naming it.
pub async fn revoke_key(store: &Store, key_id: &str) -> Result<Revoked, String> {
    let result = store
        .commit(WriteUnit {
            ops: vec![Op::RevokeApiKey {
                id: key_id.to_string(),
                revoked_at: SystemClock.now(),
            }],
        })
        .await;
    match result {
        Ok(r) if r.first() == Some(&OpResult::Exists) => Ok(Revoked::Already),
        Ok(_) => Ok(Revoked::Now),
        Err(CommitError::Conflict {
            what: ConflictKind::NotFound,
            ..
        }) => Err(format!("no API key {key_id}")),
        Err(e) => Err(e.to_string()),
    }
}

/// Rolls merchant `merchant_id`'s key `key_id`: a new key of the same kind and mode and the
/// old one's revocation in one write. Returns (new key, shown once; its id). A key that is not
/// that merchant's, or already revoked, is an error naming it.
pub async fn roll_key(
    store: &Store,
    merchant_id: &str,
    key_id: &str,
) -> Result<(String, String), String> {
    let keys = store
        .list_api_keys(merchant_id)
        .await
        .map_err(|e| e.to_string())?;
    let old = keys
        .iter()
        .find(|k| k.id == key_id && k.revoked_at.is_none())
        .ok_or_else(|| format!("no active API key {key_id}"))?;
    let (key, row) = mint_key(merchant_id, old.livemode, old.kind == "secret");
    let id = row.id.clone();
    let unit = WriteUnit {
        ops: vec![
            Op::InsertApiKey(row),
            Op::RevokeApiKey {
                id: key_id.to_string(),
                revoked_at: SystemClock.now(),
            },
        ],
    };
    store.commit(unit).await.map_err(|e| e.to_string())?;
    Ok((key, id))
}

/// A merchant's API keys, oldest first.
pub async fn list_keys(store: &Store, merchant_id: &str) -> Result<Vec<KeyInfo>, String> {
    store
        .get_merchant(merchant_id)
        .await
        .map_err(|e| e.to_string())?
        .ok_or_else(|| format!("no merchant {merchant_id}"))?;
    let mut rows = store
        .list_api_keys(merchant_id)
        .await
        .map_err(|e| e.to_string())?;
    // Oldest first; keys made together (a new merchant's pair) secret first.
    rows.sort_by(|a, b| {
        let order = |k: &paygate_store::ApiKeyRow| (k.created, k.livemode, k.kind != "secret");
        order(a).cmp(&order(b)).then_with(|| a.id.cmp(&b.id))
    });
    Ok(rows
        .into_iter()
        .map(|r| KeyInfo {
            mode: if r.livemode { "live" } else { "test" },
            id: r.id,
            kind: r.kind,
            redacted: r.display,
            created: r.created,
            revoked: r.revoked_at,
        })
        .collect())
}

/// Cards re-wrapped per round of `rotate_kek`.
const REWRAP_BATCH: usize = 500;

/// Re-wraps every card data key that is not under the active KEK (the card ciphertext is not
/// touched). Safe while serving: each row is updated only if still under its old KEK.
pub async fn rotate_kek(store: &Store, vault: &paygate_vault::Vault) -> Result<u64, String> {
    let active = vault.key_ring().active_id().to_string();
    let mut total = 0u64;
    loop {
        let rows = store
            .vault_cards_not_under(&active, REWRAP_BATCH)
            .await
            .map_err(|e| e.to_string())?;
        if rows.is_empty() {
            return Ok(total);
        }
        let mut ops = Vec::with_capacity(rows.len());
        for r in rows {
            let sealed = paygate_vault::SealedCard {
                kek_id: r.kek_id.clone(),
                wrapped_dek: r.wrapped_dek,
                ciphertext: r.ciphertext,
            };
            if let Some(new) = vault
                .rewrap(&r.id, &sealed)
                .map_err(|e| format!("{}: {e}", r.id))?
            {
                ops.push(Op::RewrapVaultCard {
                    id: r.id,
                    expected_kek_id: r.kek_id,
                    kek_id: new.kek_id,
                    wrapped_dek: new.wrapped_dek,
                });
            }
        }
        total += ops.len() as u64;
        store
            .commit(WriteUnit { ops })
            .await
            .map_err(|e| e.to_string())?;
    }
}

/// A merchant's checkout branding (`settings.branding`): each given part is checked
/// (`#RRGGBB`, an https logo URL, a name of 1 to 100 characters) and stored; an empty
/// string removes it. Returns the branding as stored.
pub async fn set_branding(
    store: &Store,
    merchant_id: &str,
    display_name: Option<&str>,
    color: Option<&str>,
    logo_url: Option<&str>,
) -> Result<serde_json::Value, String> {
    use paygate_payer_pages::{BrandColor, LogoUrl};
    let m = store
        .get_merchant(merchant_id)
        .await
        .map_err(|e| e.to_string())?
        .ok_or_else(|| format!("no merchant {merchant_id}"))?;
    let mut settings = m.settings.clone();
    let mut branding = match settings["branding"].take() {
        serde_json::Value::Object(b) => b,
        _ => serde_json::Map::new(),
    };
    let mut put = |key: &str, value: Option<String>| match value {
        Some(v) => {
            branding.insert(key.to_string(), json!(v));
        }
        None => {
            branding.remove(key);
        }
    };
    if let Some(n) = display_name {
        let n = n.trim();
        if n.chars().count() > 100 {
            return Err("--display-name is at most 100 characters".into());
        }
        put(
            "display_name",
            Some(n.to_string()).filter(|n| !n.is_empty()),
        );
    }
    if let Some(c) = color {
        let parsed = match c {
            "" => None,
            c => Some(BrandColor::parse(c).ok_or("--color must be #RRGGBB (six hex digits)")?),
        };
        put("color", parsed.map(BrandColor::css));
    }
    if let Some(u) = logo_url {
        let parsed = match u {
            "" => None,
            u => Some(LogoUrl::parse(u).ok_or("--logo-url must be an absolute https URL")?),
        };
        put("logo_url", parsed.map(|l| l.as_str().to_string()));
    }
    settings["branding"] = serde_json::Value::Object(branding);
    let stored = settings["branding"].clone();
    store
        .commit(WriteUnit {
            ops: vec![Op::UpdateMerchantSettings {
                id: merchant_id.to_string(),
                settings,
            }],
        })
        .await
        .map_err(|e| e.to_string())?;
    Ok(stored)
}
