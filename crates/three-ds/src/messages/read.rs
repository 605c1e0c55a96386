//! Readers of the messages paygate receives: PRes and ARes (or Erro) from the DS, RReq from the
//! DS, CRes from the browser. Each checks every field the contract requires for the message and
//! its `transStatus`, and returns the typed message or a [`ValidationError`] naming the field.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;

use super::codes::{
    AuthenticationType, ChallengeCancel, ChallengeMandated, ErrorCode, MessageCategory,
    MessageType, TransStatus,
};
use super::fields::{
    Fields, Opened, ReceivedIds, ValidationError, digits, http_url, reference, two_digits,
};
use super::wire::{ARes, AuthenticationValue, CRes, CardRangeData, MESSAGE_VERSION, PRes, RReq};

/// An Erro received from another component, as text (it is only reported, never trusted).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReceivedErro {
    /// `errorCode`, 3 digits, e.g. "203".
    pub error_code: String,
    /// `errorComponent`: "D", "A" or "S" as received.
    pub error_component: String,
    /// `errorDescription`, when given.
    pub error_description: Option<String>,
    /// `errorDetail`, when given (usually the offending field names).
    pub error_detail: Option<String>,
    /// The transaction ids it names, as text.
    pub ids: ReceivedIds,
}

/// What a DS answered to a request: the expected response or an Erro.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Answer<T> {
    /// The expected response, validated.
    Response(T),
    /// An Erro.
    Erro(ReceivedErro),
}

fn read_erro(f: &Fields) -> Result<ReceivedErro, ValidationError> {
    Ok(ReceivedErro {
        error_code: f.checked("errorCode", |v| digits(v, 3), "must be 3 digits")?,
        error_component: f.checked(
            "errorComponent",
            |v| matches!(v, "D" | "A" | "S" | "C" | "M"),
            "must be D, A, S, C or M",
        )?,
        error_description: f.optional("errorDescription")?.map(str::to_owned),
        error_detail: f.optional("errorDetail")?.map(str::to_owned),
        ids: f.ids().clone(),
    })
}

/// Reads an Erro on its own (e.g. the `cres` of a failed challenge).
pub fn read_erro_message(body: &[u8]) -> Result<ReceivedErro, ValidationError> {
    match Fields::open(body, MessageType::Erro, false)? {
        Opened::Expected(f) | Opened::Erro(f) => read_erro(&f),
    }
}

/// Whether `v` is a CAVV: 28 characters of standard base64 (20 bytes with padding, as the
/// contract's CAVV; Mastercard's 21-byte AAV fills the 28 characters without padding).
pub(crate) fn is_authentication_value(v: &str) -> bool {
    v.len() == AuthenticationValue::CHARS
        && STANDARD
            .decode(v)
            .is_ok_and(|b| b.len() >= AuthenticationValue::BYTES)
}

/// The ECI and CAVV a Y or A result must carry, and must not carry otherwise.
fn read_cavv(
    f: &Fields,
    status: TransStatus,
) -> Result<(Option<String>, Option<AuthenticationValue>), ValidationError> {
    let eci = f.checked_optional("eci", two_digits, "must be 2 digits")?;
    let cavv = f.checked_optional(
        "authenticationValue",
        is_authentication_value,
        "must be 28 standard base64 characters",
    )?;
    if status.carries_cavv() {
        let eci = eci.ok_or_else(|| f.error(ErrorCode::RequiredMissing, "eci", "is required"))?;
        let cavv = cavv.ok_or_else(|| {
            f.error(
                ErrorCode::RequiredMissing,
                "authenticationValue",
                "is required",
            )
        })?;
        return Ok((Some(eci), Some(AuthenticationValue(cavv))));
    }
    if cavv.is_some() {
        return Err(f.error(
            ErrorCode::InvalidFormat,
            "authenticationValue",
            "is only sent with transStatus Y or A",
        ));
    }
    Ok((eci, None))
}

fn read_reason(f: &Fields, status: TransStatus) -> Result<Option<String>, ValidationError> {
    let reason = f.checked_optional("transStatusReason", two_digits, "must be 2 digits")?;
    if status.needs_reason() && reason.is_none() {
        return Err(f.error(
            ErrorCode::RequiredMissing,
            "transStatusReason",
            "is required when transStatus is N, U or R",
        ));
    }
    Ok(reason)
}

/// Reads the DS's answer to an AReq.
pub fn read_ares(body: &[u8]) -> Result<Answer<ARes>, ValidationError> {
    let f = match Fields::open(body, MessageType::ARes, true)? {
        Opened::Erro(f) => return read_erro(&f).map(Answer::Erro),
        Opened::Expected(f) => f,
    };
    let trans_status = f.code("transStatus", TransStatus::parse)?;
    let (eci, authentication_value) = read_cavv(&f, trans_status)?;
    let challenge = trans_status == TransStatus::ChallengeRequired;
    let when_challenge = |name: &str| -> Result<(), ValidationError> {
        match f.optional(name)? {
            None if challenge => Err(f.error(
                ErrorCode::RequiredMissing,
                name,
                "is required when transStatus is C",
            )),
            _ => Ok(()),
        }
    };
    // The ACS answered (Y, A, C): its ids are required; a DS answering alone may omit them.
    let from_acs = trans_status.carries_cavv() || challenge;
    let acs_trans_id = f.uuid_optional("acsTransID")?;
    let acs_reference_number =
        f.checked_optional("acsReferenceNumber", reference, "must be 1..=64 characters")?;
    for (name, present) in [
        ("acsTransID", acs_trans_id.is_some()),
        ("acsReferenceNumber", acs_reference_number.is_some()),
    ] {
        if from_acs && !present {
            return Err(f.error(
                ErrorCode::RequiredMissing,
                name,
                "is required when transStatus is Y, A or C",
            ));
        }
    }
    when_challenge("acsURL")?;
    when_challenge("acsChallengeMandated")?;
    when_challenge("authenticationType")?;
    Ok(Answer::Response(ARes {
        message_type: MessageType::ARes,
        message_version: MESSAGE_VERSION.to_owned(),
        three_ds_server_trans_id: f.uuid("threeDSServerTransID")?,
        ds_trans_id: f.uuid("dsTransID")?,
        acs_trans_id,
        acs_reference_number,
        acs_operator_id: f.checked_optional(
            "acsOperatorID",
            reference,
            "must be 1..=64 characters",
        )?,
        ds_reference_number: f.checked(
            "dsReferenceNumber",
            reference,
            "must be 1..=64 characters",
        )?,
        trans_status,
        trans_status_reason: read_reason(&f, trans_status)?,
        eci,
        authentication_value,
        acs_challenge_mandated: f
            .code_optional("acsChallengeMandated", ChallengeMandated::parse)?,
        acs_url: f.checked_optional("acsURL", http_url, "must be an http(s) URL")?,
        authentication_type: f.code_optional("authenticationType", AuthenticationType::parse)?,
    }))
}

/// Reads an RReq (never an Erro: the DS sends RReq or nothing).
pub fn read_rreq(body: &[u8]) -> Result<RReq, ValidationError> {
    let f = match Fields::open(body, MessageType::RReq, false)? {
        Opened::Expected(f) | Opened::Erro(f) => f,
    };
    let trans_status = f.code("transStatus", TransStatus::parse)?;
    if !matches!(
        trans_status,
        TransStatus::Authenticated
            | TransStatus::NotAuthenticated
            | TransStatus::Attempted
            | TransStatus::Unavailable
            | TransStatus::Rejected
    ) {
        return Err(f.error(
            ErrorCode::InvalidFormat,
            "transStatus",
            "an RReq carries a final result, never C",
        ));
    }
    let (eci, authentication_value) = read_cavv(&f, trans_status)?;
    Ok(RReq {
        message_type: MessageType::RReq,
        message_version: MESSAGE_VERSION.to_owned(),
        three_ds_server_trans_id: f.uuid("threeDSServerTransID")?,
        ds_trans_id: f.uuid("dsTransID")?,
        acs_trans_id: f.uuid("acsTransID")?,
        message_category: f.code("messageCategory", MessageCategory::parse)?,
        trans_status,
        trans_status_reason: f.checked_optional(
            "transStatusReason",
            two_digits,
            "must be 2 digits",
        )?,
        eci,
        authentication_value,
        authentication_type: f.code_optional("authenticationType", AuthenticationType::parse)?,
        interaction_counter: f.checked("interactionCounter", two_digits, "must be 2 digits")?,
        challenge_cancel: f.code_optional("challengeCancel", ChallengeCancel::parse)?,
    })
}

/// Reads a CRes JSON (already decoded from base64url), or the Erro an ACS put in its place.
pub fn read_cres_json(json: &[u8]) -> Result<Answer<CRes>, ValidationError> {
    let f = match Fields::open(json, MessageType::CRes, true)? {
        Opened::Erro(f) => return read_erro(&f).map(Answer::Erro),
        Opened::Expected(f) => f,
    };
    let trans_status = f.code("transStatus", TransStatus::parse)?;
    if trans_status == TransStatus::ChallengeRequired {
        return Err(f.error(
            ErrorCode::InvalidFormat,
            "transStatus",
            "a final CRes carries a final result, never C",
        ));
    }
    Ok(Answer::Response(CRes {
        three_ds_server_trans_id: f.uuid("threeDSServerTransID")?,
        acs_trans_id: f.uuid("acsTransID")?,
        message_type: MessageType::CRes,
        message_version: MESSAGE_VERSION.to_owned(),
        trans_status,
        challenge_completion_ind: f.checked(
            "challengeCompletionInd",
            |v| v == "Y",
            "must be Y in the final CRes",
        )?,
    }))
}

/// Reads the DS's answer to a PReq.
pub fn read_pres(body: &[u8]) -> Result<Answer<PRes>, ValidationError> {
    let f = match Fields::open(body, MessageType::PRes, true)? {
        Opened::Erro(f) => return read_erro(&f).map(Answer::Erro),
        Opened::Expected(f) => f,
    };
    let mut ranges = Vec::new();
    for (i, v) in f.array("cardRangeData")?.iter().enumerate() {
        ranges.push(read_range(&f, i, v)?);
    }
    Ok(Answer::Response(PRes {
        message_type: MessageType::PRes,
        message_version: MESSAGE_VERSION.to_owned(),
        three_ds_server_trans_id: f.uuid("threeDSServerTransID")?,
        ds_trans_id: f.uuid("dsTransID")?,
        serial_num: f.checked("serialNum", reference, "must be 1..=64 characters")?,
        card_range_data: ranges,
    }))
}

/// One `cardRangeData[i]` entry; errors name the field as `cardRangeData[i].startRange`.
fn read_range(
    f: &Fields,
    i: usize,
    v: &serde_json::Value,
) -> Result<CardRangeData, ValidationError> {
    let name = |field: &str| format!("cardRangeData[{i}].{field}");
    let text = |field: &str, ok: fn(&str) -> bool| -> Result<String, ValidationError> {
        match v.get(field) {
            None | Some(serde_json::Value::Null) => {
                Err(f.error(ErrorCode::RequiredMissing, &name(field), "is required"))
            }
            Some(serde_json::Value::String(s)) if ok(s) => Ok(s.clone()),
            Some(_) => Err(f.error(
                ErrorCode::InvalidFormat,
                &name(field),
                "has an invalid format",
            )),
        }
    };
    let pan_bound = |s: &str| (13..=19).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_digit());
    let version = |s: &str| {
        s.len() <= 8
            && s.split('.')
                .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()))
    };
    let start_range = text("startRange", pan_bound)?;
    let end_range = text("endRange", pan_bound)?;
    if start_range.len() != end_range.len() || start_range > end_range {
        return Err(f.error(
            ErrorCode::InvalidFormat,
            &name("endRange"),
            "must have the length of startRange and not be below it",
        ));
    }
    let info = match v.get("acsInfoInd") {
        None | Some(serde_json::Value::Null) => Vec::new(),
        Some(serde_json::Value::Array(a)) => a
            .iter()
            .map(|x| x.as_str().filter(|s| two_digits(s)).map(str::to_owned))
            .collect::<Option<Vec<_>>>()
            .ok_or_else(|| {
                f.error(
                    ErrorCode::InvalidFormat,
                    &name("acsInfoInd"),
                    "must be 2-digit strings",
                )
            })?,
        Some(_) => {
            return Err(f.error(
                ErrorCode::InvalidFormat,
                &name("acsInfoInd"),
                "must be an array",
            ));
        }
    };
    Ok(CardRangeData {
        start_range,
        end_range,
        action_ind: text("actionInd", |s| matches!(s, "A" | "M" | "D"))?,
        acs_start_protocol_version: text("acsStartProtocolVersion", version)?,
        acs_end_protocol_version: text("acsEndProtocolVersion", version)?,
        acs_info_ind: info,
    })
}
