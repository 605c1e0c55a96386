//! The ACS's server-rendered pages, in Korean or English: the password challenge, the CRes
//! auto-post page and the error page. No JavaScript is needed (the auto-post page's one
//! nonce'd script only saves a click; its button is shown in `<noscript>`), every input has a
//! label, focus is visible, colours keep at least 4.5:1 contrast, and a strict CSP allows only
//! the page's own nonce'd style and script and forms posting to the ACS and the merchant's
//! notificationURL. A password is never echoed.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

/// The page language.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Locale {
    Ko,
    En,
}

impl Locale {
    /// `?locale=ko|en` if given, else the best of ko/en in `Accept-Language` (by q-value), else
    /// English.
    pub(crate) fn negotiate(query: Option<&str>, accept_language: Option<&str>) -> Locale {
        match query {
            Some("ko") => return Locale::Ko,
            Some("en") => return Locale::En,
            _ => {}
        }
        let mut best: Option<(u16, Locale)> = None;
        for item in accept_language.unwrap_or_default().split(',') {
            let mut parts = item.split(';');
            let tag = parts.next().unwrap_or_default().trim().to_ascii_lowercase();
            let q = parts
                .find_map(|p| p.trim().strip_prefix("q="))
                .and_then(|q| q.parse::<f32>().ok())
                .map_or(1000, |q| (q.clamp(0.0, 1.0) * 1000.0) as u16);
            let locale = match tag.split('-').next() {
                Some("ko") => Locale::Ko,
                Some("en") => Locale::En,
                _ => continue,
            };
            if q > 0 && best.is_none_or(|(bq, _)| q > bq) {
                best = Some((q, locale));
            }
        }
        best.map_or(Locale::En, |(_, l)| l)
    }

    /// The BCP 47 tag.
    pub(crate) fn tag(self) -> &'static str {
        match self {
            Locale::Ko => "ko",
            Locale::En => "en",
        }
    }

    fn t(self, ko: &'static str, en: &'static str) -> &'static str {
        match self {
            Locale::Ko => ko,
            Locale::En => en,
        }
    }
}

/// What the challenge page tells the payer above the form.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Notice {
    /// The last password was wrong; this many tries remain before the card locks.
    WrongPassword { attempts_left: u32 },
    /// The form was sent without a password.
    PasswordRequired,
}

/// The data of a challenge page.
pub(crate) struct ChallengePage<'a> {
    pub locale: Locale,
    pub merchant_name: &'a str,
    pub amount_minor: u64,
    pub exponent: u8,
    pub currency: &'a str,
    pub last4: &'a str,
    pub acs_trans_id: &'a str,
    pub submit_url: &'a str,
    pub notification_url: &'a str,
    pub notice: Option<Notice>,
}

/// How a challenge ended, for the text of the CRes page.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Headline {
    Authenticated,
    Failed,
    Locked,
    Cancelled,
    TimedOut,
    Error,
}

/// The data of a CRes auto-post page.
pub(crate) struct CresPage<'a> {
    pub locale: Locale,
    pub headline: Headline,
    pub notification_url: &'a str,
    pub acs_url: &'a str,
    /// base64url of the CRes (or Erro) JSON.
    pub cres: &'a str,
    pub session_data: Option<&'a str>,
}

const STYLE: &str = "body{font-family:system-ui,sans-serif;color:#1a1a1a;background:#fff;margin:0}\
main{max-width:26rem;margin:2rem auto;padding:0 1rem}h1{font-size:1.4rem}\
dl{display:grid;grid-template-columns:auto 1fr;gap:.3rem 1rem}dt{font-weight:600}dd{margin:0}\
label{display:block;font-weight:600;margin:1rem 0 .3rem}\
input{font-size:1.1rem;padding:.5rem;width:100%;box-sizing:border-box;border:2px solid #555}\
button{font-size:1rem;padding:.6rem 1.2rem;margin:1rem .5rem 0 0;border:2px solid #1a56db;\
background:#1a56db;color:#fff;cursor:pointer}button.secondary{background:#fff;color:#1a56db}\
:focus-visible{outline:3px solid #b45309;outline-offset:2px}\
.notice{color:#9b1c1c;font-weight:600}";

/// The password challenge page.
pub(crate) fn challenge(c: &ChallengePage<'_>, acs_origin: &str) -> Response {
    let l = c.locale;
    let nonce = nonce();
    let notice = match c.notice {
        Some(Notice::WrongPassword { attempts_left }) => format!(
            r#"<p class="notice" role="alert">{}</p>"#,
            match l {
                Locale::Ko =>
                    format!("비밀번호가 올바르지 않습니다. 남은 입력 횟수: {attempts_left}회"),
                Locale::En => format!("Wrong password. Attempts left: {attempts_left}"),
            }
        ),
        Some(Notice::PasswordRequired) => format!(
            r#"<p class="notice" role="alert">{}</p>"#,
            l.t("비밀번호를 입력해 주세요.", "Please enter your password.")
        ),
        None => String::new(),
    };
    let body = format!(
        r#"<main><h1>{title}</h1><p>{intro}</p>
<dl><dt>{merchant_l}</dt><dd>{merchant}</dd><dt>{amount_l}</dt><dd>{amount}</dd>
<dt>{card_l}</dt><dd>•••• {last4}</dd></dl>{notice}
<form method="post" action="{action}" autocomplete="off">
<input type="hidden" name="acsTransID" value="{acs}">
<label for="password">{password_l}</label>
<input id="password" name="password" type="password" inputmode="numeric" required autofocus>
<button type="submit" name="action" value="submit">{submit_l}</button>
<button type="submit" name="action" value="cancel" class="secondary" formnovalidate>{cancel_l}</button>
</form></main>"#,
        title = l.t("안심클릭 본인 인증", "Verify your card payment"),
        intro = l.t(
            "결제를 완료하려면 카드 비밀번호를 입력하세요.",
            "Enter your card password to complete the payment."
        ),
        merchant_l = l.t("가맹점", "Merchant"),
        merchant = escape(c.merchant_name),
        amount_l = l.t("결제 금액", "Amount"),
        amount = escape(&format_amount(c.amount_minor, c.exponent, c.currency, l)),
        card_l = l.t("카드", "Card"),
        last4 = escape(c.last4),
        action = escape(c.submit_url),
        acs = escape(c.acs_trans_id),
        password_l = l.t("안심클릭 비밀번호", "Card password"),
        submit_l = l.t("인증", "Verify"),
        cancel_l = l.t("취소", "Cancel"),
    );
    let title = l.t("안심클릭", "3-D Secure");
    page(
        StatusCode::OK,
        l,
        title,
        &body,
        "",
        &nonce,
        &[acs_origin, &origin(c.notification_url)],
    )
}

/// The page that posts the CRes to the notificationURL.
pub(crate) fn cres(r: &CresPage<'_>) -> Response {
    let l = r.locale;
    let nonce = nonce();
    let message = match r.headline {
        Headline::Authenticated => l.t("인증이 완료되었습니다.", "Authentication complete."),
        Headline::Failed => l.t("인증에 실패했습니다.", "Authentication failed."),
        Headline::Locked => l.t(
            "비밀번호를 5회 잘못 입력하여 카드가 30분 동안 잠겼습니다.",
            "The password was entered wrongly 5 times: the card is locked for 30 minutes.",
        ),
        Headline::Cancelled => l.t("인증이 취소되었습니다.", "Authentication cancelled."),
        Headline::TimedOut => l.t("인증 시간이 초과되었습니다.", "Authentication timed out."),
        Headline::Error => l.t(
            "인증 요청을 처리할 수 없습니다.",
            "The authentication request could not be processed.",
        ),
    };
    let session = r.session_data.map_or_else(String::new, |s| {
        format!(
            r#"<input type="hidden" name="threeDSSessionData" value="{}">"#,
            escape(s)
        )
    });
    let body = format!(
        r#"<main><h1>{message}</h1><p>{returning}</p>
<form id="cres-form" method="post" action="{action}">
<input type="hidden" name="cres" value="{cres}">{session}
<noscript><button type="submit">{continue_l}</button></noscript>
</form></main>"#,
        returning = l.t("가맹점으로 돌아갑니다…", "Returning to the merchant…"),
        action = escape(r.notification_url),
        cres = escape(r.cres),
        continue_l = l.t("계속", "Continue"),
    );
    let script = format!(
        r#"<script nonce="{nonce}">document.getElementById("cres-form").submit();</script>"#
    );
    let origins = [r.acs_url, &origin(r.notification_url)];
    page(
        StatusCode::OK,
        l,
        l.t("안심클릭", "3-D Secure"),
        &body,
        &script,
        &nonce,
        &origins,
    )
}

/// An error page (e.g. a CReq the ACS cannot attribute to a transaction): 400.
pub(crate) fn error(l: Locale, acs_origin: &str) -> Response {
    let nonce = nonce();
    let body = format!(
        "<main><h1>{}</h1><p>{}</p></main>",
        l.t("잘못된 인증 요청", "Invalid authentication request"),
        l.t(
            "이 인증 요청을 처리할 수 없습니다. 가맹점으로 돌아가 다시 시도해 주세요.",
            "This authentication request cannot be processed. Go back to the merchant and try again."
        )
    );
    page(
        StatusCode::BAD_REQUEST,
        l,
        l.t("안심클릭", "3-D Secure"),
        &body,
        "",
        &nonce,
        &[acs_origin],
    )
}

fn page(
    status: StatusCode,
    l: Locale,
    title: &str,
    body: &str,
    script: &str,
    nonce: &str,
    form_origins: &[&str],
) -> Response {
    let html = format!(
        r#"<!doctype html>
<html lang="{lang}"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title><style nonce="{nonce}">{STYLE}</style></head>
<body>{body}{script}</body></html>
"#,
        lang = l.tag(),
    );
    let csp = format!(
        "default-src 'none'; style-src 'nonce-{nonce}'; script-src 'nonce-{nonce}'; \
         form-action {}; base-uri 'none'",
        form_origins.join(" ")
    );
    let mut resp = (status, html).into_response();
    let h = resp.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    if let Ok(v) = HeaderValue::from_str(&csp) {
        h.insert(header::CONTENT_SECURITY_POLICY, v);
    }
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    resp
}

/// A fresh CSP nonce (122 random bits).
fn nonce() -> String {
    uuid::Uuid::new_v4().simple().to_string()
}

/// The origin (`scheme://host[:port]`) of a URL; `'none'`-safe fallback for a bad one.
pub(crate) fn origin(url: &str) -> String {
    url::Url::parse(url).map_or_else(
        |_| "'self'".to_owned(),
        |u| u.origin().ascii_serialization(),
    )
}

/// `& < > " '` escaped for HTML text and attribute values.
pub(crate) fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for ch in s.chars() {
        match ch {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// ISO 4217 alphabetic codes of the numeric codes the simulator names.
const CURRENCIES: &[(&str, &str)] = &[
    ("410", "KRW"),
    ("840", "USD"),
    ("978", "EUR"),
    ("392", "JPY"),
    ("826", "GBP"),
    ("156", "CNY"),
];

/// An amount in minor units shown in major units by the currency exponent, digits grouped by
/// thousands: `12,000원` / `12,000 KRW`, `12.34 USD`.
pub(crate) fn format_amount(minor: u64, exponent: u8, currency: &str, l: Locale) -> String {
    let code = CURRENCIES
        .iter()
        .find(|(n, _)| *n == currency)
        .map_or(currency, |(_, a)| a);
    let exponent = u32::from(exponent.min(9));
    let scale = 10u64.pow(exponent);
    let major = group_thousands(minor / scale);
    let number = if exponent == 0 {
        major
    } else {
        let width = exponent as usize;
        format!("{major}.{:0width$}", minor % scale)
    };
    if l == Locale::Ko && code == "KRW" {
        format!("{number}원")
    } else {
        format!("{number} {code}")
    }
}

fn group_thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, ch) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(ch);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_follow_the_currency_exponent() {
        assert_eq!(format_amount(12_000, 0, "410", Locale::Ko), "12,000원");
        assert_eq!(format_amount(12_000, 0, "410", Locale::En), "12,000 KRW");
        assert_eq!(
            format_amount(1_234_567, 2, "840", Locale::En),
            "12,345.67 USD"
        );
        assert_eq!(format_amount(5, 2, "978", Locale::En), "0.05 EUR");
        assert_eq!(format_amount(999, 0, "999", Locale::En), "999 999");
    }

    #[test]
    fn locale_by_query_then_accept_language() {
        assert_eq!(Locale::negotiate(Some("ko"), Some("en")), Locale::Ko);
        assert_eq!(
            Locale::negotiate(None, Some("ko-KR,ko;q=0.9,en;q=0.8")),
            Locale::Ko
        );
        assert_eq!(Locale::negotiate(None, Some("ko;q=0.5, en-US")), Locale::En);
        assert_eq!(Locale::negotiate(None, Some("fr")), Locale::En);
        assert_eq!(Locale::negotiate(None, None), Locale::En);
    }

    #[test]
    fn escaping_covers_markup_and_quotes() {
        assert_eq!(
            escape(r#"<a href="x">'&"#),
            "&lt;a href=&quot;x&quot;&gt;&#39;&amp;"
        );
    }
}
