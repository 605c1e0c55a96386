//! A tiny parser for human durations such as `30s`, `2m`, `500ms`, `1m30s` (no extra crate).

use std::time::Duration;

/// The longest duration accepted anywhere in the bench: a day is far beyond any sensible run and
/// keeps every later multiplication in range.
pub const MAX_DURATION_MS: u64 = 24 * 3_600_000;

/// Why a duration text was rejected; every message names the rule that failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DurationError {
    /// Nothing was given.
    #[error("duration is empty (write e.g. 30s, 2m, 500ms)")]
    Empty,
    /// A unit or stray character appeared where a number was expected.
    #[error("duration {text:?}: expected a whole number before each unit (write e.g. 30s, 1m30s)")]
    ExpectedNumber {
        /// The full text given.
        text: String,
    },
    /// A number had no unit after it.
    #[error("duration {text:?}: missing unit after the number (use ms, s, m or h)")]
    MissingUnit {
        /// The full text given.
        text: String,
    },
    /// The unit is not one of `ms`, `s`, `m`, `h`.
    #[error("duration {text:?}: unknown unit {unit:?} (use ms, s, m or h)")]
    UnknownUnit {
        /// The full text given.
        text: String,
        /// The unit found.
        unit: String,
    },
    /// The total is above [`MAX_DURATION_MS`].
    #[error("duration {text:?}: longer than the maximum of 24h")]
    TooLong {
        /// The full text given.
        text: String,
    },
}

/// Parses `<number><unit>` pairs (units `ms`, `s`, `m`, `h`), e.g. `30s`, `2m`, `500ms`, `1m30s`.
///
/// A bare `0` means zero (used to disable a phase). Fractions are not accepted: `1500ms` says the
/// same as `1.5s` without a float. The total must not exceed [`MAX_DURATION_MS`].
pub fn parse_duration(text: &str) -> Result<Duration, DurationError> {
    let s = text.trim();
    if s.is_empty() {
        return Err(DurationError::Empty);
    }
    if s == "0" {
        return Ok(Duration::ZERO);
    }
    let too_long = || DurationError::TooLong { text: s.to_owned() };
    let mut total_ms: u64 = 0;
    let mut rest = s;
    while !rest.is_empty() {
        let digits_end = rest
            .find(|c: char| !c.is_ascii_digit())
            .unwrap_or(rest.len());
        if digits_end == 0 {
            return Err(DurationError::ExpectedNumber { text: s.to_owned() });
        }
        // Only ASCII digits here, so the one possible parse failure is overflow.
        let number: u64 = rest[..digits_end].parse().map_err(|_| too_long())?;
        rest = &rest[digits_end..];
        let unit_end = rest
            .find(|c: char| c.is_ascii_digit())
            .unwrap_or(rest.len());
        let ms_per_unit = match &rest[..unit_end] {
            "ms" => 1,
            "s" => 1_000,
            "m" => 60_000,
            "h" => 3_600_000,
            "" => return Err(DurationError::MissingUnit { text: s.to_owned() }),
            unit => {
                return Err(DurationError::UnknownUnit {
                    text: s.to_owned(),
                    unit: unit.to_owned(),
                });
            }
        };
        total_ms = number
            .checked_mul(ms_per_unit)
            .and_then(|ms| total_ms.checked_add(ms))
            .ok_or_else(too_long)?;
        rest = &rest[unit_end..];
    }
    if total_ms > MAX_DURATION_MS {
        return Err(too_long());
    }
    Ok(Duration::from_millis(total_ms))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_each_unit_and_combinations() {
        let cases = [
            ("30s", 30_000),
            ("2m", 120_000),
            ("500ms", 500),
            ("1h", 3_600_000),
            ("1m30s", 90_000),
            ("1s500ms", 1_500),
            (" 5s ", 5_000),
            ("0", 0),
            ("0s", 0),
            ("24h", MAX_DURATION_MS),
        ];
        for (text, ms) in cases {
            assert_eq!(
                parse_duration(text),
                Ok(Duration::from_millis(ms)),
                "{text}"
            );
        }
    }

    #[test]
    fn rejects_malformed_text_with_the_rule_that_failed() {
        assert_eq!(parse_duration(""), Err(DurationError::Empty));
        assert!(matches!(
            parse_duration("30"),
            Err(DurationError::MissingUnit { .. })
        ));
        assert!(matches!(
            parse_duration("s"),
            Err(DurationError::ExpectedNumber { .. })
        ));
        assert!(matches!(
            parse_duration("-1s"),
            Err(DurationError::ExpectedNumber { .. })
        ));
        assert!(
            matches!(parse_duration("10x"), Err(DurationError::UnknownUnit { unit, .. }) if unit == "x")
        );
        assert!(
            matches!(parse_duration("1.5s"), Err(DurationError::UnknownUnit { unit, .. }) if unit == ".")
        );
        assert!(matches!(
            parse_duration("25h"),
            Err(DurationError::TooLong { .. })
        ));
        assert!(matches!(
            parse_duration("99999999999999999999h"),
            Err(DurationError::TooLong { .. })
        ));
        assert!(matches!(
            parse_duration("9999999999999999h"),
            Err(DurationError::TooLong { .. })
        ));
        let message = parse_duration("30").unwrap_err().to_string();
        assert!(message.contains("missing unit"), "{message}");
    }
}
