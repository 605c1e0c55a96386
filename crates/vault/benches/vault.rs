//! Vault hot paths: seal, open and fingerprint of one card.
//! Run with `cargo bench -p paygate-vault`.

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use paygate_vault::{CardData, Expiry, KeyRing, Pan, Secret, Vault, generate_key_b64};

fn vault() -> Vault {
    let keys = vec![("bench".to_owned(), generate_key_b64())];
    let ring = KeyRing::from_config("bench", &keys).expect("valid key ring");
    Vault::new(ring, Secret::new(vec![7; 32]))
}

fn card() -> CardData {
    CardData {
        pan: Pan::parse("4242424242424242").expect("valid PAN"),
        expiry: Expiry::new(12, 2030).expect("valid expiry"),
    }
}

fn bench_vault(c: &mut Criterion) {
    let v = vault();
    let card = card();
    let sealed = v.seal("card_bench", &card).expect("seal");
    c.bench_function("seal", |b| {
        b.iter(|| v.seal(black_box("card_bench"), black_box(&card)))
    });
    c.bench_function("open", |b| {
        b.iter(|| v.open(black_box("card_bench"), black_box(&sealed)))
    });
    c.bench_function("fingerprint", |b| {
        b.iter(|| v.fingerprint(black_box(&card.pan)))
    });
}

criterion_group!(benches, bench_vault);
criterion_main!(benches);
