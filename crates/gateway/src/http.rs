//! Request plumbing shared by every endpoint: authentication, parameters, idempotency, timing.
//!
//! A POST with an `Idempotency-Key` runs at most once per (merchant, mode, key): the first
//! result — success or error, status and body — is stored in the same transaction as the state
//! change it reports, and replayed afterwards. The same key with other parameters is an
//! `idempotency_error`; a key whose first request is still running answers 409.

use crate::access_log::{REQUEST_ID, RequestInfo};
use crate::auth::{Caller, authenticate};
use crate::error::{ApiError, ApiResult, GatewayError};
use crate::params::{MAX_BODY_BYTES, Params};
use crate::state::SharedState;
use axum::body::{Body, Bytes};
use axum::extract::{FromRequest, Request};
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::response::Response;
use paygate_store::{Op, WriteUnit};
use serde_json::Value;
use sha2::{Digest, Sha256};

/// Longest accepted `Idempotency-Key`.
pub const MAX_IDEMPOTENCY_KEY_CHARS: usize = 255;

pub use crate::engine::context::{IdemStage, RequestContext, commit_error};
pub use crate::response::json_response;

/// An authenticated, parsed API request.
pub struct Req {
    /// `req_…`, as sent back in the `Request-Id` header.
    pub request_id: String,
    pub caller: Caller,
    pub params: Params,
    pub idempotency_key: Option<String>,
    pub method: Method,
    pub path: String,
}

impl FromRequest<SharedState> for Req {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &SharedState) -> Result<Req, ApiError> {
        let (parts, body) = req.into_parts();
        let info = parts.extensions.get::<RequestInfo>();
        let caller = authenticate(state, &parts.headers).await?;
        if let Some(info) = info {
            info.set_merchant(&caller.merchant.id);
        }
        let request_id = info.map_or_else(|| crate::ids::new_id("req"), |i| i.id.clone());
        crate::auth::check_key_kind(&caller, &parts.method, parts.uri.path())?;
        let idempotency_key = match parts.headers.get("idempotency-key") {
            None => None,
            Some(v) => {
                let k = v
                    .to_str()
                    .map_err(|_| {
                        ApiError::invalid(
                            "Idempotency-Key",
                            "parameter_invalid",
                            "Idempotency-Key must be ASCII.",
                        )
                    })?
                    .trim()
                    .to_string();
                if k.is_empty() || k.chars().count() > MAX_IDEMPOTENCY_KEY_CHARS {
                    return Err(ApiError::invalid(
                        "Idempotency-Key",
                        "parameter_invalid",
                        format!(
                            "Idempotency-Key must be 1 to {MAX_IDEMPOTENCY_KEY_CHARS} characters."
                        ),
                    ));
                }
                Some(k)
            }
        };
        let body_timeout =
            std::time::Duration::from_millis(state.cfg.listener.body_read_timeout_ms.max(1));
        let bytes: Bytes = tokio::time::timeout(
            body_timeout,
            axum::body::to_bytes(body, MAX_BODY_BYTES),
        )
        .await
        .map_err(|_| ApiError::request_timeout(body_timeout))?
        .map_err(|_| {
            ApiError::invalid(
                "body",
                "request_too_large",
                format!("Request body is larger than {MAX_BODY_BYTES} bytes or could not be read."),
            )
        })?;
        let content_type = parts
            .headers
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok());
        let params = Params::parse(content_type, &bytes, parts.uri.query())?;
        Ok(Req {
            request_id,
            caller,
            params,
            idempotency_key,
            method: parts.method,
            path: parts.uri.path().to_string(),
        })
    }
}

/// What a handler of a mutating request works with: the engine's [`RequestContext`] (through
/// `Deref`), the authenticated caller and the request's parameters.
pub struct Ctx {
    pub rc: RequestContext,
    pub caller: Caller,
    pub params: Params,
}

impl std::ops::Deref for Ctx {
    type Target = RequestContext;

    fn deref(&self) -> &RequestContext {
        &self.rc
    }
}

fn request_hash(req: &Req) -> String {
    let mut h = Sha256::new();
    h.update(req.method.as_str().as_bytes());
    h.update(b" ");
    h.update(req.path.as_bytes());
    h.update(b"\n");
    h.update(
        Value::Object(req.params.root().clone())
            .to_string()
            .as_bytes(),
    );
    hex::encode(h.finalize())
}

/// Runs a mutating request under the idempotency protocol.
pub async fn post<F, Fut>(st: SharedState, req: Req, handler: F) -> Response
where
    F: FnOnce(Ctx) -> Fut + Send + 'static,
    Fut: std::future::Future<Output = ApiResult<Value>> + Send + 'static,
{
    // A mutating request runs to its end in its own task: when the client hangs up (or times
    // out) mid-payment, hyper drops this future, but the payment must not stop between its
    // network round trip and the commit of its outcome — it completes, is stored under its
    // idempotency key, and the client's retry gets the result.
    // The task runs in the request's span (its logs and the engine's spans belong to it).
    let request_id = req.request_id.clone();
    let task = REQUEST_ID.scope(request_id, post_to_end(st, req, handler));
    match tokio::spawn(tracing::Instrument::in_current_span(task)).await {
        Ok(response) => response,
        Err(e) => error_response(ApiError::internal(format!("request task failed: {e}"))),
    }
}

async fn post_to_end<F, Fut>(st: SharedState, req: Req, handler: F) -> Response
where
    F: FnOnce(Ctx) -> Fut,
    Fut: std::future::Future<Output = ApiResult<Value>>,
{
    let hash = request_hash(&req);
    let scope = req.caller.scope();
    // A publishable key sees only the client view, also of a result first stored for it.
    let view = if req.caller.secret {
        |body: Value| body
    } else {
        crate::render::client_body
    };
    if let Some(key) = &req.idempotency_key {
        match st.store.idempotency_get(&scope, key).await {
            Err(e) => return error_response(e.into()),
            Ok(Some(row)) => return replay(row, key, &hash, view),
            Ok(None) => {}
        }
    }
    let rc = RequestContext::new(
        st.clone(),
        req.request_id,
        req.caller.merchant.clone(),
        req.caller.livemode,
        req.idempotency_key.clone().map(|k| (k, hash)),
    );
    let stage = rc.stage_handle();
    let idem = req.idempotency_key.clone();
    let ctx = Ctx {
        rc,
        caller: req.caller,
        params: req.params,
    };
    let result = handler(ctx).await;
    let final_stage = *stage.lock().unwrap_or_else(|p| p.into_inner());
    match result {
        Ok(body) => json_response(StatusCode::OK, &view(body)),
        Err(mut e) => {
            if let Some(key) = idem {
                record_error(&st, &scope, &key, final_stage, &e).await;
            }
            if let Some(pi) = e.extra.get_mut("payment_intent") {
                *pi = view(pi.take());
            }
            error_response(e)
        }
    }
}

/// Stores an error result for the key (or frees the key after a 5xx, so a retry runs again).
///
/// An error before the request began executing (no idempotency record yet: a validation
/// error, an unknown customer, a wrong state) is not stored, as Stripe stores only results of
/// requests that passed validation: the key can be used again with corrected parameters.
async fn record_error(
    st: &SharedState,
    scope: &paygate_store::Scope,
    key: &str,
    stage: IdemStage,
    e: &ApiError,
) {
    let op = match stage {
        IdemStage::Finished | IdemStage::None | IdemStage::Held => return,
        IdemStage::Begun if e.status.is_server_error() => Op::IdempotencyRelease {
            scope: scope.clone(),
            key: key.to_string(),
        },
        IdemStage::Begun => Op::IdempotencyFinish {
            scope: scope.clone(),
            key: key.to_string(),
            status: e.status.as_u16(),
            body: e.body().to_string(),
        },
    };
    if let Err(err) = st.store.commit(WriteUnit { ops: vec![op] }).await {
        crate::error::warn_limited("could not record idempotent error result", &err);
    }
}

/// The stored result of a finished request, shown through `view` (the caller's key's view).
fn replay(
    row: paygate_store::IdempotencyRow,
    key: &str,
    hash: &str,
    view: fn(Value) -> Value,
) -> Response {
    if row.request_hash != hash {
        return error_response(ApiError::idempotency_mismatch(key));
    }
    match (row.state.as_str(), row.status, row.body) {
        ("done", Some(status), Some(body)) => {
            let status = StatusCode::from_u16(status).unwrap_or(StatusCode::OK);
            let body = match serde_json::from_str::<Value>(&body) {
                Ok(v) => view(v).to_string(),
                Err(e) => {
                    return error_response(GatewayError::corrupt("idempotency result", e).into());
                }
            };
            let mut r = Response::new(Body::from(body));
            *r.status_mut() = status;
            r.headers_mut().insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/json"),
            );
            r.headers_mut()
                .insert("idempotent-replayed", HeaderValue::from_static("true"));
            r
        }
        _ => error_response(ApiError::idempotency_in_flight()),
    }
}

pub fn error_response(e: ApiError) -> Response {
    axum::response::IntoResponse::into_response(e)
}

/// Runs a read-only request.
pub async fn get<F, Fut>(req: Req, handler: F) -> Response
where
    F: FnOnce(Caller, Params) -> Fut,
    Fut: std::future::Future<Output = ApiResult<Value>>,
{
    match handler(req.caller, req.params).await {
        Ok(v) => json_response(StatusCode::OK, &v),
        Err(e) => error_response(e),
    }
}
