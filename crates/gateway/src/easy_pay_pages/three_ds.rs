//! 3-D Secure when a card is registered in the wallet (issue 11 §2: "3DS when the card
//! requires it"): the same non-payment authentication as a SetupIntent's
//! ([`crate::setup_intents::three_ds::authenticate_add_card`]: 02-NPA, "add card", amount 0)
//! and the same `/pay/3ds/{id}/…` pages ([`crate::three_ds::pages`]), with the flow's session
//! (`eps_{pi}`) as the object the challenge serves:
//!
//! 1. [`challenge`]: the card is sealed in the card vault (not yet in the wallet), the new PIN's hash
//!    and the challenge kept in the session, the CVC in memory only; the page answers 303 to
//!    `/pay/3ds/eps_…/start?client_secret=…`, the hand-off to the issuer's ACS.
//! 2. The ACS, the RReq and the CRes as for a payment; [`resume`] then runs the account
//!    verification with ECI/CAVV and adds the card to the wallet (or records why not), and
//!    the payer returns to the wallet page ([`wallet_page_url`]), which tells the outcome.
//! 3. [`abandon`]: a payer back on the wallet page while the challenge waits gave up on it —
//!    the card is not registered and a late CRes or RReq is refused.

use super::flow::Form;
use super::flow::Step;
use super::register::{IssuerCheck, registered, verify_at_issuer};
use super::session::{PendingRegistration, RegistrationOutcome as Outcome, Session};
use crate::easy_pay::Wallet;
use crate::easy_pay::wallet::seal_card;
use crate::error::{ApiError, ApiResult};
use crate::ids::random_base62;
use crate::models::ThreeDsAttempt;
use crate::pages::respond;
use crate::setup_intents::three_ds::transaction_lookup;
use crate::state::{AppState, SharedState};
use axum::response::Response;
use paygate_ledger::Currency;
use paygate_payer_pages::{self as pp, Msg, WebUrl};
use paygate_store::{ObjectRow, Op, Scope, WriteUnit};
use paygate_three_ds::{Challenge, CresAccepted};
use paygate_vault::{Cvc, Expiry, Pan};

/// The field of the challenge's lookup object naming the session.
pub const LOOKUP_FIELD: &str = "easy_pay_session";

/// The challenge starts: one commit of the sealed card, the session waiting for it and the
/// lookup the RReq finds it by; then the hand-off to the ACS.
pub(super) async fn challenge(
    s: &Step,
    mut session: Session,
    (pan, expiry, cvc): (Pan, Expiry, Cvc),
    pin_hash: String,
    ch: Challenge,
) -> Response {
    let now = s.st.now();
    let Ok(sealed) = seal_card(&s.st, pan, expiry, now).await else {
        return s.error(Msg::EpTryAgain, Form::Register);
    };
    let card = sealed.card;
    let id = super::session::id(&s.pi.id);
    let scope = Scope {
        merchant_id: s.row.merchant_id.clone(),
        livemode: s.row.livemode,
    };
    let mut ops: Vec<Op> = sealed.op.into_iter().collect();
    ops.extend(abandon(&s.st, &mut session));
    ops.push(transaction_lookup(&scope, &ch, LOOKUP_FIELD, &id, now));
    s.st.remember_cvc(&card.vault_id, cvc);
    let secret = format!("{id}_secret_{}", random_base62(24));
    session.registration = Some(PendingRegistration { card, pin_hash });
    session.three_ds = Some(ThreeDsAttempt {
        pending: ch.pending.clone(),
        creq: ch.creq.clone(),
    });
    session.client_secret = Some(secret.clone());
    session.outcome = None;
    ops.push(session.save(now));
    if let Err(r) = s.commit_sealed(ops, sealed.remote.as_slice()).await {
        return r;
    }
    let start =
        s.st.pages
            .url(&format!("/pay/3ds/{id}/start?client_secret={secret}"));
    match WebUrl::parse("start", &start) {
        Ok(u) => respond(pp::redirect(&s.ctx, &u)),
        Err(_) => s.error(Msg::EpTryAgain, Form::Register),
    }
}

/// Gives up the registration waiting for its challenge, if any: the ops finishing its lookup
/// (a late RReq or CRes is refused), the CVC forgotten, the outcome `abandoned`. The sealed
/// card stays an orphan vault record, as a SetupIntent's card after an abandoned challenge.
pub(super) fn abandon(st: &AppState, session: &mut Session) -> Vec<Op> {
    let Some(reg) = session.registration.take() else {
        return Vec::new();
    };
    let _ = st.take_cvc(&reg.card.vault_id);
    session.outcome = Some(Outcome::Abandoned);
    session
        .three_ds
        .take()
        .map(|a| crate::three_ds::finish_lookup(a.pending.three_ds_server_trans_id))
        .into_iter()
        .collect()
}

/// The wallet page of intent `pi` with a fresh page token: where the payer returns after
/// the issuer's challenge.
pub fn wallet_page_url(st: &AppState, pi: &str) -> Option<WebUrl> {
    let expires = st.now() + st.cfg.requires_action_ttl_s;
    let token = crate::methods::easy_pay::page_token(st, pi, expires);
    WebUrl::parse(
        "wallet",
        &st.pages.url(&format!("/pay/easy_pay/{pi}?t={token}")),
    )
    .ok()
}

/// The payer is back from the challenge with a CRes that matched the stored transaction
/// (`row` is the session): the card is verified with the authentication result and joins
/// the wallet, or the session records why it did not. Err is a server error.
pub async fn resume(st: &SharedState, row: &ObjectRow, accepted: CresAccepted) -> ApiResult<()> {
    let mut session = Session::from_row(row)?;
    let Some(reg) = session.registration.take() else {
        return Err(ApiError::bad_param(
            "cres",
            "No card registration waits for this authentication.",
        ));
    };
    let mut ops: Vec<Op> = session
        .three_ds
        .take()
        .map(|a| crate::three_ds::finish_lookup(a.pending.three_ds_server_trans_id))
        .into_iter()
        .collect();
    let cvc = st.take_cvc(&reg.card.vault_id);
    let (_, pi) = crate::payer_flow::load(st, &session.payment_intent)
        .await
        .ok_or_else(|| ApiError::internal("the wallet flow's intent is missing"))?;
    let now = st.now();
    let mut outcome = Outcome::AuthenticationFailed;
    if accepted.outcome.is_authenticated_or_attempted() {
        let data = Wallet::open_card(st, &reg.card).await?;
        let authentication = accepted.outcome.authorization_data();
        let check = IssuerCheck {
            merchant_id: &row.merchant_id,
            currency: Currency::parse(&pi.currency).unwrap_or(Currency::KRW),
            card: (&data.pan, &data.expiry, cvc.as_ref()),
            authentication: authentication.as_ref(),
            payment_intent: &pi.id,
        };
        outcome = verify_at_issuer(st, &check).await;
    }
    if outcome == Outcome::Registered {
        let ctx = (Some(pi.id.as_str()), Some(row.merchant_id.as_str()));
        match registered(st, &session, reg.card, reg.pin_hash, ctx, now).await {
            Ok((_, wallet_ops)) => ops.extend(wallet_ops),
            // Another tab registered a card meanwhile: this one is not needed.
            Err(Some(_)) => {}
            Err(None) => return Err(ApiError::internal("the wallet could not be read")),
        }
    }
    tracing::info!(payment_intent = %pi.id, outcome = ?outcome, "easy_pay card registration after 3-D Secure");
    session.outcome = Some(outcome);
    ops.push(session.save(now));
    st.store
        .commit(WriteUnit { ops })
        .await
        .map_err(ApiError::internal)?;
    Ok(())
}
