//! Property tests: every valid message survives encode -> decode in every dialect, and no
//! byte string makes any decoder panic.

mod common;

use posfault_proxies::wire::{DialectName, decode, encode};
use proptest::prelude::*;

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn iso87_messages_round_trip(seed: u64, density in 0.0..1.0f64) {
        round_trips(DialectName::Iso87, seed, density)?;
    }

    #[test]
    fn iso87_ascii_messages_round_trip(seed: u64, density in 0.0..1.0f64) {
        round_trips(DialectName::Iso87Ascii, seed, density)?;
    }

    #[test]
    fn cup_messages_round_trip(seed: u64, density in 0.0..1.0f64) {
        round_trips(DialectName::Cup, seed, density)?;
    }

    #[test]
    fn random_bytes_never_panic_any_decoder(bytes in proptest::collection::vec(any::<u8>(), 0..600)) {
        for d in DialectName::ALL {
            match decode(d.dialect(), &bytes) {
                Err(e) => prop_assert!(e.offset <= bytes.len(), "{d}: {e}"),
                Ok(msg) => {
                    let again = encode(d.dialect(), &msg).map_err(|e| TestCaseError::fail(format!("{d}: {e}")))?;
                    prop_assert_eq!(decode(d.dialect(), &again).ok(), Some(msg), "{}", d);
                }
            }
        }
    }

    #[test]
    fn corrupting_one_byte_of_a_valid_message_never_panics(seed: u64, at: usize, byte: u8) {
        for d in DialectName::ALL {
            let mut bytes = encode(d.dialect(), &common::random_message(d.dialect(), seed, 0.3)).unwrap();
            let i = at % bytes.len();
            bytes[i] = byte;
            let _ = decode(d.dialect(), &bytes);
        }
    }
}

fn round_trips(name: DialectName, seed: u64, density: f64) -> Result<(), TestCaseError> {
    let d = name.dialect();
    let msg = common::random_message(d, seed, density);
    let bytes =
        encode(d, &msg).map_err(|e| TestCaseError::fail(format!("{name} seed {seed}: {e}")))?;
    let back =
        decode(d, &bytes).map_err(|e| TestCaseError::fail(format!("{name} seed {seed}: {e}")))?;
    prop_assert_eq!(&back, &msg, "{} seed {}", name, seed);
    prop_assert_eq!(encode(d, &back).unwrap(), bytes, "{} seed {}", name, seed);
    Ok(())
}
