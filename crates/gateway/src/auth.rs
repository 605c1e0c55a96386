//! API keys: `sk_test_…` / `sk_live_…` (secret), `pk_test_…` / `pk_live_…` (publishable).
//! Only a SHA-256 of each key is stored; the key itself is shown once, at creation.

use crate::error::{ApiError, ApiResult};
use crate::ids::{new_id, random_base62};
use crate::state::{AUTH_CACHE_TTL, AppState};
use axum::http::{HeaderMap, Method};
use base64::Engine;
use paygate_payments::{Clock, SystemClock};
use paygate_store::{ApiKeyRow, MerchantRow, Scope};
use sha2::{Digest, Sha256};
use std::time::Instant;

/// The caller of one request.
#[derive(Clone, Debug)]
pub struct Caller {
    /// Id of the API key used (rate limits, logs).
    pub key_id: String,
    pub merchant: MerchantRow,
    pub livemode: bool,
    pub secret: bool,
}

impl Caller {
    pub fn scope(&self) -> Scope {
        Scope {
            merchant_id: self.merchant.id.clone(),
            livemode: self.livemode,
        }
    }
}

/// SHA-256 of a key, hex.
pub fn hash_key(key: &str) -> String {
    hex::encode(Sha256::digest(key.as_bytes()))
}

/// A freshly minted key (shown once) and the row that stores only its hash.
pub fn mint_key(merchant_id: &str, livemode: bool, secret: bool) -> (String, ApiKeyRow) {
    let prefix = match (secret, livemode) {
        (true, false) => "sk_test_",
        (true, true) => "sk_live_",
        (false, false) => "pk_test_",
        (false, true) => "pk_live_",
    };
    let key = format!("{prefix}{}", random_base62(32));
    let row = ApiKeyRow {
        id: new_id("key"),
        merchant_id: merchant_id.to_string(),
        livemode,
        kind: if secret { "secret" } else { "publishable" }.into(),
        key_hash: hash_key(&key),
        display: format!("{prefix}…{}", &key[key.len() - 4..]),
        created: SystemClock.now(),
        revoked_at: None,
    };
    (key, row)
}

/// Extracts the key from `Authorization: Bearer …` or `Basic base64(key:)`.
fn key_from_headers(headers: &HeaderMap) -> ApiResult<String> {
    let missing = || {
        ApiError::unauthenticated(
            "You did not provide an API key. You need to provide your API key in the Authorization header, \
             using Bearer auth (e.g. 'Authorization: Bearer YOUR_SECRET_KEY').",
        )
    };
    let value = headers
        .get(axum::http::header::AUTHORIZATION)
        .ok_or_else(missing)?
        .to_str()
        .map_err(|_| missing())?
        .trim();
    if let Some(k) = strip_scheme(value, "Bearer") {
        return Ok(k.trim().to_string());
    }
    if let Some(b) = strip_scheme(value, "Basic") {
        let raw = base64::engine::general_purpose::STANDARD
            .decode(b.trim())
            .map_err(|_| ApiError::unauthenticated("Invalid Basic authorization header."))?;
        let text = String::from_utf8(raw)
            .map_err(|_| ApiError::unauthenticated("Invalid Basic authorization header."))?;
        let user = text.split(':').next().unwrap_or_default();
        return Ok(user.to_string());
    }
    Err(missing())
}

/// The credentials after an authorization scheme, whose name is case-insensitive (RFC 9110).
fn strip_scheme<'a>(value: &'a str, scheme: &str) -> Option<&'a str> {
    let (name, rest) = value.split_once(' ')?;
    name.eq_ignore_ascii_case(scheme).then_some(rest)
}

/// Whether a publishable key may make this request: only what Stripe.js and the mobile SDKs do —
/// create a PaymentMethod or a wallet token (Apple Pay / Samsung Pay), retrieve or confirm a PaymentIntent or SetupIntent (those handlers then require the
/// intent's `client_secret`). Everything else needs a secret key.
pub fn publishable_may(method: &Method, path: &str) -> bool {
    let segments: Vec<&str> = path.trim_matches('/').split('/').collect();
    matches!(
        (method, segments.as_slice()),
        (&Method::POST, ["v1", "payment_methods"])
            | (&Method::POST, ["v1", "tokens"])
            | (&Method::GET, ["v1", "payment_intents", _])
            | (&Method::POST, ["v1", "payment_intents", _, "confirm"])
            | (&Method::GET, ["v1", "setup_intents", _])
            | (&Method::POST, ["v1", "setup_intents", _, "confirm"])
    )
}

/// 403 `secret_key_required` unless the caller's key may make this request.
pub fn check_key_kind(caller: &Caller, method: &Method, path: &str) -> ApiResult<()> {
    if caller.secret || publishable_may(method, path) {
        return Ok(());
    }
    Err(secret_key_required())
}

/// Stripe's answer to a publishable key used where a secret key is needed.
pub fn secret_key_required() -> ApiError {
    ApiError::forbidden(
        "This API call cannot be made with a publishable API key. Please use a secret API key. \
         Publishable keys may only create PaymentMethods and retrieve or confirm a PaymentIntent \
         with its client_secret.",
    )
}

/// Who is calling; `Err` is a 401 that never says whether a key exists for another merchant.
pub async fn authenticate(state: &AppState, headers: &HeaderMap) -> ApiResult<Caller> {
    let key = key_from_headers(headers)?;
    let invalid =
        || ApiError::unauthenticated(format!("Invalid API Key provided: {}", redact_key(&key)));
    let known_prefix = ["sk_test_", "sk_live_", "pk_test_", "pk_live_"]
        .iter()
        .any(|p| key.starts_with(p));
    if !known_prefix {
        return Err(invalid());
    }
    let hash = hash_key(&key);
    let row = lookup_key(state, &hash).await?.ok_or_else(invalid)?;
    if row.revoked_at.is_some() {
        return Err(ApiError::unauthenticated(format!(
            "The API key provided has been revoked: {}",
            redact_key(&key)
        )));
    }
    let merchant = state
        .merchant(&row.merchant_id)
        .await?
        .ok_or_else(invalid)?;
    if !state.limiter.allow(&row.id) {
        return Err(ApiError::rate_limited());
    }
    Ok(Caller {
        key_id: row.id.clone(),
        merchant,
        livemode: row.livemode,
        secret: row.kind == "secret",
    })
}

async fn lookup_key(state: &AppState, hash: &str) -> ApiResult<Option<ApiKeyRow>> {
    if let Some((row, at)) = state
        .keys
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .get(hash)
        && at.elapsed() < AUTH_CACHE_TTL
    {
        return Ok(Some(row.clone()));
    }
    let row = state.store.find_api_key(hash).await?;
    if let Some(r) = &row {
        state
            .keys
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(hash.to_string(), (r.clone(), Instant::now()));
    }
    Ok(row)
}

/// Drops key `key_id` from this process's authentication cache, so that a revocation made
/// here (the dashboard's revoke and roll) takes effect at once rather than after the cache's
/// TTL (a revocation from another process, the CLI, still waits for the TTL).
pub fn forget_key(state: &AppState, key_id: &str) {
    state
        .keys
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .retain(|_, (row, _)| row.id != key_id);
}

/// Most `*` shown for the hidden middle of an echoed key.
const REDACTED_STARS_MAX: usize = 24;

/// `sk_test_abc…wxyz` → `sk_test_********wxyz`, as Stripe echoes bad keys; the middle is
/// at most [`REDACTED_STARS_MAX`] stars, so a 100 KB bogus key is not echoed back in size.
fn redact_key(key: &str) -> String {
    let chars: Vec<char> = key.chars().collect();
    if chars.len() <= 12 {
        return "*".repeat(chars.len());
    }
    let head: String = chars[..8].iter().collect();
    let tail: String = chars[chars.len() - 4..].iter().collect();
    let stars = (chars.len() - 12).min(REDACTED_STARS_MAX);
    format!("{head}{}{tail}", "*".repeat(stars))
}
