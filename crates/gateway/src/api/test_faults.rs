//! `/v1/test_helpers/faults`: the gateway's own fault switches for tests (issue 15 §2), test
//! mode only.
//!
//! * `fail_next_commits` — the next N unit commits fail with an injected storage error, as a
//!   full disk would fail them (the gateway answers `503 store_unavailable`, `/readyz` says
//!   not ready until a write succeeds);
//! * `commit_delay_ms` — every unit commit waits this long first, so a test can act in the
//!   window between the phases of a payment;
//! * `clock_skew_s` — this process's clock runs this many seconds ahead (or, negative, behind)
//!   the others' (requests, records, postings, recovery), as a host with a drifting clock
//!   would; 0 heals it.
//!
//! The switches act on the whole process (every merchant), so they are refused while any
//! live-mode API key exists, and only a test-mode secret key may read or set them. At start
//! they come from configuration ([`from_config`], same rule).

use crate::error::{ApiError, ApiResult};
use crate::http::{Req, error_response, json_response};
use crate::params::typed::Int;
use crate::state::SharedState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use paygate_store::{FAULT_COMMIT_DELAY_MAX_MS, Store, WriteFaultSettings};
use serde::Deserialize;
use serde_json::{Value, json};

/// Most commits `fail_next_commits` may ask to fail.
pub const FAIL_NEXT_COMMITS_MAX: u64 = 1_000_000;
/// Largest clock skew either way (one day).
pub const CLOCK_SKEW_MAX_S: i64 = 86_400;

#[derive(Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct FaultParams {
    fail_next_commits: Option<Int>,
    commit_delay_ms: Option<Int>,
    clock_skew_s: Option<Int>,
}

/// `GET /v1/test_helpers/faults`: the switches in force and whether the store writes.
pub async fn retrieve(State(st): State<SharedState>, req: Req) -> Response {
    match allowed(&st, &req).await {
        Ok(()) => json_response(StatusCode::OK, &render(&st)),
        Err(e) => error_response(e),
    }
}

/// `POST /v1/test_helpers/faults`: sets the switches given (the others stay as they are).
/// Setting is idempotent: the same request leaves the same switches.
pub async fn update(State(st): State<SharedState>, mut req: Req) -> Response {
    let run = async {
        allowed(&st, &req).await?;
        let p: FaultParams = req.params.typed()?;
        let mut s = st.store.write_faults().get();
        if let Some(n) = p.fail_next_commits {
            s.fail_next_commits = in_range("fail_next_commits", n.0, FAIL_NEXT_COMMITS_MAX)?;
        }
        if let Some(ms) = p.commit_delay_ms {
            s.commit_delay_ms = in_range("commit_delay_ms", ms.0, FAULT_COMMIT_DELAY_MAX_MS)?;
        }
        let skew = match p.clock_skew_s {
            Some(v) => Some(skew_in_range(v.0)?),
            None => None,
        };
        tracing::warn!(
            fail_next_commits = s.fail_next_commits,
            commit_delay_ms = s.commit_delay_ms,
            clock_skew_s = skew,
            merchant = %req.caller.merchant.id,
            "test fault switches set"
        );
        st.store.write_faults().set(s);
        if let (Some(skew), Some(clock)) = (skew, &st.clock_skew) {
            clock.set_skew(skew);
        }
        Ok::<_, ApiError>(render(&st))
    };
    match run.await {
        Ok(body) => json_response(StatusCode::OK, &body),
        Err(e) => error_response(e),
    }
}

/// Applies the configured switches at start (`fault_fail_next_commits`,
/// `fault_commit_delay_ms`); refused when live-mode API keys exist.
pub fn from_config(cfg: &crate::config::Config, store: &Store, live: bool) -> Result<(), String> {
    let s = WriteFaultSettings {
        fail_next_commits: cfg.fault_fail_next_commits,
        commit_delay_ms: cfg.fault_commit_delay_ms,
    };
    if s == WriteFaultSettings::default() {
        return Ok(());
    }
    if live {
        return Err(
            "fault_fail_next_commits and fault_commit_delay_ms are test-mode switches: \
                    refused because live-mode API keys exist"
                .into(),
        );
    }
    if s.commit_delay_ms > FAULT_COMMIT_DELAY_MAX_MS {
        return Err(format!(
            "fault_commit_delay_ms must be at most {FAULT_COMMIT_DELAY_MAX_MS}"
        ));
    }
    tracing::warn!(
        fail_next_commits = s.fail_next_commits,
        commit_delay_ms = s.commit_delay_ms,
        "test fault switches set from configuration"
    );
    store.write_faults().set(s);
    Ok(())
}

/// A test-mode secret key, and no live-mode key anywhere.
async fn allowed(st: &SharedState, req: &Req) -> ApiResult<()> {
    if !req.caller.secret || req.caller.livemode {
        return Err(ApiError::forbidden(
            "Test helpers take a test-mode secret key (sk_test_…).",
        ));
    }
    if crate::pages::live_keys_exist(&st.store)
        .await
        .map_err(ApiError::internal)?
    {
        return Err(ApiError::forbidden(
            "Fault switches act on the whole gateway: they are disabled while live-mode API keys exist.",
        ));
    }
    Ok(())
}

fn in_range(param: &str, v: i64, max: u64) -> ApiResult<u64> {
    u64::try_from(v).ok().filter(|v| *v <= max).ok_or_else(|| {
        ApiError::invalid(
            param,
            "parameter_invalid_integer",
            format!("Invalid {param}: must be an integer from 0 to {max}; got {v}."),
        )
    })
}

fn skew_in_range(v: i64) -> ApiResult<i64> {
    if (-CLOCK_SKEW_MAX_S..=CLOCK_SKEW_MAX_S).contains(&v) {
        return Ok(v);
    }
    Err(ApiError::invalid(
        "clock_skew_s",
        "parameter_invalid_integer",
        format!(
            "Invalid clock_skew_s: must be an integer from -{CLOCK_SKEW_MAX_S} to {CLOCK_SKEW_MAX_S}; got {v}."
        ),
    ))
}

fn render(st: &SharedState) -> Value {
    let s = st.store.write_faults().get();
    let (writable, health) = crate::store_health::readiness(st);
    json!({
        "object": "test_helpers.faults",
        "livemode": false,
        "fail_next_commits": s.fail_next_commits,
        "commit_delay_ms": s.commit_delay_ms,
        "clock_skew_s": st.clock_skew.as_ref().map_or(0, |c| c.skew_seconds()),
        "store_writable": writable,
        "store_reason": health.get("store_reason").cloned().unwrap_or(Value::Null),
    })
}
