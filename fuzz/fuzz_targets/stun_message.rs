//! STUN messages from hostile bytes: a datagram parse that, when it succeeds, writes back to
//! bytes that parse to the same message; integrity checks with both kinds of credentials;
//! ICE checks; and the same bytes as a TCP stream (plain or RFC 4571 framed) through
//! `Stream`, giving the same outputs however they are cut.
#![no_main]

use libfuzzer_sys::fuzz_target;
use weir_stun::{Credentials, Message, Stream, ice, verify_integrity};
use weir_testkit::split;

fuzz_target!(|data: &[u8]| {
    let mut violations = Vec::new();
    if let Ok(message) = Message::parse_datagram(data, &mut violations) {
        let bytes = message.to_bytes();
        let again = Message::parse_datagram(&bytes, &mut Vec::new());
        assert_eq!(again.as_ref(), Ok(&message));
        ice::check(&message, true, 0, &mut violations);
    }
    for credentials in [
        Credentials::ShortTerm {
            password: "pass".into(),
        },
        Credentials::LongTerm {
            username: "user".into(),
            realm: "realm".into(),
            password: "pass".into(),
        },
    ] {
        verify_integrity(data, &credentials, &mut violations);
    }
    let cuts = split::cuts(data.get(..16).unwrap_or_default(), data.len());
    split::check(Stream::default, data, &cuts);
});
