//! The dashboard's texts, Korean and English in one table (the payer pages' catalog is the
//! payer's; the dashboard keeps its own so that neither grows the other's build or merges).
//! Templates hold no sentence of their own: adding a key makes the compiler ask for both.

use paygate_payer_pages::Locale;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum T {
    Dashboard,
    LoginTitle,
    Email,
    Password,
    LogIn,
    TotpTitle,
    TotpCode,
    TotpHint,
    Verify,
    LoginFailed,
    Locked,
    FormExpired,
    LogOut,
    Payments,
    Search,
    SearchHint,
    Status,
    Method,
    Last4,
    From,
    To,
    Any,
    Apply,
    ExportCsv,
    Id,
    Amount,
    Created,
    Merchant,
    NoPayments,
    NotFoundTitle,
    NotFound,
    PaymentTitle,
    Timeline,
    Events,
    Refunds,
    Refund,
    Capture,
    Cancel,
    ConfirmTitle,
    ConfirmRefund,
    ConfirmCapture,
    ConfirmCancel,
    Confirm,
    Back,
    Done,
    Failed,
    Metadata,
    Description,
    Next,
    AuditTitle,
    Skip,
}

impl T {
    pub fn text(self, l: Locale) -> &'static str {
        let (ko, en) = self.pair();
        match l {
            Locale::Ko => ko,
            Locale::En => en,
        }
    }

    fn pair(self) -> (&'static str, &'static str) {
        match self {
            T::Dashboard => ("paygate 대시보드", "paygate dashboard"),
            T::LoginTitle => ("로그인", "Log in"),
            T::Email => ("이메일", "Email"),
            T::Password => ("비밀번호", "Password"),
            T::LogIn => ("로그인", "Log in"),
            T::TotpTitle => ("인증 코드", "Verification code"),
            T::TotpCode => (
                "인증 앱의 6자리 코드",
                "6-digit code from your authenticator app",
            ),
            T::TotpHint => (
                "인증 앱(OTP)에 표시된 코드를 입력하세요.",
                "Enter the code your authenticator app shows.",
            ),
            T::Verify => ("확인", "Verify"),
            T::LoginFailed => (
                "이메일, 비밀번호 또는 코드가 맞지 않습니다.",
                "The email, password or code is not right.",
            ),
            T::Locked => (
                "로그인 시도가 너무 많아 30분 동안 잠겼습니다.",
                "Too many attempts: this account is locked for 30 minutes.",
            ),
            T::FormExpired => (
                "양식이 만료되었습니다. 다시 시도하세요.",
                "This form has expired. Please try again.",
            ),
            T::LogOut => ("로그아웃", "Log out"),
            T::Payments => ("결제", "Payments"),
            T::Search => ("검색", "Search"),
            T::SearchHint => (
                "결제 ID 또는 금액(최소 단위)",
                "Payment id or amount (minor units)",
            ),
            T::Status => ("상태", "Status"),
            T::Method => ("결제 수단", "Method"),
            T::Last4 => ("카드 끝 4자리", "Card last 4"),
            T::From => ("시작일", "From"),
            T::To => ("종료일", "To"),
            T::Any => ("전체", "Any"),
            T::Apply => ("적용", "Apply"),
            T::ExportCsv => ("CSV 내보내기", "Export CSV"),
            T::Id => ("ID", "ID"),
            T::Amount => ("금액", "Amount"),
            T::Created => ("생성 시각", "Created"),
            T::Merchant => ("가맹점", "Merchant"),
            T::NoPayments => ("결제가 없습니다.", "No payments."),
            T::NotFoundTitle => ("찾을 수 없음", "Not found"),
            T::NotFound => ("요청한 항목이 없습니다.", "There is nothing here."),
            T::PaymentTitle => ("결제 상세", "Payment"),
            T::Timeline => ("타임라인", "Timeline"),
            T::Events => ("이벤트", "Events"),
            T::Refunds => ("환불", "Refunds"),
            T::Refund => ("환불", "Refund"),
            T::Capture => ("매입", "Capture"),
            T::Cancel => ("취소", "Cancel"),
            T::ConfirmTitle => ("확인", "Confirm"),
            T::ConfirmRefund => ("이 금액을 환불합니까?", "Refund this amount?"),
            T::ConfirmCapture => ("이 결제를 매입합니까?", "Capture this payment?"),
            T::ConfirmCancel => ("이 결제를 취소합니까?", "Cancel this payment?"),
            T::Confirm => ("실행", "Confirm"),
            T::Back => ("돌아가기", "Back"),
            T::Done => ("처리되었습니다.", "Done."),
            T::Failed => ("처리하지 못했습니다", "It did not go through"),
            T::Metadata => ("메타데이터", "Metadata"),
            T::Description => ("설명", "Description"),
            T::Next => ("다음", "Next"),
            T::AuditTitle => ("감사 로그", "Audit log"),
            T::Skip => ("본문으로 건너뛰기", "Skip to content"),
        }
    }
}
