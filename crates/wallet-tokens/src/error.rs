//! Why a token or a key is refused. Each token refusal has its own stable code, shown to the
//! merchant as the Stripe-shaped error's `code`.

/// Why a wallet token is refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum WalletError {
    /// The token's JSON or one of its fields is not of the documented form.
    #[error("the token is malformed: {field} {rule}")]
    Malformed {
        /// The field (e.g. `header.ephemeralPublicKey`).
        field: &'static str,
        /// What is wrong with it.
        rule: &'static str,
    },
    /// The signature does not verify over the token's data (tampered or forged).
    #[error("the token's signature does not verify")]
    InvalidSignature,
    /// The signing certificates do not chain to a trusted root, lack the wallet's OIDs, or are
    /// not valid now.
    #[error("the token's certificate chain is not trusted: {0}")]
    UntrustedChain(&'static str),
    /// Signed (or created) too long ago or in the future.
    #[error("the token is stale: signed {age_seconds} s from now, at most {max_seconds} s allowed")]
    Stale {
        /// Signing time minus now (negative: in the past).
        age_seconds: i64,
        /// The window allowed either side.
        max_seconds: i64,
    },
    /// No processing key of the merchant matches the token's key hash / `kid`.
    #[error("no processing key of this merchant matches the token")]
    UnknownKey,
    /// The key matched but the data does not decrypt (or decrypts to something unreadable).
    #[error("the token's data cannot be decrypted with the merchant's key")]
    Undecryptable,
}

impl WalletError {
    /// The stable code of this refusal (the API error's `code`).
    pub fn code(&self) -> &'static str {
        match self {
            WalletError::Malformed { .. } => "wallet_token_malformed",
            WalletError::InvalidSignature => "wallet_token_invalid_signature",
            WalletError::UntrustedChain(_) => "wallet_token_untrusted_chain",
            WalletError::Stale { .. } => "wallet_token_stale",
            WalletError::UnknownKey => "wallet_token_unknown_key",
            WalletError::Undecryptable => "wallet_token_undecryptable",
        }
    }

    pub(crate) fn malformed(field: &'static str, rule: &'static str) -> WalletError {
        WalletError::Malformed { field, rule }
    }
}

/// Why a merchant's processing key (certificate + private key, PEM) is refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum KeyError {
    /// Not a PEM of the expected kind.
    #[error("{what} is not a readable PEM: {rule}")]
    Unreadable {
        /// "certificate", "private key" or "trust root".
        what: &'static str,
        /// What is wrong.
        rule: String,
    },
    /// The private key is not the certificate's.
    #[error("the private key does not belong to the certificate")]
    Mismatch,
    /// The key's algorithm or size is not one the wallet uses.
    #[error("unsupported key: {0}")]
    Unsupported(&'static str),
}
