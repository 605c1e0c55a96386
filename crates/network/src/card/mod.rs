//! Pure mapping between paygate's card-network requests and ISO 8583 messages, with no sockets:
//! requests become [`Message`]s, responses become outcomes. Like hyperswitch's `transformers.rs`,
//! everything here is unit-testable without a network; [`crate::link`] does the transport.
//!
//! Which data elements are sent, and why, is documented in `docs/iso8583.md`.

mod authentication;
pub mod clock;
mod codes;
pub mod de48;
pub mod de90;
mod fields;
pub mod pan;
mod stored_credential;

use std::fmt;

use paygate_iso8583::{Message, Spec};
use serde::{Deserialize, Serialize};

pub use authentication::{AuthenticationProgram, CardAuthentication};
use clock::Stamp;
pub use codes::{
    NETWORK_CODE_ECHO, POS_CONDITION_ACCOUNT_VERIFICATION, de, mti, processing_code, rc,
};
use de90::OriginalData;
pub use fields::{MAX_AMOUNT_MINOR, format_amount, format_currency, parse_amount, parse_currency};
pub use stored_credential::{StoredCredential, StoredCredentialUsage};

/// Which request an authorization is sent as.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum AuthKind {
    /// 0100: reserve the amount; captured later with a 0220 or voided with a 0400.
    Authorization,
    /// 0200 with processing code 00: authorize and capture in one message.
    Purchase,
    /// 0100 with DE 4 = 0 and DE 25 = 51: ask the issuer whether the card is good (number,
    /// expiry, CVC, status) without reserving or moving money. Nothing to capture or reverse.
    AccountVerification,
}

impl AuthKind {
    /// The request MTI.
    pub fn mti(self) -> &'static str {
        match self {
            AuthKind::Authorization | AuthKind::AccountVerification => mti::AUTHORIZATION,
            AuthKind::Purchase => mti::FINANCIAL,
        }
    }

    /// Whether this kind moves no money (its DE 4 is 0 and a lost answer needs no reversal).
    pub fn is_verification(self) -> bool {
        self == AuthKind::AccountVerification
    }
}

/// Which follow-up of an authorization or purchase the gateway can prepare, record and repeat.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum FollowUpKind {
    /// 0220 completion advice, processing code 000000.
    Capture,
    /// 0200 financial request, processing code 200000.
    Refund,
}

impl FollowUpKind {
    /// The request MTI.
    pub fn mti(self) -> &'static str {
        match self {
            FollowUpKind::Capture => mti::COMPLETION_ADVICE,
            FollowUpKind::Refund => mti::FINANCIAL,
        }
    }

    /// The MTI its repeat is sent with.
    pub fn repeat_mti(self) -> &'static str {
        match self {
            FollowUpKind::Capture => mti::COMPLETION_ADVICE_REPEAT,
            FollowUpKind::Refund => mti::FINANCIAL_REPEAT,
        }
    }

    /// DE 3.
    pub fn processing_code(self) -> &'static str {
        match self {
            FollowUpKind::Capture => processing_code::PURCHASE,
            FollowUpKind::Refund => processing_code::REFUND,
        }
    }
}

/// A card-not-present (or wallet) authorization as the gateway hands it to the link. The card
/// data is borrowed: the caller exposes it deliberately and nothing here stores it.
#[derive(Clone)]
pub struct AuthRequest<'a> {
    /// 0100 or 0200.
    pub kind: AuthKind,
    /// PAN (or wallet DPAN), 12..=19 digits.
    pub pan: &'a str,
    /// Card expiry, YYMM.
    pub expiry_yymm: &'a str,
    /// CVC2, 3 or 4 digits, sent in DE 48 subelement 92; never stored.
    pub cvc: Option<&'a str>,
    /// Amount in minor units of the currency, 1..=[`MAX_AMOUNT_MINOR`].
    pub amount_minor: i64,
    /// ISO 4217 numeric currency, e.g. 410 for KRW.
    pub currency_numeric: u16,
    /// Card acceptor id (DE 42), up to 15 characters; padded with spaces.
    pub merchant_id: &'a str,
    /// POS entry mode (DE 22), 3 digits; "812" = e-commerce, PIN entry not possible.
    pub pos_entry_mode: &'a str,
    /// The payer authentication (3-D Secure, or a wallet's cryptogram): DE 48.42/43/44.
    pub authentication: Option<CardAuthentication<'a>>,
    /// Track 2 equivalent data (DE 35) for card-present wallets.
    pub track2: Option<&'a str>,
    /// EMV data (DE 55), BER-TLV bytes.
    pub icc: Option<&'a [u8]>,
    /// Credential-on-file data (DE 48.46/47), when the card is stored or a stored card is used.
    pub stored_credential: Option<StoredCredential<'a>>,
    /// 할부: monthly instalments, 2..=12 (DE 48.50); `None` = paid at once.
    pub installments: Option<u8>,
}

impl fmt::Debug for AuthRequest<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let present = |o: bool| if o { "<redacted>" } else { "none" };
        f.debug_struct("AuthRequest")
            .field("kind", &self.kind)
            .field("pan", &pan::masked(self.pan))
            .field("expiry_yymm", &"<redacted>")
            .field("cvc", &present(self.cvc.is_some()))
            .field("amount_minor", &self.amount_minor)
            .field("currency_numeric", &self.currency_numeric)
            .field("merchant_id", &self.merchant_id)
            .field("pos_entry_mode", &self.pos_entry_mode)
            .field("authentication", &self.authentication)
            .field("track2", &present(self.track2.is_some()))
            .field("icc_bytes", &self.icc.map(<[u8]>::len))
            .field("stored_credential", &self.stored_credential)
            .finish()
    }
}

/// Everything needed to name a message later (in DE 90 of a reversal, capture or refund), and
/// what the gateway records durably before sending so that crash recovery can reverse it.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq, Hash)]
pub struct NetRef {
    /// MTI of the message, e.g. "0100".
    pub mti: String,
    /// DE 11, 6 digits.
    pub stan: String,
    /// DE 7, MMDDhhmmss (UTC).
    pub transmitted_at: String,
    /// DE 41, 8 characters, unique per gateway process.
    pub terminal_id: String,
    /// DE 32, 1..=11 digits.
    pub acquirer_id: String,
}

/// The answer to an authorization.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AuthOutcome {
    /// The request this answers.
    pub net_ref: NetRef,
    /// DE 39.
    pub response_code: String,
    /// DE 38, present on approvals.
    pub approval_code: Option<String>,
    /// DE 37, the network's retrieval reference number.
    pub rrn: Option<String>,
    /// DE 4 as echoed by the network; always equal to the requested amount (a response with
    /// another amount is refused as a protocol error).
    pub amount_minor: i64,
    /// DE 55 of the answer (the issuer's EMV data: ARPC in tag 91), as BER-TLV bytes.
    pub icc: Option<Vec<u8>>,
    /// DE 48.33 of the answer to a device-token authorization: the funding card's last 4
    /// digits (absent for a card number, or when not 4 digits).
    pub funding_last4: Option<String>,
}

impl AuthOutcome {
    /// Whether the network approved (DE 39 = 00).
    pub fn approved(&self) -> bool {
        self.response_code == rc::APPROVED
    }
}

/// The answer to a capture, refund or reversal.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Outcome {
    /// DE 39.
    pub response_code: String,
    /// DE 37 of the answer, when present.
    pub rrn: Option<String>,
}

impl Outcome {
    /// Whether the network accepted (DE 39 = 00).
    pub fn approved(&self) -> bool {
        self.response_code == rc::APPROVED
    }
}

/// A request that cannot be built, or a response that cannot be trusted. Names the field and
/// the rule, never the value.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum CardError {
    /// A request value breaks a rule.
    #[error("invalid request: {field}: {rule}")]
    Invalid {
        /// The field, e.g. "amount_minor" or "DE 42".
        field: &'static str,
        /// The rule it broke.
        rule: String,
    },
    /// A response breaks a rule.
    #[error("invalid response: {field}: {rule}")]
    Response {
        /// The field, e.g. "DE 39".
        field: &'static str,
        /// The rule it broke.
        rule: String,
    },
}

fn invalid(field: &'static str, rule: impl Into<String>) -> CardError {
    CardError::Invalid {
        field,
        rule: rule.into(),
    }
}

fn bad_response(field: &'static str, rule: impl Into<String>) -> CardError {
    CardError::Response {
        field,
        rule: rule.into(),
    }
}

/// Builds the 0100/0200 for `req`, named by `net` (whose MTI must be `req.kind`'s).
pub fn build_auth(
    req: &AuthRequest<'_>,
    net: &NetRef,
    stamp: &Stamp,
    spec: &Spec,
) -> Result<Message, CardError> {
    if net.mti != req.kind.mti() {
        return Err(invalid("mti", "must match the authorization kind"));
    }
    let mut msg = header(net, stamp)?;
    fields::put_card(&mut msg, req, spec)?;
    let amount = if req.kind.is_verification() {
        if req.amount_minor != 0 {
            return Err(invalid(
                "amount_minor",
                "must be 0 for an account verification",
            ));
        }
        msg.set_str(de::POS_CONDITION, POS_CONDITION_ACCOUNT_VERIFICATION);
        fields::ZERO_AMOUNT.to_owned()
    } else {
        format_amount(req.amount_minor)?
    };
    msg.set_str(de::PROCESSING_CODE, processing_code::PURCHASE)
        .set_str(de::AMOUNT, &amount)
        .set_str(de::CURRENCY, &format_currency(req.currency_numeric)?)
        .set_str(de::MERCHANT_ID, &fields::merchant_id(req.merchant_id)?);
    Ok(msg)
}

/// Reads the 0110/0210 answering the request named `net` for `amount_minor`.
pub fn parse_auth_response(
    net: &NetRef,
    amount_minor: i64,
    resp: &Message,
    spec: &Spec,
) -> Result<AuthOutcome, CardError> {
    let response_code = check_response(&net.mti, &net.stan, resp)?;
    if let Some(echoed) = resp.get(de::AMOUNT)
        && parse_amount(echoed) != Some(amount_minor)
    {
        return Err(bad_response("DE 4", "does not echo the requested amount"));
    }
    let approval_code = resp.get_str(de::APPROVAL_CODE).map(str::to_owned);
    if response_code == rc::APPROVED && approval_code.is_none() {
        return Err(bad_response(
            "DE 38",
            "an approval must carry an approval code",
        ));
    }
    Ok(AuthOutcome {
        net_ref: net.clone(),
        response_code,
        approval_code,
        rrn: resp.get_str(de::RRN).map(str::to_owned),
        amount_minor,
        icc: match resp.get(de::ICC) {
            Some(field) => Some(fields::parse_icc(field, spec)?),
            None => None,
        },
        funding_last4: funding_last4(resp),
    })
}

/// DE 48.33 of an answer, when it is 4 digits.
fn funding_last4(resp: &Message) -> Option<String> {
    let subs = de48::decode(resp.get(de::ADDITIONAL_DATA)?).ok()?;
    let last4 = de48::find(&subs, de48::TAG_FUNDING_LAST4)?;
    (last4.len() == 4 && last4.bytes().all(|b| b.is_ascii_digit())).then(|| last4.to_owned())
}

/// What a capture, refund or reversal refers to and moves.
#[derive(Clone, Copy, Debug)]
pub struct FollowUp<'a> {
    /// The original authorization or purchase.
    pub orig: &'a NetRef,
    /// Its RRN (DE 37 of its answer); reversals do not send it.
    pub rrn: Option<&'a str>,
    /// Amount in minor units.
    pub amount_minor: i64,
    /// ISO 4217 numeric currency.
    pub currency_numeric: u16,
}

/// Builds a 0220 capture, 0200 refund (processing code 20) or 0400 reversal named `own`; which
/// one follows from `own.mti` and `processing`.
///
/// The simulator (like an issuer host) finds the original by DE 41 + DE 90, so a follow-up
/// travels under the original's terminal id even when another process (after a crash) sends it:
/// `own.terminal_id` must be `f.orig.terminal_id`, so that `own` names the message exactly as it
/// goes on the wire.
pub fn build_follow_up(
    own: &NetRef,
    stamp: &Stamp,
    processing: &str,
    f: &FollowUp<'_>,
) -> Result<Message, CardError> {
    let original = OriginalData::new(
        &f.orig.mti,
        &f.orig.stan,
        &f.orig.transmitted_at,
        &f.orig.acquirer_id,
    )
    .map_err(|e| invalid("orig", e.to_string()))?;
    if own.terminal_id != f.orig.terminal_id {
        return Err(invalid(
            "terminal_id",
            "a follow-up must carry the original's terminal id (DE 41)",
        ));
    }
    let mut msg = header(own, stamp)?;
    msg.set_str(de::PROCESSING_CODE, processing)
        .set_str(de::AMOUNT, &format_amount(f.amount_minor)?)
        .set_str(de::CURRENCY, &format_currency(f.currency_numeric)?)
        .set_str(de::ORIGINAL_DATA, &original.encode());
    if let Some(rrn) = f.rrn {
        if rrn.len() != 12 || !rrn.bytes().all(|b| b.is_ascii_alphanumeric()) {
            return Err(invalid("rrn", "must be 12 alphanumeric characters"));
        }
        msg.set_str(de::RRN, rrn);
    }
    Ok(msg)
}

/// Builds the ISO repeat (0221 / 0201) of the capture or refund named `own`: the same DE 7,
/// 11, 12, 13, 32, 41 and content as the message `own` was prepared as, with the repeat MTI.
/// `own.mti` must be `kind`'s request MTI; DE 12/13 are rebuilt from `own.transmitted_at`.
pub fn build_follow_up_repeat(
    own: &NetRef,
    kind: FollowUpKind,
    f: &FollowUp<'_>,
) -> Result<Message, CardError> {
    if own.mti != kind.mti() {
        return Err(invalid(
            "own.mti",
            format!("must be {} for a {kind:?}", kind.mti()),
        ));
    }
    if f.rrn.is_none() {
        return Err(invalid(
            "rrn",
            "captures and refunds carry the original's RRN",
        ));
    }
    let stamp = Stamp::of_transmitted_at(&own.transmitted_at)
        .ok_or_else(|| invalid("transmitted_at", "must be 10 digits MMDDhhmmss"))?;
    let repeat = NetRef {
        mti: kind.repeat_mti().to_owned(),
        ..own.clone()
    };
    build_follow_up(&repeat, &stamp, kind.processing_code(), f)
}

/// Builds an 0800 echo test (DE 70 = 301).
pub fn build_echo(stan: &str, stamp: &Stamp) -> Result<Message, CardError> {
    let mut msg =
        Message::new(mti::NETWORK_MANAGEMENT).map_err(|e| invalid("mti", e.to_string()))?;
    msg.set_str(de::TRANSMITTED_AT, &stamp.transmitted_at)
        .set_str(de::STAN, stan)
        .set_str(de::NETWORK_MGMT_CODE, NETWORK_CODE_ECHO);
    Ok(msg)
}

/// Reads the answer to a capture, refund, reversal or echo whose request was `request_mti` with
/// STAN `stan`.
pub fn parse_outcome(request_mti: &str, stan: &str, resp: &Message) -> Result<Outcome, CardError> {
    let response_code = check_response(request_mti, stan, resp)?;
    Ok(Outcome {
        response_code,
        rrn: resp.get_str(de::RRN).map(str::to_owned),
    })
}

/// Checks MTI and STAN of a response and returns its DE 39.
fn check_response(request_mti: &str, stan: &str, resp: &Message) -> Result<String, CardError> {
    if mti::response_to(request_mti).as_deref() != Some(resp.mti()) {
        return Err(bad_response(
            "MTI",
            "is not the response to the request's MTI",
        ));
    }
    if resp.get_str(de::STAN) != Some(stan) {
        return Err(bad_response("DE 11", "does not echo the request's STAN"));
    }
    match resp.get_str(de::RESPONSE_CODE) {
        Some(code) if code.len() == 2 && code.bytes().all(|b| b.is_ascii_alphanumeric()) => {
            Ok(code.to_owned())
        }
        _ => Err(bad_response("DE 39", "must be 2 alphanumeric characters")),
    }
}

/// A new message named `net` with DE 7, 11, 12, 13, 32 and 41 set.
fn header(net: &NetRef, stamp: &Stamp) -> Result<Message, CardError> {
    fields::check_net_ref(net)?;
    let mut msg = Message::new(&net.mti).map_err(|e| invalid("mti", e.to_string()))?;
    msg.set_str(de::TRANSMITTED_AT, &net.transmitted_at)
        .set_str(de::STAN, &net.stan)
        .set_str(de::LOCAL_TIME, &stamp.local_time)
        .set_str(de::LOCAL_DATE, &stamp.local_date)
        .set_str(de::ACQUIRER_ID, &net.acquirer_id)
        .set_str(de::TERMINAL_ID, &net.terminal_id);
    Ok(msg)
}

#[cfg(test)]
mod tests;
