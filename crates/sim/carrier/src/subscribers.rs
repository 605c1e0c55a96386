//! The carrier's subscribers (the documented test numbers), their age rule and the KST
//! calendar month a charge is billed in.

use serde::Serialize;

/// The carriers behind carrier billing (MVNOs bill through their host network).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Carrier {
    Skt,
    Kt,
    Lgu,
    Mvno,
}

impl Carrier {
    /// Every carrier.
    pub const ALL: [Carrier; 4] = [Carrier::Skt, Carrier::Kt, Carrier::Lgu, Carrier::Mvno];

    /// The API name (`skt`, `kt`, `lgu`, `mvno`).
    pub fn as_str(self) -> &'static str {
        match self {
            Carrier::Skt => "skt",
            Carrier::Kt => "kt",
            Carrier::Lgu => "lgu",
            Carrier::Mvno => "mvno",
        }
    }

    /// Inverse of [`Carrier::as_str`].
    pub fn parse(s: &str) -> Option<Carrier> {
        Carrier::ALL.into_iter().find(|c| c.as_str() == s)
    }
}

/// A subscriber line.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Subscriber {
    pub phone: &'static str,
    pub carrier: Carrier,
    /// `YYYYMMDD`.
    pub birth_date: &'static str,
    /// Carrier billing per KST calendar month, across every merchant, in KRW.
    pub monthly_limit: i64,
}

/// The test subscribers (docs/MOBILE_CARRIER.md).
pub const SUBSCRIBERS: [Subscriber; 3] = [
    Subscriber {
        phone: "01012345678",
        carrier: Carrier::Skt,
        birth_date: "19900101",
        monthly_limit: 1_000_000,
    },
    // The limit this subscriber set lower than the carrier's.
    Subscriber {
        phone: "01055550000",
        carrier: Carrier::Lgu,
        birth_date: "19850505",
        monthly_limit: 300_000,
    },
    // A minor: carrier billing is refused.
    Subscriber {
        phone: "01099990000",
        carrier: Carrier::Kt,
        birth_date: "20120303",
        monthly_limit: 0,
    },
];

/// Age of majority for carrier billing in Korea (만 19세).
pub const ADULT_AGE: i32 = 19;

/// The subscriber of `phone` on `carrier` born on `birth_date`, if all three match.
pub fn find(phone: &str, carrier: Carrier, birth_date: &str) -> Option<&'static Subscriber> {
    SUBSCRIBERS
        .iter()
        .find(|s| s.phone == phone && s.carrier == carrier && s.birth_date == birth_date)
}

/// Korea Standard Time, UTC+09:00 (no daylight saving).
const KST_OFFSET_S: i64 = 9 * 3600;

/// The KST calendar date of `unix_s`.
pub fn kst_date(unix_s: i64) -> time::Date {
    time::OffsetDateTime::from_unix_timestamp(unix_s + KST_OFFSET_S)
        .map(|t| t.date())
        .unwrap_or(time::Date::MIN)
}

/// The KST billing month of `unix_s`, `YYYY-MM`.
pub fn kst_month(unix_s: i64) -> String {
    let d = kst_date(unix_s);
    format!("{:04}-{:02}", d.year(), d.month() as u8)
}

/// Whole years of age on the KST date of `now` for a `YYYYMMDD` birth date.
pub fn age(birth_date: &str, now: i64) -> Option<i32> {
    let num = |r: std::ops::Range<usize>| birth_date.get(r)?.parse::<i32>().ok();
    let (y, m, d) = (num(0..4)?, num(4..6)?, num(6..8)?);
    let today = kst_date(now);
    let before_birthday = (today.month() as i32, today.day() as i32) < (m, d);
    Some(today.year() - y - i32::from(before_birthday))
}

/// `010****5678`: what the journal and the settlement file show of a number.
pub fn masked(phone: &str) -> String {
    let n = phone.len();
    if n < 7 {
        return "*".repeat(n);
    }
    format!("{}{}{}", &phone[..3], "*".repeat(n - 7), &phone[n - 4..])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kst_month_turns_at_midnight_kst() {
        // 2026-01-31T14:59:59Z is 23:59:59 KST on the 31st; a second later it is February.
        assert_eq!(kst_month(1_769_871_599), "2026-01");
        assert_eq!(kst_month(1_769_871_600), "2026-02");
    }

    #[test]
    fn age_counts_the_birthday_in_kst() {
        // 2031-03-02T15:00:00Z is 2031-03-03 00:00 KST: the 2012-03-03 subscriber turns 19.
        assert_eq!(age("20120303", 1_930_229_999), Some(18));
        assert_eq!(age("20120303", 1_930_230_000), Some(19));
        assert_eq!(age("2012", 0), None);
    }

    #[test]
    fn masking_keeps_prefix_and_last_four() {
        assert_eq!(masked("01012345678"), "010****5678");
    }
}
