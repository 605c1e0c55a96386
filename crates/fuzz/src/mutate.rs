//! Byte-level mutations of corpus inputs, seeded so a run is reproducible.
//!
//! Stable Rust has no coverage-guided engine (`cargo fuzz` needs nightly's sanitizer
//! coverage), so the harness mutates a corpus that already reaches deep into each parser (real
//! messages from the test vectors) and checks properties on every result. The mutations are the
//! classic ones of AFL's "havoc" stage plus two aimed at the formats parsed here: ASCII digits
//! (ISO 8583 length prefixes, amounts, dates) and structural characters of JSON and forms.

use rand::RngExt;
use rand::rngs::SmallRng;

/// The largest input a mutation may produce: parsers of outside input all have a size limit
/// below this, and bigger inputs only slow the run.
pub const MAX_INPUT_BYTES: usize = 64 * 1024;

/// Bytes that sit at boundaries of integer types and of the formats' alphabets.
const INTERESTING: [u8; 12] = [
    0x00, 0x01, 0x7f, 0x80, 0xff, b'0', b'9', b'=', b'&', b'[', b'"', b'{',
];

/// Characters with meaning in the text formats fuzzed here.
const STRUCTURAL: &[u8] = b"{}[]\":,=&%+.-_0123456789eE\\ \n";

/// One mutation of `input`, choosing among the stages at random; `other` is another corpus
/// entry for splicing.
pub fn mutate(rng: &mut SmallRng, input: &[u8], other: &[u8]) -> Vec<u8> {
    let mut out = input.to_vec();
    let rounds = 1 + rng.random_range(0..4u32);
    for _ in 0..rounds {
        match rng.random_range(0..9u32) {
            0 => flip_bit(rng, &mut out),
            1 => set_interesting(rng, &mut out),
            2 => insert_bytes(rng, &mut out),
            3 => delete_range(rng, &mut out),
            4 => duplicate_range(rng, &mut out),
            5 => splice(rng, &mut out, other),
            6 => tweak_digit(rng, &mut out),
            7 => set_structural(rng, &mut out),
            _ => truncate(rng, &mut out),
        }
    }
    out.truncate(MAX_INPUT_BYTES);
    out
}

fn position(rng: &mut SmallRng, len: usize) -> Option<usize> {
    (len > 0).then(|| rng.random_range(0..len))
}

fn flip_bit(rng: &mut SmallRng, out: &mut [u8]) {
    if let Some(i) = position(rng, out.len()) {
        out[i] ^= 1 << rng.random_range(0..8u32);
    }
}

fn set_interesting(rng: &mut SmallRng, out: &mut [u8]) {
    if let Some(i) = position(rng, out.len()) {
        out[i] = INTERESTING[rng.random_range(0..INTERESTING.len())];
    }
}

fn set_structural(rng: &mut SmallRng, out: &mut [u8]) {
    if let Some(i) = position(rng, out.len()) {
        out[i] = STRUCTURAL[rng.random_range(0..STRUCTURAL.len())];
    }
}

fn insert_bytes(rng: &mut SmallRng, out: &mut Vec<u8>) {
    let at = rng.random_range(0..=out.len());
    let n = 1 + rng.random_range(0..16usize);
    let bytes: Vec<u8> = (0..n).map(|_| rng.random()).collect();
    out.splice(at..at, bytes);
}

fn delete_range(rng: &mut SmallRng, out: &mut Vec<u8>) {
    if let Some(start) = position(rng, out.len()) {
        let end = (start + 1 + rng.random_range(0..32usize)).min(out.len());
        out.drain(start..end);
    }
}

fn duplicate_range(rng: &mut SmallRng, out: &mut Vec<u8>) {
    if let Some(start) = position(rng, out.len()) {
        let end = (start + 1 + rng.random_range(0..64usize)).min(out.len());
        let copy = out[start..end].to_vec();
        let at = rng.random_range(0..=out.len());
        out.splice(at..at, copy);
    }
}

fn splice(rng: &mut SmallRng, out: &mut Vec<u8>, other: &[u8]) {
    if other.is_empty() {
        return;
    }
    let cut = rng.random_range(0..=out.len());
    let from = rng.random_range(0..other.len());
    out.truncate(cut);
    out.extend_from_slice(&other[from..]);
}

/// Replaces one ASCII digit by another, or by a digit at the edge (0 or 9): length prefixes
/// and counts are where parsers of fixed and variable-length fields break.
fn tweak_digit(rng: &mut SmallRng, out: &mut [u8]) {
    let digits: Vec<usize> = (0..out.len())
        .filter(|&i| out[i].is_ascii_digit())
        .collect();
    if digits.is_empty() {
        return;
    }
    let i = digits[rng.random_range(0..digits.len())];
    out[i] = match rng.random_range(0..3u32) {
        0 => b'0',
        1 => b'9',
        _ => b'0' + rng.random_range(0..10u8),
    };
}

fn truncate(rng: &mut SmallRng, out: &mut Vec<u8>) {
    if !out.is_empty() {
        let keep = rng.random_range(0..out.len());
        out.truncate(keep);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    #[test]
    fn the_same_seed_gives_the_same_mutations() {
        let input = b"0200F2345678901234560123".to_vec();
        let run = |seed| {
            let mut rng = SmallRng::seed_from_u64(seed);
            (0..50)
                .map(|_| mutate(&mut rng, &input, b"xyz"))
                .collect::<Vec<_>>()
        };
        assert_eq!(run(7), run(7));
        assert_ne!(run(7), run(8));
    }

    #[test]
    fn mutations_change_inputs_and_respect_the_size_limit() {
        let mut rng = SmallRng::seed_from_u64(1);
        let input = vec![b'7'; MAX_INPUT_BYTES];
        let changed = (0..200)
            .map(|_| mutate(&mut rng, &input, &input))
            .inspect(|m| assert!(m.len() <= MAX_INPUT_BYTES))
            .filter(|m| m != &input)
            .count();
        assert!(
            changed > 150,
            "only {changed} of 200 mutations changed the input"
        );
    }
}
