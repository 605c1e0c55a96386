//! PAN checks. The simulator never stores a full PAN: accounts are keyed by [`masked`].

/// Whether `pan` is 12..=19 decimal digits (DE 2, n..19).
pub fn well_formed(pan: &str) -> bool {
    (12..=19).contains(&pan.len()) && pan.bytes().all(|b| b.is_ascii_digit())
}

/// Luhn mod 10 over a well-formed PAN.
pub fn luhn_valid(pan: &str) -> bool {
    if !well_formed(pan) {
        return false;
    }
    let mut sum = 0u32;
    for (i, b) in pan.bytes().rev().enumerate() {
        let d = u32::from(b - b'0');
        sum += if i % 2 == 0 {
            d
        } else if d >= 5 {
            2 * d - 9
        } else {
            2 * d
        };
    }
    sum.is_multiple_of(10)
}

/// First 6 and last 4 digits, the rest as `*`.
pub fn masked(pan: &str) -> String {
    if !well_formed(pan) {
        return "*".repeat(pan.len());
    }
    let tail = pan.len() - 4;
    format!("{}{}{}", &pan[..6], "*".repeat(tail - 6), &pan[tail..])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn luhn_and_mask() {
        assert!(luhn_valid("4242424242424242"));
        assert!(luhn_valid("378282246310005"));
        assert!(!luhn_valid("4242424242424241"));
        assert_eq!(masked("378282246310005"), "378282*****0005");
    }
}
