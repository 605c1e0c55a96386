//! The hosted checkout page (`/pay/checkout/{cs}`): the merchant (name, logo, colour), the
//! order (line items and total), the payment methods as one radio group named
//! `payment_method_type` whose values are the API's type names, the card fields
//! (`card_number`, `exp_month`, `exp_year`, `cvc`), and one submit button. A plain form:
//! it works without JavaScript; a redirect method continues on its own page.

use crate::branding::Branding;
use crate::checkout_wallets::{WalletsView, wallet_buttons};
use crate::components::{MessageKind, notice};
use crate::html::Html;
use crate::i18n::{Locale, Msg};
use crate::money::Amount;
use crate::security::{Connect, FormOrigin, WebUrl};
use crate::{Page, PageContext};

/// One line of the order.
#[derive(Clone, Debug)]
pub struct ItemLine {
    pub name: String,
    pub quantity: i64,
    /// `unit_amount × quantity`.
    pub amount: Amount,
}

/// A method the payer may choose.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MethodChoice {
    /// The API's type name (`card`, `isp`, `easy_pay`): the radio's value.
    pub type_name: &'static str,
    pub label: Msg,
}

/// A bank the payer may pick for a virtual account (`bank`: its code).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BankChoice {
    pub code: String,
    pub name: String,
}

/// Instalment months a KRW card payment of 50,000 or more may be split into (`installments`:
/// 0 = 일시불, else 2..=12).
pub const INSTALLMENT_MONTHS: std::ops::RangeInclusive<u8> = 2..=12;

/// What a session's page shows.
#[derive(Clone, Debug)]
pub struct CheckoutView {
    pub merchant: String,
    pub branding: Branding,
    pub items: Vec<ItemLine>,
    /// `None` for `mode=setup` (nothing is charged).
    pub total: Option<Amount>,
    pub methods: Vec<MethodChoice>,
    /// The method checked when the page opens (the one the payer chose last).
    pub selected: Option<&'static str>,
    /// Where the form posts (the page itself).
    pub action: WebUrl,
    /// The form's CSRF token.
    pub token: String,
    pub cancel: Option<WebUrl>,
    /// Where a paid form lands (`success_url`): its origin is in the page's `form-action`,
    /// which browsers apply to the redirect that answers the form too.
    pub success: Option<WebUrl>,
    /// The banks of a virtual account (empty: the method is not offered), with the
    /// 현금영수증 fields.
    pub banks: Vec<BankChoice>,
    /// Whether the card form offers 할부 (`installments`).
    pub installments: bool,
    /// The wallet buttons (Apple Pay, Samsung Pay) the merchant can take, if any: shown by
    /// their script where the browser has the wallet ([`crate::checkout_wallets`]).
    pub wallets: Option<WalletsView>,
}

/// The checkout page; `error` is shown above the form (in the payer's language).
pub fn checkout_page(ctx: &PageContext, v: &CheckoutView, error: Option<Msg>) -> Page {
    let l = ctx.locale;
    let title = if v.total.is_some() {
        Msg::CheckoutTitle
    } else {
        Msg::CheckoutSetupTitle
    };
    let mut b = Html::new();
    b.fragment(brand(ctx, &v.merchant, &v.branding));
    if let Some(e) = error {
        b.fragment(notice(MessageKind::Error, e.text(l)));
    }
    b.fragment(order(l, v));
    if let Some(w) = &v.wallets {
        b.fragment(wallet_buttons(ctx.nonce.as_str(), l, w, &v.token));
    }
    b.raw("<form method=\"post\" novalidate")
        .attr("action", v.action.as_str())
        .raw("><input type=\"hidden\" name=\"t\"")
        .attr("value", &v.token)
        .raw(">");
    b.fragment(methods(l, v));
    b.fragment(card_fields(l, v.installments));
    if !v.banks.is_empty() {
        b.fragment(bank_fields(l, &v.banks));
    }
    let button = if v.total.is_some() {
        Msg::CheckoutPay
    } else {
        Msg::CheckoutSave
    };
    b.raw("<button type=\"submit\" class=\"button\">")
        .text(button.text(l));
    if let Some(total) = v.total {
        b.raw(" ").text(&total.format(l));
    }
    b.raw("</button></form>");
    if let Some(cancel) = &v.cancel {
        b.raw("<a class=\"button button-secondary\"")
            .attr("href", cancel.as_str())
            .raw(">")
            .text(Msg::CheckoutCancel.text(l))
            .raw("</a>");
    }
    let mut origins = vec![FormOrigin::of(&v.action)];
    origins.extend(v.success.as_ref().map(FormOrigin::of));
    // The wallet buttons' script posts the token to the gateway.
    let connect = if v.wallets.is_some() {
        Connect::SameOrigin
    } else {
        Connect::Nothing
    };
    let mut page = Page::render_with(
        ctx,
        if error.is_some() { 400 } else { 200 },
        title.text(l),
        b,
        &origins,
        connect,
    );
    if let Some(logo) = &v.branding.logo {
        page.allow_images_from(&logo.origin());
    }
    page
}

/// The merchant's logo and name, and its colour on the buttons and the focus ring.
pub(crate) fn brand(ctx: &PageContext, merchant: &str, branding: &Branding) -> Html {
    let mut b = Html::new();
    if let Some(c) = branding.color {
        // `css()` is `#rrggbb` built from three bytes: nothing else can reach the sheet.
        let (bg, fg) = (c.css(), c.on_color());
        b.raw("<style")
            .attr("nonce", ctx.nonce.as_str())
            .raw(">.button{background:")
            .text(&bg)
            .raw(";color:")
            .text(fg)
            .raw("}.button:hover{background:")
            .text(&bg)
            .raw(";filter:brightness(.9)}.button-secondary{background:#fff;color:#1a1a1a;border-color:")
            .text(&bg)
            .raw("}.brand{border-top:6px solid ")
            .text(&bg)
            .raw("}</style>");
    }
    b.raw("<div class=\"brand\">");
    if let Some(logo) = &branding.logo {
        let alt = format!("{} {}", merchant, Msg::CheckoutLogo.text(ctx.locale));
        b.raw("<img height=\"40\"")
            .attr("src", logo.as_str())
            .attr("alt", &alt)
            .raw(">");
    }
    b.raw("<p class=\"merchant\"><strong>")
        .text(merchant)
        .raw("</strong></p></div>");
    b
}

/// The line items and the total.
fn order(l: Locale, v: &CheckoutView) -> Html {
    let mut b = Html::new();
    if v.items.is_empty() {
        return b;
    }
    b.raw("<h2>")
        .text(Msg::CheckoutOrder.text(l))
        .raw("</h2><dl class=\"summary\">");
    for item in &v.items {
        b.raw("<dt>")
            .text(&item.name)
            .raw(" <span class=\"hint\">")
            .text(Msg::CheckoutQuantity.text(l))
            .raw(" ")
            .text(&item.quantity.to_string())
            .raw("</span></dt><dd>")
            .text(&item.amount.format(l))
            .raw("</dd>");
    }
    if let Some(total) = v.total {
        b.raw("<dt>")
            .text(Msg::CheckoutTotal.text(l))
            .raw("</dt><dd class=\"amount\">")
            .text(&total.format(l))
            .raw("</dd>");
    }
    b.raw("</dl>");
    b
}

/// The radio group `payment_method_type`.
fn methods(l: Locale, v: &CheckoutView) -> Html {
    let mut b = Html::new();
    b.raw("<fieldset><legend>")
        .text(Msg::CheckoutMethod.text(l))
        .raw("</legend>");
    let selected = v
        .selected
        .or_else(|| v.methods.first().map(|m| m.type_name));
    for m in &v.methods {
        b.raw("<label><input type=\"radio\" name=\"payment_method_type\"")
            .attr("value", m.type_name);
        if selected == Some(m.type_name) {
            b.raw(" checked");
        }
        b.raw(">").text(m.label.text(l)).raw("</label>");
    }
    b.raw("</fieldset>");
    b
}

/// The card fields, named as the API's card parameters, and the instalment months.
fn card_fields(l: Locale, installments: bool) -> Html {
    let mut b = Html::new();
    b.raw("<fieldset><legend>")
        .text(Msg::CheckoutCardDetails.text(l))
        .raw("</legend><p class=\"hint\" id=\"card-hint\">")
        .text(Msg::CheckoutCardHint.text(l))
        .raw("</p>");
    let fields: [(&'static str, Msg, &'static str); 4] = [
        (
            "card_number",
            Msg::CheckoutCardNumber,
            "inputmode=\"numeric\" autocomplete=\"cc-number\" maxlength=\"23\"",
        ),
        (
            "exp_month",
            Msg::CheckoutExpMonth,
            "inputmode=\"numeric\" autocomplete=\"cc-exp-month\" maxlength=\"2\"",
        ),
        (
            "exp_year",
            Msg::CheckoutExpYear,
            "inputmode=\"numeric\" autocomplete=\"cc-exp-year\" maxlength=\"4\"",
        ),
        (
            "cvc",
            Msg::CheckoutCvc,
            "inputmode=\"numeric\" autocomplete=\"cc-csc\" maxlength=\"4\"",
        ),
    ];
    for (name, label, attrs) in fields {
        b.raw("<label")
            .attr("for", name)
            .raw(">")
            .text(label.text(l))
            .raw("</label><input type=\"text\" aria-describedby=\"card-hint\"")
            .attr("id", name)
            .attr("name", name)
            .raw(" ")
            .raw(attrs)
            .raw(">");
    }
    if installments {
        b.raw("<label for=\"installments\">")
            .text(Msg::CheckoutInstallments.text(l))
            .raw("</label><select id=\"installments\" name=\"installments\" aria-describedby=\"installments-hint\"><option value=\"0\" selected>")
            .text(Msg::CheckoutInstallmentsLumpSum.text(l))
            .raw("</option>");
        for n in INSTALLMENT_MONTHS {
            let label = format!("{n}{}", Msg::CheckoutInstallmentsMonths.text(l));
            b.raw("<option")
                .attr("value", &n.to_string())
                .raw(">")
                .text(&label)
                .raw("</option>");
        }
        b.raw("</select><p class=\"hint\" id=\"installments-hint\">")
            .text(Msg::CheckoutInstallmentsHint.text(l))
            .raw("</p>");
    }
    b.raw("</fieldset>");
    b
}

/// The virtual account's bank (`bank`) and the 현금영수증 (`cash_receipt_type`,
/// `cash_receipt_identifier`, named after the API's `cash_receipt[type|identifier]`).
fn bank_fields(l: Locale, banks: &[BankChoice]) -> Html {
    let mut b = Html::new();
    b.raw("<fieldset><legend>")
        .text(Msg::CheckoutVaDetails.text(l))
        .raw("</legend><p class=\"hint\" id=\"va-hint\">")
        .text(Msg::CheckoutVaHint.text(l))
        .raw("</p><label for=\"bank\">")
        .text(Msg::CheckoutVaBank.text(l))
        .raw("</label><select id=\"bank\" name=\"bank\" aria-describedby=\"va-hint\">");
    for bank in banks {
        b.raw("<option")
            .attr("value", &bank.code)
            .raw(">")
            .text(&bank.name)
            .raw("</option>");
    }
    b.raw("</select><label for=\"cash_receipt_type\">")
        .text(Msg::CheckoutCashReceipt.text(l))
        .raw("</label><select id=\"cash_receipt_type\" name=\"cash_receipt_type\">");
    for (value, label) in [
        ("", Msg::CheckoutCashReceiptNone),
        ("income_deduction", Msg::CheckoutCashReceiptIncome),
        ("expense_proof", Msg::CheckoutCashReceiptExpense),
    ] {
        b.raw("<option")
            .attr("value", value)
            .raw(">")
            .text(label.text(l))
            .raw("</option>");
    }
    b.raw("</select><label for=\"cash_receipt_identifier\">")
        .text(Msg::CheckoutCashReceiptId.text(l))
        .raw("</label><input type=\"text\" id=\"cash_receipt_identifier\" name=\"cash_receipt_identifier\" inputmode=\"numeric\" maxlength=\"20\" autocomplete=\"off\"></fieldset>");
    b
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::branding::{BrandColor, LogoUrl};
    use paygate_ledger::Currency;

    fn view(merchant: &str) -> CheckoutView {
        CheckoutView {
            merchant: merchant.into(),
            branding: Branding {
                color: BrandColor::parse("#ffeb3b"),
                logo: LogoUrl::parse("https://cdn.shop.example/logo.png"),
            },
            items: vec![ItemLine {
                name: "</dt><script>x()</script>".into(),
                quantity: 1,
                amount: Amount::new(50_000, Currency::KRW),
            }],
            total: Some(Amount::new(50_000, Currency::KRW)),
            methods: vec![MethodChoice {
                type_name: "card",
                label: Msg::CheckoutMethodCard,
            }],
            selected: None,
            action: WebUrl::parse("action", "https://pay.example/pay/checkout/cs_1").unwrap(),
            token: "tok\"en".into(),
            cancel: None,
            success: WebUrl::parse("success_url", "https://shop.example/done").ok(),
            banks: Vec::new(),
            installments: false,
            wallets: None,
        }
    }

    #[test]
    fn branding_and_hostile_strings_stay_inert() {
        let ctx = PageContext::new(Locale::Ko);
        let p = checkout_page(
            &ctx,
            &view("<b onclick=x>shop</b>"),
            Some(Msg::CheckoutErrDeclined),
        );
        assert_eq!(p.status, 400);
        assert!(!p.html.contains("<script>x()"), "{}", p.html);
        assert!(!p.html.contains("<b onclick"), "{}", p.html);
        assert!(p.html.contains("value=\"tok&quot;en\""));
        assert!(
            p.html.contains("background:#ffeb3b;color:#1a1a1a"),
            "light colour, dark text"
        );
        assert!(p.html.contains("src=\"https://cdn.shop.example/logo.png\""));
        let csp = p.header("content-security-policy").unwrap();
        assert!(
            csp.contains("img-src 'self' data: https://cdn.shop.example;"),
            "{csp}"
        );
        assert!(
            csp.contains("form-action https://pay.example https://shop.example;"),
            "the form's redirect to success_url is allowed: {csp}"
        );
        assert!(p.html.contains("50,000원"));
    }
}
