//! The HTTP routes of the carrier (JSON in, JSON out; refusals as
//! `{"error":{"code","message","param"}}`):
//!
//! - `POST /v1/payments {merchant, reference, amount, currency, carrier, phone, birth_date}` →
//!   201 the payment (`code_sent`; the code went to the phone by SMS);
//! - `POST /v1/payments/{id}/resend`, `POST /v1/payments/{id}/verify {code}`,
//!   `POST /v1/payments/{id}/charge {amount}`, `POST /v1/payments/{id}/cancel {amount}`;
//! - `GET /v1/payments/{id}`; `GET /v1/settlements?merchant=…&month=YYYY-MM` (text).

use std::sync::Arc;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::rules::{self, Refusal, Start};
use crate::settlement;
use crate::store::{self, Payment, Store};
use crate::subscribers::Carrier;
use paygate_sim_kit::clock::SimClock;
use paygate_sim_kit::faults::Faults;

const MAX_BODY_BYTES: usize = 8 * 1024;

/// What the handlers share.
pub(crate) struct Shared {
    pub store: Arc<Store>,
    pub faults: Arc<Faults>,
    pub sms_url: Option<String>,
    pub client: reqwest::Client,
    pub clock: SimClock,
}

type S = State<Arc<Shared>>;

pub(crate) fn router(shared: Arc<Shared>) -> Router {
    Router::new()
        .route("/v1/payments", post(start))
        .route("/v1/payments/{id}", get(show))
        .route("/v1/payments/{id}/resend", post(resend))
        .route("/v1/payments/{id}/verify", post(verify))
        .route("/v1/payments/{id}/charge", post(charge))
        .route("/v1/payments/{id}/cancel", post(cancel))
        .route("/v1/settlements", get(settlement_file))
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .with_state(shared)
}

fn answer(status: StatusCode, body: Value) -> Response {
    let h = [(header::CONTENT_TYPE, "application/json")];
    (status, h, body.to_string()).into_response()
}

fn refusal(r: Refusal) -> Response {
    let status = StatusCode::from_u16(r.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let body = json!({"error": {"code": r.code, "message": r.message, "param": r.param}});
    answer(status, body)
}

fn invalid(param: &'static str, rule: &str) -> Refusal {
    Refusal::new(400, "parameter_invalid", format!("{param} {rule}")).param(param)
}

fn view(p: &Payment) -> Value {
    let mut v = serde_json::to_value(p).unwrap_or(Value::Null);
    v["object"] = json!("carrier_payment");
    v["phone_last4"] = json!(p.phone_masked.get(p.phone_masked.len().saturating_sub(4)..));
    v
}

fn result(r: Result<Payment, Refusal>, ok: StatusCode) -> Response {
    match r {
        Ok(p) => answer(ok, view(&p)),
        Err(e) => refusal(e),
    }
}

#[derive(Deserialize)]
struct StartReq {
    merchant: Option<String>,
    reference: Option<String>,
    amount: Option<i64>,
    currency: Option<String>,
    carrier: Option<String>,
    phone: Option<String>,
    birth_date: Option<String>,
}

/// Parses and checks a start request's fields.
fn parse_start(req: &StartReq) -> Result<(Carrier, String), Refusal> {
    let nonempty =
        |v: &Option<String>| v.as_deref().is_some_and(|s| !s.is_empty() && s.len() <= 64);
    if !nonempty(&req.merchant) {
        return Err(invalid("merchant", "is required (1 to 64 characters)"));
    }
    if !nonempty(&req.reference) {
        return Err(invalid("reference", "is required (1 to 64 characters)"));
    }
    if req.currency.as_deref() != Some("krw") {
        return Err(invalid("currency", "must be krw"));
    }
    if !req
        .amount
        .is_some_and(|a| (1..=rules::MAX_AMOUNT).contains(&a))
    {
        return Err(invalid("amount", "must be 1 to 1000000 KRW"));
    }
    let carrier = req.carrier.as_deref().and_then(Carrier::parse);
    let carrier = carrier.ok_or_else(|| invalid("carrier", "must be one of skt, kt, lgu, mvno"))?;
    let phone: String = req
        .phone
        .as_deref()
        .unwrap_or("")
        .chars()
        .filter(|c| *c != '-')
        .collect();
    if !(phone.len() == 10 || phone.len() == 11)
        || !phone.starts_with("01")
        || !phone.chars().all(|c| c.is_ascii_digit())
    {
        return Err(invalid(
            "phone",
            "must be a Korean mobile number, 01X and 10 or 11 digits",
        ));
    }
    let bd = req.birth_date.as_deref().unwrap_or("");
    if bd.len() != 8 || !bd.chars().all(|c| c.is_ascii_digit()) {
        return Err(invalid("birth_date", "must be YYYYMMDD"));
    }
    Ok((carrier, phone))
}

async fn start(State(sh): S, raw: Bytes) -> Response {
    let Ok(req) = serde_json::from_slice::<StartReq>(&raw) else {
        return refusal(invalid("body", "must be a JSON object"));
    };
    let (carrier, phone) = match parse_start(&req) {
        Ok(v) => v,
        Err(r) => return refusal(r),
    };
    if let Some(code) = sh.faults.decline() {
        return refusal(Refusal::new(503, code, "the carrier is not available"));
    }
    let code = match rules::new_code() {
        Ok(c) => c,
        Err(r) => return refusal(r),
    };
    let s = Start {
        merchant: req.merchant.as_deref().unwrap_or_default(),
        reference: req.reference.as_deref().unwrap_or_default(),
        carrier,
        phone: &phone,
        birth_date: req.birth_date.as_deref().unwrap_or_default(),
        amount: req.amount.unwrap_or_default(),
    };
    let now = sh.clock.now();
    let p = match sh.store.tx(|tx| rules::start(tx, &s, &code, now)) {
        Ok(p) => p,
        Err(r) => return refusal(r),
    };
    match send_code(&sh, &phone, &code, p.amount).await {
        Ok(sms_id) => answer(StatusCode::CREATED, with_sms_id(view(&p), sms_id)),
        Err(r) => refusal(r),
    }
}

/// The answer to a start or resend names the message the code went out in (`sms_id`, the SMS
/// gateway's id), so the merchant's test helper can list that message.
fn with_sms_id(mut v: Value, sms_id: Option<String>) -> Value {
    v["sms_id"] = json!(sms_id);
    v
}

/// Sends `code` to `phone` through the SMS gateway; the gateway's message id.
async fn send_code(
    sh: &Shared,
    phone: &str,
    code: &str,
    amount: i64,
) -> Result<Option<String>, Refusal> {
    let Some(url) = &sh.sms_url else {
        return Err(Refusal::new(
            503,
            "sms_unavailable",
            "the carrier has no SMS gateway",
        ));
    };
    let body = format!("[휴대폰결제] 인증번호 {code} ({amount}원 결제). 3분 안에 입력하세요.");
    let msg = json!({"phone": phone, "body": body, "sender": "carrier"});
    let sent = sh
        .client
        .post(format!("{url}/v1/messages"))
        .json(&msg)
        .send()
        .await;
    match sent {
        Ok(r) if r.status().is_success() => {
            let sent: Value = r.json().await.unwrap_or(Value::Null);
            Ok(sent["id"].as_str().map(str::to_owned))
        }
        Ok(r) => Err(Refusal::new(
            503,
            "sms_undeliverable",
            format!("the SMS gateway answered {}", r.status()),
        )),
        Err(e) => Err(Refusal::new(
            503,
            "sms_undeliverable",
            format!("the SMS gateway is unreachable: {e}"),
        )),
    }
}

async fn show(State(sh): S, Path(id): Path<String>) -> Response {
    let r = sh.store.tx(|tx| {
        store::get(tx, &id)?
            .ok_or_else(|| Refusal::new(404, "payment_not_found", "No such payment."))
    });
    result(r, StatusCode::OK)
}

/// The phone of a payment is not stored: a resend asks for it again and checks it.
#[derive(Deserialize)]
struct ResendReq {
    phone: Option<String>,
}

async fn resend(State(sh): S, Path(id): Path<String>, raw: Bytes) -> Response {
    let req: ResendReq = serde_json::from_slice(&raw).unwrap_or(ResendReq { phone: None });
    let phone: String = req
        .phone
        .unwrap_or_default()
        .chars()
        .filter(|c| *c != '-')
        .collect();
    let code = match rules::new_code() {
        Ok(c) => c,
        Err(r) => return refusal(r),
    };
    let now = sh.clock.now();
    let p = match sh.store.tx(|tx| rules::resend(tx, &id, &phone, &code, now)) {
        Ok(p) => p,
        Err(r) => return refusal(r),
    };
    match send_code(&sh, &phone, &code, p.amount).await {
        Ok(sms_id) => answer(StatusCode::OK, with_sms_id(view(&p), sms_id)),
        Err(r) => refusal(r),
    }
}

#[derive(Deserialize)]
struct VerifyReq {
    code: Option<String>,
}

async fn verify(State(sh): S, Path(id): Path<String>, raw: Bytes) -> Response {
    let code = serde_json::from_slice::<VerifyReq>(&raw)
        .ok()
        .and_then(|r| r.code);
    let Some(code) = code.filter(|c| c.len() == 6 && c.chars().all(|d| d.is_ascii_digit())) else {
        return refusal(invalid("code", "must be the 6 digits of the SMS"));
    };
    let now = sh.clock.now();
    result(
        sh.store.tx(|tx| rules::verify(tx, &id, &code, now)),
        StatusCode::OK,
    )
}

#[derive(Deserialize)]
struct AmountReq {
    amount: Option<i64>,
}

async fn charge(State(sh): S, Path(id): Path<String>, raw: Bytes) -> Response {
    let Some(amount) = serde_json::from_slice::<AmountReq>(&raw)
        .ok()
        .and_then(|r| r.amount)
    else {
        return refusal(invalid("amount", "is required"));
    };
    if let Some(code) = sh.faults.decline() {
        return refusal(Refusal::new(402, code, "the carrier declined the charge"));
    }
    let now = sh.clock.now();
    result(
        sh.store.tx(|tx| rules::charge(tx, &id, amount, now)),
        StatusCode::OK,
    )
}

async fn cancel(State(sh): S, Path(id): Path<String>, raw: Bytes) -> Response {
    let amount = serde_json::from_slice::<AmountReq>(&raw)
        .ok()
        .and_then(|r| r.amount);
    let now = sh.clock.now();
    result(
        sh.store.tx(|tx| rules::cancel(tx, &id, amount, now)),
        StatusCode::OK,
    )
}

#[derive(Deserialize)]
struct SettlementQuery {
    merchant: Option<String>,
    month: Option<String>,
}

async fn settlement_file(State(sh): S, Query(q): Query<SettlementQuery>) -> Response {
    let (Some(merchant), Some(month)) = (q.merchant, q.month) else {
        return refusal(invalid("month", "and merchant are required"));
    };
    if !settlement::valid_month(&month) {
        return refusal(invalid("month", "must be YYYY-MM"));
    }
    match sh
        .store
        .tx(|tx| Ok(store::of_month(tx, &merchant, &month)?))
    {
        Ok(rows) => {
            let text = settlement::file(&merchant, &month, &rows);
            ([(header::CONTENT_TYPE, "text/plain; charset=utf-8")], text).into_response()
        }
        Err(e) => refusal(e),
    }
}
