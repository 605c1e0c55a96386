//! Object ids (`pi_…`, `ch_…`) and secrets: a prefix plus random base62.

use rand::RngExt;

const ALPHABET: &[u8] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/// Random base62 string of `len` characters from the OS-seeded thread RNG.
pub fn random_base62(len: usize) -> String {
    let mut rng = rand::rng();
    (0..len)
        .map(|_| ALPHABET[rng.random_range(0..ALPHABET.len())] as char)
        .collect()
}

/// A new object id: `prefix_` + 24 base62 characters (≈143 bits).
pub fn new_id(prefix: &str) -> String {
    format!("{prefix}_{}", random_base62(24))
}

/// Unix seconds now.
pub fn now() -> i64 {
    time::OffsetDateTime::now_utc().unix_timestamp()
}

/// Which object kind an id names, from its prefix.
pub fn kind_of(id: &str) -> Option<&'static str> {
    let prefix = id.split('_').next()?;
    Some(match prefix {
        "pi" => "payment_intent",
        "ch" => "charge",
        "re" => "refund",
        "cus" => "customer",
        "pm" => "payment_method",
        "evt" => "event",
        "we" => "webhook_endpoint",
        "txn" => "balance_transaction",
        "po" => "payout",
        _ => return None,
    })
}
