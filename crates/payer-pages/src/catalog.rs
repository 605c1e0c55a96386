//! The message catalog: every sentence or word a payer page shows, as one table from a typed
//! key ([`Msg`]) to its Korean and English text ([`Msg::text`]), so that templates never hold a
//! sentence of their own. A data table: it grows with each page and is split by nothing else.

use crate::i18n::Locale;

/// Every sentence or word a payer page shows. Add a key here and its two texts at the same
/// place in [`CATALOG`]; the compiler insists on the count.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[repr(usize)]
pub enum Msg {
    StatusTitle,
    PaymentTitle,
    Merchant,
    Amount,
    Card,
    Status,
    StatusRequiresPaymentMethod,
    StatusRequiresConfirmation,
    StatusRequiresAction,
    StatusProcessing,
    StatusRequiresCapture,
    StatusSucceeded,
    StatusCanceled,
    StatusFailed,
    ContinuePayment,
    ContinueExplanation,
    ReturnToShop,
    NotFoundTitle,
    NotFoundBody,
    RedirectingTitle,
    RedirectingBody,
    Continue,
    NoScriptHint,
    ErrorTitle,
    ErrorBody,
    PoweredBy,
    IspTitle,
    IspExplanation,
    IspNoScript,
    IspEnrolTitle,
    IspEnrolExplanation,
    IspCardNumber,
    IspExpiry,
    IspCvc,
    IspNewPassword,
    IspPasswordAgain,
    IspEnrolButton,
    IspPayTitle,
    IspRegisteredCard,
    IspPassword,
    IspPayButton,
    IspOtherCard,
    IspWorking,
    IspEnrolled,
    IspWrongPassword,
    IspPasswordsDiffer,
    IspPasswordTooShort,
    IspCardInvalid,
    IspCardDeclined,
    IspCertificateProblem,
    IspPaymentRefused,
    IspNetworkError,
    IspUnsupported,
    IspExpired,
    // checkout (hosted checkout page)
    CheckoutTitle,
    CheckoutSetupTitle,
    CheckoutOrder,
    CheckoutQuantity,
    CheckoutTotal,
    CheckoutMethod,
    CheckoutMethodCard,
    CheckoutMethodIsp,
    CheckoutMethodEasyPay,
    CheckoutCardDetails,
    CheckoutCardHint,
    CheckoutCardNumber,
    CheckoutExpMonth,
    CheckoutExpYear,
    CheckoutCvc,
    CheckoutPay,
    CheckoutSave,
    CheckoutCancel,
    CheckoutExpiredTitle,
    CheckoutExpiredBody,
    CheckoutCompleteTitle,
    CheckoutCompleteBody,
    CheckoutErrDeclined,
    CheckoutErrNumber,
    CheckoutErrExpiry,
    CheckoutErrCvc,
    CheckoutErrMethod,
    CheckoutErrAuthentication,
    CheckoutErrMissing,
    CheckoutLogo,
    CheckoutMethodMobileCarrier,
    CheckoutMethodVirtualAccount,
    CheckoutVaDetails,
    CheckoutVaHint,
    CheckoutVaBank,
    CheckoutCashReceipt,
    CheckoutCashReceiptNone,
    CheckoutCashReceiptIncome,
    CheckoutCashReceiptExpense,
    CheckoutCashReceiptId,
    CheckoutErrCashReceipt,
    CheckoutErrBank,
    CheckoutInstallments,
    CheckoutInstallmentsLumpSum,
    CheckoutInstallmentsMonths,
    CheckoutInstallmentsHint,
    CheckoutErrInstallments,
    CheckoutVaTitle,
    CheckoutVaBody,
    CheckoutVaBankName,
    CheckoutVaAccount,
    CheckoutVaHolder,
    CheckoutVaAmount,
    CheckoutVaExpires,
    CheckoutVaContinue,
    CheckoutVaExpiredTitle,
    CheckoutVaExpiredBody,
    McTitle,
    McCarrier,
    McSkt,
    McKt,
    McLgu,
    McMvno,
    PhoneNumber,
    McBirthDate,
    McConsent,
    SendCode,
    McCodeSent,
    OtpCode,
    McPay,
    McResendTitle,
    McResend,
    McConsentRequired,
    McInvalidInput,
    McSubscriberNotFound,
    McMinor,
    McLimit,
    McCodeInvalid,
    McCodeExpired,
    McCodeLocked,
    McResendLimit,
    McWrongPhone,
    McCarrierError,
    McDeclined,
    McBackToShop,
    // 간편결제 (easy_pay)
    EpTitle,
    EpCodeSent,
    EpVerify,
    EpRegisterTitle,
    EpSetPin,
    EpPinHint,
    EpPin,
    EpPinAgain,
    EpRegisterButton,
    EpPaymentPin,
    EpManage,
    EpManageCards,
    EpRemovePin,
    EpRemoveCard,
    EpChangePin,
    EpCurrentPin,
    EpNewPin,
    EpNewPinAgain,
    EpForgotPin,
    EpResetHint,
    EpResetPin,
    EpPinPad,
    EpPinPadDelete,
    EpPinPadClear,
    EpPinMismatch,
    EpPinLength,
    EpPinWeak,
    EpTryAgain,
    EpPinChanged,
    EpResetNeedsSms,
    EpChooseCard,
    EpCvcWrong,
    EpRegistered,
    EpAuthFailed,
    EpAuthAbandoned,
    EpCardExpired,
    EpAuthRequired,
    EpDeclined,
    EpCheckFailed,
    EpVerifyPhoneFirst,
    EpCardInvalid,
    EpPhoneInvalid,
    EpUnavailable,
    EpSmsFailed,
    EpTooSoon,
    EpPhoneFirst,
    EpCodeWrong,
    EpCodeExpired,
    EpCodeInvalid,
    EpLocked,
    EpPinWrong,
    EpCardRemovedRegister,
    EpCardRemoved,
    EpUnknownStep,
    BtTitle,
    BtChooseBank,
    BtKb,
    BtShinhan,
    BtWoori,
    BtHana,
    BtNh,
    BtContinue,
    BtHandoff,
    BtGoToBank,
    BtChooseBankError,
    BtNotApproved,
    BtInsufficient,
    BtLocked,
    BtDeclined,
    BtBankError,
    CheckoutWalletFailed,
    CheckoutWalletOrCard,
}

impl Msg {
    /// How many keys there are.
    pub const COUNT: usize = Msg::CheckoutWalletOrCard as usize + 1;

    /// The key's Korean and English text.
    pub fn text(self, locale: Locale) -> &'static str {
        let (ko, en) = CATALOG[self as usize];
        match locale {
            Locale::Ko => ko,
            Locale::En => en,
        }
    }
}

use crate::catalog_texts::CATALOG;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_catalog_follows_the_keys_order() {
        assert_eq!(Msg::StatusTitle.text(Locale::En), "Payment status");
        assert_eq!(Msg::PoweredBy.text(Locale::Ko), "paygate 보안 결제");
        assert_eq!(
            Msg::IspExpired.text(Locale::En),
            "This payment page has expired. Please start again from the shop."
        );
        assert_eq!(Msg::EpUnknownStep.text(Locale::En), "Unknown step.");
        assert!(
            CATALOG
                .iter()
                .all(|(ko, en)| !ko.is_empty() && !en.is_empty())
        );
    }

    #[test]
    fn every_message_has_distinct_nonempty_korean_and_english_text() {
        for m in [
            Msg::PaymentTitle,
            Msg::StatusSucceeded,
            Msg::NotFoundBody,
            Msg::Continue,
            Msg::EpRegistered,
        ] {
            let (ko, en) = (m.text(Locale::Ko), m.text(Locale::En));
            assert!(!ko.is_empty() && !en.is_empty() && ko != en, "{m:?}");
        }
    }
}
