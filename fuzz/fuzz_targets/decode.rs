//! Any bytes, every dialect: decoding never panics, errors point inside the input, and what
//! decodes encodes again to a message that decodes to the same values. The frame codecs get the
//! same bytes as a stream and must never panic or yield a frame over their maximum.
#![no_main]

use bytes::BytesMut;
use libfuzzer_sys::fuzz_target;
use posfault_proxies::wire::{DialectName, Framing, decode, encode};
use tokio_util::codec::Decoder;

fuzz_target!(|data: &[u8]| {
    for name in DialectName::ALL {
        let d = name.dialect();
        match decode(d, data) {
            Err(e) => assert!(e.offset <= data.len(), "{name}: {e}"),
            Ok(msg) => {
                let bytes = encode(d, &msg).expect("a decoded message encodes");
                assert_eq!(decode(d, &bytes).expect("re-encoded bytes decode"), msg, "{name}");
            }
        }
    }
    for framing in Framing::ALL {
        let mut codec = framing.codec(512);
        let mut buf = BytesMut::from(data);
        while let Ok(Some(frame)) = codec.decode_eof(&mut buf) {
            assert!(frame.len() <= 512);
        }
    }
});
