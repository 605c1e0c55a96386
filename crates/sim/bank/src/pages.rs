//! The bank's own internet-banking pages for 계좌이체 (served by the simulator, not by
//! paygate): the payer logs in with `account_number` and `password`, sees the debit (shop,
//! amount) and approves it; the bank then sends the browser back to the return URL the
//! gateway registered with the order. Plain forms, no script.
//!
//! - `GET /transfer/{order_id}` — the login form;
//! - `POST /transfer/{order_id}/login` — `account_number`, `password` → the approval form, or
//!   the login form again (wrong password), or back to the shop (account locked);
//! - `POST /transfer/{order_id}/approve` — `session` → debit (or decline) → 303 to the shop.

use std::collections::HashMap;
use std::sync::Arc;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};

use crate::banks::bank;
use crate::link::Shared;
use crate::login::Login;
use crate::orders::Order;

/// The pages' routes.
pub fn router(shared: Arc<Shared>) -> Router {
    Router::new()
        .route("/transfer/{id}", get(show))
        .route("/transfer/{id}/login", post(login))
        .route("/transfer/{id}/approve", post(approve))
        .with_state(shared)
}

fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#39;")
}

fn won(amount: i64) -> String {
    let digits = amount.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    format!("{out}원")
}

fn page(status: StatusCode, o: &Order, body: &str) -> Response {
    let name = bank(&o.bank).map_or("은행", |b| b.name);
    let html = format!(
        "<!doctype html><html lang=\"ko\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width\"><title>{name} 계좌이체</title></head>\
         <body><main><h1>{name} 계좌이체</h1>\
         <p>가맹점 <strong id=\"merchant\">{}</strong> · 금액 <strong id=\"amount\">{}</strong></p>{body}</main></body></html>",
        esc(&o.merchant),
        won(o.amount)
    );
    (status, Html(html)).into_response()
}

fn login_form(o: &Order, notice: Option<&str>) -> String {
    let notice = notice.map_or(String::new(), |n| {
        format!("<p role=\"alert\" id=\"notice\">{}</p>", esc(n))
    });
    format!(
        "{notice}<form method=\"post\" action=\"/transfer/{}/login\">\
         <label for=\"account_number\">계좌번호</label>\
         <input id=\"account_number\" name=\"account_number\" inputmode=\"numeric\" autocomplete=\"off\" required>\
         <label for=\"password\">인터넷뱅킹 비밀번호</label>\
         <input id=\"password\" name=\"password\" type=\"password\" autocomplete=\"off\" required>\
         <button type=\"submit\">로그인</button></form>",
        esc(&o.order_id)
    )
}

fn back_to_shop(o: &Order) -> Response {
    (
        StatusCode::SEE_OTHER,
        [(header::LOCATION, o.return_url.clone())],
    )
        .into_response()
}

fn not_found() -> Response {
    (
        StatusCode::NOT_FOUND,
        Html("<!doctype html><title>없음</title><p>주문이 없습니다.</p>"),
    )
        .into_response()
}

fn order(shared: &Shared, id: &str) -> Option<Order> {
    shared.store.inquire(id).ok().flatten()
}

async fn show(State(shared): State<Arc<Shared>>, Path(id): Path<String>) -> Response {
    let Some(o) = order(&shared, &id) else {
        return not_found();
    };
    if !matches!(o.status, crate::orders::OrderStatus::Pending) {
        return page(
            StatusCode::OK,
            &o,
            &shop_link(&o, "이 주문은 이미 처리되었습니다."),
        );
    }
    page(StatusCode::OK, &o, &login_form(&o, None))
}

fn shop_link(o: &Order, text: &str) -> String {
    format!(
        "<p id=\"notice\">{}</p><p><a href=\"{}\">가맹점으로 돌아가기</a></p>",
        esc(text),
        esc(&o.return_url)
    )
}

fn form(body: &Bytes) -> HashMap<String, String> {
    url::form_urlencoded::parse(body).into_owned().collect()
}

async fn login(State(shared): State<Arc<Shared>>, Path(id): Path<String>, body: Bytes) -> Response {
    let f = form(&body);
    let field = |k: &str| f.get(k).map(|s| s.trim().to_string()).unwrap_or_default();
    let Some(o) = order(&shared, &id) else {
        return not_found();
    };
    let now = (shared.now)();
    let account: String = field("account_number")
        .chars()
        .filter(char::is_ascii_digit)
        .collect();
    match shared.store.login(&id, &account, &field("password"), now) {
        Ok(Login::Ok { session }) => {
            let masked = format!(
                "{}{}",
                "*".repeat(account.len().saturating_sub(4)),
                &account[account.len().saturating_sub(4)..]
            );
            let body = format!(
                "<p>출금계좌 <strong id=\"account\">{}</strong>에서 출금합니다.</p>\
                 <form method=\"post\" action=\"/transfer/{}/approve\">\
                 <input type=\"hidden\" name=\"session\" value=\"{}\">\
                 <button type=\"submit\" id=\"approve\">출금 승인</button></form>",
                esc(&masked),
                esc(&o.order_id),
                esc(&session)
            );
            page(StatusCode::OK, &o, &body)
        }
        Ok(Login::Wrong { left }) => {
            let text = format!("계좌번호 또는 비밀번호가 틀렸습니다. 남은 횟수 {left}회.");
            page(StatusCode::UNAUTHORIZED, &o, &login_form(&o, Some(&text)))
        }
        Ok(Login::Locked) => back_to_shop(&o),
        Ok(Login::Closed) => page(
            StatusCode::CONFLICT,
            &o,
            &shop_link(&o, "이 주문은 이미 처리되었습니다."),
        ),
        Err(e) => {
            tracing::error!(error = %e, "bank sim: login not stored");
            page(
                StatusCode::INTERNAL_SERVER_ERROR,
                &o,
                "<p>잠시 후 다시 시도해 주세요.</p>",
            )
        }
    }
}

async fn approve(
    State(shared): State<Arc<Shared>>,
    Path(id): Path<String>,
    body: Bytes,
) -> Response {
    let f = form(&body);
    let session = f.get("session").cloned().unwrap_or_default();
    let Some(o) = order(&shared, &id) else {
        return not_found();
    };
    match shared.store.approve(&id, &session, (shared.now)()) {
        Ok(Ok(o)) => back_to_shop(&o),
        Ok(Err(_)) => page(
            StatusCode::BAD_REQUEST,
            &o,
            &shop_link(&o, "승인할 수 없는 주문입니다."),
        ),
        Err(e) => {
            tracing::error!(error = %e, "bank sim: debit not stored");
            page(
                StatusCode::INTERNAL_SERVER_ERROR,
                &o,
                "<p>잠시 후 다시 시도해 주세요.</p>",
            )
        }
    }
}
