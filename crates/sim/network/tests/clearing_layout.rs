//! The simulator's clearing writer and the gateway's reader (`paygate_network::clearing`),
//! each written from docs/CLEARING.md, agree field by field; the reader refuses what breaks
//! the layout, naming line and field.

use paygate_network::clearing::{self, TransactionCode as Tc};
use paygate_sim_network::clearing::fees::{Brand, CardType};
use paygate_sim_network::clearing::layout::{self, Detail, TransactionCode};

fn detail(code: TransactionCode, amount: i64, fee: i64) -> Detail {
    Detail {
        code,
        rrn: "000000000042".into(),
        terminal_id: "PGTEST01".into(),
        auth_stan: "000007".into(),
        auth_transmitted_at: "1202143000".into(),
        message_stan: "000009".into(),
        masked_pan: "424242******4242".into(),
        approval_code: "A1B2C3".into(),
        amount,
        currency: 410,
        transaction_date: "20261201".into(),
        merchant_id: "acct_0123456789".into(),
        brand: Brand::Visa,
        card_type: CardType::Credit,
        fee,
    }
}

fn file(details: &[Detail]) -> String {
    let mut lines = vec![layout::header("20261202")];
    lines.extend(details.iter().map(layout::detail));
    lines.push(layout::trailer(details));
    lines.join("\n") + "\n"
}

#[test]
fn what_the_simulator_writes_the_gateway_reads_field_by_field() {
    let details = [
        detail(TransactionCode::Presentment, 3_000, 55),
        detail(TransactionCode::Credit, 2_000, 30),
    ];
    let text = file(&details);
    assert!(text.lines().all(|l| l.len() == layout::RECORD_WIDTH));
    let f = clearing::parse(&text).unwrap();
    assert_eq!(
        (f.date.to_string(), f.sender.as_str()),
        ("2026-12-02".into(), "PGNETSIM")
    );
    let (sale, credit) = (&f.records[0], &f.records[1]);
    assert_eq!(
        (sale.code, sale.line, sale.amount, sale.fee),
        (Tc::Presentment, 2, 3_000, 55)
    );
    assert_eq!(
        (credit.code, credit.amount, credit.fee),
        (Tc::Credit, 2_000, -30)
    );
    assert_eq!(
        (
            sale.rrn.as_str(),
            sale.terminal_id.as_str(),
            sale.auth_stan.as_str(),
            sale.auth_transmitted_at.as_str(),
            sale.message_stan.as_str(),
            sale.masked_pan.as_str(),
            sale.approval_code.as_str(),
            sale.currency.as_str(),
            sale.merchant_id.as_str(),
            sale.brand.as_str(),
            sale.card_type.as_str(),
        ),
        (
            "000000000042",
            "PGTEST01",
            "000007",
            "1202143000",
            "000009",
            "424242******4242",
            "A1B2C3",
            "410",
            "acct_0123456789",
            "VI",
            "C",
        )
    );
    assert_eq!(sale.transaction_date.to_string(), "2026-12-01");
}

#[test]
fn a_broken_file_is_refused_naming_line_and_field() {
    let text = file(&[detail(TransactionCode::Presentment, 3_000, 55)]);
    let e = |t: &str| clearing::parse(t).unwrap_err().to_string();
    assert!(e(&text.replacen("D05", "D07", 1)).contains("line 2: transaction code"));
    assert!(e(&text.replacen("000000003000", "00000000300X", 1)).contains("line 2: amount"));
    assert!(
        e(&text.replacen("000000003000", "000000003001", 1)).contains("line 3: presentment total")
    );
    assert!(e(&text[..text.len() - 2]).contains("line 3: record must be 128"));
    assert!(e("").contains("header"));
}
