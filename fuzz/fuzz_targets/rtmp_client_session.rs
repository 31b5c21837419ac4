//! The client session over arbitrary server bytes (after a valid handshake, most of the time),
//! publishing or playing: no panic, bounded memory (small limits), and a closed session stays
//! closed with the same error.
#![no_main]

mod support;

use libfuzzer_sys::fuzz_target;
use std::time::Instant;
use weir_media::Output;
use weir_rtmp::handshake::HandshakeKind;
use weir_rtmp::session::{ClientEvent, ClientOptions, ClientSession, PublishKind};
use weir_media::Machine;

fuzz_target!(|data: &[u8]| {
    let Some((piece, handshake, rest)) = support::plan(data) else {
        return;
    };
    let config = support::small_limits();
    let now = Instant::now();
    let mut options = ClientOptions::new("rtmp://127.0.0.1/live", "live");
    options.handshake = HandshakeKind::Simple;
    let mut client = ClientSession::new(config, options, now, Box::new(support::FixedRng(11)));
    if piece % 2 == 0 {
        client.publish("fuzz", PublishKind::Live).unwrap();
    } else {
        client.play("fuzz", -2.0).unwrap();
    }
    let input = if handshake {
        [support::simple_handshake(), rest.to_vec()].concat()
    } else {
        rest.to_vec()
    };
    for chunk in input.chunks(piece) {
        let result = client.handle_input(now, chunk);
        while let Some(out) = client.poll_output() {
            if let Output::Event(ClientEvent::Publishing { .. }) = out {
                client
                    .send_media(0, true, bytes::Bytes::from_static(&[0x17, 1, 0, 0, 0]))
                    .unwrap();
            }
        }
        if let Err(err) = result {
            assert_eq!(
                client.handle_input(now, b"x"),
                Err(err),
                "a closed session stays closed"
            );
            return;
        }
    }
    let _ = client.handle_end(now);
});
