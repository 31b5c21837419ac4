//! GB28181 media in, as SRS's GB28181 `stream_caster`: cameras and NVRs send MPEG-PS over RTP
//! to one port (`gb28181.listen`, 9000), over TCP with RFC 4571 framing — the device connects
//! — or over UDP to the same port number (SRS takes TCP only).
//!
//! SIP is not ours: an external SIP server binds each device before inviting it, through SRS's
//! API, `POST /gb/v1/publish/` with `{"id", "ssrc"}`, answered `{"code": 0, "port", "is_tcp"}`
//! ([`publish_api`]); `gb28181.devices` binds devices without it. RTP is matched to its device
//! by SSRC; RTP from an SSRC nobody bound is dropped and counted
//! (`weir_dropped_packets_total{reason="gb28181-unknown-ssrc"}`). A bound device's media is
//! one [`device`] session: admitted like every publisher, its PS demuxed into `app/<id>`.

pub mod device;

use crate::Context;
use crate::clients::ClientKind;
use crate::session::Session;
use axum::extract::State;
use axum::response::Response;
use bytes::Bytes;
use serde_json::{Value, json};
use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use tokio::net::{TcpListener, UdpSocket};
use tokio::sync::mpsc;
use tracing::{debug, info, warn};

/// SRS's error code for a request body it cannot use (`ERROR_HTTP_DATA_INVALID`).
const ERROR_DATA_INVALID: u32 = 3008;
/// SRS's error code for an id or SSRC already publishing (`ERROR_SYSTEM_STREAM_BUSY`).
const ERROR_STREAM_BUSY: u32 = 1028;
/// Datagrams queued for a UDP device before more are dropped.
const QUEUE: usize = 1024;

/// One bound device.
#[derive(Debug)]
struct Binding {
    id: String,
    /// A session publishes for it now (a second one with its SSRC is refused).
    live: bool,
    /// Its UDP session's queue, while it sends over UDP.
    udp: Option<mpsc::Sender<(SocketAddr, Bytes)>>,
}

/// The GB28181 port: its sockets and the devices bound to SSRCs.
pub struct Endpoint {
    tcp: Mutex<Option<TcpListener>>,
    udp: Arc<UdpSocket>,
    port: u16,
    bindings: Mutex<HashMap<u32, Binding>>,
}

impl Endpoint {
    /// Binds TCP on `gb28181.listen` and UDP on the same address and port (with port 0, the
    /// port TCP was given), and the configured devices.
    pub async fn bind(config: &crate::config::Gb28181Config) -> anyhow::Result<Arc<Endpoint>> {
        let listen = config.listen;
        let mut tries = 0;
        let (tcp, udp) = loop {
            let tcp = crate::listener(listen)
                .map_err(|e| anyhow::anyhow!("cannot listen for GB28181 (TCP) on {listen}: {e}"))?;
            let at = tcp.local_addr()?;
            match crate::udp_socket(at).await {
                Ok(udp) => break (tcp, udp),
                // Port 0 gave TCP a port another program holds in UDP: try another.
                Err(_) if listen.port() == 0 && tries < 16 => tries += 1,
                Err(e) => anyhow::bail!("cannot listen for GB28181 (UDP) on {at}: {e}"),
            }
        };
        let port = tcp.local_addr()?.port();
        let endpoint = Endpoint {
            tcp: Mutex::new(Some(tcp)),
            udp: Arc::new(udp),
            port,
            bindings: Mutex::default(),
        };
        for (id, &ssrc) in &config.devices {
            endpoint
                .bind_device(id, ssrc)
                .map_err(|(_, e)| anyhow::anyhow!("gb28181.devices.\"{id}\": {e}"))?;
        }
        Ok(Arc::new(endpoint))
    }

    pub fn local_addr(&self) -> SocketAddr {
        self.udp
            .local_addr()
            .expect("a bound socket has an address")
    }

    /// Binds device `id` to `ssrc`. Binding a pair again is allowed (a SIP server's
    /// re-invite); taking an id or SSRC from another binding is, unless that one publishes.
    fn bind_device(&self, id: &str, ssrc: u32) -> Result<(), (u32, String)> {
        let valid = !id.is_empty()
            && id.len() <= 64
            && id
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-' || b == b'.');
        if !valid {
            return Err((
                ERROR_DATA_INVALID,
                format!("id {id:?}: 1 to 64 letters, digits, '_', '-' or '.'"),
            ));
        }
        if ssrc == 0 {
            return Err((ERROR_DATA_INVALID, "ssrc 0: an SSRC is not zero".into()));
        }
        let mut bindings = self.bindings.lock().unwrap();
        if let Some(existing) = bindings.get(&ssrc) {
            if existing.id == id {
                return Ok(());
            }
            if existing.live {
                return Err((
                    ERROR_STREAM_BUSY,
                    format!("ssrc {ssrc} publishes for device {}", existing.id),
                ));
            }
        }
        if let Some((&other, b)) = bindings.iter().find(|(_, b)| b.id == id) {
            if b.live {
                return Err((
                    ERROR_STREAM_BUSY,
                    format!("device {id} publishes with ssrc {other}"),
                ));
            }
            bindings.remove(&other);
        }
        bindings.insert(
            ssrc,
            Binding {
                id: id.to_owned(),
                live: false,
                udp: None,
            },
        );
        Ok(())
    }

    /// Claims `ssrc` for a session: its device id, unless nobody bound it or a session
    /// publishes for it already. A UDP session gives `udp`, made only once the claim holds:
    /// its queue, kept with the binding under the same lock.
    fn claim<T>(
        &self,
        ssrc: u32,
        udp: impl FnOnce() -> (Option<mpsc::Sender<(SocketAddr, Bytes)>>, T),
    ) -> Result<(String, T), &'static str> {
        let mut bindings = self.bindings.lock().unwrap();
        let binding = bindings.get_mut(&ssrc).ok_or("gb28181-unknown-ssrc")?;
        if binding.live {
            return Err("gb28181-ssrc-busy");
        }
        binding.live = true;
        let (queue, rest) = udp();
        binding.udp = queue;
        Ok((binding.id.clone(), rest))
    }

    /// The session of `ssrc` ended: the device may publish again.
    fn release(&self, ssrc: u32) {
        if let Some(binding) = self.bindings.lock().unwrap().get_mut(&ssrc) {
            binding.live = false;
            binding.udp = None;
        }
    }
}

/// The SSRC of an RTP packet, if it is one and not RTCP.
fn rtp_ssrc(packet: &[u8]) -> Option<u32> {
    weir_rtp::Peek::of(packet).map(|p| p.ssrc)
}

/// Accepts devices over TCP and receives their datagrams over UDP until shutdown.
pub async fn listen(ctx: Arc<Context>, endpoint: Arc<Endpoint>) {
    let Some(tcp) = endpoint.tcp.lock().unwrap().take() else {
        return;
    };
    let mut shutdown = ctx.shutdown();
    let mut buf = vec![0u8; 65_536];
    loop {
        tokio::select! {
            accepted = tcp.accept() => match accepted {
                Ok((stream, peer)) => {
                    ctx.metrics.connections.add("gb28181", 1);
                    let session = Session::open(&ctx, peer, ClientKind::Gb28181Publish);
                    let client = Arc::clone(session.client());
                    let task = tokio::spawn(device::tcp(session, endpoint.clone(), stream, peer));
                    client.set_abort(task.abort_handle());
                }
                Err(e) => {
                    warn!(error = %e, "gb28181 accept failed");
                    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
                }
            },
            received = endpoint.udp.recv_from(&mut buf) => match received {
                Ok((n, from)) => route(&ctx, &endpoint, from, &buf[..n]),
                Err(e) => debug!(error = %e, "gb28181 receive failed"),
            },
            _ = shutdown.changed() => return,
        }
    }
}

/// One datagram to its device's session, started by the first one of a bound SSRC.
fn route(ctx: &Arc<Context>, endpoint: &Arc<Endpoint>, from: SocketAddr, datagram: &[u8]) {
    let Some(ssrc) = rtp_ssrc(datagram) else {
        ctx.metrics.dropped.add("gb28181-not-rtp", 1);
        return;
    };
    let datagram = Bytes::copy_from_slice(datagram);
    let queue = endpoint
        .bindings
        .lock()
        .unwrap()
        .get(&ssrc)
        .and_then(|b| b.udp.clone());
    let queue = match queue {
        Some(queue) => queue,
        None => {
            let claimed = endpoint.claim(ssrc, || {
                let (queue, datagrams) = mpsc::channel(QUEUE);
                (Some(queue.clone()), (queue, datagrams))
            });
            let (id, (queue, datagrams)) = match claimed {
                Ok(claimed) => claimed,
                Err(reason) => {
                    ctx.metrics.dropped.add(reason, 1);
                    return;
                }
            };
            ctx.metrics.connections.add("gb28181", 1);
            info!(%from, id, ssrc, "gb28181 device over UDP");
            let session = Session::open(ctx, from, ClientKind::Gb28181Publish);
            let client = Arc::clone(session.client());
            let task = tokio::spawn(device::udp(session, endpoint.clone(), id, ssrc, datagrams));
            client.set_abort(task.abort_handle());
            queue
        }
    };
    if queue.try_send((from, datagram)).is_err() {
        ctx.metrics.dropped.add("gb28181-behind", 1);
    }
}

/// `POST /gb/v1/publish/` `{"id": "...", "ssrc": "..."}` (the SSRC as a decimal string, as
/// SRS reads it, or a number): binds the device and answers where to send,
/// `{"code": 0, "port": 9000, "is_tcp": true}`; errors are SRS's `{"code", "desc"}`, HTTP 200.
pub async fn publish_api(State(ctx): State<Arc<Context>>, body: Bytes) -> Response {
    let reply = |code: u32, fields: Value| {
        crate::api::reply(&ctx, axum::http::StatusCode::OK, code, fields)
    };
    let Some(endpoint) = ctx.gb28181.clone() else {
        return reply(
            ERROR_DATA_INVALID,
            json!({"desc": "GB28181 is off (gb28181.enabled)"}),
        );
    };
    let request: Value = match serde_json::from_slice(&body) {
        Ok(request @ Value::Object(_)) => request,
        _ => {
            return reply(
                ERROR_DATA_INVALID,
                json!({"desc": "the body is not a JSON object"}),
            );
        }
    };
    let Some(id) = request["id"].as_str() else {
        return reply(
            ERROR_DATA_INVALID,
            json!({"desc": "id required (a string)"}),
        );
    };
    let ssrc = match &request["ssrc"] {
        Value::String(s) => s.trim().parse::<u32>().ok(),
        Value::Number(n) => n.as_u64().and_then(|n| u32::try_from(n).ok()),
        _ => None,
    };
    let Some(ssrc) = ssrc else {
        return reply(
            ERROR_DATA_INVALID,
            json!({"desc": "ssrc required (a decimal string or number below 2^32)"}),
        );
    };
    match endpoint.bind_device(id, ssrc) {
        Ok(()) => {
            info!(id, ssrc, "gb28181 device bound");
            reply(0, json!({"port": endpoint.port, "is_tcp": true}))
        }
        Err((code, desc)) => {
            warn!(id, ssrc, desc, "gb28181 binding refused");
            reply(code, json!({"desc": desc}))
        }
    }
}
