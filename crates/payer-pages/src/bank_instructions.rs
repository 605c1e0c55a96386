//! The checkout page of a session paid by 가상계좌 once the account is issued: where to
//! transfer (bank, account number, holder), how much and by when, and the way on to the shop
//! (`success_url`). The session is `complete` with `payment_status=unpaid` until the deposit
//! arrives (Stripe's delayed-notification methods).

use crate::branding::Branding;
use crate::checkout::brand;
use crate::components::{Link, MessageKind, link_button, notice};
use crate::html::Html;
use crate::i18n::Msg;
use crate::money::Amount;
use crate::security::WebUrl;
use crate::{Page, PageContext};

/// The account the payer transfers to.
#[derive(Clone, Debug)]
pub struct BankInstructionsView {
    pub merchant: String,
    pub branding: Branding,
    pub bank_name: String,
    pub account_number: String,
    pub holder: String,
    /// What is left to transfer.
    pub amount: Amount,
    /// The deadline as the payer reads it (`2026-01-04 09:00 KST`).
    pub expires: String,
    /// On to the shop (`success_url`).
    pub success: Option<WebUrl>,
}

/// The instructions page.
pub fn bank_instructions(ctx: &PageContext, v: &BankInstructionsView) -> Page {
    let l = ctx.locale;
    let mut b = Html::new();
    b.fragment(brand(ctx, &v.merchant, &v.branding));
    b.fragment(notice(MessageKind::Info, Msg::CheckoutVaBody.text(l)));
    b.raw("<dl class=\"summary\">");
    let rows: [(Msg, &str); 3] = [
        (Msg::CheckoutVaBankName, &v.bank_name),
        (Msg::CheckoutVaAccount, &v.account_number),
        (Msg::CheckoutVaHolder, &v.holder),
    ];
    for (label, value) in rows {
        b.raw("<dt>")
            .text(label.text(l))
            .raw("</dt><dd>")
            .text(value)
            .raw("</dd>");
    }
    b.raw("<dt>")
        .text(Msg::CheckoutVaAmount.text(l))
        .raw("</dt><dd class=\"amount\">")
        .text(&v.amount.format(l))
        .raw("</dd><dt>")
        .text(Msg::CheckoutVaExpires.text(l))
        .raw("</dt><dd>")
        .text(&v.expires)
        .raw("</dd></dl>");
    if let Some(href) = &v.success {
        let link = Link {
            label: Msg::CheckoutVaContinue.text(l).into(),
            href: href.clone(),
        };
        b.fragment(link_button(&link, false));
    }
    let mut page = Page::render(ctx, 200, Msg::CheckoutVaTitle.text(l), b, &[]);
    if let Some(logo) = &v.branding.logo {
        page.allow_images_from(&logo.origin());
    }
    page
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::i18n::Locale;
    use paygate_ledger::Currency;

    #[test]
    fn the_account_amount_and_deadline_are_shown_escaped() {
        let v = BankInstructionsView {
            merchant: "<i>shop</i>".into(),
            branding: Branding {
                color: None,
                logo: None,
            },
            bank_name: "신한은행".into(),
            account_number: "08812345678901".into(),
            holder: "Test shop".into(),
            amount: Amount::new(35_000, Currency::KRW),
            expires: "2026-01-04 09:00 KST".into(),
            success: WebUrl::parse("success_url", "https://shop.example/done").ok(),
        };
        let p = bank_instructions(&PageContext::new(Locale::Ko), &v);
        assert_eq!(p.status, 200);
        for s in [
            "입금 안내",
            "신한은행",
            "08812345678901",
            "35,000원",
            "2026-01-04 09:00 KST",
        ] {
            assert!(p.html.contains(s), "{s}: {}", p.html);
        }
        assert!(!p.html.contains("<i>shop"));
        assert!(p.html.contains("href=\"https://shop.example/done\""));
        let en = bank_instructions(&PageContext::new(Locale::En), &v);
        assert!(en.html.contains("Transfer by"), "{}", en.html);
    }
}
