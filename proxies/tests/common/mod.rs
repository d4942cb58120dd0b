//! Random valid messages for property and interop tests, drawn from a seeded RNG so that a
//! failing case is reproduced by its seed.

use posfault_proxies::wire::spec::{Enc, Len};
use posfault_proxies::wire::{Dialect, Envelope, Message, Tpdu};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// A random message valid in `dialect`: each field present with probability `density`, with
/// a random length its table line allows and random characters its encoding allows.
pub fn random_message(dialect: &Dialect, seed: u64, density: f64) -> Message {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mti = format!(
        "0{}{}{}",
        rng.random_range(1..=9),
        rng.random_range(0..=9),
        rng.random_range(0..=9)
    );
    let mut msg = Message::new(mti.parse().expect("four digits"));
    if dialect.tpdu {
        msg.set_envelope(Some(Envelope {
            tpdu: Tpdu {
                destination: rng.random(),
                source: rng.random(),
            },
            // A header starts with an application type (0x60 on UnionPay links).
            header: rng.random_bool(0.5).then(|| {
                let mut h: [u8; 6] = rng.random();
                h[0] = 0x60;
                h
            }),
        }));
    }
    for spec in dialect.fields() {
        // Draw for every line, data or not, so a seed means the same message after table edits.
        if !rng.random_bool(density) || dialect.data_field(spec.number).is_none() {
            continue;
        }
        let len = match spec.len {
            Len::Fixed(n) => usize::from(n),
            Len::LlVar(max) | Len::LllVar(max) => rng.random_range(0..=usize::from(max)),
        };
        let value: Vec<u8> = (0..len)
            .map(|_| match spec.enc {
                Enc::Binary => rng.random(),
                Enc::Ascii => rng.random_range(0..=127),
                Enc::Bcd => rng.random_range(b'0'..=b'9'),
                Enc::Track => *b"0123456789=".get(rng.random_range(0..11)).unwrap_or(&b'0'),
            })
            .collect();
        msg.set(spec.number, value);
    }
    msg
}
