//! Where card data is sealed and opened: the one seam between the card path and the vault.
//! [`CardVault::Embedded`] (the default) seals in-process and stores the sealed record in the
//! gateway's own database, in the same write unit as the PaymentMethod; [`CardVault::Remote`]
//! hands the card to `paygate vault serve` over mutual TLS and keeps only the reference, the
//! fingerprint and the last 4 (the hybrid-cloud set-up, docs/OPERATIONS.md).
//!
//! Every card the gateway keeps goes through here: a PaymentMethod's card ([`crate::cards`]),
//! a 간편결제 wallet's card ([`crate::easy_pay::wallet`], owned by the platform) and an Apple
//! Pay / Samsung Pay token's device account number ([`crate::wallet_tokens`]). The keyed
//! fingerprint is the sealing vault's, so it is the same whichever vault a card went to.
//!
//! A remote seal is its own write, before the gateway's: when the gateway's write then fails,
//! [`CardVault::discard`] deletes the record again (an embedded record was in that write).

use paygate_store::{Op, VaultCardRow};
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
    /// The record the remote vault stored (remote vault only): to [`CardVault::discard`] if
    /// the gateway's write referencing it fails.
    pub remote: Option<RemoteRecord>,
}

/// A record in the remote vault: its reference and its owner (a merchant, or the platform).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RemoteRecord {
    pub owner: String,
    pub id: String,
}

/// The remote record of a card on its way to the gateway's write, if any (boxed: it rides in
/// every card of a payment, and is there only with a remote vault).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PendingRecord(Option<Box<RemoteRecord>>);

impl PendingRecord {
    pub fn new(remote: Option<RemoteRecord>) -> PendingRecord {
        PendingRecord(remote.map(Box::new))
    }

    /// The record, as [`CardVault::discard`] takes it.
    pub fn as_slice(&self) -> &[RemoteRecord] {
        match &self.0 {
            Some(r) => std::slice::from_ref(&**r),
            None => &[],
        }
    }
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

    /// Seals `card` under `vault_id` for `owner` (a merchant id, or the platform's).
    pub async fn seal(
        &self,
        st: &AppState,
        owner: &str,
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
                    merchant_id: owner.to_string(),
                    kek_id: sealed.kek_id,
                    wrapped_dek: sealed.wrapped_dek,
                    ciphertext: sealed.ciphertext,
                    fingerprint: fingerprint.clone(),
                    created: now,
                };
                Ok(SealedRef {
                    fingerprint,
                    op: Some(Op::InsertVaultCard(row)),
                    remote: None,
                })
            }
            CardVault::Remote(client) => {
                let reply = client
                    .seal(vault_id, owner, card)
                    .await
                    .map_err(unavailable)?;
                Ok(SealedRef {
                    fingerprint: reply.fingerprint,
                    op: None,
                    remote: Some(RemoteRecord {
                        owner: owner.to_string(),
                        id: reply.id,
                    }),
                })
            }
        }
    }

    /// The card `owner` sealed under `vault_id`, for an authorization.
    pub async fn open(&self, st: &AppState, owner: &str, vault_id: &str) -> ApiResult<CardData> {
        match self {
            CardVault::Embedded => {
                let row = st
                    .store
                    .get_vault_card(vault_id)
                    .await?
                    .filter(|row| row.merchant_id == owner)
                    .ok_or_else(|| ApiError::internal("vault record missing"))?;
                let sealed = SealedCard {
                    kek_id: row.kek_id,
                    wrapped_dek: row.wrapped_dek,
                    ciphertext: row.ciphertext,
                };
                st.vault.open(vault_id, &sealed).map_err(ApiError::internal)
            }
            CardVault::Remote(client) => client.unseal(vault_id, owner).await.map_err(unavailable),
        }
    }

    /// Deletes the remote records `sealed` whose referencing write failed (nothing to do for
    /// the embedded vault, whose record was in that write). A record the vault cannot delete
    /// now stays: it is logged by its reference, and no object of the gateway points at it.
    pub async fn discard(&self, sealed: impl IntoIterator<Item = &RemoteRecord>) {
        let CardVault::Remote(client) = self else {
            return;
        };
        for r in sealed {
            match client.delete(&r.id, &r.owner).await {
                Ok(_) => {
                    tracing::info!(vault_card = %r.id, "orphaned remote vault record discarded")
                }
                Err(e) => tracing::warn!(
                    vault_card = %r.id,
                    error = %e,
                    "orphaned remote vault record could not be discarded"
                ),
            }
        }
    }

    /// Commits `unit` through `commit`; when that fails, discards `sealed` (see
    /// [`CardVault::discard`]) and returns the failure.
    pub async fn commit_or_discard<T, F>(&self, sealed: &[RemoteRecord], commit: F) -> ApiResult<T>
    where
        F: std::future::Future<Output = ApiResult<T>>,
    {
        let result = commit.await;
        match &result {
            Err(e) if e.write_may_have_applied() => {
                // The commit may have landed: its records stay (an orphan costs a row, a
                // discarded record in use would lose the card).
                for r in sealed {
                    tracing::warn!(vault_record = %r.id, "commit outcome unknown: remote card record kept");
                }
            }
            Err(_) => self.discard(sealed).await,
            Ok(_) => {}
        }
        result
    }

    /// `None` when the vault answers (always for the embedded one), else why not (`/readyz`).
    pub async fn unready(&self) -> Option<String> {
        match self {
            CardVault::Embedded => None,
            CardVault::Remote(client) => client.health().await.err().map(|e| e.to_string()),
        }
    }
}
