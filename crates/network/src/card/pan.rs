//! Small PAN helpers of the link (the simulator has its own). A PAN is card data: nothing here
//! formats one except [`masked`], which keeps at most the first 6 and last 4 digits.

/// Shortest PAN accepted on the wire (ISO/IEC 7812 allows 8; card schemes use 12 and more).
pub const MIN_PAN_DIGITS: usize = 12;
/// Longest PAN (DE 2 is n..19).
pub const MAX_PAN_DIGITS: usize = 19;

/// Whether `pan` is 12..=19 decimal digits.
pub fn well_formed(pan: &str) -> bool {
    (MIN_PAN_DIGITS..=MAX_PAN_DIGITS).contains(&pan.len())
        && pan.bytes().all(|b| b.is_ascii_digit())
}

/// The Luhn (mod 10) check: from the rightmost digit, double every second digit, subtract 9 from
/// results above 9, and require the sum to be a multiple of 10.
pub fn luhn_valid(pan: &str) -> bool {
    if !well_formed(pan) {
        return false;
    }
    let sum: u32 = pan
        .bytes()
        .rev()
        .enumerate()
        .map(|(i, b)| {
            let d = u32::from(b - b'0');
            match (i % 2 == 1, d * 2) {
                (true, doubled) if doubled > 9 => doubled - 9,
                (true, doubled) => doubled,
                (false, _) => d,
            }
        })
        .sum();
    sum.is_multiple_of(10)
}

/// First 6 and last 4 digits with the middle masked (PCI DSS truncation), e.g.
/// `424242******4242`. Anything that is not a well-formed PAN is masked entirely.
pub fn masked(pan: &str) -> String {
    const SHOWN_HEAD: usize = 6;
    const SHOWN_TAIL: usize = 4;
    if !well_formed(pan) {
        return "*".repeat(pan.len());
    }
    let hidden = pan.len() - SHOWN_HEAD - SHOWN_TAIL;
    format!(
        "{}{}{}",
        &pan[..SHOWN_HEAD],
        "*".repeat(hidden),
        &pan[pan.len() - SHOWN_TAIL..]
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn luhn_accepts_the_public_test_cards_and_rejects_a_changed_digit() {
        for pan in [
            "4242424242424242",
            "378282246310005",
            "6200000000000005",
            "9400000000000007",
        ] {
            assert!(luhn_valid(pan), "{pan}");
        }
        assert!(!luhn_valid("4242424242424241"));
        assert!(!luhn_valid("42424242424242x2"));
        assert!(!luhn_valid("42424242"));
    }

    #[test]
    fn masking_keeps_bin_and_last_four_only() {
        assert_eq!(masked("4242424242424242"), "424242******4242");
        assert_eq!(masked("378282246310005"), "378282*****0005");
        assert_eq!(masked("12ab"), "****");
    }
}
