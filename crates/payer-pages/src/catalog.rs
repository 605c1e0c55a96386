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
}

impl Msg {
    /// How many keys there are.
    pub const COUNT: usize = Msg::EpUnknownStep as usize + 1;

    /// The key's Korean and English text.
    pub fn text(self, locale: Locale) -> &'static str {
        let (ko, en) = CATALOG[self as usize];
        match locale {
            Locale::Ko => ko,
            Locale::En => en,
        }
    }
}

/// The catalog: the Korean and English text of each [`Msg`], in the order of its variants
/// (a test checks the length; the order is the enum's).
const CATALOG: [(&str, &str); Msg::COUNT] = [
    ("결제 상태", "Payment status"),
    ("결제 정보", "Payment details"),
    ("가맹점", "Merchant"),
    ("결제 금액", "Amount"),
    ("카드", "Card"),
    ("상태", "Status"),
    ("결제 수단이 필요합니다", "Waiting for a payment method"),
    ("결제 확인을 기다리는 중입니다", "Waiting for confirmation"),
    ("추가 인증이 필요합니다", "Your action is required"),
    ("결제를 처리하는 중입니다", "Processing"),
    ("결제가 승인되었습니다", "Authorized"),
    ("결제가 완료되었습니다", "Payment complete"),
    ("결제가 취소되었습니다", "Payment canceled"),
    ("결제에 실패했습니다", "Payment failed"),
    ("인증 계속하기", "Continue to verification"),
    (
        "카드사 인증을 마치면 결제가 진행됩니다.",
        "The payment goes on once your card issuer has verified you.",
    ),
    ("상점으로 돌아가기", "Return to the shop"),
    ("결제를 찾을 수 없습니다", "Payment not found"),
    (
        "주소가 올바른지 확인해 주세요. 상점에서 받은 링크를 다시 열어 보세요.",
        "Check the address, or open the link the shop gave you again.",
    ),
    ("이동하는 중입니다", "Redirecting"),
    (
        "잠시만 기다려 주세요. 자동으로 이동하지 않으면 아래 버튼을 눌러 주세요.",
        "Please wait. If nothing happens, press the button below.",
    ),
    ("계속", "Continue"),
    (
        "자바스크립트가 꺼져 있습니다. 계속하려면 버튼을 눌러 주세요.",
        "JavaScript is off. Press the button to continue.",
    ),
    ("문제가 발생했습니다", "Something went wrong"),
    (
        "잠시 후 다시 시도해 주세요.",
        "Please try again in a moment.",
    ),
    ("paygate 보안 결제", "Secure payment by paygate"),
    ("ISP 안전결제", "ISP secure payment"),
    (
        "카드사가 이 기기에 발급한 인증서와 ISP 비밀번호로 결제합니다. 비밀번호는 이 기기 밖으로 전송되지 않습니다.",
        "You pay with the certificate your card company issued to this device and your ISP password. The password never leaves this device.",
    ),
    (
        "ISP 결제에는 자바스크립트가 필요합니다. 브라우저에서 자바스크립트를 켠 뒤 이 페이지를 다시 열어 주세요.",
        "ISP payment needs JavaScript. Turn JavaScript on in your browser and open this page again.",
    ),
    ("카드 등록", "Register your card"),
    (
        "이 기기에서 처음 ISP를 사용합니다. 카드를 등록하고 ISP 비밀번호를 정해 주세요. 카드 정보는 비밀번호로 암호화되어 이 기기에만 저장됩니다.",
        "First time with ISP on this device: register your card and choose an ISP password. The card details stay on this device only, encrypted under the password.",
    ),
    ("카드 번호", "Card number"),
    ("유효기간 (MM/YY)", "Expiry (MM/YY)"),
    ("CVC (카드 뒷면 3자리)", "CVC (3 digits on the back)"),
    (
        "ISP 비밀번호 (8자 이상)",
        "ISP password (at least 8 characters)",
    ),
    ("ISP 비밀번호 확인", "ISP password again"),
    ("카드 등록하기", "Register card"),
    ("ISP 비밀번호로 결제", "Pay with your ISP password"),
    ("등록된 카드", "Registered card"),
    ("ISP 비밀번호", "ISP password"),
    ("결제하기", "Pay"),
    ("다른 카드 사용", "Use another card"),
    (
        "처리하는 중입니다. 잠시만 기다려 주세요.",
        "Working on it, please wait.",
    ),
    (
        "카드가 등록되었습니다. ISP 비밀번호를 입력해 결제하세요.",
        "Your card is registered. Enter your ISP password to pay.",
    ),
    (
        "ISP 비밀번호가 맞지 않습니다. 다시 입력해 주세요. 아무것도 전송되지 않았습니다.",
        "That ISP password is not right. Please try again; nothing was sent.",
    ),
    ("두 비밀번호가 서로 다릅니다.", "The two passwords differ."),
    (
        "ISP 비밀번호는 8자 이상이어야 합니다.",
        "The ISP password must be at least 8 characters long.",
    ),
    (
        "카드 번호, 유효기간, CVC를 확인해 주세요.",
        "Check the card number, expiry date and CVC.",
    ),
    (
        "카드사가 이 카드의 ISP 등록을 거절했습니다. 다른 카드를 사용해 주세요.",
        "Your card company declined to register this card for ISP. Please use another card.",
    ),
    (
        "인증서를 더 이상 사용할 수 없습니다(만료 또는 폐기). 카드를 다시 등록해 주세요.",
        "Your certificate can no longer be used (expired or revoked). Please register your card again.",
    ),
    (
        "결제가 승인되지 않았습니다. 다른 카드로 다시 시도해 주세요.",
        "The payment was not approved. Please try again with another card.",
    ),
    (
        "서버에 연결하지 못했습니다. 잠시 후 다시 시도해 주세요.",
        "Could not reach the server. Please try again in a moment.",
    ),
    (
        "이 브라우저는 ISP 결제에 필요한 기능(WebCrypto, IndexedDB)을 지원하지 않습니다.",
        "This browser lacks what ISP payment needs (WebCrypto, IndexedDB).",
    ),
    (
        "결제 페이지가 만료되었습니다. 상점에서 다시 시작해 주세요.",
        "This payment page has expired. Please start again from the shop.",
    ),
    // checkout
    ("결제하기", "Checkout"),
    ("카드 등록", "Save a card"),
    ("주문 내역", "Order summary"),
    ("수량", "Quantity"),
    ("합계", "Total"),
    ("결제 수단", "Payment method"),
    ("신용·체크카드", "Card"),
    ("ISP 안전결제", "ISP secure payment"),
    ("간편결제", "Easy Pay"),
    ("카드 정보", "Card details"),
    (
        "카드로 결제할 때만 입력하세요. 다른 결제 수단은 다음 화면에서 진행됩니다.",
        "Fill these in only to pay by card; other methods continue on their own page.",
    ),
    ("카드 번호", "Card number"),
    ("유효기간 월 (MM)", "Expiry month (MM)"),
    ("유효기간 연도 (YYYY)", "Expiry year (YYYY)"),
    ("보안코드 (CVC)", "Security code (CVC)"),
    ("결제하기", "Pay"),
    ("카드 등록하기", "Save card"),
    (
        "결제를 취소하고 상점으로 돌아가기",
        "Cancel and return to the shop",
    ),
    ("결제 시간이 지났습니다", "This checkout has expired"),
    (
        "상점으로 돌아가 다시 시도해 주세요.",
        "Go back to the shop and start again.",
    ),
    ("결제가 완료되었습니다", "Payment complete"),
    (
        "이미 완료된 결제입니다.",
        "This checkout is already complete.",
    ),
    (
        "카드가 거절되었습니다. 다른 카드를 사용해 주세요.",
        "Your card was declined. Please use another card.",
    ),
    (
        "카드 번호가 올바르지 않습니다.",
        "The card number is not valid.",
    ),
    (
        "유효기간이 올바르지 않습니다.",
        "The expiry date is not valid.",
    ),
    (
        "보안코드가 올바르지 않습니다.",
        "The security code is not valid.",
    ),
    ("결제 수단을 선택해 주세요.", "Choose a payment method."),
    (
        "카드사 인증에 실패했습니다. 다시 시도해 주세요.",
        "Your card issuer could not verify you. Please try again.",
    ),
    (
        "카드 정보를 모두 입력해 주세요.",
        "Fill in every card field.",
    ),
    ("로고", "logo"),
    ("휴대폰 결제", "Mobile phone bill"),
    ("가상계좌 (무통장입금)", "Bank transfer (virtual account)"),
    ("가상계좌", "Virtual account"),
    (
        "가상계좌로 결제할 때만 선택하세요. 입금할 계좌는 다음 화면에 나옵니다.",
        "Only to pay by bank transfer; the account to transfer to is shown next.",
    ),
    ("입금할 은행", "Bank"),
    ("현금영수증", "Cash receipt (현금영수증)"),
    ("신청 안 함", "Not needed"),
    ("소득공제용", "Income deduction"),
    ("지출증빙용", "Expense proof (business)"),
    (
        "휴대폰 번호 또는 사업자등록번호",
        "Mobile number or business registration number",
    ),
    (
        "현금영수증 번호가 올바르지 않습니다.",
        "The cash receipt number is not valid.",
    ),
    ("입금할 은행을 선택해 주세요.", "Choose a bank."),
    ("할부 개월", "Instalments"),
    ("일시불", "Pay in full"),
    ("개월", " months"),
    (
        "5만원 이상 카드 결제에서 선택할 수 있습니다.",
        "For card payments of 50,000 KRW or more.",
    ),
    (
        "할부 개월 수가 올바르지 않습니다.",
        "The number of instalments is not valid.",
    ),
    ("입금 안내", "Bank transfer instructions"),
    (
        "아래 계좌로 입금 기한 안에 정확한 금액을 입금해 주세요. 입금이 확인되면 결제가 완료됩니다.",
        "Transfer exactly this amount to the account below before the deadline. The payment completes when the deposit arrives.",
    ),
    ("은행", "Bank"),
    ("계좌번호", "Account number"),
    ("예금주", "Account holder"),
    ("입금할 금액", "Amount to transfer"),
    ("입금 기한", "Transfer by"),
    ("상점으로 계속하기", "Continue to the shop"),
    ("입금 기한이 지났습니다", "The transfer deadline has passed"),
    (
        "입금되지 않아 주문이 취소되었습니다. 상점에서 다시 주문해 주세요.",
        "No transfer arrived in time, so the order was canceled. Please order again at the shop.",
    ),
    ("휴대폰 결제", "Mobile phone payment"),
    ("통신사", "Carrier"),
    ("SK텔레콤", "SK Telecom"),
    ("KT", "KT Corporation"),
    ("LG유플러스", "LG Uplus"),
    ("알뜰폰", "MVNO (budget carrier)"),
    ("휴대폰 번호", "Mobile number"),
    ("생년월일 8자리 (YYYYMMDD)", "Date of birth (YYYYMMDD)"),
    (
        "결제 금액이 이번 달 휴대폰 요금에 청구되는 것에 동의합니다.",
        "I agree that this amount is charged to this month's phone bill.",
    ),
    ("인증번호 받기", "Send code by SMS"),
    (
        "통신사가 인증번호 6자리를 보냈습니다:",
        "Your carrier sent a 6-digit code to",
    ),
    ("인증번호 (3분 이내)", "Code (valid 3 minutes)"),
    ("결제하기", "Pay"),
    (
        "인증번호를 받지 못하셨나요? 휴대폰 번호를 다시 입력하세요.",
        "No code? Enter your mobile number again.",
    ),
    ("인증번호 다시 받기", "Send a new code"),
    ("결제에 동의해 주세요.", "Please agree to the charge."),
    (
        "통신사, 휴대폰 번호(01X로 시작하는 10~11자리), 생년월일 8자리를 확인해 주세요.",
        "Check the carrier, the mobile number (01X, 10 or 11 digits) and the 8-digit date of birth.",
    ),
    (
        "입력한 정보와 일치하는 가입자가 없습니다.",
        "No subscriber matches these details.",
    ),
    (
        "만 19세 미만은 휴대폰 결제를 이용할 수 없습니다.",
        "Mobile phone payment is not available under 19.",
    ),
    (
        "이번 달 휴대폰 결제 한도를 초과합니다.",
        "This payment exceeds your monthly mobile payment limit.",
    ),
    (
        "인증번호가 맞지 않습니다. 다시 입력해 주세요.",
        "The code is not correct. Please try again.",
    ),
    (
        "인증번호가 만료되었습니다. 새 인증번호를 받아 주세요.",
        "The code has expired. Please ask for a new one.",
    ),
    (
        "인증번호를 5회 잘못 입력하여 결제가 취소되었습니다.",
        "The code was wrong five times: the payment was stopped.",
    ),
    (
        "인증번호를 더 보낼 수 없습니다.",
        "No more codes can be sent.",
    ),
    (
        "이 결제의 휴대폰 번호가 아닙니다.",
        "That is not this payment's mobile number.",
    ),
    (
        "통신사에 연결할 수 없습니다. 잠시 후 다시 시도해 주세요.",
        "The carrier cannot be reached. Please try again shortly.",
    ),
    (
        "통신사가 결제를 거절했습니다.",
        "The carrier declined the payment.",
    ),
    ("쇼핑몰로 돌아가기", "Back to the shop"),
    // 간편결제 (easy_pay)
    ("간편결제", "Easy Pay"),
    ("인증번호 6자리를 보냈습니다:", "We sent a 6-digit code to"),
    ("확인", "Verify"),
    ("카드 등록", "Register a card"),
    ("결제 비밀번호 6자리 설정", "Set a 6-digit payment PIN"),
    (
        "같은 숫자 반복이나 123456 같은 연속 숫자는 쓸 수 없습니다.",
        "Not one digit repeated, not a run like 123456.",
    ),
    ("비밀번호", "PIN"),
    ("비밀번호 확인", "PIN again"),
    ("등록하고 계속", "Register and continue"),
    ("결제 비밀번호", "Payment PIN"),
    ("카드·비밀번호 관리", "Manage cards and PIN"),
    ("카드 관리", "Manage cards"),
    ("카드 삭제 비밀번호", "PIN to remove this card"),
    ("카드 삭제", "Remove card"),
    ("비밀번호 변경", "Change PIN"),
    ("현재 비밀번호", "Current PIN"),
    ("새 비밀번호", "New PIN"),
    ("새 비밀번호 확인", "New PIN again"),
    ("비밀번호를 잊으셨나요?", "Forgot your PIN?"),
    (
        "이번 결제의 문자 인증 후, 등록한 카드의 보안코드와 새 비밀번호를 입력하세요.",
        "After the SMS code of this payment: a registered card's security code and a new PIN.",
    ),
    ("비밀번호 재설정", "Reset PIN"),
    (
        "숫자 키패드 (숫자 위치는 매번 바뀝니다)",
        "Number pad (the digits move every time)",
    ),
    ("한 자리 지우기", "Delete one digit"),
    ("모두 지우기", "Clear"),
    ("비밀번호가 서로 다릅니다.", "The two PINs differ."),
    (
        "비밀번호는 숫자 6자리여야 합니다.",
        "The PIN must be 6 digits.",
    ),
    (
        "추측하기 쉬운 비밀번호입니다. 같은 숫자 반복이나 연속 숫자는 쓸 수 없습니다.",
        "This PIN is too easy to guess: no repeated digit, no run like 123456.",
    ),
    ("다시 시도해 주세요.", "Please try again."),
    ("비밀번호를 변경했습니다.", "Your PIN was changed."),
    (
        "비밀번호를 재설정하려면 먼저 문자 인증을 하세요.",
        "To reset your PIN, verify your mobile number by SMS first.",
    ),
    ("카드를 선택하세요.", "Choose a card."),
    ("보안코드가 틀렸습니다.", "The security code is wrong."),
    (
        "카드가 등록되었습니다. 비밀번호를 입력해 결제하세요.",
        "Card registered. Enter your PIN to pay.",
    ),
    (
        "카드사 본인 인증(안심클릭)에 실패해 카드를 등록하지 않았습니다.",
        "Your card issuer could not verify you (3-D Secure): the card was not registered.",
    ),
    (
        "카드사 본인 인증을 마치지 않아 카드를 등록하지 않았습니다.",
        "The card issuer's verification was not finished: the card was not registered.",
    ),
    ("유효기간이 지난 카드입니다.", "This card has expired."),
    (
        "이 카드는 안심클릭 인증이 필요한데 지금은 인증할 수 없습니다. 다른 카드를 쓰세요.",
        "This card needs 3-D Secure, which is not available now: use another card.",
    ),
    (
        "카드사에서 이 카드를 거절했습니다.",
        "The card issuer declined this card.",
    ),
    (
        "카드를 확인하지 못했습니다. 다시 시도해 주세요.",
        "The card could not be checked. Please try again.",
    ),
    (
        "먼저 휴대폰 번호를 인증하세요.",
        "Verify your mobile number first.",
    ),
    (
        "카드 번호, 유효기간, 보안코드를 확인하세요.",
        "Check the card number, expiry and security code.",
    ),
    (
        "010-1234-5678 형식의 휴대폰 번호를 입력하세요.",
        "Enter a mobile number like 010-1234-5678.",
    ),
    (
        "간편결제를 사용할 수 없습니다.",
        "Easy Pay is not available.",
    ),
    (
        "문자를 보내지 못했습니다. 다시 시도해 주세요.",
        "The text message could not be sent. Please try again.",
    ),
    (
        "방금 인증번호를 보냈습니다. 30초 후에 다시 요청하세요.",
        "A code was sent moments ago; wait 30 seconds before asking again.",
    ),
    (
        "먼저 휴대폰 번호를 입력하세요.",
        "Enter your mobile number first.",
    ),
    ("인증번호가 틀렸습니다.", "The code is wrong."),
    (
        "인증번호가 만료되었습니다. 다시 받으세요.",
        "The code has expired: ask for a new one.",
    ),
    (
        "인증번호가 더 이상 유효하지 않습니다. 다시 받으세요.",
        "The code is no longer valid: ask for a new one.",
    ),
    (
        "비밀번호를 5회 틀려 30분간 잠겼습니다.",
        "Too many wrong PINs: the wallet is locked for 30 minutes.",
    ),
    ("비밀번호가 틀렸습니다.", "The PIN is wrong."),
    (
        "카드를 삭제했습니다. 결제할 카드를 등록하세요.",
        "Card removed. Register a card to pay.",
    ),
    ("카드를 삭제했습니다.", "Card removed."),
    ("알 수 없는 단계입니다.", "Unknown step."),
];

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
