//! Masking card numbers in free text: the last line of defence for log lines and panic
//! messages (PCI DSS 3.3.1 / 3.4.1: a PAN is never shown beyond BIN + last four).
//!
//! Typed values never print a PAN (`Pan`'s `Debug` and `Display` mask it); this catches what
//! typed values cannot: a number inside a foreign error message, a request body quoted by a
//! library, a panic message. A run of 13 to 19 digits — optionally grouped by single spaces
//! or dashes as people type them — that passes the Luhn check becomes its first six and last
//! four digits around `*`s. Other digit runs (amounts, timestamps, STANs, RRNs) are left alone
//! unless they happen to be Luhn-valid and 13+ digits long, which is the price of the rule.

use std::borrow::Cow;

/// The shortest and longest card numbers masked.
const PAN_DIGITS_MIN: usize = 13;
const PAN_DIGITS_MAX: usize = 19;

/// `text` with every Luhn-valid 13–19 digit run masked; borrowed when there is none.
pub fn mask_pans(text: &str) -> Cow<'_, str> {
    let bytes = text.as_bytes();
    let mut out: Option<String> = None;
    let mut copied = 0;
    let mut i = 0;
    while i < bytes.len() {
        if !bytes[i].is_ascii_digit() || (i > 0 && bytes[i - 1].is_ascii_digit()) {
            i += 1;
            continue;
        }
        let (end, digits) = digit_run(bytes, i);
        if (PAN_DIGITS_MIN..=PAN_DIGITS_MAX).contains(&digits.len()) && crate::luhn_check(&digits) {
            let o = out.get_or_insert_with(|| String::with_capacity(text.len()));
            o.push_str(&text[copied..i]);
            o.push_str(&masked(&digits));
            copied = end;
        }
        i = end.max(i + 1);
    }
    match out {
        None => Cow::Borrowed(text),
        Some(mut o) => {
            o.push_str(&text[copied..]);
            Cow::Owned(o)
        }
    }
}

/// The run of digits starting at `start`, allowing one space or dash between digits; returns
/// the end (exclusive, after the last digit) and the digits alone. A run longer than a PAN is
/// returned whole, so that no 13–19 digit window inside a longer number is masked.
fn digit_run(bytes: &[u8], start: usize) -> (usize, String) {
    let mut digits = String::new();
    let mut end = start;
    let mut j = start;
    while j < bytes.len() {
        if bytes[j].is_ascii_digit() {
            digits.push(char::from(bytes[j]));
            j += 1;
            end = j;
        } else if (bytes[j] == b' ' || bytes[j] == b'-')
            && bytes.get(j + 1).is_some_and(u8::is_ascii_digit)
            && !digits.is_empty()
        {
            j += 1;
        } else {
            break;
        }
    }
    (end, digits)
}

fn masked(digits: &str) -> String {
    let n = digits.len();
    format!("{}{}{}", &digits[..6], "*".repeat(n - 10), &digits[n - 4..])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn card_numbers_are_masked_wherever_they_appear() {
        assert_eq!(
            mask_pans("declined 4242424242424242 at issuer"),
            "declined 424242******4242 at issuer"
        );
        assert_eq!(
            mask_pans("card=4242 4242 4242 4242;"),
            "card=424242******4242;"
        );
        assert_eq!(mask_pans("5555-5555-5555-4444"), "555555******4444");
        assert_eq!(
            mask_pans("{\"number\":\"378282246310005\"}"),
            "{\"number\":\"378282*****0005\"}"
        );
        assert_eq!(
            mask_pans("two: 4000002760003184 and 6011111111111117."),
            "two: 400000******3184 and 601111******1117."
        );
    }

    #[test]
    fn other_numbers_are_left_alone() {
        for text in [
            "amount 10000 krw, stan 000123, rrn 533611000123",
            "4242424242424241 fails Luhn",
            "created 1764673200000",
            "a 25-digit run 4242424242424242000000000 is not a card number",
            "no digits at all",
        ] {
            assert!(matches!(mask_pans(text), Cow::Borrowed(_)), "{text}");
        }
    }

    #[test]
    fn utf8_around_a_number_survives() {
        assert_eq!(
            mask_pans("카드 4242424242424242 거절"),
            "카드 424242******4242 거절"
        );
    }
}
