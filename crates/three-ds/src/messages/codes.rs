//! The coded values of EMV 3DS 2.2.0 messages as enums: each variant knows its wire string, and a
//! string that is none of them does not parse (the reader turns that into Erro 203).

use serde::de::Error as _;

/// Defines a `Copy` enum whose variants travel as fixed strings, with `code`, `parse`, `ALL` and
/// serde impls that use the wire string.
macro_rules! wire_code {
    ($(#[$m:meta])* $name:ident { $($(#[$vm:meta])* $var:ident = $code:literal),+ $(,)? }) => {
        $(#[$m])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        pub enum $name { $($(#[$vm])* $var),+ }

        impl $name {
            /// Every value, in declaration order.
            pub const ALL: &'static [$name] = &[$($name::$var),+];

            /// The string this value travels as.
            pub fn code(self) -> &'static str {
                match self { $($name::$var => $code),+ }
            }

            /// The value a wire string stands for; `None` for anything else.
            pub fn parse(s: &str) -> Option<$name> {
                match s { $($code => Some($name::$var),)+ _ => None }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.code())
            }
        }

        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.code())
            }
        }

        impl<'de> serde::Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let s = String::deserialize(d)?;
                $name::parse(&s).ok_or_else(|| {
                    D::Error::custom(format!("{s:?} is not a {}", stringify!($name)))
                })
            }
        }
    };
}

wire_code! {
    /// `messageType`.
    MessageType {
        /// Preparation request (3DS Server → DS): download the card ranges.
        PReq = "PReq",
        /// Preparation response (DS → 3DS Server).
        PRes = "PRes",
        /// Authentication request (3DS Server → DS → ACS).
        AReq = "AReq",
        /// Authentication response.
        ARes = "ARes",
        /// Challenge request (browser → ACS).
        CReq = "CReq",
        /// Challenge response (ACS → browser → notificationURL).
        CRes = "CRes",
        /// Results request (ACS → DS → 3DS Server) after a challenge.
        RReq = "RReq",
        /// Results response (3DS Server → DS → ACS).
        RRes = "RRes",
        /// Error message, from any component.
        Erro = "Erro",
    }
}

wire_code! {
    /// `transStatus`: the result of an authentication (protocols.md §3.3).
    TransStatus {
        /// Authenticated.
        Authenticated = "Y",
        /// Not authenticated: the issuer denies (do not authorize with authentication).
        NotAuthenticated = "N",
        /// Authentication could not be performed (technical problem).
        Unavailable = "U",
        /// Attempted: not authenticated, but a proof of the attempt is given.
        Attempted = "A",
        /// A challenge is required (ARes only).
        ChallengeRequired = "C",
        /// Rejected by the issuer: do not authorize.
        Rejected = "R",
    }
}

impl TransStatus {
    /// Whether this result comes with an ECI and an authenticationValue (Y and A).
    pub fn carries_cavv(self) -> bool {
        matches!(self, TransStatus::Authenticated | TransStatus::Attempted)
    }

    /// Whether the message must say why (`transStatusReason` for N, U and R).
    pub fn needs_reason(self) -> bool {
        matches!(
            self,
            TransStatus::NotAuthenticated | TransStatus::Unavailable | TransStatus::Rejected
        )
    }
}

wire_code! {
    /// `threeDSRequestorChallengeInd`: what the merchant asks for.
    ChallengeInd {
        /// No preference.
        NoPreference = "01",
        /// No challenge requested.
        NoChallenge = "02",
        /// Challenge requested (3DS Requestor preference).
        Preferred = "03",
        /// Challenge requested (mandate).
        Mandated = "04",
    }
}

wire_code! {
    /// `challengeCancel` in an RReq: why a challenge ended without the cardholder's answer.
    ChallengeCancel {
        /// The cardholder cancelled.
        CardholderCancelled = "01",
        /// The challenge timed out at the ACS.
        TimedOut = "04",
        /// The first CReq did not reach the ACS in time.
        CreqNotReceived = "05",
    }
}

wire_code! {
    /// `deviceChannel`.
    DeviceChannel {
        /// App-based (3DS SDK).
        App = "01",
        /// Browser-based: the only channel paygate sends.
        Browser = "02",
        /// 3DS Requestor initiated.
        RequestorInitiated = "03",
    }
}

wire_code! {
    /// `messageCategory`.
    MessageCategory {
        /// Payment authentication.
        Payment = "01",
        /// Non-payment authentication.
        NonPayment = "02",
    }
}

wire_code! {
    /// `challengeWindowSize` of a CReq (browser channel).
    ChallengeWindowSize {
        /// 250 x 400.
        Small = "01",
        /// 390 x 400.
        Medium = "02",
        /// 500 x 600.
        Large = "03",
        /// 600 x 400.
        Wide = "04",
        /// Full screen.
        FullScreen = "05",
    }
}

wire_code! {
    /// `errorComponent` of an Erro: who found the error.
    ErrorComponent {
        /// The Directory Server.
        Ds = "D",
        /// The ACS.
        Acs = "A",
        /// The 3DS Server (paygate).
        Server = "S",
    }
}

wire_code! {
    /// `errorCode` of an Erro (the codes of the contract).
    ErrorCode {
        /// Message received invalid / not recognised (e.g. wrong messageType).
        MessageInvalid = "101",
        /// messageVersion not supported.
        VersionNotSupported = "102",
        /// A required data element is missing.
        RequiredMissing = "201",
        /// The format of one or more data elements is invalid.
        InvalidFormat = "203",
        /// Transaction ID not recognised.
        UnknownTransaction = "301",
        /// Transaction timed out.
        TimedOut = "402",
        /// System connection failure.
        ConnectionFailure = "405",
    }
}

impl ErrorCode {
    /// The `errorDescription` paygate sends with this code.
    pub fn description(self) -> &'static str {
        match self {
            ErrorCode::MessageInvalid => "Message received invalid",
            ErrorCode::VersionNotSupported => "Message version number not supported",
            ErrorCode::RequiredMissing => "A message element required is missing",
            ErrorCode::InvalidFormat => "Format of one or more elements is invalid",
            ErrorCode::UnknownTransaction => "Transaction ID not recognised",
            ErrorCode::TimedOut => "Transaction timed out",
            ErrorCode::ConnectionFailure => "System connection failure",
        }
    }
}

wire_code! {
    /// `acsChallengeMandated` of an ARes C.
    ChallengeMandated {
        /// The challenge is mandated (e.g. by local regulation).
        Yes = "Y",
        /// Not mandated.
        No = "N",
    }
}

wire_code! {
    /// `authenticationType`.
    AuthenticationType {
        /// Static passcode (the 안심클릭 password).
        StaticPasscode = "01",
        /// SMS OTP.
        SmsOtp = "02",
        /// Key fob or EMV card reader OTP.
        KeyFobOtp = "03",
        /// App OTP.
        AppOtp = "04",
        /// OTP by other means.
        OtherOtp = "05",
        /// Knowledge-based authentication.
        Kba = "06",
        /// Out-of-band biometrics.
        OobBiometrics = "07",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_code_round_trips_through_its_wire_string() {
        for t in MessageType::ALL {
            assert_eq!(MessageType::parse(t.code()), Some(*t));
        }
        for s in TransStatus::ALL {
            let json = serde_json::to_string(s).unwrap();
            assert_eq!(serde_json::from_str::<TransStatus>(&json).unwrap(), *s);
        }
        assert_eq!(TransStatus::parse("D"), None);
        assert_eq!(ErrorCode::parse("203"), Some(ErrorCode::InvalidFormat));
        assert!(serde_json::from_str::<ChallengeInd>("\"05\"").is_err());
    }
}
