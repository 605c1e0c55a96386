//! The `register` step: a card (the card rules, then the issuer — 3-D Secure when the card
//! needs it ([`super::three_ds`]), the account verification with the CVC) and a new PIN →
//! the card joins the wallet.

use super::flow::Form;
use super::flow::Step;
use super::session::{RegistrationOutcome as Outcome, Session};
use super::steps::ctx_of;
use crate::card_vault::RemoteRecord;
use crate::easy_pay::audit::{AuditEvent, entry};
use crate::easy_pay::wallet::seal_card;
use crate::easy_pay::{Wallet, WalletCard, pin};
use crate::engine::{CardVerification, Verification, verify_card};
use crate::setup_intents::three_ds::{AddCard, SetupAuthentication, authenticate_add_card};
use crate::state::AppState;
use axum::response::Response;
use paygate_ledger::Currency;
use paygate_payer_pages::{MessageKind, Msg};
use paygate_payments::Authentication;
use paygate_store::Op;
use paygate_vault::{Cvc, Expiry, Pan};
use std::collections::HashMap;

/// What the payer reads about a registration's outcome.
pub(super) fn outcome_text(o: Outcome) -> Msg {
    match o {
        Outcome::Registered => Msg::EpRegistered,
        Outcome::AuthenticationFailed => Msg::EpAuthFailed,
        Outcome::Abandoned => Msg::EpAuthAbandoned,
        Outcome::IncorrectCvc => Msg::EpCvcWrong,
        Outcome::ExpiredCard => Msg::EpCardExpired,
        Outcome::AuthenticationRequired => Msg::EpAuthRequired,
        Outcome::Declined => Msg::EpDeclined,
        Outcome::Unavailable => Msg::EpCheckFailed,
    }
}

/// `register`: a card and a new PIN → the wallet, then the pay form.
pub(super) async fn register(s: &Step, form: &HashMap<String, String>) -> Response {
    let f = |k: &str| form.get(k).map(String::as_str).unwrap_or_default().trim();
    let Ok(session) = Session::load(&s.st, &s.row).await else {
        return s.error(Msg::EpTryAgain, Form::Phone);
    };
    let (true, Some(wallet_id)) = (session.verified, session.wallet_id.clone()) else {
        return s.error(Msg::EpVerifyPhoneFirst, Form::Phone);
    };
    let (pan, expiry, cvc) = match registration(f) {
        Ok(card) => card,
        Err(text) => return s.error(text, Form::Register),
    };
    if let Ok(Some(w)) = Wallet::load(&s.st, &wallet_id).await
        && !w.cards.is_empty()
    {
        // Registered meanwhile (another tab): nothing to register, pay.
        return s.render(200, None, Form::Pay { cards: &w.cards });
    }
    let Ok(pin_hash) = pin::hash(f("pin")) else {
        return s.error(Msg::EpTryAgain, Form::Register);
    };
    let currency = Currency::parse(&s.pi.currency).unwrap_or(Currency::KRW);
    let owner = super::session::id(&s.pi.id);
    let add = AddCard {
        owner: &owner,
        requested: None,
        pan: &pan,
        expiry: &expiry,
        currency,
        merchant_id: &s.row.merchant_id,
        merchant_name: &s.summary.merchant,
    };
    let authentication = match authenticate_add_card(&s.st, &add, || Ok(())).await {
        Ok(SetupAuthentication::Proceed(a, _)) => a,
        Ok(SetupAuthentication::Challenge(ch)) => {
            let card = (pan, expiry, cvc);
            return super::three_ds::challenge(s, session, card, pin_hash, *ch).await;
        }
        Ok(SetupAuthentication::Failed) => {
            let text = outcome_text(Outcome::AuthenticationFailed);
            return s.error(text, Form::Register);
        }
        Err(_) => {
            return s.error(Msg::EpTryAgain, Form::Register);
        }
    };
    let check = IssuerCheck {
        merchant_id: &s.row.merchant_id,
        currency,
        card: (&pan, &expiry, Some(&cvc)),
        authentication: authentication.as_ref(),
        payment_intent: &s.pi.id,
    };
    let outcome = verify_at_issuer(&s.st, &check).await;
    if outcome != Outcome::Registered {
        return s.error(outcome_text(outcome), Form::Register);
    }
    keep_card(s, session, (pan, expiry), pin_hash).await
}

/// The verified card `(pan, expiry)` sealed and added to the wallet with the new PIN, in one
/// commit; then the pay form. A card sealed in the remote vault but not kept is discarded.
async fn keep_card(
    s: &Step,
    session: Session,
    (pan, expiry): (Pan, Expiry),
    pin_hash: String,
) -> Response {
    let now = s.st.now();
    let Ok(sealed) = seal_card(&s.st, pan, expiry, now).await else {
        return s.error(Msg::EpTryAgain, Form::Register);
    };
    let remote: Vec<RemoteRecord> = sealed.remote.into_iter().collect();
    let (w, ops) = match registered(&s.st, &session, sealed.card, pin_hash, ctx_of(s), now).await {
        Ok(done) => done,
        Err(kept) => {
            s.st.card_vault.discard(&remote).await;
            return match kept {
                Some(full) => s.render(200, None, Form::Pay { cards: &full.cards }),
                None => s.error(Msg::EpTryAgain, Form::Register),
            };
        }
    };
    // A challenge this flow left waiting for another card is given up with this commit.
    let mut session = session;
    let mut ops: Vec<Op> = sealed.op.into_iter().chain(ops).collect();
    ops.extend(super::three_ds::abandon(&s.st, &mut session));
    if session.outcome.take().is_some() {
        ops.push(session.save(now));
    }
    if let Err(r) = s.commit_sealed(ops, &remote).await {
        return r;
    }
    let done = outcome_text(Outcome::Registered);
    s.render(
        200,
        Some((MessageKind::Success, done)),
        Form::Pay { cards: &w.cards },
    )
}

/// The wallet of `session`'s proved phone with `card` added (a new wallet, or one whose cards
/// were all removed, takes the new PIN) and the ops storing it with its audit entries.
/// Err(Some) is a wallet that already has cards (nothing to register), Err(None) a failure.
pub(super) async fn registered(
    st: &AppState,
    session: &Session,
    card: WalletCard,
    pin_hash: String,
    ctx: (Option<&str>, Option<&str>),
    now: i64,
) -> Result<(Wallet, Vec<Op>), Option<Wallet>> {
    let (Some(id), Some(masked)) = (&session.wallet_id, &session.phone_masked) else {
        return Err(None);
    };
    let mut w = match Wallet::load(st, id).await {
        Ok(Some(w)) if !w.cards.is_empty() => return Err(Some(w)),
        Ok(Some(mut w)) => {
            w.pin_hash = pin_hash;
            w
        }
        Ok(None) => Wallet::new(id, masked.clone(), session.livemode, pin_hash, now),
        Err(_) => return Err(None),
    };
    w.push_card(card).map_err(|_| None)?;
    let ops = vec![
        w.save(),
        entry(&w, AuditEvent::PhoneVerified, ctx, "payer", now),
        entry(&w, AuditEvent::PinSet, ctx, "payer", now),
        entry(&w, AuditEvent::CardAdded, ctx, "payer", now),
    ];
    Ok((w, ops))
}

/// The registration form's PIN (checked against the weak-PIN rules) and card (the card
/// rules: Luhn, expiry, CVC format); Err is the reason to show with the form again.
fn registration<'a>(f: impl Fn(&str) -> &'a str) -> Result<(Pan, Expiry, Cvc), Msg> {
    if let Err(rule) = pin::check_new(f("pin"), f("pin_confirmation")) {
        return Err(super::pin_steps::rule_text(rule));
    }
    let card = Pan::parse(f("card_number")).and_then(|pan| {
        let month = f("exp_month").parse().unwrap_or(0);
        let exp = Expiry::new(month, f("exp_year").parse().unwrap_or(0))?;
        let cvc = Cvc::parse(f("cvc"), pan.brand())?;
        Ok((pan, exp, cvc))
    });
    let Ok((pan, expiry, cvc)) = card else {
        return Err(Msg::EpCardInvalid);
    };
    if expiry.is_expired_at(crate::cards::current_year(), crate::cards::current_month()) {
        return Err(outcome_text(Outcome::ExpiredCard));
    }
    Ok((pan, expiry, cvc))
}

/// A card being registered, as the issuer is asked about it.
pub(super) struct IssuerCheck<'a> {
    /// The merchant whose payment registers the card (the acceptor of the message).
    pub merchant_id: &'a str,
    pub currency: Currency,
    pub card: (&'a Pan, &'a Expiry, Option<&'a Cvc>),
    /// The 3-D Secure result, when the card required one.
    pub authentication: Option<&'a Authentication>,
    /// For the log line.
    pub payment_intent: &'a str,
}

/// The issuer's account verification of a card being registered (ISO 8583 0100, amount 0,
/// with the CVC and the 3-D Secure result, stored credential "initial").
pub(super) async fn verify_at_issuer(st: &AppState, c: &IssuerCheck<'_>) -> Outcome {
    let (pan, expiry, cvc) = c.card;
    let card = CardVerification {
        merchant_id: c.merchant_id,
        pan,
        expiry,
        cvc,
        currency: c.currency,
        authentication: c.authentication,
        store_for_later: true,
    };
    match verify_card(st, &card).await {
        Ok(Verification::Verified { .. }) => Outcome::Registered,
        Ok(declined) => {
            let code = declined
                .error()
                .and_then(|e| e.code)
                .unwrap_or("card_declined");
            tracing::info!(payment_intent = %c.payment_intent, code, "easy_pay card registration declined");
            match code {
                "incorrect_cvc" => Outcome::IncorrectCvc,
                "expired_card" => Outcome::ExpiredCard,
                "authentication_required" => Outcome::AuthenticationRequired,
                _ => Outcome::Declined,
            }
        }
        Err(_) => Outcome::Unavailable,
    }
}
