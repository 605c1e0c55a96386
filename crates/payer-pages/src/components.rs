//! Pieces the pages are built from: the payment summary (merchant, amount, masked card), a
//! notice box and a link styled as a button.

use crate::html::Html;
use crate::i18n::{Locale, Msg};
use crate::money::Amount;
use crate::security::WebUrl;

/// The last four digits of a card: exactly four ASCII digits. The pages take nothing more
/// of a card number, so none can show a full one.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Last4([u8; 4]);

impl Last4 {
    /// `Some` for exactly four ASCII digits.
    pub fn parse(s: &str) -> Option<Last4> {
        let b: [u8; 4] = s.as_bytes().try_into().ok()?;
        b.iter().all(u8::is_ascii_digit).then_some(Last4(b))
    }

    /// The four digits.
    pub fn as_str(&self) -> &str {
        std::str::from_utf8(&self.0).unwrap_or("????")
    }
}

/// What the payer sees of the card: brand and last four digits (`Visa •••• 4242`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CardTail {
    /// Brand as the API names it (`visa`, `mastercard`); shown capitalized.
    pub brand: String,
    pub last4: Last4,
}

/// The payment a page is about.
#[derive(Clone, Debug)]
pub struct Summary {
    pub merchant: String,
    pub amount: Amount,
    pub card: Option<CardTail>,
}

/// How a notice or message reads: neutral, good news or a problem.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MessageKind {
    Info,
    Success,
    Error,
}

impl MessageKind {
    fn class(self) -> &'static str {
        match self {
            MessageKind::Info => "notice notice-info",
            MessageKind::Success => "notice notice-success",
            MessageKind::Error => "notice notice-error",
        }
    }

    /// Errors are announced to screen readers at once; the rest politely.
    fn role(self) -> &'static str {
        match self {
            MessageKind::Error => "alert",
            MessageKind::Info | MessageKind::Success => "status",
        }
    }
}

/// A link the payer can follow, shown as a button.
#[derive(Clone, Debug)]
pub struct Link {
    pub label: String,
    pub href: WebUrl,
}

/// `<dl>` of merchant, amount and (when known) the masked card.
pub fn payment_summary(locale: Locale, s: &Summary) -> Html {
    let mut h = Html::new();
    h.raw("<h2>")
        .text(Msg::PaymentTitle.text(locale))
        .raw("</h2><dl class=\"summary\"><dt>")
        .text(Msg::Merchant.text(locale))
        .raw("</dt><dd>")
        .text(&s.merchant)
        .raw("</dd><dt>")
        .text(Msg::Amount.text(locale))
        .raw("</dt><dd class=\"amount\">")
        .text(&s.amount.format(locale))
        .raw("</dd>");
    if let Some(card) = &s.card {
        h.raw("<dt>")
            .text(Msg::Card.text(locale))
            .raw("</dt><dd>")
            .text(&capitalize(&card.brand))
            .raw(" <span aria-hidden=\"true\">••••</span> ")
            .text(card.last4.as_str())
            .raw("</dd>");
    }
    h.raw("</dl>");
    h
}

/// A notice box (`role=status`, or `role=alert` for errors) holding `text`.
pub fn notice(kind: MessageKind, text: &str) -> Html {
    let mut h = Html::new();
    h.raw("<div")
        .attr("class", kind.class())
        .attr("role", kind.role())
        .raw("><p>")
        .text(text)
        .raw("</p></div>");
    h
}

/// An `<a>` styled as a button (`secondary` for the less prominent style).
pub fn link_button(link: &Link, secondary: bool) -> Html {
    let class = if secondary {
        "button button-secondary"
    } else {
        "button"
    };
    let mut h = Html::new();
    h.raw("<a")
        .attr("class", class)
        .attr("href", link.href.as_str())
        .raw(">")
        .text(&link.label)
        .raw("</a>");
    h
}

fn capitalize(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(first) => first.to_uppercase().chain(c).collect(),
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn last4_is_exactly_four_digits() {
        assert!(Last4::parse("4242").is_some());
        for bad in ["424", "42424", "4242424242424242", "42a2", "４２４２"] {
            assert!(Last4::parse(bad).is_none(), "{bad}");
        }
    }
}
