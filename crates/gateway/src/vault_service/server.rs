//! The vault service's routes: seal, unseal, delete and key-rotation status over the card
//! store (`vault_cards`) and the keyring. Card data arrives and leaves only in request and
//! answer bodies over mutual TLS; nothing here logs it (errors name fields, never values).

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use paygate_store::{CommitError, ConflictKind, Op, OpResult, Store, VaultCardRow, WriteUnit};
use paygate_vault::{CardData, Expiry, Pan, SealedCard, Vault};

use super::wire::{
    CardOwner, DeleteReply, ErrorBody, ErrorReply, Health, KEYS_STALE_COUNT_MAX, KeysReply,
    SealReply, SealRequest, UnsealReply,
};

/// What the routes share.
pub struct VaultService {
    pub store: Store,
    pub vault: Vault,
    /// "Now" in unix seconds (the record's `created`).
    pub now: fn() -> i64,
}

type Shared = Arc<VaultService>;

/// The routes (served by [`crate::listener::serve`] with [`super::mtls::server_config`]).
pub fn router(service: Shared) -> Router {
    Router::new()
        .route("/healthz", get(healthz))
        .route("/v1/cards", post(seal))
        .route("/v1/cards/{id}/unseal", post(unseal))
        .route("/v1/cards/{id}/delete", post(delete))
        .route("/v1/keys", get(keys))
        .with_state(service)
}

/// An error answer naming the field and the rule.
pub struct VaultApiError {
    status: StatusCode,
    body: ErrorBody,
}

impl VaultApiError {
    fn invalid(param: &str, message: String) -> Self {
        Self::new(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            message,
            Some(param),
        )
    }

    fn not_found(id: &str) -> Self {
        let message = format!("no vault card {id:?} of this merchant");
        Self::new(
            StatusCode::NOT_FOUND,
            "resource_missing",
            message,
            Some("id"),
        )
    }

    fn internal(what: &str, e: impl std::fmt::Display) -> Self {
        tracing::error!(error = %e, "vault service: {what}");
        let message = format!("{what} failed");
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "vault_error",
            message,
            None,
        )
    }

    fn new(status: StatusCode, code: &str, message: String, param: Option<&str>) -> Self {
        let param = param.map(str::to_string);
        let code = code.to_string();
        VaultApiError {
            status,
            body: ErrorBody {
                code,
                message,
                param,
            },
        }
    }
}

impl IntoResponse for VaultApiError {
    fn into_response(self) -> Response {
        (self.status, Json(ErrorReply { error: self.body })).into_response()
    }
}

type Answer<T> = Result<Json<T>, VaultApiError>;

/// Ready when the store answers (the gateway's `/readyz` asks this).
async fn healthz(State(s): State<Shared>) -> Answer<Health> {
    s.store
        .get_vault_card("vc_health_probe")
        .await
        .map_err(|e| VaultApiError::internal("store read", e))?;
    Ok(Json(Health { ok: true }))
}

fn check_id(id: &str) -> Result<(), VaultApiError> {
    let ok =
        (1..=64).contains(&id.len()) && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_');
    if ok {
        Ok(())
    } else {
        Err(VaultApiError::invalid(
            "id",
            "must be 1-64 of [A-Za-z0-9_]".into(),
        ))
    }
}

async fn seal(State(s): State<Shared>, Json(req): Json<SealRequest>) -> Answer<SealReply> {
    check_id(&req.id)?;
    if req.merchant_id.is_empty() {
        return Err(VaultApiError::invalid(
            "merchant_id",
            "must not be empty".into(),
        ));
    }
    let pan =
        Pan::parse(&req.number).map_err(|e| VaultApiError::invalid("number", e.to_string()))?;
    let expiry = Expiry::new(req.exp_month, req.exp_year)
        .map_err(|e| VaultApiError::invalid(e.param(), e.to_string()))?;
    let fingerprint = s.vault.fingerprint(&pan);
    let last4 = pan.last4().to_string();
    let sealed = s
        .vault
        .seal(&req.id, &CardData { pan, expiry })
        .map_err(|e| VaultApiError::internal("seal", e))?;
    let row = VaultCardRow {
        id: req.id.clone(),
        merchant_id: req.merchant_id.clone(),
        kek_id: sealed.kek_id,
        wrapped_dek: sealed.wrapped_dek,
        ciphertext: sealed.ciphertext,
        fingerprint,
        created: (s.now)(),
    };
    let reply = |row: &VaultCardRow| SealReply {
        id: row.id.clone(),
        fingerprint: row.fingerprint.clone(),
        last4: last4.clone(),
        kek_id: row.kek_id.clone(),
    };
    match s.store.commit(unit(Op::InsertVaultCard(row.clone()))).await {
        Ok(_) => Ok(Json(reply(&row))),
        // A retry of the same seal: the record stored first stands, if it is the same card.
        Err(CommitError::Conflict {
            what: ConflictKind::ObjectExists,
            ..
        }) => {
            let stored = owned(&s, &req.id, &req.merchant_id).await?;
            if stored.fingerprint != row.fingerprint {
                let message = "already holds another card".to_string();
                return Err(VaultApiError::new(
                    StatusCode::CONFLICT,
                    "id_in_use",
                    message,
                    Some("id"),
                ));
            }
            Ok(Json(reply(&stored)))
        }
        Err(e) => Err(VaultApiError::internal("store commit", e)),
    }
}

/// The card `id` if it belongs to `merchant_id` (another merchant's card is "not found").
async fn owned(
    s: &VaultService,
    id: &str,
    merchant_id: &str,
) -> Result<VaultCardRow, VaultApiError> {
    check_id(id)?;
    s.store
        .get_vault_card(id)
        .await
        .map_err(|e| VaultApiError::internal("store read", e))?
        .filter(|row| row.merchant_id == merchant_id)
        .ok_or_else(|| VaultApiError::not_found(id))
}

async fn unseal(
    State(s): State<Shared>,
    Path(id): Path<String>,
    Json(owner): Json<CardOwner>,
) -> Answer<UnsealReply> {
    let row = owned(&s, &id, &owner.merchant_id).await?;
    let sealed = SealedCard {
        kek_id: row.kek_id,
        wrapped_dek: row.wrapped_dek,
        ciphertext: row.ciphertext,
    };
    let card = s
        .vault
        .open(&id, &sealed)
        .map_err(|e| VaultApiError::internal("unseal", e))?;
    Ok(Json(UnsealReply {
        number: card.pan.expose().to_string(),
        exp_month: i64::from(card.expiry.month),
        exp_year: i64::from(card.expiry.year),
    }))
}

async fn delete(
    State(s): State<Shared>,
    Path(id): Path<String>,
    Json(owner): Json<CardOwner>,
) -> Answer<DeleteReply> {
    check_id(&id)?;
    let found = s
        .store
        .get_vault_card(&id)
        .await
        .map_err(|e| VaultApiError::internal("store read", e))?;
    match found {
        Some(row) if row.merchant_id != owner.merchant_id => Err(VaultApiError::not_found(&id)),
        None => Ok(Json(DeleteReply { id, deleted: false })),
        Some(_) => {
            let done = s
                .store
                .commit(unit(Op::DeleteVaultCard { id: id.clone() }))
                .await
                .map_err(|e| VaultApiError::internal("store commit", e))?;
            let deleted = done == [OpResult::Done];
            Ok(Json(DeleteReply { id, deleted }))
        }
    }
}

async fn keys(State(s): State<Shared>) -> Answer<KeysReply> {
    let ring = s.vault.key_ring();
    let active = ring.active_id().to_string();
    let stale = s
        .store
        .vault_cards_not_under(&active, KEYS_STALE_COUNT_MAX)
        .await
        .map_err(|e| VaultApiError::internal("store read", e))?;
    Ok(Json(KeysReply {
        keks: ring.ids().map(str::to_string).collect(),
        active_kek: active,
        cards_not_under_active: stale.len(),
    }))
}

fn unit(op: Op) -> WriteUnit {
    WriteUnit::new(vec![op])
}
