//! The simulator's own reading and writing of the link's telegrams (docs/BANK_TELEGRAMS.md):
//! a 37-byte common header, then the body of the telegram's kind. Written apart from the
//! gateway's connector (they share only the `paygate-telegram` codec), so a layout mistake on
//! one side fails against the other.

use paygate_telegram::{Layout, Values, an, decode, encode, layout_len, n};

/// The common header.
pub const HEADER: &Layout = &[
    n("kind", 4),
    n("trace", 12),
    n("bank", 3),
    n("sent_at", 14),
    an("resp", 4),
];

const ISSUE: &Layout = &[
    an("order_ref", 30),
    n("amount", 13),
    n("expires_at", 14),
    an("holder", 40),
];
const ISSUE_ANSWER: &Layout = &[an("account_no", 16), an("order_ref", 30)];
const NOTICE: &Layout = &[
    an("account_no", 16),
    an("deposit_id", 20),
    an("order_ref", 30),
    n("amount", 13),
    n("remaining", 13),
    an("depositor", 30),
    n("deposited_at", 14),
];
const NOTICE_ACK: &Layout = &[an("deposit_id", 20)];
const TRANSFER: &Layout = &[
    an("transfer_ref", 30),
    n("to_bank", 3),
    an("to_account", 16),
    an("holder", 30),
    n("amount", 13),
];
const TRANSFER_ANSWER: &Layout = &[an("transfer_ref", 30), an("transfer_id", 20)];
const DEPOSIT: &Layout = &[an("account_no", 16), n("amount", 13), an("depositor", 30)];
const DEPOSIT_ANSWER: &Layout = &[an("deposit_id", 20), n("remaining", 13)];
const CLOSE: &Layout = &[an("account_no", 16)];
const CLOSE_ANSWER: &Layout = &[an("account_no", 16), n("returned", 13)];
const ECHO: &Layout = &[];
const ORDER: &Layout = &[
    an("order_ref", 30),
    n("amount", 13),
    an("merchant", 40),
    an("return_url", 300),
];
const ORDER_ANSWER: &Layout = &[an("order_id", 20), an("auth_url", 200)];
const INQUIRY: &Layout = &[an("order_id", 20)];
const INQUIRY_ANSWER: &Layout = &[
    an("order_id", 20),
    an("order_ref", 30),
    an("status", 13),
    an("reason", 4),
    n("amount", 13),
    an("account_last4", 4),
];
const CONFIRM: &Layout = &[an("order_id", 20), n("amount", 13)];
const CONFIRM_ANSWER: &Layout = &[
    an("order_id", 20),
    an("debit_id", 20),
    an("account_last4", 4),
];
const CANCEL: &Layout = &[an("order_id", 20)];
const CANCEL_ANSWER: &Layout = &[an("order_id", 20), n("returned", 13)];
const PAYER_REFUND: &Layout = &[an("order_id", 20), an("refund_ref", 30), n("amount", 13)];
const PAYER_REFUND_ANSWER: &Layout = &[an("refund_ref", 30), an("refund_id", 20)];

/// Telegram kinds (the header's `kind`): requests and their answers (request + 10).
pub mod kind {
    pub const ECHO: u16 = 800;
    pub const ISSUE: u16 = 1100;
    pub const NOTICE: u16 = 1200;
    pub const TRANSFER: u16 = 1300;
    pub const DEPOSIT: u16 = 1400;
    pub const CLOSE: u16 = 1500;
    /// 계좌이체: register a transfer order; the answer names the bank's login page.
    pub const ORDER: u16 = 1600;
    /// 계좌이체: where an order stands.
    pub const INQUIRY: u16 = 1700;
    /// 계좌이체: confirm the payer's debit (the shop's payment).
    pub const CONFIRM: u16 = 1800;
    /// 계좌이체: cancel an order; a debit goes back to the payer.
    pub const CANCEL: u16 = 1900;
    /// 계좌이체: refund part or all of a confirmed debit to the payer's account.
    pub const PAYER_REFUND: u16 = 2000;
    /// The answer kind of a request kind.
    pub const fn answer(k: u16) -> u16 {
        k + 10
    }
}

/// The body layout of a telegram kind.
pub fn body_layout(k: u16) -> Option<&'static Layout> {
    Some(match k {
        kind::ECHO | 810 => ECHO,
        kind::ISSUE => ISSUE,
        1110 => ISSUE_ANSWER,
        kind::NOTICE => NOTICE,
        1210 => NOTICE_ACK,
        kind::TRANSFER => TRANSFER,
        1310 => TRANSFER_ANSWER,
        kind::DEPOSIT => DEPOSIT,
        1410 => DEPOSIT_ANSWER,
        kind::CLOSE => CLOSE,
        1510 => CLOSE_ANSWER,
        kind::ORDER => ORDER,
        1610 => ORDER_ANSWER,
        kind::INQUIRY => INQUIRY,
        1710 => INQUIRY_ANSWER,
        kind::CONFIRM => CONFIRM,
        1810 => CONFIRM_ANSWER,
        kind::CANCEL => CANCEL,
        1910 => CANCEL_ANSWER,
        kind::PAYER_REFUND => PAYER_REFUND,
        2010 => PAYER_REFUND_ANSWER,
        _ => return None,
    })
}

/// One telegram: its header and body values.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Telegram {
    pub kind: u16,
    pub trace: u64,
    pub bank: String,
    pub sent_at: String,
    pub resp: String,
    pub body: Values,
}

impl Telegram {
    /// A body value ("" when absent).
    pub fn get(&self, name: &str) -> &str {
        self.body.get(name).map(String::as_str).unwrap_or("")
    }

    /// A numeric body value.
    pub fn amount(&self, name: &str) -> i64 {
        self.get(name).parse().unwrap_or(0)
    }
}

/// Reads a telegram body (after the length header).
pub fn read(bytes: &[u8]) -> Result<Telegram, String> {
    let hl = layout_len(HEADER);
    if bytes.len() < hl {
        return Err(format!(
            "telegram of {} bytes is shorter than its header",
            bytes.len()
        ));
    }
    let h = decode(HEADER, &bytes[..hl]).map_err(|e| e.to_string())?;
    let k: u16 = h["kind"].parse().map_err(|_| "bad kind".to_string())?;
    let layout = body_layout(k).ok_or_else(|| format!("unknown telegram kind {k:04}"))?;
    let body = decode(layout, &bytes[hl..]).map_err(|e| e.to_string())?;
    Ok(Telegram {
        kind: k,
        trace: h["trace"].parse().unwrap_or(0),
        bank: format!("{:0>3}", h["bank"]),
        sent_at: h["sent_at"].clone(),
        resp: h["resp"].clone(),
        body,
    })
}

/// Writes a telegram body (the caller adds the length header).
pub fn write(t: &Telegram) -> Result<Vec<u8>, String> {
    let layout = body_layout(t.kind).ok_or_else(|| format!("unknown kind {}", t.kind))?;
    let header = Values::from([
        ("kind", t.kind.to_string()),
        ("trace", t.trace.to_string()),
        ("bank", t.bank.clone()),
        ("sent_at", t.sent_at.clone()),
        ("resp", t.resp.clone()),
    ]);
    let mut out = encode(HEADER, &header).map_err(|e| e.to_string())?;
    out.extend(encode(layout, &t.body).map_err(|e| e.to_string())?);
    Ok(out)
}

/// `YYYYMMDDHHMMSS` in Korea Standard Time (UTC+09:00) of Unix second `t`.
pub fn kst_stamp(t: i64) -> String {
    let kst = t + 9 * 3600;
    let Ok(dt) = time::OffsetDateTime::from_unix_timestamp(kst) else {
        return "0".into();
    };
    format!(
        "{:04}{:02}{:02}{:02}{:02}{:02}",
        dt.year(),
        u8::from(dt.month()),
        dt.day(),
        dt.hour(),
        dt.minute(),
        dt.second()
    )
}

/// Inverse of [`kst_stamp`].
pub fn parse_kst_stamp(s: &str) -> Option<i64> {
    if s.len() != 14 || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let num = |r: std::ops::Range<usize>| s[r].parse::<i64>().ok();
    let month = time::Month::try_from(u8::try_from(num(4..6)?).ok()?).ok()?;
    let date = time::Date::from_calendar_date(
        i32::try_from(num(0..4)?).ok()?,
        month,
        u8::try_from(num(6..8)?).ok()?,
    )
    .ok()?;
    let t = time::Time::from_hms(
        u8::try_from(num(8..10)?).ok()?,
        u8::try_from(num(10..12)?).ok()?,
        u8::try_from(num(12..14)?).ok()?,
    )
    .ok()?;
    Some(
        time::PrimitiveDateTime::new(date, t)
            .assume_utc()
            .unix_timestamp()
            - 9 * 3600,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kst_stamps_round_trip() {
        // 2026-01-01T00:00:00Z is 09:00 in Seoul.
        assert_eq!(kst_stamp(1_767_225_600), "20260101090000");
        assert_eq!(parse_kst_stamp("20260101090000"), Some(1_767_225_600));
        assert_eq!(parse_kst_stamp("20261301090000"), None);
    }

    #[test]
    fn a_telegram_reads_back_as_written() {
        let t = Telegram {
            kind: kind::DEPOSIT,
            trace: 42,
            bank: "088".into(),
            sent_at: "20260101090000".into(),
            resp: "".into(),
            body: Values::from([
                ("account_no", "08891234567890".to_string()),
                ("amount", "10000".to_string()),
                ("depositor", "홍길동".to_string()),
            ]),
        };
        let bytes = write(&t).unwrap();
        assert_eq!(bytes.len(), 37 + 59);
        assert_eq!(read(&bytes).unwrap(), t);
        assert!(read(&bytes[..40]).is_err());
    }
}
