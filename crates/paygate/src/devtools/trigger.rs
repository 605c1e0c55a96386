//! `paygate trigger <event>`: makes the gateway fire an event by creating the objects that
//! fire it through the public API, with the test cards of docs/test-cards.md. One table,
//! [`FIXTURES`]: each event and the API calls that lead to it; a call's path and form may name
//! the id of the object the previous call returned as `{prev}`.
//!
//! `checkout.session.completed` is not here: a Checkout Session completes on the payer's
//! hosted page (a browser), not through an API call.

use super::{Answer, Api, ApiArgs, api_message, print_json};
use paygate_gateway::ids::random_base62;
use reqwest::Method;
use serde_json::{Value, json};

#[derive(clap::Args)]
pub struct TriggerArgs {
    #[command(flatten)]
    pub api: ApiArgs,
    /// The event to fire (see --list).
    #[arg(required_unless_present = "list")]
    pub event: Option<String>,
    /// List the events that can be triggered.
    #[arg(long, conflicts_with = "event")]
    pub list: bool,
    /// One JSON document instead of text.
    #[arg(long)]
    pub json: bool,
}

/// What a call must answer for the fixture to go on.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Expect {
    /// 2xx.
    Success,
    /// 402, a card error (the decline is the point of the fixture).
    Declined,
}

/// One API call of a fixture.
struct Call {
    method: Verb,
    path: &'static str,
    form: &'static [&'static [(&'static str, &'static str)]],
    expect: Expect,
}

#[derive(Clone, Copy)]
enum Verb {
    Post,
    Delete,
}

impl Verb {
    fn method(self) -> Method {
        match self {
            Verb::Post => Method::POST,
            Verb::Delete => Method::DELETE,
        }
    }
}

/// An event and the calls that make the gateway fire it.
struct Fixture {
    event: &'static str,
    calls: &'static [Call],
}

/// A card from docs/test-cards.md, as `payment_method_data`.
const fn card(number: &'static str) -> [(&'static str, &'static str); 5] {
    [
        ("payment_method_data[type]", "card"),
        ("payment_method_data[card][number]", number),
        ("payment_method_data[card][exp_month]", "12"),
        ("payment_method_data[card][exp_year]", "2034"),
        ("payment_method_data[card][cvc]", "123"),
    ]
}

const APPROVED: [(&str, &str); 5] = card("4242424242424242");
const DECLINED: [(&str, &str); 5] = card("4000000000000002");
/// Enrolled in 3-D Secure; with `request_three_d_secure=challenge` the payer must authenticate.
const THREE_DS: [(&str, &str); 5] = card("4000000000003220");
const AMOUNT: [(&str, &str); 3] = [
    ("amount", "10000"),
    ("currency", "krw"),
    ("description", "paygate trigger"),
];
const CONFIRM: [(&str, &str); 1] = [("confirm", "true")];
const MANUAL: [(&str, &str); 1] = [("capture_method", "manual")];
const CHALLENGE: [(&str, &str); 2] = [
    (
        "payment_method_options[card][request_three_d_secure]",
        "challenge",
    ),
    ("return_url", "https://example.com/paygate-trigger/return"),
];
const CUSTOMER: [(&str, &str); 2] = [
    ("name", "paygate trigger"),
    ("email", "trigger@example.com"),
];
const RENAME: [(&str, &str); 1] = [("name", "paygate trigger (updated)")];
const FOR_PREV: [(&str, &str); 1] = [("payment_intent", "{prev}")];

const fn post(
    path: &'static str,
    form: &'static [&'static [(&'static str, &'static str)]],
) -> Call {
    Call {
        method: Verb::Post,
        path,
        form,
        expect: Expect::Success,
    }
}

const PAY: Call = post("/v1/payment_intents", &[&AMOUNT, &CONFIRM, &APPROVED]);
const PAY_DECLINED: Call = Call {
    expect: Expect::Declined,
    ..post("/v1/payment_intents", &[&AMOUNT, &CONFIRM, &DECLINED])
};
const AUTHORIZE: Call = post(
    "/v1/payment_intents",
    &[&AMOUNT, &CONFIRM, &MANUAL, &APPROVED],
);
const CAPTURE: Call = post("/v1/payment_intents/{prev}/capture", &[]);
const REFUND: Call = post("/v1/refunds", &[&FOR_PREV]);
const NEW_CUSTOMER: Call = post("/v1/customers", &[&CUSTOMER]);
const SETUP: Call = post("/v1/setup_intents", &[&CONFIRM, &APPROVED]);

/// Every event `trigger` can fire, and how.
const FIXTURES: &[Fixture] = &[
    Fixture {
        event: "payment_intent.created",
        calls: &[post("/v1/payment_intents", &[&AMOUNT])],
    },
    Fixture {
        event: "payment_intent.succeeded",
        calls: &[PAY],
    },
    Fixture {
        event: "payment_intent.payment_failed",
        calls: &[PAY_DECLINED],
    },
    Fixture {
        event: "payment_intent.canceled",
        calls: &[
            post("/v1/payment_intents", &[&AMOUNT]),
            post("/v1/payment_intents/{prev}/cancel", &[]),
        ],
    },
    Fixture {
        event: "payment_intent.requires_action",
        calls: &[post(
            "/v1/payment_intents",
            &[&AMOUNT, &CONFIRM, &CHALLENGE, &THREE_DS],
        )],
    },
    Fixture {
        event: "payment_intent.amount_capturable_updated",
        calls: &[AUTHORIZE],
    },
    Fixture {
        event: "charge.succeeded",
        calls: &[PAY],
    },
    Fixture {
        event: "charge.failed",
        calls: &[PAY_DECLINED],
    },
    Fixture {
        event: "charge.captured",
        calls: &[AUTHORIZE, CAPTURE],
    },
    Fixture {
        event: "charge.refunded",
        calls: &[PAY, REFUND],
    },
    Fixture {
        event: "refund.created",
        calls: &[PAY, REFUND],
    },
    Fixture {
        event: "customer.created",
        calls: &[NEW_CUSTOMER],
    },
    Fixture {
        event: "customer.updated",
        calls: &[NEW_CUSTOMER, post("/v1/customers/{prev}", &[&RENAME])],
    },
    Fixture {
        event: "customer.deleted",
        calls: &[
            NEW_CUSTOMER,
            Call {
                method: Verb::Delete,
                ..post("/v1/customers/{prev}", &[])
            },
        ],
    },
    Fixture {
        event: "setup_intent.created",
        calls: &[post("/v1/setup_intents", &[])],
    },
    Fixture {
        event: "setup_intent.succeeded",
        calls: &[SETUP],
    },
    Fixture {
        event: "setup_intent.canceled",
        calls: &[
            post("/v1/setup_intents", &[]),
            post("/v1/setup_intents/{prev}/cancel", &[]),
        ],
    },
];

pub async fn run(args: TriggerArgs) -> Result<(), String> {
    if args.list {
        print_list(args.json);
        return Ok(());
    }
    let event = args.event.unwrap_or_default();
    let fixture = FIXTURES.iter().find(|f| f.event == event).ok_or_else(|| {
        format!(
            "cannot trigger {event:?}; supported events: {}",
            FIXTURES
                .iter()
                .map(|f| f.event)
                .collect::<Vec<_>>()
                .join(", ")
        )
    })?;
    let api = Api::new(&args.api)?;
    let run_id = random_base62(12);
    let mut prev = String::new();
    let mut done = Vec::new();
    for (n, call) in fixture.calls.iter().enumerate() {
        let path = call.path.replace("{prev}", &prev);
        let form = fill(call.form, &prev);
        let key = format!("trigger_{run_id}_{n}");
        let method = call.method.method();
        if !args.json {
            println!("Running fixture: {method} {path}");
        }
        let a = api.call(method.clone(), &path, &form, Some(&key)).await?;
        check(call.expect, &a, &method, &path)?;
        prev = object_id(&a.body).unwrap_or_default();
        done.push(
            json!({"method": method.as_str(), "path": path, "status": a.status,
            "request_id": a.request_id, "object": prev}),
        );
    }
    if args.json {
        print_json(&json!({"object": "trigger", "event": fixture.event, "requests": done}));
    } else {
        println!(
            "Trigger succeeded! The gateway fires {} (see `paygate listen` or GET /v1/events).",
            fixture.event
        );
    }
    Ok(())
}

fn print_list(json: bool) {
    if json {
        let events: Vec<Value> = FIXTURES
            .iter()
            .map(|f| json!({"event": f.event, "calls": f.calls.len()}))
            .collect();
        print_json(&json!({"object": "list", "data": events}));
    } else {
        for f in FIXTURES {
            println!("{}", f.event);
        }
    }
}

/// The form of a call, `{prev}` replaced by the previous object's id.
fn fill(parts: &[&[(&str, &str)]], prev: &str) -> Vec<(String, String)> {
    parts
        .iter()
        .flat_map(|p| p.iter())
        .map(|(k, v)| ((*k).to_string(), v.replace("{prev}", prev)))
        .collect()
}

/// The id of the object an answer carries (a declined payment's error carries its intent).
fn object_id(body: &Value) -> Option<String> {
    body["id"]
        .as_str()
        .or_else(|| body["error"]["payment_intent"]["id"].as_str())
        .map(str::to_string)
}

fn check(expect: Expect, a: &Answer, method: &Method, path: &str) -> Result<(), String> {
    let ok = match expect {
        Expect::Success => (200..300).contains(&a.status),
        Expect::Declined => a.status == 402 && a.body["error"]["type"] == "card_error",
    };
    if ok {
        return Ok(());
    }
    Err(format!(
        "{method} {path} answered {} ({}), expected {expect:?} [{}]",
        a.status,
        api_message(&a.body),
        a.request_id
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_event_once_and_prev_only_after_a_call() {
        let mut seen = std::collections::HashSet::new();
        for f in FIXTURES {
            assert!(seen.insert(f.event), "{} twice", f.event);
            let first = &f.calls[0];
            let form = fill(first.form, "X");
            assert!(
                !first.path.contains("{prev}") && form.iter().all(|(_, v)| v != "X"),
                "{}: the first call has no previous object",
                f.event
            );
        }
    }
}
