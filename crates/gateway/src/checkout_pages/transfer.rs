//! The page of a session completed before its money arrived (가상계좌): the transfer
//! instructions while the intent waits for the deposit, a "deadline passed" message once the
//! account expired. What the page shows comes from the intent's
//! `next_action.display_bank_transfer_instructions`, the same the API answers.

use super::framed_never;
use super::view::{branding, display_name, success_url};
use crate::checkout::CheckoutSession;
use crate::models::{PaymentIntent, from_value};
use crate::state::AppState;
use axum::response::Response;
use paygate_ledger::Currency;
use paygate_payer_pages::{
    self as pp, Amount, BankInstructionsView, MessageKind, Msg, PageContext, bank_instructions,
};
use paygate_payments::{NextAction, PaymentIntentStatus};
use paygate_store::MerchantRow;

const KST_OFFSET_S: i64 = 9 * 3600;

/// `ts` as a payer in Korea reads it: `2026-01-04 09:00 KST`.
pub fn kst_minute(ts: i64) -> String {
    let t = time::OffsetDateTime::from_unix_timestamp(ts + KST_OFFSET_S)
        .unwrap_or(time::OffsetDateTime::UNIX_EPOCH);
    format!(
        "{:04}-{:02}-{:02} {:02}:{:02} KST",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute()
    )
}

/// The page of a complete, unpaid session: `None` when its intent does not wait for a
/// transfer and did not fail (the caller shows the usual page).
pub async fn unpaid_page(
    st: &AppState,
    ctx: &PageContext,
    cs: &CheckoutSession,
    m: &MerchantRow,
) -> Option<Response> {
    let id = cs.payment_intent.as_deref()?;
    let row = st.store.find_object(id).await.ok()??;
    let pi: PaymentIntent = from_value(row.data).ok()?;
    let l = ctx.locale;
    if pi.status == PaymentIntentStatus::Canceled {
        let mut page = pp::message(
            ctx,
            MessageKind::Error,
            Msg::CheckoutVaExpiredTitle.text(l),
            Msg::CheckoutVaExpiredBody.text(l),
            None,
        );
        page.status = 410;
        return Some(framed_never(page));
    }
    let Some(NextAction::DisplayBankTransferInstructions {
        display_bank_transfer_instructions: d,
    }) = &pi.next_action
    else {
        return None;
    };
    let account = &d.financial_addresses.first()?.kr_virtual_account;
    let currency = Currency::parse(&d.currency).ok()?;
    let view = BankInstructionsView {
        merchant: display_name(m),
        branding: branding(m),
        bank_name: account.bank_name.clone(),
        account_number: account.account_number.clone(),
        holder: account.account_holder_name.clone(),
        amount: Amount::new(d.amount_remaining, currency),
        expires: kst_minute(account.expires_at),
        success: success_url(cs),
    };
    Some(framed_never(bank_instructions(ctx, &view)))
}

#[cfg(test)]
mod tests {
    #[test]
    fn deadlines_read_in_korean_time() {
        // 2026-01-04T00:00:00Z is 09:00 in Seoul.
        assert_eq!(super::kst_minute(1_767_484_800), "2026-01-04 09:00 KST");
    }
}
