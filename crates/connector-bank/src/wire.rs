//! The gateway's mapping of the bank link's telegrams (docs/BANK_TELEGRAMS.md), written apart
//! from the bank simulator's: they share only the `paygate-telegram` codec.

use paygate_telegram::{Layout, Values, an, decode, encode, layout_len, n};

const HEADER: &Layout = &[
    n("kind", 4),
    n("trace", 12),
    n("bank", 3),
    n("sent_at", 14),
    an("resp", 4),
];

/// A telegram kind with its request and answer body layouts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Echo,
    Issue,
    Notice,
    Transfer,
    Deposit,
    Close,
    /// 계좌이체: register a transfer order.
    Order,
    /// 계좌이체: where an order stands.
    Inquiry,
    /// 계좌이체: confirm the payer's debit.
    Confirm,
    /// 계좌이체: cancel an order (a debit goes back to the payer).
    Cancel,
    /// 계좌이체: refund to the payer's account.
    PayerRefund,
}

impl Kind {
    const ALL: [Kind; 11] = [
        Kind::Echo,
        Kind::Issue,
        Kind::Notice,
        Kind::Transfer,
        Kind::Deposit,
        Kind::Close,
        Kind::Order,
        Kind::Inquiry,
        Kind::Confirm,
        Kind::Cancel,
        Kind::PayerRefund,
    ];

    /// The request's code; its answer's is 10 more.
    pub fn code(self) -> u16 {
        match self {
            Kind::Echo => 800,
            Kind::Issue => 1100,
            Kind::Notice => 1200,
            Kind::Transfer => 1300,
            Kind::Deposit => 1400,
            Kind::Close => 1500,
            Kind::Order => 1600,
            Kind::Inquiry => 1700,
            Kind::Confirm => 1800,
            Kind::Cancel => 1900,
            Kind::PayerRefund => 2000,
        }
    }

    fn request(self) -> &'static Layout {
        match self {
            Kind::Echo => const { &[] },
            Kind::Issue => {
                const {
                    &[
                        an("order_ref", 30),
                        n("amount", 13),
                        n("expires_at", 14),
                        an("holder", 40),
                    ]
                }
            }
            Kind::Notice => {
                const {
                    &[
                        an("account_no", 16),
                        an("deposit_id", 20),
                        an("order_ref", 30),
                        n("amount", 13),
                        n("remaining", 13),
                        an("depositor", 30),
                        n("deposited_at", 14),
                    ]
                }
            }
            Kind::Transfer => {
                const {
                    &[
                        an("transfer_ref", 30),
                        n("to_bank", 3),
                        an("to_account", 16),
                        an("holder", 30),
                        n("amount", 13),
                    ]
                }
            }
            Kind::Deposit => {
                const { &[an("account_no", 16), n("amount", 13), an("depositor", 30)] }
            }
            Kind::Close => const { &[an("account_no", 16)] },
            Kind::Order => {
                const {
                    &[
                        an("order_ref", 30),
                        n("amount", 13),
                        an("merchant", 40),
                        an("return_url", 300),
                    ]
                }
            }
            Kind::Inquiry | Kind::Cancel => const { &[an("order_id", 20)] },
            Kind::Confirm => const { &[an("order_id", 20), n("amount", 13)] },
            Kind::PayerRefund => {
                const { &[an("order_id", 20), an("refund_ref", 30), n("amount", 13)] }
            }
        }
    }

    fn answer(self) -> &'static Layout {
        match self {
            Kind::Echo => const { &[] },
            Kind::Issue => const { &[an("account_no", 16), an("order_ref", 30)] },
            Kind::Notice => const { &[an("deposit_id", 20)] },
            Kind::Transfer => const { &[an("transfer_ref", 30), an("transfer_id", 20)] },
            Kind::Deposit => const { &[an("deposit_id", 20), n("remaining", 13)] },
            Kind::Close => const { &[an("account_no", 16), n("returned", 13)] },
            Kind::Order => const { &[an("order_id", 20), an("auth_url", 200)] },
            Kind::Inquiry => {
                const {
                    &[
                        an("order_id", 20),
                        an("order_ref", 30),
                        an("status", 13),
                        an("reason", 4),
                        n("amount", 13),
                        an("account_last4", 4),
                    ]
                }
            }
            Kind::Confirm => {
                const {
                    &[
                        an("order_id", 20),
                        an("debit_id", 20),
                        an("account_last4", 4),
                    ]
                }
            }
            Kind::Cancel => const { &[an("order_id", 20), n("returned", 13)] },
            Kind::PayerRefund => const { &[an("refund_ref", 30), an("refund_id", 20)] },
        }
    }
}

/// One telegram as the gateway reads or writes it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Telegram {
    pub kind: Kind,
    /// An answer (request code + 10) rather than a request.
    pub is_answer: bool,
    pub trace: u64,
    pub bank: String,
    pub sent_at: String,
    pub resp: String,
    pub body: Values,
}

impl Telegram {
    pub fn field(&self, name: &str) -> &str {
        self.body.get(name).map(String::as_str).unwrap_or("")
    }

    pub fn number(&self, name: &str) -> i64 {
        self.field(name).parse().unwrap_or(0)
    }
}

/// Writes a telegram (without its length header).
pub fn write(t: &Telegram) -> Result<Vec<u8>, String> {
    let code = t.kind.code() + if t.is_answer { 10 } else { 0 };
    let header = Values::from([
        ("kind", code.to_string()),
        ("trace", t.trace.to_string()),
        ("bank", t.bank.clone()),
        ("sent_at", t.sent_at.clone()),
        ("resp", t.resp.clone()),
    ]);
    let layout = if t.is_answer {
        t.kind.answer()
    } else {
        t.kind.request()
    };
    let mut out = encode(HEADER, &header).map_err(|e| e.to_string())?;
    out.extend(encode(layout, &t.body).map_err(|e| e.to_string())?);
    Ok(out)
}

/// Reads a telegram (without its length header).
pub fn read(bytes: &[u8]) -> Result<Telegram, String> {
    let hl = layout_len(HEADER);
    let head = bytes.get(..hl).ok_or("telegram shorter than its header")?;
    let h = decode(HEADER, head).map_err(|e| e.to_string())?;
    let code: u16 = h["kind"].parse().map_err(|_| "kind")?;
    let (kind, is_answer) = Kind::ALL
        .into_iter()
        .find_map(|k| {
            (k.code() == code)
                .then_some((k, false))
                .or((k.code() + 10 == code).then_some((k, true)))
        })
        .ok_or_else(|| format!("unknown telegram kind {code:04}"))?;
    let layout = if is_answer {
        kind.answer()
    } else {
        kind.request()
    };
    let body = decode(layout, &bytes[hl..]).map_err(|e| e.to_string())?;
    Ok(Telegram {
        kind,
        is_answer,
        trace: h["trace"].parse().unwrap_or(0),
        bank: format!("{:0>3}", h["bank"]),
        sent_at: h["sent_at"].clone(),
        resp: h["resp"].clone(),
        body,
    })
}

/// `YYYYMMDDHHMMSS` in Korea Standard Time (UTC+09:00, no daylight saving) of Unix second `t`.
pub fn kst(t: i64) -> String {
    let Ok(dt) = time::OffsetDateTime::from_unix_timestamp(t)
        .map(|d| d.to_offset(time::UtcOffset::from_hms(9, 0, 0).unwrap_or(time::UtcOffset::UTC)))
    else {
        return "0".into();
    };
    format!(
        "{:04}{:02}{:02}{:02}{:02}{:02}",
        dt.year(),
        dt.month() as u8,
        dt.day(),
        dt.hour(),
        dt.minute(),
        dt.second()
    )
}

/// Unix seconds of a KST stamp.
pub fn from_kst(s: &str) -> Option<i64> {
    let fmt = time::macros::format_description!("[year][month][day][hour][minute][second]");
    let dt = time::PrimitiveDateTime::parse(s, &fmt).ok()?;
    Some(
        dt.assume_offset(time::UtcOffset::from_hms(9, 0, 0).ok()?)
            .unix_timestamp(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kst_is_nine_hours_ahead_of_utc() {
        assert_eq!(kst(1_767_225_600), "20260101090000");
        assert_eq!(from_kst("20260101090000"), Some(1_767_225_600));
    }

    #[test]
    fn an_answer_code_is_the_request_code_plus_ten() {
        let t = Telegram {
            kind: Kind::Close,
            is_answer: true,
            trace: 7,
            bank: "004".into(),
            sent_at: kst(0),
            resp: "0000".into(),
            body: Values::from([
                ("account_no", "00490000000001".to_string()),
                ("returned", "0".to_string()),
            ]),
        };
        let b = write(&t).unwrap();
        assert_eq!(&b[..4], b"1510");
        assert_eq!(read(&b).unwrap(), t);
    }
}
