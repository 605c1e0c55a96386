//! The payer authentication (3-D Secure or ISP) an authorization carries in DE 48.42–45
//! (`docs/iso8583.md`).

use std::fmt;

/// The result of a payer authentication as the authorization carries it in DE 48: subelement
/// 42 the ECI, 43 the CAVV / AAV (or a wallet's cryptogram), 44 the 3-D Secure dsTransID.
/// `Debug` never prints the CAVV.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct CardAuthentication<'a> {
    /// Electronic Commerce Indicator, 2 digits (DE 48.42).
    pub eci: &'a str,
    /// CAVV / AAV / cryptogram, base64 (DE 48.43); `None` for an ECI alone (e.g. "07").
    pub cavv_b64: Option<&'a str>,
    /// The transaction id the CAVV binds, a 36-character UUID (DE 48.44): the 3-D Secure
    /// DS's `dsTransID`, or the ISP server's verification transaction id.
    pub ds_trans_id: Option<&'a str>,
    /// The program that authenticated the cardholder (DE 48.45; absent = 3-D Secure).
    pub program: AuthenticationProgram,
}

/// Which program produced the ECI and CAVV of an authorization, sent as DE 48.45 when it is
/// not 3-D Secure so the issuer knows whose verification the transaction id names.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum AuthenticationProgram {
    /// EMV 3-D Secure (no DE 48.45).
    #[default]
    ThreeDSecure,
    /// ISP (DE 48.45 = "isp").
    Isp,
}

impl AuthenticationProgram {
    /// The value of DE 48.45 for this program; `None` for 3-D Secure, which sends none.
    pub fn de48_value(self) -> Option<&'static str> {
        match self {
            AuthenticationProgram::ThreeDSecure => None,
            AuthenticationProgram::Isp => Some("isp"),
        }
    }
}

impl fmt::Debug for CardAuthentication<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CardAuthentication")
            .field("eci", &self.eci)
            .field("cavv_b64", &self.cavv_b64.map(|_| "<redacted>"))
            .field("ds_trans_id", &self.ds_trans_id)
            .field("program", &self.program)
            .finish()
    }
}
