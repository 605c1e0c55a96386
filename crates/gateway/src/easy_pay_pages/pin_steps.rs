//! The PIN's own steps on the wallet page: change it (the current PIN), reset it (the SMS
//! code of this flow and the card's CVC, checked by the issuer's account verification).

use super::flow::Form;
use super::flow::Step;
use super::session::Session;
use super::steps::{ctx_of, unlock};
use crate::easy_pay::Wallet;
use crate::easy_pay::audit::{AuditEvent, entry};
use crate::easy_pay::pin;
use crate::engine::{CardVerification, Verification, verify_card};
use axum::response::Response;
use paygate_ledger::Currency;
use paygate_payer_pages::{MessageKind, Msg};
use paygate_vault::Cvc;

/// The weak-PIN rule's reason, in the page's language.
pub(super) fn rule_text(rule: pin::PinRule) -> Msg {
    match rule {
        pin::PinRule::Mismatch => Msg::EpPinMismatch,
        pin::PinRule::NotSixDigits => Msg::EpPinLength,
        pin::PinRule::Repeated | pin::PinRule::Run => Msg::EpPinWeak,
    }
}

/// Stores `w` with the new PIN `new` and the audit entry `event`.
async fn set_pin(s: &Step, mut w: Wallet, new: &str, event: AuditEvent) -> Response {
    let Ok(h) = pin::hash(new) else {
        return s.error(Msg::EpTryAgain, Form::Phone);
    };
    w.pin_hash = h;
    w.pin_failures = 0;
    w.locked_until = None;
    let now = s.st.now();
    let ops = vec![w.save(), entry(&w, event, ctx_of(s), "payer", now)];
    if let Err(r) = s.commit(ops).await {
        return r;
    }
    let done = Msg::EpPinChanged;
    s.render(
        200,
        Some((MessageKind::Success, done)),
        Form::Pay { cards: &w.cards },
    )
}

/// `change_pin`: `pin` (current), `new_pin`, `new_pin_confirmation`.
pub(super) async fn change(s: &Step, current: &str, new: &str, confirmation: &str) -> Response {
    let w = match unlock(s, current).await {
        Ok(w) => w,
        Err(r) => return r,
    };
    if let Err(rule) = pin::check_new(new, confirmation) {
        return s.error(rule_text(rule), Form::Pay { cards: &w.cards });
    }
    set_pin(s, w, new, AuditEvent::PinSet).await
}

/// `reset_pin`: after this flow's SMS code, `card`, its `cvc` (the issuer checks it) and
/// `new_pin` + `new_pin_confirmation`. Also lifts a lock: the phone and the card prove more
/// than a guessed PIN.
pub(super) async fn reset(
    s: &Step,
    card: &str,
    cvc: &str,
    new: &str,
    confirmation: &str,
) -> Response {
    let session = Session::load(&s.st, &s.row).await.unwrap_or_default();
    let wallet = match (&session.wallet_id, session.verified) {
        (Some(id), true) => Wallet::load(&s.st, id).await.ok().flatten(),
        _ => None,
    };
    let Some(w) = wallet.filter(|w| !w.cards.is_empty()) else {
        let first = Msg::EpResetNeedsSms;
        return s.error(first, Form::Phone);
    };
    if let Err(rule) = pin::check_new(new, confirmation) {
        return s.error(rule_text(rule), Form::Pay { cards: &w.cards });
    }
    let Some(c) = w.card(Some(card)).cloned() else {
        return s.error(Msg::EpChooseCard, Form::Pay { cards: &w.cards });
    };
    if !cvc_verified(s, &w, &c, cvc).await {
        let wrong = Msg::EpCvcWrong;
        let now = s.st.now();
        let _ = s
            .commit(vec![entry(
                &w,
                AuditEvent::PinResetFailed,
                ctx_of(s),
                "payer",
                now,
            )])
            .await;
        return s.error(wrong, Form::Pay { cards: &w.cards });
    }
    set_pin(s, w, new, AuditEvent::PinReset).await
}

/// Whether the issuer accepts `cvc` for the wallet card `c` (account verification).
async fn cvc_verified(s: &Step, w: &Wallet, c: &crate::easy_pay::WalletCard, cvc: &str) -> bool {
    let Ok(data) = Wallet::open_card(&s.st, c).await else {
        return false;
    };
    let Ok(cvc) = Cvc::parse(cvc.trim(), data.pan.brand()) else {
        return false;
    };
    let check = CardVerification {
        merchant_id: &s.row.merchant_id,
        pan: &data.pan,
        expiry: &data.expiry,
        cvc: Some(&cvc),
        currency: Currency::parse(&s.pi.currency).unwrap_or(Currency::KRW),
        authentication: None,
        store_for_later: false,
    };
    let ok = matches!(
        verify_card(&s.st, &check).await,
        Ok(Verification::Verified { .. })
    );
    tracing::info!(wallet = %w.id, verified = ok, "easy_pay PIN reset: card check");
    ok
}
