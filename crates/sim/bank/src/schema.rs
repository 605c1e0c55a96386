//! The bank simulator's SQLite schema (the statements on it are in [`crate::store`]).

pub(crate) const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS accounts (
    account_no TEXT PRIMARY KEY,
    bank       TEXT NOT NULL,
    order_ref  TEXT NOT NULL UNIQUE,
    amount     INTEGER NOT NULL,
    deposited  INTEGER NOT NULL DEFAULT 0,
    expires_at INTEGER NOT NULL,
    holder     TEXT NOT NULL,
    status     TEXT NOT NULL,
    created    INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS deposits (
    seq          INTEGER PRIMARY KEY,
    deposit_id   TEXT NOT NULL UNIQUE,
    account_no   TEXT NOT NULL REFERENCES accounts(account_no),
    amount       INTEGER NOT NULL,
    depositor    TEXT NOT NULL,
    deposited_at INTEGER NOT NULL,
    status       TEXT NOT NULL,
    acked        INTEGER NOT NULL DEFAULT 0,
    sent_count   INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS transfers (
    transfer_ref TEXT PRIMARY KEY,
    transfer_id  TEXT NOT NULL,
    to_bank      TEXT NOT NULL,
    to_account   TEXT NOT NULL,
    amount       INTEGER NOT NULL,
    resp         TEXT NOT NULL,
    created      INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS test_accounts (
    bank       TEXT NOT NULL,
    account_no TEXT NOT NULL,
    holder     TEXT NOT NULL,
    balance    INTEGER NOT NULL,
    password_hash TEXT NOT NULL DEFAULT '',
    failures   INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (bank, account_no)
);
CREATE TABLE IF NOT EXISTS orders (
    order_id   TEXT PRIMARY KEY,
    bank       TEXT NOT NULL,
    order_ref  TEXT NOT NULL,
    amount     INTEGER NOT NULL,
    merchant   TEXT NOT NULL,
    return_url TEXT NOT NULL,
    status     TEXT NOT NULL,
    reason     TEXT NOT NULL DEFAULT '',
    account_no TEXT NOT NULL DEFAULT '',
    session    TEXT NOT NULL DEFAULT '',
    debit_id   TEXT NOT NULL DEFAULT '',
    refunded   INTEGER NOT NULL DEFAULT 0,
    created    INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS orders_by_ref ON orders (order_ref);
CREATE TABLE IF NOT EXISTS payer_refunds (
    refund_ref TEXT PRIMARY KEY,
    refund_id  TEXT NOT NULL,
    order_id   TEXT NOT NULL,
    amount     INTEGER NOT NULL,
    resp       TEXT NOT NULL,
    created    INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS journal (
    seq        INTEGER PRIMARY KEY,
    at         INTEGER NOT NULL,
    event      TEXT NOT NULL,
    bank       TEXT NOT NULL,
    account_no TEXT NOT NULL,
    amount     INTEGER NOT NULL,
    reference  TEXT NOT NULL,
    resp       TEXT NOT NULL
);
";
