//! Account verification: ask the card's issuer whether a card is good — number, expiry, CVC,
//! status, and (with 3-D Secure) the cardholder — without reserving or moving money.
//!
//! The card network carries it as a 0100 with DE 4 = 0 and DE 25 = 51 (`docs/iso8583.md`,
//! "Account verification"), through the card method's [`Connector`] like any authorization
//! ([`AuthorizationKind::AccountVerification`]). It is a question, not an operation with
//! effects: nothing is held at the issuer, so a lost answer needs no reversal and nothing
//! has to be finished after a crash. That is why it has no phase 1 and no recovery record:
//! a caller (a SetupIntent confirm, a wallet's card registration) asks first and commits what
//! it learnt in one unit afterwards. A crash in between leaves the caller's objects exactly
//! as they were before the question, and the retry asks again.
//!
//! A verification that stores the card for later use carries the stored-credential usage
//! "initial" (DE 48.46 = I): its RRN, [`Verification::Verified::network_transaction_id`], is
//! what later merchant-initiated charges name as their original (DE 48.47).

use crate::error::{ApiError, ApiResult};
use crate::methods::PaymentMethodKind;
use crate::state::AppState;
use paygate_payments::{
    Authentication, AuthorizationKind, AuthorizationOutcome, AuthorizationRequest, Connector,
    Currency, Decline, PaymentMethodData, StoredCredential, StoredCredentialUsage,
};
use paygate_vault::{Cvc, Expiry, Pan};
use serde::Serialize;

/// A card to check. The card data is borrowed and only exposed to build the message.
#[derive(Debug, Clone, Copy)]
pub struct CardVerification<'a> {
    /// The merchant the card is checked for (the acceptor id of the message). For a payer's
    /// wallet, which belongs to no merchant, the merchant whose payment registers the card.
    pub merchant_id: &'a str,
    pub pan: &'a Pan,
    pub expiry: &'a Expiry,
    /// Checked by the issuer when given (`card.checks.cvc_check`).
    pub cvc: Option<&'a Cvc>,
    /// DE 49 of the message (the currency the card will be charged in; KRW by default).
    pub currency: Currency,
    /// A 3-D Secure result to relay (DE 48.42/43/44), when the card required one.
    pub authentication: Option<&'a Authentication>,
    /// Whether the card is being stored for later use (DE 48.46 = initial).
    pub store_for_later: bool,
}

/// Stripe's `payment_method.card.checks.cvc_check`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CvcCheck {
    /// The issuer accepted the CVC.
    Pass,
    /// The issuer refused the CVC (DE 39 = N7).
    Fail,
    /// A CVC was sent but the issuer declined for another reason before checking it.
    Unchecked,
}

/// The issuer's answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verification {
    /// The card is good. `network_transaction_id` (the RRN) names this verification: the
    /// original of later merchant-initiated charges of the stored card.
    Verified {
        network_transaction_id: String,
        /// `None` when no CVC was sent.
        cvc_check: Option<CvcCheck>,
    },
    /// The issuer refused the card; `decline` is what the merchant sees (Stripe's codes),
    /// `network_code` the DE 39.
    Declined {
        network_code: String,
        decline: Decline,
        cvc_check: Option<CvcCheck>,
    },
}

impl Verification {
    /// Stripe's `card.checks` object for this answer.
    pub fn checks(&self) -> serde_json::Value {
        let cvc = match self {
            Verification::Verified { cvc_check, .. } | Verification::Declined { cvc_check, .. } => {
                *cvc_check
            }
        };
        serde_json::json!({
            "address_line1_check": null,
            "address_postal_code_check": null,
            "cvc_check": cvc,
        })
    }

    /// The 402 `card_error` a declined verification answers with (`decline_code`, message);
    /// `None` when the card was verified.
    pub fn error(&self) -> Option<ApiError> {
        match self {
            Verification::Verified { .. } => None,
            Verification::Declined { decline, .. } => Some(ApiError::card(
                decline.code,
                Some(decline.decline_code),
                decline.message,
            )),
        }
    }
}

/// Checks `card` at its issuer through the card method's connector, moving no money.
///
/// `Ok(Verified | Declined)` is the issuer's answer. `Err` is a request that could not be
/// built (a server error) or an answer that never came (402 `processing_error`, like a
/// payment's): nothing was held, so nothing needs undoing and the caller may ask again.
pub async fn verify_card(st: &AppState, card: &CardVerification<'_>) -> ApiResult<Verification> {
    let connector = st
        .connectors
        .get(PaymentMethodKind::Card.counterparty())?
        .clone();
    let req = AuthorizationRequest {
        method: PaymentMethodData::Card {
            pan: card.pan,
            expiry: card.expiry,
            cvc: card.cvc,
        },
        amount: 0,
        currency: card.currency,
        kind: AuthorizationKind::AccountVerification,
        merchant_id: card.merchant_id,
        authentication: card.authentication,
        stored_credential: card.store_for_later.then_some(StoredCredential {
            usage: StoredCredentialUsage::Initial,
            original_network_transaction_id: None,
        }),
        installments: None,
    };
    let outcome = ask(connector.as_ref(), &req).await?;
    let sent_cvc = card.cvc.is_some();
    Ok(match outcome {
        Answer::Approved(ntid) => Verification::Verified {
            network_transaction_id: ntid,
            cvc_check: sent_cvc.then_some(CvcCheck::Pass),
        },
        Answer::Declined(network_code, decline) => Verification::Declined {
            cvc_check: sent_cvc.then_some(if decline.code == "incorrect_cvc" {
                CvcCheck::Fail
            } else {
                CvcCheck::Unchecked
            }),
            network_code,
            decline,
        },
    })
}

enum Answer {
    Approved(String),
    Declined(String, Decline),
}

/// One round trip; an answer without a network transaction id, a payer action (not a card
/// thing) or a lost answer is a processing error.
async fn ask(connector: &dyn Connector, req: &AuthorizationRequest<'_>) -> ApiResult<Answer> {
    let prepared = connector
        .prepare_authorization(req)
        .map_err(ApiError::internal)?;
    let processing = || {
        let d = Decline::PROCESSING_ERROR;
        ApiError::card(d.code, Some(d.decline_code), d.message)
    };
    match connector.send_authorization(prepared).await {
        AuthorizationOutcome::Approved {
            network_transaction_id: Some(ntid),
            ..
        } => Ok(Answer::Approved(ntid)),
        AuthorizationOutcome::Declined {
            network_code,
            decline,
            ..
        } => Ok(Answer::Declined(network_code, decline)),
        AuthorizationOutcome::Unknown { why, .. } => {
            tracing::warn!(%why, "account verification outcome unknown; nothing was held");
            Err(processing())
        }
        AuthorizationOutcome::Approved { .. } | AuthorizationOutcome::RequiresAction(_) => {
            tracing::warn!("account verification answered without a network transaction id");
            Err(processing())
        }
    }
}
