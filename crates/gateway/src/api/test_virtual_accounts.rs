//! `POST /v1/test_helpers/virtual_accounts/{account_number}/deposit` with `amount` and
//! `depositor_name` (test mode, secret key): the payer deposits into one of the caller's
//! virtual accounts. The request goes to the bank over the link (telegram 1400), the bank
//! decides (more than what is left, or after expiry → refused, the money stays with the
//! payer) and sends its deposit notice over the link like any other; the answer is the
//! PaymentIntent once the gateway has committed that notice.

use crate::error::{ApiError, ApiResult};
use crate::http::{Ctx, Req, post};
use crate::models::from_value;
use crate::params::typed::{Int, Text};
use crate::render::public;
use crate::state::SharedState;
use crate::virtual_accounts::VirtualAccount;
use axum::extract::{Path, State};
use axum::response::Response;
use paygate_connector_bank::BankError;
use paygate_store::WriteUnit;
use serde::Deserialize;
use serde_json::Value;
use std::time::Duration;

/// Longest depositor name the bank's telegram carries, in bytes.
const DEPOSITOR_MAX_BYTES: usize = 30;
/// Longest wait for the bank's notice of an accepted deposit to be committed.
const NOTICE_WAIT: Duration = Duration::from_secs(10);
const NOTICE_POLL: Duration = Duration::from_millis(10);

#[derive(Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct DepositForm {
    amount: Option<Int>,
    depositor_name: Option<Text<100>>,
}

/// `POST /v1/test_helpers/virtual_accounts/{account_number}/deposit`.
pub async fn deposit(
    State(st): State<SharedState>,
    Path(number): Path<String>,
    req: Req,
) -> Response {
    post(st, req, move |ctx| run(ctx, number)).await
}

fn refusal(e: BankError, remaining: i64) -> ApiError {
    match e {
        BankError::Refused(c) if c == "V003" => ApiError::invalid(
            "amount",
            "amount_too_large",
            format!(
                "The bank refused the deposit: it is more than the {remaining} KRW left to pay; the money stays with the payer."
            ),
        ),
        BankError::Refused(c) if c == "V002" => ApiError::invalid(
            "account_number",
            "virtual_account_closed",
            "The bank refused the deposit: the virtual account is expired, closed or fully paid; the money stays with the payer.",
        ),
        BankError::Refused(c) => ApiError::bad_param(
            "account_number",
            format!("the bank refused the deposit ({c})"),
        ),
        BankError::Link(e) => ApiError::service_unavailable(
            "bank_unavailable",
            format!("The bank did not answer: {e}"),
        ),
    }
}

async fn run(ctx: Ctx, number: String) -> ApiResult<Value> {
    let mut ctx = ctx;
    if !ctx.caller.secret || ctx.caller.livemode {
        return Err(ApiError::forbidden(
            "Test helpers take a test-mode secret key (sk_test_…).",
        ));
    }
    let f: DepositForm = ctx.params.typed()?;
    let amount = f
        .amount
        .map(|a| a.0)
        .ok_or_else(|| ApiError::missing("amount"))?;
    if amount <= 0 {
        return Err(ApiError::bad_param(
            "amount",
            "must be a positive whole number of KRW",
        ));
    }
    let depositor = f
        .depositor_name
        .and_then(Text::non_empty)
        .ok_or_else(|| ApiError::missing("depositor_name"))?;
    if depositor.len() > DEPOSITOR_MAX_BYTES {
        return Err(ApiError::bad_param(
            "depositor_name",
            format!("at most {DEPOSITOR_MAX_BYTES} bytes"),
        ));
    }
    let scope = ctx.rc.scope();
    let va_id = VirtualAccount::id_of(&number);
    let not_found = || ApiError::not_found("virtual_account", &number, "account_number");
    let row = ctx
        .st
        .store
        .get_object(&scope, &va_id)
        .await?
        .ok_or_else(not_found)?;
    let va: VirtualAccount = from_value(row.data)?;
    let bank = ctx.st.bank.clone().ok_or_else(not_found)?;
    let accepted = bank
        .deposit(&number, amount, &depositor)
        .await
        .map_err(|e| refusal(e, va.remaining()))?;
    let pi = wait_for_notice(&ctx, &va_id, &accepted.deposit_id).await?;
    ctx.rc
        .commit_ok(WriteUnit { ops: Vec::new() }, public(pi))
        .await
}

/// The intent once the deposit's notice is committed.
async fn wait_for_notice(ctx: &Ctx, va_id: &str, deposit_id: &str) -> ApiResult<Value> {
    let scope = ctx.rc.scope();
    let deadline = tokio::time::Instant::now() + NOTICE_WAIT;
    loop {
        if let Some(row) = ctx.st.store.get_object(&scope, va_id).await? {
            let va: VirtualAccount = from_value(row.data)?;
            if va.has_deposit(deposit_id) {
                let pi = ctx.st.store.get_object(&scope, &va.payment_intent).await?;
                return pi
                    .map(|r| r.data)
                    .ok_or_else(|| ApiError::internal("intent vanished"));
            }
        }
        if tokio::time::Instant::now() >= deadline {
            return Err(ApiError::service_unavailable(
                "bank_notice_pending",
                format!(
                    "The bank took deposit {deposit_id}; its notice has not arrived yet. Retrieve the PaymentIntent later."
                ),
            ));
        }
        tokio::time::sleep(NOTICE_POLL).await;
    }
}
