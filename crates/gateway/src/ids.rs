//! Object ids (`pi_…`, `ch_…`) and secrets: a prefix plus base62.
//!
//! An id is time-ordered: 8 characters of milliseconds since the Unix epoch, then 16 random
//! characters (≈95 bits). Every table and index keyed by ids then grows at its right edge, so a
//! group commit of many payments dirties a few shared B-tree pages instead of one random leaf
//! per insert — the difference between a write path that holds its rate as the database grows
//! and one that slows down with it (docs/BENCHMARKS.md). Ids still reveal nothing a client
//! could use: the creation time is in every object's `created` anyway.

use rand::RngExt;

const ALPHABET: &[u8] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/// Random base62 string of `len` characters from the OS-seeded thread RNG.
pub fn random_base62(len: usize) -> String {
    let mut rng = rand::rng();
    (0..len)
        .map(|_| ALPHABET[rng.random_range(0..ALPHABET.len())] as char)
        .collect()
}

/// Width of the time part of an id: 62^8 ms ≈ 6,900 years.
const TIME_CHARS: usize = 8;

/// A new object id: `prefix_` + 8 base62 characters of the time in milliseconds + 16 random
/// base62 characters. Ids made later sort after ids made earlier (to the millisecond, across
/// processes whose clocks agree).
pub fn new_id(prefix: &str) -> String {
    let ms = u64::try_from(time::OffsetDateTime::now_utc().unix_timestamp_nanos() / 1_000_000)
        .unwrap_or(0);
    let mut id = String::with_capacity(prefix.len() + 1 + TIME_CHARS + 16);
    id.push_str(prefix);
    id.push('_');
    push_time_base62(&mut id, ms);
    id.push_str(&random_base62(16));
    id
}

/// Appends `ms` as exactly [`TIME_CHARS`] base62 digits, most significant first (the
/// alphabet is in ASCII order, so string order is numeric order).
fn push_time_base62(out: &mut String, mut ms: u64) {
    let mut digits = [b'0'; TIME_CHARS];
    for d in digits.iter_mut().rev() {
        *d = ALPHABET[(ms % 62) as usize];
        ms /= 62;
    }
    out.extend(digits.iter().map(|b| char::from(*b)));
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_sort_by_creation_time_and_keep_their_shape() {
        let a = new_id("pi");
        std::thread::sleep(std::time::Duration::from_millis(2));
        let b = new_id("pi");
        assert!(a < b, "{a} then {b}");
        for id in [&a, &b] {
            assert_eq!(id.len(), "pi_".len() + 24, "{id}");
            assert!(id[3..].bytes().all(|c| ALPHABET.contains(&c)), "{id}");
        }
        assert_ne!(a[11..], b[11..], "random part");
    }

    #[test]
    fn time_part_is_fixed_width_and_ordered() {
        let enc = |ms| {
            let mut s = String::new();
            push_time_base62(&mut s, ms);
            s
        };
        assert_eq!(enc(0), "00000000");
        assert_eq!(enc(61), "0000000z");
        assert_eq!(enc(62), "00000010");
        let samples = [
            0u64,
            1,
            61,
            62,
            3_843,
            1_795_641_394_555,
            1_795_641_394_556,
            9_999_999_999_999,
        ];
        for w in samples.windows(2) {
            assert!(enc(w[0]) < enc(w[1]), "{} < {}", w[0], w[1]);
        }
    }
}
