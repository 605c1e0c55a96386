//! 계좌이체 (real-time account transfer) at the bank: the gateway registers an order (1600),
//! the payer logs in on the bank's own page ([`crate::pages`]) and approves the debit, the
//! gateway asks what happened (1700) and confirms the debit (1800) — or cancels it (1900),
//! which returns a debit to the payer — and refunds the payer (2000). Every decision and its
//! journal line are one transaction; the state of an order is an [`OrderStatus`]. The
//! payer's login and approval are in [`crate::login`].

use rusqlite::{OptionalExtension, Transaction, params};
use sha2::{Digest, Sha256};

use crate::banks::bank;
use crate::resp::Resp;
use crate::store::{Store, journal};

/// Where an order stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OrderStatus {
    /// Registered; the payer has not logged in.
    Pending,
    /// The payer logged in; the debit awaits their approval.
    Authenticated,
    /// Debited from the payer's account, not confirmed by the gateway yet.
    Debited,
    /// Debited and confirmed by the gateway: the shop's payment.
    Confirmed,
    /// Refused at approval (the reason says why: insufficient funds); nothing debited.
    Declined,
    /// The payer's account is locked (wrong passwords); nothing debited.
    Locked,
    /// Canceled before any debit.
    Canceled,
    /// The debit was returned to the payer (canceled by the gateway after the debit).
    Reversed,
}

const STATUSES: [(OrderStatus, &str); 8] = [
    (OrderStatus::Pending, "pending"),
    (OrderStatus::Authenticated, "authenticated"),
    (OrderStatus::Debited, "debited"),
    (OrderStatus::Confirmed, "confirmed"),
    (OrderStatus::Declined, "declined"),
    (OrderStatus::Locked, "locked"),
    (OrderStatus::Canceled, "canceled"),
    (OrderStatus::Reversed, "reversed"),
];

impl OrderStatus {
    pub fn as_str(self) -> &'static str {
        STATUSES
            .iter()
            .find(|(s, _)| *s == self)
            .map_or("pending", |(_, n)| *n)
    }

    pub fn parse(s: &str) -> OrderStatus {
        STATUSES
            .iter()
            .find(|(_, n)| *n == s)
            .map_or(OrderStatus::Pending, |(st, _)| *st)
    }

    /// Still waiting for the payer (a new order for the same reference replaces it).
    pub(crate) fn open(self) -> bool {
        matches!(self, OrderStatus::Pending | OrderStatus::Authenticated)
    }

    /// Money left the payer's account for this order.
    pub(crate) fn debited(self) -> bool {
        matches!(self, OrderStatus::Debited | OrderStatus::Confirmed)
    }
}

/// An order as the bank keeps it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Order {
    pub order_id: String,
    pub bank: String,
    /// The gateway's reference (the PaymentIntent id).
    pub order_ref: String,
    pub amount: i64,
    /// The shop's name shown to the payer.
    pub merchant: String,
    pub return_url: String,
    pub status: OrderStatus,
    /// The refusal code of a declined or locked order.
    pub reason: String,
    /// The payer's account once logged in.
    pub account_no: String,
    pub session: String,
    pub debit_id: String,
    pub refunded: i64,
}

/// The hash the bank keeps of an internet-banking password (never the password).
pub fn password_hash(bank_code: &str, account_no: &str, password: &str) -> String {
    let mut h = Sha256::new();
    h.update(format!("paygate-sim-bank:{bank_code}:{account_no}:{password}").as_bytes());
    hex::encode(h.finalize())
}

pub(crate) fn random_id(prefix: &str, len: usize) -> String {
    let mut s = format!("{prefix}{}", uuid::Uuid::new_v4().simple());
    s.truncate(len);
    s
}

const ORDER_COLUMNS: &str = "order_id, bank, order_ref, amount, merchant, return_url, status, \
    reason, account_no, session, debit_id, refunded";

fn read_order(r: &rusqlite::Row<'_>) -> rusqlite::Result<Order> {
    Ok(Order {
        order_id: r.get(0)?,
        bank: r.get(1)?,
        order_ref: r.get(2)?,
        amount: r.get(3)?,
        merchant: r.get(4)?,
        return_url: r.get(5)?,
        status: OrderStatus::parse(&r.get::<_, String>(6)?),
        reason: r.get(7)?,
        account_no: r.get(8)?,
        session: r.get(9)?,
        debit_id: r.get(10)?,
        refunded: r.get(11)?,
    })
}

pub(crate) fn load(tx: &Transaction<'_>, order_id: &str) -> rusqlite::Result<Option<Order>> {
    tx.query_row(
        &format!("SELECT {ORDER_COLUMNS} FROM orders WHERE order_id = ?1"),
        [order_id],
        read_order,
    )
    .optional()
}

pub(crate) fn set_status(
    tx: &Transaction<'_>,
    order_id: &str,
    status: OrderStatus,
    reason: &str,
) -> rusqlite::Result<()> {
    tx.execute(
        "UPDATE orders SET status = ?2, reason = ?3 WHERE order_id = ?1",
        params![order_id, status.as_str(), reason],
    )?;
    Ok(())
}

fn credit(tx: &Transaction<'_>, o: &Order, amount: i64) -> rusqlite::Result<()> {
    tx.execute(
        "UPDATE test_accounts SET balance = balance + ?3 WHERE bank = ?1 AND account_no = ?2",
        params![o.bank, o.account_no, amount],
    )?;
    Ok(())
}

impl Store {
    /// Registers a transfer order of `amount` KRW for `order_ref` at `bank_code`. An open
    /// order for the same reference at the same bank is answered again; one at another bank
    /// is canceled; a debited one is answered (the gateway then confirms it).
    pub fn order(
        &self,
        bank_code: &str,
        order_ref: &str,
        amount: i64,
        merchant: &str,
        return_url: &str,
        now: i64,
    ) -> rusqlite::Result<Result<Order, Resp>> {
        let mut conn = self.lock();
        let tx = conn.transaction()?;
        if bank(bank_code).is_none() {
            return Ok(Err(Resp::UnknownBank));
        }
        if amount <= 0 || order_ref.is_empty() || return_url.is_empty() {
            return Ok(Err(Resp::FormatError));
        }
        let existing = {
            let mut stmt = tx.prepare(&format!(
                "SELECT {ORDER_COLUMNS} FROM orders WHERE order_ref = ?1 ORDER BY created"
            ))?;
            let rows = stmt.query_map([order_ref], read_order)?;
            rows.collect::<rusqlite::Result<Vec<_>>>()?
        };
        for o in existing {
            let same = o.bank == bank_code && o.amount == amount;
            if o.status.debited() || (o.status.open() && same) {
                return Ok(Ok(o));
            }
            if o.status.open() {
                set_status(&tx, &o.order_id, OrderStatus::Canceled, "")?;
                journal(
                    &tx,
                    now,
                    "order_canceled",
                    &o.bank,
                    "",
                    o.amount,
                    order_ref,
                    Resp::Ok,
                )?;
            }
        }
        let order_id = random_id("O", 20);
        tx.execute(
            "INSERT INTO orders (order_id, bank, order_ref, amount, merchant, return_url, status, created) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, 'pending', ?7)",
            params![order_id, bank_code, order_ref, amount, merchant, return_url, now],
        )?;
        journal(
            &tx,
            now,
            "order",
            bank_code,
            "",
            amount,
            order_ref,
            Resp::Ok,
        )?;
        let o = load(&tx, &order_id)?;
        tx.commit()?;
        Ok(o.ok_or(Resp::FormatError))
    }

    /// The order `order_id`, as it stands.
    pub fn inquire(&self, order_id: &str) -> rusqlite::Result<Option<Order>> {
        let mut conn = self.lock();
        let tx = conn.transaction()?;
        load(&tx, order_id)
    }

    /// The gateway confirms the debit of `order_id` for `amount` (again: the same answer).
    pub fn confirm(
        &self,
        order_id: &str,
        amount: i64,
        now: i64,
    ) -> rusqlite::Result<(Resp, Option<Order>)> {
        let mut conn = self.lock();
        let tx = conn.transaction()?;
        let Some(o) = load(&tx, order_id)? else {
            return Ok((Resp::UnknownAccount, None));
        };
        let resp = match o.status {
            _ if o.amount != amount => Resp::FormatError,
            OrderStatus::Confirmed => Resp::Ok,
            OrderStatus::Debited => {
                set_status(&tx, order_id, OrderStatus::Confirmed, "")?;
                journal(
                    &tx,
                    now,
                    "debit_confirmed",
                    &o.bank,
                    &o.account_no,
                    o.amount,
                    &o.order_ref,
                    Resp::Ok,
                )?;
                Resp::Ok
            }
            OrderStatus::Declined | OrderStatus::Locked => {
                Resp::parse(&o.reason).unwrap_or(Resp::InsufficientFunds)
            }
            OrderStatus::Pending | OrderStatus::Authenticated => Resp::NotApproved,
            OrderStatus::Canceled | OrderStatus::Reversed => Resp::OrderClosed,
        };
        tx.commit()?;
        Ok((resp, Some(o)))
    }

    /// The gateway cancels `order_id`: a debit (confirmed or not) goes back to the payer's
    /// account, an order not debited can no longer be approved. Answers the amount returned;
    /// again the same.
    pub fn cancel(&self, order_id: &str, now: i64) -> rusqlite::Result<Result<i64, Resp>> {
        let mut conn = self.lock();
        let tx = conn.transaction()?;
        let Some(o) = load(&tx, order_id)? else {
            return Ok(Err(Resp::UnknownAccount));
        };
        let returned = match o.status {
            s if s.debited() => {
                let back = o.amount - o.refunded;
                credit(&tx, &o, back)?;
                set_status(&tx, order_id, OrderStatus::Reversed, "")?;
                journal(
                    &tx,
                    now,
                    "debit_reversed",
                    &o.bank,
                    &o.account_no,
                    back,
                    &o.order_ref,
                    Resp::Ok,
                )?;
                back
            }
            s if s.open() => {
                set_status(&tx, order_id, OrderStatus::Canceled, "")?;
                journal(
                    &tx,
                    now,
                    "order_canceled",
                    &o.bank,
                    "",
                    o.amount,
                    &o.order_ref,
                    Resp::Ok,
                )?;
                0
            }
            OrderStatus::Reversed => o.amount - o.refunded,
            _ => 0,
        };
        tx.commit()?;
        Ok(Ok(returned))
    }

    /// Refunds `amount` of the confirmed debit of `order_id` to the payer's account; a
    /// repeated `refund_ref` answers what the first one did.
    pub fn refund_payer(
        &self,
        order_id: &str,
        refund_ref: &str,
        amount: i64,
        now: i64,
    ) -> rusqlite::Result<(String, Resp)> {
        let mut conn = self.lock();
        let tx = conn.transaction()?;
        if let Some((id, resp)) = tx
            .query_row(
                "SELECT refund_id, resp FROM payer_refunds WHERE refund_ref = ?1",
                [refund_ref],
                |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)),
            )
            .optional()?
        {
            return Ok((id, Resp::parse(&resp).unwrap_or(Resp::FormatError)));
        }
        let Some(o) = load(&tx, order_id)? else {
            return Ok((String::new(), Resp::UnknownAccount));
        };
        let resp = match o.status {
            _ if amount <= 0 || refund_ref.is_empty() => Resp::FormatError,
            OrderStatus::Confirmed if o.refunded + amount <= o.amount => Resp::Ok,
            OrderStatus::Confirmed => Resp::RefundExceedsDebit,
            _ => Resp::OrderClosed,
        };
        let refund_id = random_id("R", 20);
        if resp == Resp::Ok {
            credit(&tx, &o, amount)?;
            tx.execute(
                "UPDATE orders SET refunded = refunded + ?2 WHERE order_id = ?1",
                params![order_id, amount],
            )?;
        }
        tx.execute(
            "INSERT INTO payer_refunds (refund_ref, refund_id, order_id, amount, resp, created) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            params![refund_ref, refund_id, order_id, amount, resp.code(), now],
        )?;
        let event = if resp == Resp::Ok {
            "payer_refund"
        } else {
            "payer_refund_refused"
        };
        journal(
            &tx,
            now,
            event,
            &o.bank,
            &o.account_no,
            amount,
            refund_ref,
            resp,
        )?;
        tx.commit()?;
        Ok((refund_id, resp))
    }
}
