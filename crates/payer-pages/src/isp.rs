//! The ISP (안전결제) page: the payer's browser enrols a card with the card company's ISP
//! server and signs the payment with its own key, all in the script [`ISP_SCRIPT`] (WebCrypto,
//! IndexedDB). The page carries what the script needs as `data-` attributes (escaped like any
//! value) and every sentence it may show in the page's language; without JavaScript only the
//! `<noscript>` explanation shows.
//!
//! The script is served by the gateway at [`ISP_SCRIPT_PATH`] and loaded by a `<script src>`
//! under the response's nonce; the page's CSP lets it call the same origin only
//! ([`Connect::SameOrigin`]). Its forms are handled by the script and never submitted, so
//! `form-action` stays `'none'`.

use crate::components::{Summary, payment_summary};
use crate::html::Html;
use crate::i18n::{Locale, Msg};
use crate::security::Connect;
use crate::{Page, PageContext};

/// The browser's ISP client (hand-written, no build step), served at [`ISP_SCRIPT_PATH`].
pub const ISP_SCRIPT: &str = include_str!("isp.js");
/// Where the gateway serves [`ISP_SCRIPT`].
pub const ISP_SCRIPT_PATH: &str = "/pay/isp/isp.js";
/// Shortest ISP password the page accepts when a card is enrolled.
pub const ISP_PASSWORD_LEN_MIN: usize = 8;

/// What the ISP page of one PaymentIntent shows and signs.
#[derive(Clone, Debug)]
pub struct IspPageView {
    /// Merchant name, amount (and no card: the card is on the payer's device).
    pub summary: Summary,
    /// `signed_data.payment_intent`.
    pub payment_intent: String,
    /// `signed_data.merchant`: the merchant's account id.
    pub merchant_account: String,
    /// `signed_data.amount` in minor units.
    pub amount: i64,
    /// `signed_data.currency`, lowercase ISO 4217.
    pub currency: String,
    /// The page token `t`, sent back by the script with each call to the gateway.
    pub token: String,
}

/// The texts the script may show, by the `data-` attribute it reads them from.
const SCRIPT_TEXTS: [(&str, Msg); 10] = [
    ("data-working", Msg::IspWorking),
    ("data-enrolled", Msg::IspEnrolled),
    ("data-wrong-password", Msg::IspWrongPassword),
    ("data-passwords-differ", Msg::IspPasswordsDiffer),
    ("data-password-short", Msg::IspPasswordTooShort),
    ("data-card-invalid", Msg::IspCardInvalid),
    ("data-network", Msg::IspNetworkError),
    ("data-unsupported", Msg::IspUnsupported),
    ("data-error", Msg::ErrorBody),
    ("data-card-label", Msg::IspRegisteredCard),
];

/// The ISP page: summary, `<noscript>` explanation, and the enrol and pay forms the script
/// shows (enrol when this browser holds no certificate, pay when it does).
pub fn isp_page(ctx: &PageContext, v: &IspPageView) -> Page {
    let l = ctx.locale;
    let mut b = Html::new();
    b.raw("<p>").text(Msg::IspExplanation.text(l)).raw("</p>");
    b.fragment(payment_summary(l, &v.summary));
    b.raw("<noscript><div class=\"notice notice-error\" role=\"alert\"><p>")
        .text(Msg::IspNoScript.text(l))
        .raw("</p></div></noscript>");
    b.raw("<div id=\"isp-app\" hidden")
        .attr("data-payment-intent", &v.payment_intent)
        .attr("data-merchant", &v.merchant_account)
        .attr("data-amount", &v.amount.to_string())
        .attr("data-currency", &v.currency)
        .attr("data-token", &v.token)
        .attr("data-locale", l.tag())
        .attr("data-password-min", &ISP_PASSWORD_LEN_MIN.to_string())
        .raw(">");
    b.raw(
        "<div id=\"isp-status\" class=\"notice notice-info\" role=\"status\" hidden><p></p></div>",
    );
    b.raw(
        "<div id=\"isp-error\" class=\"notice notice-error\" role=\"alert\" hidden><p></p></div>",
    );
    b.fragment(enrol_form(l));
    b.fragment(pay_form(l));
    b.raw("</div><div id=\"isp-texts\" hidden");
    for (attr, msg) in SCRIPT_TEXTS {
        b.raw(" ").raw(attr).raw("=\"").text(msg.text(l)).raw("\"");
    }
    b.raw("></div><script")
        .attr("nonce", ctx.nonce.as_str())
        .attr("src", ISP_SCRIPT_PATH)
        .raw("></script>");
    Page::render_with(ctx, 200, Msg::IspTitle.text(l), b, &[], Connect::SameOrigin)
}

/// One labelled input.
fn field(b: &mut Html, id: &'static str, label: Msg, l: Locale, attrs: &'static str) {
    b.raw("<label")
        .attr("for", id)
        .raw(">")
        .text(label.text(l))
        .raw("</label><input")
        .attr("id", id)
        .attr("name", id)
        .raw(" ")
        .raw(attrs)
        .raw(" required>");
}

fn enrol_form(l: Locale) -> Html {
    let mut b = Html::new();
    b.raw("<form id=\"isp-enrol\" hidden novalidate><h2>")
        .text(Msg::IspEnrolTitle.text(l))
        .raw("</h2><p class=\"hint\">")
        .text(Msg::IspEnrolExplanation.text(l))
        .raw("</p>");
    let numeric = "inputmode=\"numeric\" autocomplete=\"cc-number\" maxlength=\"23\"";
    field(&mut b, "isp-number", Msg::IspCardNumber, l, numeric);
    b.raw("<div class=\"fields\"><div>");
    let exp = "autocomplete=\"cc-exp\" placeholder=\"MM/YY\" maxlength=\"7\"";
    field(&mut b, "isp-exp", Msg::IspExpiry, l, exp);
    b.raw("</div><div>");
    let cvc = "inputmode=\"numeric\" autocomplete=\"cc-csc\" maxlength=\"4\"";
    field(&mut b, "isp-cvc", Msg::IspCvc, l, cvc);
    b.raw("</div></div>");
    let new_pw = "type=\"password\" autocomplete=\"new-password\"";
    field(&mut b, "isp-new-password", Msg::IspNewPassword, l, new_pw);
    field(
        &mut b,
        "isp-password-again",
        Msg::IspPasswordAgain,
        l,
        new_pw,
    );
    b.raw("<button type=\"submit\" class=\"button\">")
        .text(Msg::IspEnrolButton.text(l))
        .raw("</button></form>");
    b
}

fn pay_form(l: Locale) -> Html {
    let mut b = Html::new();
    b.raw("<form id=\"isp-pay\" hidden novalidate><h2>")
        .text(Msg::IspPayTitle.text(l))
        .raw("</h2><p id=\"isp-card\" class=\"hint\"></p>");
    let pw = "type=\"password\" autocomplete=\"current-password\"";
    field(&mut b, "isp-password", Msg::IspPassword, l, pw);
    b.raw("<button type=\"submit\" class=\"button\">")
        .text(Msg::IspPayButton.text(l))
        .raw("</button><button type=\"button\" id=\"isp-other\" class=\"button button-secondary\">")
        .text(Msg::IspOtherCard.text(l))
        .raw("</button></form>");
    b
}

/// How the page words a refusal (an ISP server or gateway error `code`) to the payer.
pub fn isp_error_text(locale: Locale, code: &str) -> &'static str {
    let msg = match code {
        "isp_card_invalid"
        | "incorrect_number"
        | "invalid_expiry_year"
        | "invalid_expiry_month"
        | "incorrect_cvc" => Msg::IspCardInvalid,
        "isp_card_declined" => Msg::IspCardDeclined,
        "isp_certificate_invalid"
        | "isp_certificate_untrusted"
        | "isp_certificate_expired"
        | "isp_certificate_revoked"
        | "isp_card_mismatch" => Msg::IspCertificateProblem,
        "isp_page_expired" => Msg::IspExpired,
        // The page's own requests malformed: nothing the payer can fix but trying again.
        "isp_csr_invalid" | "isp_request_invalid" | "isp_password_not_set" => Msg::ErrorBody,
        c if c.starts_with("isp_") || c.ends_with("_declined") || c == "expired_card" => {
            Msg::IspPaymentRefused
        }
        _ => Msg::ErrorBody,
    };
    msg.text(locale)
}
