//! The server session over arbitrary client bytes (after a valid handshake, most of the time):
//! no panic, bounded memory (small limits), every request answered, the same outputs whole
//! and in pieces of a size the data chooses, and a closed session stays closed with the same
//! error.
#![no_main]

mod support;

use libfuzzer_sys::fuzz_target;
use std::time::Instant;
use weir_rtmp::session::{ServerEvent, ServerSession, StreamData};
use weir_testkit::{SeededRng, split};

fn server() -> ServerSession {
    ServerSession::new(
        support::small_limits(),
        Instant::now(),
        Box::new(SeededRng::new(7)),
    )
}

/// Accepts a request whose name has an even length and rejects the others, so that both
/// paths run, the same way in every run; relays media back as a player's server would.
fn answer(server: &mut ServerSession, event: &ServerEvent) {
    let answered = match event {
        ServerEvent::Connect(r) if r.app.len() % 2 == 0 => server.accept_connect(r.id),
        ServerEvent::Connect(r) => server.reject_connect(r.id, "no"),
        ServerEvent::Publish(r) if r.name.len() % 2 == 0 => server.accept_publish(r.id),
        ServerEvent::Publish(r) => server.reject_publish(r.id, true, "busy"),
        ServerEvent::Play(r) if r.name.len() % 2 == 0 => server.accept_play(r.id),
        ServerEvent::Play(r) => server.reject_play(r.id, true, "absent"),
        ServerEvent::Data {
            stream_id,
            timestamp,
            data: StreamData::Media(p),
            ..
        } => {
            let _ = server.send_packet(*stream_id, *timestamp, p);
            Ok(())
        }
        _ => Ok(()),
    };
    answered.expect("answering a request the session just made cannot fail");
}

fuzz_target!(|data: &[u8]| {
    let Some((piece, handshake, rest)) = support::plan(data) else {
        return;
    };
    let input = support::peer_bytes(handshake, rest);
    let cuts = split::sizes(input.len(), &[piece]);
    split::check_with(server, &input, &cuts, answer);

    let mut server = server();
    let out = weir_testkit::run_with(&mut server, split::pieces(&input, &cuts), false, answer);
    support::stays_closed(&mut server, out.error);
});
