//! 0100 authorization (or, with DE 25 = 51 and DE 4 = 0, account verification) and 0200
//! purchase (processing code 00), with their credential-on-file data (DE 48.46/47).

use paygate_iso8583::Message;

use super::{Answer, Ctx, Reject, digits, key};
use crate::authentication::{self, Authentication};
use crate::card_present::{self, CardPresent};
use crate::decide;
use crate::store::{self, AuthRow, JournalRow, Key, WalletTokenRow};
use crate::token_service::{self, CryptogramCheck, TokenRange};
use crate::wire::{self, de, de48, pan, rc};

/// A parsed authorization or purchase. Holds the PAN only while it is processed.
pub(crate) struct Auth {
    key: Key,
    purchase: bool,
    pan: String,
    expiry_yymm: String,
    amount_minor: i64,
    currency: u16,
    /// DE 48.42, 48.43 and 48.44 (3-D Secure or ISP), when present.
    eci: Option<String>,
    cavv: Option<String>,
    ds_trans_id: Option<String>,
    /// DE 48.45, the program when it is not 3-D Secure ("isp").
    program: Option<String>,
    /// DE 25 = 51 on a 0100: an account verification (DE 4 = 0, nothing held).
    verification: bool,
    /// DE 48.46 as journaled: "initial", "recurring" or "unscheduled".
    stored_credential: Option<&'static str>,
    /// DE 48.47, the RRN of the stored credential's initial use.
    original_rrn: Option<String>,
    /// DE 22 071 (DE 55) or 901 (DE 35): the card read at a terminal.
    card_present: Option<CardPresent>,
    /// DE 42 without its padding, when sent: the merchant the clearing file names.
    acceptor: Option<String>,
    /// DE 48.50: 할부, the monthly instalments.
    installments: Option<u8>,
}

/// DE 25 of a 0100: absent (an authorization) or "51" (an account verification).
fn is_verification(msg: &Message, purchase: bool) -> Result<bool, Reject> {
    match msg.get_str(de::POS_CONDITION) {
        None => Ok(false),
        Some("51") if !purchase => Ok(true),
        Some(_) => Err(Reject::Format { field: "DE 25" }),
    }
}

/// DE 48.46/47: the usage as journaled and the initial use's RRN, which a merchant-initiated
/// use must carry and an initial one must not.
fn stored_credential(
    subs: &de48::AdditionalData<'_>,
) -> Result<(Option<&'static str>, Option<String>), Reject> {
    let usage = match subs.stored_credential {
        None => return Ok((None, None)),
        Some("I") => "initial",
        Some("R") => "recurring",
        Some(_) => "unscheduled",
    };
    match (usage, subs.original_rrn) {
        ("initial", None) => Ok((Some(usage), None)),
        ("initial", Some(_)) | (_, None) => Err(Reject::Format { field: "DE 48.47" }),
        (_, Some(rrn)) => Ok((Some(usage), Some(rrn.to_owned()))),
    }
}

impl Auth {
    /// Reads DE 2, 4, 7, 11, 14, 41, 49 (required) and DE 48 if present: its subelements must
    /// be of the right form (a CVC2 of 3 or 4 digits, an ECI of 2, a dsTransID UUID). The CVC
    /// itself is not compared with anything (any CVC passes except on the N7 test card) and
    /// never kept.
    pub(crate) fn parse(msg: &Message, purchase: bool) -> Result<Auth, Reject> {
        let key = key(msg)?;
        let verification = is_verification(msg, purchase)?;
        let card_present = CardPresent::parse(msg)?;
        let (pan, expiry_yymm) = match &card_present {
            Some((_, pan, expiry)) => (pan.clone(), expiry.clone()),
            None => {
                let pan = msg
                    .get_str(de::PAN)
                    .filter(|p| pan::well_formed(p))
                    .ok_or(Reject::Format { field: "DE 2" })?;
                (
                    pan.to_owned(),
                    digits(msg, de::EXPIRY, "DE 14", 4)?.to_owned(),
                )
            }
        };
        let amount_minor = msg
            .get(de::AMOUNT)
            .and_then(wire::amount)
            .filter(|a| if verification { *a == 0 } else { *a > 0 })
            .ok_or(Reject::Format { field: "DE 4" })?;
        let currency = msg
            .get(de::CURRENCY)
            .and_then(wire::currency)
            .ok_or(Reject::Format { field: "DE 49" })?;
        let subs = match msg.get(de::ADDITIONAL_DATA) {
            Some(field) => de48::parse(field).map_err(|e| Reject::Format { field: e.field })?,
            None => de48::AdditionalData::default(),
        };
        let (stored_credential, original_rrn) = stored_credential(&subs)?;
        let owned = |v: Option<&str>| v.map(str::to_owned);
        Ok(Auth {
            key,
            purchase,
            pan,
            expiry_yymm,
            amount_minor,
            currency,
            eci: owned(subs.eci),
            cavv: owned(subs.cavv),
            ds_trans_id: owned(subs.ds_trans_id),
            program: owned(subs.program),
            verification,
            stored_credential,
            original_rrn,
            card_present: card_present.map(|(present, _, _)| present),
            acceptor: msg
                .get_str(de::MERCHANT_ID)
                .map(|m| m.trim_end().to_owned())
                .filter(|m| !m.is_empty()),
            installments: subs.installments.and_then(|n| n.parse().ok()),
        })
    }

    /// The token service's check of a device token's cryptogram (DE 48.43): present, and not
    /// used by an earlier authorization.
    fn cryptogram_check(&self, ctx: &Ctx<'_>) -> rusqlite::Result<CryptogramCheck> {
        let Some(cryptogram) = &self.cavv else {
            return Ok(CryptogramCheck::Missing);
        };
        let digest = token_service::cryptogram_digest(cryptogram);
        Ok(if store::cryptogram_used(ctx.db, &digest)? {
            CryptogramCheck::Replayed
        } else {
            CryptogramCheck::Fresh
        })
    }

    /// Records the device token of `auth_id` (masked DPAN and funding card, the check).
    fn record_wallet_token(
        &self,
        ctx: &Ctx<'_>,
        auth_id: i64,
        range: &TokenRange,
        check: CryptogramCheck,
    ) -> rusqlite::Result<()> {
        let digest = match (check, &self.cavv) {
            (CryptogramCheck::Fresh, Some(c)) => Some(token_service::cryptogram_digest(c)),
            _ => None,
        };
        let row = WalletTokenRow {
            dpan_masked: &pan::masked(&self.pan),
            funding_masked: &pan::masked(range.funding_pan),
            check,
            cryptogram_sha256: digest.as_deref(),
        };
        store::insert_wallet_token(ctx.db, auth_id, &row)
    }

    /// The 3-D Secure or ISP check (CAVV, then replay by transaction id against the store).
    /// A device token's cryptogram is the token service's ([`Self::cryptogram_check`]), not a
    /// CAVV: no authentication is checked for it.
    fn authentication(&self, ctx: &Ctx<'_>) -> rusqlite::Result<Authentication> {
        if token_service::resolve(&self.pan).is_some() {
            return Ok(Authentication::None);
        }
        let subs = de48::AdditionalData {
            eci: self.eci.as_deref(),
            cavv: self.cavv.as_deref(),
            ds_trans_id: self.ds_trans_id.as_deref(),
            program: self.program.as_deref(),
            ..de48::AdditionalData::default()
        };
        let checked = authentication::check(
            ctx.cavv_key,
            &self.pan,
            self.amount_minor,
            self.currency,
            &subs,
        );
        match (checked, &self.ds_trans_id) {
            (Authentication::Verified, Some(ds)) if store::ds_trans_id_used(ctx.db, ds)? => {
                Ok(Authentication::Failed)
            }
            (other, _) => Ok(other),
        }
    }

    /// DE 39 for this request: the test card's verdict, unless the acquirer already reversed
    /// it, its 3-D Secure authentication does not hold, a fault declines it, or the
    /// open-to-buy is short.
    fn response_code(
        &self,
        ctx: &mut Ctx<'_>,
        verdict: &decide::Verdict,
        card: &str,
        authentication: Authentication,
        reversed_before: bool,
        cryptogram: Option<&'static str>,
    ) -> rusqlite::Result<&'static str> {
        if let Some(code) = cryptogram {
            // A card-present cryptogram that does not verify (82), or a counter already seen (05).
            return Ok(code);
        }
        if reversed_before {
            // The acquirer gave up on this request and reversed it before it arrived: honouring
            // it now would hold funds nobody will ever capture or release.
            return Ok(rc::INVALID_TRANSACTION);
        }
        if authentication == Authentication::Failed {
            // A 3-D Secure payment whose authentication does not hold: do not honour.
            return Ok(rc::DO_NOT_HONOUR);
        }
        if verdict.approves()
            && let Some(code) = ctx.faults.decline()
        {
            // An injected decline (faults at run time): journaled like the issuer's.
            return Ok(code);
        }
        if verdict.approves()
            && store::available(ctx.db, card, self.currency, ctx.open_to_buy_minor)?
                < self.amount_minor
        {
            return Ok(rc::INSUFFICIENT_FUNDS);
        }
        Ok(verdict.code)
    }

    /// Stores the ECI and the verdict on the authentication (a verified DS transaction id is
    /// used up: the same one again is a replay).
    fn record_authentication(
        &self,
        ctx: &mut Ctx<'_>,
        auth_id: i64,
        authentication: Authentication,
    ) -> rusqlite::Result<()> {
        if self.eci.is_none() && authentication == Authentication::None {
            return Ok(());
        }
        let used = (authentication == Authentication::Verified)
            .then_some(self.ds_trans_id.as_deref())
            .flatten();
        store::insert_authentication(ctx.db, auth_id, self.eci.as_deref(), authentication, used)?;
        match &self.program {
            Some(program) => store::insert_authentication_program(ctx.db, auth_id, program),
            None => Ok(()),
        }
    }

    /// Stores the credential-on-file data, when the request carried any.
    fn record_stored_credential(&self, ctx: &mut Ctx<'_>, auth_id: i64) -> rusqlite::Result<()> {
        match self.stored_credential {
            Some(usage) => store::insert_stored_credential(
                ctx.db,
                auth_id,
                usage,
                self.original_rrn.as_deref(),
            ),
            None => Ok(()),
        }
    }

    /// Decides by test card, then holds (0100) or captures (0200) the amount against the card
    /// account's open-to-buy; records the authorization and journals it.
    pub(crate) fn apply(&self, ctx: &mut Ctx<'_>) -> rusqlite::Result<Answer> {
        if let Some(prev) = store::recorded_answer(ctx.db, &self.key)? {
            return Ok(prev.into());
        }
        let authentication = self.authentication(ctx)?;
        let token = token_service::resolve(&self.pan);
        let funding_pan = token.map_or(self.pan.as_str(), |t| t.funding_pan);
        // A card read at a terminal: the ARQC or CVC3 and the device's counter (per DPAN).
        let checked = self.check_card_present(ctx, &pan::masked(&self.pan))?;
        let present_refusal = checked.as_ref().and_then(|c| c.refusal);
        let cryptogram = match (token, &checked) {
            (None, _) => None,
            // A token read at a terminal carries its cryptogram in DE 55 / DE 35, checked above.
            (Some(_), Some(c)) => c.refusal.is_none().then_some(CryptogramCheck::Fresh),
            (Some(_), None) => Some(self.cryptogram_check(ctx)?),
        };
        let verdict = match cryptogram {
            // A device token without a fresh cryptogram: do not honour, whatever the card.
            Some(CryptogramCheck::Missing | CryptogramCheck::Replayed) => {
                decide::Verdict::declined()
            }
            _ => decide::decide(funding_pan, &self.expiry_yymm, ctx.now_yymm)
                .authenticated(authentication == Authentication::Verified),
        };
        let card = pan::masked(funding_pan);
        let reversed_before = store::reversal_seen(
            ctx.db,
            &self.key.terminal_id,
            &self.key.stan,
            &self.key.transmitted_at,
        )?;
        let code = self.response_code(
            ctx,
            &verdict,
            &card,
            authentication,
            reversed_before,
            present_refusal,
        )?;
        let approved = code == rc::APPROVED;
        if approved {
            store::add_used(ctx.db, &card, self.currency, self.amount_minor)?;
        }
        let (rrn, approval) = ctx.allocate_rrn();
        let approval_code = approved.then_some(approval);
        let row = self.row(card, code, approved, &rrn, reversed_before);
        let auth_id = store::insert_auth(ctx.db, &self.key, &row)?;
        self.record_authentication(ctx, auth_id, authentication)?;
        self.record_stored_credential(ctx, auth_id)?;
        if let Some(acceptor) = &self.acceptor {
            store::insert_acceptor(ctx.db, auth_id, acceptor)?;
        }
        if let Some(n) = self.installments {
            store::insert_installments(ctx.db, auth_id, n)?;
        }
        if let (Some(present), Some(checked)) = (&self.card_present, &checked) {
            store::insert_card_present(
                ctx.db,
                auth_id,
                present.read_method(),
                present.wallet(),
                checked.atc,
                &pan::masked(&self.pan),
            )?;
        }
        let icc_data = match (&self.card_present, checked.and_then(|c| c.session_key)) {
            (Some(present), Some(sk)) => {
                card_present::issuer_authentication_data(&sk, present, code)
            }
            _ => None,
        };
        if let (Some(range), Some(check)) = (token, cryptogram) {
            self.record_wallet_token(ctx, auth_id, range, check)?;
        }
        ctx.journal(&JournalRow {
            kind: if self.verification {
                "account_verification"
            } else {
                "authorization"
            },
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
            icc_data,
            funding_last4: token.map(|t| t.funding_pan[t.funding_pan.len() - 4..].to_owned()),
        })
    }

    /// For a card read at a terminal: the ARQC or CVC3 (82 when it fails), then the card's
    /// application transaction counter, which must be above the last one this issuer saw (05
    /// otherwise: a replayed or cloned read). A verified counter is remembered.
    fn check_card_present(
        &self,
        ctx: &Ctx<'_>,
        card: &str,
    ) -> rusqlite::Result<Option<card_present::Checked>> {
        let Some(present) = &self.card_present else {
            return Ok(None);
        };
        let mut checked = present.check(&self.pan);
        if checked.refusal.is_none() {
            let last = store::last_atc(ctx.db, card)?;
            if last.is_some_and(|last| checked.atc <= last) {
                checked.refusal = Some(rc::DO_NOT_HONOUR);
            } else {
                store::save_atc(ctx.db, card, checked.atc)?;
            }
        }
        Ok(Some(checked))
    }

    /// The authorization's row: an approved 0100 holds the amount, an approved 0200 captures it.
    fn row(&self, card: String, code: &str, approved: bool, rrn: &str, reversed: bool) -> AuthRow {
        AuthRow {
            id: 0,
            mti: self.key.mti.clone(),
            card,
            currency: self.currency,
            amount_minor: self.amount_minor,
            response_code: code.to_owned(),
            rrn: rrn.to_owned(),
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
            reversed,
        }
    }
}
