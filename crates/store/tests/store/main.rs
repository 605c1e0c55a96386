//! The store's behaviour, run against SQLite and PostgreSQL alike.

mod harness;

mod keys_and_merchants;
mod ledger;
mod objects;
mod outbox;
mod records;
mod writes;
