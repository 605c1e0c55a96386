//! The end of a challenge: the RReq the ACS sends through the DS (the trusted result, answered
//! with RRes or Erro) and the CRes the payer's browser brings back to the notificationURL (which
//! only says the challenge is over: its transStatus must agree with the RReq's).

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use uuid::Uuid;

use crate::messages::{
    Answer, ErrorCode, MESSAGE_VERSION, MessageType, RReq, RRes, TransStatus, ValidationError,
    read_cres_json, read_rreq,
};
use crate::outcome::{Error, Outcome, PendingAuthentication};
use crate::server::{ThreeDsServer, check_eci};

/// What to answer an RReq with, and what it changed.
#[derive(Debug)]
pub struct RreqHandled {
    /// The JSON body to answer with (HTTP 200, `application/json`): an RRes or an Erro.
    pub reply: Vec<u8>,
    /// What happened.
    pub result: RreqResult,
}

/// The effect of an RReq.
#[derive(Debug)]
pub enum RreqResult {
    /// The first RReq of a pending challenge: store `pending` (its `result` now set) and go
    /// on with `outcome`. Answered RRes.
    Accepted {
        pending: Box<PendingAuthentication>,
        outcome: Outcome,
    },
    /// The same RReq again (its RRes was lost): answered RRes again, nothing to store.
    Repeated(Uuid),
    /// Refused (invalid, unknown transaction, ids that do not match, or a different result
    /// for a finished transaction): answered Erro; nothing to store.
    Refused(ValidationError),
}

/// A CRes as read from the `cres` form field.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CresResult {
    /// Our id of the transaction: the key of the caller's record.
    pub three_ds_server_trans_id: Uuid,
    /// The ACS's id (checked against the record by [`CresResult::accept`]).
    pub acs_trans_id: Uuid,
    /// The result the ACS told the browser.
    pub trans_status: TransStatus,
}

/// A CRes that matched its record: store `pending` (now marked as returned) and go on with
/// `outcome`, the RReq's result.
#[derive(Debug)]
pub struct CresAccepted {
    pub pending: Box<PendingAuthentication>,
    pub outcome: Outcome,
}

impl CresResult {
    /// Checks the CRes against the caller's record: same ids, the RReq already accepted, the
    /// same transStatus as the RReq's (the result trusted; the CRes came through the browser).
    /// A second CRes for the record is refused with [`Error::CresReplayed`].
    pub fn accept(&self, pending: &PendingAuthentication) -> Result<CresAccepted, Error> {
        let mismatch = |field: &str, rule| {
            Error::InvalidMessage(ValidationError {
                code: ErrorCode::UnknownTransaction,
                field: field.to_owned(),
                rule,
                message_type: Some(MessageType::CRes.code().to_owned()),
                ids: Default::default(),
            })
        };
        if self.three_ds_server_trans_id != pending.three_ds_server_trans_id {
            return Err(mismatch(
                "threeDSServerTransID",
                "is not this transaction's",
            ));
        }
        if self.acs_trans_id != pending.acs_trans_id {
            return Err(mismatch("acsTransID", "is not this transaction's"));
        }
        if pending.cres_received {
            return Err(Error::CresReplayed);
        }
        let outcome = pending.result.as_ref().ok_or(Error::ResultsPending)?;
        if outcome.trans_status != self.trans_status {
            return Err(Error::InvalidMessage(ValidationError {
                code: ErrorCode::InvalidFormat,
                field: "transStatus".to_owned(),
                rule: "differs from the RReq's",
                message_type: Some(MessageType::CRes.code().to_owned()),
                ids: Default::default(),
            }));
        }
        let outcome = outcome.clone();
        let mut pending = Box::new(pending.clone());
        pending.cres_received = true;
        Ok(CresAccepted { pending, outcome })
    }
}

fn erro_reply(e: ValidationError) -> RreqHandled {
    RreqHandled {
        reply: serde_json::to_vec(&e.to_erro()).expect("an Erro serializes"),
        result: RreqResult::Refused(e),
    }
}

fn rres_reply(rreq: &RReq, result: RreqResult) -> RreqHandled {
    let rres = RRes {
        message_type: MessageType::RRes,
        message_version: MESSAGE_VERSION.to_owned(),
        three_ds_server_trans_id: rreq.three_ds_server_trans_id,
        ds_trans_id: rreq.ds_trans_id,
        acs_trans_id: rreq.acs_trans_id,
        results_status: "01".to_owned(),
    };
    RreqHandled {
        reply: serde_json::to_vec(&rres).expect("an RRes serializes"),
        result,
    }
}

fn refuse(rreq: &RReq, code: ErrorCode, field: &str, rule: &'static str) -> RreqHandled {
    erro_reply(ValidationError {
        code,
        field: field.to_owned(),
        rule,
        message_type: Some(MessageType::RReq.code().to_owned()),
        ids: Box::new(crate::messages::ReceivedIds {
            three_ds_server_trans_id: Some(rreq.three_ds_server_trans_id.to_string()),
            ds_trans_id: Some(rreq.ds_trans_id.to_string()),
            acs_trans_id: Some(rreq.acs_trans_id.to_string()),
        }),
    })
}

impl ThreeDsServer {
    /// Reads an RReq body; an invalid one is answered with Erro (the `Err` is the reply).
    pub fn read_rreq(&self, body: &[u8]) -> Result<RReq, Box<RreqHandled>> {
        read_rreq(body).map_err(|e| Box::new(erro_reply(e)))
    }

    /// Answers a valid RReq against the caller's record of its transaction (`None` when the
    /// caller has no record under `rreq.three_ds_server_trans_id`).
    pub fn answer_rreq(&self, rreq: &RReq, pending: Option<&PendingAuthentication>) -> RreqHandled {
        let unknown = ErrorCode::UnknownTransaction;
        let Some(pending) = pending else {
            return refuse(
                rreq,
                unknown,
                "threeDSServerTransID",
                "names no pending challenge",
            );
        };
        if pending.three_ds_server_trans_id != rreq.three_ds_server_trans_id {
            return refuse(
                rreq,
                unknown,
                "threeDSServerTransID",
                "is not this transaction's",
            );
        }
        if pending.ds_trans_id != rreq.ds_trans_id {
            return refuse(rreq, unknown, "dsTransID", "is not this transaction's");
        }
        if pending.acs_trans_id != rreq.acs_trans_id {
            return refuse(rreq, unknown, "acsTransID", "is not this transaction's");
        }
        if check_eci(rreq.trans_status, rreq.eci.as_deref(), pending.eci_scheme).is_err() {
            return refuse(
                rreq,
                ErrorCode::InvalidFormat,
                "eci",
                "is not the card brand's ECI for the transStatus",
            );
        }
        let outcome = Outcome {
            trans_status: rreq.trans_status,
            trans_status_reason: rreq.trans_status_reason.clone(),
            eci: rreq.eci.clone(),
            authentication_value: rreq.authentication_value.clone(),
            ds_trans_id: rreq.ds_trans_id,
            acs_trans_id: Some(rreq.acs_trans_id),
            message_version: rreq.message_version.clone(),
            challenge_cancel: rreq.challenge_cancel,
        };
        match &pending.result {
            Some(done) if *done == outcome => {
                rres_reply(rreq, RreqResult::Repeated(rreq.three_ds_server_trans_id))
            }
            Some(_) => refuse(
                rreq,
                unknown,
                "threeDSServerTransID",
                "already finished with another result",
            ),
            None => {
                let mut pending = Box::new(pending.clone());
                pending.result = Some(outcome.clone());
                rres_reply(rreq, RreqResult::Accepted { pending, outcome })
            }
        }
    }

    /// [`Self::read_rreq`] then [`Self::answer_rreq`], with the caller's record looked up by
    /// `lookup` (threeDSServerTransID → record).
    pub fn handle_rreq(
        &self,
        body: &[u8],
        lookup: impl FnOnce(Uuid) -> Option<PendingAuthentication>,
    ) -> RreqHandled {
        match self.read_rreq(body) {
            Ok(rreq) => {
                let pending = lookup(rreq.three_ds_server_trans_id);
                self.answer_rreq(&rreq, pending.as_ref())
            }
            Err(reply) => *reply,
        }
    }

    /// Reads the `cres` form field (base64url of the CRes JSON, no padding). An Erro in its
    /// place (the ACS refused the CReq) is [`Error::Erro`]; check the result against the
    /// caller's record with [`CresResult::accept`].
    pub fn read_cres(&self, cres: &str) -> Result<CresResult, Error> {
        let invalid = |code, rule| {
            Error::InvalidMessage(ValidationError {
                code,
                field: "cres".to_owned(),
                rule,
                message_type: None,
                ids: Default::default(),
            })
        };
        if cres.len() > crate::messages::MAX_MESSAGE_BYTES {
            return Err(invalid(ErrorCode::MessageInvalid, "is too large"));
        }
        let json = URL_SAFE_NO_PAD.decode(cres.trim()).map_err(|_| {
            invalid(
                ErrorCode::InvalidFormat,
                "must be base64url without padding",
            )
        })?;
        match read_cres_json(&json)? {
            Answer::Response(c) => Ok(CresResult {
                three_ds_server_trans_id: c.three_ds_server_trans_id,
                acs_trans_id: c.acs_trans_id,
                trans_status: c.trans_status,
            }),
            Answer::Erro(e) => Err(Error::Erro(Box::new(e))),
        }
    }
}
