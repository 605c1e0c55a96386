//! The banks the simulator plays (by their KFTC three-digit codes) and their test accounts.

/// A bank the simulator plays.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Bank {
    pub code: &'static str,
    pub name: &'static str,
}

/// Every bank the simulator plays.
pub const BANKS: [Bank; 5] = [
    Bank {
        code: "004",
        name: "KB국민은행",
    },
    Bank {
        code: "088",
        name: "신한은행",
    },
    Bank {
        code: "020",
        name: "우리은행",
    },
    Bank {
        code: "081",
        name: "하나은행",
    },
    Bank {
        code: "011",
        name: "NH농협은행",
    },
];

/// The bank of `code`.
pub fn bank(code: &str) -> Option<Bank> {
    BANKS.into_iter().find(|b| b.code == code)
}

/// A test account (a payer's or a shop customer's account) with its opening balance in KRW
/// and the internet-banking password its holder logs in with on the bank's page (계좌이체).
/// Test data: documented in docs/BANK_TRANSFER.md; the bank keeps only a hash of it.
#[derive(Clone, Copy, Debug)]
pub struct TestAccount {
    pub bank: &'static str,
    pub account_no: &'static str,
    pub holder: &'static str,
    pub balance: i64,
    pub password: &'static str,
    /// Locked for internet banking from the start (too many wrong passwords earlier).
    pub locked: bool,
}

/// Wrong passwords in a row after which an account is locked for internet banking.
pub const PASSWORD_FAILURES_MAX: i64 = 3;

/// The test accounts (docs/VIRTUAL_ACCOUNTS.md and docs/BANK_TRANSFER.md list them):
/// transfers (refunds) to any other account are refused as unknown.
pub const TEST_ACCOUNTS: [TestAccount; 6] = [
    TestAccount {
        bank: "004",
        account_no: "12345678901234",
        holder: "홍길동",
        balance: 1_000_000,
        password: "1111",
        locked: false,
    },
    TestAccount {
        bank: "088",
        account_no: "110123456789",
        holder: "김철수",
        balance: 500_000,
        password: "2222",
        locked: false,
    },
    TestAccount {
        bank: "020",
        account_no: "1002123456789",
        holder: "이영희",
        balance: 0,
        password: "3333",
        locked: false,
    },
    TestAccount {
        bank: "081",
        account_no: "12391012345678",
        holder: "박민수",
        balance: 50_000,
        password: "4444",
        locked: false,
    },
    TestAccount {
        bank: "011",
        account_no: "3020000012345",
        holder: "최지우",
        balance: 10_000_000,
        password: "5555",
        locked: false,
    },
    TestAccount {
        bank: "004",
        account_no: "98765432109876",
        holder: "정잠금",
        balance: 100_000,
        password: "6666",
        locked: true,
    },
];
