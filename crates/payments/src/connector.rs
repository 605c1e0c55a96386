//! The connector seam: what the payment phases need from a counterparty, whatever its protocol.
//!
//! A [`Connector`] turns a payment into the counterparty's messages and its answers into typed
//! outcomes. The engine (`paygate_gateway::engine`, with its recovery) owns the phases — record the attempt,
//! call the connector, commit the outcome — and never reads inside a counterparty's reference
//! ([`ConnectorRef`]): it stores it in the recovery record before the message goes out and
//! hands it back to the connector that made it (to re-send, reverse or capture).
//!
//! The trait is dyn-compatible (`Arc<dyn Connector>`): its async methods return boxed futures.
//! A prepared message ([`PreparedAuthorization`], [`PreparedFollowUp`]) carries the connector's
//! own message as `Box<dyn Any + Send>`; only the connector that prepared it sends it.

use crate::attempt::ConnectorRef;
pub use crate::authorization_data::{
    Authentication, AuthenticationProgram, AuthorizationKind, StoredCredential,
    StoredCredentialUsage,
};
use crate::next_action::NextAction;
use paygate_ledger::{Counterparty, Currency};
use paygate_vault::{Cvc, Expiry, Pan, Secret};
use std::any::Any;
use std::future::Future;
use std::pin::Pin;

/// A boxed future, as the dyn-compatible [`Connector`] returns them.
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// How the payer pays, as a connector needs it to build its request. Secrets stay in the
/// vault's types (masked in `Debug`, zeroized on drop) and are only borrowed.
///
/// A method whose payer acted on a page first (a code, a login) carries what that page
/// collected here; its connector reads only its own variant and refuses the others
/// ([`ConnectorError`]). Planned variants, each with its own connector: `AppCard`
/// (card-issuer apps), `VirtualAccount` (a deposit account issued per payment) and `Wallet`
/// (wallet tokens).
#[derive(Debug, Clone, Copy)]
pub enum PaymentMethodData<'a> {
    /// A card keyed by the cardholder (card-not-present e-commerce).
    Card {
        pan: &'a Pan,
        expiry: &'a Expiry,
        cvc: Option<&'a Cvc>,
    },
    /// A card (or a phone's device token) read at a store's terminal: the PAN and expiry the
    /// terminal read, and the read itself, relayed to the issuer unchanged.
    CardPresent {
        pan: &'a Pan,
        expiry: &'a Expiry,
        read: CardRead<'a>,
    },
    /// Carrier billing (휴대폰 소액결제): the carrier's pending payment, which the subscriber
    /// already confirmed with the code the carrier sent by SMS (the code itself went from our
    /// page to the carrier and is kept nowhere); the authorization charges it to the bill.
    MobileCarrier {
        /// The carrier (`skt`, `kt`, `lgu`, `mvno`).
        carrier: &'a str,
        /// The carrier's id of the pending payment (its answer to the code request).
        transaction: &'a str,
    },
    /// 계좌이체 (real-time account transfer): the bank's transfer order, which the payer
    /// approved on the bank's own page (their password went to the bank only); the
    /// authorization confirms the debit at the bank.
    BankTransfer {
        /// The bank's three-digit KFTC code.
        bank_code: &'a str,
        /// The bank's id of the order.
        order_id: &'a str,
    },
}

/// What a terminal read from the card or phone.
#[derive(Debug, Clone, Copy)]
pub enum CardRead<'a> {
    /// Contactless EMV (NFC): the chip's data with its ARQC, BER-TLV bytes (DE 55).
    ContactlessEmv { icc: &'a [u8] },
    /// A magnetic stripe image (Samsung Pay MST): track 2 with its dynamic data (DE 35).
    MagneticStripeTrack2 { track2: &'a Secret<String> },
}

impl CardRead<'_> {
    /// Stripe's `card_present.read_method`.
    pub fn read_method(&self) -> &'static str {
        match self {
            CardRead::ContactlessEmv { .. } => "contactless_emv",
            CardRead::MagneticStripeTrack2 { .. } => "magnetic_stripe_track2",
        }
    }
}

/// What to authorize.
#[derive(Debug, Clone, Copy)]
pub struct AuthorizationRequest<'a> {
    pub method: PaymentMethodData<'a>,
    /// Amount in minor units of `currency` (0 for an account verification).
    pub amount: i64,
    pub currency: Currency,
    /// Authorization, purchase (authorize and capture in one message) or verification.
    pub kind: AuthorizationKind,
    /// The merchant the payment is for (the connector derives its acceptor id from it).
    pub merchant_id: &'a str,
    /// The payer authentication (3-D Secure) to send with the authorization, if one was done.
    pub authentication: Option<&'a Authentication>,
    /// Credential-on-file data, when the card is being stored or a stored card is used.
    pub stored_credential: Option<StoredCredential<'a>>,
    /// 할부: monthly instalments of a card payment (2..=12); `None` = paid at once.
    pub installments: Option<u8>,
}

/// An authorization built and named, not sent yet. Store `reference` in the recovery record
/// before [`Connector::send_authorization`]: after a crash it is what a reversal names.
pub struct PreparedAuthorization {
    pub reference: ConnectorRef,
    /// The connector's own message; only the connector that built it reads it.
    pub message: Box<dyn Any + Send>,
}

/// Which follow-up of an authorization.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FollowUpKind {
    Capture,
    Refund,
}

/// A capture or refund built and named, not sent yet. Store `record` in the recovery record
/// before [`Connector::send_follow_up`]: it is everything needed to re-send the same message.
pub struct PreparedFollowUp {
    pub record: ConnectorRef,
    /// The connector's own message; only the connector that built it reads it.
    pub message: Box<dyn Any + Send>,
}

/// A bank account money is sent to: the refund account of a cash-type payment (가상계좌,
/// 계좌이체) or of a carrier payment refunded after its month. The account number is the
/// holder's personal data: shown masked ([`BankAccount::masked`]), kept whole only in the
/// follow-up record the transfer is re-sent from.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct BankAccount {
    /// The bank's three-digit KFTC code (`004`, `088`, …).
    pub bank_code: String,
    /// Digits only.
    pub account_number: String,
    pub holder_name: String,
}

impl BankAccount {
    /// The account number with all but its last 4 digits hidden.
    pub fn masked(&self) -> String {
        let n = self.account_number.len();
        let keep = n.min(4);
        format!(
            "{}{}",
            "*".repeat(n - keep),
            &self.account_number[n - keep..]
        )
    }
}

/// A refusal as the merchant sees it (Stripe's error `code`, `decline_code`, message and the
/// charge outcome `type`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Decline {
    pub code: &'static str,
    pub decline_code: &'static str,
    pub message: &'static str,
    pub outcome_type: &'static str,
}

impl Decline {
    /// A payment whose answer was lost (timeout, link down) and that was reversed.
    pub const PROCESSING_ERROR: Decline = Decline {
        code: "processing_error",
        decline_code: "processing_error",
        message: "An error occurred while processing your card. Try again in a little bit.",
        outcome_type: "invalid",
    };
}

/// The answer to an authorization.
pub enum AuthorizationOutcome {
    /// Approved: `reference` names the authorization for its capture, refund or reversal.
    Approved {
        reference: ConnectorRef,
        approval_code: Option<String>,
        network_transaction_id: Option<String>,
        /// The issuer's data for the card (EMV DE 55: the ARPC in tag 91), for a card read at
        /// a terminal.
        issuer_data: Option<Vec<u8>>,
        /// The funding card's last 4 digits when the payment used a wallet's device token and
        /// the counterparty named it (card network: DE 48.33).
        funding_last4: Option<String>,
    },
    /// Refused by the counterparty (`network_code` is its own code, e.g. DE 39).
    Declined {
        network_code: String,
        decline: Decline,
        network_transaction_id: Option<String>,
        /// As for an approval.
        issuer_data: Option<Vec<u8>>,
    },
    /// Sent, but no trustworthy answer: never to be reported approved. `reversal`, when the
    /// connector already started one, finishes when the counterparty acknowledged it;
    /// otherwise the engine calls [`Connector::reverse`].
    Unknown {
        why: String,
        reversal: Option<BoxFuture<'static, Result<(), ConnectorError>>>,
    },
    /// The payer must act first (redirect, app switch...); for methods other than keyed cards.
    RequiresAction(NextAction),
}

/// The answer to a capture or refund.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FollowUpAnswer {
    Approved,
    /// Refused, or certainly not sent; carries the code or reason.
    Refused(String),
    /// Sent, but the answer is unknown: re-send it with [`Connector::resend_follow_up`].
    Unknown(String),
}

/// A connector failure that is not an answer of the counterparty (a request that cannot be
/// built, a reference this connector cannot read, a reversal that was not acknowledged).
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct ConnectorError(pub String);

/// A counterparty the payment phases talk to.
pub trait Connector: Send + Sync {
    /// The counterparty whose ledger receivable this connector's captures post to.
    fn counterparty(&self) -> Counterparty;

    /// Builds and names an authorization; nothing is sent.
    fn prepare_authorization(
        &self,
        req: &AuthorizationRequest<'_>,
    ) -> Result<PreparedAuthorization, ConnectorError>;

    /// Sends a prepared authorization and waits for its answer.
    fn send_authorization(
        &self,
        prepared: PreparedAuthorization,
    ) -> BoxFuture<'_, AuthorizationOutcome>;

    /// Builds and names a capture or refund of the authorization `original`
    /// (`network_transaction_id` as the approval carried it); nothing is sent.
    fn prepare_follow_up(
        &self,
        kind: FollowUpKind,
        original: &ConnectorRef,
        network_transaction_id: &str,
        amount: i64,
        currency_numeric: u16,
    ) -> Result<PreparedFollowUp, ConnectorError>;

    /// Builds and names a transfer of `amount` to the bank account `to` (a refund to an
    /// account), `reference` naming it at the counterparty (a repeat answers the first
    /// transfer's outcome); nothing is sent. Only a bank's connector transfers.
    fn prepare_transfer(
        &self,
        reference: &str,
        to: &BankAccount,
        amount: i64,
        currency_numeric: u16,
    ) -> Result<PreparedFollowUp, ConnectorError> {
        let _ = (reference, to, amount, currency_numeric);
        Err(ConnectorError(format!(
            "{} does not transfer to bank accounts",
            self.counterparty().as_str()
        )))
    }

    /// Builds and names a refund of `amount` of the payment `original` (계좌이체: debited
    /// from the payer's own account) back to the account it came from, `reference` (the
    /// refund id) naming it at the counterparty (a repeat answers the first outcome);
    /// nothing is sent. Only a bank's connector refunds this way.
    fn prepare_payer_refund(
        &self,
        reference: &str,
        original: &ConnectorRef,
        amount: i64,
        currency_numeric: u16,
    ) -> Result<PreparedFollowUp, ConnectorError> {
        let _ = (reference, original, amount, currency_numeric);
        Err(ConnectorError(format!(
            "{} does not refund to a payer's account",
            self.counterparty().as_str()
        )))
    }

    /// Sends a prepared follow-up and waits for its answer.
    fn send_follow_up(&self, prepared: PreparedFollowUp) -> BoxFuture<'_, FollowUpAnswer>;

    /// Re-sends the follow-up stored as `record` (its answer was lost); the counterparty
    /// answers a repeat of a message it already processed with its recorded answer.
    fn resend_follow_up<'a>(&'a self, record: &'a ConnectorRef) -> BoxFuture<'a, FollowUpAnswer>;

    /// The amount (minor units) a stored follow-up moves.
    fn follow_up_amount(&self, record: &ConnectorRef) -> Result<i64, ConnectorError>;

    /// Reverses (voids) the authorization `reference`; idempotent at the counterparty.
    fn reverse<'a>(
        &'a self,
        reference: &'a ConnectorRef,
        amount: i64,
        currency_numeric: u16,
    ) -> BoxFuture<'a, Result<(), ConnectorError>>;
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use std::sync::Arc;
    use std::sync::atomic::{AtomicU32, Ordering};

    /// A counterparty that approves everything and counts reversals: the trait is implementable
    /// without any card-network code.
    #[derive(Default)]
    struct Fake {
        seq: AtomicU32,
        reversed: AtomicU32,
    }

    impl Connector for Fake {
        fn counterparty(&self) -> Counterparty {
            Counterparty::CardNetwork
        }

        fn prepare_authorization(
            &self,
            req: &AuthorizationRequest<'_>,
        ) -> Result<PreparedAuthorization, ConnectorError> {
            let n = self.seq.fetch_add(1, Ordering::Relaxed);
            let (PaymentMethodData::Card { pan, .. } | PaymentMethodData::CardPresent { pan, .. }) =
                req.method
            else {
                return Err(ConnectorError("not a card".into()));
            };
            Ok(PreparedAuthorization {
                reference: ConnectorRef(json!({"n": n, "last4": pan.last4()})),
                message: Box::new(req.amount),
            })
        }

        fn send_authorization(
            &self,
            prepared: PreparedAuthorization,
        ) -> BoxFuture<'_, AuthorizationOutcome> {
            Box::pin(async move {
                match prepared.message.downcast::<i64>() {
                    Ok(amount) if *amount < 100_000 => AuthorizationOutcome::Approved {
                        reference: prepared.reference,
                        approval_code: Some("A1".into()),
                        network_transaction_id: Some("T1".into()),
                        issuer_data: None,
                        funding_last4: None,
                    },
                    _ => AuthorizationOutcome::Declined {
                        network_code: "51".into(),
                        decline: Decline::PROCESSING_ERROR,
                        network_transaction_id: None,
                        issuer_data: None,
                    },
                }
            })
        }

        fn prepare_follow_up(
            &self,
            _kind: FollowUpKind,
            original: &ConnectorRef,
            _ntid: &str,
            amount: i64,
            _currency_numeric: u16,
        ) -> Result<PreparedFollowUp, ConnectorError> {
            Ok(PreparedFollowUp {
                record: ConnectorRef(json!({"orig": original, "amount": amount})),
                message: Box::new(()),
            })
        }

        fn send_follow_up(&self, _prepared: PreparedFollowUp) -> BoxFuture<'_, FollowUpAnswer> {
            Box::pin(async { FollowUpAnswer::Unknown("lost".into()) })
        }

        fn resend_follow_up<'a>(
            &'a self,
            _record: &'a ConnectorRef,
        ) -> BoxFuture<'a, FollowUpAnswer> {
            Box::pin(async { FollowUpAnswer::Approved })
        }

        fn follow_up_amount(&self, record: &ConnectorRef) -> Result<i64, ConnectorError> {
            record.0["amount"]
                .as_i64()
                .ok_or_else(|| ConnectorError("no amount".into()))
        }

        fn reverse<'a>(
            &'a self,
            _reference: &'a ConnectorRef,
            _amount: i64,
            _currency_numeric: u16,
        ) -> BoxFuture<'a, Result<(), ConnectorError>> {
            Box::pin(async {
                self.reversed.fetch_add(1, Ordering::Relaxed);
                Ok(())
            })
        }
    }

    #[tokio::test]
    async fn a_connector_outside_the_card_crate_drives_the_phases() {
        let fake = Arc::new(Fake::default());
        let c: Arc<dyn Connector> = fake.clone();
        let pan = Pan::parse("4242424242424242").unwrap();
        let expiry = Expiry::new(12, 2099).unwrap();
        let req = AuthorizationRequest {
            method: PaymentMethodData::Card {
                pan: &pan,
                expiry: &expiry,
                cvc: None,
            },
            amount: 5_000,
            currency: Currency::parse("krw").unwrap(),
            kind: AuthorizationKind::Authorization,
            merchant_id: "acct_1",
            authentication: None,
            stored_credential: None,
            installments: None,
        };
        let prepared = c.prepare_authorization(&req).unwrap();
        let stored = serde_json::to_value(&prepared.reference).unwrap();
        assert_eq!(stored, json!({"n": 0, "last4": "4242"}));
        let AuthorizationOutcome::Approved { reference, .. } = c.send_authorization(prepared).await
        else {
            panic!("expected an approval");
        };
        let f = c
            .prepare_follow_up(FollowUpKind::Capture, &reference, "T1", 5_000, 410)
            .unwrap();
        let record = f.record.clone();
        assert_eq!(
            c.send_follow_up(f).await,
            FollowUpAnswer::Unknown("lost".into())
        );
        assert_eq!(c.resend_follow_up(&record).await, FollowUpAnswer::Approved);
        assert_eq!(c.follow_up_amount(&record).unwrap(), 5_000);
        c.reverse(&reference, 5_000, 410).await.unwrap();
        assert_eq!(fake.reversed.load(Ordering::Relaxed), 1);
        let big = AuthorizationRequest {
            amount: 1_000_000,
            ..req
        };
        let declined = c
            .send_authorization(c.prepare_authorization(&big).unwrap())
            .await;
        assert!(
            matches!(declined, AuthorizationOutcome::Declined { ref network_code, .. } if network_code == "51")
        );
        assert_eq!(c.counterparty(), Counterparty::CardNetwork);
    }
}
