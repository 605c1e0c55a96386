//! The card method: the card a confirm charges (`payment_method_data[card]` or a saved
//! PaymentMethod, [`crate::cards::confirm_card`]), then 3-D Secure when it applies
//! ([`crate::three_ds::confirm`]) and the authorization at the card network's connector.
//! An off-session confirm (the customer is not present) skips 3-D Secure: the issuer decides,
//! and a card that needs authentication is declined `authentication_required`.

use super::Confirm;
use crate::api::respond::Responder;
use crate::cards::AuthCard;
use crate::engine::Authorize;
use crate::engine::credential_on_file::CredentialOnFile;
use crate::error::ApiResult;
use crate::http::Ctx;
use serde_json::Value;

/// Confirms `c` with a card.
pub async fn confirm(ctx: &mut Ctx, c: Confirm) -> ApiResult<Value> {
    let card = crate::cards::confirm_card(ctx, &c.intent).await?;
    let off_session = c.intent.off_session.is_some();
    if off_session && !card.new_ops.is_empty() {
        ctx.st.card_vault.discard(card.sealed.as_slice()).await;
        return Err(crate::error::ApiError::bad_param(
            "off_session",
            "An off-session payment charges a saved PaymentMethod of the customer: pass              payment_method, not payment_method_data.",
        ));
    }
    let pm_version = pm_version(ctx, &card).await?;
    let credential_on_file = CredentialOnFile::of(&c.intent, &card, pm_version);
    let respond = Responder::new(ctx, c.expands);
    // A wallet token carries its own authentication (the device's cryptogram): no 3-D Secure.
    let wallet_auth = card.wallet.as_ref().map(|w| w.authentication.clone());
    let cmd = Authorize {
        intent: c.intent,
        version: c.version,
        pre: c.pre,
        payment: crate::engine::payment::AuthPayment::Card(card),
        authentication: wallet_auth.clone(),
        three_d_secure: None,
        isp: None,
        easy_pay: None,
        credential_on_file,
        card_present: None,
    };
    if off_session || wallet_auth.is_some() {
        return crate::engine::authorize::authorize(&ctx.rc, &respond, cmd).await;
    }
    crate::three_ds::confirm::confirm(&ctx.rc, &respond, cmd).await
}

/// The stored version of the card's PaymentMethod; `None` when it is new (inserted with the
/// payment).
pub async fn pm_version(ctx: &Ctx, card: &AuthCard) -> ApiResult<Option<i64>> {
    if !card.new_ops.is_empty() {
        return Ok(None);
    }
    let row = ctx.st.store.get_object(&ctx.scope(), &card.pm_id).await?;
    Ok(row.map(|r| r.version))
}
