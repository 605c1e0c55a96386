//! The carrier's HTTP JSON API as paygate calls it.

use serde::Deserialize;
use serde_json::{Value, json};
use std::time::Duration;

/// A payment as the carrier shows it (no phone number beyond the last 4 digits).
#[derive(Clone, Debug, Deserialize)]
pub struct CarrierPayment {
    pub id: String,
    pub status: String,
    pub carrier: String,
    pub phone_last4: Option<String>,
    pub amount: i64,
    pub code_expires: i64,
    pub billing_month: Option<String>,
    /// The SMS gateway's id of the message a start or resend sent the code in.
    #[serde(default)]
    pub sms_id: Option<String>,
}

/// Why a carrier call did not give a payment.
#[derive(Debug)]
pub enum CarrierError {
    /// The carrier answered with a refusal (its code, message and field).
    Refused {
        status: u16,
        code: String,
        message: String,
        param: Option<String>,
    },
    /// No trustworthy answer (unreachable, timeout, unreadable).
    Unavailable(String),
}

impl std::fmt::Display for CarrierError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            CarrierError::Refused { code, message, .. } => write!(f, "{code}: {message}"),
            CarrierError::Unavailable(why) => write!(f, "carrier unavailable: {why}"),
        }
    }
}

/// What a payment is started with.
pub struct StartRequest<'a> {
    pub merchant: &'a str,
    /// Our name for it (the PaymentIntent id), in the settlement file.
    pub reference: &'a str,
    pub amount: i64,
    pub carrier: &'a str,
    pub phone: &'a str,
    pub birth_date: &'a str,
}

/// The carrier's API at `base_url`.
#[derive(Clone)]
pub struct CarrierClient {
    base_url: String,
    http: reqwest::Client,
}

impl CarrierClient {
    pub fn new(base_url: &str, timeout: Duration) -> Result<CarrierClient, String> {
        let http = reqwest::Client::builder()
            .timeout(timeout)
            .build()
            .map_err(|e| e.to_string())?;
        Ok(CarrierClient {
            base_url: base_url.trim_end_matches('/').to_owned(),
            http,
        })
    }

    /// Asks the carrier to check the subscriber and send the code.
    pub async fn start(&self, r: &StartRequest<'_>) -> Result<CarrierPayment, CarrierError> {
        let body = json!({"merchant": r.merchant, "reference": r.reference, "amount": r.amount,
            "currency": "krw", "carrier": r.carrier, "phone": r.phone, "birth_date": r.birth_date});
        self.post("/v1/payments", &body).await
    }

    /// A new code for `id` (the phone is named again: the carrier keeps no number).
    pub async fn resend(&self, id: &str, phone: &str) -> Result<CarrierPayment, CarrierError> {
        self.post(
            &format!("/v1/payments/{id}/resend"),
            &json!({"phone": phone}),
        )
        .await
    }

    /// Checks the code the subscriber typed.
    pub async fn verify(&self, id: &str, code: &str) -> Result<CarrierPayment, CarrierError> {
        self.post(&format!("/v1/payments/{id}/verify"), &json!({"code": code}))
            .await
    }

    /// Charges the confirmed payment `id` to this month's bill.
    pub async fn charge(&self, id: &str, amount: i64) -> Result<CarrierPayment, CarrierError> {
        self.post(
            &format!("/v1/payments/{id}/charge"),
            &json!({"amount": amount}),
        )
        .await
    }

    /// Cancels `id` (in full: `amount` must be the payment's), or voids it when not charged.
    pub async fn cancel(
        &self,
        id: &str,
        amount: Option<i64>,
    ) -> Result<CarrierPayment, CarrierError> {
        self.post(
            &format!("/v1/payments/{id}/cancel"),
            &json!({"amount": amount}),
        )
        .await
    }

    /// The settlement file of `merchant` for `month` (`YYYY-MM`), as text.
    pub async fn settlement(&self, merchant: &str, month: &str) -> Result<String, CarrierError> {
        // Merchant ids (`acct_…`) and months are URL-safe as they are.
        let url = format!(
            "{}/v1/settlements?merchant={merchant}&month={month}",
            self.base_url
        );
        let resp = self
            .http
            .get(url)
            .send()
            .await
            .map_err(|e| CarrierError::Unavailable(e.to_string()))?;
        if !resp.status().is_success() {
            return Err(CarrierError::Unavailable(format!("HTTP {}", resp.status())));
        }
        resp.text()
            .await
            .map_err(|e| CarrierError::Unavailable(e.to_string()))
    }

    /// POSTs `body` to the carrier in a span `carrier.request` (the path: ids only; the phone
    /// number and the code travel in the body and are not recorded).
    async fn post(&self, path: &str, body: &Value) -> Result<CarrierPayment, CarrierError> {
        let span = tracing::debug_span!(
            "carrier.request",
            url.path = path,
            error = tracing::field::Empty
        );
        let answer =
            tracing::Instrument::instrument(self.post_once(path, body), span.clone()).await;
        if answer.is_err() {
            span.record("error", true);
        }
        answer
    }

    async fn post_once(&self, path: &str, body: &Value) -> Result<CarrierPayment, CarrierError> {
        let resp = self
            .http
            .post(format!("{}{path}", self.base_url))
            .json(body)
            .send()
            .await
            .map_err(|e| CarrierError::Unavailable(e.to_string()))?;
        let status = resp.status();
        let v: Value = resp
            .json()
            .await
            .map_err(|e| CarrierError::Unavailable(e.to_string()))?;
        if status.is_success() {
            return serde_json::from_value(v).map_err(|e| CarrierError::Unavailable(e.to_string()));
        }
        if status.is_server_error() {
            return Err(CarrierError::Unavailable(format!("HTTP {status}")));
        }
        let e = &v["error"];
        Err(CarrierError::Refused {
            status: status.as_u16(),
            code: e["code"].as_str().unwrap_or("carrier_error").to_owned(),
            message: e["message"].as_str().unwrap_or("").to_owned(),
            param: e["param"].as_str().map(str::to_owned),
        })
    }
}
