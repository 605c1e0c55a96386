//! `POST /v1/tokens` (Apple Pay `pk_token…`, Samsung Pay `samsung_pay_token`) and
//! `GET /v1/tokens/{id}`.

use axum::extract::{Path, State};
use axum::response::Response;
use paygate_store::WriteUnit;
use paygate_wallet_tokens::{WalletToken, apple, samsung};
use serde::Deserialize;
use serde_json::Value;

use super::keys;
use super::token::{store_token, token_error};
use crate::error::{ApiError, ApiResult};
use crate::http::{Ctx, Req, post};
use crate::params::typed::Text;
use crate::render::public;
use crate::state::SharedState;

/// The largest token accepted (an Apple Pay `paymentData` is about 4 KB).
const MAX_TOKEN_CHARS: usize = 32_768;

#[derive(Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct TokenParams {
    pk_token: Option<Text<MAX_TOKEN_CHARS>>,
    pk_token_instrument_name: Option<Text<200>>,
    pk_token_payment_network: Option<Text<50>>,
    pk_token_transaction_id: Option<Text<128>>,
    samsung_pay_token: Option<Text<MAX_TOKEN_CHARS>>,
}

pub async fn create(State(st): State<SharedState>, req: Req) -> Response {
    post(st, req, create_inner).await
}

/// The token of `ctx`'s parameters: `POST /v1/tokens`, and the hosted checkout's wallet
/// buttons (which post the wallet's token as the session's merchant).
pub(crate) async fn create_inner(mut ctx: Ctx) -> ApiResult<Value> {
    let p = ctx.params.typed::<TokenParams>()?;
    let scope = ctx.scope();
    let merchant_keys = keys::load(&ctx.st.store, &ctx.st.vault, &scope)
        .await
        .map_err(ApiError::internal)?;
    let (param, token) = match (p.pk_token, p.samsung_pay_token) {
        (Some(pk), None) => {
            let t = apple::open(
                &pk.0,
                &merchant_keys.apple,
                &merchant_keys.apple_roots,
                ctx.now,
            )
            .map_err(|e| token_error("pk_token", &e))?;
            check_transaction_id(&t, p.pk_token_transaction_id.map(|t| t.0))?;
            ("pk_token", t)
        }
        (None, Some(sp)) => {
            let t = samsung::open(&sp.0, &merchant_keys.samsung, ctx.now)
                .map_err(|e| token_error("samsung_pay_token", &e))?;
            ("samsung_pay_token", t)
        }
        (Some(_), Some(_)) => {
            return Err(ApiError::bad_param(
                "samsung_pay_token",
                "Pass either pk_token or samsung_pay_token, not both.",
            ));
        }
        (None, None) => return Err(ApiError::missing("pk_token")),
    };
    // Informational parameters of Stripe's iOS SDK: accepted, not needed.
    let _ = (p.pk_token_instrument_name, p.pk_token_payment_network);
    let stored = store_token(&ctx.st, &scope, param, &token, ctx.now).await?;
    let commit = ctx.commit_ok(WriteUnit { ops: stored.ops }, public(stored.doc));
    let remote: Vec<_> = stored.remote.into_iter().collect();
    ctx.st.card_vault.commit_or_discard(&remote, commit).await
}

/// `pk_token_transaction_id`, when given, must be the token's `header.transactionId`.
fn check_transaction_id(t: &WalletToken, given: Option<String>) -> ApiResult<()> {
    match (given, &t.transaction_id) {
        (Some(g), Some(id)) if !g.eq_ignore_ascii_case(id) => Err(ApiError::bad_param(
            "pk_token_transaction_id",
            "must equal the token's header.transactionId",
        )),
        _ => Ok(()),
    }
}

pub async fn retrieve(State(st): State<SharedState>, Path(id): Path<String>, req: Req) -> Response {
    crate::api::refunds::retrieve_kind(st, id, req, "token").await
}
