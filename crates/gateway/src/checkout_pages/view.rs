//! What the checkout page shows of a session: the locale, the merchant's branding, the order,
//! the methods; and the payer-language text of an API error.

use crate::checkout::CheckoutSession;
use crate::checkout::methods::{CheckoutMethod, Collects};
use crate::checkout::session::SessionLocale;
use crate::error::ApiError;
use crate::methods::installments::allowed as installments_allowed;
use crate::state::AppState;
use axum::http::{HeaderMap, header};
use paygate_ledger::Currency;
use paygate_payer_pages::{
    Amount, BankChoice, BrandColor, Branding, CheckoutView, ItemLine, Locale, LogoUrl, Msg,
    Purpose, WebUrl,
};
use paygate_store::MerchantRow;

/// How long a rendered form may be posted.
const FORM_TTL_S: i64 = 3600;

/// The page's language: `?locale=`, else the session's `locale` unless `auto`, else the
/// browser's `Accept-Language`, else Korean.
pub fn locale(query: Option<&str>, cs: Option<&CheckoutSession>, headers: &HeaderMap) -> Locale {
    if let Some(l) = query.and_then(Locale::parse) {
        return l;
    }
    match cs.map(|c| c.locale) {
        Some(SessionLocale::Ko) => Locale::Ko,
        Some(SessionLocale::En) => Locale::En,
        _ => Locale::negotiate(
            None,
            headers
                .get(header::ACCEPT_LANGUAGE)
                .and_then(|v| v.to_str().ok()),
        ),
    }
}

/// The merchant's branding settings (`settings.branding`), checked again on the way out.
pub fn branding(m: &MerchantRow) -> Branding {
    let b = &m.settings["branding"];
    Branding {
        color: b["color"].as_str().and_then(BrandColor::parse),
        logo: b["logo_url"].as_str().and_then(LogoUrl::parse),
    }
}

/// The name the page shows: `settings.branding.display_name`, else the merchant's name.
pub fn display_name(m: &MerchantRow) -> String {
    m.settings["branding"]["display_name"]
        .as_str()
        .filter(|s| !s.trim().is_empty())
        .map_or_else(|| m.name.clone(), str::to_string)
}

/// The methods of the session this gateway can take, in the table's order.
pub fn methods(st: &AppState, cs: &CheckoutSession) -> Vec<&'static CheckoutMethod> {
    crate::checkout::methods::CHECKOUT_METHODS
        .iter()
        .filter(|m| {
            m.available(st)
                && m.takes(cs.currency.as_deref())
                && cs.payment_method_types.iter().any(|t| t == m.kind.as_str())
        })
        .collect()
}

/// `success_url` with `{CHECKOUT_SESSION_ID}` replaced by the session's id.
pub fn success_url(cs: &CheckoutSession) -> Option<WebUrl> {
    let url = cs.success_url.replace("{CHECKOUT_SESSION_ID}", &cs.id);
    WebUrl::parse("success_url", &url).ok()
}

/// The page's view of `cs`.
pub fn view(
    st: &AppState,
    cs: &CheckoutSession,
    m: &MerchantRow,
    l: Locale,
    selected: Option<&'static str>,
) -> Option<CheckoutView> {
    let currency = cs.currency.as_deref().and_then(|c| Currency::parse(c).ok());
    let items = cs
        .line_items
        .iter()
        .filter_map(|i| {
            Some(ItemLine {
                name: i.description.clone(),
                quantity: i.quantity,
                amount: Amount::new(i.amount_total, currency?),
            })
        })
        .collect();
    let total = match (cs.amount_total, currency) {
        (Some(a), Some(c)) => Some(Amount::new(a, c)),
        _ => None,
    };
    let offered = methods(st, cs);
    let action = WebUrl::parse(
        "action",
        &st.pages
            .url(&format!("/pay/checkout/{}?locale={}", cs.id, l.tag())),
    )
    .ok()?;
    Some(CheckoutView {
        merchant: display_name(m),
        branding: branding(m),
        items,
        total,
        methods: offered.iter().map(|m| m.choice()).collect(),
        selected,
        action,
        token: st
            .pages
            .csrf
            .issue(Purpose::PayerForm, &cs.id, st.now() + FORM_TTL_S),
        cancel: cs
            .cancel_url
            .as_deref()
            .and_then(|u| WebUrl::parse("cancel_url", u).ok()),
        success: success_url(cs),
        banks: banks(&offered),
        installments: offered.iter().any(|m| m.collects == Collects::CardForm)
            && installments_allowed(cs.currency.as_deref(), cs.amount_total),
        wallets: None,
    })
}

/// The banks the page lists when a method asks for one.
fn banks(offered: &[&CheckoutMethod]) -> Vec<BankChoice> {
    if !offered
        .iter()
        .any(|m| m.collects == Collects::BankAndCashReceipt)
    {
        return Vec::new();
    }
    paygate_connector_bank::BANKS
        .iter()
        .map(|(code, name)| BankChoice {
            code: (*code).to_string(),
            name: (*name).to_string(),
        })
        .collect()
}

/// The payer's sentence for an error of the confirm (its code, decline code or parameter).
pub fn error_text(e: &ApiError) -> Msg {
    let param = e.param.as_deref().unwrap_or_default();
    match e.code.unwrap_or_default() {
        "card_declined" | "expired_card" | "insufficient_funds" => Msg::CheckoutErrDeclined,
        "incorrect_number" | "invalid_number" => Msg::CheckoutErrNumber,
        "invalid_expiry_month" | "invalid_expiry_year" => Msg::CheckoutErrExpiry,
        "incorrect_cvc" | "invalid_cvc" => Msg::CheckoutErrCvc,
        "payment_intent_authentication_failure" | "setup_intent_authentication_failure" => {
            Msg::CheckoutErrAuthentication
        }
        "parameter_missing" if param.contains("card") => Msg::CheckoutErrMissing,
        _ if param.starts_with("cash_receipt") => Msg::CheckoutErrCashReceipt,
        _ if param.ends_with("[virtual_account][bank]") => Msg::CheckoutErrBank,
        _ if param.contains("[installments]") => Msg::CheckoutErrInstallments,
        _ if param.ends_with("[number]") => Msg::CheckoutErrNumber,
        _ if param.contains("exp_") => Msg::CheckoutErrExpiry,
        _ if param.ends_with("[cvc]") => Msg::CheckoutErrCvc,
        _ if e.status.as_u16() == 402 => Msg::CheckoutErrDeclined,
        _ => Msg::ErrorBody,
    }
}
