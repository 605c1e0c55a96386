//! EMV 3-D Secure 2.2.0 messages as paygate's 3DS Server sends and receives them (the wire
//! contract it shares with the DS + ACS simulator, `crates/sim/threeds`, which implements its
//! side independently): typed structs with the exact JSON names
//! ([`wire`]), the coded values as enums ([`codes`]), and readers that validate every received
//! message and name the offending field ([`read`], [`ValidationError`]).
//!
//! Every value travels as a JSON string; `messageVersion` is always "2.2.0".

pub mod codes;
mod fields;
pub mod read;
pub mod wire;

pub use codes::{
    AuthenticationType, ChallengeCancel, ChallengeInd, ChallengeMandated, ChallengeWindowSize,
    DeviceChannel, ErrorCode, ErrorComponent, MessageCategory, MessageType, TransStatus,
};
pub use fields::{MAX_MESSAGE_BYTES, ReceivedIds, ValidationError};
pub use read::{
    Answer, ReceivedErro, read_ares, read_cres_json, read_erro_message, read_pres, read_rreq,
};
pub use wire::{
    AReq, ARes, AcctNumber, AuthenticationValue, CReq, CRes, CardRangeData, Erro, MESSAGE_VERSION,
    PReq, PRes, RReq, RRes,
};

#[cfg(test)]
mod tests;
