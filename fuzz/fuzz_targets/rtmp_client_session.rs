//! The client session over arbitrary server bytes (after a valid handshake, most of the time),
//! publishing or playing: no panic, bounded memory (small limits), the same outputs whole and
//! in pieces of a size the data chooses, and a closed session stays closed with the same error.
#![no_main]

mod support;

use libfuzzer_sys::fuzz_target;
use std::time::Instant;
use weir_rtmp::handshake::HandshakeKind;
use weir_rtmp::session::{ClientEvent, ClientOptions, ClientSession, PublishKind};
use weir_testkit::{SeededRng, split};

/// A client that publishes, or plays.
fn client(publish: bool) -> ClientSession {
    let mut options = ClientOptions::new("rtmp://127.0.0.1/live", "live");
    options.handshake = HandshakeKind::Simple;
    let rng = Box::new(SeededRng::new(11));
    let mut client = ClientSession::new(support::small_limits(), options, Instant::now(), rng);
    match publish {
        true => client.publish("fuzz", PublishKind::Live).unwrap(),
        false => client.play("fuzz", -2.0).unwrap(),
    }
    client
}

/// Once publishing, sends a frame.
fn answer(client: &mut ClientSession, event: &ClientEvent) {
    if let ClientEvent::Publishing { .. } = event {
        client
            .send_media(0, true, bytes::Bytes::from_static(&[0x17, 1, 0, 0, 0]))
            .unwrap();
    }
}

fuzz_target!(|data: &[u8]| {
    let Some((piece, handshake, rest)) = support::plan(data) else {
        return;
    };
    let publish = piece % 2 == 0;
    let input = support::peer_bytes(handshake, rest);
    let cuts = split::sizes(input.len(), &[piece]);
    split::check_with(|| client(publish), &input, &cuts, answer);

    let mut client = client(publish);
    let out = weir_testkit::run_with(&mut client, split::pieces(&input, &cuts), false, answer);
    support::stays_closed(&mut client, out.error);
});
