//! The token: checked and decrypted at the request's clock time, recorded once per wallet
//! transaction, stored with its DPAN sealed in the card vault ([`crate::card_vault`], embedded
//! or remote) and its cryptogram sealed as a vault secret of the gateway.

use paygate_payments::Authentication;
use paygate_store::{Op, Scope};
use paygate_vault::{CardData, Expiry, Pan, SealedCard};
use paygate_wallet_tokens::{Wallet, WalletError, WalletToken};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::card_vault::RemoteRecord;
use crate::cards::AuthCard;
use crate::error::{ApiError, ApiResult};
use crate::ids::new_id;
use crate::state::AppState;

/// Object kind of the replay record of one wallet transaction.
const TRANSACTION_KIND: &str = "wallet_transaction";

/// What a wallet payment adds to the card's authorization and charge.
#[derive(Clone)]
pub struct WalletAuth {
    pub wallet: &'static str,
    pub dynamic_last4: String,
    /// ECI (DE 48.42) and cryptogram (DE 48.43), as the issuer checks them.
    pub authentication: Authentication,
}

impl std::fmt::Debug for WalletAuth {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WalletAuth")
            .field("wallet", &self.wallet)
            .field("dynamic_last4", &self.dynamic_last4)
            .finish_non_exhaustive()
    }
}

/// The API error of a refused token: 400 with the refusal's own code, naming the parameter.
pub(crate) fn token_error(param: &str, e: &WalletError) -> ApiError {
    ApiError::invalid(param, e.code(), e.to_string())
}

/// The id of the replay record of `key` (the Apple transaction id, or Samsung's cryptogram)
/// in `scope`: derived, so a second token of the same transaction collides with the first.
fn transaction_record_id(scope: &Scope, wallet: Wallet, key: &str) -> String {
    let mut h = Sha256::new();
    h.update(format!(
        "{}|{}|{}|",
        scope.merchant_id,
        scope.livemode,
        wallet.as_str()
    ));
    h.update(key.as_bytes());
    format!("wtx_{}", hex::encode(&h.finalize()[..16]))
}

fn sealed_json(s: &SealedCard) -> Value {
    use base64::Engine as _;
    let b64 = base64::engine::general_purpose::STANDARD;
    json!({"kek_id": s.kek_id, "wrapped_dek": b64.encode(&s.wrapped_dek), "ciphertext": b64.encode(&s.ciphertext)})
}

fn sealed_of(v: &Value) -> Option<SealedCard> {
    use base64::Engine as _;
    let b64 = base64::engine::general_purpose::STANDARD;
    Some(SealedCard {
        kek_id: v["kek_id"].as_str()?.to_owned(),
        wrapped_dek: b64.decode(v["wrapped_dek"].as_str()?).ok()?,
        ciphertext: b64.decode(v["ciphertext"].as_str()?).ok()?,
    })
}

/// The token document, the ops that store it (token, its vault record when the vault is
/// embedded, the transaction's replay record) and its DPAN's record in the remote vault (to
/// discard if those ops are not written). `Err` with `wallet_token_replayed` when the
/// transaction was seen before.
pub(crate) async fn store_token(
    st: &AppState,
    scope: &Scope,
    param: &str,
    t: &WalletToken,
    now: i64,
) -> ApiResult<StoredToken> {
    let replay_key = match &t.transaction_id {
        Some(id) => id.clone(),
        None => hex::encode(Sha256::digest(t.cryptogram.as_bytes())),
    };
    let record_id = transaction_record_id(scope, t.wallet, &replay_key);
    if st.store.get_object(scope, &record_id).await?.is_some() {
        return Err(ApiError::invalid(
            param,
            "wallet_token_replayed",
            "This wallet transaction was already used for a token: a payment token is accepted once.",
        ));
    }
    let pan = Pan::parse(&t.dpan).map_err(|_| {
        ApiError::invalid(
            param,
            "wallet_token_malformed",
            "The token's device account number is not a card number.",
        )
    })?;
    let expiry = Expiry::new(i64::from(t.exp_month), i64::from(t.exp_year)).map_err(|_| {
        ApiError::invalid(
            param,
            "wallet_token_malformed",
            "The token's expiry is not valid.",
        )
    })?;
    let tok_id = new_id("tok");
    let vault_id = new_id("vc");
    let brand = pan.brand().as_str().to_string();
    let cryptogram = st
        .vault
        .seal_secret(&tok_id, t.cryptogram.as_bytes())
        .map_err(ApiError::internal)?;
    // Last before the ops: nothing between a remote seal and the commit fails but the commit.
    let sealed = (st.card_vault)
        .seal(
            st,
            &scope.merchant_id,
            &vault_id,
            &CardData { pan, expiry },
            now,
        )
        .await?;
    let fingerprint = sealed.fingerprint;
    let doc = token_document(&tok_id, t, (&brand, &fingerprint), scope.livemode, now);
    let doc = with_secrets(doc, &vault_id, &cryptogram, t.eci.as_deref());
    let ops = sealed.op.into_iter().chain([
        crate::records::insert(scope, "token", None, &doc, now),
        crate::records::insert(
            scope,
            TRANSACTION_KIND,
            None,
            &json!({"id": record_id, "object": TRANSACTION_KIND, "token": doc["id"], "created": now}),
            now,
        ),
    ]);
    Ok(StoredToken {
        doc,
        ops: ops.collect(),
        remote: sealed.remote,
    })
}

/// What [`store_token`] made.
pub(crate) struct StoredToken {
    pub doc: Value,
    pub ops: Vec<Op>,
    pub remote: Option<RemoteRecord>,
}

/// Stripe's token object for `t` (no secret in it; see [`with_secrets`]).
fn token_document(
    tok_id: &str,
    t: &WalletToken,
    (brand, fingerprint): (&str, &str),
    livemode: bool,
    now: i64,
) -> Value {
    json!({
        "id": tok_id,
        "object": "token",
        "card": {
            "id": new_id("card"),
            "object": "card",
            "brand": brand,
            "country": null,
            "dynamic_last4": t.dynamic_last4(),
            "exp_month": t.exp_month,
            "exp_year": t.exp_year,
            "fingerprint": fingerprint,
            "funding": "credit",
            // The funding card is unknown until the network answers: before that the only
            // number the gateway knows is the device token's.
            "last4": t.dynamic_last4(),
            "tokenization_method": t.wallet.as_str(),
        },
        "client_ip": null,
        "created": now,
        "livemode": livemode,
        "type": "card",
        "used": false,
    })
}

/// The token's private fields: its vault record, its sealed cryptogram and its ECI.
fn with_secrets(
    mut doc: Value,
    vault_id: &str,
    cryptogram: &SealedCard,
    eci: Option<&str>,
) -> Value {
    doc["_vault"] = json!(vault_id);
    doc["_cryptogram"] = sealed_json(cryptogram);
    doc["_eci"] = json!(eci);
    doc
}

/// The ECI a token without one is sent with: the brand's "authenticated" value (Mastercard
/// tokens may carry none; their cryptogram is the authentication).
fn default_eci(brand: &str) -> &'static str {
    if brand == "mastercard" { "02" } else { "05" }
}

/// Opens the unused token `tok_id` of `scope` for one payment: a new card PaymentMethod over
/// the DPAN (`card.wallet`), the token marked used in the same commit, the cryptogram and ECI
/// for the authorization.
pub async fn token_card(
    st: &AppState,
    scope: &Scope,
    tok_id: &str,
    param: &str,
    now: i64,
) -> ApiResult<AuthCard> {
    let row = st
        .store
        .get_object(scope, tok_id)
        .await?
        .filter(|r| r.kind == "token")
        .ok_or_else(|| ApiError::not_found("token", tok_id, param))?;
    if row.data["used"] == true {
        return Err(ApiError::invalid(
            param,
            "token_already_used",
            format!("You cannot use a Stripe token more than once: {tok_id}."),
        ));
    }
    let d = &row.data;
    let internal = || ApiError::internal("wallet token without its sealed data");
    let vault_id = d["_vault"].as_str().ok_or_else(internal)?;
    let card = (st.card_vault)
        .open(st, &scope.merchant_id, vault_id)
        .await?;
    let sealed = sealed_of(&d["_cryptogram"]).ok_or_else(internal)?;
    let cryptogram = st
        .vault
        .open_secret(tok_id, &sealed)
        .map_err(ApiError::internal)?;
    let cryptogram = String::from_utf8(cryptogram.to_vec()).map_err(ApiError::internal)?;
    let wallet = if d["card"]["tokenization_method"] == "samsung_pay" {
        "samsung_pay"
    } else {
        "apple_pay"
    };
    let brand = card.pan.brand().as_str().to_string();
    let eci = d["_eci"]
        .as_str()
        .map_or_else(|| default_eci(&brand).to_owned(), str::to_owned);
    let mut auth_card = crate::cards::new_card(st, scope, card.pan, card.expiry, None, now).await?;
    let dynamic_last4 = d["card"]["dynamic_last4"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    auth_card.pm["card"]["wallet"] = json!({"type": wallet, "dynamic_last4": dynamic_last4});
    if let Some(Op::InsertObject(pm_row)) = auth_card.new_ops.last_mut() {
        pm_row.data = auth_card.pm.clone();
    }
    let mut used = row.data.clone();
    used["used"] = json!(true);
    auth_card
        .new_ops
        .push(crate::records::update(tok_id, row.version, &used));
    auth_card.wallet = Some(WalletAuth {
        wallet,
        dynamic_last4,
        authentication: Authentication {
            eci,
            cavv: Some(cryptogram),
            ds_trans_id: None,
            version: wallet.to_owned(),
            program: Default::default(),
        },
    });
    Ok(auth_card)
}
