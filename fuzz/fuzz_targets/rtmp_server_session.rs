//! The server session over arbitrary client bytes (after a valid handshake, most of the time):
//! no panic, bounded memory (small limits), every request answered, and a closed session stays
//! closed with the same error.
#![no_main]

mod support;

use libfuzzer_sys::fuzz_target;
use std::time::Instant;
use weir_media::Output;
use weir_rtmp::session::{ServerEvent, ServerSession};
use weir_media::Machine;

fuzz_target!(|data: &[u8]| {
    let Some((piece, handshake, rest)) = support::plan(data) else {
        return;
    };
    let config = support::small_limits();
    let now = Instant::now();
    let mut server = ServerSession::new(config, now, Box::new(support::FixedRng(7)));
    let input = if handshake {
        [support::simple_handshake(), rest.to_vec()].concat()
    } else {
        rest.to_vec()
    };
    for (i, chunk) in input.chunks(piece).enumerate() {
        let result = server.handle_input(now, chunk);
        while let Some(out) = server.poll_output() {
            // Alternate accepting and rejecting, so both paths run.
            let accept = i % 2 == 0;
            if let Output::Event(event) = out {
                let answered = match event {
                    ServerEvent::Connect(r) if accept => server.accept_connect(r.id),
                    ServerEvent::Connect(r) => server.reject_connect(r.id, "no"),
                    ServerEvent::Publish(r) if accept => server.accept_publish(r.id),
                    ServerEvent::Publish(r) => server.reject_publish(r.id, true, "busy"),
                    ServerEvent::Play(r) if accept => server.accept_play(r.id),
                    ServerEvent::Play(r) => server.reject_play(r.id, true, "absent"),
                    ServerEvent::Data {
                        stream_id,
                        timestamp,
                        data: weir_rtmp::session::StreamData::Media(p),
                    } => {
                        let _ = server.send_packet(stream_id, timestamp, &p);
                        Ok(())
                    }
                    _ => Ok(()),
                };
                answered.expect("answering a request the session just made cannot fail");
            }
        }
        if let Err(err) = result {
            assert_eq!(
                server.handle_input(now, b"x"),
                Err(err),
                "a closed session stays closed"
            );
            return;
        }
    }
    let _ = server.handle_end(now);
});
