//! The hosted checkout's wallet buttons (Apple Pay, Samsung Pay): hidden markup that the
//! script [`WALLETS_SCRIPT`] shows only where the browser offers the wallet, and what the
//! script needs as `data-` attributes (escaped like any attribute). Without script, or in a
//! browser without the wallet, the page is the card form alone.

use crate::html::Html;
use crate::i18n::{Locale, Msg};
use crate::money::Amount;
use crate::security::WebUrl;

/// The buttons' script (hand-written, no build step), served at [`WALLETS_SCRIPT_PATH`].
pub const WALLETS_SCRIPT: &str = include_str!("wallets.js");
/// Where the gateway serves [`WALLETS_SCRIPT`].
pub const WALLETS_SCRIPT_PATH: &str = "/pay/checkout/wallets.js";

/// A wallet the merchant can take (it has a processing key for it).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WalletButton {
    ApplePay,
    SamsungPay,
}

impl WalletButton {
    /// The button's id and the wallet's API name.
    fn id(self) -> &'static str {
        match self {
            WalletButton::ApplePay => "apple-pay",
            WalletButton::SamsungPay => "samsung-pay",
        }
    }

    /// The wallet's own name (a brand, the same in every language).
    fn label(self) -> &'static str {
        match self {
            WalletButton::ApplePay => "Apple Pay",
            WalletButton::SamsungPay => "Samsung Pay",
        }
    }
}

/// What the wallet buttons of a session's page need.
#[derive(Clone, Debug)]
pub struct WalletsView {
    pub buttons: Vec<WalletButton>,
    /// The session's total (a wallet pays `mode=payment` sessions only).
    pub total: Amount,
    /// ISO 3166 country of the merchant, as Apple Pay asks (`KR`).
    pub country: &'static str,
    /// The name on the payment sheet.
    pub label: String,
    pub session: String,
    /// Where the script posts the token (`/pay/checkout/{cs}/wallet`).
    pub pay: WebUrl,
    /// Where Apple Pay's merchant validation goes (`/pay/checkout/{cs}/apple_pay/session`).
    pub validate: WebUrl,
}

/// The hidden buttons and the script that may show them; `token` is the page's CSRF token.
pub fn wallet_buttons(nonce: &str, l: Locale, v: &WalletsView, token: &str) -> Html {
    let mut b = Html::new();
    let currency = v.total.currency;
    b.raw("<div id=\"wallets\" class=\"wallets\" hidden")
        .attr("data-t", token)
        .attr("data-pay", v.pay.as_str())
        .attr("data-validate", v.validate.as_str())
        .attr("data-amount", &v.total.minor.to_string())
        .attr("data-exponent", &currency.exponent().to_string())
        .attr("data-currency", &currency.code().to_uppercase())
        .attr("data-country", v.country)
        .attr("data-label", &v.label)
        .attr("data-session", &v.session)
        .attr("data-samsung-service", &v.session)
        .attr("data-failed", Msg::CheckoutWalletFailed.text(l))
        .raw(">");
    for w in &v.buttons {
        b.raw("<button type=\"button\" class=\"button wallet\" hidden")
            .attr("id", w.id())
            .raw(">")
            .text(w.label())
            .raw("</button>");
    }
    b.raw("<p id=\"wallet-status\" role=\"alert\"></p><p class=\"hint\">")
        .text(Msg::CheckoutWalletOrCard.text(l))
        .raw("</p></div><script")
        .attr("nonce", nonce)
        .attr("src", WALLETS_SCRIPT_PATH)
        .raw("></script>");
    b
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checkout::{CheckoutView, MethodChoice, checkout_page};
    use crate::{Branding, PageContext};
    use paygate_ledger::Currency;

    fn view(wallets: Option<WalletsView>) -> CheckoutView {
        let url = |p: &str| WebUrl::parse("u", &format!("https://pay.example{p}")).unwrap();
        CheckoutView {
            merchant: "shop".into(),
            branding: Branding {
                color: None,
                logo: None,
            },
            items: Vec::new(),
            total: Some(Amount::new(15_000, Currency::KRW)),
            methods: vec![MethodChoice {
                type_name: "card",
                label: Msg::CheckoutMethodCard,
            }],
            selected: None,
            action: url("/pay/checkout/cs_1"),
            token: "tok".into(),
            cancel: None,
            success: None,
            banks: Vec::new(),
            installments: false,
            wallets,
        }
    }

    #[test]
    fn wallet_buttons_are_hidden_until_their_script_and_only_then_may_it_connect() {
        let ctx = PageContext::new(Locale::En);
        let plain = checkout_page(&ctx, &view(None), None);
        assert!(!plain.html.contains("id=\"wallets\""));
        let csp = plain.header("content-security-policy").unwrap();
        assert!(!csp.contains("connect-src"), "{csp}");
        let url = |p: &str| WebUrl::parse("u", &format!("https://pay.example{p}")).unwrap();
        let w = WalletsView {
            buttons: vec![WalletButton::ApplePay, WalletButton::SamsungPay],
            total: Amount::new(15_000, Currency::KRW),
            country: "KR",
            label: "<b>shop</b>".into(),
            session: "cs_1".into(),
            pay: url("/pay/checkout/cs_1/wallet"),
            validate: url("/pay/checkout/cs_1/apple_pay/session"),
        };
        let p = checkout_page(&ctx, &view(Some(w)), None);
        let h = &p.html;
        assert!(
            h.contains("<div id=\"wallets\" class=\"wallets\" hidden data-t=\"tok\""),
            "{h}"
        );
        assert!(h.contains("<button type=\"button\" class=\"button wallet\" hidden id=\"apple-pay\">Apple Pay</button>"));
        assert!(h.contains("id=\"samsung-pay\"") && h.contains("data-exponent=\"0\""));
        assert!(h.contains("data-label=\"&lt;b&gt;shop&lt;/b&gt;\""), "{h}");
        let script = format!(
            "<script nonce=\"{}\" src=\"{WALLETS_SCRIPT_PATH}\">",
            ctx.nonce.as_str()
        );
        assert!(h.contains(&script), "{h}");
        let csp = p.header("content-security-policy").unwrap();
        assert!(csp.contains("connect-src 'self'"), "{csp}");
    }
}
