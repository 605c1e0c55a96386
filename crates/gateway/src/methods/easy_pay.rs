//! 간편결제 (`payment_method_data[type]=easy_pay`): the confirm puts the intent in
//! `requires_action` with a redirect to the wallet page (`/pay/easy_pay/{pi}?t=…`,
//! [`crate::easy_pay_pages`]); the page authorizes with the wallet's card through the card
//! engine's `Authorize` ([`pay`]) once the payer gave the PIN. The charge shows
//! `payment_method_details.type=easy_pay` with brand and last 4 and the masked phone.

use super::{Confirm, PaymentMethodKind};
use crate::api::respond::Responder;
use crate::cards::{VaultedKind, new_vaulted};
use crate::easy_pay::{Wallet, WalletCard};
use crate::engine::authorize::{Authorize, authorize};
use crate::engine::{Answer, RequestContext, Respond};
use crate::error::{ApiError, ApiResult};
use crate::http::Ctx;
use crate::ids::new_id;
use crate::models::{PaymentIntent, from_value, to_value};
use crate::records::event;
use crate::render::public;
use crate::state::{AppState, SharedState};
use crate::three_ds::confirm::write_intent;
use paygate_payer_pages::{CsrfError, Purpose};
use paygate_payments::intent::check;
use paygate_payments::{BoxFuture, IntentOp, NextAction, PaymentIntentStatus as Status};
use paygate_store::{ObjectRow, WriteUnit};
use serde_json::{Value, json};

/// The token `t` of `/pay/easy_pay/{payment_intent}?t=…`.
pub fn page_token(st: &AppState, payment_intent: &str, expires_at: i64) -> String {
    st.pages
        .csrf
        .issue(Purpose::EasyPayPage, payment_intent, expires_at)
}

/// Checks a page token for `payment_intent` at `now`.
pub fn verify_page_token(
    st: &AppState,
    token: &str,
    payment_intent: &str,
    now: i64,
) -> Result<(), CsrfError> {
    st.pages
        .csrf
        .verify(token, Purpose::EasyPayPage, payment_intent, now)
}

/// Confirms `c` with easy_pay: `requires_action` until the payer pays on the wallet page.
pub async fn confirm(ctx: &mut Ctx, c: Confirm) -> ApiResult<Value> {
    if let Some(mut pmd) = ctx.params.object("payment_method_data")? {
        pmd.enum_str("type", &["card", "isp", "easy_pay", "mobile_carrier"])?;
        pmd.allow(&["billing_details", "metadata"]);
        pmd.deny_unknown()?;
    }
    let respond = Responder::new(ctx, c.expands.clone());
    let rc = &ctx.rc;
    let Confirm {
        intent: mut pi,
        version,
        pre: mut ops,
        ..
    } = c;
    let Some(return_url) = pi.return_url.clone() else {
        return Err(ApiError::invalid(
            "return_url",
            "parameter_missing",
            "Missing required param: return_url. An easy_pay payment redirects the customer \
             to their wallet: give the return_url they come back to.",
        ));
    };
    pi.money()?;
    if let Some(finish) = crate::three_ds::finish_transaction(&pi) {
        ops.push(finish);
    }
    let due = rc.now + rc.st.cfg.requires_action_ttl_s;
    let token = page_token(&rc.st, &pi.id, due);
    let url = rc
        .st
        .pages
        .url(&format!("/pay/easy_pay/{}?t={token}", pi.id));
    pi.status = Status::RequiresAction;
    pi.next_action = Some(NextAction::redirect(url, Some(return_url)));
    pi.three_ds = None;
    pi.payment_method = None;
    pi.last_payment_error = None;
    let doc = to_value(&pi);
    write_intent(&mut ops, &pi.id, version, &doc, Some(due));
    ops.push(event(
        &rc.scope(),
        "payment_intent.requires_action",
        &doc,
        rc.idempotency_key(),
        rc.now,
    ));
    let body = respond
        .body(&Answer {
            primary: doc,
            charge: None,
        })
        .await?;
    rc.commit_requires_action(WriteUnit { ops }, body, PaymentMethodKind::EasyPay)
        .await
}

/// Renders an engine answer as the stored public object.
struct Plain;

impl Respond for Plain {
    fn body<'a>(&'a self, answer: &'a Answer) -> BoxFuture<'a, ApiResult<Value>> {
        Box::pin(async move { Ok(public(answer.primary.clone())) })
    }
}

/// `payment_method_details` of an easy_pay charge from the card details the engine made.
pub fn charge_details(card_details: &Value, wallet: &Value) -> Value {
    let c = &card_details["card"];
    json!({"type": "easy_pay", "easy_pay": {
        "brand": c["brand"], "last4": c["last4"], "exp_month": c["exp_month"],
        "exp_year": c["exp_year"], "fingerprint": c["fingerprint"], "network": c["network"],
        "network_transaction_id": c["network_transaction_id"],
        "authorization_code": c["authorization_code"],
        "phone": wallet["phone"], "wallet_card": wallet["wallet_card"],
    }})
}

/// Authorizes the intent in `row` with the wallet's card `card` (the PIN was checked): a new
/// PaymentMethod of the merchant over the opened card, then the card engine. Ok is the
/// public intent, Err the Stripe error (a decline leaves it in `requires_payment_method`).
pub async fn pay(
    st: &SharedState,
    row: &ObjectRow,
    wallet: &Wallet,
    card: &WalletCard,
) -> ApiResult<Value> {
    let pi: PaymentIntent = from_value(row.data.clone())?;
    check(pi.status, IntentOp::Confirm).map_err(ApiError::from)?;
    let merchant = st
        .merchant(&row.merchant_id)
        .await?
        .ok_or_else(|| ApiError::internal("the intent's merchant is missing"))?;
    let rc = RequestContext::new(st.clone(), new_id("req"), merchant, row.livemode, None);
    let data = Wallet::open_card(st, card).await?;
    let kind = VaultedKind::Card { with_cvc: false };
    let auth_card =
        new_vaulted(st, &rc.scope(), (data.pan, data.expiry, None), kind, rc.now).await?;
    let mut pi = pi;
    let mut pre = Vec::new();
    if let Some(finish) = crate::three_ds::finish_transaction(&pi) {
        pre.push(finish);
    }
    pi.next_action = None;
    pi.three_ds = None;
    let cmd = Authorize {
        intent: pi,
        version: Some(row.version),
        pre,
        payment: crate::engine::payment::AuthPayment::Card(auth_card),
        authentication: None,
        three_d_secure: None,
        isp: None,
        easy_pay: Some(json!({"phone": wallet.phone_masked, "wallet_card": card.id})),
        credential_on_file: None,
        card_present: None,
    };
    authorize(&rc, &Plain, cmd).await
}
