//! The state of one intent's wallet flow: an object of kind [`SESSION_KIND`] in the
//! merchant's scope (id `eps_{payment_intent}`, tag = the phone's keyed hash, so the test
//! helper finds the messages of this merchant's flows and nothing else). It holds the OTP
//! challenge (hash only), the wallet it proved and the SMS ids sent — never the phone in full.

use crate::error::{ApiError, ApiResult};
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
    #[serde(skip)]
    pub version: i64,
    #[serde(skip)]
    pub merchant_id: String,
    #[serde(skip)]
    pub livemode: bool,
}

fn id(pi: &str) -> String {
    format!("eps_{pi}")
}

impl Session {
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
