//! Card input: raw card fields become vaulted PaymentMethods; saved PaymentMethods are opened
//! from the vault only for the authorization; network answers become Stripe decline codes.

use crate::error::{ApiError, ApiResult};
use crate::http::Ctx;
use crate::ids::new_id;
use crate::models::PaymentIntent;
use crate::params::Sub;
use crate::state::AppState;
use paygate_payments::PaymentMethod;
use paygate_payments::payment_method::{
    BillingDetails, CardChecks, CardDetails, CardNetworks, IspDetails, PaymentMethodType,
};
use paygate_store::{ObjectRow, Op, Scope};
use paygate_vault::{CardData, CardError, Cvc, Expiry, Pan};
use serde_json::Value;

/// Stripe's public test card numbers and the simulator's own: refused in live mode.
pub const TEST_PANS: &[&str] = &[
    "4242424242424242",
    "4000056655665556",
    "4012888888881881",
    "5555555555554444",
    "5200828282828210",
    "5105105105105100",
    "2223003122003222",
    "378282246310005",
    "371449635398431",
    "6011111111111117",
    "6011000990139424",
    "3056930009020004",
    "36227206271667",
    "3566002020360505",
    "6200000000000005",
    "9400000000000007",
    "4000000000000002",
    "4000000000009995",
    "4000000000000069",
    "4000000000000127",
    "4000000000009987",
    "4000000000009979",
    "4000000000000119",
    "4000002760003184",
    "4000000000000077",
    "4000000000003220",
    "4000000000003055",
    "4000008400001629",
    "4000000000003097",
];

/// `pm_card_*` test tokens (test mode only), as in Stripe's docs.
fn test_token(token: &str) -> Option<&'static str> {
    Some(match token {
        "pm_card_visa" => "4242424242424242",
        "pm_card_mastercard" => "5555555555554444",
        "pm_card_amex" => "378282246310005",
        "pm_card_jcb" => "3566002020360505",
        "pm_card_unionpay" => "6200000000000005",
        "pm_card_chargeDeclined" => "4000000000000002",
        "pm_card_chargeDeclinedInsufficientFunds" => "4000000000009995",
        "pm_card_chargeDeclinedExpiredCard" => "4000000000000069",
        "pm_card_chargeDeclinedIncorrectCvc" => "4000000000000127",
        "pm_card_chargeDeclinedLostCard" => "4000000000009987",
        "pm_card_chargeDeclinedStolenCard" => "4000000000009979",
        "pm_card_chargeDeclinedProcessingError" => "4000000000000119",
        _ => return None,
    })
}

/// A card ready for one authorization. The PAN lives only here and in the vault.
pub struct AuthCard {
    pub pm_id: String,
    pub pm: Value,
    pub pan: Pan,
    pub expiry: Expiry,
    pub cvc: Option<Cvc>,
    /// Ops that create the PaymentMethod and its vault record, when it is new.
    pub new_ops: Vec<Op>,
    /// The new card's record in the remote vault, to discard if `new_ops` are not written.
    pub sealed: crate::card_vault::PendingRecord,
    /// A wallet token's DPAN: its cryptogram and ECI, and what the charge shows
    /// (`crate::wallet_tokens`).
    pub wallet: Option<crate::wallet_tokens::WalletAuth>,
}

pub fn card_error(e: CardError) -> ApiError {
    let code = e.code();
    let param = e.param();
    let status_402 = matches!(
        code,
        "incorrect_number"
            | "invalid_number"
            | "invalid_expiry_month"
            | "invalid_expiry_year"
            | "invalid_cvc"
            | "expired_card"
    );
    let mut err = if status_402 {
        ApiError::card(code, None, e.to_string())
    } else {
        ApiError::invalid(param, "parameter_invalid", e.to_string())
    };
    err.param = Some(param.to_string());
    err
}

/// Builds a PaymentMethod + vault record from `card[number|exp_month|exp_year|cvc]`.
pub async fn card_from_params(
    st: &AppState,
    scope: &Scope,
    card: &mut Sub,
    now: i64,
) -> ApiResult<AuthCard> {
    let number = card.req_str("number")?;
    let exp_month = card.req_int("exp_month")?;
    let exp_year = card.req_int("exp_year")?;
    let cvc = card.str("cvc")?;
    card.deny_unknown()?;
    let pan = Pan::parse(&number).map_err(|e| with_path(card_error(e), &card.path))?;
    let expiry =
        Expiry::new(exp_month, exp_year).map_err(|e| with_path(card_error(e), &card.path))?;
    let cvc = match cvc {
        Some(c) if !c.is_empty() => {
            Some(Cvc::parse(&c, pan.brand()).map_err(|e| with_path(card_error(e), &card.path))?)
        }
        _ => None,
    };
    new_card(st, scope, pan, expiry, cvc, now).await
}

fn with_path(mut e: ApiError, path: &str) -> ApiError {
    if let Some(p) = &e.param {
        e.param = Some(format!("{path}[{p}]"));
    }
    e
}

/// A new (unattached) card PaymentMethod and the ops that store it.
pub async fn new_card(
    st: &AppState,
    scope: &Scope,
    pan: Pan,
    expiry: Expiry,
    cvc: Option<Cvc>,
    now: i64,
) -> ApiResult<AuthCard> {
    let kind = VaultedKind::Card {
        with_cvc: cvc.is_some(),
    };
    new_vaulted(st, scope, (pan, expiry, cvc), kind, now).await
}

/// What a new PaymentMethod holding a sealed card is.
pub enum VaultedKind<'a> {
    /// `type: card`; `with_cvc` says whether a CVC came with it.
    Card { with_cvc: bool },
    /// `type: isp`: a card the ISP server verified for the certificate `certificate_serial`.
    Isp { certificate_serial: &'a str },
}

/// A new (unattached) PaymentMethod of `kind` over the card `(pan, expiry, cvc)`, sealed in the
/// vault, and the ops that store both.
pub async fn new_vaulted(
    st: &AppState,
    scope: &Scope,
    (pan, expiry, cvc): (Pan, Expiry, Option<Cvc>),
    kind: VaultedKind<'_>,
    now: i64,
) -> ApiResult<AuthCard> {
    if scope.livemode && TEST_PANS.contains(&pan.expose()) {
        return Err(ApiError::card(
            "card_declined",
            Some("live_mode_test_card"),
            "Your card was declined. Your request was in live mode, but used a known test card.",
        )
        .with_param("number"));
    }
    let pm_id = new_id("pm");
    let vault_id = new_id("vc");
    let data = CardData { pan, expiry };
    let sealed = (st.card_vault)
        .seal(st, &scope.merchant_id, &vault_id, &data, now)
        .await?;
    let CardData { pan, expiry } = data;
    let ids = (pm_id.as_str(), vault_id.as_str());
    let fingerprint = &sealed.fingerprint;
    let pm =
        vaulted_payment_method(ids, &pan, &expiry, fingerprint, kind, scope, now).to_document();
    let new_ops = sealed.op.into_iter().chain([Op::InsertObject(ObjectRow {
        id: pm_id.clone(),
        merchant_id: scope.merchant_id.clone(),
        livemode: scope.livemode,
        kind: "payment_method".into(),
        parent: None,
        tag: None,
        due: None,
        created: now,
        version: 0,
        data: pm.clone(),
    })]);
    Ok(AuthCard {
        pm_id,
        pm,
        pan,
        expiry,
        cvc,
        new_ops: new_ops.collect(),
        sealed: crate::card_vault::PendingRecord::new(sealed.remote),
        wallet: None,
    })
}

/// The PaymentMethod document of a new card of `kind`: brand, last 4 and fingerprint, never
/// the PAN. `ids` are the PaymentMethod's and its vault record's.
fn vaulted_payment_method(
    (pm_id, vault_id): (&str, &str),
    pan: &Pan,
    expiry: &Expiry,
    fingerprint: &str,
    kind: VaultedKind<'_>,
    scope: &Scope,
    now: i64,
) -> PaymentMethod {
    let brand = pan.brand().as_str().to_string();
    let mut pm = PaymentMethod {
        id: pm_id.to_string(),
        object: "payment_method".into(),
        kind: PaymentMethodType::Card,
        billing_details: BillingDetails::default(),
        card: None,
        isp: None,
        created: now,
        customer: None,
        livemode: scope.livemode,
        metadata: serde_json::Map::new(),
        vault: vault_id.to_string(),
    };
    match kind {
        VaultedKind::Card { with_cvc } => {
            pm.card = Some(card_details(pan, expiry, fingerprint, with_cvc));
        }
        VaultedKind::Isp { certificate_serial } => {
            pm.kind = PaymentMethodType::Isp;
            pm.isp = Some(IspDetails {
                brand,
                last4: pan.last4().to_string(),
                exp_month: expiry.month,
                exp_year: expiry.year,
                fingerprint: fingerprint.to_string(),
                certificate_serial: certificate_serial.to_string(),
            });
        }
    }
    pm
}

/// The `card` of a card PaymentMethod.
fn card_details(pan: &Pan, expiry: &Expiry, fingerprint: &str, with_cvc: bool) -> CardDetails {
    let brand = pan.brand().as_str().to_string();
    CardDetails {
        brand: brand.clone(),
        last4: pan.last4().to_string(),
        exp_month: expiry.month,
        exp_year: expiry.year,
        fingerprint: fingerprint.to_string(),
        funding: "credit".into(),
        country: None,
        checks: CardChecks {
            cvc_check: if with_cvc { "unchecked" } else { "unavailable" }.into(),
        },
        networks: CardNetworks {
            available: vec![brand],
            preferred: None,
        },
    }
}

/// Opens a saved PaymentMethod (or a `pm_card_*` test token) for an authorization.
pub async fn saved_card(
    st: &AppState,
    scope: &Scope,
    pm_id: &str,
    now: i64,
) -> ApiResult<AuthCard> {
    if let Some(number) = test_token(pm_id) {
        if scope.livemode {
            return Err(ApiError::not_found(
                "PaymentMethod",
                pm_id,
                "payment_method",
            ));
        }
        let pan = Pan::parse(number).map_err(card_error)?;
        let expiry = Expiry::new(12, i64::from(current_year()) + 3).map_err(card_error)?;
        return new_card(st, scope, pan, expiry, None, now).await;
    }
    let row = st
        .store
        .get_object(scope, pm_id)
        .await?
        .filter(|r| r.kind == "payment_method")
        .ok_or_else(|| ApiError::not_found("PaymentMethod", pm_id, "payment_method"))?;
    let vault_id = row.data["_vault"]
        .as_str()
        .ok_or_else(|| ApiError::internal("payment method without vault record"))?
        .to_string();
    let card = (st.card_vault)
        .open(st, &scope.merchant_id, &vault_id)
        .await?;
    Ok(AuthCard {
        pm_id: pm_id.to_string(),
        pm: row.data,
        pan: card.pan,
        expiry: card.expiry,
        cvc: st.take_cvc(pm_id),
        new_ops: Vec::new(),
        sealed: Default::default(),
        wallet: None,
    })
}

pub fn current_year() -> u16 {
    u16::try_from(time::OffsetDateTime::now_utc().year()).unwrap_or(2026)
}

pub fn current_month() -> u8 {
    time::OffsetDateTime::now_utc().month() as u8
}

/// The card a confirm charges: `payment_method_data[card]` (a new PaymentMethod), else the
/// intent's saved PaymentMethod (which must belong to the intent's customer, if any).
pub async fn confirm_card(ctx: &mut Ctx, pi: &PaymentIntent) -> ApiResult<AuthCard> {
    let scope = ctx.scope();
    if let Some(mut pmd) = ctx.params.object("payment_method_data")? {
        pmd.enum_str("type", &["card", "isp", "easy_pay", "mobile_carrier"])?
            .ok_or_else(|| ApiError::missing("payment_method_data[type]"))?;
        let mut card = pmd
            .object("card")?
            .ok_or_else(|| ApiError::missing("payment_method_data[card]"))?;
        pmd.allow(&["billing_details", "metadata"]);
        pmd.deny_unknown()?;
        if let Some(token) = card.str("token")? {
            card.deny_unknown()?;
            let param = "payment_method_data[card][token]";
            return crate::wallet_tokens::token_card(&ctx.st, &scope, &token, param, ctx.now).await;
        }
        return card_from_params(&ctx.st, &scope, &mut card, ctx.now).await;
    }
    let Some(pm_id) = pi.payment_method.clone() else {
        return Err(ApiError::unexpected_state(
            "payment_intent_unexpected_state",
            "You cannot confirm this PaymentIntent because it's missing a payment method. \
             To confirm the PaymentIntent, pass a payment_method or payment_method_data.",
        )
        .with_param("payment_method"));
    };
    if pm_id.starts_with("tok_") {
        return crate::wallet_tokens::token_card(
            &ctx.st,
            &scope,
            &pm_id,
            "payment_method",
            ctx.now,
        )
        .await;
    }
    let card = saved_card(&ctx.st, &scope, &pm_id, ctx.now).await?;
    if card.pm["type"] != "card" {
        // An ISP PaymentMethod pays once, with the signature it was verified with.
        return Err(ApiError::bad_param(
            "payment_method",
            "This PaymentMethod is not a card: an isp PaymentMethod cannot be charged again; \
             confirm with payment_method_data[type]=isp and a new signature.",
        ));
    }
    if let (Some(owner), Some(customer)) = (card.pm["customer"].as_str(), pi.customer.as_deref())
        && owner != customer
    {
        return Err(ApiError::bad_param(
            "payment_method",
            "The provided PaymentMethod belongs to another Customer than this PaymentIntent.",
        ));
    }
    Ok(card)
}

/// What the confirm flows read from `payment_method_data[…]` (`confirm_card` and
/// `card_from_params` above, `methods::isp`, the other methods' `type` checks), declared for
/// the OpenAPI document (`api::openapi_params`): the wire structs that pass the subtree on
/// to those readers name these types with `#[schemars(with = …)]`. The test
/// `openapi_params_match_the_parsers` posts every declared key, so the table cannot drift.
pub mod table {
    // Declarations for the document only: read through `JsonSchema`, never constructed.
    #![allow(dead_code)]

    use crate::methods::PaymentMethodKind;
    use crate::params::typed::{Int, Metadata, Text};
    use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};
    use serde_json::Value;
    use std::borrow::Cow;

    /// `card[…]`: a card number with its expiry (and CVC), or a wallet token.
    #[derive(JsonSchema)]
    pub struct Card {
        /// The card number (PAN), 12 to 19 digits; never stored or logged in the clear.
        number: Option<Text<19>>,
        #[schemars(range(min = 1, max = 12))]
        exp_month: Option<Int>,
        exp_year: Option<Int>,
        /// 3 digits (4 for American Express).
        cvc: Option<Text<4>>,
        /// A `tok_…` from `POST /v1/tokens`, instead of the card's details.
        token: Option<Text<5000>>,
    }

    /// `isp[…]`: the payer's ISP (안전결제) signature of the payment.
    #[derive(JsonSchema)]
    pub struct Isp {
        card: Text<5000>,
        certificate: Text<5000>,
        signature: Text<5000>,
        signed_data: Text<5000>,
    }

    /// A payment method type paygate offers.
    pub struct MethodType;

    impl JsonSchema for MethodType {
        fn inline_schema() -> bool {
            true
        }
        fn schema_name() -> Cow<'static, str> {
            "MethodType".into()
        }
        fn json_schema(_g: &mut SchemaGenerator) -> Schema {
            let words: Vec<&str> = PaymentMethodKind::ALL.iter().map(|k| k.as_str()).collect();
            json_schema!({"type": "string", "enum": words})
        }
    }

    /// `payment_method_data[…]`: a new payment method, given with the confirm.
    #[derive(JsonSchema)]
    pub struct PaymentMethodData {
        /// Accepted as given (not checked).
        billing_details: Option<Value>,
        /// With `type=card`.
        card: Option<Card>,
        /// With `type=isp`.
        isp: Option<Isp>,
        metadata: Option<Metadata>,
        r#type: MethodType,
    }
}
