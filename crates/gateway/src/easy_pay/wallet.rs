//! The wallet document, its cards and its PIN state, read and written as one object with
//! optimistic concurrency (the stored version).

use super::audit::{AuditEvent, entry};
use super::pin::{self, LOCK_S, PIN_WRONG_MAX};
use super::{PLATFORM, WALLET_KIND};
use crate::card_vault::RemoteRecord;
use crate::error::{ApiError, ApiResult};
use crate::ids::new_id;
use crate::state::AppState;
use paygate_store::{ObjectRow, Op};
use paygate_vault::{CardData, Expiry, Pan};
use serde::{Deserialize, Serialize};

/// Most cards one wallet holds.
pub const CARDS_MAX: usize = 5;

/// A card of a wallet: its vault record and what pages and merchants may see.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct WalletCard {
    /// `ewc_…`, the `card` choice of the pay form.
    pub id: String,
    /// The sealed card (platform-owned vault record).
    pub vault_id: String,
    pub brand: String,
    pub last4: String,
    pub exp_month: u8,
    pub exp_year: u16,
    pub fingerprint: String,
    /// Unix seconds of the last payment with it (registration counts).
    pub last_used: i64,
}

/// A payer's wallet.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Wallet {
    pub id: String,
    pub livemode: bool,
    /// `010-****-5678`.
    pub phone_masked: String,
    /// Argon2id of the PIN ([`pin::hash`]); never the PIN.
    pub pin_hash: String,
    /// Wrong PINs in a row.
    pub pin_failures: u32,
    /// Unix seconds until which the wallet refuses PINs.
    pub locked_until: Option<i64>,
    pub cards: Vec<WalletCard>,
    pub created: i64,
    /// The stored version (not part of the document).
    #[serde(skip)]
    pub version: i64,
}

/// What a PIN check found.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PinCheck {
    Ok,
    /// Wrong; this many tries remain before the lock.
    Wrong {
        remaining: u32,
    },
    /// Locked (now or by this failure) until this time.
    Locked {
        until: i64,
    },
}

impl Wallet {
    /// The wallet `id`, if it exists.
    pub async fn load(st: &AppState, id: &str) -> ApiResult<Option<Wallet>> {
        Wallet::load_from(&st.store, id).await
    }

    /// [`Wallet::load`] from a store (the operator's CLI has no running gateway).
    pub async fn load_from(store: &paygate_store::Store, id: &str) -> ApiResult<Option<Wallet>> {
        let Some(row) = store.find_object(id).await? else {
            return Ok(None);
        };
        if row.kind != WALLET_KIND || row.merchant_id != PLATFORM {
            return Ok(None);
        }
        let mut w: Wallet = serde_json::from_value(row.data).map_err(ApiError::internal)?;
        w.version = row.version;
        Ok(Some(w))
    }

    /// A new wallet `id` (from [`super::Phone::wallet_id`]) of the masked number, with the
    /// hash ([`pin::hash`]) of a PIN already checked by [`pin::check_new`].
    pub fn new(
        id: &str,
        phone_masked: String,
        livemode: bool,
        pin_hash: String,
        now: i64,
    ) -> Wallet {
        Wallet {
            id: id.to_string(),
            livemode,
            phone_masked,
            pin_hash,
            pin_failures: 0,
            locked_until: None,
            cards: Vec::new(),
            created: now,
            version: 0,
        }
    }

    /// The op that stores this wallet: an insert when new (version 0), else an update that
    /// fails if someone else wrote it since it was read.
    pub fn save(&self) -> Op {
        let data = serde_json::to_value(self).unwrap_or_default();
        if self.version == 0 {
            return Op::InsertObject(ObjectRow {
                id: self.id.clone(),
                merchant_id: PLATFORM.into(),
                livemode: self.livemode,
                kind: WALLET_KIND.into(),
                parent: None,
                tag: None,
                due: None,
                created: self.created,
                version: 1,
                data,
            });
        }
        Op::UpdateObject {
            id: self.id.clone(),
            expected_version: self.version,
            data,
            tag: None,
            due: None,
        }
    }

    /// Whether the wallet refuses PINs at `now`.
    pub fn locked_at(&self, now: i64) -> Option<i64> {
        self.locked_until.filter(|u| *u > now)
    }

    /// Checks `given` and updates the failure count and lock; pushes the audit entries.
    pub fn check_pin(
        &mut self,
        given: &str,
        now: i64,
        ctx: (Option<&str>, Option<&str>),
        ops: &mut Vec<Op>,
    ) -> PinCheck {
        if let Some(until) = self.locked_at(now) {
            ops.push(entry(self, AuditEvent::LockedAttempt, ctx, "payer", now));
            return PinCheck::Locked { until };
        }
        if pin::well_formed(given) && pin::verify(given, &self.pin_hash) {
            self.pin_failures = 0;
            self.locked_until = None;
            return PinCheck::Ok;
        }
        self.pin_failures += 1;
        ops.push(entry(self, AuditEvent::PinFailed, ctx, "payer", now));
        if self.pin_failures >= PIN_WRONG_MAX {
            self.pin_failures = 0;
            let until = now + LOCK_S;
            self.locked_until = Some(until);
            ops.push(entry(self, AuditEvent::Locked, ctx, "payer", now));
            return PinCheck::Locked { until };
        }
        PinCheck::Wrong {
            remaining: PIN_WRONG_MAX - self.pin_failures,
        }
    }

    /// Adds a card sealed by [`seal_card`] (now, or by a registration that waited for 3-D
    /// Secure).
    pub fn push_card(&mut self, card: WalletCard) -> ApiResult<()> {
        self.room_for_a_card()?;
        self.cards.push(card);
        Ok(())
    }

    fn room_for_a_card(&self) -> ApiResult<()> {
        if self.cards.len() >= CARDS_MAX {
            return Err(ApiError::bad_param(
                "card_number",
                format!("A wallet holds at most {CARDS_MAX} cards."),
            ));
        }
        Ok(())
    }

    /// The card `choice` (its id), else the last used.
    pub fn card(&self, choice: Option<&str>) -> Option<&WalletCard> {
        match choice.filter(|c| !c.is_empty()) {
            Some(id) => self.cards.iter().find(|c| c.id == id),
            None => self.cards.iter().max_by_key(|c| c.last_used),
        }
    }

    /// Opens the sealed card `c` (in the gateway's vault, embedded or remote).
    pub async fn open_card(st: &AppState, c: &WalletCard) -> ApiResult<CardData> {
        st.card_vault.open(st, PLATFORM, &c.vault_id).await
    }
}

/// A wallet card just sealed: the card, the op storing its vault record (embedded vault) and
/// its remote record (remote vault: to discard if the write that keeps the card fails).
pub struct SealedWalletCard {
    pub card: WalletCard,
    pub op: Option<Op>,
    pub remote: Option<RemoteRecord>,
}

/// Seals `(pan, expiry)` in the card vault as a wallet card (a record of the platform), last
/// used `now`.
pub async fn seal_card(
    st: &AppState,
    pan: Pan,
    expiry: Expiry,
    now: i64,
) -> ApiResult<SealedWalletCard> {
    let vault_id = new_id("vc");
    let (brand, last4) = (pan.brand().as_str().to_string(), pan.last4().to_string());
    let (exp_month, exp_year) = (expiry.month, expiry.year);
    let card = CardData { pan, expiry };
    let sealed = (st.card_vault)
        .seal(st, PLATFORM, &vault_id, &card, now)
        .await?;
    let card = WalletCard {
        id: new_id("ewc"),
        vault_id,
        brand,
        last4,
        exp_month,
        exp_year,
        fingerprint: sealed.fingerprint,
        last_used: now,
    };
    Ok(SealedWalletCard {
        card,
        op: sealed.op,
        remote: sealed.remote,
    })
}
