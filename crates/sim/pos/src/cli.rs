//! `paygate sim pos --host ADDR --terminal ID --wallet apple_pay|samsung_pay --amount N`: one
//! payment by a phone at the terminal (or `--refund RRN`, `--totals`), printed as text or
//! `--json`. A purchase without an answer in `--timeout-ms` is reversed (0400, repeated until
//! answered) and reported as such.

use crate::phone::{self, Transaction, Wallet};
use crate::state::State;
use crate::terminal::{Identity, exchange, original_data, request};
use paygate_iso8583::Message;
use serde_json::{Value, json};
use std::path::PathBuf;
use std::time::Duration;

#[derive(clap::Args, Debug)]
pub struct SimPosArgs {
    /// The gateway's POS listener, HOST:PORT.
    #[arg(long)]
    pub host: String,
    /// DE 41 (from `paygate terminal create`).
    #[arg(long)]
    pub terminal: String,
    /// DE 42 (from `paygate terminal create`); sent when given.
    #[arg(long)]
    pub merchant_id: Option<String>,
    #[arg(long, value_enum, default_value = "apple_pay")]
    pub wallet: Wallet,
    /// Amount in minor units.
    #[arg(long, default_value_t = 0)]
    pub amount: i64,
    /// ISO 4217 numeric currency (410 = KRW).
    #[arg(long, default_value_t = 410)]
    pub currency: u16,
    /// The phone's device token (default: the token service's test DPAN for the wallet).
    #[arg(long)]
    pub card: Option<String>,
    /// Token expiry YYMM.
    #[arg(long, default_value = "3412")]
    pub expiry: String,
    /// The terminal's state file (STAN, the phone's ATC).
    #[arg(long, default_value = "pos-terminal.json")]
    pub state: PathBuf,
    /// Use this ATC instead of the next one (a replayed read).
    #[arg(long)]
    pub atc: Option<u16>,
    /// Flip a bit of the ARQC or CVC3 (a tampered read).
    #[arg(long)]
    pub corrupt_cryptogram: bool,
    /// Refund (processing code 20) the purchase with this RRN instead of paying.
    #[arg(long, value_name = "RRN")]
    pub refund: Option<String>,
    /// Ask for the end-of-day totals (0500) instead of paying.
    #[arg(long)]
    pub totals: bool,
    #[arg(long, default_value_t = 10_000)]
    pub timeout_ms: u64,
    #[arg(long)]
    pub json: bool,
}

/// The test device tokens of the network simulator's token service (funding cards
/// 4242424242424242 and 5555555555554444).
fn default_card(wallet: Wallet) -> &'static str {
    match wallet {
        Wallet::ApplePay => "4895370000000015",
        Wallet::SamsungPay => "5399990000000018",
    }
}

fn random<const N: usize>() -> [u8; N] {
    let mut b = [0u8; N];
    getrandom::fill(&mut b).expect("OS random source");
    b
}

/// Runs the command; the report, printed.
pub async fn run(args: SimPosArgs) -> Result<(), String> {
    let report = if args.totals {
        totals(&args).await?
    } else {
        pay_or_refund(&args).await?
    };
    if args.json {
        println!("{report}");
    } else {
        println!(
            "{} {}",
            report["response_code"].as_str().unwrap_or("--"),
            report["outcome"].as_str().unwrap_or("")
        );
    }
    Ok(())
}

async fn pay_or_refund(args: &SimPosArgs) -> Result<Value, String> {
    let mut state = State::load(&args.state)?;
    let id = Identity {
        terminal_id: args.terminal.clone(),
        merchant_id: args.merchant_id.clone(),
    };
    let pan = args
        .card
        .clone()
        .unwrap_or_else(|| default_card(args.wallet).to_owned());
    let stan = state.take_stan();
    let processing = if args.refund.is_some() {
        "200000"
    } else {
        "000000"
    };
    let mut msg = request("0200", processing, &stan, &id);
    msg.set_str(4, &format!("{:012}", args.amount))
        .set_str(49, &format!("{:03}", args.currency));
    let mut atc = None;
    let mut icc = None;
    match (&args.refund, args.wallet) {
        (Some(rrn), _) => {
            let (stan, at) = state
                .purchases
                .get(rrn)
                .ok_or_else(|| format!("no approved purchase with RRN {rrn} in the state file"))?;
            msg.set_str(90, &format!("0200{stan}{at}{}", "0".repeat(22)));
        }
        (None, Wallet::ApplePay) => {
            let n = state.take_atc(&pan, args.atc);
            let now = time::OffsetDateTime::now_utc();
            let date = hex::decode(format!(
                "{:02}{:02}{:02}",
                now.year() % 100,
                u8::from(now.month()),
                now.day()
            ))
            .map_err(|e| e.to_string())?;
            let tx = Transaction {
                amount_minor: args.amount,
                currency_numeric: args.currency,
                date: date.try_into().expect("3 bytes"),
                unpredictable_number: random(),
            };
            let data = phone::chip_data(&pan, n, &tx, args.wallet, args.corrupt_cryptogram);
            msg.set_str(2, &pan)
                .set_str(14, &args.expiry)
                .set_str(22, "071")
                .set_str(55, &hex::encode_upper(&data));
            (atc, icc) = (Some(n), Some(data));
        }
        (None, Wallet::SamsungPay) => {
            let n = state.take_atc(&pan, args.atc);
            let un = u16::from_be_bytes(random()) % 1000;
            let track = phone::mst_track2(&pan, &args.expiry, n, un, args.corrupt_cryptogram);
            msg.set_str(22, "901").set_str(35, &track);
            atc = Some(n);
        }
    }
    // The counter and STAN are durable before the read leaves the terminal.
    state.save(&args.state)?;
    let timeout = Duration::from_millis(args.timeout_ms);
    match exchange(&args.host, &msg, timeout).await {
        Ok(resp) => {
            if let (None, Some("00"), Some(rrn)) =
                (&args.refund, resp.get_str(39), resp.get_str(37))
            {
                let at = msg.get_str(7).unwrap_or_default().to_owned();
                state.purchases.insert(rrn.to_owned(), (stan.clone(), at));
                state.save(&args.state)?;
            }
            Ok(report(&resp, &pan, atc, icc.as_deref(), &stan))
        }
        Err(crate::terminal::ExchangeError::Io(e)) if args.refund.is_some() => Err(e),
        Err(_) => reverse(args, &mut state, &id, &msg).await,
    }
}

fn report(resp: &Message, pan: &str, atc: Option<u16>, icc: Option<&[u8]>, stan: &str) -> Value {
    let code = resp.get_str(39).unwrap_or_default();
    let answer_icc = resp.get_str(55).and_then(|h| hex::decode(h).ok());
    let arpc_valid = match (atc, icc, &answer_icc) {
        (Some(atc), Some(sent), Some(answer)) => Some(phone::arpc_valid(pan, atc, sent, answer)),
        _ => None,
    };
    json!({
        "outcome": if code == "00" { "approved" } else { "declined" },
        "response_code": code,
        "stan": stan,
        "atc": atc,
        "rrn": resp.get_str(37),
        "approval_code": resp.get_str(38),
        "issuer_authentication_data": resp.get_str(55),
        "arpc_valid": arpc_valid,
        "reversed": false,
    })
}

/// No answer in time: a 0400 naming the purchase, repeated until the host answers it.
async fn reverse(
    args: &SimPosArgs,
    state: &mut State,
    id: &Identity,
    orig: &Message,
) -> Result<Value, String> {
    let stan = state.take_stan();
    state.save(&args.state)?;
    let mut rev = request("0400", orig.get_str(3).unwrap_or("000000"), &stan, id);
    rev.set_str(4, orig.get_str(4).unwrap_or_default())
        .set_str(49, orig.get_str(49).unwrap_or_default())
        .set_str(90, &original_data(orig));
    let timeout = Duration::from_millis(args.timeout_ms);
    let mut last = String::new();
    for _ in 0..30 {
        match exchange(&args.host, &rev, timeout).await {
            Ok(resp) => {
                return Ok(json!({
                    "outcome": "reversed",
                    "response_code": resp.get_str(39),
                    "stan": orig.get_str(11),
                    "reversal_stan": stan,
                    "reversed": true,
                }));
            }
            Err(e) => last = format!("{e:?}"),
        }
        // Not a wait for a deadline: a pause between reconnection attempts to a host that is
        // restarting.
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    Err(format!("the reversal was never answered: {last}"))
}

async fn totals(args: &SimPosArgs) -> Result<Value, String> {
    let mut state = State::load(&args.state)?;
    let id = Identity {
        terminal_id: args.terminal.clone(),
        merchant_id: args.merchant_id.clone(),
    };
    let stan = state.take_stan();
    state.save(&args.state)?;
    let mut msg = request("0500", "920000", &stan, &id);
    msg.set_str(49, &format!("{:03}", args.currency));
    let resp = exchange(&args.host, &msg, Duration::from_millis(args.timeout_ms))
        .await
        .map_err(|e| format!("{e:?}"))?;
    let field = |de| resp.get_str(de).map(str::to_owned);
    Ok(json!({
        "outcome": "totals",
        "response_code": field(39),
        "totals": field(48),
    }))
}
