//! `/v1/test_helpers/test_clock`: the process-wide test clock of a gateway started with
//! `--test-clock` (docs/OPERATIONS.md "Test clock"). Process tests push time forward (month
//! ends, expiries, settlement days) instead of waiting in real time.
//!
//! * `GET  /v1/test_helpers/test_clock` → `{"object":"test_clock","now","offset_seconds"}`;
//! * `POST /v1/test_helpers/test_clock/advance` with `seconds` (> 0) or `to` (Unix s, ≥ now)
//!   → the same object after the move. Under an `Idempotency-Key` a retry replays the first
//!   answer and does not move the clock twice.
//!
//! The clock is the whole gateway's (and its in-process simulators'): only a test-mode secret
//! key may read or move it, and `--test-clock` is refused at start while live-mode API keys
//! exist ([`refuse_with_live_keys`]). Without `--test-clock` both answer
//! `400 test_clock_disabled`.

use crate::error::{ApiError, ApiResult};
use crate::http::{Ctx, Req, error_response, json_response, post};
use crate::params::typed::Int;
use crate::state::SharedState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use paygate_payments::clock::{AdvanceError, Clock, OffsetClock};
use paygate_store::WriteUnit;
use serde::Deserialize;
use serde_json::{Value, json};
use std::sync::Arc;

#[derive(Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct AdvanceParams {
    seconds: Option<Int>,
    to: Option<Int>,
}

/// `GET /v1/test_helpers/test_clock`.
pub async fn retrieve(State(st): State<SharedState>, req: Req) -> Response {
    match test_clock(&st, &req.caller) {
        Ok(clock) => json_response(StatusCode::OK, &render(&clock)),
        Err(e) => error_response(e),
    }
}

/// `POST /v1/test_helpers/test_clock/advance`.
pub async fn advance(State(st): State<SharedState>, req: Req) -> Response {
    post(st, req, |mut ctx: Ctx| async move {
        let clock = test_clock(&ctx.st, &ctx.caller)?;
        let p: AdvanceParams = ctx.params.typed()?;
        let moved = match (p.seconds, p.to) {
            (Some(s), None) => clock.advance_by(s.0).map_err(|e| refused("seconds", e)),
            (None, Some(to)) => clock.advance_to(to.0).map_err(|e| refused("to", e)),
            (Some(_), Some(_)) => Err(ApiError::bad_param(
                "to",
                "give either seconds or to, not both.",
            )),
            (None, None) => Err(ApiError::bad_param(
                "seconds",
                "give seconds (> 0) or to (Unix seconds, not before now).",
            )),
        };
        moved?;
        tracing::warn!(
            offset_seconds = clock.offset_seconds(),
            now = clock.now(),
            merchant = %ctx.caller.merchant.id,
            "test clock advanced"
        );
        ctx.commit_ok(WriteUnit { ops: Vec::new() }, render(&clock))
            .await
    })
    .await
}

/// Refuses `--test-clock` on a gateway that has live-mode API keys.
pub fn refuse_with_live_keys(test_clock: bool, live: bool) -> Result<(), String> {
    if test_clock && live {
        return Err(
            "test_clock moves the whole gateway's time: refused because live-mode \
                    API keys exist"
                .into(),
        );
    }
    Ok(())
}

/// The test clock, for a test-mode secret key of a gateway started with `--test-clock`.
fn test_clock(st: &SharedState, caller: &crate::auth::Caller) -> ApiResult<Arc<OffsetClock>> {
    if !caller.secret || caller.livemode {
        return Err(ApiError::forbidden(
            "Test helpers take a test-mode secret key (sk_test_…).",
        ));
    }
    st.test_clock.clone().ok_or_else(|| {
        ApiError::unexpected_state(
            "test_clock_disabled",
            "This gateway was not started with --test-clock (PAYGATE_TEST_CLOCK=1).",
        )
    })
}

fn refused(param: &str, e: AdvanceError) -> ApiError {
    ApiError::bad_param(param, format!("{e}."))
}

fn render(clock: &OffsetClock) -> Value {
    json!({
        "object": "test_clock",
        "now": clock.now(),
        "offset_seconds": clock.offset_seconds(),
    })
}
