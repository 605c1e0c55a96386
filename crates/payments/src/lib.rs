//! # paygate-payments: the payment domain, without HTTP
//!
//! The types every payment operation shares, whatever the counterparty:
//!
//! | module | what |
//! |---|---|
//! | [`money`] | [`Money`]: integer minor units of a [`Currency`], checked on construction |
//! | [`clock`] | the injectable [`Clock`] (system, manual for in-process tests, offset for `--test-clock`) and the calendar math (UTC days, Korean dates) |
//! | [`intent`] | [`PaymentIntentStatus`] and the one table of which operation is allowed in which status |
//! | [`next_action`] | [`NextAction`]: what the payer must do before a payment can go on (`requires_action`) |
//! | [`objects`] | [`ChargeStatus`], [`RefundStatus`] |
//! | [`payment_method`] | the stored [`PaymentMethod`] document, typed |
//! | [`attempt`] | [`AttemptRecord`]: the typed recovery records written before a counterparty is called |
//! | [`connector`] | the connector seam: [`Connector`], [`PaymentMethodData`] and the typed outcomes of a counterparty |
//!
//! This crate depends on no web framework and on no counterparty's protocol: the gateway is its
//! HTTP shell.

pub mod attempt;
pub mod authorization_data;
pub mod clock;
pub mod connector;
pub mod intent;
pub mod money;
pub mod next_action;
pub mod objects;
pub mod payment_method;
pub mod setup_intent;

pub use attempt::{AttemptError, AttemptRecord, ConnectorRef};
pub use clock::{Clock, ManualClock, OffsetClock, SkewedClock, SystemClock};
pub use connector::{
    Authentication, AuthenticationProgram, AuthorizationKind, AuthorizationOutcome,
    AuthorizationRequest, BankAccount, BoxFuture, CardRead, Connector, ConnectorError, Decline,
    FollowUpAnswer, FollowUpKind, PaymentMethodData, PreparedAuthorization, PreparedFollowUp,
    StoredCredential, StoredCredentialUsage,
};
pub use intent::{CaptureMethod, IntentOp, PaymentIntentStatus, UnexpectedState};
pub use money::{Money, MoneyError};
pub use next_action::{IspSignatureRequest, KrVirtualAccount, NextAction};
pub use objects::{ChargeStatus, RefundStatus};
pub use paygate_ledger::Currency;
pub use payment_method::PaymentMethod;
pub use setup_intent::{SetupIntentOp, SetupIntentStatus, SetupUsage};
