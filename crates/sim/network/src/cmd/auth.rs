//! 0100 authorization and 0200 purchase (processing code 00).

use paygate_iso8583::Message;

use super::{Answer, Ctx, Reject, digits, key};
use crate::decide;
use crate::store::{self, AuthRow, JournalRow, Key};
use crate::wire::{self, de, de48, pan, rc};

/// A parsed authorization or purchase. Holds the PAN only while it is processed.
pub(crate) struct Auth {
    key: Key,
    purchase: bool,
    pan: String,
    expiry_yymm: String,
    amount_minor: i64,
    currency: u16,
}

impl Auth {
    /// Reads DE 2, 4, 7, 11, 14, 41, 49 (required) and checks DE 48 if present.
    pub(crate) fn parse(msg: &Message, purchase: bool) -> Result<Auth, Reject> {
        let key = key(msg)?;
        let pan = msg
            .get_str(de::PAN)
            .filter(|p| pan::well_formed(p))
            .ok_or(Reject::Format { field: "DE 2" })?;
        let amount_minor = msg
            .get(de::AMOUNT)
            .and_then(wire::amount)
            .filter(|a| *a > 0)
            .ok_or(Reject::Format { field: "DE 4" })?;
        let currency = msg
            .get(de::CURRENCY)
            .and_then(wire::currency)
            .ok_or(Reject::Format { field: "DE 49" })?;
        let expiry_yymm = digits(msg, de::EXPIRY, "DE 14", 4)?;
        if let Some(field) = msg.get(de::ADDITIONAL_DATA) {
            check_de48(field)?;
        }
        Ok(Auth {
            key,
            purchase,
            pan: pan.to_owned(),
            expiry_yymm: expiry_yymm.to_owned(),
            amount_minor,
            currency,
        })
    }

    /// Decides by test card, then holds (0100) or captures (0200) the amount against the card
    /// account's open-to-buy; records the authorization and journals it.
    pub(crate) fn apply(&self, ctx: &mut Ctx<'_>) -> rusqlite::Result<Answer> {
        if let Some(prev) = store::recorded_answer(ctx.db, &self.key)? {
            return Ok(prev.into());
        }
        let verdict = decide::decide(&self.pan, &self.expiry_yymm, ctx.now_yymm);
        let card = pan::masked(&self.pan);
        let mut code = verdict.code;
        let reversed_before = store::reversal_seen(
            ctx.db,
            &self.key.terminal_id,
            &self.key.stan,
            &self.key.transmitted_at,
        )?;
        if reversed_before {
            // The acquirer gave up on this request and reversed it before it arrived: honouring
            // it now would hold funds nobody will ever capture or release.
            code = rc::INVALID_TRANSACTION;
        } else if verdict.approves()
            && store::available(ctx.db, &card, self.currency, ctx.open_to_buy_minor)?
                < self.amount_minor
        {
            code = rc::INSUFFICIENT_FUNDS;
        }
        let approved = code == rc::APPROVED;
        if approved {
            store::add_used(ctx.db, &card, self.currency, self.amount_minor)?;
        }
        let (rrn, approval) = ctx.allocate_rrn();
        let approval_code = approved.then_some(approval);
        let row = AuthRow {
            id: 0,
            mti: self.key.mti.clone(),
            card,
            currency: self.currency,
            amount_minor: self.amount_minor,
            response_code: code.to_owned(),
            rrn: rrn.clone(),
            hold_minor: if approved && !self.purchase {
                self.amount_minor
            } else {
                0
            },
            captured_minor: if approved && self.purchase {
                self.amount_minor
            } else {
                0
            },
            refunded_minor: 0,
            captures: 0,
            reversed: reversed_before,
        };
        let auth_id = store::insert_auth(ctx.db, &self.key, &row)?;
        ctx.journal(&JournalRow {
            kind: "authorization",
            mti: self.key.mti.clone(),
            terminal_id: Some(self.key.terminal_id.clone()),
            stan: Some(self.key.stan.clone()),
            transmitted_at: Some(self.key.transmitted_at.clone()),
            amount_minor: Some(self.amount_minor),
            currency: Some(self.currency),
            response_code: code.to_owned(),
            rrn: Some(rrn.clone()),
            approval_code: approval_code.clone(),
            answered: verdict.answer,
            auth_id: Some(auth_id),
            ..JournalRow::default()
        })?;
        Ok(Answer {
            code: code.to_owned(),
            rrn: Some(rrn),
            approval_code,
            answered: verdict.answer,
        })
    }
}

/// DE 48 must be well-formed subelements of the right form (a CVC2 of 3 or 4 digits, an ECI
/// of 2). The CVC itself is not compared with anything (any CVC passes except on the N7 test
/// card) and never stored.
fn check_de48(field: &[u8]) -> Result<(), Reject> {
    de48::parse(field)
        .map(|_| ())
        .map_err(|e| Reject::Format { field: e.field })
}
