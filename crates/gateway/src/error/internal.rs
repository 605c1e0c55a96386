//! The gateway's internal failures: what went wrong below the API (store, counterparty, vault,
//! ledger, a stored document that does not read back), as one `thiserror` enum.
//!
//! Layered under [`ApiError`]: `?` turns a `GatewayError` into a 500 `api_error` whose body
//! says only that the request did not complete; the detail travels with the error and is
//! logged once, when the response is written (`ApiError::into_response`), never sent.

use super::ApiError;

/// An internal failure of the gateway (never the client's fault).
#[derive(Debug, thiserror::Error)]
pub enum GatewayError {
    /// The database failed.
    #[error("store: {0}")]
    Store(#[from] paygate_store::StoreError),
    /// A commit failed other than by an expected conflict.
    #[error("store commit: {0}")]
    Commit(#[from] paygate_store::CommitError),
    /// The counterparty's connector could not build or read a message.
    #[error("connector: {0}")]
    Connector(#[from] paygate_payments::ConnectorError),
    /// The card vault failed.
    #[error("vault: {0}")]
    Vault(#[from] paygate_vault::VaultError),
    /// A ledger entry could not be built.
    #[error("ledger: {0}")]
    Ledger(#[from] paygate_ledger::LedgerError),
    /// A stored document does not read back as its type.
    #[error("corrupt stored {kind}: {detail}")]
    CorruptDocument {
        /// The object kind (`payment_intent`, `charge`, …).
        kind: &'static str,
        /// What did not parse.
        detail: String,
    },
    /// Stored state that breaks an invariant (a `requires_capture` intent without a charge).
    #[error("broken invariant: {0}")]
    Invariant(&'static str),
}

impl GatewayError {
    /// A stored document of `kind` that did not parse.
    pub fn corrupt(kind: &'static str, detail: impl std::fmt::Display) -> GatewayError {
        GatewayError::CorruptDocument {
            kind,
            detail: detail.to_string(),
        }
    }
}

impl From<GatewayError> for ApiError {
    fn from(e: GatewayError) -> ApiError {
        ApiError::internal(e)
    }
}

/// `?` on a failure of a layer below goes straight to a 500 through [`GatewayError`] (the
/// store's errors have their own conversion: a bad list cursor is the client's).
macro_rules! internal_from {
    ($($source:ty),* $(,)?) => {$(
        impl From<$source> for ApiError {
            fn from(e: $source) -> ApiError {
                GatewayError::from(e).into()
            }
        }
    )*};
}

internal_from!(
    paygate_payments::ConnectorError,
    paygate_vault::VaultError,
    paygate_ledger::LedgerError,
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_internal_failure_is_a_generic_500_that_keeps_its_detail_out_of_the_body() {
        let e = ApiError::from(GatewayError::corrupt(
            "payment_intent",
            "missing field `amount` in sk_live_secret",
        ));
        assert_eq!(e.status.as_u16(), 500);
        assert_eq!(e.body()["error"]["type"], "api_error");
        let body = e.body().to_string();
        assert!(
            !body.contains("amount") && !body.contains("sk_live"),
            "{body}"
        );
        assert!(
            e.cause()
                .is_some_and(|c| c.contains("corrupt stored payment_intent"))
        );
    }
}
