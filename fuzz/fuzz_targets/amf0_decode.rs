//! AMF0 messages (AMF3 behind 0x11 included) from hostile bytes: decoding never panics, and
//! whatever decodes encodes to bytes that decode to the same values.
#![no_main]

use libfuzzer_sys::fuzz_target;
use weir_amf0::{Limits, decode_all, encode_all};

fuzz_target!(|data: &[u8]| {
    let limits = Limits::default();
    let Ok(values) = decode_all(data, &limits) else {
        return;
    };
    let mut bytes = Vec::new();
    encode_all(&values, &mut bytes);
    let again = decode_all(&bytes, &limits).expect("re-encoded values decode");
    // Debug text compares NaN-aware (a NaN number is equal to itself there).
    assert_eq!(format!("{again:?}"), format!("{values:?}"));
});
