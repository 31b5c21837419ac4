//! The media socket's loop: routes each datagram to its session's task, and nothing else.

use super::{Endpoint, Inbound};
use crate::Context;
use bytes::Bytes;
use std::sync::Arc;
use tracing::debug;

/// Receives datagrams until shutdown.
pub(crate) async fn listen(ctx: Arc<Context>, endpoint: Arc<Endpoint>) {
    let mut shutdown = ctx.shutdown();
    let mut buf = vec![0u8; 65_536];
    loop {
        let (n, from) = tokio::select! {
            received = endpoint.socket.recv_from(&mut buf) => match received {
                Ok(received) => received,
                Err(e) => {
                    debug!(error = %e, "rtc receive failed");
                    continue;
                }
            },
            _ = shutdown.changed() => return,
        };
        let datagram = &buf[..n];
        let from = canonical(from);
        let route = {
            let mut routes = endpoint.routes.lock().unwrap();
            // A connectivity check names its session (RFC 8445 §7.2.2: USERNAME is
            // "ours:theirs"); the address it came from then leads there too, for DTLS and RTP.
            match local_ufrag(datagram).and_then(|u| routes.by_ufrag.get(u).cloned()) {
                Some(route) => {
                    routes.by_addr.insert(from, route.clone());
                    Some(route)
                }
                None => routes.by_addr.get(&from).cloned(),
            }
        };
        let Some(route) = route else {
            debug!(%from, len = n, "rtc datagram for no session");
            continue;
        };
        let inbound = Inbound::Datagram {
            from,
            data: Bytes::copy_from_slice(datagram),
        };
        if route.tx.try_send(inbound).is_err() {
            debug!(%from, "rtc datagram dropped: the session is behind");
        }
    }
}

/// The local ufrag of a STUN message's USERNAME, if `datagram` is one that has it.
fn local_ufrag(datagram: &[u8]) -> Option<&str> {
    if !weir_stun::is_stun(datagram) {
        return None;
    }
    let username = username(datagram)?;
    username.split(':').next()
}

/// The USERNAME attribute's value, found by walking the attributes (RFC 8489 §14) without
/// building the whole message: the socket's loop does no more than routing needs.
fn username(datagram: &[u8]) -> Option<&str> {
    let mut at = 20;
    while at + 4 <= datagram.len() {
        let typ = u16::from_be_bytes([datagram[at], datagram[at + 1]]);
        let len = usize::from(u16::from_be_bytes([datagram[at + 2], datagram[at + 3]]));
        let value = datagram.get(at + 4..at + 4 + len)?;
        if typ == weir_stun::attribute::types::USERNAME {
            return std::str::from_utf8(value).ok();
        }
        at += 4 + len.next_multiple_of(4);
    }
    None
}

/// An IPv4 peer seen through a dual-stack socket as itself.
fn canonical(addr: std::net::SocketAddr) -> std::net::SocketAddr {
    match addr {
        std::net::SocketAddr::V6(v6) => match v6.ip().to_ipv4_mapped() {
            Some(v4) => std::net::SocketAddr::new(v4.into(), v6.port()),
            None => addr,
        },
        v4 => v4,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use weir_stun::{Attribute, Builder, MessageType, TransactionId};

    #[test]
    fn a_binding_request_names_its_session_by_the_first_half_of_username() {
        let request = Builder::new(MessageType::BINDING_REQUEST, TransactionId([7; 12]))
            .attribute(&Attribute::Username("ours1234:theirs".into()))
            .message_integrity(b"password")
            .fingerprint()
            .build();
        assert_eq!(local_ufrag(&request), Some("ours1234"));
        assert_eq!(local_ufrag(&request[..30]), None);
        assert_eq!(local_ufrag(&[0x80, 0x60, 0, 1]), None, "RTP is not STUN");
    }
}
