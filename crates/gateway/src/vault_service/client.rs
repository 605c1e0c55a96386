//! The gateway's client of a remote vault (`--vault-url https://…` with `--vault-ca`,
//! `--vault-client-cert`, `--vault-client-key`): JSON over mutual TLS through [`JsonClient`].

use hyper::Method;
use paygate_vault::{CardData, Expiry, Pan};
use serde::de::DeserializeOwned;
use serde_json::Value;

use super::mtls::{ClientFiles, client_config};
use super::wire::{
    CardOwner, DeleteReply, ErrorReply, Health, KeysReply, SealReply, SealRequest, UnsealReply,
};
use crate::json_client::JsonClient;

/// Largest answer read from the vault.
const VAULT_ANSWER_MAX_BYTES: usize = 64 * 1024;

/// Why a call to the vault did not give an answer.
#[derive(Debug, thiserror::Error)]
pub enum VaultCallError {
    /// Not reached, no answer in time, or an answer that is not the vault's (the gateway
    /// answers 503 and reports not ready).
    #[error("vault unreachable: {0}")]
    Unreachable(String),
    /// The vault answered with an error (its code, message and the field at fault).
    #[error("vault answered {status}: {code}: {message}")]
    Refused {
        status: u16,
        code: String,
        message: String,
        param: Option<String>,
    },
}

/// A remote vault at one base URL.
#[derive(Clone, Debug)]
pub struct VaultClient {
    http: JsonClient,
}

impl VaultClient {
    /// A client of the vault at `url` (`https://` only: card data crosses this link).
    pub fn new(url: &str, files: &ClientFiles<'_>) -> Result<VaultClient, String> {
        if !url.starts_with("https://") {
            return Err(format!(
                "--vault-url {url:?}: must be https:// (mutual TLS)"
            ));
        }
        let tls = client_config(files)?;
        let http = JsonClient::with_tls_config(url, "--vault-url", VAULT_ANSWER_MAX_BYTES, tls)?;
        Ok(VaultClient { http })
    }

    /// Seals `card` under `id` for `merchant_id`.
    pub async fn seal(
        &self,
        id: &str,
        merchant_id: &str,
        card: &CardData,
    ) -> Result<SealReply, VaultCallError> {
        let req = SealRequest {
            id: id.to_string(),
            merchant_id: merchant_id.to_string(),
            number: card.pan.expose().to_string(),
            exp_month: i64::from(card.expiry.month),
            exp_year: i64::from(card.expiry.year),
        };
        self.call(Method::POST, "/v1/cards", Some(to_value(&req)?))
            .await
    }

    /// The card `id` of `merchant_id`, for an authorization.
    pub async fn unseal(&self, id: &str, merchant_id: &str) -> Result<CardData, VaultCallError> {
        let owner = to_value(&CardOwner {
            merchant_id: merchant_id.to_string(),
        })?;
        let path = format!("/v1/cards/{id}/unseal");
        let reply: UnsealReply = self.call(Method::POST, &path, Some(owner)).await?;
        let bad = |what: &str| VaultCallError::Unreachable(format!("vault sent an invalid {what}"));
        let pan = Pan::parse(&reply.number).map_err(|_| bad("card number"))?;
        let expiry = Expiry::new(reply.exp_month, reply.exp_year).map_err(|_| bad("expiry"))?;
        Ok(CardData { pan, expiry })
    }

    /// Deletes the card `id` of `merchant_id` if it exists.
    pub async fn delete(&self, id: &str, merchant_id: &str) -> Result<DeleteReply, VaultCallError> {
        let owner = to_value(&CardOwner {
            merchant_id: merchant_id.to_string(),
        })?;
        let path = format!("/v1/cards/{id}/delete");
        self.call(Method::POST, &path, Some(owner)).await
    }

    /// Whether the vault answers and its store reads.
    pub async fn health(&self) -> Result<(), VaultCallError> {
        let _: Health = self.call(Method::GET, "/healthz", None).await?;
        Ok(())
    }

    /// Where key rotation stands.
    pub async fn keys(&self) -> Result<KeysReply, VaultCallError> {
        self.call(Method::GET, "/v1/keys", None).await
    }

    async fn call<T: DeserializeOwned>(
        &self,
        method: Method,
        path: &str,
        body: Option<Value>,
    ) -> Result<T, VaultCallError> {
        let (status, answer) = self
            .http
            .exchange(method, path, body.as_ref())
            .await
            .map_err(VaultCallError::Unreachable)?;
        if (200..300).contains(&status) {
            return serde_json::from_value(answer)
                .map_err(|e| VaultCallError::Unreachable(format!("unexpected answer: {e}")));
        }
        match serde_json::from_value::<ErrorReply>(answer) {
            Ok(ErrorReply { error }) => Err(VaultCallError::Refused {
                status,
                code: error.code,
                message: error.message,
                param: error.param,
            }),
            Err(_) => Err(VaultCallError::Unreachable(format!(
                "HTTP {status} from the vault"
            ))),
        }
    }
}

fn to_value<T: serde::Serialize>(v: &T) -> Result<Value, VaultCallError> {
    serde_json::to_value(v).map_err(|e| VaultCallError::Unreachable(e.to_string()))
}
