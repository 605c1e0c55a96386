//! The messages as typed structs, with the exact JSON names of EMV 3DS 2.2.0. Messages paygate
//! sends are built here and serialized; messages it receives are produced only by the readers in
//! [`super::read`], so a value of an incoming type has passed validation.

use serde::{Deserialize, Serialize};
use std::fmt;
use uuid::Uuid;

use super::codes::{
    AuthenticationType, ChallengeCancel, ChallengeInd, ChallengeMandated, ChallengeWindowSize,
    DeviceChannel, ErrorCode, ErrorComponent, MessageCategory, MessageType, TransStatus,
};

/// The protocol version paygate speaks.
pub const MESSAGE_VERSION: &str = "2.2.0";

/// The cardholder's account number as it travels in an AReq: `Debug` shows BIN and last 4 only.
#[derive(Clone, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct AcctNumber(pub(crate) String);

impl AcctNumber {
    /// The digits; a deliberate, greppable call.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for AcctNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (bin, last4) = (
            self.0.get(..6),
            self.0.get(self.0.len().saturating_sub(4)..),
        );
        write!(f, "{}…{}", bin.unwrap_or(""), last4.unwrap_or(""))
    }
}

/// The CAVV / AAV (`authenticationValue`): 28 standard base64 characters (20 bytes). A
/// bearer-ish proof of authentication: `Debug` never prints it.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct AuthenticationValue(pub(crate) String);

impl AuthenticationValue {
    /// Length of the base64 form, in characters.
    pub const CHARS: usize = 28;
    /// Least length of the decoded value, in bytes.
    pub const BYTES: usize = 20;

    /// The base64 text, for the authorization (DE 48.43); a deliberate, greppable call.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for AuthenticationValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

/// PReq: asks the DS for its card ranges.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct PReq {
    #[serde(rename = "messageType")]
    pub message_type: MessageType,
    #[serde(rename = "messageVersion")]
    pub message_version: String,
    #[serde(rename = "threeDSServerTransID")]
    pub three_ds_server_trans_id: Uuid,
    #[serde(rename = "threeDSServerRefNumber")]
    pub three_ds_server_ref_number: String,
}

/// One `cardRangeData` entry of a PRes.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct CardRangeData {
    #[serde(rename = "startRange")]
    pub start_range: String,
    #[serde(rename = "endRange")]
    pub end_range: String,
    /// "A" add, "M" modify, "D" delete.
    #[serde(rename = "actionInd")]
    pub action_ind: String,
    #[serde(rename = "acsStartProtocolVersion")]
    pub acs_start_protocol_version: String,
    #[serde(rename = "acsEndProtocolVersion")]
    pub acs_end_protocol_version: String,
    /// "01" authentication available at the ACS; "80" the issuer requires authentication.
    #[serde(rename = "acsInfoInd")]
    pub acs_info_ind: Vec<String>,
}

/// PRes: the DS's card ranges.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct PRes {
    #[serde(rename = "messageType")]
    pub message_type: MessageType,
    #[serde(rename = "messageVersion")]
    pub message_version: String,
    #[serde(rename = "threeDSServerTransID")]
    pub three_ds_server_trans_id: Uuid,
    #[serde(rename = "dsTransID")]
    pub ds_trans_id: Uuid,
    #[serde(rename = "serialNum")]
    pub serial_num: String,
    #[serde(rename = "cardRangeData")]
    pub card_range_data: Vec<CardRangeData>,
}

/// AReq, browser channel, payment or non-payment authentication.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct AReq {
    #[serde(rename = "messageType")]
    pub message_type: MessageType,
    #[serde(rename = "messageVersion")]
    pub message_version: String,
    #[serde(rename = "threeDSServerTransID")]
    pub three_ds_server_trans_id: Uuid,
    #[serde(rename = "threeDSServerRefNumber")]
    pub three_ds_server_ref_number: String,
    #[serde(rename = "threeDSServerURL")]
    pub three_ds_server_url: String,
    #[serde(rename = "threeDSRequestorID")]
    pub three_ds_requestor_id: String,
    #[serde(rename = "threeDSRequestorName")]
    pub three_ds_requestor_name: String,
    #[serde(rename = "threeDSRequestorURL")]
    pub three_ds_requestor_url: String,
    /// "01" payment transaction, "04" add card (see [`crate::AuthenticationPurpose`]).
    #[serde(rename = "threeDSRequestorAuthenticationInd")]
    pub three_ds_requestor_authentication_ind: String,
    #[serde(rename = "threeDSRequestorChallengeInd")]
    pub three_ds_requestor_challenge_ind: ChallengeInd,
    /// "U": no 3DS Method was run.
    #[serde(rename = "threeDSCompInd")]
    pub three_ds_comp_ind: String,
    #[serde(rename = "deviceChannel")]
    pub device_channel: DeviceChannel,
    #[serde(rename = "messageCategory")]
    pub message_category: MessageCategory,
    #[serde(rename = "acctNumber")]
    pub acct_number: AcctNumber,
    /// YYMM.
    #[serde(rename = "cardExpiryDate")]
    pub card_expiry_date: String,
    /// Minor units, digits.
    #[serde(rename = "purchaseAmount")]
    pub purchase_amount: String,
    /// ISO 4217 numeric, 3 digits.
    #[serde(rename = "purchaseCurrency")]
    pub purchase_currency: String,
    #[serde(rename = "purchaseExponent")]
    pub purchase_exponent: String,
    /// YYYYMMDDHHMMSS, UTC.
    #[serde(rename = "purchaseDate")]
    pub purchase_date: String,
    #[serde(rename = "acquirerBIN")]
    pub acquirer_bin: String,
    #[serde(rename = "acquirerMerchantID")]
    pub acquirer_merchant_id: String,
    #[serde(rename = "merchantName")]
    pub merchant_name: String,
    pub mcc: String,
    #[serde(rename = "merchantCountryCode")]
    pub merchant_country_code: String,
    #[serde(rename = "notificationURL")]
    pub notification_url: String,
    #[serde(rename = "browserAcceptHeader")]
    pub browser_accept_header: String,
    #[serde(rename = "browserUserAgent")]
    pub browser_user_agent: String,
    #[serde(rename = "browserLanguage")]
    pub browser_language: String,
    #[serde(rename = "browserJavaEnabled")]
    pub browser_java_enabled: String,
    #[serde(rename = "browserJavascriptEnabled")]
    pub browser_javascript_enabled: String,
    #[serde(rename = "browserColorDepth")]
    pub browser_color_depth: String,
    #[serde(rename = "browserScreenHeight")]
    pub browser_screen_height: String,
    #[serde(rename = "browserScreenWidth")]
    pub browser_screen_width: String,
    #[serde(rename = "browserTZ")]
    pub browser_tz: String,
    #[serde(rename = "browserIP", skip_serializing_if = "Option::is_none")]
    pub browser_ip: Option<String>,
}

/// ARes, validated: the conditional fields are present exactly when `trans_status` needs them.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ARes {
    #[serde(rename = "messageType")]
    pub message_type: MessageType,
    #[serde(rename = "messageVersion")]
    pub message_version: String,
    #[serde(rename = "threeDSServerTransID")]
    pub three_ds_server_trans_id: Uuid,
    #[serde(rename = "dsTransID")]
    pub ds_trans_id: Uuid,
    /// Always present when the ACS answered (Y, A, C); a DS answering alone (N, U, R for a card
    /// it has no record of) may leave it out.
    #[serde(rename = "acsTransID", skip_serializing_if = "Option::is_none")]
    pub acs_trans_id: Option<Uuid>,
    /// As `acs_trans_id`.
    #[serde(rename = "acsReferenceNumber", skip_serializing_if = "Option::is_none")]
    pub acs_reference_number: Option<String>,
    #[serde(rename = "acsOperatorID", skip_serializing_if = "Option::is_none")]
    pub acs_operator_id: Option<String>,
    #[serde(rename = "dsReferenceNumber")]
    pub ds_reference_number: String,
    #[serde(rename = "transStatus")]
    pub trans_status: TransStatus,
    #[serde(rename = "transStatusReason", skip_serializing_if = "Option::is_none")]
    pub trans_status_reason: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub eci: Option<String>,
    #[serde(
        rename = "authenticationValue",
        skip_serializing_if = "Option::is_none"
    )]
    pub authentication_value: Option<AuthenticationValue>,
    #[serde(
        rename = "acsChallengeMandated",
        skip_serializing_if = "Option::is_none"
    )]
    pub acs_challenge_mandated: Option<ChallengeMandated>,
    #[serde(rename = "acsURL", skip_serializing_if = "Option::is_none")]
    pub acs_url: Option<String>,
    #[serde(rename = "authenticationType", skip_serializing_if = "Option::is_none")]
    pub authentication_type: Option<AuthenticationType>,
}

/// CReq: what the browser posts (base64url, as `creq`) to the ACS.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CReq {
    #[serde(rename = "threeDSServerTransID")]
    pub three_ds_server_trans_id: Uuid,
    #[serde(rename = "acsTransID")]
    pub acs_trans_id: Uuid,
    #[serde(rename = "messageType")]
    pub message_type: MessageType,
    #[serde(rename = "messageVersion")]
    pub message_version: String,
    #[serde(rename = "challengeWindowSize")]
    pub challenge_window_size: ChallengeWindowSize,
}

/// CRes, validated: what the ACS has the browser post to notificationURL (as `cres`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct CRes {
    #[serde(rename = "threeDSServerTransID")]
    pub three_ds_server_trans_id: Uuid,
    #[serde(rename = "acsTransID")]
    pub acs_trans_id: Uuid,
    #[serde(rename = "messageType")]
    pub message_type: MessageType,
    #[serde(rename = "messageVersion")]
    pub message_version: String,
    #[serde(rename = "transStatus")]
    pub trans_status: TransStatus,
    #[serde(rename = "challengeCompletionInd")]
    pub challenge_completion_ind: String,
}

/// RReq, validated: the final result of a challenge, from the ACS through the DS.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct RReq {
    #[serde(rename = "messageType")]
    pub message_type: MessageType,
    #[serde(rename = "messageVersion")]
    pub message_version: String,
    #[serde(rename = "threeDSServerTransID")]
    pub three_ds_server_trans_id: Uuid,
    #[serde(rename = "dsTransID")]
    pub ds_trans_id: Uuid,
    #[serde(rename = "acsTransID")]
    pub acs_trans_id: Uuid,
    #[serde(rename = "messageCategory")]
    pub message_category: MessageCategory,
    #[serde(rename = "transStatus")]
    pub trans_status: TransStatus,
    #[serde(rename = "transStatusReason", skip_serializing_if = "Option::is_none")]
    pub trans_status_reason: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub eci: Option<String>,
    #[serde(
        rename = "authenticationValue",
        skip_serializing_if = "Option::is_none"
    )]
    pub authentication_value: Option<AuthenticationValue>,
    #[serde(rename = "authenticationType", skip_serializing_if = "Option::is_none")]
    pub authentication_type: Option<AuthenticationType>,
    #[serde(rename = "interactionCounter")]
    pub interaction_counter: String,
    #[serde(rename = "challengeCancel", skip_serializing_if = "Option::is_none")]
    pub challenge_cancel: Option<ChallengeCancel>,
}

/// RRes: paygate's acknowledgement of an RReq.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct RRes {
    #[serde(rename = "messageType")]
    pub message_type: MessageType,
    #[serde(rename = "messageVersion")]
    pub message_version: String,
    #[serde(rename = "threeDSServerTransID")]
    pub three_ds_server_trans_id: Uuid,
    #[serde(rename = "dsTransID")]
    pub ds_trans_id: Uuid,
    #[serde(rename = "acsTransID")]
    pub acs_trans_id: Uuid,
    /// "01": message received for further processing.
    #[serde(rename = "resultsStatus")]
    pub results_status: String,
}

/// Erro, sent or received. Ids are kept as text: an Erro may answer a message whose ids were
/// the problem.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Erro {
    #[serde(rename = "messageType")]
    pub message_type: MessageType,
    #[serde(rename = "messageVersion")]
    pub message_version: String,
    #[serde(
        rename = "threeDSServerTransID",
        skip_serializing_if = "Option::is_none"
    )]
    pub three_ds_server_trans_id: Option<String>,
    #[serde(rename = "dsTransID", skip_serializing_if = "Option::is_none")]
    pub ds_trans_id: Option<String>,
    #[serde(rename = "acsTransID", skip_serializing_if = "Option::is_none")]
    pub acs_trans_id: Option<String>,
    #[serde(rename = "errorCode")]
    pub error_code: ErrorCode,
    #[serde(rename = "errorComponent")]
    pub error_component: ErrorComponent,
    #[serde(rename = "errorDescription")]
    pub error_description: String,
    /// The offending field names, comma separated.
    #[serde(rename = "errorDetail")]
    pub error_detail: String,
    /// The messageType of the message in error, as received.
    #[serde(rename = "errorMessageType", skip_serializing_if = "Option::is_none")]
    pub error_message_type: Option<String>,
}
