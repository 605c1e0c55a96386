//! The Erro message: what the DS or the ACS answers a message it cannot accept, with the code
//! of the rule broken and the offending fields in `errorDetail`. Never a panic, never a 500.

use serde::Serialize;

use crate::messages::VERSION;

/// `errorCode` values the simulator uses.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum ErrorCode {
    /// 101: message received invalid / not recognised.
    MessageInvalid,
    /// 102: message version not supported.
    VersionNotSupported,
    /// 201: a required data element is missing.
    RequiredMissing,
    /// 203: the format of one or more data elements is invalid.
    FormatInvalid,
    /// 301: transaction ID not recognised.
    TransIdUnknown,
    /// 402: transaction timed out.
    TimedOut,
    /// 405: system connection failure (the ACS could not record the transaction).
    SystemFailure,
}

impl ErrorCode {
    fn code(self) -> &'static str {
        match self {
            ErrorCode::MessageInvalid => "101",
            ErrorCode::VersionNotSupported => "102",
            ErrorCode::RequiredMissing => "201",
            ErrorCode::FormatInvalid => "203",
            ErrorCode::TransIdUnknown => "301",
            ErrorCode::TimedOut => "402",
            ErrorCode::SystemFailure => "405",
        }
    }

    fn description(self) -> &'static str {
        match self {
            ErrorCode::MessageInvalid => "Message received invalid",
            ErrorCode::VersionNotSupported => "Message version number not supported",
            ErrorCode::RequiredMissing => "A message element required as defined is missing",
            ErrorCode::FormatInvalid => "Format of one or more elements is invalid",
            ErrorCode::TransIdUnknown => "Transaction ID not recognised",
            ErrorCode::TimedOut => "Transaction timed out",
            ErrorCode::SystemFailure => "System connection failure",
        }
    }
}

/// Which component found the error.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Component {
    /// The Directory Server.
    Ds,
    /// The Access Control Server.
    Acs,
}

/// An Erro message.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Erro {
    pub message_type: &'static str,
    pub message_version: &'static str,
    #[serde(
        rename = "threeDSServerTransID",
        skip_serializing_if = "Option::is_none"
    )]
    pub three_ds_server_trans_id: Option<String>,
    #[serde(rename = "dsTransID", skip_serializing_if = "Option::is_none")]
    pub ds_trans_id: Option<String>,
    #[serde(rename = "acsTransID", skip_serializing_if = "Option::is_none")]
    pub acs_trans_id: Option<String>,
    pub error_code: &'static str,
    pub error_component: &'static str,
    pub error_description: &'static str,
    pub error_detail: String,
    pub error_message_type: String,
}

impl Erro {
    /// An Erro found by `component` for a message of type `received` (as it arrived), naming
    /// the offending `detail` fields.
    pub(crate) fn new(
        component: Component,
        code: ErrorCode,
        detail: impl Into<String>,
        received: &str,
    ) -> Erro {
        Erro {
            message_type: "Erro",
            message_version: VERSION,
            three_ds_server_trans_id: None,
            ds_trans_id: None,
            acs_trans_id: None,
            error_code: code.code(),
            error_component: match component {
                Component::Ds => "D",
                Component::Acs => "A",
            },
            error_description: code.description(),
            error_detail: detail.into(),
            error_message_type: received.to_owned(),
        }
    }

    /// The same Erro naming the transaction (when known).
    pub(crate) fn with_ids(
        mut self,
        server: Option<&str>,
        ds: Option<&str>,
        acs: Option<&str>,
    ) -> Erro {
        self.three_ds_server_trans_id = server.map(str::to_owned);
        self.ds_trans_id = ds.map(str::to_owned);
        self.acs_trans_id = acs.map(str::to_owned);
        self
    }
}
