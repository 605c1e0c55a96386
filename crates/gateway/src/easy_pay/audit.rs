//! The wallet's audit trail: one object of kind [`AUDIT_KIND`] per security event, child of
//! the wallet, in the platform scope — what `paygate wallets easy-pay audit` prints.

use super::{PLATFORM, Wallet};
use crate::ids::new_id;
use paygate_store::{ObjectRow, Op};
use serde_json::json;

/// Object kind of an audit entry.
pub const AUDIT_KIND: &str = "easy_pay_audit";

/// What happened to a wallet.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AuditEvent {
    /// The phone was proved by SMS code.
    PhoneVerified,
    /// A wrong SMS code.
    OtpFailed,
    /// A card was registered.
    CardAdded,
    /// A card was removed.
    CardRemoved,
    /// The PIN was set.
    PinSet,
    /// A wrong PIN.
    PinFailed,
    /// The PIN was reset with the SMS code and the card's CVC.
    PinReset,
    /// A PIN reset whose CVC the issuer refused.
    PinResetFailed,
    /// Too many wrong PINs: the wallet is locked.
    Locked,
    /// A PIN was tried while locked.
    LockedAttempt,
    /// An operator lifted the lock.
    Unlocked,
    /// An operator locked the wallet.
    LockedByOperator,
    /// The right PIN was given for a payment (the authorization follows; its outcome is the
    /// intent's).
    PinAccepted,
}

impl AuditEvent {
    /// The event's name in the trail.
    pub fn as_str(self) -> &'static str {
        match self {
            AuditEvent::PhoneVerified => "phone_verified",
            AuditEvent::OtpFailed => "otp_failed",
            AuditEvent::CardAdded => "card_added",
            AuditEvent::CardRemoved => "card_removed",
            AuditEvent::PinSet => "pin_set",
            AuditEvent::PinFailed => "pin_failed",
            AuditEvent::PinReset => "pin_reset",
            AuditEvent::PinResetFailed => "pin_reset_failed",
            AuditEvent::Locked => "locked",
            AuditEvent::LockedAttempt => "locked_attempt",
            AuditEvent::Unlocked => "unlocked",
            AuditEvent::LockedByOperator => "locked_by_operator",
            AuditEvent::PinAccepted => "pin_accepted",
        }
    }
}

/// The op that records `event` on wallet `w` (`payment_intent` and `merchant` when a payment
/// flow caused it; `actor` `payer` or `operator`).
pub fn entry(
    w: &Wallet,
    event: AuditEvent,
    context: (Option<&str>, Option<&str>),
    actor: &str,
    now: i64,
) -> Op {
    let (payment_intent, merchant) = context;
    Op::InsertObject(ObjectRow {
        id: new_id("ewa"),
        merchant_id: PLATFORM.into(),
        livemode: w.livemode,
        kind: AUDIT_KIND.into(),
        parent: Some(w.id.clone()),
        tag: Some(event.as_str().into()),
        due: None,
        created: now,
        version: 0,
        data: json!({
            "object": AUDIT_KIND,
            "wallet": w.id,
            "phone": w.phone_masked,
            "event": event.as_str(),
            "actor": actor,
            "payment_intent": payment_intent,
            "merchant": merchant,
            "pin_failures": w.pin_failures,
            "locked_until": w.locked_until,
            "created": now,
        }),
    })
}
