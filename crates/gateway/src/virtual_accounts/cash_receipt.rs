//! 현금영수증 (cash receipts) of cash-type payments: `cash_receipt[type]` =
//! `income_deduction` (소득공제, the payer's mobile number or cash-receipt card number) or
//! `expense_proof` (지출증빙, a business registration number, checked by its check digit),
//! `cash_receipt[identifier]`. Only the masked identifier is kept: it is shown on the charge.

use crate::error::{ApiError, ApiResult};
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// Which receipt the payer asked for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReceiptType {
    IncomeDeduction,
    ExpenseProof,
}

/// A requested cash receipt as stored and shown.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CashReceipt {
    #[serde(rename = "type")]
    pub kind: ReceiptType,
    /// The identifier with all but its last 4 digits hidden.
    pub identifier: String,
}

fn digits(s: &str) -> String {
    s.chars().filter(|c| *c != '-' && *c != ' ').collect()
}

/// Whether a 10-digit 사업자등록번호 passes its check digit.
fn business_number_ok(n: &str) -> bool {
    let d: Vec<u32> = n.chars().filter_map(|c| c.to_digit(10)).collect();
    if d.len() != 10 || n.len() != 10 {
        return false;
    }
    let w = [1, 3, 7, 1, 3, 7, 1, 3, 5];
    let mut sum: u32 = d.iter().zip(w).map(|(a, b)| a * b).sum();
    sum += d[8] * 5 / 10;
    (10 - sum % 10) % 10 == d[9]
}

fn mask(n: &str) -> String {
    let keep = n.len().min(4);
    format!("{}{}", "*".repeat(n.len() - keep), &n[n.len() - keep..])
}

/// Reads `cash_receipt[...]` from the request's parameters (`None` when not given).
pub fn parse(raw: Option<&Value>) -> ApiResult<Option<CashReceipt>> {
    let Some(obj) = raw.filter(|v| !v.is_null() && v.as_str() != Some("")) else {
        return Ok(None);
    };
    let Some(obj) = obj.as_object() else {
        return Err(ApiError::bad_param(
            "cash_receipt",
            "must be an object with type and identifier",
        ));
    };
    if let Some(k) = obj.keys().find(|k| *k != "type" && *k != "identifier") {
        return Err(ApiError::unknown_param(&format!("cash_receipt[{k}]")));
    }
    let kind = match obj.get("type").and_then(Value::as_str) {
        Some("income_deduction") => ReceiptType::IncomeDeduction,
        Some("expense_proof") => ReceiptType::ExpenseProof,
        Some(_) => {
            return Err(ApiError::bad_param(
                "cash_receipt[type]",
                "must be income_deduction or expense_proof",
            ));
        }
        None => return Err(ApiError::missing("cash_receipt[type]")),
    };
    let id = obj.get("identifier").and_then(Value::as_str).map(digits);
    let Some(id) = id.filter(|s| !s.is_empty()) else {
        return Err(ApiError::missing("cash_receipt[identifier]"));
    };
    let all_digits = id.bytes().all(|b| b.is_ascii_digit());
    let ok = all_digits
        && match kind {
            ReceiptType::IncomeDeduction => {
                (id.starts_with("01") && (10..=11).contains(&id.len())) || id.len() == 18
            }
            ReceiptType::ExpenseProof => business_number_ok(&id),
        };
    if !ok {
        let rule = match kind {
            ReceiptType::IncomeDeduction => {
                "for income_deduction, a mobile number (01012345678) or an 18-digit cash receipt card number"
            }
            ReceiptType::ExpenseProof => {
                "for expense_proof, a 10-digit business registration number with a valid check digit"
            }
        };
        return Err(ApiError::bad_param("cash_receipt[identifier]", rule));
    }
    Ok(Some(CashReceipt {
        kind,
        identifier: mask(&id),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn identifiers_are_checked_by_type_and_kept_masked() {
        let r = parse(Some(
            &json!({"type": "income_deduction", "identifier": "010-1234-5678"}),
        ))
        .unwrap()
        .unwrap();
        assert_eq!(r.identifier, "*******5678");
        // 220-81-62517 passes the check digit, 220-81-62518 does not.
        assert!(
            parse(Some(
                &json!({"type": "expense_proof", "identifier": "2208162517"})
            ))
            .is_ok()
        );
        let e = parse(Some(
            &json!({"type": "expense_proof", "identifier": "2208162518"}),
        ))
        .unwrap_err();
        assert_eq!(e.param.as_deref(), Some("cash_receipt[identifier]"));
        let e = parse(Some(&json!({"type": "gift", "identifier": "01012345678"}))).unwrap_err();
        assert_eq!(e.param.as_deref(), Some("cash_receipt[type]"));
        assert!(parse(Some(&json!({"type": "income_deduction"}))).is_err());
        assert!(parse(None).unwrap().is_none());
    }
}
