//! What the operator does to wallets (`paygate wallets easy-pay lock|unlock|audit --phone …`):
//! lock or unlock one (audited as the operator's act) and read its audit trail.

use super::audit::{AUDIT_KIND, AuditEvent, entry};
use super::{Phone, Wallet, platform_scope};
use paygate_store::{ListQuery, Store, WriteUnit};
use paygate_vault::Vault;
use serde_json::Value;

/// How long an operator's lock lasts when no end is given: 100 years.
pub const OPERATOR_LOCK_S: i64 = 100 * 365 * 24 * 3600;

/// The wallet of `phone` in `livemode`; Err names what is wrong.
pub async fn find(
    store: &Store,
    vault: &Vault,
    phone: &str,
    livemode: bool,
) -> Result<Wallet, String> {
    let phone =
        Phone::parse(phone).ok_or("--phone must be a Korean mobile number like 010-1234-5678")?;
    Wallet::load_from(store, &phone.wallet_id(vault, livemode))
        .await
        .map_err(|e| e.message.to_string())?
        .ok_or_else(|| format!("no easy_pay wallet for {}", phone.masked()))
}

/// Locks (`Some(seconds)`) or unlocks (`None`) the wallet of `phone`; answers its state.
pub async fn set_lock(
    store: &Store,
    vault: &Vault,
    phone: &str,
    livemode: bool,
    lock_for: Option<i64>,
    now: i64,
) -> Result<Wallet, String> {
    let mut w = find(store, vault, phone, livemode).await?;
    let event = match lock_for {
        Some(s) => {
            w.locked_until = Some(now + s);
            AuditEvent::LockedByOperator
        }
        None => {
            w.locked_until = None;
            w.pin_failures = 0;
            AuditEvent::Unlocked
        }
    };
    let ops = vec![w.save(), entry(&w, event, (None, None), "operator", now)];
    store
        .commit(WriteUnit { ops })
        .await
        .map_err(|e| e.to_string())?;
    w.version += 1;
    Ok(w)
}

/// The audit trail of the wallet of `phone`, newest first (at most 100 entries).
pub async fn audit(
    store: &Store,
    vault: &Vault,
    phone: &str,
    livemode: bool,
) -> Result<Vec<Value>, String> {
    let w = find(store, vault, phone, livemode).await?;
    let mut q = ListQuery::new(AUDIT_KIND, 100);
    q.parent = Some(w.id.clone());
    let page = store
        .list_objects(&platform_scope(livemode), &q)
        .await
        .map_err(|e| e.to_string())?;
    Ok(page.data.into_iter().map(|r| r.data).collect())
}
