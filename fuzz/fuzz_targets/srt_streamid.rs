//! SRT stream ids as a caller's handshake carries them: any string parses or fails with a
//! `srt.streamid.*` rule, and what parses writes a canonical form that parses back the same
//! (when that form is within the wire's 512 bytes: a bare `app/stream` near the limit grows
//! by the `#!::r=` and `,m=request` of the canonical form).
#![no_main]
use libfuzzer_sys::fuzz_target;
use weir_srt::streamid::{MAX_LEN, StreamId};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    match StreamId::parse_checked(text) {
        Ok((id, _)) => {
            let canonical = id.to_string();
            if canonical.len() <= MAX_LEN {
                assert_eq!(StreamId::parse(&canonical).as_ref(), Ok(&id), "{canonical}");
            }
        }
        Err(e) => assert!(e.rule_id().starts_with("srt.streamid."), "{e}"),
    }
});
