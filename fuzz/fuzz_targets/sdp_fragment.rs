//! Trickle ICE fragments (RFC 8840's sdpfrag), as WHIP and WHEP `PATCH` bodies reach the server.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok((fragment, _)) = weir_sdp::parse_fragment(data, &weir_sdp::Limits::default()) {
        let _ = fragment.is_restart();
        for (_, candidate) in fragment.candidates() {
            let _ = weir_sdp::Attribute::Candidate(candidate.clone()).to_string();
        }
    }
});
