//! Tests of the page builders as a whole: hostile strings in every slot, the auto-post page's
//! two ways of submitting, the status page's choices.

use super::*;
use paygate_ledger::Currency;

/// Breaks out of text, of a double- and a single-quoted attribute, and opens tags.
const HOSTILE: &str = "\"'><script>alert(1)</script><img src=x onerror=alert(2)>&amp;";

fn assert_inert(html: &str, scripts_allowed: usize) {
    assert!(!html.contains("<img"), "an <img> got through:\n{html}");
    assert!(
        !html.contains("<script>alert"),
        "a script got through:\n{html}"
    );
    assert_eq!(html.matches("<script").count(), scripts_allowed, "{html}");
    assert!(
        html.contains("&lt;script&gt;"),
        "the hostile text is shown escaped:\n{html}"
    );
}

fn ctx(locale: Locale) -> PageContext {
    PageContext::new(locale)
}

fn summary(merchant: &str, brand: &str) -> Summary {
    Summary {
        merchant: merchant.into(),
        amount: Amount::new(12_000, Currency::KRW),
        card: Some(CardTail {
            brand: brand.into(),
            last4: Last4::parse("4242").unwrap(),
        }),
    }
}

fn web(u: &str) -> WebUrl {
    WebUrl::parse("test", u).unwrap()
}

#[test]
fn hostile_strings_are_escaped_in_every_slot_of_every_page() {
    let c = ctx(Locale::En);
    let action = web("https://acs.example/challenge?q=\"><script>x</script>");
    assert!(
        !action.as_str().contains('<'),
        "the URL parser percent-encodes"
    );
    let p = auto_post(&c, &action, &[(HOSTILE, HOSTILE)], HOSTILE, HOSTILE);
    assert_inert(&p.html, 1);

    let link = Link {
        label: HOSTILE.into(),
        href: web("https://shop.example/?x=\"'><b>"),
    };
    let p = message(&c, MessageKind::Error, HOSTILE, HOSTILE, Some(&link));
    assert_inert(&p.html, 0);
    assert!(!p.html.contains("<b>"));

    let v = IntentStatusView {
        summary: summary(HOSTILE, HOSTILE),
        state: IntentState::RequiresAction,
        continue_url: Some(web("https://acs.example/x?a=<b>")),
        return_url: None,
    };
    assert_inert(&intent_status(&c, &v).html, 0);
}

#[test]
fn auto_post_submits_by_a_nonced_script_or_by_the_noscript_button() {
    let c = ctx(Locale::Ko);
    let action = web("https://acs.example:8443/3ds/challenge");
    let p = auto_post(
        &c,
        &action,
        &[
            ("creq", "eyJ0aHJlZURTU2VydmVyVHJhbnNJRCI6IjEifQ"),
            ("threeDSSessionData", "abc"),
        ],
        "카드 인증",
        "카드사 인증 페이지로 이동합니다.",
    );
    let csp = p.header("content-security-policy").unwrap();
    let nonce = c.nonce.as_str();
    assert!(
        csp.contains(&format!("script-src 'nonce-{nonce}'")),
        "{csp}"
    );
    assert!(
        csp.contains("form-action https://acs.example:8443;"),
        "{csp}"
    );
    assert!(
        p.html.contains(&format!("<script nonce=\"{nonce}\">")),
        "the script carries the CSP's nonce"
    );
    assert!(p.html.contains(&format!("<style nonce=\"{nonce}\">")));
    assert!(
        p.html
            .contains("action=\"https://acs.example:8443/3ds/challenge\"")
    );
    assert!(p.html.contains(
        "<input type=\"hidden\" name=\"creq\" value=\"eyJ0aHJlZURTU2VydmVyVHJhbnNJRCI6IjEifQ\">"
    ));
    let noscript = &p.html[p.html.find("<noscript>").unwrap()..p.html.find("</noscript>").unwrap()];
    assert!(noscript.contains("<button type=\"submit\""), "{noscript}");
    assert!(noscript.contains(Msg::Continue.text(Locale::Ko)));
    assert!(p.html.starts_with("<!doctype html><html lang=\"ko\">"));
}

#[test]
fn every_page_carries_the_security_headers_and_a_fresh_nonce() {
    let (a, b) = (ctx(Locale::En), ctx(Locale::En));
    assert_ne!(a.nonce, b.nonce);
    let p = not_found(&a);
    assert_eq!(p.status, 404);
    for (name, want) in [
        ("x-content-type-options", "nosniff"),
        ("referrer-policy", "no-referrer"),
        ("cache-control", "no-store"),
        ("content-type", "text/html; charset=utf-8"),
        ("content-language", "en"),
    ] {
        assert_eq!(p.header(name), Some(want), "{name}");
    }
    let csp = p.header("content-security-policy").unwrap();
    assert!(csp.contains("form-action 'none'") && csp.contains(a.nonce.as_str()));
    assert!(!csp.contains(b.nonce.as_str()));
}

#[test]
fn the_status_page_offers_the_next_step_that_fits_the_state() {
    let c = ctx(Locale::En);
    let ret = return_url(
        "https://shop.example/done?order=7",
        "pi_1",
        "pi_1_secret_s",
        RedirectStatus::Succeeded,
    )
    .unwrap();
    let view = |state, cont: Option<&str>| IntentStatusView {
        summary: summary("Corner Café", "visa"),
        state,
        continue_url: cont.map(web),
        return_url: Some(ret.clone()),
    };
    let acting = intent_status(
        &c,
        &view(IntentState::RequiresAction, Some("https://acs.example/c")),
    );
    assert!(acting.html.contains("href=\"https://acs.example/c\""));
    assert!(acting.html.contains(Msg::ContinuePayment.text(Locale::En)));
    assert!(
        !acting.html.contains("shop.example"),
        "no return while action is required"
    );

    let done = intent_status(&c, &view(IntentState::Succeeded, None));
    assert!(done.html.contains(Msg::StatusSucceeded.text(Locale::En)));
    assert!(done.html.contains(
        "href=\"https://shop.example/done?order=7&amp;payment_intent=pi_1&amp;payment_intent_client_secret=pi_1_secret_s&amp;redirect_status=succeeded\""
    ));
    assert!(done.html.contains("₩12,000") && done.html.contains("Corner Café"));
    assert!(
        done.html
            .contains("Visa <span aria-hidden=\"true\">••••</span> 4242")
    );

    let ko = intent_status(&ctx(Locale::Ko), &view(IntentState::Processing, None));
    assert!(ko.html.contains("12,000원") && ko.html.contains("lang=\"ko\""));
    assert!(
        !ko.html.contains("shop.example"),
        "no return while processing"
    );
}

#[test]
fn finished_states_map_to_stripes_redirect_status() {
    use IntentState::*;
    assert_eq!(Succeeded.finished(), Some(RedirectStatus::Succeeded));
    assert_eq!(RequiresCapture.finished(), Some(RedirectStatus::Succeeded));
    assert_eq!(Failed.finished(), Some(RedirectStatus::Failed));
    assert_eq!(Canceled.finished(), Some(RedirectStatus::Failed));
    for s in [
        RequiresAction,
        Processing,
        RequiresConfirmation,
        RequiresPaymentMethod,
    ] {
        assert_eq!(s.finished(), None, "{s:?}");
    }
}

#[test]
fn a_redirect_to_the_shop_is_a_303_with_the_return_url_and_a_link() {
    let c = ctx(Locale::En);
    let to = return_url(
        "https://shop.example/back?cart=1",
        "pi_5",
        "pi_5_secret_z",
        RedirectStatus::Failed,
    )
    .unwrap();
    let p = redirect(&c, &to);
    assert_eq!(p.status, 303);
    assert_eq!(p.header("location"), Some(to.as_str()));
    assert!(p.html.contains("redirect_status=failed"), "{}", p.html);
}

#[test]
fn continue_to_the_shop_is_a_page_with_a_link_and_its_nonced_script_not_a_redirect() {
    let c = ctx(Locale::Ko);
    let to = WebUrl::parse("success_url", "https://shop.example/done?s=\"<x>").unwrap();
    let p = continue_to(&c, &to);
    assert_eq!(p.status, 200);
    assert_eq!(
        p.header("location"),
        None,
        "no redirect for form-action to judge"
    );
    assert!(
        p.html
            .contains("href=\"https://shop.example/done?s=%22%3Cx%3E\""),
        "{}",
        p.html
    );
    let script = format!("<script nonce=\"{}\">location.replace(", c.nonce.as_str());
    assert!(p.html.contains(&script), "{}", p.html);
    assert!(
        p.header("content-security-policy")
            .unwrap()
            .contains("form-action 'none'")
    );
}

fn isp_view(text: &str) -> IspPageView {
    IspPageView {
        summary: Summary {
            merchant: text.into(),
            amount: Amount::new(35_000, Currency::KRW),
            card: None,
        },
        payment_intent: text.into(),
        merchant_account: text.into(),
        amount: 35_000,
        currency: "krw".into(),
        token: text.into(),
    }
}

#[test]
fn the_isp_page_escapes_its_data_and_loads_only_its_nonced_script() {
    let c = ctx(Locale::Ko);
    let p = isp_page(&c, &isp_view(HOSTILE));
    assert_inert(&p.html, 1);
    let tag = format!(
        "<script nonce=\"{}\" src=\"{ISP_SCRIPT_PATH}\"></script>",
        c.nonce.as_str()
    );
    assert!(p.html.contains(&tag), "{}", p.html);
    assert!(
        p.html
            .contains("data-payment-intent=\"&quot;&#39;&gt;&lt;script")
    );
    let csp = p.header("content-security-policy").unwrap();
    assert!(csp.contains("connect-src 'self'"), "{csp}");
    assert!(csp.contains("form-action 'none'"), "{csp}");
    assert!(csp.contains(&format!("script-src 'nonce-{}'", c.nonce.as_str())));
}

#[test]
fn the_isp_page_speaks_the_payers_language_and_labels_every_input() {
    for (l, want) in [
        (
            Locale::Ko,
            ["ISP 안전결제", "카드 번호", "ISP 비밀번호", "자바스크립트"],
        ),
        (
            Locale::En,
            [
                "ISP secure payment",
                "Card number",
                "ISP password",
                "JavaScript",
            ],
        ),
    ] {
        let p = isp_page(&ctx(l), &isp_view("pi_1"));
        for w in want {
            assert!(p.html.contains(w), "{w:?} missing in {l:?}");
        }
        assert!(p.html.contains(Msg::IspWrongPassword.text(l)));
        assert!(p.html.contains("35,000"));
        for id in [
            "isp-number",
            "isp-exp",
            "isp-cvc",
            "isp-new-password",
            "isp-password",
        ] {
            assert!(p.html.contains(&format!("<label for=\"{id}\">")), "{id}");
            assert!(p.html.contains(&format!("<input id=\"{id}\"")), "{id}");
        }
        assert!(p.html.contains("<noscript>"));
    }
}

#[test]
fn isp_refusals_are_worded_by_code() {
    let l = Locale::En;
    assert_eq!(
        isp_error_text(l, "isp_card_declined"),
        Msg::IspCardDeclined.text(l)
    );
    assert_eq!(
        isp_error_text(l, "isp_certificate_revoked"),
        Msg::IspCertificateProblem.text(l)
    );
    assert_eq!(
        isp_error_text(Locale::Ko, "isp_signature_replayed"),
        Msg::IspPaymentRefused.text(Locale::Ko)
    );
    assert_eq!(
        isp_error_text(l, "card_declined"),
        Msg::IspPaymentRefused.text(l)
    );
    assert_eq!(
        isp_error_text(l, "isp_card_invalid"),
        Msg::IspCardInvalid.text(l)
    );
    assert_eq!(
        isp_error_text(l, "api_connection_error"),
        Msg::ErrorBody.text(l)
    );
}

#[test]
fn the_isp_script_talks_to_the_same_origin_only() {
    for needle in ["http://", "https://", "eval(", "innerHTML", "localStorage"] {
        assert!(!ISP_SCRIPT.contains(needle), "{needle} in isp.js");
    }
    assert!(ISP_SCRIPT.contains("iterations: PBKDF2_ITERATIONS"));
    assert!(ISP_SCRIPT.contains("const PBKDF2_ITERATIONS = 600000;"));
}
