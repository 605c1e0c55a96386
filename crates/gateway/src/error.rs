//! The one place where failures become Stripe's error object.
//!
//! Every handler returns `Result<_, ApiError>`; `ApiError` renders as
//! `{"error":{"type","code","decline_code","message","param",...}}` with Stripe's status codes.
//! Internal failures ([`GatewayError`], or [`ApiError::internal`]) are answered as `api_error`
//! without internals; their detail is logged once, when the response is written.

mod internal;

pub use internal::GatewayError;

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value, json};

/// Stripe's error `type`. A bad or missing API key is an `invalid_request_error` with
/// status 401, as Stripe answers it (its published schema knows no `authentication_error`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ErrorType {
    InvalidRequest,
    Card,
    Idempotency,
    RateLimit,
    Api,
}

impl ErrorType {
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorType::InvalidRequest => "invalid_request_error",
            ErrorType::Card => "card_error",
            ErrorType::Idempotency => "idempotency_error",
            ErrorType::RateLimit => "rate_limit_error",
            ErrorType::Api => "api_error",
        }
    }
}

/// A failure answered to the merchant.
#[derive(Clone, Debug)]
pub struct ApiError {
    pub status: StatusCode,
    pub kind: ErrorType,
    pub code: Option<&'static str>,
    pub decline_code: Option<Box<str>>,
    pub message: String,
    pub param: Option<String>,
    /// Extra members of the error object (`payment_intent`, `charge`, `payment_method`).
    pub extra: Map<String, Value>,
    /// What went wrong inside, for an internal error: logged at the response, never sent
    /// (boxed: a thin pointer keeps every `Result<_, ApiError>` small).
    cause: Option<Box<Cause>>,
}

/// The detail of an internal error.
#[derive(Clone, Debug)]
struct Cause {
    text: String,
    /// The write that failed may still have been applied (a connection lost during a commit).
    write_unknown: bool,
}

impl Cause {
    fn boxed(cause: impl std::fmt::Display) -> Option<Box<Cause>> {
        Some(Box::new(Cause {
            text: cause.to_string(),
            write_unknown: false,
        }))
    }
}

pub type ApiResult<T> = Result<T, ApiError>;

/// Seconds a client is told to wait (`Retry-After`) when the store cannot write.
pub const STORE_RETRY_AFTER_S: u64 = 2;

/// How often one internal error cause is logged when it repeats on every request.
pub const INTERNAL_LOG_EVERY: std::time::Duration = std::time::Duration::from_secs(10);

static INTERNAL_LOG: paygate_store::log_limit::LogLimiter =
    paygate_store::log_limit::LogLimiter::new(INTERNAL_LOG_EVERY);

static WARN_LOG: paygate_store::log_limit::LogLimiter =
    paygate_store::log_limit::LogLimiter::new(INTERNAL_LOG_EVERY);

/// Logs a warning about a failure that may repeat on every request or round (a store that
/// cannot write): once per [`INTERNAL_LOG_EVERY`] per distinct (`what`, `error`), with the
/// number of repeats held back since the last line.
pub fn warn_limited(what: &'static str, error: &dyn std::fmt::Display) {
    let error = error.to_string();
    if let Some(repeated) = WARN_LOG.check(&format!("{what}: {error}")) {
        tracing::warn!(error = %error, repeated, "{what}");
    }
}

/// Longest echo of a client-supplied value (a parameter name, an id) in an error, in characters.
pub const ECHO_MAX_CHARS: usize = 100;

/// A client-supplied value cut to [`ECHO_MAX_CHARS`] for echoing in an error: a 100 KB bogus
/// parameter is not sent back in full.
pub fn echo(s: &str) -> String {
    if s.chars().count() <= ECHO_MAX_CHARS {
        return s.to_string();
    }
    let mut out: String = s.chars().take(ECHO_MAX_CHARS).collect();
    out.push('…');
    out
}

impl ApiError {
    fn new(status: StatusCode, kind: ErrorType, message: impl Into<String>) -> ApiError {
        ApiError {
            status,
            kind,
            code: None,
            decline_code: None,
            message: message.into(),
            param: None,
            extra: Map::new(),
            cause: None,
        }
    }

    /// 400 invalid_request_error naming the parameter.
    pub fn invalid(param: &str, code: &'static str, message: impl Into<String>) -> ApiError {
        let mut e = ApiError::new(StatusCode::BAD_REQUEST, ErrorType::InvalidRequest, message);
        e.code = Some(code);
        e.param = Some(echo(param));
        e
    }

    pub fn missing(param: &str) -> ApiError {
        let param = &echo(param);
        ApiError::invalid(
            param,
            "parameter_missing",
            format!("Missing required param: {param}."),
        )
    }

    pub fn bad_param(param: &str, rule: impl std::fmt::Display) -> ApiError {
        let param = &echo(param);
        ApiError::invalid(
            param,
            "parameter_invalid",
            format!("Invalid {param}: {rule}"),
        )
    }

    pub fn unknown_param(param: &str) -> ApiError {
        let param = &echo(param);
        ApiError::invalid(
            param,
            "parameter_unknown",
            format!("Received unknown parameter: {param}"),
        )
    }

    pub fn not_found(kind: &str, id: &str, param: &str) -> ApiError {
        let id = echo(id);
        let mut e = ApiError::new(
            StatusCode::NOT_FOUND,
            ErrorType::InvalidRequest,
            format!("No such {kind}: '{id}'"),
        );
        e.code = Some("resource_missing");
        e.param = Some(param.to_string());
        e
    }

    pub fn route_not_found(method: &str, path: &str) -> ApiError {
        let mut e = ApiError::new(
            StatusCode::NOT_FOUND,
            ErrorType::InvalidRequest,
            format!("Unrecognized request URL ({method}: {}).", echo(path)),
        );
        e.code = Some("resource_missing");
        e
    }

    /// 405 for a known path with a method it does not serve.
    pub fn method_not_allowed(method: &str, path: &str) -> ApiError {
        let mut e = ApiError::new(
            StatusCode::METHOD_NOT_ALLOWED,
            ErrorType::InvalidRequest,
            format!(
                "Unrecognized request URL ({method}: {}): this path does not accept {method}.",
                echo(path)
            ),
        );
        e.code = Some("method_not_allowed");
        e
    }

    /// 400 for an operation the object's state does not allow.
    pub fn unexpected_state(code: &'static str, message: impl Into<String>) -> ApiError {
        let mut e = ApiError::new(StatusCode::BAD_REQUEST, ErrorType::InvalidRequest, message);
        e.code = Some(code);
        e
    }

    pub fn unauthenticated(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::UNAUTHORIZED, ErrorType::InvalidRequest, message)
    }

    pub fn forbidden(message: impl Into<String>) -> ApiError {
        let mut e = ApiError::new(StatusCode::FORBIDDEN, ErrorType::InvalidRequest, message);
        e.code = Some("secret_key_required");
        e
    }

    pub fn idempotency_mismatch(key: &str) -> ApiError {
        let mut e = ApiError::new(
            StatusCode::BAD_REQUEST,
            ErrorType::Idempotency,
            format!(
                "Keys for idempotent requests can only be used with the same parameters they were first used with. \
                 Try using a key other than '{key}' if you meant to execute a different request."
            ),
        );
        e.code = Some("idempotency_key_reused");
        e
    }

    pub fn idempotency_in_flight() -> ApiError {
        let mut e = ApiError::new(
            StatusCode::CONFLICT,
            ErrorType::Idempotency,
            "There is currently another in-progress request using this Idempotent Key \
             (that probably means you submitted twice, and the other request is still going through). \
             Please try again later.",
        );
        e.code = Some("idempotency_key_in_use");
        e
    }

    pub fn conflict(message: impl Into<String>) -> ApiError {
        let mut e = ApiError::new(StatusCode::CONFLICT, ErrorType::InvalidRequest, message);
        e.code = Some("lock_timeout");
        e
    }

    /// 408: the request's body did not arrive within the listener's `body_read_timeout_ms`
    /// (a slow or stalled client holding a connection open, PCI DSS 6.4).
    pub fn request_timeout(limit: std::time::Duration) -> ApiError {
        let mut e = ApiError::new(
            StatusCode::REQUEST_TIMEOUT,
            ErrorType::InvalidRequest,
            format!(
                "The request body did not arrive within {} ms.",
                limit.as_millis()
            ),
        );
        e.code = Some("request_timeout");
        e.param = Some("body".into());
        e
    }

    pub fn rate_limited() -> ApiError {
        let mut e = ApiError::new(
            StatusCode::TOO_MANY_REQUESTS,
            ErrorType::RateLimit,
            "Too many requests hit the API too quickly.",
        );
        e.code = Some("rate_limit");
        e
    }

    /// 402 card_error.
    pub fn card(
        code: &'static str,
        decline_code: Option<&str>,
        message: impl Into<String>,
    ) -> ApiError {
        let mut e = ApiError::new(StatusCode::PAYMENT_REQUIRED, ErrorType::Card, message);
        e.code = Some(code);
        e.decline_code = decline_code.map(Box::from);
        e
    }

    /// 503 api_error: a counterparty the request needs could not be reached (nothing was
    /// changed; the client may retry).
    pub fn service_unavailable(code: &'static str, message: impl Into<String>) -> ApiError {
        let mut e = ApiError::new(StatusCode::SERVICE_UNAVAILABLE, ErrorType::Api, message);
        e.code = Some(code);
        e
    }

    /// 500 api_error. The cause is kept for the log line written with the response (once)
    /// and never sent to the client.
    pub fn internal(cause: impl std::fmt::Display) -> ApiError {
        let mut e = ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            ErrorType::Api,
            "An unexpected error occurred. The request was not completed; it is safe to retry with the same Idempotency-Key.",
        );
        e.cause = Cause::boxed(cause);
        e
    }

    /// 503 api_error `store_unavailable`: the database cannot take writes (disk full, I/O
    /// error, read-only, PostgreSQL down). Answered with `Retry-After`
    /// ([`STORE_RETRY_AFTER_S`]); the cause is logged like an internal error's.
    pub fn store_unavailable(cause: impl std::fmt::Display) -> ApiError {
        let mut e = ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            ErrorType::Api,
            "The gateway cannot store changes right now. The request was not completed; retry after the \
             Retry-After interval with the same Idempotency-Key.",
        );
        e.code = Some("store_unavailable");
        e.cause = Cause::boxed(cause);
        e
    }

    /// Whether the write that failed may still have been applied: the connection to
    /// PostgreSQL was lost while a commit was on its way, so only reading the store again can
    /// tell. Whatever the write would have referenced must then be kept.
    pub fn write_may_have_applied(&self) -> bool {
        self.cause.as_ref().is_some_and(|c| c.write_unknown)
    }

    /// The internal cause of a 500 (for logs only).
    pub fn cause(&self) -> Option<&str> {
        self.cause.as_ref().map(|c| c.text.as_str())
    }

    pub fn with_param(mut self, param: &str) -> ApiError {
        self.param = Some(echo(param));
        self
    }

    pub fn with_extra(mut self, key: &str, value: Value) -> ApiError {
        self.extra.insert(key.to_string(), value);
        self
    }

    /// The JSON body, as Stripe shapes it.
    pub fn body(&self) -> Value {
        let mut err = Map::new();
        err.insert("type".into(), json!(self.kind.as_str()));
        err.insert("message".into(), json!(self.message));
        if let Some(code) = self.code {
            err.insert("code".into(), json!(code));
            err.insert(
                "doc_url".into(),
                json!(format!(
                    "https://docs.stripe.com/error-codes/{}",
                    code.replace('_', "-")
                )),
            );
        }
        if let Some(d) = &self.decline_code {
            err.insert("decline_code".into(), json!(d));
        }
        if let Some(p) = &self.param {
            err.insert("param".into(), json!(p));
        }
        for (k, v) in &self.extra {
            err.insert(k.clone(), v.clone());
        }
        json!({ "error": Value::Object(err) })
    }
}

impl IntoResponse for ApiError {
    /// The response boundary: an internal error's cause is logged here, once — and a cause
    /// that repeats (a full disk fails every request) once per [`INTERNAL_LOG_EVERY`] with
    /// the count of the repeats.
    fn into_response(self) -> Response {
        if let Some(cause) = self.cause()
            && let Some(repeated) = INTERNAL_LOG.check(cause)
        {
            tracing::error!(cause = %cause, status = self.status.as_u16(), repeated, "internal error");
        }
        crate::response::json_response(self.status, &self.body())
    }
}

/// An operation the intent's status does not allow (the transition table of
/// `paygate_payments::intent`): Stripe's `payment_intent_unexpected_state`.
impl From<paygate_payments::UnexpectedState> for ApiError {
    fn from(e: paygate_payments::UnexpectedState) -> ApiError {
        ApiError::unexpected_state("payment_intent_unexpected_state", e.to_string())
    }
}

impl From<paygate_store::StoreError> for ApiError {
    fn from(e: paygate_store::StoreError) -> ApiError {
        match e {
            paygate_store::StoreError::InvalidCursor(id) => ApiError::invalid(
                "starting_after",
                "resource_missing",
                format!("No such object: '{id}'"),
            ),
            e if e.is_unavailable() => {
                let unknown = e.may_have_committed();
                let mut api = ApiError::store_unavailable(GatewayError::Store(e));
                if let Some(c) = api.cause.as_mut() {
                    c.write_unknown = unknown;
                }
                api
            }
            other => GatewayError::Store(other).into(),
        }
    }
}
