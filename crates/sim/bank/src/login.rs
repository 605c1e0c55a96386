//! The payer on the bank's pages (계좌이체): the login with the account's internet-banking
//! password (three wrong in a row lock the account and refuse the order) and the approval
//! that debits the account — or declines for insufficient funds. Each decision and its
//! journal line are one transaction.

use rusqlite::{OptionalExtension, params};

use crate::banks::PASSWORD_FAILURES_MAX;
use crate::orders::{Order, OrderStatus, load, password_hash, random_id, set_status};
use crate::resp::Resp;
use crate::store::{Store, journal};

/// What a login attempt did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Login {
    /// Right password: the session the approval form carries.
    Ok { session: String },
    /// Wrong password (or no such account at this bank); `left` tries before the lock.
    Wrong { left: i64 },
    /// The account is (now) locked: the order is refused.
    Locked,
    /// The order is not waiting for a login.
    Closed,
}

impl Store {
    /// The payer logs in for `order_id` with an account of the order's bank: three wrong
    /// passwords in a row lock the account (and refuse the order).
    pub fn login(
        &self,
        order_id: &str,
        account_no: &str,
        password: &str,
        now: i64,
    ) -> rusqlite::Result<Login> {
        let mut conn = self.lock();
        let tx = conn.transaction()?;
        let Some(o) = load(&tx, order_id)? else {
            return Ok(Login::Closed);
        };
        if !o.status.open() {
            return Ok(Login::Closed);
        }
        let acct = tx
            .query_row(
                "SELECT password_hash, failures FROM test_accounts WHERE bank = ?1 AND account_no = ?2",
                [&o.bank, account_no],
                |r| Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?)),
            )
            .optional()?;
        let Some((hash, failures)) = acct else {
            journal(
                &tx,
                now,
                "login_failed",
                &o.bank,
                account_no,
                0,
                &o.order_ref,
                Resp::UnknownAccount,
            )?;
            tx.commit()?;
            return Ok(Login::Wrong {
                left: PASSWORD_FAILURES_MAX,
            });
        };
        let outcome = if failures >= PASSWORD_FAILURES_MAX {
            Login::Locked
        } else if hash == password_hash(&o.bank, account_no, password) {
            tx.execute(
                "UPDATE test_accounts SET failures = 0 WHERE bank = ?1 AND account_no = ?2",
                [&o.bank, account_no],
            )?;
            let session = random_id("", 32);
            tx.execute(
                "UPDATE orders SET status = 'authenticated', account_no = ?2, session = ?3 WHERE order_id = ?1",
                params![order_id, account_no, session],
            )?;
            journal(
                &tx,
                now,
                "login",
                &o.bank,
                account_no,
                0,
                &o.order_ref,
                Resp::Ok,
            )?;
            Login::Ok { session }
        } else {
            tx.execute(
                "UPDATE test_accounts SET failures = failures + 1 WHERE bank = ?1 AND account_no = ?2",
                [&o.bank, account_no],
            )?;
            let left = PASSWORD_FAILURES_MAX - failures - 1;
            journal(
                &tx,
                now,
                "login_failed",
                &o.bank,
                account_no,
                0,
                &o.order_ref,
                Resp::AccountLocked,
            )?;
            if left > 0 {
                Login::Wrong { left }
            } else {
                Login::Locked
            }
        };
        if outcome == Login::Locked {
            tx.execute(
                "UPDATE orders SET status = 'locked', reason = ?2, account_no = ?3 WHERE order_id = ?1",
                params![order_id, Resp::AccountLocked.code(), account_no],
            )?;
            journal(
                &tx,
                now,
                "debit_refused",
                &o.bank,
                account_no,
                o.amount,
                &o.order_ref,
                Resp::AccountLocked,
            )?;
        }
        tx.commit()?;
        Ok(outcome)
    }

    /// The logged-in payer approves the debit: debited when the balance covers it, declined
    /// (nothing debited) otherwise. A wrong `session` changes nothing.
    pub fn approve(
        &self,
        order_id: &str,
        session: &str,
        now: i64,
    ) -> rusqlite::Result<Result<Order, Resp>> {
        let mut conn = self.lock();
        let tx = conn.transaction()?;
        let Some(o) = load(&tx, order_id)? else {
            return Ok(Err(Resp::UnknownAccount));
        };
        if o.status != OrderStatus::Authenticated || session.is_empty() || o.session != session {
            return Ok(Err(Resp::NotApproved));
        }
        let balance: i64 = tx.query_row(
            "SELECT balance FROM test_accounts WHERE bank = ?1 AND account_no = ?2",
            [&o.bank, &o.account_no],
            |r| r.get(0),
        )?;
        if balance < o.amount {
            set_status(
                &tx,
                order_id,
                OrderStatus::Declined,
                Resp::InsufficientFunds.code(),
            )?;
            journal(
                &tx,
                now,
                "debit_refused",
                &o.bank,
                &o.account_no,
                o.amount,
                &o.order_ref,
                Resp::InsufficientFunds,
            )?;
        } else {
            let debit_id = random_id("W", 20);
            tx.execute(
                "UPDATE test_accounts SET balance = balance - ?3 WHERE bank = ?1 AND account_no = ?2",
                params![o.bank, o.account_no, o.amount],
            )?;
            tx.execute(
                "UPDATE orders SET status = 'debited', debit_id = ?2, session = '' WHERE order_id = ?1",
                params![order_id, debit_id],
            )?;
            journal(
                &tx,
                now,
                "debit",
                &o.bank,
                &o.account_no,
                o.amount,
                &o.order_ref,
                Resp::Ok,
            )?;
        }
        let o = load(&tx, order_id)?;
        tx.commit()?;
        Ok(o.ok_or(Resp::UnknownAccount))
    }
}
