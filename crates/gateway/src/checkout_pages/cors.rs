//! CORS for the requests a publishable key may make ([`crate::auth::publishable_may`]), so
//! that `paygate.js` on a merchant's page can create a PaymentMethod and confirm an intent
//! from the payer's browser. Any origin is allowed (`*`): these calls are authorized by the
//! `Authorization` header, never by a cookie, so no credentials are allowed or sent. Every
//! other path answers without CORS headers, as before. (By hand: tower-http's `cors` would
//! be a new dependency for these three headers and one preflight.)

use crate::auth::publishable_may;
use axum::extract::Request;
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

/// The middleware: preflights of an allowed request get 204; allowed requests get
/// `Access-Control-Allow-Origin: *`.
pub async fn publishable_cors(req: Request, next: Next) -> Response {
    let path = req.uri().path().to_string();
    if req.method() == Method::OPTIONS {
        let asked = req
            .headers()
            .get(header::ACCESS_CONTROL_REQUEST_METHOD)
            .and_then(|v| Method::from_bytes(v.as_bytes()).ok());
        if let Some(m) = asked
            && publishable_may(&m, &path)
        {
            let mut r = StatusCode::NO_CONTENT.into_response();
            let h = r.headers_mut();
            h.insert(
                header::ACCESS_CONTROL_ALLOW_ORIGIN,
                HeaderValue::from_static("*"),
            );
            h.insert(
                header::ACCESS_CONTROL_ALLOW_METHODS,
                HeaderValue::from_static("GET, POST"),
            );
            h.insert(
                header::ACCESS_CONTROL_ALLOW_HEADERS,
                HeaderValue::from_static("Authorization, Content-Type, Idempotency-Key"),
            );
            h.insert(
                header::ACCESS_CONTROL_MAX_AGE,
                HeaderValue::from_static("600"),
            );
            return r;
        }
        return next.run(req).await;
    }
    let allowed = publishable_may(req.method(), &path);
    let mut r = next.run(req).await;
    if allowed {
        r.headers_mut().insert(
            header::ACCESS_CONTROL_ALLOW_ORIGIN,
            HeaderValue::from_static("*"),
        );
    }
    r
}
