//! One module per message the simulator understands, like mini-redis' `cmd/`: each parses its
//! request (a bad field is a format error, DE 39 = 30), applies it to the store inside the
//! writer's transaction, and returns the [`Answer`]; [`respond`] turns that into the response.
//!
//! Every request is journaled. Requests named by DE 41 + DE 11 + DE 7 + MTI are idempotent: a
//! retransmission gets the recorded answer and changes nothing. An ISO repeat (origin digit 1,
//! e.g. 0221 or 0201) names the same request as the message it repeats ([`mti::base`]): it gets
//! that message's recorded answer, or, if that message never arrived, is processed now and
//! recorded under the base MTI — so the late original, or a further repeat, is then the
//! retransmission.

mod auth;
mod follow_up;

use paygate_iso8583::Message;
use rusqlite::Connection;

use crate::store::{self, JournalRow, Key, Recorded};
use crate::wire::{de, de48, mti, rc};
pub(crate) use auth::Auth;
pub(crate) use follow_up::{FollowUp, FollowUpKind};

/// What the connection task hands to the writer thread.
#[derive(Debug)]
pub(crate) enum Work {
    /// A request that decoded.
    Message(Message),
    /// A frame that did not decode but whose MTI and STAN could be read: answered with 30.
    Malformed {
        /// MTI of the request.
        mti: String,
        /// DE 11 of the request.
        stan: String,
    },
}

/// The writer's decision for one request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Answer {
    pub code: String,
    pub rrn: Option<String>,
    pub approval_code: Option<String>,
    /// False for the no-answer test card: nothing is sent back.
    pub answered: bool,
    /// DE 55 of the answer (tag 91, ARPC || CSU) for a contactless chip read.
    pub icc_data: Option<String>,
    /// Last 4 digits of the funding card when DE 2 was a device token: DE 48.33 of the answer.
    pub funding_last4: Option<String>,
}

impl Answer {
    pub(crate) fn code(code: &str) -> Self {
        Answer {
            code: code.to_owned(),
            rrn: None,
            approval_code: None,
            answered: true,
            icc_data: None,
            funding_last4: None,
        }
    }
}

impl From<Recorded> for Answer {
    fn from(r: Recorded) -> Self {
        Answer {
            code: r.response_code,
            rrn: r.rrn,
            approval_code: r.approval_code,
            answered: r.answered,
            icc_data: None,
            funding_last4: r.funding_last4,
        }
    }
}

/// Everything a command needs while the writer's transaction is open.
pub(crate) struct Ctx<'a> {
    pub db: &'a Connection,
    /// The CAVV key; without one every 3-D Secure authorization fails.
    pub cavv_key: Option<&'a crate::CavvKey>,
    /// The simulator's injected faults (declines).
    pub faults: &'a paygate_sim_kit::faults::Faults,
    pub next_rrn: &'a mut u64,
    pub open_to_buy_minor: i64,
    pub now_yymm: u16,
    pub now_ms: i64,
}

impl Ctx<'_> {
    /// A new RRN (12 digits from a persistent counter) and its approval code (6 digits).
    pub(crate) fn allocate_rrn(&mut self) -> (String, String) {
        let n = *self.next_rrn;
        *self.next_rrn += 1;
        (format!("{n:012}"), format!("{:06}", n % 1_000_000))
    }

    pub(crate) fn journal(&self, row: &JournalRow) -> rusqlite::Result<()> {
        store::append(self.db, row, self.now_ms)
    }
}

/// Why a message is not processed as a request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Reject {
    /// A required field is missing or breaks its format: answer 30.
    Format { field: &'static str },
    /// A request MTI or processing code the simulator does not support: answer 12.
    Unsupported,
    /// Not a request at all (e.g. a response MTI): no answer.
    NotARequest,
}

/// The parsed request.
enum Request {
    Auth(Auth),
    FollowUp(FollowUp),
    Echo,
}

/// Parses a request; a repeat MTI is parsed as the request it repeats.
fn parse(msg: &Message) -> Result<Request, Reject> {
    match mti::base(msg.mti()).as_str() {
        mti::AUTHORIZATION => Auth::parse(msg, false).map(Request::Auth),
        mti::FINANCIAL => match processing_type(msg)? {
            "00" => Auth::parse(msg, true).map(Request::Auth),
            "20" => FollowUp::parse(msg, FollowUpKind::Refund).map(Request::FollowUp),
            _ => Err(Reject::Unsupported),
        },
        mti::COMPLETION_ADVICE => match processing_type(msg)? {
            "00" => FollowUp::parse(msg, FollowUpKind::Capture).map(Request::FollowUp),
            _ => Err(Reject::Unsupported),
        },
        mti::REVERSAL => FollowUp::parse(msg, FollowUpKind::Reversal).map(Request::FollowUp),
        mti::NETWORK_MANAGEMENT => parse_echo(msg).map(|()| Request::Echo),
        other if mti::response_to(other).is_some() => Err(Reject::Unsupported),
        _ => Err(Reject::NotARequest),
    }
}

/// Decides and records one request; the response to send, if any.
pub(crate) fn handle(ctx: &mut Ctx<'_>, work: &Work) -> rusqlite::Result<Option<Message>> {
    let msg = match work {
        Work::Message(msg) => msg,
        Work::Malformed { mti, stan } => {
            journal_rejected(ctx, "format_error", mti, Some(stan), rc::FORMAT_ERROR)?;
            return Ok(bare_response(mti, stan, rc::FORMAT_ERROR));
        }
    };
    let answer = match parse(msg) {
        Ok(Request::Auth(a)) => a.apply(ctx)?,
        Ok(Request::FollowUp(f)) => f.apply(ctx)?,
        Ok(Request::Echo) => {
            journal_rejected(ctx, "echo", msg.mti(), msg.get_str(de::STAN), rc::APPROVED)?;
            Answer::code(rc::APPROVED)
        }
        Err(Reject::Format { field }) => {
            tracing::warn!(
                mti = msg.mti(),
                field,
                "request with a format error answered 30"
            );
            let stan = msg.get_str(de::STAN);
            journal_rejected(ctx, "format_error", msg.mti(), stan, rc::FORMAT_ERROR)?;
            Answer::code(rc::FORMAT_ERROR)
        }
        Err(Reject::Unsupported) => {
            let stan = msg.get_str(de::STAN);
            journal_rejected(ctx, "unsupported", msg.mti(), stan, rc::INVALID_TRANSACTION)?;
            Answer::code(rc::INVALID_TRANSACTION)
        }
        Err(Reject::NotARequest) => {
            tracing::debug!(mti = msg.mti(), "message that is not a request ignored");
            return Ok(None);
        }
    };
    Ok(respond(msg, &answer))
}

/// The 96 answer for a request whose processing failed (its effects were rolled back).
pub(crate) fn failure_response(work: &Work) -> Option<Message> {
    match work {
        Work::Message(msg) => respond(msg, &Answer::code(rc::SYSTEM_MALFUNCTION)),
        Work::Malformed { mti, stan } => bare_response(mti, stan, rc::SYSTEM_MALFUNCTION),
    }
}

/// Request fields echoed in every response (when present).
const ECHOED_FIELDS: [u8; 12] = [3, 4, 7, 11, 12, 13, 32, 41, 42, 49, 70, 90];

/// The response to `req`: echoed fields, DE 37/38 when the answer has them, DE 39.
pub(crate) fn respond(req: &Message, answer: &Answer) -> Option<Message> {
    if !answer.answered {
        return None;
    }
    let mut resp = Message::new(&mti::response_to(req.mti())?).ok()?;
    for de in ECHOED_FIELDS {
        if let Some(v) = req.get(de) {
            resp.set(de, v);
        }
    }
    match (&answer.rrn, req.get(de::RRN)) {
        (Some(rrn), _) => resp.set_str(de::RRN, rrn),
        (None, Some(orig)) => resp.set(de::RRN, orig),
        (None, None) => &mut resp,
    };
    if let Some(code) = &answer.approval_code {
        resp.set_str(de::APPROVAL_CODE, code);
    }
    if let Some(last4) = &answer.funding_last4 {
        resp.set_str(de::ADDITIONAL_DATA, &de48::funding_last4(last4));
    }
    resp.set_str(de::RESPONSE_CODE, &answer.code);
    if let Some(icc) = &answer.icc_data {
        resp.set_str(de::ICC_DATA, icc);
    }
    Some(resp)
}

fn bare_response(request_mti: &str, stan: &str, code: &str) -> Option<Message> {
    let mut resp = Message::new(&mti::response_to(request_mti)?).ok()?;
    resp.set_str(de::STAN, stan)
        .set_str(de::RESPONSE_CODE, code);
    Some(resp)
}

fn journal_rejected(
    ctx: &Ctx<'_>,
    kind: &'static str,
    mti: &str,
    stan: Option<&str>,
    code: &str,
) -> rusqlite::Result<()> {
    ctx.journal(&JournalRow {
        kind,
        mti: mti.to_owned(),
        stan: stan.map(str::to_owned),
        response_code: code.to_owned(),
        answered: mti::response_to(mti).is_some(),
        ..JournalRow::default()
    })
}

/// The first two digits of DE 3.
fn processing_type(msg: &Message) -> Result<&str, Reject> {
    let code = digits(msg, de::PROCESSING_CODE, "DE 3", 6)?;
    Ok(&code[..2])
}

fn parse_echo(msg: &Message) -> Result<(), Reject> {
    digits(msg, de::STAN, "DE 11", 6)?;
    match digits(msg, de::NETWORK_MGMT_CODE, "DE 70", 3)? {
        // sign-on, sign-off, echo test: all simply acknowledged.
        "001" | "002" | "301" => Ok(()),
        _ => Err(Reject::Format { field: "DE 70" }),
    }
}

/// A required field of exactly `len` decimal digits.
pub(crate) fn digits<'m>(
    msg: &'m Message,
    de: u8,
    field: &'static str,
    len: usize,
) -> Result<&'m str, Reject> {
    msg.get_str(de)
        .filter(|v| v.len() == len && v.bytes().all(|b| b.is_ascii_digit()))
        .ok_or(Reject::Format { field })
}

/// The request's own name: DE 41 (8 chars), DE 11, DE 7 and the MTI — the base MTI for a
/// repeat, so that a message and its repeats share one name (and one journal row).
pub(crate) fn key(msg: &Message) -> Result<Key, Reject> {
    let terminal_id = msg
        .get_str(de::TERMINAL_ID)
        .filter(|t| t.len() == 8)
        .ok_or(Reject::Format { field: "DE 41" })?;
    Ok(Key {
        terminal_id: terminal_id.to_owned(),
        stan: digits(msg, de::STAN, "DE 11", 6)?.to_owned(),
        transmitted_at: digits(msg, de::TRANSMITTED_AT, "DE 7", 10)?.to_owned(),
        mti: mti::base(msg.mti()),
    })
}

#[cfg(test)]
mod card_present_tests;
#[cfg(test)]
mod tests;
