//! Messages that refer to an earlier authorization or purchase through DE 41 + DE 90:
//! 0220 capture (completion advice), 0200 refund (processing code 20) and 0400 reversal.

use paygate_iso8583::Message;

use super::{Answer, Ctx, Reject, key};
use crate::store::{self, AuthRow, JournalRow, Key};
use crate::wire::{self, de, de90, mti, rc};

/// Which follow-up.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum FollowUpKind {
    /// 0220: capture up to the authorized amount; the rest of the hold is released.
    Capture,
    /// 0200/20: give back up to the captured amount.
    Refund,
    /// 0400: void an uncaptured authorization or an unrefunded purchase.
    Reversal,
}

impl FollowUpKind {
    fn name(self) -> &'static str {
        match self {
            FollowUpKind::Capture => "capture",
            FollowUpKind::Refund => "refund",
            FollowUpKind::Reversal => "reversal",
        }
    }
}

/// A parsed follow-up.
pub(crate) struct FollowUp {
    kind: FollowUpKind,
    key: Key,
    orig: de90::Original,
    rrn: Option<String>,
    amount_minor: Option<i64>,
    currency: Option<u16>,
}

impl FollowUp {
    /// Reads DE 7, 11, 41, 90 (all), DE 4, 37, 49 (required for captures and refunds; DE 4 and
    /// 49 of a reversal are informational: reversals are always full).
    pub(crate) fn parse(msg: &Message, kind: FollowUpKind) -> Result<FollowUp, Reject> {
        let key = key(msg)?;
        let orig = msg
            .get(de::ORIGINAL_DATA)
            .and_then(de90::parse)
            .ok_or(Reject::Format { field: "DE 90" })?;
        let required = kind != FollowUpKind::Reversal;
        let amount_minor = optional(msg, de::AMOUNT, "DE 4", required, |v| {
            wire::amount(v).filter(|a| *a > 0)
        })?;
        let currency = optional(msg, de::CURRENCY, "DE 49", required, wire::currency)?;
        let rrn = optional(msg, de::RRN, "DE 37", required, |v| {
            std::str::from_utf8(v)
                .ok()
                .filter(|r| r.len() == 12)
                .map(str::to_owned)
        })?;
        Ok(FollowUp {
            kind,
            key,
            orig,
            rrn,
            amount_minor,
            currency,
        })
    }

    /// Finds the original by (this message's DE 41, DE 90 STAN, DE 90 DE 7), applies the
    /// follow-up, journals it.
    pub(crate) fn apply(&self, ctx: &mut Ctx<'_>) -> rusqlite::Result<Answer> {
        if let Some(prev) = store::recorded_answer(ctx.db, &self.key)? {
            return Ok(prev.into());
        }
        let mut original = store::find_auth(
            ctx.db,
            &self.key.terminal_id,
            &self.orig.stan,
            &self.orig.transmitted_at,
        )?
        .filter(|a| a.mti == self.orig.mti);
        let code = match (&mut original, self.kind) {
            // Never seen (lost before it reached us): nothing to undo, and answering 00 lets
            // the acquirer's repeated reversal terminate. The journal row also makes a late
            // arrival of the original get declined.
            (None, FollowUpKind::Reversal) => rc::APPROVED,
            (None, _) => rc::INVALID_TRANSACTION,
            (Some(a), FollowUpKind::Capture) => self.capture(ctx, a)?,
            (Some(a), FollowUpKind::Refund) => self.refund(ctx, a)?,
            (Some(a), FollowUpKind::Reversal) => reverse(ctx, a)?,
        };
        let (rrn, approval_code) = if code == rc::APPROVED {
            let (rrn, approval) = ctx.allocate_rrn();
            (Some(rrn), Some(approval))
        } else {
            (None, None)
        };
        self.journal(ctx, original.as_ref(), code, &rrn, &approval_code)?;
        Ok(Answer {
            funding_last4: None,
            code: code.to_owned(),
            rrn,
            approval_code,
            answered: true,
            icc_data: None,
        })
    }

    /// Checks shared by captures and refunds: approved, not reversed, same RRN and currency.
    fn matches(&self, a: &AuthRow) -> bool {
        a.response_code == rc::APPROVED
            && !a.reversed
            && self.rrn.as_deref() == Some(a.rrn.as_str())
            && self.currency == Some(a.currency)
    }

    fn capture(&self, ctx: &Ctx<'_>, a: &mut AuthRow) -> rusqlite::Result<&'static str> {
        if a.mti != mti::AUTHORIZATION || a.captures > 0 || !self.matches(a) {
            return Ok(rc::INVALID_TRANSACTION);
        }
        let amount = self.amount_minor.unwrap_or(0);
        if amount > a.amount_minor {
            return Ok(rc::INVALID_AMOUNT);
        }
        store::add_used(ctx.db, &a.card, a.currency, -(a.hold_minor - amount))?;
        a.hold_minor = 0;
        a.captured_minor = amount;
        a.captures += 1;
        store::update_auth(ctx.db, a)?;
        Ok(rc::APPROVED)
    }

    fn refund(&self, ctx: &Ctx<'_>, a: &mut AuthRow) -> rusqlite::Result<&'static str> {
        if !self.matches(a) {
            return Ok(rc::INVALID_TRANSACTION);
        }
        let amount = self.amount_minor.unwrap_or(0);
        if a.refunded_minor + amount > a.captured_minor {
            return Ok(rc::INVALID_AMOUNT);
        }
        store::add_used(ctx.db, &a.card, a.currency, -amount)?;
        a.refunded_minor += amount;
        store::update_auth(ctx.db, a)?;
        Ok(rc::APPROVED)
    }

    fn journal(
        &self,
        ctx: &Ctx<'_>,
        original: Option<&AuthRow>,
        code: &str,
        rrn: &Option<String>,
        approval_code: &Option<String>,
    ) -> rusqlite::Result<()> {
        ctx.journal(&JournalRow {
            kind: self.kind.name(),
            mti: self.key.mti.clone(),
            terminal_id: Some(self.key.terminal_id.clone()),
            stan: Some(self.key.stan.clone()),
            transmitted_at: Some(self.key.transmitted_at.clone()),
            amount_minor: self.amount_minor,
            currency: self.currency,
            response_code: code.to_owned(),
            rrn: rrn.clone(),
            approval_code: approval_code.clone(),
            answered: true,
            auth_id: original.map(|a| a.id),
            original_stan: Some(self.orig.stan.clone()),
            original_transmitted_at: Some(self.orig.transmitted_at.clone()),
            original_found: Some(original.is_some()),
        })
    }
}

/// Voids `a`: releases what it still holds or captured. Idempotent (a reversed original answers
/// 00 and changes nothing); refused (12) once captured by a 0220 or partly refunded.
fn reverse(ctx: &Ctx<'_>, a: &mut AuthRow) -> rusqlite::Result<&'static str> {
    if a.reversed {
        return Ok(rc::APPROVED);
    }
    if a.captures > 0 || a.refunded_minor > 0 {
        return Ok(rc::INVALID_TRANSACTION);
    }
    let release = a.hold_minor + a.captured_minor;
    if release > 0 {
        store::add_used(ctx.db, &a.card, a.currency, -release)?;
    }
    a.hold_minor = 0;
    a.captured_minor = 0;
    a.reversed = true;
    store::update_auth(ctx.db, a)?;
    Ok(rc::APPROVED)
}

/// A field that must parse when present, and be present when `required`.
fn optional<T>(
    msg: &Message,
    de: u8,
    field: &'static str,
    required: bool,
    parse: impl Fn(&[u8]) -> Option<T>,
) -> Result<Option<T>, Reject> {
    match msg.get(de) {
        Some(v) => parse(v).map(Some).ok_or(Reject::Format { field }),
        None if required => Err(Reject::Format { field }),
        None => Ok(None),
    }
}
