//! The part of the server's WebRTC UDP path that is Weir's own: telling STUN from DTLS and
//! RTP (RFC 7983) and finding the session a connectivity check is for, on any datagram.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = weir_stun::classify(data);
    if let Some(ufrag) = weir_stun::local_ufrag(data) {
        assert!(weir_stun::is_stun(data));
        assert!(!ufrag.contains(':'));
    }
});
