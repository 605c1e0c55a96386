//! Korean and English: the [`Locale`] of a page, chosen by [`Locale::negotiate`], and the
//! message catalog — one table ([`Msg::text`]) from a typed key to its text in each locale,
//! so that templates never hold a sentence of their own.

/// A language the pages are written in. Korean is the default (paygate's payers are mostly
/// in Korea).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Locale {
    Ko,
    En,
}

/// Most `Accept-Language` entries looked at (the header is untrusted and may be long).
const ACCEPT_LANGUAGE_ENTRIES_MAX: usize = 32;

impl Locale {
    /// The `lang` attribute and `Content-Language` value.
    pub fn tag(self) -> &'static str {
        match self {
            Locale::Ko => "ko",
            Locale::En => "en",
        }
    }

    /// `ko` or `en` (ASCII case ignored); anything else is `None`.
    pub fn parse(s: &str) -> Option<Locale> {
        [Locale::Ko, Locale::En]
            .into_iter()
            .find(|l| l.tag().eq_ignore_ascii_case(s.trim()))
    }

    /// The page's locale: the `?locale=` query value when it names one, then the best
    /// `Accept-Language` entry by q-value (ties: the earlier entry), else Korean.
    pub fn negotiate(query: Option<&str>, accept_language: Option<&str>) -> Locale {
        query
            .and_then(Locale::parse)
            .or_else(|| accept_language.and_then(best_accepted))
            .unwrap_or(Locale::Ko)
    }
}

/// The supported locale with the highest q-value in an `Accept-Language` header. q-values
/// are read as thousandths (integers): `q=0.8` is 800, a missing q is 1000, `q=0` excludes.
fn best_accepted(header: &str) -> Option<Locale> {
    let mut best: Option<(u16, Locale)> = None;
    for entry in header.split(',').take(ACCEPT_LANGUAGE_ENTRIES_MAX) {
        let mut parts = entry.split(';');
        let tag = parts.next().unwrap_or_default().trim();
        let q = parts
            .find_map(|p| p.trim().strip_prefix("q="))
            .map_or(Some(1000), parse_q);
        let Some(q) = q.filter(|q| *q > 0) else {
            continue;
        };
        let primary = tag.split('-').next().unwrap_or_default();
        let locale = if tag == "*" {
            Some(Locale::Ko)
        } else {
            Locale::parse(primary)
        };
        if let Some(l) = locale
            && best.is_none_or(|(bq, _)| q > bq)
        {
            best = Some((q, l));
        }
    }
    best.map(|(_, l)| l)
}

/// `1`, `1.0`, `0.8`, `0.125` → thousandths; anything else (more than 3 decimals, > 1) → None.
fn parse_q(s: &str) -> Option<u16> {
    let (int, frac) = s.split_once('.').unwrap_or((s, ""));
    if frac.len() > 3 || !frac.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let whole: u16 = match int {
        "0" => 0,
        "1" => 1000,
        _ => return None,
    };
    let mut thousandths: u16 = 0;
    for (i, d) in frac.bytes().enumerate() {
        thousandths += u16::from(d - b'0') * [100, 10, 1][i];
    }
    let q = whole + thousandths;
    (q <= 1000).then_some(q)
}

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
    McTitle,
    McCarrier,
    McSkt,
    McKt,
    McLgu,
    McMvno,
    McPhone,
    McBirthDate,
    McConsent,
    McSendCode,
    McCodeSent,
    McCode,
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
}

impl Msg {
    /// How many keys there are.
    pub const COUNT: usize = Msg::BtBankError as usize + 1;

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
    ("계좌이체", "Bank transfer"),
    ("출금할 은행", "Bank to pay from"),
    ("KB국민은행", "KB Kookmin Bank"),
    ("신한은행", "Shinhan Bank"),
    ("우리은행", "Woori Bank"),
    ("하나은행", "Hana Bank"),
    ("NH농협은행", "NH NongHyup Bank"),
    ("다음", "Continue"),
    (
        "은행 페이지에서 계좌번호와 비밀번호로 로그인하고 출금을 승인하세요.",
        "Log in on your bank's page with your account number and password, then approve the debit.",
    ),
    ("은행으로 이동", "Go to the bank"),
    ("은행을 선택해 주세요.", "Please choose a bank."),
    (
        "은행에서 출금이 승인되지 않았습니다. 은행 페이지에서 승인해 주세요.",
        "The bank has not approved the debit. Please approve it on the bank's page.",
    ),
    (
        "잔액이 부족해 이체할 수 없습니다.",
        "The account's balance is not enough for this payment.",
    ),
    (
        "비밀번호 오류가 반복되어 인터넷뱅킹이 잠겼습니다.",
        "Internet banking is locked after too many wrong passwords.",
    ),
    (
        "은행이 이체를 거절했습니다.",
        "The bank declined the transfer.",
    ),
    (
        "은행과 연결할 수 없습니다. 잠시 후 다시 시도해 주세요.",
        "The bank cannot be reached. Please try again in a moment.",
    ),
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
        assert!(
            CATALOG
                .iter()
                .all(|(ko, en)| !ko.is_empty() && !en.is_empty())
        );
    }

    #[test]
    fn the_query_wins_then_accept_language_by_q_value_then_korean() {
        let cases: &[(Option<&str>, Option<&str>, Locale)] = &[
            (Some("en"), Some("ko"), Locale::En),
            (Some("EN"), None, Locale::En),
            (Some("ko"), Some("en-US"), Locale::Ko),
            (Some("fr"), Some("en-US,en;q=0.9"), Locale::En),
            (None, Some("en-US,en;q=0.9,ko;q=0.8"), Locale::En),
            (None, Some("ko;q=0.5, en;q=0.7"), Locale::En),
            (None, Some("en;q=0.5, ko-KR;q=0.7"), Locale::Ko),
            (None, Some("fr-FR, de;q=0.9"), Locale::Ko),
            (None, Some("en;q=0, ko;q=0.1"), Locale::Ko),
            (None, Some("en;q=0"), Locale::Ko),
            (None, Some("fr, en;q=0.001"), Locale::En),
            (None, Some("en;q=1.5"), Locale::Ko),
            (None, Some("en;q=abc"), Locale::Ko),
            (None, Some("*;q=0.9, en;q=0.8"), Locale::Ko),
            (None, Some(""), Locale::Ko),
            (None, None, Locale::Ko),
        ];
        for (q, al, want) in cases {
            assert_eq!(
                Locale::negotiate(*q, *al),
                *want,
                "query {q:?}, header {al:?}"
            );
        }
    }

    #[test]
    fn q_values_are_read_as_thousandths() {
        assert_eq!(parse_q("1"), Some(1000));
        assert_eq!(parse_q("1.000"), Some(1000));
        assert_eq!(parse_q("0.125"), Some(125));
        assert_eq!(parse_q("0.8"), Some(800));
        assert_eq!(parse_q("1.001"), None);
        assert_eq!(parse_q("0.1234"), None);
        assert_eq!(parse_q("-1"), None);
    }

    #[test]
    fn every_message_has_distinct_nonempty_korean_and_english_text() {
        for m in [
            Msg::PaymentTitle,
            Msg::StatusSucceeded,
            Msg::NotFoundBody,
            Msg::Continue,
        ] {
            let (ko, en) = (m.text(Locale::Ko), m.text(Locale::En));
            assert!(!ko.is_empty() && !en.is_empty() && ko != en, "{m:?}");
        }
    }
}
