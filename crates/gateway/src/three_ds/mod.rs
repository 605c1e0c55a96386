//! 안심클릭 / EMV 3-D Secure 2.2.0 in the gateway: when a confirm authenticates the cardholder
//! ([`decide`]), the AReq and what its answer does to the intent ([`confirm`]), the payer's
//! round trip through the issuer's ACS and the DS's RReq ([`pages`]), the authorization once
//! the payer is back ([`resume`]) and the intents a payer abandoned ([`expiry`]).
//!
//! The protocol itself (messages, validation, card ranges) is `paygate-three-ds`; this module
//! only ties it to PaymentIntents. A challenge in progress lives in the intent's internal
//! `_three_ds` field (never rendered), found again from the RReq through a small
//! `three_ds_transaction` object named after the `threeDSServerTransID`, marked finished
//! ([`finish_transaction`]) when the authentication ends.

pub mod confirm;
pub mod decide;
pub mod expiry;
pub mod pages;
pub mod resume;

use crate::config::Config;
use crate::metrics::links::{Link, LinkMetrics, Meter};
use crate::models::PaymentIntent;
use crate::pages::PageSettings;
use paygate_payments::PaymentIntentStatus;
use paygate_store::{MerchantRow, Op};
use paygate_three_ds::{Outcome, Requestor, ThreeDsServer, Timeouts, TransStatus};
use serde_json::{Value, json};
use std::sync::Arc;
use std::time::Duration;

/// How often the card ranges are downloaded again (PReq).
pub const CARD_RANGE_REFRESH: Duration = Duration::from_secs(3600);

/// The path the DS posts RReqs to (`threeDSServerURL`).
pub const RREQ_PATH: &str = "/pay/3ds/rreq";

/// Kind of the object that maps a `threeDSServerTransID` to its PaymentIntent.
pub const TRANSACTION_KIND: &str = "three_ds_transaction";

/// The id of the lookup object of a `threeDSServerTransID`.
pub fn transaction_object_id(three_ds_server_trans_id: uuid::Uuid) -> String {
    format!("3dstx_{}", three_ds_server_trans_id.simple())
}

/// The `merchantName` of an AReq for `pi` of `merchant`: the intent's statement descriptor
/// when it has one (as Stripe shows it to the cardholder), else the merchant's name, cut to
/// the EMV 3DS limit of 40 characters.
pub fn merchant_name(pi: &PaymentIntent, merchant: &MerchantRow) -> String {
    let descriptor = pi.statement_descriptor.as_deref().map(str::trim);
    let name = match descriptor {
        Some(d) if !d.is_empty() => d,
        _ => merchant.name.trim(),
    };
    let name = paygate_three_ds::merchant_name(name);
    if name.is_empty() {
        // A merchant without a name: the ACS still shows something true.
        return "paygate".into();
    }
    name
}

/// The lookup of `pi`'s challenge in progress is marked finished, in the commit that ends the
/// authentication (resume, failure, expiry, cancel, a new confirm): an RReq for it is then
/// answered Erro 301 like any unknown transaction. `None` when `pi` waits for no challenge.
pub fn finish_transaction(pi: &PaymentIntent) -> Option<Op> {
    let attempt = pi.three_ds.as_ref()?;
    if pi.status != PaymentIntentStatus::RequiresAction {
        return None;
    }
    Some(finish_lookup(attempt.pending.three_ds_server_trans_id))
}

/// The op marking the lookup of `three_ds_server_trans_id` finished: its owner is dropped,
/// so a late RReq finds nothing to store into.
pub fn finish_lookup(three_ds_server_trans_id: uuid::Uuid) -> Op {
    let id = transaction_object_id(three_ds_server_trans_id);
    Op::UpdateObject {
        data: json!({"id": id, "finished": true}),
        id,
        // The lookup is written once at insert and once here: its owner's own version
        // guards that this runs once per challenge.
        expected_version: 0,
        tag: None,
        due: None,
    }
}

/// The 3DS Server of this gateway, when `three_ds_url` is configured. Its card ranges are
/// loaded now and refreshed in the background; a DS that is down at start is logged (cards
/// count as not enrolled until the ranges load). Its calls to the DS are measured in `links`.
pub fn server(
    cfg: &Config,
    pages: &PageSettings,
    links: &Arc<LinkMetrics>,
) -> Result<Option<Arc<ThreeDsServer>>, String> {
    let Some(url) = &cfg.three_ds_url else {
        return Ok(None);
    };
    let requestor = Requestor {
        requestor_id: cfg.three_ds_requestor_id.clone(),
        requestor_name: "paygate".into(),
        requestor_url: pages.url(""),
        server_ref_number: "PAYGATE-3DS-SERVER-1".into(),
        server_url: pages.url(RREQ_PATH),
        acquirer_bin: cfg.three_ds_acquirer_bin.clone(),
        merchant_country_numeric: 410,
        mcc: cfg.three_ds_mcc.clone(),
        notification_base_url: pages.url("/pay/3ds"),
    };
    let server = ThreeDsServer::new(url, requestor, Timeouts::default())
        .map_err(|e| format!("three_ds_url / 3-D Secure requestor: {e}"))?
        .metered(Arc::new(Meter::new(Link::ThreeDs, links.clone())));
    Ok(Some(Arc::new(server)))
}

/// `payment_method_details.card.three_d_secure` of a charge after `outcome` (Stripe's shape).
pub fn charge_details(outcome: &Outcome, challenged: bool) -> Value {
    let (result, reason) = match outcome.trans_status {
        TransStatus::Authenticated => ("authenticated", None),
        TransStatus::Attempted => ("attempt_acknowledged", None),
        TransStatus::NotAuthenticated => ("failed", None),
        TransStatus::Rejected => ("failed", Some("rejected")),
        TransStatus::Unavailable | TransStatus::ChallengeRequired => {
            ("processing_error", Some("protocol_error"))
        }
    };
    json!({
        "authentication_flow": if challenged { "challenge" } else { "frictionless" },
        "electronic_commerce_indicator": outcome.eci,
        "result": result,
        "result_reason": reason,
        "transaction_id": outcome.ds_trans_id.hyphenated().to_string(),
        "version": outcome.message_version,
    })
}
