//! 안심클릭 / EMV 3-D Secure 2.2.0 in the gateway: when a confirm authenticates the cardholder
//! ([`decide`]), the AReq and what its answer does to the intent ([`confirm`]), the payer's
//! round trip through the issuer's ACS and the DS's RReq ([`pages`]), the authorization once
//! the payer is back ([`resume`]) and the intents a payer abandoned ([`expiry`]).
//!
//! The protocol itself (messages, validation, card ranges) is `paygate-three-ds`; this module
//! only ties it to PaymentIntents. A challenge in progress lives in the intent's internal
//! `_three_ds` field (never rendered), found again from the RReq through a small
//! `three_ds_transaction` object named after the `threeDSServerTransID`.

pub mod confirm;
pub mod decide;
pub mod expiry;
pub mod pages;
pub mod resume;

use crate::config::Config;
use crate::pages::PageSettings;
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

/// The 3DS Server of this gateway, when `three_ds_url` is configured. Its card ranges are
/// loaded now and refreshed in the background; a DS that is down at start is logged (cards
/// count as not enrolled until the ranges load).
pub fn server(cfg: &Config, pages: &PageSettings) -> Result<Option<Arc<ThreeDsServer>>, String> {
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
        merchant_name: "paygate merchant".into(),
        merchant_country_numeric: 410,
        mcc: cfg.three_ds_mcc.clone(),
        notification_base_url: pages.url("/pay/3ds"),
    };
    let server = ThreeDsServer::new(url, requestor, Timeouts::default())
        .map_err(|e| format!("three_ds_url / 3-D Secure requestor: {e}"))?;
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
