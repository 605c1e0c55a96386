//! A terminal's purchase (0200, processing code 00) as a PaymentIntent: created and confirmed
//! in one run of the engine's `Authorize` (the same phases, ledger, events and recovery as an
//! online card payment), with the card read relayed to the issuer. The terminal's request name
//! (DE 41, DE 11, DE 7) is the idempotency key: a retransmission gets the recorded answer, a
//! request still running gets none (the terminal times out and reverses).

use super::answer::{self, Answer};
use super::terminal_request::{FormatError, money, presented_card};
use super::terminals::Terminal;
use crate::api::intent_params::IntentCreate;
use crate::engine::{self, RequestContext, Respond};
use crate::error::ApiResult;
use crate::ids::new_id;
use crate::models::to_value;
use crate::records::{event, insert};
use crate::state::SharedState;
use paygate_iso8583::Message;
use paygate_payments::{BoxFuture, CaptureMethod};
use paygate_store::{MerchantRow, Scope};
use serde_json::{Value, json};

/// The idempotency key of a terminal's request.
pub fn request_key(terminal: &Terminal, stan: &str, transmitted_at: &str) -> String {
    format!("pos:{}:{stan}:{transmitted_at}", terminal.terminal_id)
}

/// The answer body stored under the key: the object (intent or refund) and its charge.
pub struct PosRespond;

impl Respond for PosRespond {
    fn body<'a>(&'a self, a: &'a engine::Answer) -> BoxFuture<'a, ApiResult<Value>> {
        Box::pin(async move {
            Ok(
                json!({a.primary["object"].as_str().unwrap_or("object"): a.primary, "charge": a.charge}),
            )
        })
    }
}

/// Runs the purchase `msg` of `terminal` for `merchant`; the answer to send back.
pub async fn purchase(
    st: &SharedState,
    terminal: &Terminal,
    merchant: MerchantRow,
    msg: &Message,
    key: String,
) -> Result<Option<Answer>, FormatError> {
    let scope = Scope {
        merchant_id: merchant.id.clone(),
        livemode: false,
    };
    if let Ok(Some(row)) = st.store.idempotency_get(&scope, &key).await {
        // A retransmission: the recorded answer, or none while the first is still running.
        return Ok(match row.body {
            Some(body) => answer::from_stored(st, &scope, &body).await,
            None => None,
        });
    }
    let (amount, currency) = money(msg)?;
    let card = presented_card(msg)?;
    let hash = format!(
        "{amount}:{}:{}",
        currency.numeric(),
        card.read.card_read().read_method()
    );
    let rc = RequestContext::new(
        st.clone(),
        new_id("req"),
        merchant,
        false,
        Some((key, hash)),
    );
    let params = IntentCreate {
        amount,
        currency,
        automatic_payment_methods: None,
        capture_method: CaptureMethod::Automatic,
        confirm: true,
        confirmation_method: Default::default(),
        customer: None,
        description: Some(format!("In store, terminal {}", terminal.terminal_id)),
        metadata: serde_json::Map::from_iter([(
            "terminal_id".to_owned(),
            json!(terminal.terminal_id),
        )]),
        payment_method: None,
        payment_method_types: vec!["card_present".into()],
        receipt_email: None,
        statement_descriptor: None,
        attempt: Default::default(),
        expand: Vec::new(),
    };
    let (pi, _, _) = crate::api::payment_intents::new_intent(params, rc.now, false);
    let doc = to_value(&pi);
    let pre = vec![
        insert(&scope, "payment_intent", None, &doc, rc.now),
        event(
            &scope,
            "payment_intent.created",
            &doc,
            rc.idempotency_key(),
            rc.now,
        ),
    ];
    let Ok(auth_card) =
        crate::cards::new_card(st, &scope, card.pan, card.expiry, None, rc.now).await
    else {
        return Err(FormatError("DE 2"));
    };
    let cmd = engine::Authorize {
        intent: pi.clone(),
        version: None,
        pre,
        payment: crate::engine::payment::AuthPayment::Card(auth_card),
        authentication: None,
        three_d_secure: None,
        isp: None,
        easy_pay: None,
        credential_on_file: None,
        card_present: Some(card.read),
    };
    let result = engine::authorize::authorize(&rc, &PosRespond, cmd).await;
    if let Err(e) = &result {
        tracing::info!(payment_intent = %pi.id, error = %e.message, "store payment not approved");
    }
    Ok(answer::of_intent(st, &scope, &pi.id).await)
}
