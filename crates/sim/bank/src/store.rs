//! The bank's state and journal in SQLite (`bank-sim.sqlite3`): virtual accounts, deposits
//! (with whether the gateway acknowledged their notice), transfers, test accounts and one
//! journal line per decision. Every decision and its journal line are one transaction,
//! committed before the answer or notice leaves.

use std::path::Path;
use std::sync::{Mutex, MutexGuard};

use paygate_sim_kit::{SimError, data_dir};
use rusqlite::{Connection, OptionalExtension, Transaction, params};

use crate::banks::{PASSWORD_FAILURES_MAX, TEST_ACCOUNTS, bank};
use crate::resp::Resp;

/// File name of the database inside the data directory.
pub const JOURNAL_FILE: &str = "bank-sim.sqlite3";

use crate::schema::SCHEMA;

/// A virtual account as issued.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Issued {
    pub account_no: String,
}

/// An accepted deposit whose notice the gateway must acknowledge.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Notice {
    pub bank: String,
    pub account_no: String,
    pub deposit_id: String,
    pub order_ref: String,
    pub amount: i64,
    /// What is left to deposit after this deposit.
    pub remaining: i64,
    pub depositor: String,
    pub deposited_at: i64,
}

/// The writing connection.
pub struct Store {
    conn: Mutex<Connection>,
}

// Every argument is one column of the journal line; a struct would only rename them.
#[allow(clippy::too_many_arguments)]
pub(crate) fn journal(
    tx: &Transaction<'_>,
    at: i64,
    event: &str,
    bank: &str,
    account: &str,
    amount: i64,
    reference: &str,
    resp: Resp,
) -> rusqlite::Result<()> {
    tx.execute(
        "INSERT INTO journal (at, event, bank, account_no, amount, reference, resp) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        params![at, event, bank, account, amount, reference, resp.code()],
    )?;
    Ok(())
}

impl Store {
    /// Opens (creating and seeding the test accounts) the journal in `dir`.
    pub fn open(dir: &Path) -> Result<Store, SimError> {
        let conn = data_dir::open_writer(dir, JOURNAL_FILE, SCHEMA)?;
        for a in TEST_ACCOUNTS {
            let failures = if a.locked { PASSWORD_FAILURES_MAX } else { 0 };
            conn.execute(
                "INSERT OR IGNORE INTO test_accounts (bank, account_no, holder, balance, password_hash, failures) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                params![
                    a.bank,
                    a.account_no,
                    a.holder,
                    a.balance,
                    crate::orders::password_hash(a.bank, a.account_no, a.password),
                    failures
                ],
            )?;
        }
        Ok(Store {
            conn: Mutex::new(conn),
        })
    }

    pub(crate) fn lock(&self) -> MutexGuard<'_, Connection> {
        self.conn.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Issues a virtual account of `bank_code` for `order_ref` (again the same account for
    /// the same order: a repeated request is answered, not doubled).
    pub fn issue(
        &self,
        bank_code: &str,
        order_ref: &str,
        amount: i64,
        expires_at: i64,
        holder: &str,
        now: i64,
    ) -> rusqlite::Result<Result<Issued, Resp>> {
        let mut conn = self.lock();
        let tx = conn.transaction()?;
        if let Some(account_no) = tx
            .query_row(
                "SELECT account_no FROM accounts WHERE order_ref = ?1",
                [order_ref],
                |r| r.get::<_, String>(0),
            )
            .optional()?
        {
            return Ok(Ok(Issued { account_no }));
        }
        let refusal = if bank(bank_code).is_none() {
            Some(Resp::UnknownBank)
        } else if amount <= 0 || expires_at <= now || order_ref.is_empty() {
            Some(Resp::FormatError)
        } else {
            None
        };
        if let Some(r) = refusal {
            journal(
                &tx,
                now,
                "issue_refused",
                bank_code,
                "",
                amount,
                order_ref,
                r,
            )?;
            tx.commit()?;
            return Ok(Err(r));
        }
        let seq: i64 = tx.query_row("SELECT COUNT(*) + 1 FROM accounts", [], |r| r.get(0))?;
        // The bank's code, a 9 (virtual accounts' range) and a serial: 14 digits.
        let account_no = format!("{bank_code}9{seq:010}");
        tx.execute(
            "INSERT INTO accounts (account_no, bank, order_ref, amount, expires_at, holder, status, created) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, 'open', ?7)",
            params![account_no, bank_code, order_ref, amount, expires_at, holder, now],
        )?;
        journal(
            &tx,
            now,
            "issue",
            bank_code,
            &account_no,
            amount,
            order_ref,
            Resp::Ok,
        )?;
        tx.commit()?;
        Ok(Ok(Issued { account_no }))
    }

    /// The payer deposits `amount` into virtual account `account_no`: refused when the
    /// account is unknown, closed, paid or expired, or when the amount is more than what is
    /// left (the money stays with the payer); accepted otherwise, with a notice to deliver.
    pub fn deposit(
        &self,
        account_no: &str,
        amount: i64,
        depositor: &str,
        now: i64,
    ) -> rusqlite::Result<Result<Notice, Resp>> {
        let mut conn = self.lock();
        let tx = conn.transaction()?;
        let acct = tx
            .query_row(
                "SELECT bank, order_ref, amount, deposited, expires_at, status FROM accounts \
                 WHERE account_no = ?1",
                [account_no],
                |r| {
                    Ok((
                        r.get::<_, String>(0)?,
                        r.get::<_, String>(1)?,
                        r.get::<_, i64>(2)?,
                        r.get::<_, i64>(3)?,
                        r.get::<_, i64>(4)?,
                        r.get::<_, String>(5)?,
                    ))
                },
            )
            .optional()?;
        let Some((bank_code, order_ref, total, deposited, expires_at, status)) = acct else {
            journal(
                &tx,
                now,
                "deposit_refused",
                "",
                account_no,
                amount,
                "",
                Resp::UnknownAccount,
            )?;
            tx.commit()?;
            return Ok(Err(Resp::UnknownAccount));
        };
        let remaining = total - deposited;
        let refusal = if status != "open" || now >= expires_at {
            Some(Resp::AccountClosed)
        } else if amount <= 0 {
            Some(Resp::FormatError)
        } else if amount > remaining {
            Some(Resp::AmountExceedsRemaining)
        } else {
            None
        };
        if let Some(r) = refusal {
            journal(
                &tx,
                now,
                "deposit_refused",
                &bank_code,
                account_no,
                amount,
                &order_ref,
                r,
            )?;
            tx.commit()?;
            return Ok(Err(r));
        }
        let seq: i64 = tx.query_row("SELECT COUNT(*) + 1 FROM deposits", [], |r| r.get(0))?;
        let deposit_id = format!("D{bank_code}{now:010}{seq:06}");
        let left = remaining - amount;
        tx.execute(
            "INSERT INTO deposits (deposit_id, account_no, amount, depositor, deposited_at, status) \
             VALUES (?1, ?2, ?3, ?4, ?5, 'accepted')",
            params![deposit_id, account_no, amount, depositor, now],
        )?;
        tx.execute(
            "UPDATE accounts SET deposited = deposited + ?2, status = CASE WHEN ?3 = 0 THEN 'paid' ELSE status END \
             WHERE account_no = ?1",
            params![account_no, amount, left],
        )?;
        journal(
            &tx,
            now,
            "deposit",
            &bank_code,
            account_no,
            amount,
            &deposit_id,
            Resp::Ok,
        )?;
        tx.commit()?;
        Ok(Ok(Notice {
            bank: bank_code,
            account_no: account_no.to_string(),
            deposit_id,
            order_ref,
            amount,
            remaining: left,
            depositor: depositor.to_string(),
            deposited_at: now,
        }))
    }

    /// Deposits whose notice the gateway has not acknowledged yet, oldest first; counts the
    /// delivery attempt.
    pub fn unacked(&self, limit: usize) -> rusqlite::Result<Vec<Notice>> {
        let mut conn = self.lock();
        let tx = conn.transaction()?;
        let notices = {
            let mut stmt = tx.prepare(
                "SELECT a.bank, d.account_no, d.deposit_id, a.order_ref, d.amount, d.depositor, \
                 d.deposited_at, a.amount - (SELECT COALESCE(SUM(x.amount), 0) FROM deposits x \
                 WHERE x.account_no = d.account_no AND x.seq <= d.seq) \
                 FROM deposits d JOIN accounts a ON a.account_no = d.account_no \
                 WHERE d.acked = 0 AND d.status = 'accepted' ORDER BY d.seq LIMIT ?1",
            )?;
            let rows = stmt.query_map([limit as i64], |r| {
                Ok(Notice {
                    bank: r.get(0)?,
                    account_no: r.get(1)?,
                    deposit_id: r.get(2)?,
                    order_ref: r.get(3)?,
                    amount: r.get(4)?,
                    depositor: r.get(5)?,
                    deposited_at: r.get(6)?,
                    remaining: r.get(7)?,
                })
            })?;
            rows.collect::<rusqlite::Result<Vec<_>>>()?
        };
        for n in &notices {
            tx.execute(
                "UPDATE deposits SET sent_count = sent_count + 1 WHERE deposit_id = ?1",
                [&n.deposit_id],
            )?;
        }
        tx.commit()?;
        Ok(notices)
    }

    /// The gateway acknowledged the notice of `deposit_id`; false when no such deposit.
    pub fn ack(&self, deposit_id: &str, now: i64) -> rusqlite::Result<bool> {
        let mut conn = self.lock();
        let tx = conn.transaction()?;
        let row = tx
            .query_row(
                "SELECT d.account_no, a.bank, d.amount, d.acked FROM deposits d \
                 JOIN accounts a ON a.account_no = d.account_no WHERE d.deposit_id = ?1",
                [deposit_id],
                |r| {
                    Ok((
                        r.get::<_, String>(0)?,
                        r.get::<_, String>(1)?,
                        r.get::<_, i64>(2)?,
                        r.get::<_, i64>(3)?,
                    ))
                },
            )
            .optional()?;
        let Some((account, bank_code, amount, acked)) = row else {
            return Ok(false);
        };
        if acked == 0 {
            tx.execute(
                "UPDATE deposits SET acked = 1 WHERE deposit_id = ?1",
                [deposit_id],
            )?;
            journal(
                &tx,
                now,
                "notice_acked",
                &bank_code,
                &account,
                amount,
                deposit_id,
                Resp::Ok,
            )?;
        }
        tx.commit()?;
        Ok(true)
    }

    /// Closes virtual account `account_no` (expired or canceled at the shop): deposits
    /// already made are returned to their depositors. Answers the amount returned; closing
    /// again answers the same.
    pub fn close(&self, account_no: &str, now: i64) -> rusqlite::Result<Result<i64, Resp>> {
        let mut conn = self.lock();
        let tx = conn.transaction()?;
        let row = tx
            .query_row(
                "SELECT bank, status FROM accounts WHERE account_no = ?1",
                [account_no],
                |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)),
            )
            .optional()?;
        let Some((bank_code, status)) = row else {
            return Ok(Err(Resp::UnknownAccount));
        };
        if status == "paid" {
            return Ok(Err(Resp::AccountPaid));
        }
        let returned: i64 = tx.query_row(
            "SELECT COALESCE(SUM(amount), 0) FROM deposits WHERE account_no = ?1 AND status IN ('accepted', 'returned')",
            [account_no],
            |r| r.get(0),
        )?;
        if status == "open" {
            tx.execute(
                "UPDATE deposits SET status = 'returned' WHERE account_no = ?1 AND status = 'accepted'",
                [account_no],
            )?;
            tx.execute(
                "UPDATE accounts SET status = 'closed' WHERE account_no = ?1",
                [account_no],
            )?;
            journal(
                &tx,
                now,
                "close",
                &bank_code,
                account_no,
                returned,
                "",
                Resp::Ok,
            )?;
        }
        tx.commit()?;
        Ok(Ok(returned))
    }

    /// Transfers `amount` to a test account (a refund); a repeated `transfer_ref` answers
    /// what the first one did.
    pub fn transfer(
        &self,
        transfer_ref: &str,
        to_bank: &str,
        to_account: &str,
        holder: &str,
        amount: i64,
        now: i64,
    ) -> rusqlite::Result<(String, Resp)> {
        let mut conn = self.lock();
        let tx = conn.transaction()?;
        if let Some((id, resp)) = tx
            .query_row(
                "SELECT transfer_id, resp FROM transfers WHERE transfer_ref = ?1",
                [transfer_ref],
                |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)),
            )
            .optional()?
        {
            return Ok((id, Resp::parse(&resp).unwrap_or(Resp::FormatError)));
        }
        let dest = tx
            .query_row(
                "SELECT holder FROM test_accounts WHERE bank = ?1 AND account_no = ?2",
                [to_bank, to_account],
                |r| r.get::<_, String>(0),
            )
            .optional()?;
        let resp = match dest {
            _ if bank(to_bank).is_none() => Resp::UnknownBank,
            _ if amount <= 0 => Resp::FormatError,
            None => Resp::UnknownAccount,
            Some(h) if h != holder => Resp::HolderMismatch,
            Some(_) => Resp::Ok,
        };
        let seq: i64 = tx.query_row("SELECT COUNT(*) + 1 FROM transfers", [], |r| r.get(0))?;
        let transfer_id = format!("T{to_bank}{now:010}{seq:06}");
        if resp == Resp::Ok {
            tx.execute(
                "UPDATE test_accounts SET balance = balance + ?3 WHERE bank = ?1 AND account_no = ?2",
                params![to_bank, to_account, amount],
            )?;
        }
        tx.execute(
            "INSERT INTO transfers (transfer_ref, transfer_id, to_bank, to_account, amount, resp, created) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            params![transfer_ref, transfer_id, to_bank, to_account, amount, resp.code(), now],
        )?;
        let event = if resp == Resp::Ok {
            "transfer"
        } else {
            "transfer_refused"
        };
        journal(
            &tx,
            now,
            event,
            to_bank,
            to_account,
            amount,
            transfer_ref,
            resp,
        )?;
        tx.commit()?;
        Ok((transfer_id, resp))
    }

    /// Marks the notice of `deposit_id` unacknowledged, so that it is delivered again (a
    /// test fault: the gateway must count it once).
    pub fn redeliver(&self, deposit_id: &str) -> rusqlite::Result<()> {
        self.lock().execute(
            "UPDATE deposits SET acked = 0 WHERE deposit_id = ?1",
            [deposit_id],
        )?;
        Ok(())
    }

    /// The balance of a test account.
    pub fn balance(&self, bank_code: &str, account_no: &str) -> rusqlite::Result<Option<i64>> {
        self.lock()
            .query_row(
                "SELECT balance FROM test_accounts WHERE bank = ?1 AND account_no = ?2",
                [bank_code, account_no],
                |r| r.get(0),
            )
            .optional()
    }
}
