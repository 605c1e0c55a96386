//! Form parsing of a typical confirm-in-one-call request (the hot path of every payment).

use criterion::{Criterion, criterion_group, criterion_main};
use paygate_gateway::params::Params;
use std::hint::black_box;

const BODY: &[u8] = b"amount=10000&currency=krw&confirm=true&payment_method_data[type]=card\
&payment_method_data[card][number]=4242424242424242&payment_method_data[card][exp_month]=12\
&payment_method_data[card][exp_year]=2030&payment_method_data[card][cvc]=123\
&metadata[order_id]=A-10001&expand[]=latest_charge";

fn form_parsing(c: &mut Criterion) {
    c.bench_function("params/parse_form_confirm", |b| {
        b.iter(|| Params::parse(None, black_box(BODY), None).map(|p| p.root().len()))
    });
    let json = br#"{"amount":10000,"currency":"krw","confirm":true,"payment_method_data":{"type":"card","card":{"number":"4242424242424242","exp_month":12,"exp_year":2030,"cvc":"123"}},"metadata":{"order_id":"A-10001"}}"#;
    c.bench_function("params/parse_json_confirm", |b| {
        b.iter(|| {
            Params::parse(Some("application/json"), black_box(json), None).map(|p| p.root().len())
        })
    });
}

criterion_group!(benches, form_parsing);
criterion_main!(benches);
