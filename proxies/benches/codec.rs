//! Encode and decode throughput of one 15-field 0200 (fields 2, 3, 4, 7, 11, 12, 13, 14, 22,
//! 25, 35, 37, 41, 42, 49) in every dialect. Target: 2,000,000 messages/s per core each way in
//! iso87. Run: `cargo bench -p posfault-proxies --bench codec`; compare with
//! `python3 tools/bench_pyiso8583.py` (same message), figures in the README.

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use posfault_proxies::wire::{DialectName, Envelope, Message, decode, encode_into};
use std::hint::black_box;

/// The same values as tools/bench_pyiso8583.py.
fn sale_0200() -> Message {
    let mut m = Message::new("0200".parse().expect("digits"));
    m.set(2, "4761739001010010") // PAN
        .set(3, "000000") // processing code
        .set(4, "000000001234") // amount
        .set(7, "0115080000") // transmission date and time
        .set(11, "000001") // STAN
        .set(12, "080000") // local time
        .set(13, "0115") // local date
        .set(14, "2512") // expiry
        .set(22, "051") // POS entry mode
        .set(25, "00") // POS condition code
        .set(35, "4761739001010010=25121010000000000") // track 2
        .set(37, "000000000001") // RRN
        .set(41, "TERM0001") // terminal ID
        .set(42, "MERCHANT0000001") // merchant ID
        .set(49, "840"); // currency
    m
}

fn codec(c: &mut Criterion) {
    for name in DialectName::ALL {
        let d = name.dialect();
        let mut msg = sale_0200();
        if d.tpdu {
            msg.set_envelope(Some(
                Envelope::from_bytes(&[0x60, 0, 3, 0, 0]).expect("tpdu"),
            ));
        }
        let mut out = Vec::with_capacity(256);
        encode_into(d, &msg, &mut out).expect("the 0200 is valid");
        let bytes = out.clone();
        let mut g = c.benchmark_group(format!("{name} 0200"));
        g.throughput(Throughput::Elements(1));
        g.bench_function("encode", |b| {
            b.iter(|| {
                out.clear();
                encode_into(d, black_box(&msg), &mut out).expect("valid");
                black_box(out.len())
            })
        });
        g.bench_function("decode", |b| {
            b.iter(|| decode(d, black_box(&bytes)).expect("valid"))
        });
        g.finish();
    }
}

criterion_group!(benches, codec);
criterion_main!(benches);
