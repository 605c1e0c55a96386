//! The simulator's SQLite schema (the statements on it are in [`crate::store`]).

/// The journal's tables, created by the writer on open (`paygate_sim_kit::data_dir`).
pub(crate) const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS meta (
    name  TEXT PRIMARY KEY,
    value INTEGER NOT NULL
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS accounts (
    card        TEXT NOT NULL,
    currency    INTEGER NOT NULL,
    limit_minor INTEGER NOT NULL,
    used_minor  INTEGER NOT NULL CHECK (used_minor >= 0),
    PRIMARY KEY (card, currency)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS authorizations (
    id             INTEGER PRIMARY KEY,
    terminal_id    TEXT NOT NULL,
    stan           TEXT NOT NULL,
    transmitted_at TEXT NOT NULL,
    mti            TEXT NOT NULL,
    card           TEXT NOT NULL,
    currency       INTEGER NOT NULL,
    amount_minor   INTEGER NOT NULL,
    response_code  TEXT NOT NULL,
    rrn            TEXT NOT NULL UNIQUE,
    hold_minor     INTEGER NOT NULL CHECK (hold_minor >= 0),
    captured_minor INTEGER NOT NULL CHECK (captured_minor >= 0),
    refunded_minor INTEGER NOT NULL CHECK (refunded_minor >= 0),
    captures       INTEGER NOT NULL,
    reversed       INTEGER NOT NULL,
    UNIQUE (terminal_id, stan, transmitted_at)
);
CREATE TABLE IF NOT EXISTS journal (
    seq                     INTEGER PRIMARY KEY,
    kind                    TEXT NOT NULL,
    mti                     TEXT NOT NULL,
    terminal_id             TEXT,
    stan                    TEXT,
    transmitted_at          TEXT,
    amount_minor            INTEGER,
    currency                INTEGER,
    response_code           TEXT NOT NULL,
    rrn                     TEXT,
    approval_code           TEXT,
    answered                INTEGER NOT NULL,
    auth_id                 INTEGER REFERENCES authorizations(id),
    original_stan           TEXT,
    original_transmitted_at TEXT,
    original_found          INTEGER,
    recorded_at_ms          INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS authentications (
    auth_id     INTEGER PRIMARY KEY REFERENCES authorizations(id),
    eci         TEXT,
    outcome     TEXT NOT NULL CHECK (outcome IN ('verified', 'failed', 'none')),
    ds_trans_id TEXT
);
-- The program of an authentication other than 3-D Secure (DE 48.45), its own table so that
-- journals written before it existed open unchanged.
CREATE TABLE IF NOT EXISTS authentication_programs (
    auth_id INTEGER PRIMARY KEY REFERENCES authorizations(id),
    program TEXT NOT NULL
);
-- Credential-on-file data of an authorization or verification (DE 48.46/47).
CREATE TABLE IF NOT EXISTS stored_credentials (
    auth_id      INTEGER PRIMARY KEY REFERENCES authorizations(id),
    usage        TEXT NOT NULL CHECK (usage IN ('initial', 'recurring', 'unscheduled')),
    original_rrn TEXT
);
-- 할부 of an authorization (DE 48.50): the monthly instalments.
CREATE TABLE IF NOT EXISTS installments (
    auth_id INTEGER PRIMARY KEY REFERENCES authorizations(id),
    count   INTEGER NOT NULL CHECK (count BETWEEN 2 AND 12)
);
-- Card-present reads (DE 22 071 / 901) of an authorization: how, which wallet, the ATC.
CREATE TABLE IF NOT EXISTS card_present (
    auth_id     INTEGER PRIMARY KEY REFERENCES authorizations(id),
    read_method TEXT NOT NULL CHECK (read_method IN ('contactless_emv', 'magnetic_stripe_track2')),
    wallet      TEXT,
    atc         INTEGER NOT NULL,
    pan         TEXT -- the number read (a wallet's DPAN), masked; NULL in journals before it
);
-- DE 42 of an authorization or purchase: the merchant its clearing record names.
CREATE TABLE IF NOT EXISTS acceptors (
    auth_id     INTEGER PRIMARY KEY REFERENCES authorizations(id),
    merchant_id TEXT NOT NULL
);
-- The highest application transaction counter verified per card (masked PAN).
CREATE TABLE IF NOT EXISTS card_counters (
    card     TEXT PRIMARY KEY,
    last_atc INTEGER NOT NULL
) WITHOUT ROWID;
-- Device-token authorizations (the token service): the DPAN and the funding card, both masked,
-- and the cryptogram's check; a fresh cryptogram's SHA-256 is what replays are checked against.
CREATE TABLE IF NOT EXISTS wallet_tokens (
    auth_id           INTEGER PRIMARY KEY REFERENCES authorizations(id),
    dpan              TEXT NOT NULL,
    funding_card      TEXT NOT NULL,
    cryptogram        TEXT NOT NULL CHECK (cryptogram IN ('fresh', 'missing', 'replayed')),
    cryptogram_sha256 TEXT
);
CREATE UNIQUE INDEX IF NOT EXISTS wallet_tokens_used_cryptogram
    ON wallet_tokens (cryptogram_sha256) WHERE cryptogram = 'fresh';
CREATE UNIQUE INDEX IF NOT EXISTS authentications_used_ds_trans_id
    ON authentications (ds_trans_id) WHERE outcome = 'verified';
CREATE UNIQUE INDEX IF NOT EXISTS journal_request
    ON journal (terminal_id, stan, transmitted_at, mti);
CREATE INDEX IF NOT EXISTS journal_reversal_of
    ON journal (terminal_id, original_stan, original_transmitted_at) WHERE kind = 'reversal';
";
