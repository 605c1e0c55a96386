//! The wallet page's forms: plain HTML, no script; Korean and English; every input labelled;
//! the page token `t` and the `step` in hidden fields.

use crate::easy_pay::WalletCard;
use paygate_payer_pages::html::Html;
use paygate_payer_pages::{FormOrigin, Locale, MessageKind, Page, PageContext, WebUrl, components};

/// Which form the page shows.
pub enum Form<'a> {
    /// Step 1: the phone number.
    Phone,
    /// Step 2: the SMS code sent to the masked number.
    Otp { phone_masked: &'a str },
    /// First time: a card and a new PIN.
    Register,
    /// Pay with the PIN (and a card choice); remove a card.
    Pay { cards: &'a [WalletCard] },
}

/// The text in the page's language.
pub fn tr(l: Locale, en: &'static str, ko: &'static str) -> &'static str {
    match l {
        Locale::Ko => ko,
        Locale::En => en,
    }
}

fn input(
    h: &mut Html,
    name: &'static str,
    label: &str,
    kind: &'static str,
    autocomplete: &'static str,
) {
    h.raw("<label")
        .attr("for", name)
        .raw(">")
        .text(label)
        .raw("</label><input")
        .attr("id", name)
        .attr("name", name)
        .attr("type", kind)
        .attr("autocomplete", autocomplete)
        .raw(" required>");
}

fn numeric(h: &mut Html, name: &'static str, label: &str, autocomplete: &'static str) {
    h.raw("<label")
        .attr("for", name)
        .raw(">")
        .text(label)
        .raw("</label><input")
        .attr("id", name)
        .attr("name", name)
        .attr("type", "password")
        .attr("inputmode", "numeric")
        .attr("pattern", "[0-9]{6}")
        .attr("maxlength", "6")
        .attr("autocomplete", autocomplete)
        .raw(" required>");
}

fn hidden(h: &mut Html, name: &'static str, value: &str) {
    h.raw("<input type=\"hidden\"")
        .attr("name", name)
        .attr("value", value)
        .raw(">");
}

fn submit(h: &mut Html, label: &str) {
    h.raw("<button class=\"button\" type=\"submit\">")
        .text(label)
        .raw("</button>");
}

fn form_fields(h: &mut Html, l: Locale, form: &Form<'_>) {
    match form {
        Form::Phone => phone_fields(h, l),
        Form::Otp { phone_masked } => otp_fields(h, l, phone_masked),
        Form::Register => register_fields(h, l),
        Form::Pay { cards } => pay_fields(h, l, cards),
    }
}

fn phone_fields(h: &mut Html, l: Locale) {
    input(
        h,
        "phone",
        tr(l, "Mobile number", "휴대폰 번호"),
        "tel",
        "tel",
    );
    submit(h, tr(l, "Send code by SMS", "인증번호 받기"));
}

fn otp_fields(h: &mut Html, l: Locale, phone_masked: &str) {
    h.raw("<p>")
        .text(tr(
            l,
            "We sent a 6-digit code to",
            "인증번호 6자리를 보냈습니다:",
        ))
        .raw(" ")
        .text(phone_masked)
        .raw("</p>");
    h.raw("<label for=\"otp\">")
        .text(tr(l, "Code (valid 3 minutes)", "인증번호 (3분 이내)"))
        .raw("</label>");
    h.raw("<input id=\"otp\" name=\"otp\" type=\"text\" inputmode=\"numeric\" pattern=\"[0-9]{6}\" maxlength=\"6\" autocomplete=\"one-time-code\" required>");
    submit(h, tr(l, "Verify", "확인"));
}

fn register_fields(h: &mut Html, l: Locale) {
    h.raw("<h2>")
        .text(tr(l, "Register a card", "카드 등록"))
        .raw("</h2>");
    input(
        h,
        "card_number",
        tr(l, "Card number", "카드 번호"),
        "text",
        "cc-number",
    );
    h.raw("<div class=\"fields\"><div>");
    input(
        h,
        "exp_month",
        tr(l, "Expiry month (MM)", "유효기간 월 (MM)"),
        "text",
        "cc-exp-month",
    );
    h.raw("</div><div>");
    input(
        h,
        "exp_year",
        tr(l, "Expiry year (YYYY)", "유효기간 연도 (YYYY)"),
        "text",
        "cc-exp-year",
    );
    h.raw("</div></div>");
    input(
        h,
        "cvc",
        tr(l, "Security code (CVC)", "보안코드 (CVC)"),
        "password",
        "cc-csc",
    );
    h.raw("<h2>")
        .text(tr(
            l,
            "Set a 6-digit payment PIN",
            "결제 비밀번호 6자리 설정",
        ))
        .raw("</h2>");
    h.raw("<p class=\"hint\">")
        .text(tr(
            l,
            "Not one digit repeated, not a run like 123456.",
            "같은 숫자 반복이나 123456 같은 연속 숫자는 쓸 수 없습니다.",
        ))
        .raw("</p>");
    numeric(h, "pin", tr(l, "PIN", "비밀번호"), "new-password");
    numeric(
        h,
        "pin_confirmation",
        tr(l, "PIN again", "비밀번호 확인"),
        "new-password",
    );
    submit(h, tr(l, "Register and continue", "등록하고 계속"));
}

fn pay_fields(h: &mut Html, l: Locale, cards: &[WalletCard]) {
    h.raw("<fieldset><legend>")
        .text(tr(l, "Card", "카드"))
        .raw("</legend>");
    let last = cards
        .iter()
        .max_by_key(|c| c.last_used)
        .map(|c| c.id.clone());
    for c in cards.iter() {
        h.raw("<label><input type=\"radio\" name=\"card\"")
            .attr("value", &c.id);
        if Some(&c.id) == last.as_ref() {
            h.raw(" checked");
        }
        h.raw("> ")
            .text(&c.brand)
            .raw(" •••• ")
            .text(&c.last4)
            .raw("</label>");
    }
    h.raw("</fieldset>");
    numeric(
        h,
        "pin",
        tr(l, "Payment PIN", "결제 비밀번호"),
        "current-password",
    );
    submit(h, tr(l, "Pay", "결제하기"));
}

fn step(form: &Form<'_>) -> &'static str {
    match form {
        Form::Phone => "phone",
        Form::Otp { .. } => "otp",
        Form::Register => "register",
        Form::Pay { .. } => "pay",
    }
}

/// The wallet page: the payment summary, a notice (an error of the last step), the form.
pub fn page(
    ctx: &PageContext,
    status: u16,
    summary: &components::Summary,
    (action, shop): (&WebUrl, Option<&WebUrl>),
    token: &str,
    notice: Option<(MessageKind, &str)>,
    form: Form<'_>,
) -> Page {
    let l = ctx.locale;
    let mut h = Html::new();
    h.fragment(components::payment_summary(l, summary));
    if let Some((kind, text)) = notice {
        h.fragment(components::notice(kind, text));
    }
    h.raw("<form method=\"post\"")
        .attr("action", action.as_str())
        .raw(">");
    hidden(&mut h, "t", token);
    hidden(&mut h, "step", step(&form));
    let pay_cards = match &form {
        Form::Pay { cards } => Some(*cards),
        _ => None,
    };
    form_fields(&mut h, l, &form);
    h.raw("</form>");
    if let Some(cards) = pay_cards {
        // Folded without script: `<details>` opens natively.
        h.raw("<details><summary>")
            .text(tr(l, "Manage cards and PIN", "카드·비밀번호 관리"))
            .raw("</summary>");
        remove_forms(&mut h, l, action, token, cards);
        pin_forms(&mut h, l, action, token, cards);
        h.raw("</details>");
    }
    let title = tr(l, "Easy Pay", "간편결제");
    // The pay form's answer is a 303 to the shop's return_url: CSP `form-action` covers the
    // redirects that follow a submission, so the shop's origin is allowed beside ours.
    let mut origins = vec![FormOrigin::of(action)];
    origins.extend(shop.map(FormOrigin::of));
    Page::render(ctx, status, title, h, &origins)
}

/// Card management: one form per card, removing it needs the PIN.
fn remove_forms(h: &mut Html, l: Locale, action: &WebUrl, token: &str, cards: &[WalletCard]) {
    h.raw("<h2>")
        .text(tr(l, "Manage cards", "카드 관리"))
        .raw("</h2>");
    for c in cards {
        h.raw("<form method=\"post\"")
            .attr("action", action.as_str())
            .raw(">");
        hidden(h, "t", token);
        hidden(h, "step", "remove_card");
        hidden(h, "card", &c.id);
        h.raw("<p>")
            .text(&c.brand)
            .raw(" •••• ")
            .text(&c.last4)
            .raw("</p>");
        let id = format!("pin-{}", c.id);
        h.raw("<label").attr("for", &id).raw(">").text(tr(l, "PIN to remove this card", "카드 삭제 비밀번호")).raw("</label><input")
            .attr("id", &id).raw(" name=\"pin\" type=\"password\" inputmode=\"numeric\" maxlength=\"6\" autocomplete=\"current-password\" required>");
        h.raw("<button class=\"button button-secondary\" type=\"submit\">")
            .text(tr(l, "Remove card", "카드 삭제"))
            .raw("</button></form>");
    }
}

fn secret(h: &mut Html, id: &'static str, label: &str, autocomplete: &'static str) {
    h.raw("<label")
        .attr("for", id)
        .raw(">")
        .text(label)
        .raw("</label><input")
        .attr("id", id)
        .attr("name", id)
        .attr("type", "password")
        .attr("inputmode", "numeric")
        .attr("maxlength", "6")
        .attr("autocomplete", autocomplete)
        .raw(" required>");
}

/// Change the PIN (the current one), or reset it (this flow's SMS code and the card's CVC).
fn pin_forms(h: &mut Html, l: Locale, action: &WebUrl, token: &str, cards: &[WalletCard]) {
    h.raw("<h2>")
        .text(tr(l, "Change PIN", "비밀번호 변경"))
        .raw("</h2>");
    h.raw("<form method=\"post\"")
        .attr("action", action.as_str())
        .raw(">");
    hidden(h, "t", token);
    hidden(h, "step", "change_pin");
    h.raw("<label for=\"current-pin\">")
        .text(tr(l, "Current PIN", "현재 비밀번호"))
        .raw("</label>");
    h.raw("<input id=\"current-pin\" name=\"pin\" type=\"password\" inputmode=\"numeric\" maxlength=\"6\" autocomplete=\"current-password\" required>");
    secret(
        h,
        "new_pin",
        tr(l, "New PIN", "새 비밀번호"),
        "new-password",
    );
    secret(
        h,
        "new_pin_confirmation",
        tr(l, "New PIN again", "새 비밀번호 확인"),
        "new-password",
    );
    h.raw("<button class=\"button button-secondary\" type=\"submit\">")
        .text(tr(l, "Change PIN", "비밀번호 변경"))
        .raw("</button></form>");
    reset_pin_form(h, l, action, token, cards);
}

/// Reset the PIN: this flow's SMS code (already given), a registered card's CVC, a new PIN.
fn reset_pin_form(h: &mut Html, l: Locale, action: &WebUrl, token: &str, cards: &[WalletCard]) {
    h.raw("<h2>")
        .text(tr(l, "Forgot your PIN?", "비밀번호를 잊으셨나요?"))
        .raw("</h2>");
    h.raw("<p class=\"hint\">")
        .text(tr(
            l,
            "After the SMS code of this payment: a registered card's security code and a new PIN.",
            "이번 결제의 문자 인증 후, 등록한 카드의 보안코드와 새 비밀번호를 입력하세요.",
        ))
        .raw("</p>");
    h.raw("<form method=\"post\"")
        .attr("action", action.as_str())
        .raw(">");
    hidden(h, "t", token);
    hidden(h, "step", "reset_pin");
    h.raw("<label for=\"reset-card\">")
        .text(tr(l, "Card", "카드"))
        .raw("</label><select id=\"reset-card\" name=\"card\">");
    for c in cards {
        h.raw("<option")
            .attr("value", &c.id)
            .raw(">")
            .text(&c.brand)
            .raw(" •••• ")
            .text(&c.last4)
            .raw("</option>");
    }
    h.raw("</select>");
    h.raw("<label for=\"reset-cvc\">")
        .text(tr(l, "Security code (CVC)", "보안코드 (CVC)"))
        .raw("</label>");
    h.raw("<input id=\"reset-cvc\" name=\"cvc\" type=\"password\" inputmode=\"numeric\" maxlength=\"4\" autocomplete=\"cc-csc\" required>");
    h.raw("<label for=\"reset-new-pin\">")
        .text(tr(l, "New PIN", "새 비밀번호"))
        .raw("</label>");
    h.raw("<input id=\"reset-new-pin\" name=\"new_pin\" type=\"password\" inputmode=\"numeric\" maxlength=\"6\" autocomplete=\"new-password\" required>");
    h.raw("<label for=\"reset-new-pin-2\">")
        .text(tr(l, "New PIN again", "새 비밀번호 확인"))
        .raw("</label>");
    h.raw("<input id=\"reset-new-pin-2\" name=\"new_pin_confirmation\" type=\"password\" inputmode=\"numeric\" maxlength=\"6\" autocomplete=\"new-password\" required>");
    h.raw("<button class=\"button button-secondary\" type=\"submit\">")
        .text(tr(l, "Reset PIN", "비밀번호 재설정"))
        .raw("</button></form>");
}
