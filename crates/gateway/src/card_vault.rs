//! Where card data is sealed and opened: the one seam between the card path and the vault.
//! [`CardVault::Embedded`] (the default) seals in-process and stores the sealed record in the
//! gateway's own database, in the same write unit as the PaymentMethod; [`CardVault::Remote`]
//! hands the card to `paygate vault serve` over mutual TLS and keeps only the reference, the
//! fingerprint and the last 4 (the hybrid-cloud set-up, docs/OPERATIONS.md).

use paygate_store::{Op, Scope, VaultCardRow};
use paygate_vault::{CardData, SealedCard};

use crate::config::RemoteVault;
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;
use crate::vault_service::client::{VaultCallError, VaultClient};
use crate::vault_service::mtls::ClientFiles;

/// The card vault of this gateway.
#[derive(Clone, Debug, Default)]
pub enum CardVault {
    #[default]
    Embedded,
    Remote(VaultClient),
}

/// A card sealed under a vault reference.
pub struct SealedRef {
    /// Keyed fingerprint of the number (duplicate detection).
    pub fingerprint: String,
    /// The op storing the sealed record in the gateway's database (embedded vault only).
    pub op: Option<Op>,
}

fn unavailable(e: VaultCallError) -> ApiError {
    match e {
        VaultCallError::Unreachable(why) => {
            tracing::warn!(error = %why, "card vault unreachable");
            ApiError::service_unavailable(
                "vault_unavailable",
                "The card vault cannot be reached right now. The request was not completed; \
                 retry with the same Idempotency-Key.",
            )
        }
        refused @ VaultCallError::Refused { .. } => ApiError::internal(refused),
    }
}

impl CardVault {
    /// The remote vault when one is configured, else the embedded one.
    pub fn from_config(remote: Option<&RemoteVault>) -> Result<CardVault, String> {
        let Some(r) = remote else {
            return Ok(CardVault::Embedded);
        };
        let files = ClientFiles {
            ca: &r.ca,
            cert: &r.client_cert,
            key: &r.client_key,
        };
        Ok(CardVault::Remote(VaultClient::new(&r.url, &files)?))
    }

    /// Seals `card` under `vault_id` for `scope`'s merchant.
    pub async fn seal(
        &self,
        st: &AppState,
        scope: &Scope,
        vault_id: &str,
        card: &CardData,
        now: i64,
    ) -> ApiResult<SealedRef> {
        match self {
            CardVault::Embedded => {
                let fingerprint = st.vault.fingerprint(&card.pan);
                let sealed = st.vault.seal(vault_id, card).map_err(ApiError::internal)?;
                let row = VaultCardRow {
                    id: vault_id.to_string(),
                    merchant_id: scope.merchant_id.clone(),
                    kek_id: sealed.kek_id,
                    wrapped_dek: sealed.wrapped_dek,
                    ciphertext: sealed.ciphertext,
                    fingerprint: fingerprint.clone(),
                    created: now,
                };
                Ok(SealedRef {
                    fingerprint,
                    op: Some(Op::InsertVaultCard(row)),
                })
            }
            CardVault::Remote(client) => {
                let reply = client
                    .seal(vault_id, &scope.merchant_id, card)
                    .await
                    .map_err(unavailable)?;
                Ok(SealedRef {
                    fingerprint: reply.fingerprint,
                    op: None,
                })
            }
        }
    }

    /// The card sealed under `vault_id`, for an authorization.
    pub async fn open(&self, st: &AppState, scope: &Scope, vault_id: &str) -> ApiResult<CardData> {
        match self {
            CardVault::Embedded => {
                let row = st
                    .store
                    .get_vault_card(vault_id)
                    .await?
                    .ok_or_else(|| ApiError::internal("vault record missing"))?;
                let sealed = SealedCard {
                    kek_id: row.kek_id,
                    wrapped_dek: row.wrapped_dek,
                    ciphertext: row.ciphertext,
                };
                st.vault.open(vault_id, &sealed).map_err(ApiError::internal)
            }
            CardVault::Remote(client) => client
                .unseal(vault_id, &scope.merchant_id)
                .await
                .map_err(unavailable),
        }
    }

    /// `None` when the vault answers (always for the embedded one), else why not (`/readyz`).
    pub async fn unready(&self) -> Option<String> {
        match self {
            CardVault::Embedded => None,
            CardVault::Remote(client) => client.health().await.err().map(|e| e.to_string()),
        }
    }
}
