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
            match weir_stun::local_ufrag(datagram).and_then(|u| routes.by_ufrag.get(u).cloned()) {
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
