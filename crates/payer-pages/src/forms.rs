//! Form pieces the step-by-step payer pages share (the carrier page, the 간편결제 wallet): a
//! form posting to the page itself with its token and step, labelled inputs, the mobile
//! number and SMS code steps, the submit button. Every input has its `<label for>`.

use crate::html::Html;
use crate::i18n::{Locale, Msg};
use crate::security::WebUrl;

/// `<label for=id>text</label>`.
pub fn label(h: &mut Html, id: &str, text: &str) {
    h.raw("<label")
        .attr("for", id)
        .raw(">")
        .text(text)
        .raw("</label>");
}

/// Opens a form posting to `action` with the page token `t` and the `step` (hidden).
pub fn open_form(h: &mut Html, action: &WebUrl, token: &str, step: &str) {
    h.raw("<form method=\"post\"")
        .attr("action", action.as_str())
        .raw("><input type=\"hidden\" name=\"t\"")
        .attr("value", token)
        .raw("><input type=\"hidden\" name=\"step\"")
        .attr("value", step)
        .raw(">");
}

/// A hidden field.
pub fn hidden(h: &mut Html, name: &str, value: &str) {
    h.raw("<input type=\"hidden\"")
        .attr("name", name)
        .attr("value", value)
        .raw(">");
}

/// The submit button (`secondary` for the less prominent style) and the form's end.
pub fn submit(h: &mut Html, text: &str, secondary: bool) {
    let class = if secondary {
        "button button-secondary"
    } else {
        "button"
    };
    h.raw("<button type=\"submit\"")
        .attr("class", class)
        .raw(">")
        .text(text)
        .raw("</button></form>");
}

/// The mobile number input `phone` (its element id `id`).
pub fn phone_input(h: &mut Html, l: Locale, id: &str) {
    label(h, id, Msg::PhoneNumber.text(l));
    h.raw("<input")
        .attr("id", id)
        .raw(" name=\"phone\" type=\"tel\" inputmode=\"numeric\" autocomplete=\"tel\" pattern=\"01[0-9 \\-]{8,11}\" maxlength=\"13\" required>");
}

/// The SMS code step's text and input `otp`: "`sent` `phone_masked`", then the code.
pub fn otp_input(h: &mut Html, l: Locale, sent: Msg, phone_masked: &str) {
    h.raw("<p>")
        .text(sent.text(l))
        .raw(" ")
        .text(phone_masked)
        .raw("</p>");
    label(h, "otp", Msg::OtpCode.text(l));
    h.raw("<input id=\"otp\" name=\"otp\" type=\"text\" inputmode=\"numeric\" pattern=\"[0-9]{6}\" maxlength=\"6\" autocomplete=\"one-time-code\" required autofocus>");
}
