//! What every dashboard handler shares: the locale, the client's address, form bodies, the
//! logged-in viewer (session + user, or a redirect to the login), CSRF checks, redirects.

use crate::catalog::T;
use crate::layout::{self, Chrome};
use crate::session::{self, COOKIE, Session};
use crate::users::{self, User};
use axum::extract::ConnectInfo;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use paygate_gateway::state::SharedState;
use paygate_payer_pages::html::Html;
use paygate_payer_pages::{Locale, Nonce, Purpose};
use std::collections::HashMap;
use std::net::SocketAddr;

/// The locale: `?locale=` then `Accept-Language`, else Korean.
pub fn locale(headers: &HeaderMap, query: Option<&str>) -> Locale {
    let q = query.and_then(|q| {
        url::form_urlencoded::parse(q.as_bytes())
            .find(|(k, _)| k == "locale")
            .map(|(_, v)| v.into_owned())
    });
    let accept = headers
        .get(header::ACCEPT_LANGUAGE)
        .and_then(|v| v.to_str().ok());
    Locale::negotiate(q.as_deref(), accept)
}

/// Where the request came from: the peer's address, and `X-Forwarded-For` when a proxy
/// set one (recorded, not trusted), at most 120 characters.
pub fn client(peer: Option<&ConnectInfo<SocketAddr>>, headers: &HeaderMap) -> String {
    let mut s = peer.map_or_else(|| "unknown".to_string(), |c| c.0.ip().to_string());
    if let Some(f) = headers.get("x-forwarded-for").and_then(|v| v.to_str().ok()) {
        s.push_str(" fwd=");
        s.push_str(f);
    }
    s.chars().take(120).collect()
}

/// A form body as a map (the last value of a repeated name wins).
pub fn form(body: &[u8]) -> HashMap<String, String> {
    url::form_urlencoded::parse(body).into_owned().collect()
}

/// The query string as a map.
pub fn query(raw: Option<&str>) -> HashMap<String, String> {
    form(raw.unwrap_or_default().as_bytes())
}

pub fn cookie_header(headers: &HeaderMap) -> Option<&str> {
    headers.get(header::COOKIE).and_then(|v| v.to_str().ok())
}

/// Whether cookies get `Secure` (the gateway's public URL is https).
pub fn secure(st: &SharedState) -> bool {
    st.pages.public_url.as_str().starts_with("https:")
}

/// A 303 to `to` with the dashboard's headers and extra `Set-Cookie`s.
pub fn see_other(to: &str, cookies: &[String]) -> Response {
    let mut r = StatusCode::SEE_OTHER.into_response();
    let hd = r.headers_mut();
    if let Ok(v) = HeaderValue::from_str(to) {
        hd.insert(header::LOCATION, v);
    }
    for c in cookies {
        if let Ok(v) = HeaderValue::from_str(c) {
            hd.append(header::SET_COOKIE, v);
        }
    }
    layout::security_headers(hd);
    r
}

/// The logged-in user of a request.
pub struct Viewer {
    pub user: User,
    pub session: Session,
    pub session_version: i64,
    pub locale: Locale,
    /// The token every form of this session carries.
    pub csrf: String,
    pub client: String,
}

impl Viewer {
    pub fn chrome(&self) -> Chrome<'_> {
        Chrome {
            locale: self.locale,
            nonce: Nonce::generate(),
            user: Some((&self.user.email, &self.csrf)),
        }
    }

    /// Checks the form's `csrf` field against this session.
    pub fn csrf_ok(&self, st: &SharedState, form: &HashMap<String, String>) -> bool {
        let token = form.get("csrf").map(String::as_str).unwrap_or_default();
        st.pages
            .csrf
            .verify(
                token,
                Purpose::DashboardForm,
                &self.session.id,
                st.clock.now(),
            )
            .is_ok()
    }
}

/// The CSRF token of session `id` at `now` (valid as long as the session may idle).
pub fn form_token(st: &SharedState, session_id: &str) -> String {
    st.pages.csrf.issue(
        Purpose::DashboardForm,
        session_id,
        st.clock.now() + session::IDLE_S,
    )
}

/// Marks a request the page makes by itself (the live list's refresh): it does not count as
/// the user's activity, so it never keeps an idle session alive.
pub const REFRESH_HEADER: &str = "pgdash-refresh";

/// The viewer, or the response to send instead (the login page for no live session).
pub async fn viewer(
    st: &SharedState,
    headers: &HeaderMap,
    raw_query: Option<&str>,
    peer: Option<&ConnectInfo<SocketAddr>>,
) -> Result<Viewer, Response> {
    let locale = locale(headers, raw_query);
    let to_login = || see_other("/dashboard/login", &[]);
    let Some(token) = session::read_cookie(cookie_header(headers), COOKIE) else {
        return Err(to_login());
    };
    let now = st.clock.now();
    let load = if headers.contains_key(REFRESH_HEADER) {
        session::load_untouched(&st.store, token, now).await
    } else {
        session::load(&st.store, token, now).await
    };
    let (s, v) = match load {
        Ok(Some(found)) if found.0.stage == session::Stage::Active => found,
        Ok(_) => return Err(to_login()),
        Err(e) => return Err(server_error(locale, &e.to_string())),
    };
    let user = match users::by_id(&st.store, &s.user).await {
        Ok(Some((u, _))) => u,
        Ok(None) => return Err(to_login()),
        Err(e) => return Err(server_error(locale, &e.to_string())),
    };
    Ok(Viewer {
        csrf: form_token(st, &s.id),
        user,
        session: s,
        session_version: v,
        locale,
        client: client(peer, headers),
    })
}

/// A 500 page (the detail goes to the log, not the page).
pub fn server_error(locale: Locale, detail: &str) -> Response {
    tracing::error!(error = %detail, "dashboard request failed");
    let c = Chrome {
        locale,
        nonce: Nonce::generate(),
        user: None,
    };
    let mut h = Html::new();
    layout::notice(&mut h, c.t(T::Failed), true);
    layout::page(&c, StatusCode::INTERNAL_SERVER_ERROR, c.t(T::Failed), h)
}

/// The same 404 for an unknown id and another merchant's object.
pub fn not_found(v: &Viewer) -> Response {
    let c = v.chrome();
    let mut h = Html::new();
    h.raw("<p>").text(c.t(T::NotFound)).raw("</p>");
    layout::page(&c, StatusCode::NOT_FOUND, c.t(T::NotFoundTitle), h)
}

/// A 403 for a form whose CSRF token is missing, forged or expired.
pub fn forbidden(locale: Locale, user: Option<(&str, &str)>) -> Response {
    let c = Chrome {
        locale,
        nonce: Nonce::generate(),
        user,
    };
    let mut h = Html::new();
    layout::notice(&mut h, c.t(T::FormExpired), true);
    h.raw("<p><a href=\"/dashboard\">")
        .text(c.t(T::Back))
        .raw("</a></p>");
    layout::page(&c, StatusCode::FORBIDDEN, c.t(T::FormExpired), h)
}

/// The peer's address when the server was started with connect info (tests that call the
/// router directly have none).
pub struct Peer(pub Option<ConnectInfo<SocketAddr>>);

impl<S: Send + Sync> axum::extract::FromRequestParts<S> for Peer {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        _: &S,
    ) -> Result<Peer, Self::Rejection> {
        Ok(Peer(
            parts.extensions.get::<ConnectInfo<SocketAddr>>().cloned(),
        ))
    }
}
