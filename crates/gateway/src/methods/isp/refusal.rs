//! The ISP server's refusals of a payment as the merchant sees them: the check's code (the
//! server's own, [`IspCheck`] of the protocol crate, passed through as the Stripe error's
//! `code`), its status and type (400 `invalid_request_error` for malformed input, 402
//! `card_error` otherwise) and the `payment_method_data[isp][…]` field it is about.

use crate::error::ApiError;
use paygate_isp::IspCheck;

/// The verify refusal named `code` with `status`, if it is one the contract allows.
pub fn parse(code: &str, status: u16) -> Option<IspCheck> {
    IspCheck::from_code(code).filter(|c| IspCheck::VERIFY.contains(c) && c.http_status() == status)
}

/// The Stripe error of a verify refusal.
pub fn error(check: IspCheck) -> ApiError {
    let param = format!(
        "payment_method_data[isp][{}]",
        check.field().unwrap_or("certificate")
    );
    let message = format!("ISP: {}", check.message());
    if check.http_status() == 400 {
        ApiError::invalid(&param, check.code(), message)
    } else {
        ApiError::card(check.code(), None, message).with_param(&param)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_verify_check_names_its_code_status_and_field() {
        for c in IspCheck::VERIFY {
            assert_eq!(parse(c.code(), c.http_status()), Some(c));
            let e = error(c);
            assert_eq!(e.code, Some(c.code()));
            assert_eq!(e.status.as_u16(), c.http_status());
            let param = e.param.unwrap();
            assert_eq!(
                param,
                format!("payment_method_data[isp][{}]", c.field().unwrap())
            );
        }
        // Enrolment's refusals and a status outside the contract are not a verify answer.
        assert_eq!(parse("isp_card_declined", 402), None);
        assert_eq!(parse("isp_card_mismatch", 400), None);
        assert_eq!(
            error(IspCheck::SignatureReplayed).body()["error"]["type"],
            "card_error"
        );
    }
}
