//! The 계좌이체 pages of paygate (`/pay/bank_transfer/{pi}`): the payer picks the bank to pay
//! from ([`bank_choice_page`], input `bank`), then is handed to that bank's own login page
//! ([`bank_handoff_page`]: a plain GET form to the bank, so no script is needed and the
//! page's CSP names the bank as a form target). Korean and English from the catalog.

use crate::components::{MessageKind, Summary, notice, payment_summary};
use crate::html::Html;
use crate::i18n::Msg;
use crate::security::{FormOrigin, WebUrl};
use crate::{Page, PageContext};

/// The banks a payer can pay from (KFTC codes) with their names in the catalog.
pub const TRANSFER_BANKS: [(&str, Msg); 5] = [
    ("004", Msg::BtKb),
    ("088", Msg::BtShinhan),
    ("020", Msg::BtWoori),
    ("081", Msg::BtHana),
    ("011", Msg::BtNh),
];

/// The bank choice.
pub struct BankChoiceView<'a> {
    pub summary: &'a Summary,
    /// The page itself (the form posts here).
    pub action: &'a WebUrl,
    /// The page token `t`.
    pub token: &'a str,
    pub notice: Option<(MessageKind, Msg)>,
}

/// The hand-off to the bank's login page.
pub struct BankHandoffView<'a> {
    pub summary: &'a Summary,
    /// The bank's login page for this payment.
    pub bank_url: &'a WebUrl,
    /// The bank's name.
    pub bank: Msg,
}

/// The bank choice page with `status` (400 when no bank was chosen).
pub fn bank_choice_page(ctx: &PageContext, status: u16, v: &BankChoiceView<'_>) -> Page {
    let l = ctx.locale;
    let mut h = Html::new();
    h.fragment(payment_summary(l, v.summary));
    if let Some((kind, msg)) = v.notice {
        h.fragment(notice(kind, msg.text(l)));
    }
    h.raw("<form method=\"post\"")
        .attr("action", v.action.as_str())
        .raw("><input type=\"hidden\" name=\"t\"")
        .attr("value", v.token)
        .raw("><fieldset><legend>")
        .text(Msg::BtChooseBank.text(l))
        .raw("</legend>");
    for (i, (code, name)) in TRANSFER_BANKS.iter().enumerate() {
        let id = format!("bank-{code}");
        h.raw("<label")
            .attr("for", &id)
            .raw("><input type=\"radio\" name=\"bank\"")
            .attr("id", &id)
            .attr("value", code);
        if i == 0 {
            h.raw(" required");
        }
        h.raw("> ").text(name.text(l)).raw("</label>");
    }
    h.raw("</fieldset><button type=\"submit\" class=\"button\">")
        .text(Msg::BtContinue.text(l))
        .raw("</button></form>");
    Page::render(
        ctx,
        status,
        Msg::BtTitle.text(l),
        h,
        &[FormOrigin::of(v.action)],
    )
}

/// The page that sends the payer to the bank: its login page is served by the bank.
pub fn bank_handoff_page(ctx: &PageContext, v: &BankHandoffView<'_>) -> Page {
    let l = ctx.locale;
    let mut h = Html::new();
    h.fragment(payment_summary(l, v.summary));
    h.raw("<p>").text(Msg::BtHandoff.text(l)).raw("</p>");
    h.raw("<form method=\"get\"")
        .attr("action", v.bank_url.as_str())
        .raw("><button type=\"submit\" class=\"button\" id=\"to-bank\">")
        .text(Msg::BtGoToBank.text(l))
        .raw(" · ")
        .text(v.bank.text(l))
        .raw("</button></form>");
    Page::render(
        ctx,
        200,
        Msg::BtTitle.text(l),
        h,
        &[FormOrigin::of(v.bank_url)],
    )
}

/// The catalog name of bank `code`, when payers can pay from it.
pub fn transfer_bank(code: &str) -> Option<Msg> {
    TRANSFER_BANKS
        .iter()
        .find(|(c, _)| *c == code)
        .map(|(_, m)| *m)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::i18n::Locale;

    #[test]
    fn every_transfer_bank_has_a_name_in_both_locales() {
        for (code, m) in TRANSFER_BANKS {
            assert_eq!(transfer_bank(code), Some(m));
            assert!(!m.text(Locale::Ko).is_empty() && !m.text(Locale::En).is_empty());
        }
        assert_eq!(transfer_bank("999"), None);
    }
}
