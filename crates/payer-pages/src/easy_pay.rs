//! The 간편결제 wallet page (`/pay/easy_pay/{pi}`): plain forms that work without script,
//! Korean and English from the catalog ([`Msg`]`::Ep…`), every input labelled; the page token
//! `t` and the `step` in hidden fields ([`crate::forms`]).
//!
//! Steps: `phone` → `otp` (the code sent by SMS) → `register` (a card and a 6-digit PIN) →
//! `pay` (`pin`, `card`); beside the pay form, folded in a `<details>`: `remove_card`,
//! `change_pin`, `reset_pin`.
//!
//! With JavaScript, the PIN pad script ([`PIN_PAD_SCRIPT`], served by the gateway at
//! [`PIN_PAD_SCRIPT_PATH`] and loaded under the page's CSP nonce) renders beside each PIN
//! input (`data-pin-pad`) an on-screen keypad whose digits are shuffled each time it is drawn;
//! its keys fill the same input, so the form posts `pin` as without script.

use crate::components::{CardTail, MessageKind, Summary, notice, payment_summary};
use crate::forms::{hidden, label, open_form, otp_input, phone_input, submit};
use crate::html::Html;
use crate::i18n::{Locale, Msg};
use crate::security::{FormOrigin, WebUrl};
use crate::{Page, PageContext};

/// The PIN pad (hand-written, no build step, no dependency), served at
/// [`PIN_PAD_SCRIPT_PATH`].
pub const PIN_PAD_SCRIPT: &str = include_str!("pin_pad.js");
/// Where the gateway serves [`PIN_PAD_SCRIPT`].
pub const PIN_PAD_SCRIPT_PATH: &str = "/pay/easy_pay/pin_pad.js";

/// A registered card the payer may choose.
pub struct WalletCardChoice {
    /// The `card` value (`ewc_…`).
    pub id: String,
    pub tail: CardTail,
}

/// Which form the page shows.
pub enum EasyPayForm<'a> {
    /// Step 1: the phone number.
    Phone,
    /// Step 2: the SMS code sent to the masked number.
    Otp { phone_masked: &'a str },
    /// First time: a card and a new PIN.
    Register,
    /// Pay with the PIN and a card (the first is the last used); manage cards and PIN.
    Pay { cards: &'a [WalletCardChoice] },
}

/// What the page is about.
pub struct EasyPayPageView<'a> {
    pub summary: &'a Summary,
    /// The page itself (the forms post here).
    pub action: &'a WebUrl,
    /// The shop's `return_url`: the pay step answers 303 there.
    pub shop: Option<&'a WebUrl>,
    /// The page token `t`.
    pub token: &'a str,
    /// The last step's outcome.
    pub notice: Option<(MessageKind, Msg)>,
    pub form: EasyPayForm<'a>,
}

/// A 6-digit secret input that the PIN pad enhances.
fn pin_input(h: &mut Html, l: Locale, id: &str, name: &str, text: Msg, autocomplete: &str) {
    label(h, id, text.text(l));
    h.raw("<input")
        .attr("id", id)
        .attr("name", name)
        .raw(" type=\"password\" inputmode=\"numeric\" pattern=\"[0-9]{6}\" maxlength=\"6\"")
        .attr("autocomplete", autocomplete)
        .raw(" data-pin-pad")
        .attr("data-pin-pad-label", Msg::EpPinPad.text(l))
        .attr("data-pin-pad-delete", Msg::EpPinPadDelete.text(l))
        .attr("data-pin-pad-clear", Msg::EpPinPadClear.text(l))
        .raw(" required>");
}

fn text_input(h: &mut Html, id: &str, text: &str, kind: &str, autocomplete: &str) {
    label(h, id, text);
    h.raw("<input")
        .attr("id", id)
        .attr("name", id)
        .attr("type", kind)
        .attr("autocomplete", autocomplete)
        .raw(" required>");
}

fn register_fields(h: &mut Html, l: Locale) {
    h.raw("<h2>")
        .text(Msg::EpRegisterTitle.text(l))
        .raw("</h2>");
    let number = Msg::CheckoutCardNumber.text(l);
    text_input(h, "card_number", number, "text", "cc-number");
    h.raw("<div class=\"fields\"><div>");
    let month = Msg::CheckoutExpMonth.text(l);
    text_input(h, "exp_month", month, "text", "cc-exp-month");
    h.raw("</div><div>");
    let year = Msg::CheckoutExpYear.text(l);
    text_input(h, "exp_year", year, "text", "cc-exp-year");
    h.raw("</div></div>");
    text_input(h, "cvc", Msg::CheckoutCvc.text(l), "password", "cc-csc");
    h.raw("<h2>").text(Msg::EpSetPin.text(l)).raw("</h2>");
    h.raw("<p class=\"hint\">")
        .text(Msg::EpPinHint.text(l))
        .raw("</p>");
    pin_input(h, l, "pin", "pin", Msg::EpPin, "new-password");
    let again = Msg::EpPinAgain;
    pin_input(
        h,
        l,
        "pin_confirmation",
        "pin_confirmation",
        again,
        "new-password",
    );
}

fn card_radios(h: &mut Html, l: Locale, cards: &[WalletCardChoice]) {
    h.raw("<fieldset><legend>")
        .text(Msg::Card.text(l))
        .raw("</legend>");
    for (i, c) in cards.iter().enumerate() {
        let id = format!("card-{}", c.id);
        h.raw("<label")
            .attr("for", &id)
            .raw("><input type=\"radio\" name=\"card\"")
            .attr("id", &id)
            .attr("value", &c.id);
        if i == 0 {
            h.raw(" checked");
        }
        h.raw("> ").fragment(tail(&c.tail)).raw("</label>");
    }
    h.raw("</fieldset>");
}

fn tail(t: &CardTail) -> Html {
    let mut h = Html::new();
    h.text(&t.brand).raw(" •••• ").text(t.last4.as_str());
    h
}

/// The step's form (the one the page is about).
fn step_form(h: &mut Html, l: Locale, v: &EasyPayPageView<'_>) {
    let (step, button) = match v.form {
        EasyPayForm::Phone => ("phone", Msg::SendCode),
        EasyPayForm::Otp { .. } => ("otp", Msg::EpVerify),
        EasyPayForm::Register => ("register", Msg::EpRegisterButton),
        EasyPayForm::Pay { .. } => ("pay", Msg::CheckoutPay),
    };
    open_form(h, v.action, v.token, step);
    match v.form {
        EasyPayForm::Phone => phone_input(h, l, "phone"),
        EasyPayForm::Otp { phone_masked } => otp_input(h, l, Msg::EpCodeSent, phone_masked),
        EasyPayForm::Register => register_fields(h, l),
        EasyPayForm::Pay { cards } => {
            card_radios(h, l, cards);
            pin_input(h, l, "pin", "pin", Msg::EpPaymentPin, "current-password");
        }
    }
    submit(h, button.text(l), false);
}

/// Card management: one form per card, removing it needs the PIN.
fn remove_forms(h: &mut Html, l: Locale, v: &EasyPayPageView<'_>, cards: &[WalletCardChoice]) {
    h.raw("<h2>").text(Msg::EpManageCards.text(l)).raw("</h2>");
    for c in cards {
        open_form(h, v.action, v.token, "remove_card");
        hidden(h, "card", &c.id);
        h.raw("<p>").fragment(tail(&c.tail)).raw("</p>");
        let id = format!("pin-{}", c.id);
        pin_input(h, l, &id, "pin", Msg::EpRemovePin, "current-password");
        submit(h, Msg::EpRemoveCard.text(l), true);
    }
}

/// Change the PIN (the current one), or reset it (this flow's SMS code and the card's CVC).
fn pin_forms(h: &mut Html, l: Locale, v: &EasyPayPageView<'_>, cards: &[WalletCardChoice]) {
    h.raw("<h2>").text(Msg::EpChangePin.text(l)).raw("</h2>");
    open_form(h, v.action, v.token, "change_pin");
    pin_input(
        h,
        l,
        "current-pin",
        "pin",
        Msg::EpCurrentPin,
        "current-password",
    );
    pin_input(h, l, "new_pin", "new_pin", Msg::EpNewPin, "new-password");
    let again = Msg::EpNewPinAgain;
    pin_input(
        h,
        l,
        "new_pin_confirmation",
        "new_pin_confirmation",
        again,
        "new-password",
    );
    submit(h, Msg::EpChangePin.text(l), true);
    h.raw("<h2>").text(Msg::EpForgotPin.text(l)).raw("</h2>");
    h.raw("<p class=\"hint\">")
        .text(Msg::EpResetHint.text(l))
        .raw("</p>");
    open_form(h, v.action, v.token, "reset_pin");
    label(h, "reset-card", Msg::Card.text(l));
    h.raw("<select id=\"reset-card\" name=\"card\">");
    for c in cards {
        h.raw("<option")
            .attr("value", &c.id)
            .raw(">")
            .fragment(tail(&c.tail))
            .raw("</option>");
    }
    h.raw("</select>");
    label(h, "reset-cvc", Msg::CheckoutCvc.text(l));
    h.raw("<input id=\"reset-cvc\" name=\"cvc\" type=\"password\" inputmode=\"numeric\" maxlength=\"4\" autocomplete=\"cc-csc\" required>");
    pin_input(
        h,
        l,
        "reset-new-pin",
        "new_pin",
        Msg::EpNewPin,
        "new-password",
    );
    let again = Msg::EpNewPinAgain;
    pin_input(
        h,
        l,
        "reset-new-pin-2",
        "new_pin_confirmation",
        again,
        "new-password",
    );
    submit(h, Msg::EpResetPin.text(l), true);
}

/// The wallet page with `status`: the payment summary, the last step's notice, the form, and
/// (with the pay form) the card and PIN management folded below it.
pub fn easy_pay_page(ctx: &PageContext, status: u16, v: &EasyPayPageView<'_>) -> Page {
    let l = ctx.locale;
    let mut h = Html::new();
    h.fragment(payment_summary(l, v.summary));
    if let Some((kind, msg)) = v.notice {
        h.fragment(notice(kind, msg.text(l)));
    }
    step_form(&mut h, l, v);
    if let EasyPayForm::Pay { cards } = v.form {
        // Folded without script: `<details>` opens natively.
        h.raw("<details><summary>")
            .text(Msg::EpManage.text(l))
            .raw("</summary>");
        remove_forms(&mut h, l, v, cards);
        pin_forms(&mut h, l, v, cards);
        h.raw("</details>");
    }
    if !matches!(v.form, EasyPayForm::Phone | EasyPayForm::Otp { .. }) {
        h.raw("<script")
            .attr("nonce", ctx.nonce.as_str())
            .attr("src", PIN_PAD_SCRIPT_PATH)
            .raw("></script>");
    }
    // The pay form's answer is a 303 to the shop's return_url (and a registration's to the
    // 3-D Secure hand-off on our origin): CSP `form-action` covers the redirects that follow
    // a submission, so the shop's origin is allowed beside ours.
    let mut origins = vec![FormOrigin::of(v.action)];
    origins.extend(v.shop.map(FormOrigin::of));
    Page::render(ctx, status, Msg::EpTitle.text(l), h, &origins)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::components::Last4;
    use crate::money::Amount;

    fn view<'a>(
        summary: &'a Summary,
        action: &'a WebUrl,
        form: EasyPayForm<'a>,
    ) -> EasyPayPageView<'a> {
        EasyPayPageView {
            summary,
            action,
            shop: None,
            token: "tok\"<",
            notice: Some((MessageKind::Error, Msg::EpPinWeak)),
            form,
        }
    }

    #[test]
    fn pin_forms_load_the_pin_pad_under_the_pages_nonce_and_work_without_it() {
        let summary = Summary {
            merchant: "Shop".into(),
            amount: Amount::new(1000, paygate_ledger::Currency::KRW),
            card: None,
        };
        let action = WebUrl::parse("action", "https://pay.example/pay/easy_pay/pi_1").unwrap();
        let cards = [WalletCardChoice {
            id: "ewc_1".into(),
            tail: CardTail {
                brand: "visa".into(),
                last4: Last4::parse("4242").unwrap(),
            },
        }];
        let ctx = PageContext::new(Locale::En);
        let p = easy_pay_page(
            &ctx,
            400,
            &view(&summary, &action, EasyPayForm::Pay { cards: &cards }),
        );
        let script = format!(
            "<script nonce=\"{}\" src=\"{PIN_PAD_SCRIPT_PATH}\"></script>",
            ctx.nonce.as_str()
        );
        assert!(p.html.contains(&script), "{}", p.html);
        let csp = p.header("content-security-policy").unwrap();
        assert!(csp.contains(&format!("script-src 'nonce-{}'", ctx.nonce.as_str())));
        assert!(!csp.contains("unsafe-inline"), "{csp}");
        // Every PIN input is a plain form field the pad only fills; every input is labelled.
        // pay, remove (one card), change (3), reset (2)
        assert_eq!(p.html.matches(" data-pin-pad ").count(), 7, "{}", p.html);
        for id in [
            "pin",
            "current-pin",
            "new_pin",
            "reset-new-pin",
            "reset-cvc",
            "card-ewc_1",
        ] {
            assert!(p.html.contains(&format!("<label for=\"{id}\">")), "{id}");
        }
        assert!(p.html.contains("name=\"pin\"") && p.html.contains("value=\"ewc_1\" checked"));
        assert!(
            p.html.contains("value=\"tok&quot;&lt;\""),
            "the token is escaped"
        );
        assert!(
            !p.html.contains(" style=") && !p.html.contains(" onclick"),
            "no inline code"
        );
        // The phone step has no PIN and loads no script.
        let phone = easy_pay_page(&ctx, 200, &view(&summary, &action, EasyPayForm::Phone));
        assert!(!phone.html.contains("<script"), "{}", phone.html);
        assert!(phone.html.contains("name=\"phone\""));
    }

    #[test]
    fn the_pin_pad_shuffles_with_the_csprng_and_sends_nothing() {
        assert!(PIN_PAD_SCRIPT.contains("crypto.getRandomValues"));
        for needle in [
            "Math.random",
            "fetch(",
            "XMLHttpRequest",
            "localStorage",
            "innerHTML",
            "eval(",
        ] {
            assert!(!PIN_PAD_SCRIPT.contains(needle), "{needle} in pin_pad.js");
        }
    }
}
