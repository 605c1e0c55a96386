//! The EMV 3DS 2.2.0 messages this simulator sends, and the ones it reads back, as its own types
//! (written from `/work/notes/threeds-contract.md`, never shared with the gateway's 3DS Server:
//! a bug on one side then fails against the other). Every value on the wire is a string.

use serde::{Deserialize, Serialize};

/// The only protocol version the simulator speaks.
pub(crate) const VERSION: &str = "2.2.0";

/// `transStatus` values the simulator produces.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) enum TransStatus {
    /// Authenticated.
    Y,
    /// Not authenticated.
    N,
    /// Authentication could not be performed.
    U,
    /// Challenge required.
    C,
}

impl TransStatus {
    /// The wire letter.
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            TransStatus::Y => "Y",
            TransStatus::N => "N",
            TransStatus::U => "U",
            TransStatus::C => "C",
        }
    }

    /// Reads a stored letter.
    pub(crate) fn parse(s: &str) -> Option<TransStatus> {
        Some(match s {
            "Y" => TransStatus::Y,
            "N" => TransStatus::N,
            "U" => TransStatus::U,
            "C" => TransStatus::C,
            _ => return None,
        })
    }
}

/// `transStatusReason` codes the simulator uses.
pub(crate) mod reason {
    /// Card authentication failed (wrong passwords, locked card, cancelled challenge).
    pub(crate) const AUTHENTICATION_FAILED: &str = "01";
    /// No card record (PAN in no card range).
    pub(crate) const NO_CARD_RECORD: &str = "08";
    /// ACS unavailable (the contract's test card 4000000000003097).
    pub(crate) const ACS_UNAVAILABLE: &str = "11";
    /// Transaction timed out at the ACS.
    pub(crate) const TIMED_OUT: &str = "14";
}

/// `challengeCancel` values.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum ChallengeCancel {
    /// "01": the cardholder cancelled.
    Cancelled,
    /// "04": the challenge was not completed in time.
    TimedOut,
    /// "05": the first CReq did not arrive in time.
    CreqNotReceived,
}

impl ChallengeCancel {
    /// The wire code.
    pub(crate) fn code(self) -> &'static str {
        match self {
            ChallengeCancel::Cancelled => "01",
            ChallengeCancel::TimedOut => "04",
            ChallengeCancel::CreqNotReceived => "05",
        }
    }
}

/// One entry of PRes `cardRangeData`.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct CardRange {
    pub start_range: String,
    pub end_range: String,
    pub action_ind: &'static str,
    pub acs_start_protocol_version: &'static str,
    pub acs_end_protocol_version: &'static str,
    pub acs_info_ind: Vec<&'static str>,
}

/// PRes: the DS's card ranges.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct PRes {
    pub message_type: &'static str,
    pub message_version: &'static str,
    #[serde(rename = "threeDSServerTransID")]
    pub three_ds_server_trans_id: String,
    #[serde(rename = "dsTransID")]
    pub ds_trans_id: String,
    pub serial_num: String,
    pub card_range_data: Vec<CardRange>,
}

/// ARes: the ACS's answer to an AReq, relayed by the DS.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct ARes {
    pub message_type: &'static str,
    pub message_version: &'static str,
    #[serde(rename = "threeDSServerTransID")]
    pub three_ds_server_trans_id: String,
    #[serde(rename = "dsTransID")]
    pub ds_trans_id: String,
    #[serde(rename = "acsTransID")]
    pub acs_trans_id: String,
    pub acs_reference_number: &'static str,
    #[serde(rename = "acsOperatorID")]
    pub acs_operator_id: &'static str,
    pub ds_reference_number: &'static str,
    pub trans_status: TransStatus,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub trans_status_reason: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub eci: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub authentication_value: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub acs_challenge_mandated: Option<&'static str>,
    #[serde(rename = "acsURL", skip_serializing_if = "Option::is_none")]
    pub acs_url: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub authentication_type: Option<&'static str>,
}

/// Reference numbers the simulated ACS and DS present.
pub(crate) const ACS_REFERENCE_NUMBER: &str = "PAYGATE-SIM-ACS-01";
/// The simulated ACS operator.
pub(crate) const ACS_OPERATOR_ID: &str = "PAYGATE-SIM-ACS";
/// The simulated DS.
pub(crate) const DS_REFERENCE_NUMBER: &str = "PAYGATE-SIM-DS-01";
/// Static password authentication.
pub(crate) const AUTHENTICATION_TYPE_STATIC: &str = "01";

/// RReq: the challenge's result, ACS → DS → 3DS Server.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct RReq {
    pub message_type: &'static str,
    pub message_version: String,
    #[serde(rename = "threeDSServerTransID")]
    pub three_ds_server_trans_id: String,
    #[serde(rename = "dsTransID")]
    pub ds_trans_id: String,
    #[serde(rename = "acsTransID")]
    pub acs_trans_id: String,
    pub message_category: String,
    pub trans_status: TransStatus,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub trans_status_reason: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub eci: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub authentication_value: Option<String>,
    pub authentication_type: &'static str,
    pub interaction_counter: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub challenge_cancel: Option<&'static str>,
}

/// What the 3DS Server answers an RReq with: RRes or Erro (only the fields the DS reads).
#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct RReqAnswer {
    pub message_type: Option<String>,
    pub results_status: Option<String>,
    pub error_code: Option<String>,
}

/// CRes: the challenge's result, posted by the browser to the notificationURL.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct CRes {
    #[serde(rename = "threeDSServerTransID")]
    pub three_ds_server_trans_id: String,
    #[serde(rename = "acsTransID")]
    pub acs_trans_id: String,
    pub message_type: &'static str,
    pub message_version: String,
    pub trans_status: TransStatus,
    pub challenge_completion_ind: &'static str,
}
