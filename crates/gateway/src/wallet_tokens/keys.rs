//! Merchants' wallet processing keys (`paygate wallets apple-pay|samsung-pay add|list|remove`):
//! one `wallet_key` object per key in the merchant's scope, the private key sealed by the vault
//! (`Vault::seal_private_key`, the object's id as the record id), never stored or printed in
//! clear. Several keys may be active at once (rotation with overlap): a token picks its key by
//! Apple's `publicKeyHash` or Samsung's `kid`.

use paygate_store::{ListFilter, ListQuery, ObjectRow, Op, Scope, Store, WriteUnit};
use paygate_vault::{SealedCard, Vault};
use paygate_wallet_tokens::Wallet;
use paygate_wallet_tokens::apple::{ApplePayKey, TrustRoots};
use paygate_wallet_tokens::samsung::SamsungPayKey;
use serde_json::{Value, json};

use crate::ids::new_id;

/// Object kind of a processing key.
pub const KIND: &str = "wallet_key";
/// At most this many keys per wallet and scope (a rotation overlaps two or three).
pub const MAX_KEYS: usize = 10;

/// A key to add.
pub struct NewKey<'a> {
    pub wallet: Wallet,
    /// Apple Pay: the payment processing certificate (PEM).
    pub certificate_pem: Option<&'a str>,
    pub private_key_pem: &'a str,
    /// Apple Pay, test mode only: roots trusted besides Apple Root CA - G3.
    pub trust_root_pem: Option<&'a str>,
}

/// A stored key as `list` shows it (no secret).
#[derive(Debug, Clone, serde::Serialize)]
pub struct KeyInfo {
    pub id: String,
    pub wallet: &'static str,
    /// Apple's public key hash or Samsung's kid (base64).
    pub key_id: String,
    pub livemode: bool,
    pub created: i64,
    /// Whether it trusts a root besides Apple's (test mode).
    pub custom_trust_root: bool,
}

/// The keys of one scope, opened, for one token.
pub struct MerchantKeys {
    pub apple: Vec<ApplePayKey>,
    pub apple_roots: TrustRoots,
    pub samsung: Vec<SamsungPayKey>,
}

fn wallet_name(w: Wallet) -> &'static str {
    w.as_str()
}

/// Checks and seals `key`, stores it for `scope`; its info.
pub async fn add(
    store: &Store,
    vault: &Vault,
    scope: &Scope,
    key: NewKey<'_>,
    now: i64,
) -> Result<KeyInfo, String> {
    if key.trust_root_pem.is_some() && (scope.livemode || key.wallet != Wallet::ApplePay) {
        return Err("--trust-root is accepted only for Apple Pay keys in test mode".into());
    }
    let key_id = match key.wallet {
        Wallet::ApplePay => {
            let cert = key
                .certificate_pem
                .ok_or("--certificate is required for Apple Pay")?;
            if let Some(root) = key.trust_root_pem {
                TrustRoots::from_pem(root).map_err(|e| format!("--trust-root: {e}"))?;
            }
            ApplePayKey::from_pem(cert, key.private_key_pem)
                .map_err(|e| format!("Apple Pay key: {e}"))?
                .public_key_hash_b64()
        }
        Wallet::SamsungPay => SamsungPayKey::from_pem(key.private_key_pem)
            .map_err(|e| format!("Samsung Pay key: {e}"))?
            .kid()
            .to_owned(),
    };
    let existing = list(store, scope, Some(key.wallet)).await?;
    if existing.iter().any(|k| k.key_id == key_id) {
        return Err(format!("this key ({key_id}) is already active"));
    }
    if existing.len() >= MAX_KEYS {
        return Err(format!(
            "at most {MAX_KEYS} keys per wallet: remove one first"
        ));
    }
    let id = new_id("wk");
    let sealed = vault
        .seal_private_key(&id, key.private_key_pem.as_bytes())
        .map_err(|e| e.to_string())?;
    let data = json!({
        "id": id,
        "object": KIND,
        "wallet": wallet_name(key.wallet),
        "key_id": key_id,
        "certificate": key.certificate_pem,
        "trust_root": key.trust_root_pem,
        "livemode": scope.livemode,
        "created": now,
        "_sealed": sealed_json(&sealed),
    });
    let row = ObjectRow {
        id: id.clone(),
        merchant_id: scope.merchant_id.clone(),
        livemode: scope.livemode,
        kind: KIND.into(),
        parent: None,
        tag: Some(wallet_name(key.wallet).into()),
        due: None,
        created: now,
        version: 0,
        data: data.clone(),
    };
    let unit = WriteUnit {
        ops: vec![Op::InsertObject(row)],
    };
    store.commit(unit).await.map_err(|e| e.to_string())?;
    Ok(info(&data))
}

fn sealed_json(s: &SealedCard) -> Value {
    use base64::Engine as _;
    let b64 = base64::engine::general_purpose::STANDARD;
    json!({"kek_id": s.kek_id, "wrapped_dek": b64.encode(&s.wrapped_dek), "ciphertext": b64.encode(&s.ciphertext)})
}

fn sealed_of(v: &Value) -> Option<SealedCard> {
    use base64::Engine as _;
    let b64 = base64::engine::general_purpose::STANDARD;
    Some(SealedCard {
        kek_id: v["kek_id"].as_str()?.to_owned(),
        wrapped_dek: b64.decode(v["wrapped_dek"].as_str()?).ok()?,
        ciphertext: b64.decode(v["ciphertext"].as_str()?).ok()?,
    })
}

fn info(d: &Value) -> KeyInfo {
    KeyInfo {
        id: d["id"].as_str().unwrap_or_default().to_owned(),
        wallet: if d["wallet"] == "samsung_pay" {
            "samsung_pay"
        } else {
            "apple_pay"
        },
        key_id: d["key_id"].as_str().unwrap_or_default().to_owned(),
        livemode: d["livemode"].as_bool().unwrap_or(false),
        created: d["created"].as_i64().unwrap_or(0),
        custom_trust_root: d["trust_root"].is_string(),
    }
}

async fn rows(
    store: &Store,
    scope: &Scope,
    wallet: Option<Wallet>,
) -> Result<Vec<ObjectRow>, String> {
    let q = ListQuery {
        kind: KIND.into(),
        parent: None,
        tag: wallet.map(|w| wallet_name(w).to_owned()),
        created_gte: None,
        created_lte: None,
        limit: 100,
        starting_after: None,
        ending_before: None,
        filters: vec![ListFilter::FieldAbsent("deleted")],
    };
    Ok(store
        .list_objects(scope, &q)
        .await
        .map_err(|e| e.to_string())?
        .data)
}

/// The active keys of `scope` (of `wallet`, or all), newest first.
pub async fn list(
    store: &Store,
    scope: &Scope,
    wallet: Option<Wallet>,
) -> Result<Vec<KeyInfo>, String> {
    Ok(rows(store, scope, wallet)
        .await?
        .iter()
        .map(|r| info(&r.data))
        .collect())
}

/// Removes the key `id` (kept as a tombstone without its sealed secret).
pub async fn remove(store: &Store, scope: &Scope, id: &str) -> Result<(), String> {
    let row = store
        .get_object(scope, id)
        .await
        .map_err(|e| e.to_string())?
        .filter(|r| r.kind == KIND && r.data.get("deleted").is_none())
        .ok_or_else(|| format!("no active wallet key {id} for this merchant"))?;
    let mut data = row.data.clone();
    data["deleted"] = json!(true);
    if let Some(m) = data.as_object_mut() {
        m.remove("_sealed");
    }
    let unit = WriteUnit {
        ops: vec![Op::UpdateObject {
            id: id.to_owned(),
            expected_version: row.version,
            data,
            tag: row.tag,
            due: None,
        }],
    };
    store.commit(unit).await.map_err(|e| e.to_string())?;
    Ok(())
}

/// Opens every active key of `scope` for one token.
pub async fn load(store: &Store, vault: &Vault, scope: &Scope) -> Result<MerchantKeys, String> {
    let mut keys = MerchantKeys {
        apple: Vec::new(),
        apple_roots: TrustRoots::apple(),
        samsung: Vec::new(),
    };
    for row in rows(store, scope, None).await? {
        let d = &row.data;
        let sealed = sealed_of(&d["_sealed"]).ok_or("wallet key without its sealed secret")?;
        let pem = vault
            .open_private_key(&row.id, &sealed)
            .map_err(|e| e.to_string())?;
        let pem = std::str::from_utf8(&pem).map_err(|_| "sealed key is not PEM text")?;
        if d["wallet"] == "samsung_pay" {
            keys.samsung
                .push(SamsungPayKey::from_pem(pem).map_err(|e| e.to_string())?);
            continue;
        }
        let cert = d["certificate"]
            .as_str()
            .ok_or("Apple Pay key without certificate")?;
        keys.apple
            .push(ApplePayKey::from_pem(cert, pem).map_err(|e| e.to_string())?);
        if let (Some(root), false) = (d["trust_root"].as_str(), scope.livemode) {
            let extra = TrustRoots::from_pem(root).map_err(|e| e.to_string())?;
            keys.apple_roots = keys.apple_roots.with(&extra);
        }
    }
    Ok(keys)
}
