//! What the session tests share: answering a server machine's requests.

use weir_rtmp::session::{ServerEvent, ServerSession};

/// Answers every request the way the recorded (or a permissive) server did: accept.
pub fn accept_all(server: &mut ServerSession, event: &ServerEvent) {
    match event {
        ServerEvent::Connect(r) => server.accept_connect(r.id).unwrap(),
        ServerEvent::Publish(r) => server.accept_publish(r.id).unwrap(),
        ServerEvent::Play(r) => server.accept_play(r.id).unwrap(),
        _ => {}
    }
}
