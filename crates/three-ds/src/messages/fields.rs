//! Reading a received message field by field: the JSON object, its `messageType` and
//! `messageVersion`, then each field as a string with a format rule. Every refusal is a
//! [`ValidationError`] naming the field and the EMV error code it maps to.

use serde_json::{Map, Value};
use uuid::Uuid;

use super::codes::{ErrorCode, ErrorComponent, MessageType};
use super::wire::{Erro, MESSAGE_VERSION};

/// Largest message body paygate reads, in bytes.
pub const MAX_MESSAGE_BYTES: usize = 64 * 1024;

/// Why a received message was refused: the EMV error code, the offending field (its JSON name)
/// and the rule it broke. Never carries the value.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{} ({code}): {field}: {rule}", code.description())]
pub struct ValidationError {
    /// The Erro `errorCode` this maps to.
    pub code: ErrorCode,
    /// The JSON name of the field (`errorDetail`), e.g. `authenticationValue`.
    pub field: String,
    /// The rule, in words.
    pub rule: &'static str,
    /// The `messageType` as received, when there was one.
    pub message_type: Option<String>,
    /// The ids of the message as received (text), to echo in the Erro (boxed: errors stay
    /// small on the happy path).
    pub ids: Box<ReceivedIds>,
}

/// The transaction ids of a received message, as text, for an Erro that answers it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ReceivedIds {
    pub three_ds_server_trans_id: Option<String>,
    pub ds_trans_id: Option<String>,
    pub acs_trans_id: Option<String>,
}

impl ValidationError {
    /// The Erro paygate's 3DS Server answers (or reports) this refusal with.
    pub fn to_erro(&self) -> Erro {
        Erro {
            message_type: MessageType::Erro,
            message_version: MESSAGE_VERSION.to_owned(),
            three_ds_server_trans_id: self.ids.three_ds_server_trans_id.clone(),
            ds_trans_id: self.ids.ds_trans_id.clone(),
            acs_trans_id: self.ids.acs_trans_id.clone(),
            error_code: self.code,
            error_component: ErrorComponent::Server,
            error_description: self.code.description().to_owned(),
            error_detail: self.field.clone(),
            error_message_type: self.message_type.clone(),
        }
    }
}

/// A received JSON object whose messageType and messageVersion were checked.
pub(crate) struct Fields {
    obj: Map<String, Value>,
    message_type: String,
    ids: ReceivedIds,
}

/// What the first look at a body found.
pub(crate) enum Opened {
    /// The expected message type, version 2.2.0.
    Expected(Fields),
    /// An Erro (only when the caller accepts one in place of the expected message).
    Erro(Fields),
}

impl Fields {
    /// Parses `body` as a JSON object of `expected` type (or an Erro when `erro_allowed`).
    pub(crate) fn open(
        body: &[u8],
        expected: MessageType,
        erro_allowed: bool,
    ) -> Result<Opened, ValidationError> {
        let bare = |code, field: &str, rule| ValidationError {
            code,
            field: field.to_owned(),
            rule,
            message_type: None,
            ids: Box::default(),
        };
        if body.len() > MAX_MESSAGE_BYTES {
            return Err(bare(ErrorCode::MessageInvalid, "message", "is too large"));
        }
        let Ok(Value::Object(obj)) = serde_json::from_slice::<Value>(body) else {
            return Err(bare(
                ErrorCode::MessageInvalid,
                "message",
                "must be a JSON object",
            ));
        };
        let text = |name: &str| obj.get(name).and_then(Value::as_str).map(str::to_owned);
        let ids = ReceivedIds {
            three_ds_server_trans_id: text("threeDSServerTransID"),
            ds_trans_id: text("dsTransID"),
            acs_trans_id: text("acsTransID"),
        };
        let mut fields = Fields {
            message_type: text("messageType").unwrap_or_default(),
            obj,
            ids,
        };
        let received = fields.required("messageType")?.to_owned();
        let is_erro = received == MessageType::Erro.code();
        if received != expected.code() && !(is_erro && erro_allowed) {
            return Err(fields.error(
                ErrorCode::MessageInvalid,
                "messageType",
                "is not the message expected here",
            ));
        }
        if fields.required("messageVersion")? != MESSAGE_VERSION {
            return Err(fields.error(
                ErrorCode::VersionNotSupported,
                "messageVersion",
                "must be 2.2.0",
            ));
        }
        fields.message_type = received;
        Ok(if is_erro && expected != MessageType::Erro {
            Opened::Erro(fields)
        } else {
            Opened::Expected(fields)
        })
    }

    /// A refusal of `field` by `rule`, carrying this message's type and ids.
    pub(crate) fn error(
        &self,
        code: ErrorCode,
        field: &str,
        rule: &'static str,
    ) -> ValidationError {
        ValidationError {
            code,
            field: field.to_owned(),
            rule,
            message_type: (!self.message_type.is_empty()).then(|| self.message_type.clone()),
            ids: Box::new(self.ids.clone()),
        }
    }

    /// A field that must be present: a non-empty string (201 when absent, 203 otherwise).
    pub(crate) fn required(&self, name: &str) -> Result<&str, ValidationError> {
        self.optional(name)?
            .ok_or_else(|| self.error(ErrorCode::RequiredMissing, name, "is required"))
    }

    /// A field that may be absent; when present a non-empty string (else 203).
    pub(crate) fn optional(&self, name: &str) -> Result<Option<&str>, ValidationError> {
        match self.obj.get(name) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) if !s.is_empty() => Ok(Some(s)),
            Some(_) => {
                Err(self.error(ErrorCode::InvalidFormat, name, "must be a non-empty string"))
            }
        }
    }

    /// A required field checked by `ok`.
    pub(crate) fn checked(
        &self,
        name: &str,
        ok: fn(&str) -> bool,
        rule: &'static str,
    ) -> Result<String, ValidationError> {
        let v = self.required(name)?;
        if ok(v) {
            Ok(v.to_owned())
        } else {
            Err(self.error(ErrorCode::InvalidFormat, name, rule))
        }
    }

    /// An optional field checked by `ok` when present.
    pub(crate) fn checked_optional(
        &self,
        name: &str,
        ok: fn(&str) -> bool,
        rule: &'static str,
    ) -> Result<Option<String>, ValidationError> {
        match self.optional(name)? {
            Some(v) if ok(v) => Ok(Some(v.to_owned())),
            Some(_) => Err(self.error(ErrorCode::InvalidFormat, name, rule)),
            None => Ok(None),
        }
    }

    /// A required UUID in canonical hyphenated form (36 characters).
    pub(crate) fn uuid(&self, name: &str) -> Result<Uuid, ValidationError> {
        let v = self.required(name)?;
        parse_uuid(v)
            .ok_or_else(|| self.error(ErrorCode::InvalidFormat, name, "must be a UUID (36 chars)"))
    }

    /// A UUID that may be absent.
    pub(crate) fn uuid_optional(&self, name: &str) -> Result<Option<Uuid>, ValidationError> {
        match self.optional(name)? {
            Some(v) => parse_uuid(v).map(Some).ok_or_else(|| {
                self.error(ErrorCode::InvalidFormat, name, "must be a UUID (36 chars)")
            }),
            None => Ok(None),
        }
    }

    /// A required coded value.
    pub(crate) fn code<T>(
        &self,
        name: &str,
        parse: fn(&str) -> Option<T>,
    ) -> Result<T, ValidationError> {
        let v = self.required(name)?;
        parse(v).ok_or_else(|| self.error(ErrorCode::InvalidFormat, name, "is not a defined value"))
    }

    /// An optional coded value.
    pub(crate) fn code_optional<T>(
        &self,
        name: &str,
        parse: fn(&str) -> Option<T>,
    ) -> Result<Option<T>, ValidationError> {
        match self.optional(name)? {
            Some(v) => parse(v).map(Some).ok_or_else(|| {
                self.error(ErrorCode::InvalidFormat, name, "is not a defined value")
            }),
            None => Ok(None),
        }
    }

    /// A required array.
    pub(crate) fn array(&self, name: &str) -> Result<&[Value], ValidationError> {
        match self.obj.get(name) {
            None | Some(Value::Null) => {
                Err(self.error(ErrorCode::RequiredMissing, name, "is required"))
            }
            Some(Value::Array(a)) => Ok(a),
            Some(_) => Err(self.error(ErrorCode::InvalidFormat, name, "must be an array")),
        }
    }

    /// The ids as received, as text.
    pub(crate) fn ids(&self) -> &ReceivedIds {
        &self.ids
    }
}

/// A UUID in canonical hyphenated form.
pub(crate) fn parse_uuid(v: &str) -> Option<Uuid> {
    (v.len() == 36).then(|| Uuid::try_parse(v).ok()).flatten()
}

/// Exactly `n` ASCII digits.
pub(crate) fn digits(v: &str, n: usize) -> bool {
    v.len() == n && v.bytes().all(|b| b.is_ascii_digit())
}

/// Two ASCII digits (eci, transStatusReason, interactionCounter).
pub(crate) fn two_digits(v: &str) -> bool {
    digits(v, 2)
}

/// An http(s) URL without spaces or control characters.
pub(crate) fn http_url(v: &str) -> bool {
    (v.starts_with("http://") || v.starts_with("https://"))
        && v.len() <= 2048
        && v.bytes().all(|b| b.is_ascii_graphic())
}

/// 1..=64 printable ASCII characters (reference numbers, operator ids, serial numbers).
pub(crate) fn reference(v: &str) -> bool {
    (1..=64).contains(&v.len()) && v.bytes().all(|b| b.is_ascii_graphic() || b == b' ')
}
