//! The dashboard's document: `<html lang>`, a skip link, the navigation (when logged in), one
//! `<main>` with the page's `<h1>`, an inline stylesheet under the response's CSP nonce — and
//! the security headers of every dashboard response.

use crate::catalog::T;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use paygate_payer_pages::html::Html;
use paygate_payer_pages::{Locale, Nonce};

/// Colours keep ≥ 4.5:1 contrast (text #1a1a1a on white, links #0b57d0 on white 6:1,
/// muted #4a4a4a 8:1); a 3 px focus ring on every focusable element.
const CSS: &str = "\
*{box-sizing:border-box}\
body{margin:0;background:#f4f5f7;color:#1a1a1a;font:15px/1.5 system-ui,\"Noto Sans KR\",sans-serif}\
.skip{position:absolute;left:-999px}.skip:focus{left:1rem;top:1rem;background:#fff;padding:.5rem}\
header{background:#1a1a1a;color:#fff;padding:.5rem 1rem;display:flex;flex-wrap:wrap;gap:1rem;align-items:center}\
header a{color:#fff}nav{display:flex;gap:1rem;flex-wrap:wrap}header form{margin:0 0 0 auto}\
header button{background:#fff;color:#1a1a1a;border:0;border-radius:6px;padding:.25rem .75rem;font:inherit}\
main{background:#fff;max-width:72rem;margin:1rem auto;padding:1rem 1.5rem;border-radius:8px}\
h1{font-size:1.375rem;margin:0 0 1rem}h2{font-size:1.125rem;margin:1.5rem 0 .5rem}\
a{color:#0b57d0}\
table{border-collapse:collapse;width:100%}th,td{text-align:left;padding:.375rem .5rem;border-bottom:1px solid #d0d3d8;vertical-align:top}\
td.num{text-align:right;font-variant-numeric:tabular-nums}\
form.filters{display:flex;flex-wrap:wrap;gap:.5rem 1rem;align-items:end;margin:0 0 1rem}\
label{display:block;font-weight:600}\
input,select{font:inherit;padding:.375rem .5rem;border:1px solid #5f6368;border-radius:6px;min-height:40px}\
.button{display:inline-block;min-height:40px;padding:.5rem 1rem;border:0;border-radius:6px;background:#0b57d0;color:#fff;font:inherit;font-weight:600;text-decoration:none;cursor:pointer}\
.button-danger{background:#b3261e}\
.notice{border-left:4px solid #0b57d0;background:#f4f5f7;padding:.75rem 1rem;margin:0 0 1rem}\
.notice-error{border-color:#b3261e}\
.login{max-width:26rem}.login input{width:100%}.login .button{margin-top:1rem}\
dl{display:grid;grid-template-columns:max-content 1fr;gap:.25rem 1rem}dd{margin:0}\
code{font-size:.875rem;word-break:break-all}\
figure{margin:0 0 1.5rem}figcaption{font-weight:600;margin:0 0 .25rem}svg.chart{width:100%;height:auto;max-width:44rem;display:block}\
details{margin:.25rem 0 0}summary{cursor:pointer;color:#0b57d0}\
:focus-visible{outline:3px solid #1a1a1a;outline-offset:2px}\
";

/// The navigation's links.
const NAV: &[(&str, T)] = &[
    ("/dashboard/payments", T::Payments),
    ("/dashboard/charts", T::Charts),
    ("/dashboard/checkout_sessions", T::CheckoutSessions),
    ("/dashboard/customers", T::Customers),
    ("/dashboard/webhooks", T::Webhooks),
    ("/dashboard/balance", T::Balance),
    ("/dashboard/api_keys", T::ApiKeys),
];

/// Who the page is for (the navigation shows only when logged in).
pub struct Chrome<'a> {
    pub locale: Locale,
    pub nonce: Nonce,
    /// The logged-in user's address and the CSRF token of the logout form.
    pub user: Option<(&'a str, &'a str)>,
}

impl Chrome<'_> {
    pub fn t(&self, t: T) -> &'static str {
        t.text(self.locale)
    }
}

/// A whole page with its headers.
pub fn page(c: &Chrome<'_>, status: StatusCode, title: &str, body: Html) -> Response {
    let mut h = Html::new();
    h.raw("<!doctype html><html")
        .attr("lang", c.locale.tag())
        .raw("><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"><title>")
        .text(title)
        .raw(" · ")
        .text(c.t(T::Dashboard))
        .raw("</title><style")
        .attr("nonce", c.nonce.as_str())
        .raw(">")
        .raw(CSS)
        .raw("</style></head><body><a class=\"skip\" href=\"#main\">")
        .text(c.t(T::Skip))
        .raw("</a><header><strong>")
        .text(c.t(T::Dashboard))
        .raw("</strong>");
    if let Some((email, csrf)) = c.user {
        h.raw("<nav").attr("aria-label", c.t(T::Dashboard)).raw(">");
        for (href, label) in NAV {
            h.raw("<a")
                .attr("href", href)
                .raw(">")
                .text(c.t(*label))
                .raw("</a> ");
        }
        h.raw("</nav><span>")
            .text(email)
            .raw("</span><form method=\"post\" action=\"/dashboard/logout\"><input type=\"hidden\" name=\"csrf\"")
            .attr("value", csrf)
            .raw("><button type=\"submit\">")
            .text(c.t(T::LogOut))
            .raw("</button></form>");
    }
    h.raw("</header><main id=\"main\"><h1>")
        .text(title)
        .raw("</h1>")
        .fragment(body)
        .raw("</main></body></html>");
    html_response(c, status, h)
}

/// A part of a page (what the page's own script swaps in), with a page's headers.
pub fn fragment(c: &Chrome<'_>, body: Html) -> Response {
    html_response(c, StatusCode::OK, body)
}

fn html_response(c: &Chrome<'_>, status: StatusCode, h: Html) -> Response {
    let mut resp = (status, h.into_string()).into_response();
    let hd = resp.headers_mut();
    hd.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    if let Ok(v) = HeaderValue::from_str(c.locale.tag()) {
        hd.insert(header::CONTENT_LANGUAGE, v);
    }
    if let Ok(v) = HeaderValue::from_str(&csp(&c.nonce)) {
        hd.insert(header::CONTENT_SECURITY_POLICY, v);
    }
    security_headers(hd);
    resp
}

/// The policy: nothing but this response's nonce'd style (and script), forms to this origin,
/// never framed.
pub fn csp(nonce: &Nonce) -> String {
    let n = nonce.as_str();
    format!(
        "default-src 'none'; style-src 'nonce-{n}'; script-src 'nonce-{n}'; img-src 'self' data:; \
         connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
    )
}

/// The headers every dashboard response carries (pages, redirects, CSV).
pub fn security_headers(hd: &mut axum::http::HeaderMap) {
    hd.insert("x-frame-options", HeaderValue::from_static("DENY"));
    hd.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    hd.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("same-origin"),
    );
    hd.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    hd.insert(
        header::VARY,
        HeaderValue::from_static("Accept-Language, Cookie"),
    );
}

/// An inline script under the response's nonce (the CSP allows no other).
pub fn script(h: &mut Html, nonce: &Nonce, code: &'static str) {
    h.raw("<script")
        .attr("nonce", nonce.as_str())
        .raw(">")
        .raw(code)
        .raw("</script>");
}

/// A notice (`role=status`, or `role=alert` for errors).
pub fn notice(h: &mut Html, text: &str, error: bool) {
    if error {
        h.raw("<div class=\"notice notice-error\" role=\"alert\"><p>");
    } else {
        h.raw("<div class=\"notice\" role=\"status\"><p>");
    }
    h.text(text).raw("</p></div>");
}
