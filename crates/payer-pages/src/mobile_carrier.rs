//! The 휴대폰 소액결제 page (`/pay/mobile_carrier/{pi}`): plain forms, no script, Korean and
//! English from the catalog ([`Msg`]`::Mc…`), every input labelled.
//!
//! Step 1 (`start`): `carrier` (radio: skt, kt, lgu, mvno), `phone`, `birth_date`, `consent`.
//! Step 2 (`otp`): the code the carrier sent by SMS; beside it a `resend` form (the number is
//! typed again: neither paygate nor the carrier keeps it).

use crate::components::{MessageKind, Summary, notice, payment_summary};
use crate::forms::{label, open_form, otp_input, phone_input, submit};
use crate::html::Html;
use crate::i18n::{Locale, Msg};
use crate::security::{FormOrigin, WebUrl};
use crate::{Page, PageContext};

/// Which form the page shows.
pub enum CarrierForm<'a> {
    /// Carrier, phone, birth date, consent.
    Start,
    /// The code sent to `phone_masked`.
    Code { phone_masked: &'a str },
}

/// What the page is about.
pub struct CarrierPageView<'a> {
    pub summary: &'a Summary,
    /// The page itself (the forms post here).
    pub action: &'a WebUrl,
    /// The shop's `return_url`: the last step answers 303 there.
    pub shop: Option<&'a WebUrl>,
    /// The page token `t`.
    pub token: &'a str,
    /// The last step's error or hint.
    pub notice: Option<(MessageKind, Msg)>,
    pub form: CarrierForm<'a>,
}

const CARRIERS: [(&str, Msg); 4] = [
    ("skt", Msg::McSkt),
    ("kt", Msg::McKt),
    ("lgu", Msg::McLgu),
    ("mvno", Msg::McMvno),
];

fn start_form(h: &mut Html, l: Locale, v: &CarrierPageView<'_>) {
    open_form(h, v.action, v.token, "start");
    h.raw("<fieldset><legend>")
        .text(Msg::McCarrier.text(l))
        .raw("</legend>");
    for (i, (value, name)) in CARRIERS.iter().enumerate() {
        let id = format!("carrier-{value}");
        h.raw("<label")
            .attr("for", &id)
            .raw("><input type=\"radio\" name=\"carrier\"")
            .attr("id", &id)
            .attr("value", value);
        if i == 0 {
            h.raw(" required");
        }
        h.raw("> ").text(name.text(l)).raw("</label>");
    }
    h.raw("</fieldset>");
    phone_input(h, l, "phone");
    label(h, "birth_date", Msg::McBirthDate.text(l));
    h.raw("<input id=\"birth_date\" name=\"birth_date\" type=\"text\" inputmode=\"numeric\" autocomplete=\"bday\" pattern=\"[0-9]{8}\" maxlength=\"8\" required>");
    h.raw("<label for=\"consent\"><input id=\"consent\" name=\"consent\" type=\"checkbox\" value=\"yes\" required> ")
        .text(Msg::McConsent.text(l))
        .raw("</label>");
    submit(h, Msg::SendCode.text(l), false);
}

fn code_forms(h: &mut Html, l: Locale, v: &CarrierPageView<'_>, phone_masked: &str) {
    open_form(h, v.action, v.token, "otp");
    otp_input(h, l, Msg::McCodeSent, phone_masked);
    submit(h, Msg::McPay.text(l), false);
    h.raw("<h2>").text(Msg::McResendTitle.text(l)).raw("</h2>");
    open_form(h, v.action, v.token, "resend");
    phone_input(h, l, "resend-phone");
    submit(h, Msg::McResend.text(l), true);
}

/// The carrier page with `status` (400 when a step was refused).
pub fn carrier_page(ctx: &PageContext, status: u16, v: &CarrierPageView<'_>) -> Page {
    let l = ctx.locale;
    let mut h = Html::new();
    h.fragment(payment_summary(l, v.summary));
    if let Some((kind, msg)) = v.notice {
        h.fragment(notice(kind, msg.text(l)));
    }
    match v.form {
        CarrierForm::Start => start_form(&mut h, l, v),
        CarrierForm::Code { phone_masked } => code_forms(&mut h, l, v, phone_masked),
    }
    // The pay form's answer is a 303 to the shop: CSP `form-action` covers that redirect.
    let mut origins = vec![FormOrigin::of(v.action)];
    origins.extend(v.shop.map(FormOrigin::of));
    Page::render(ctx, status, Msg::McTitle.text(l), h, &origins)
}
