//! Date-time fields of a request: DE 7 (transmission date-time, MMDDhhmmss, GMT), DE 12 (local
//! time hhmmss) and DE 13 (local date MMDD). paygate's simulated terminal runs on UTC, so DE 12
//! and DE 13 are the UTC time too.

use time::OffsetDateTime;

/// The date-time fields of one message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Stamp {
    /// DE 7, MMDDhhmmss.
    pub transmitted_at: String,
    /// DE 12, hhmmss.
    pub local_time: String,
    /// DE 13, MMDD.
    pub local_date: String,
}

impl Stamp {
    /// The fields for `at`.
    pub fn at(at: OffsetDateTime) -> Stamp {
        let (month, day) = (u8::from(at.month()), at.day());
        let (h, m, s) = (at.hour(), at.minute(), at.second());
        Stamp {
            transmitted_at: format!("{month:02}{day:02}{h:02}{m:02}{s:02}"),
            local_time: format!("{h:02}{m:02}{s:02}"),
            local_date: format!("{month:02}{day:02}"),
        }
    }

    /// The fields for the current UTC time.
    pub fn now() -> Stamp {
        Stamp::at(OffsetDateTime::now_utc())
    }

    /// The fields of a message whose DE 7 was `transmitted_at` (MMDDhhmmss): DE 12 and DE 13 are
    /// read back from it, since paygate's terminal runs on UTC. A repeat uses this to carry the
    /// same date-time fields as the message it repeats.
    pub fn of_transmitted_at(transmitted_at: &str) -> Option<Stamp> {
        let digits =
            transmitted_at.len() == 10 && transmitted_at.bytes().all(|b| b.is_ascii_digit());
        if !digits {
            return None;
        }
        let (local_date, local_time) = transmitted_at.split_at(4);
        Some(Stamp {
            transmitted_at: transmitted_at.to_owned(),
            local_time: local_time.to_owned(),
            local_date: local_date.to_owned(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn stamp_formats_mmddhhmmss() {
        let s = Stamp::at(datetime!(2026-01-31 23:05:09 UTC));
        assert_eq!(s.transmitted_at, "0131230509");
        assert_eq!(s.local_time, "230509");
        assert_eq!(s.local_date, "0131");
    }

    #[test]
    fn a_stamp_is_rebuilt_from_its_de7() {
        let s = Stamp::at(datetime!(2026-12-01 00:00:07 UTC));
        assert_eq!(Stamp::of_transmitted_at(&s.transmitted_at), Some(s));
        assert_eq!(Stamp::of_transmitted_at("013123595"), None);
        assert_eq!(Stamp::of_transmitted_at("01312359x9"), None);
    }
}
