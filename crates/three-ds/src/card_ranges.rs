//! The DS's card ranges (from a PRes): which PANs are enrolled in 3-D Secure and whose issuer
//! requires it. The 3DS Server keeps the last PRes; the caller refreshes it (at start, then every
//! few minutes) with [`crate::ThreeDsServer::refresh_card_ranges`].

use paygate_vault::Pan;

use crate::messages::{CardRangeData, PRes};

/// `acsInfoInd` value: authentication is available at the ACS.
pub const ACS_INFO_AUTHENTICATION_AVAILABLE: &str = "01";
/// `acsInfoInd` value reserved by the DS: the issuer requires authentication for this range.
pub const ACS_INFO_AUTHENTICATION_REQUIRED: &str = "80";

/// One enrolled range of PANs (inclusive bounds of one length).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CardRange {
    start: String,
    end: String,
    /// The issuer requires authentication (acsInfoInd "80").
    pub required: bool,
    /// Highest protocol version the ACS supports, e.g. "2.2.0".
    pub acs_end_version: String,
}

impl CardRange {
    fn contains(&self, pan: &str) -> bool {
        // Bounds and PAN are digit strings of one length: text order is numeric order.
        pan.len() == self.start.len() && self.start.as_str() <= pan && pan <= self.end.as_str()
    }
}

/// Whether a card can be authenticated with 3-D Secure.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Enrollment {
    /// The card is in a range of the DS.
    Enrolled {
        /// The issuer requires authentication (run 3DS under `request_three_d_secure=automatic`).
        required: bool,
        /// Highest protocol version the card's ACS supports.
        acs_end_version: String,
    },
    /// The card is in no range: 3DS cannot be done.
    NotEnrolled,
    /// No PRes has been loaded yet: enrollment is not known.
    Unknown,
}

/// The card ranges of one PRes.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CardRanges {
    ranges: Vec<CardRange>,
    /// `serialNum` of the PRes they came from.
    pub serial_num: String,
}

impl CardRanges {
    /// The ranges of a full PRes: entries with actionInd "A" or "M" are kept, "D" ones dropped.
    pub fn from_pres(pres: &PRes) -> CardRanges {
        let ranges = pres
            .card_range_data
            .iter()
            .filter(|r| r.action_ind != "D")
            .map(range)
            .collect();
        CardRanges {
            ranges,
            serial_num: pres.serial_num.clone(),
        }
    }

    /// Number of ranges.
    pub fn len(&self) -> usize {
        self.ranges.len()
    }

    /// Whether there is no range.
    pub fn is_empty(&self) -> bool {
        self.ranges.is_empty()
    }

    /// Whether `pan` is enrolled, and required to authenticate.
    pub fn lookup(&self, pan: &Pan) -> Enrollment {
        match self.ranges.iter().find(|r| r.contains(pan.expose())) {
            Some(r) => Enrollment::Enrolled {
                required: r.required,
                acs_end_version: r.acs_end_version.clone(),
            },
            None => Enrollment::NotEnrolled,
        }
    }
}

fn range(r: &CardRangeData) -> CardRange {
    CardRange {
        start: r.start_range.clone(),
        end: r.end_range.clone(),
        required: r
            .acs_info_ind
            .iter()
            .any(|i| i == ACS_INFO_AUTHENTICATION_REQUIRED),
        acs_end_version: r.acs_end_protocol_version.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::messages::{Answer, read_pres};

    fn pres(ranges: &str) -> PRes {
        let body = format!(
            r#"{{"messageType":"PRes","messageVersion":"2.2.0",
            "threeDSServerTransID":"8a880dc0-d2d2-4067-bcb1-b08d1690b26e",
            "dsTransID":"9b880dc0-d2d2-4067-bcb1-b08d1690b26e","serialNum":"7",
            "cardRangeData":[{ranges}]}}"#
        );
        match read_pres(body.as_bytes()).unwrap() {
            Answer::Response(p) => p,
            Answer::Erro(e) => panic!("{e:?}"),
        }
    }

    fn entry(start: &str, end: &str, action: &str, info: &str) -> String {
        format!(
            r#"{{"startRange":"{start}","endRange":"{end}","actionInd":"{action}",
            "acsStartProtocolVersion":"2.2.0","acsEndProtocolVersion":"2.2.0","acsInfoInd":[{info}]}}"#
        )
    }

    #[test]
    fn a_pan_is_enrolled_only_inside_a_range_of_its_length() {
        let ranges = CardRanges::from_pres(&pres(
            &[
                entry("4000000000003220", "4000000000003220", "A", r#""01","80""#),
                entry("4242424242424200", "4242424242424299", "A", r#""01""#),
                entry("5555555555554444", "5555555555554444", "D", r#""01""#),
            ]
            .join(","),
        ));
        assert_eq!(ranges.len(), 2);
        let look = |p: &str| ranges.lookup(&Pan::parse(p).unwrap());
        let enrolled = |required| Enrollment::Enrolled {
            required,
            acs_end_version: "2.2.0".into(),
        };
        assert_eq!(look("4000000000003220"), enrolled(true));
        assert_eq!(look("4242424242424242"), enrolled(false));
        assert_eq!(look("4000000000003055"), Enrollment::NotEnrolled);
        assert_eq!(look("5555555555554444"), Enrollment::NotEnrolled);
        // A 19-digit PAN sharing the prefix is not in a 16-digit range.
        assert_eq!(look("4242424242424242006"), Enrollment::NotEnrolled);
    }
}
