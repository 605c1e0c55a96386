//! Our reader of the carrier's monthly settlement file (layout in docs/MOBILE_CARRIER.md):
//! `H|carrier_settlement|1|merchant|YYYY-MM`, one `D|id|reference|carrier|phone|amount|
//! charged_at|status|canceled_at` per billed payment, `T|records|…` with the record count.

/// One billed payment of the file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Detail {
    /// The carrier's payment id (the charge's `network_transaction_id`).
    pub id: String,
    /// Our reference: the PaymentIntent id.
    pub reference: String,
    pub amount: i64,
    /// Taken off the bill in the same month.
    pub canceled: bool,
}

/// A parsed file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SettlementFile {
    pub merchant: String,
    pub month: String,
    pub details: Vec<Detail>,
}

/// Parses `text`; an error names the line.
pub fn parse(text: &str) -> Result<SettlementFile, String> {
    let mut lines = text.lines();
    let head: Vec<&str> = lines.next().unwrap_or("").split('|').collect();
    let ["H", "carrier_settlement", "1", merchant, month] = head[..] else {
        return Err("line 1: not a carrier settlement header (H|carrier_settlement|1|…)".into());
    };
    let mut details = Vec::new();
    let mut trailer = None;
    for (n, line) in lines.enumerate() {
        let f: Vec<&str> = line.split('|').collect();
        match f[..] {
            ["D", id, reference, _, _, amount, _, status, _] => details.push(Detail {
                id: id.into(),
                reference: reference.into(),
                amount: amount
                    .parse()
                    .map_err(|_| format!("line {}: amount is not an integer", n + 2))?,
                canceled: status == "canceled",
            }),
            ["T", records, ..] if trailer.is_none() => trailer = records.parse::<usize>().ok(),
            _ => return Err(format!("line {}: unknown record", n + 2)),
        }
    }
    if trailer != Some(details.len()) {
        return Err("the trailer's record count does not match the detail records".into());
    }
    Ok(SettlementFile {
        merchant: merchant.into(),
        month: month.into(),
        details,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_details_and_checks_the_trailer() {
        let text = "H|carrier_settlement|1|acct_1|2026-01\n\
                    D|cbp_1|pi_1|skt|010****5678|1000|1700000000|charged|\n\
                    D|cbp_2|pi_2|lgu|010****0000|500|1700000001|canceled|1700000002\n\
                    T|2|2|1500|1|500|1000\n";
        let f = parse(text).unwrap();
        assert_eq!(f.month, "2026-01");
        assert_eq!(f.details.len(), 2);
        assert!(f.details[1].canceled);
        let short = text.replace("T|2|", "T|3|");
        assert!(parse(&short).is_err());
        assert!(parse("X|y").is_err());
    }
}
