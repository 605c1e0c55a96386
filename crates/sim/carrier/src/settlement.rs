//! The monthly settlement file of one merchant (`GET /v1/settlements?merchant=…&month=…`,
//! `paygate sim carrier settlement --merchant M --month YYYY-MM`): what the carrier collected
//! on its subscribers' bills of that KST month for the merchant. Pipe-separated records, one
//! per line (docs/MOBILE_CARRIER.md):
//!
//! ```text
//! H|carrier_settlement|1|<merchant>|<YYYY-MM>
//! D|<carrier payment id>|<reference>|<carrier>|<phone masked>|<amount>|<charged_at>|<status>|<canceled_at>
//! T|<records>|<charged count>|<charged amount>|<canceled count>|<canceled amount>|<net amount>
//! ```
//!
//! `status` is `charged` (on the bill) or `canceled` (taken off the bill in the same month);
//! `charged_at`/`canceled_at` are Unix seconds (empty when none). Net = charged − canceled.

use crate::store::{Payment, Status};

/// Whether `m` is `YYYY-MM`.
pub fn valid_month(m: &str) -> bool {
    let b = m.as_bytes();
    b.len() == 7
        && b[4] == b'-'
        && b[..4].iter().chain(&b[5..]).all(u8::is_ascii_digit)
        && matches!(m[5..].parse::<u8>(), Ok(1..=12))
}

/// The file for `merchant` and `month` from the payments billed in it.
pub fn file(merchant: &str, month: &str, payments: &[Payment]) -> String {
    let mut out = format!("H|carrier_settlement|1|{merchant}|{month}\n");
    let (mut charged, mut charged_amt, mut canceled, mut canceled_amt) = (0, 0i64, 0, 0i64);
    let billed = payments.iter().filter(|p| {
        matches!(p.status, Status::Charged | Status::Canceled) && p.charged_at.is_some()
    });
    let mut records = 0;
    for p in billed {
        records += 1;
        charged += 1;
        charged_amt += p.amount;
        if p.status == Status::Canceled {
            canceled += 1;
            canceled_amt += p.amount;
        }
        let opt = |v: Option<i64>| v.map(|x| x.to_string()).unwrap_or_default();
        out.push_str(&format!(
            "D|{}|{}|{}|{}|{}|{}|{}|{}\n",
            p.id,
            p.reference,
            p.carrier,
            p.phone_masked,
            p.amount,
            opt(p.charged_at),
            p.status.as_str(),
            opt(p.canceled_at)
        ));
    }
    let net = charged_amt - canceled_amt;
    out.push_str(&format!(
        "T|{records}|{charged}|{charged_amt}|{canceled}|{canceled_amt}|{net}\n"
    ));
    out
}
