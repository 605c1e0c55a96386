//! The journal as the crash tests and operators read it
//! (`paygate sim network journal --data-dir DIR --json`): one entry per request, in arrival
//! order. Authorization entries show the authorization's *current* state (reversed, captured,
//! refunded), so one read answers "what does the network believe about this payment".

use std::path::Path;

use paygate_sim_kit::{SimError, data_dir};
use rusqlite::Row;
use serde::{Deserialize, Serialize};

use crate::authentication::Program;
use crate::{Authentication, CryptogramCheck, JOURNAL_FILE};

/// One journal entry; serialized with its kind in a `"type"` field.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum JournalEntry {
    /// A 0100 authorization or 0200 purchase.
    Authorization(AuthorizationEntry),
    /// A 0100 account verification (DE 25 = 51, DE 4 = 0): the card checked, nothing held.
    AccountVerification(AuthorizationEntry),
    /// A 0220 capture.
    Capture(FollowUpEntry),
    /// A 0200 refund (processing code 20).
    Refund(FollowUpEntry),
    /// A 0400 reversal.
    Reversal(FollowUpEntry),
    /// An 0800 network management request.
    Echo(MessageEntry),
    /// A request answered 30 (undecodable, or a field broke its format).
    FormatError(MessageEntry),
    /// A request MTI or processing code the simulator does not support, answered 12.
    Unsupported(MessageEntry),
}

/// An authorization or purchase and what happened to it since.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuthorizationEntry {
    /// "0100" or "0200".
    pub mti: String,
    /// DE 11.
    pub stan: String,
    /// DE 7, MMDDhhmmss.
    pub transmitted_at: String,
    /// DE 41.
    pub terminal_id: String,
    /// RRN the simulator assigned (also on declines).
    pub rrn: String,
    /// DE 4, minor units.
    pub amount: i64,
    /// DE 49, 3 digits.
    pub currency: String,
    /// DE 39 decided (also recorded for the no-answer card, whose answer is never sent).
    pub response_code: String,
    /// Whether a reversal voided it.
    pub reversed: bool,
    /// Amount captured, minor units (a purchase is captured at once; 0 after a reversal).
    pub captured_amount: i64,
    /// Amount refunded, minor units.
    pub refunded_amount: i64,
    /// DE 48.42, when the request carried one.
    #[serde(default)]
    pub eci: Option<String>,
    /// The 3-D Secure check: "verified", "failed" (missing, forged or replayed CAVV) or
    /// "none" (no authentication claimed).
    #[serde(default)]
    pub authentication: Authentication,
    /// Who authenticated the cardholder when an ECI was sent: "three_d_secure", or "isp"
    /// (DE 48.45); absent without an ECI.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub authentication_program: Option<Program>,
    /// DE 48.46 as a word: "initial" (customer-initiated, the card being stored), "recurring"
    /// or "unscheduled" (merchant-initiated); absent when the request carried none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stored_credential: Option<String>,
    /// DE 48.47: the RRN of the stored credential's initial use (merchant-initiated uses).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub original_rrn: Option<String>,
    /// When DE 2 was a wallet's device token: what the token service made of it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub wallet: Option<WalletEntry>,
    /// When the card was read at a store terminal (DE 22 071 / 901): how, and its counter.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub card_present: Option<CardPresentEntry>,
    /// DE 48.50: 할부, the monthly instalments; absent when paid at once.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub installments: Option<u8>,
}

/// A card read at a terminal as the issuer checked it. No full number is kept.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CardPresentEntry {
    /// The number read (the DPAN of a wallet token, else the card), masked.
    pub pan: String,
    /// "contactless_emv" (DE 55, ARQC) or "magnetic_stripe_track2" (DE 35, CVC3).
    pub read_method: String,
    /// "apple_pay" / "samsung_pay" (9F19 or the token range), when a wallet presented it.
    pub wallet: Option<String>,
    /// The application transaction counter the read carried.
    pub atc: u16,
    /// "approved", "cryptogram_failed" (82: the ARQC or CVC3 did not verify) or "declined"
    /// (any other code, among them 05 for a counter not above the last one seen; the
    /// entry's `response_code` tells which).
    pub result: String,
}

/// A device-token authorization as the token service saw it. No full number is kept.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct WalletEntry {
    /// The DPAN, masked (first 6 and last 4 digits).
    pub dpan: String,
    /// The funding card the token stands for, masked; the issuer decided on it.
    pub funding_card: String,
    /// The cryptogram's check: "fresh", "missing" or "replayed" (both declined 05).
    pub cryptogram: CryptogramCheck,
}

/// A capture, refund or reversal.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FollowUpEntry {
    /// "0220", "0200" or "0400" (the base MTI also when the request arrived as a repeat:
    /// 0221, 0201, 0401).
    pub mti: String,
    /// DE 11 of this message.
    pub stan: String,
    /// DE 7 of this message.
    pub transmitted_at: String,
    /// DE 41 (the original's terminal).
    pub terminal_id: String,
    /// RRN assigned to an approved follow-up.
    pub rrn: Option<String>,
    /// DE 4, minor units (optional on reversals).
    pub amount: Option<i64>,
    /// DE 49 (optional on reversals).
    pub currency: Option<String>,
    /// DE 39 answered.
    pub response_code: String,
    /// STAN of the original (from DE 90).
    pub original_stan: String,
    /// DE 7 of the original (from DE 90).
    pub original_transmitted_at: String,
    /// Whether the original was known to the simulator.
    pub original_found: bool,
}

/// A message that changed nothing: echo, format error, unsupported request.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MessageEntry {
    /// MTI of the request.
    pub mti: String,
    /// DE 11, when readable.
    pub stan: Option<String>,
    /// DE 39 answered.
    pub response_code: String,
}

const QUERY: &str = "
SELECT j.kind, j.mti, j.terminal_id, j.stan, j.transmitted_at, j.amount_minor, j.currency,
       j.response_code, j.rrn, j.original_stan, j.original_transmitted_at, j.original_found,
       a.reversed, a.captured_minor, a.refunded_minor, au.eci, au.outcome, ap.program,
       sc.usage, sc.original_rrn, w.dpan, w.funding_card, w.cryptogram,
       cp.read_method, cp.wallet, cp.atc, cp.pan, a.card, i.count
FROM journal j LEFT JOIN authorizations a ON a.id = j.auth_id
     LEFT JOIN authentications au ON au.auth_id = j.auth_id AND j.kind IN (AUTH_KINDS)
     LEFT JOIN authentication_programs ap ON ap.auth_id = j.auth_id AND j.kind IN (AUTH_KINDS)
     LEFT JOIN stored_credentials sc ON sc.auth_id = j.auth_id AND j.kind IN (AUTH_KINDS)
     LEFT JOIN wallet_tokens w ON w.auth_id = j.auth_id AND j.kind IN (AUTH_KINDS)
     LEFT JOIN card_present cp ON cp.auth_id = j.auth_id AND j.kind IN (AUTH_KINDS)
     LEFT JOIN installments i ON i.auth_id = j.auth_id AND j.kind IN (AUTH_KINDS)
ORDER BY j.seq";

/// Reads every entry of the journal in `data_dir`.
pub fn read(data_dir: &Path) -> Result<Vec<JournalEntry>, SimError> {
    let conn = data_dir::open_reader(data_dir, JOURNAL_FILE)?;
    let query = QUERY.replace("AUTH_KINDS", "'authorization', 'account_verification'");
    let mut stmt = conn.prepare(&query)?;
    let rows = stmt.query_map([], entry)?;
    Ok(rows.collect::<Result<Vec<_>, _>>()?)
}

fn entry(r: &Row<'_>) -> rusqlite::Result<JournalEntry> {
    let kind: String = r.get(0)?;
    let text = |i: usize| -> rusqlite::Result<String> {
        Ok(r.get::<_, Option<String>>(i)?.unwrap_or_default())
    };
    let currency = r.get::<_, Option<u16>>(6)?.map(|c| format!("{c:03}"));
    let entry = match kind.as_str() {
        "authorization" | "account_verification" => {
            let a = authorization(r)?;
            if kind == "authorization" {
                JournalEntry::Authorization(a)
            } else {
                JournalEntry::AccountVerification(a)
            }
        }
        "capture" | "refund" | "reversal" => {
            let f = FollowUpEntry {
                mti: text(1)?,
                terminal_id: text(2)?,
                stan: text(3)?,
                transmitted_at: text(4)?,
                amount: r.get(5)?,
                currency,
                response_code: text(7)?,
                rrn: r.get(8)?,
                original_stan: text(9)?,
                original_transmitted_at: text(10)?,
                original_found: r.get::<_, Option<bool>>(11)?.unwrap_or(false),
            };
            match kind.as_str() {
                "capture" => JournalEntry::Capture(f),
                "refund" => JournalEntry::Refund(f),
                _ => JournalEntry::Reversal(f),
            }
        }
        other => {
            let m = MessageEntry {
                mti: text(1)?,
                stan: r.get(3)?,
                response_code: text(7)?,
            };
            match other {
                "echo" => JournalEntry::Echo(m),
                "format_error" => JournalEntry::FormatError(m),
                _ => JournalEntry::Unsupported(m),
            }
        }
    };
    Ok(entry)
}

/// The program of an authorization that carried `eci`: the recorded DE 48.45, else 3-D Secure.
fn program(eci: Option<String>, recorded: Option<String>) -> Option<Program> {
    eci?;
    match recorded {
        Some(p) => Program::parse(&p),
        None => Some(Program::ThreeDSecure),
    }
}

/// An authorization or account verification row of the journal query.
fn authorization(r: &Row<'_>) -> rusqlite::Result<AuthorizationEntry> {
    let text = |i: usize| -> rusqlite::Result<String> {
        Ok(r.get::<_, Option<String>>(i)?.unwrap_or_default())
    };
    Ok(AuthorizationEntry {
        mti: text(1)?,
        terminal_id: text(2)?,
        stan: text(3)?,
        transmitted_at: text(4)?,
        amount: r.get::<_, Option<i64>>(5)?.unwrap_or(0),
        currency: r
            .get::<_, Option<u16>>(6)?
            .map(|c| format!("{c:03}"))
            .unwrap_or_default(),
        response_code: text(7)?,
        rrn: text(8)?,
        reversed: r.get::<_, Option<bool>>(12)?.unwrap_or(false),
        captured_amount: r.get::<_, Option<i64>>(13)?.unwrap_or(0),
        refunded_amount: r.get::<_, Option<i64>>(14)?.unwrap_or(0),
        eci: r.get(15)?,
        authentication: r
            .get::<_, Option<String>>(16)?
            .map_or(Authentication::None, |o| Authentication::parse(&o)),
        authentication_program: program(r.get(15)?, r.get(17)?),
        stored_credential: r.get(18)?,
        original_rrn: r.get(19)?,
        wallet: wallet(r)?,
        card_present: card_present(r)?,
        installments: r.get(28)?,
    })
}

/// The issuer's card-present columns of an authorization row, when it was read at a terminal.
fn card_present(r: &Row<'_>) -> rusqlite::Result<Option<CardPresentEntry>> {
    let Some(read_method) = r.get::<_, Option<String>>(23)? else {
        return Ok(None);
    };
    let code: String = r.get::<_, Option<String>>(7)?.unwrap_or_default();
    let result = match code.as_str() {
        "00" => "approved",
        crate::card_present::CRYPTOGRAM_FAILED => "cryptogram_failed",
        _ => "declined",
    };
    Ok(Some(CardPresentEntry {
        // The number read, masked (older journals: the card decided on).
        pan: match r.get::<_, Option<String>>(26)? {
            Some(read) => read,
            None => r.get::<_, Option<String>>(27)?.unwrap_or_default(),
        },
        read_method,
        wallet: r.get(24)?,
        atc: r.get::<_, Option<u16>>(25)?.unwrap_or(0),
        result: result.to_owned(),
    }))
}

/// The token service's columns of an authorization row, when it was a device token.
fn wallet(r: &Row<'_>) -> rusqlite::Result<Option<WalletEntry>> {
    let (Some(dpan), Some(funding_card), Some(check)) = (
        r.get::<_, Option<String>>(20)?,
        r.get::<_, Option<String>>(21)?,
        r.get::<_, Option<String>>(22)?,
    ) else {
        return Ok(None);
    };
    Ok(
        CryptogramCheck::parse(&check).map(|cryptogram| WalletEntry {
            dpan,
            funding_card,
            cryptogram,
        }),
    )
}
