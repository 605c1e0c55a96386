//! The link's side of 계좌이체: the answers to the gateway's order (1600), inquiry (1700),
//! confirm (1800), cancel (1900) and payer refund (2000) telegrams, on [`crate::orders`].

use paygate_telegram::{Values, fit};

use crate::link::Shared;
use crate::orders::Order;
use crate::resp::Resp;
use crate::wire::{Telegram, kind};

/// Whether `k` is one of the transfer telegrams answered here.
pub fn handles(k: u16) -> bool {
    matches!(
        k,
        kind::ORDER | kind::INQUIRY | kind::CONFIRM | kind::CANCEL | kind::PAYER_REFUND
    )
}

fn v(pairs: &[(&'static str, String)]) -> Values {
    pairs.iter().cloned().collect()
}

fn last4(account_no: &str) -> String {
    account_no
        .get(account_no.len().saturating_sub(4)..)
        .unwrap_or_default()
        .to_string()
}

/// The answer code and body of one transfer telegram.
pub fn decide(shared: &Shared, req: &Telegram, now: i64) -> rusqlite::Result<(Resp, Values)> {
    let s = &shared.store;
    let order_id = req.get("order_id").to_string();
    Ok(match req.kind {
        kind::ORDER => {
            let r = match &shared.pages_url {
                None => Err(Resp::FormatError),
                Some(_) => s.order(
                    &req.bank,
                    req.get("order_ref"),
                    req.amount("amount"),
                    req.get("merchant"),
                    req.get("return_url"),
                    now,
                )?,
            };
            match r {
                Ok(o) => {
                    let base = shared.pages_url.clone().unwrap_or_default();
                    let url = format!("{base}/transfer/{}", o.order_id);
                    (Resp::Ok, v(&[("order_id", o.order_id), ("auth_url", url)]))
                }
                Err(r) => (
                    r,
                    v(&[("order_id", String::new()), ("auth_url", String::new())]),
                ),
            }
        }
        kind::INQUIRY => match s.inquire(&order_id)? {
            Some(o) => (Resp::Ok, inquiry_body(&o)),
            None => (
                Resp::UnknownAccount,
                inquiry_body(&Order::unknown(&order_id)),
            ),
        },
        kind::CONFIRM => {
            let (resp, o) = s.confirm(&order_id, req.amount("amount"), now)?;
            let o = o.unwrap_or_else(|| Order::unknown(&order_id));
            let body = v(&[
                ("order_id", order_id),
                ("debit_id", o.debit_id.clone()),
                ("account_last4", last4(&o.account_no)),
            ]);
            (resp, body)
        }
        kind::CANCEL => {
            let (resp, returned) = match s.cancel(&order_id, now)? {
                Ok(r) => (Resp::Ok, r),
                Err(r) => (r, 0),
            };
            (
                resp,
                v(&[("order_id", order_id), ("returned", returned.to_string())]),
            )
        }
        _ => {
            let rref = req.get("refund_ref").to_string();
            let (id, resp) = s.refund_payer(&order_id, &rref, req.amount("amount"), now)?;
            (resp, v(&[("refund_ref", rref), ("refund_id", id)]))
        }
    })
}

fn inquiry_body(o: &Order) -> Values {
    v(&[
        ("order_id", o.order_id.clone()),
        ("order_ref", fit(&o.order_ref, 30)),
        ("status", o.status.as_str().to_string()),
        ("reason", o.reason.clone()),
        ("amount", o.amount.to_string()),
        ("account_last4", last4(&o.account_no)),
    ])
}

impl Order {
    fn unknown(order_id: &str) -> Order {
        Order {
            order_id: order_id.to_string(),
            bank: String::new(),
            order_ref: String::new(),
            amount: 0,
            merchant: String::new(),
            return_url: String::new(),
            status: crate::orders::OrderStatus::Canceled,
            reason: String::new(),
            account_no: String::new(),
            session: String::new(),
            debit_id: String::new(),
            refunded: 0,
        }
    }
}
