//! paygate's payer-facing pages (served under `/pay/…`): what a payer sees between the
//! merchant's confirm and the authorization — a 3-D Secure hand-off, a status page, later
//! the ISP page ([`isp`]), the 간편결제 wallet ([`easy_pay`]), carrier billing and
//! virtual-account pages.
//!
//! No HTTP framework here: a builder returns a [`Page`] (status, HTML, headers) and the
//! gateway turns it into its framework's response. What every page gets from this crate:
//!
//! - one layout ([`layout`]) with inline CSS under a per-response CSP [`Nonce`];
//! - Korean and English text from one catalog ([`i18n::Msg`]), the [`Locale`] negotiated
//!   from `?locale=` then `Accept-Language`;
//! - money from integer minor units ([`Amount`]);
//! - escaping of every runtime string ([`html::Html`]);
//! - security headers ([`security`]) and stateless CSRF tokens ([`csrf`]);
//! - Stripe's return URL to the shop ([`return_url`]).
//!
//! docs/PAYER_PAGES.md tells how a payment method adds a page.

pub mod bank_instructions;
pub mod bank_transfer;
pub mod branding;
pub mod builders;
pub mod catalog;
mod catalog_texts;
pub mod checkout;
pub mod checkout_wallets;
pub mod components;
pub mod csrf;
pub mod easy_pay;
pub mod forms;
pub mod html;
pub mod i18n;
pub mod isp;
pub mod layout;
pub mod mobile_carrier;
pub mod money;
pub mod return_url;
pub mod security;

pub use bank_instructions::{BankInstructionsView, bank_instructions};
pub use bank_transfer::{
    BankChoiceView, BankHandoffView, TRANSFER_BANKS, bank_choice_page, bank_handoff_page,
    transfer_bank,
};
pub use branding::{BrandColor, Branding, LogoUrl};
pub use builders::{
    IntentState, IntentStatusView, auto_post, continue_to, intent_status, message, not_found,
    redirect,
};
pub use checkout::{
    BankChoice, CheckoutView, INSTALLMENT_MONTHS, ItemLine, MethodChoice, checkout_page,
};
pub use checkout_wallets::{WALLETS_SCRIPT, WALLETS_SCRIPT_PATH, WalletButton, WalletsView};
pub use components::{CardTail, Last4, Link, MessageKind, Summary, payment_summary};
pub use csrf::{CsrfError, CsrfKeyError, CsrfKeys, Purpose};
pub use easy_pay::{
    EasyPayForm, EasyPayPageView, PIN_PAD_SCRIPT, PIN_PAD_SCRIPT_PATH, WalletCardChoice,
    easy_pay_page,
};
pub use i18n::{Locale, Msg};
pub use isp::{ISP_SCRIPT, ISP_SCRIPT_PATH, IspPageView, isp_error_text, isp_page};
pub use mobile_carrier::{CarrierForm, CarrierPageView, carrier_page};
pub use money::Amount;
pub use return_url::{RedirectStatus, return_url, setup_return_url};
pub use security::{Connect, FormOrigin, Nonce, UrlError, WebUrl, secrets_match};

/// A finished page: HTTP status, the HTML document and the headers it must be sent with
/// (content type, CSP with this page's nonce, no-sniff, no-referrer, no-store, language).
#[derive(Clone, Debug)]
pub struct Page {
    pub status: u16,
    pub html: String,
    pub headers: Vec<(&'static str, String)>,
}

impl Page {
    /// The value of header `name` (lower case), if the page sets it.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| v.as_str())
    }
}

/// What one response is rendered with: the payer's locale and a fresh nonce.
#[derive(Clone, Debug)]
pub struct PageContext {
    pub locale: Locale,
    pub nonce: Nonce,
}

impl PageContext {
    /// A context for one response (a new nonce each time).
    pub fn new(locale: Locale) -> PageContext {
        PageContext {
            locale,
            nonce: Nonce::generate(),
        }
    }
}

#[cfg(test)]
mod tests;
