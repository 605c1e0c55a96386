//! Payment metrics: payments by method and outcome, declines by method and decline code,
//! reversals, refunds and crash-recovery actions. Method × outcome is a pre-registered table
//! of atomics (every label set exported from the start, zeros included, so rates and ratios
//! exist before the first decline); decline codes, a bounded set of static strings, go through
//! a [`LabelTable`].

use super::exposition::{Exposition, Kind};
use super::labels::{LabelTable, label_hash};
use crate::methods::PaymentMethodKind;
use paygate_payments::AttemptRecord;
use std::sync::atomic::{AtomicU64, Ordering};

const METHODS: usize = PaymentMethodKind::ALL.len();
/// (method, decline code) label sets kept.
const DECLINE_SLOTS: usize = 1_024;

/// How an authorization ended, once its outcome is committed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PaymentOutcome {
    /// Approved by the counterparty.
    Succeeded,
    /// Refused by the issuer, the bank or the carrier (with a decline code).
    Declined,
    /// The counterparty's answer was lost (timeout, link down); the payment was reversed.
    NetworkFailed,
    /// The payer must act first (3-D Secure, a page of the method).
    RequiresAction,
}

impl PaymentOutcome {
    pub const ALL: [PaymentOutcome; 4] = [
        PaymentOutcome::Succeeded,
        PaymentOutcome::Declined,
        PaymentOutcome::NetworkFailed,
        PaymentOutcome::RequiresAction,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            PaymentOutcome::Succeeded => "succeeded",
            PaymentOutcome::Declined => "declined",
            PaymentOutcome::NetworkFailed => "network_failed",
            PaymentOutcome::RequiresAction => "requires_action",
        }
    }
}

/// What crash recovery did to finish an unfinished operation (one per recovery record kind).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RecoveryAction {
    /// An authorization that may have reached the counterparty: reversed.
    ReverseAuthorization,
    /// A cancel: reversed again, then the intent canceled.
    ReverseCancel,
    /// A capture: re-sent as a repeat.
    ResendCapture,
    /// A refund: re-sent as a repeat.
    ResendRefund,
    /// A deposit to a virtual account: its posting finished.
    FinishDeposit,
}

impl RecoveryAction {
    pub const ALL: [RecoveryAction; 5] = [
        RecoveryAction::ReverseAuthorization,
        RecoveryAction::ReverseCancel,
        RecoveryAction::ResendCapture,
        RecoveryAction::ResendRefund,
        RecoveryAction::FinishDeposit,
    ];

    /// The action that finishes `record`.
    pub fn of(record: &AttemptRecord) -> RecoveryAction {
        match record {
            AttemptRecord::Authorization { .. } => RecoveryAction::ReverseAuthorization,
            AttemptRecord::Cancel { .. } => RecoveryAction::ReverseCancel,
            AttemptRecord::Capture { .. } => RecoveryAction::ResendCapture,
            AttemptRecord::Refund { .. } => RecoveryAction::ResendRefund,
            AttemptRecord::Deposit { .. } => RecoveryAction::FinishDeposit,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            RecoveryAction::ReverseAuthorization => "reverse_authorization",
            RecoveryAction::ReverseCancel => "reverse_cancel",
            RecoveryAction::ResendCapture => "resend_capture",
            RecoveryAction::ResendRefund => "resend_refund",
            RecoveryAction::FinishDeposit => "finish_deposit",
        }
    }
}

/// What the engine counts once an operation's outcome is committed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Counted {
    /// An authorization's outcome (a decline goes through [`Counted::Declined`]).
    Payment(PaymentMethodKind, PaymentOutcome),
    /// A refused authorization and its decline code.
    Declined(PaymentMethodKind, &'static str),
    Reversal,
    Refund,
}

pub struct PaymentMetrics {
    payments: [[AtomicU64; PaymentOutcome::ALL.len()]; METHODS],
    declines: LabelTable<(PaymentMethodKind, &'static str), AtomicU64>,
    reversals: AtomicU64,
    refunds: AtomicU64,
    recovery: [AtomicU64; RecoveryAction::ALL.len()],
}

impl Default for PaymentMetrics {
    fn default() -> Self {
        PaymentMetrics {
            payments: Default::default(),
            declines: LabelTable::new(DECLINE_SLOTS, AtomicU64::default),
            reversals: AtomicU64::default(),
            refunds: AtomicU64::default(),
            recovery: Default::default(),
        }
    }
}

fn index<T: PartialEq>(all: &[T], x: &T) -> usize {
    all.iter().position(|a| a == x).unwrap_or(0)
}

impl PaymentMetrics {
    pub fn count(&self, c: Counted) {
        let cell = match c {
            Counted::Payment(m, o) => {
                &self.payments[index(&PaymentMethodKind::ALL, &m)][index(&PaymentOutcome::ALL, &o)]
            }
            Counted::Declined(m, code) => {
                self.count(Counted::Payment(m, PaymentOutcome::Declined));
                let key = (m, code);
                match self.declines.cell(label_hash(key), |k| *k == key, || key) {
                    Some(c) => c,
                    None => return,
                }
            }
            Counted::Reversal => &self.reversals,
            Counted::Refund => &self.refunds,
        };
        cell.fetch_add(1, Ordering::Relaxed);
    }

    /// Recovery finished one record with `action`.
    pub fn recovered(&self, action: RecoveryAction) {
        self.recovery[index(&RecoveryAction::ALL, &action)].fetch_add(1, Ordering::Relaxed);
    }

    /// Observations dropped because their label set found no slot.
    pub fn overflow(&self) -> u64 {
        self.declines.overflow()
    }

    pub fn render(&self, e: &mut Exposition) {
        let name = "paygate_payments_total";
        e.family(
            name,
            Kind::Counter,
            "Authorizations by payment method and committed outcome.",
        );
        for (m, row) in PaymentMethodKind::ALL.iter().zip(&self.payments) {
            for (o, n) in PaymentOutcome::ALL.iter().zip(row) {
                let labels = [("method", m.as_str()), ("outcome", o.as_str())];
                e.sample(name, &labels, n.load(Ordering::Relaxed));
            }
        }
        let name = "paygate_declines_total";
        e.family(
            name,
            Kind::Counter,
            "Declined authorizations by payment method and decline code.",
        );
        let mut rows: Vec<(&str, &str, u64)> = self
            .declines
            .entries()
            .map(|((m, code), n)| (m.as_str(), *code, n.load(Ordering::Relaxed)))
            .collect();
        rows.sort();
        for (m, code, n) in rows {
            e.sample(name, &[("method", m), ("code", code)], n);
        }
        let reversals = self.reversals.load(Ordering::Relaxed);
        let help = "Authorizations reversed at their counterparty.";
        e.single("paygate_reversals_total", Kind::Counter, help, reversals);
        let refunds = self.refunds.load(Ordering::Relaxed);
        e.single(
            "paygate_refunds_total",
            Kind::Counter,
            "Refunds that succeeded.",
            refunds,
        );
        let name = "paygate_recovery_actions_total";
        e.family(
            name,
            Kind::Counter,
            "Unfinished operations crash recovery finished, by action.",
        );
        for (a, n) in RecoveryAction::ALL.iter().zip(&self.recovery) {
            e.sample(name, &[("action", a.as_str())], n.load(Ordering::Relaxed));
        }
    }
}
