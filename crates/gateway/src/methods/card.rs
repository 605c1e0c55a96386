//! The card method: the card a confirm charges (`payment_method_data[card]` or a saved
//! PaymentMethod, [`crate::cards::confirm_card`]), then 3-D Secure when it applies
//! ([`crate::three_ds::confirm`]) and the authorization at the card network's connector.

use super::Confirm;
use crate::api::respond::Responder;
use crate::engine::Authorize;
use crate::error::ApiResult;
use crate::http::Ctx;
use serde_json::Value;

/// Confirms `c` with a card.
pub async fn confirm(ctx: &mut Ctx, c: Confirm) -> ApiResult<Value> {
    let card = crate::cards::confirm_card(ctx, &c.intent).await?;
    let respond = Responder::new(ctx, c.expands);
    let cmd = Authorize {
        intent: c.intent,
        version: c.version,
        pre: c.pre,
        card,
        authentication: None,
        three_d_secure: None,
        isp: None,
        easy_pay: None,
    };
    crate::three_ds::confirm::confirm(&ctx.rc, &respond, cmd).await
}
