//! The state of one intent's wallet flow: an object of kind [`SESSION_KIND`] in the
//! merchant's scope (id `eps_{payment_intent}`, tag = the phone's keyed hash, so the test
//! helper finds the messages of this merchant's flows and nothing else). It holds the OTP
//! challenge (hash only), the wallet it proved and the SMS ids sent — never the phone in full.

use crate::easy_pay::WalletCard;
use crate::error::{ApiError, ApiResult};
use crate::models::ThreeDsAttempt;
use crate::otp::Challenge;
use crate::state::AppState;
use paygate_store::Scope;
use paygate_store::{ObjectRow, Op};
use serde::{Deserialize, Serialize};

fn scope_of(row: &ObjectRow) -> Scope {
    Scope {
        merchant_id: row.merchant_id.clone(),
        livemode: row.livemode,
    }
}

/// Object kind of a flow.
pub const SESSION_KIND: &str = "easy_pay_session";

/// One intent's wallet flow.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct Session {
    pub payment_intent: String,
    pub phone_key: Option<String>,
    pub phone_masked: Option<String>,
    pub wallet_id: Option<String>,
    pub challenge: Option<Challenge>,
    /// The phone was proved by SMS in this flow.
    pub verified: bool,
    /// Ids of the SMS the SMS gateway accepted for this flow.
    pub sms_ids: Vec<String>,
    /// A card registration waiting for the issuer's 3-D Secure challenge.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub registration: Option<PendingRegistration>,
    /// That challenge (the 3-D Secure pages read and the RReq writes this field, as in an
    /// intent); after the RReq it holds the CAVV until the verification is sent.
    #[serde(rename = "_three_ds", default, skip_serializing_if = "Option::is_none")]
    pub three_ds: Option<ThreeDsAttempt>,
    /// The secret of the hand-off `/pay/3ds/{eps_…}/start?client_secret=…` while it waits.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_secret: Option<String>,
    /// How the last registration through 3-D Secure ended, told on the next page once.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub outcome: Option<RegistrationOutcome>,
    #[serde(skip)]
    pub version: i64,
    #[serde(skip)]
    pub merchant_id: String,
    #[serde(skip)]
    pub livemode: bool,
}

/// A card sealed in the vault and the new PIN's hash, kept while the payer answers the
/// issuer's challenge; the card joins the wallet only after the account verification.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct PendingRegistration {
    pub card: WalletCard,
    pub pin_hash: String,
}

/// How a card registration ended, as the payer is told.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RegistrationOutcome {
    Registered,
    /// The issuer did not authenticate the cardholder (3-D Secure).
    AuthenticationFailed,
    /// The payer left the issuer's challenge without finishing it.
    Abandoned,
    IncorrectCvc,
    ExpiredCard,
    /// The card needs 3-D Secure, which could not run.
    AuthenticationRequired,
    Declined,
    /// The card could not be checked (the network did not answer).
    Unavailable,
}

/// The object id of the flow of intent `pi`.
pub fn id(pi: &str) -> String {
    format!("eps_{pi}")
}

impl Session {
    /// The flow in its own stored `row` (`eps_…`).
    pub fn from_row(row: &ObjectRow) -> ApiResult<Session> {
        let mut s: Session =
            serde_json::from_value(row.data.clone()).map_err(ApiError::internal)?;
        s.version = row.version;
        s.merchant_id = row.merchant_id.clone();
        s.livemode = row.livemode;
        Ok(s)
    }

    /// The flow of the intent `row`, or a new one.
    pub async fn load(st: &AppState, row: &ObjectRow) -> ApiResult<Session> {
        let found = st.store.get_object(&scope_of(row), &id(&row.id)).await?;
        let mut s = match found {
            Some(r) => {
                let mut s: Session = serde_json::from_value(r.data).map_err(ApiError::internal)?;
                s.version = r.version;
                s
            }
            None => Session {
                payment_intent: row.id.clone(),
                ..Session::default()
            },
        };
        s.merchant_id = row.merchant_id.clone();
        s.livemode = row.livemode;
        Ok(s)
    }

    /// The op that stores it.
    pub fn save(&self, now: i64) -> Op {
        let data = serde_json::to_value(self).unwrap_or_default();
        if self.version == 0 {
            return Op::InsertObject(ObjectRow {
                id: id(&self.payment_intent),
                merchant_id: self.merchant_id.clone(),
                livemode: self.livemode,
                kind: SESSION_KIND.into(),
                parent: Some(self.payment_intent.clone()),
                tag: self.phone_key.clone(),
                due: None,
                created: now,
                version: 1,
                data,
            });
        }
        Op::UpdateObject {
            id: id(&self.payment_intent),
            expected_version: self.version,
            data,
            tag: self.phone_key.clone(),
            due: None,
        }
    }
}
