//! Our reader of the network's daily clearing file (docs/CLEARING.md): fixed-width records of
//! 128 characters — a header (`H`), one detail (`D`) per sale presented (transaction code
//! `05`) or credit (`06`), a trailer (`T`) whose counts and hash totals must agree with the
//! details. Written from the documented layout, never from the simulator's writer: a
//! disagreement between the two fails a test instead of passing both.
//!
//! Every rule broken is a [`ClearingError`] naming the line, the field and the rule; nothing
//! of a broken file is used.

/// Characters per record, without the line feed.
pub const RECORD_WIDTH: usize = 128;

/// What a detail record presents.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum TransactionCode {
    /// `05`: a sale (a purchase, or the capture of an authorization).
    Presentment,
    /// `06`: a credit (refund).
    Credit,
}

/// One detail record. Amounts are integer minor units of `currency`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClearingRecord {
    /// 1-based line number in the file.
    pub line: usize,
    /// Sale or credit.
    pub code: TransactionCode,
    /// The RRN of the authorization or purchase.
    pub rrn: String,
    /// DE 41 of the authorization or purchase.
    pub terminal_id: String,
    /// DE 11 of the authorization or purchase.
    pub auth_stan: String,
    /// DE 7 of the authorization or purchase, MMDDhhmmss.
    pub auth_transmitted_at: String,
    /// DE 11 of the message presented (purchase, capture or refund).
    pub message_stan: String,
    /// First 6 and last 4 digits of the card.
    pub masked_pan: String,
    /// DE 38 of the approval.
    pub approval_code: String,
    /// Minor units, > 0.
    pub amount: i64,
    /// ISO 4217 numeric, 3 digits.
    pub currency: String,
    /// The authorization's day.
    pub transaction_date: time::Date,
    /// DE 42 without its padding (empty when the authorization carried none).
    pub merchant_id: String,
    /// `VI`, `MC`, `AX`, `JC`, `UP`, `LC`, `OT`.
    pub brand: String,
    /// `C` credit, `D` debit.
    pub card_type: String,
    /// Interchange in minor units: positive when the acquirer owes it (sign `D`), negative
    /// when the network gives it back (sign `C`).
    pub fee: i64,
}

/// A clearing file, checked against its trailer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClearingFile {
    /// The day cleared.
    pub date: time::Date,
    /// The network that sent it (8 characters).
    pub sender: String,
    /// The details, in file order.
    pub records: Vec<ClearingRecord>,
}

/// A rule of the layout broken.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("line {line}: {field} {rule}")]
pub struct ClearingError {
    /// 1-based line number.
    pub line: usize,
    /// The field (as docs/CLEARING.md names it).
    pub field: &'static str,
    /// The rule.
    pub rule: String,
}

fn err(line: usize, field: &'static str, rule: impl Into<String>) -> ClearingError {
    ClearingError {
        line,
        field,
        rule: rule.into(),
    }
}

/// One record's characters, read by 1-based position as the layout table gives them.
struct Cols<'a> {
    line: usize,
    text: &'a str,
}

impl<'a> Cols<'a> {
    fn text(&self, pos: usize, len: usize) -> &'a str {
        &self.text[pos - 1..pos - 1 + len]
    }

    fn trimmed(&self, pos: usize, len: usize) -> String {
        self.text(pos, len).trim_end().to_owned()
    }

    fn digits(
        &self,
        pos: usize,
        len: usize,
        field: &'static str,
    ) -> Result<&'a str, ClearingError> {
        let v = self.text(pos, len);
        if v.bytes().all(|b| b.is_ascii_digit()) {
            Ok(v)
        } else {
            Err(err(self.line, field, format!("must be {len} digits")))
        }
    }

    fn number(&self, pos: usize, len: usize, field: &'static str) -> Result<i64, ClearingError> {
        self.digits(pos, len, field)?
            .parse()
            .map_err(|_| err(self.line, field, "does not fit in 64 bits"))
    }

    fn date(&self, pos: usize, field: &'static str) -> Result<time::Date, ClearingError> {
        let v = self.digits(pos, 8, field)?;
        let fmt = time::macros::format_description!("[year][month][day]");
        time::Date::parse(v, &fmt).map_err(|_| err(self.line, field, "must be a day YYYYMMDD"))
    }

    fn sign(&self, pos: usize, field: &'static str) -> Result<i64, ClearingError> {
        match self.text(pos, 1) {
            "D" => Ok(1),
            "C" => Ok(-1),
            _ => Err(err(self.line, field, "must be D or C")),
        }
    }
}

/// Parses and checks a clearing file.
pub fn parse(text: &str) -> Result<ClearingFile, ClearingError> {
    let lines: Vec<Cols<'_>> = text
        .lines()
        .enumerate()
        .map(|(i, l)| Cols {
            line: i + 1,
            text: l,
        })
        .collect();
    for c in &lines {
        if c.text.len() != RECORD_WIDTH || !c.text.is_ascii() {
            let rule = format!("must be {RECORD_WIDTH} ASCII characters");
            return Err(err(c.line, "record", rule));
        }
    }
    let (Some(head), Some(tail)) = (lines.first(), lines.last()) else {
        return Err(err(1, "header", "is missing (empty file)"));
    };
    if head.text(1, 1) != "H" || lines.len() < 2 {
        return Err(err(
            1,
            "record type",
            "the first record must be the header H",
        ));
    }
    if tail.text(1, 1) != "T" {
        return Err(err(
            tail.line,
            "record type",
            "the last record must be the trailer T",
        ));
    }
    let date = head.date(2, "clearing date")?;
    let records = lines[1..lines.len() - 1]
        .iter()
        .map(detail)
        .collect::<Result<Vec<_>, _>>()?;
    check_trailer(tail, &records)?;
    Ok(ClearingFile {
        date,
        sender: head.trimmed(10, 8),
        records,
    })
}

fn detail(c: &Cols<'_>) -> Result<ClearingRecord, ClearingError> {
    if c.text(1, 1) != "D" {
        return Err(err(
            c.line,
            "record type",
            "must be D between header and trailer",
        ));
    }
    let code = match c.text(2, 2) {
        "05" => TransactionCode::Presentment,
        "06" => TransactionCode::Credit,
        _ => return Err(err(c.line, "transaction code", "must be 05 or 06")),
    };
    let amount = c.number(71, 12, "amount")?;
    if amount == 0 {
        return Err(err(c.line, "amount", "must be greater than 0"));
    }
    Ok(ClearingRecord {
        line: c.line,
        code,
        rrn: c.trimmed(4, 12),
        terminal_id: c.text(16, 8).to_owned(),
        auth_stan: c.digits(24, 6, "authorization STAN")?.to_owned(),
        auth_transmitted_at: c.digits(30, 10, "authorization DE 7")?.to_owned(),
        message_stan: c.digits(40, 6, "message STAN")?.to_owned(),
        masked_pan: c.trimmed(46, 19),
        approval_code: c.trimmed(65, 6),
        amount,
        currency: c.digits(83, 3, "currency")?.to_owned(),
        transaction_date: c.date(86, "transaction date")?,
        merchant_id: c.trimmed(94, 15),
        brand: c.text(109, 2).to_owned(),
        card_type: c.text(111, 1).to_owned(),
        fee: c.number(112, 12, "interchange fee")? * c.sign(124, "fee sign")?,
    })
}

fn check_trailer(t: &Cols<'_>, records: &[ClearingRecord]) -> Result<(), ClearingError> {
    let of = |code| records.iter().filter(move |r| r.code == code);
    let sum = |code| of(code).map(|r| r.amount).fold(0i64, i64::saturating_add);
    let fees = records
        .iter()
        .map(|r| r.fee)
        .fold(0i64, i64::saturating_add);
    let expected = [
        ("detail count", 2, 8, records.len() as i64),
        (
            "presentment count",
            10,
            8,
            of(TransactionCode::Presentment).count() as i64,
        ),
        (
            "presentment total",
            18,
            16,
            sum(TransactionCode::Presentment),
        ),
        (
            "credit count",
            34,
            8,
            of(TransactionCode::Credit).count() as i64,
        ),
        ("credit total", 42, 16, sum(TransactionCode::Credit)),
        ("interchange net", 58, 16, fees.abs()),
    ];
    for (field, pos, len, want) in expected {
        let got = t.number(pos, len, field)?;
        if got != want {
            return Err(err(
                t.line,
                field,
                format!("is {got}, the details give {want}"),
            ));
        }
    }
    let sign = t.sign(74, "interchange net sign")?;
    if fees != 0 && sign != fees.signum() {
        return Err(err(
            t.line,
            "interchange net sign",
            "disagrees with the details",
        ));
    }
    Ok(())
}
