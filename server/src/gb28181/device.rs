//! One device's media: RTP from its TCP connection (RFC 4571 frames) or its UDP datagrams,
//! held to the SSRC it was bound by, the PS payloads demuxed into `app/<device id>`.
//!
//! A TCP connection is a client from its accept (listed, kickable); it becomes the device's
//! publisher at its first RTP packet of a bound SSRC. Whatever a connection sends that is not
//! its device's RTP — RTCP, junk, another SSRC — is dropped and counted; one that sends
//! nothing of its device's for `gb28181.timeout` is closed, so a hostile sender costs only
//! its own connection. A reconnecting device publishes its stream again.

use super::{Endpoint, rtp_ssrc};
use crate::clients::{ClientKind, ClientRequest};
use crate::ingest::Ingest;
use crate::session::{RoleId, Session};
use bytes::{Bytes, BytesMut};
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Instant;
use tokio::io::AsyncReadExt;
use tokio::net::TcpStream;
use tokio::sync::mpsc;
use tracing::{Instrument, debug, info, warn};
use weir_media::{Machine, Output};
use weir_rtp::RtpPacket;
use weir_rtp::framing::{Deframer, Framed};

/// A device publishing: its session, its stream's demuxer, and its binding (released when
/// the device goes, however it goes).
struct Device {
    ingest: Ingest<weir_mpegps::Demuxer>,
    role: RoleId,
    ssrc: u32,
    next_sequence: Option<u16>,
    _claim: Claim,
}

/// A claimed SSRC, given back on drop.
struct Claim {
    endpoint: Arc<Endpoint>,
    ssrc: u32,
}

impl Drop for Claim {
    fn drop(&mut self) {
        self.endpoint.release(self.ssrc);
    }
}

impl Device {
    /// Publishes device `id` (its SSRC already claimed) through the session's admission.
    async fn start(session: &mut Session, claim: Claim, id: String) -> Option<Device> {
        let ctx = session.context().clone();
        let config = &ctx.config().gb28181;
        let request = ClientRequest {
            vhost: ctx.vhost_or_default(""),
            app: config.app.clone(),
            stream: id,
            tc_url: format!("gb28181://{}/{}", config.listen, config.app),
            ..ClientRequest::default()
        };
        let key = crate::session::key(&request);
        info!(stream = %key, ssrc = claim.ssrc, "publish");
        match session.publish(request, ClientKind::Gb28181Publish).await {
            Ok((role, publisher)) => Some(Device {
                ingest: Ingest::new(
                    ctx.clone(),
                    publisher,
                    weir_mpegps::Demuxer::new(weir_mpegps::Limits::default()),
                ),
                role,
                ssrc: claim.ssrc,
                next_sequence: None,
                _claim: claim,
            }),
            Err(denied) => {
                warn!(stream = %key, reason = %denied, "publish denied");
                None
            }
        }
    }

    /// One RTP packet of the device's SSRC: its PS payload to the demuxer.
    fn packet(&mut self, packet: &RtpPacket) {
        if let Some(expected) = self.next_sequence
            && expected != packet.sequence
        {
            debug!(
                expected,
                got = packet.sequence,
                "rtp sequence gap: packets lost"
            );
        }
        self.next_sequence = Some(packet.sequence.wrapping_add(1));
        self.ingest.input(&packet.payload);
    }

    fn end(mut self, session: &mut Session) {
        self.ingest.end();
        session.end(self.role);
    }
}

/// What one packet of a connection is to its device.
enum Verdict {
    /// The device's RTP: its payload goes on.
    Media(RtpPacket),
    /// Dropped, for this reason (a `weir_dropped_packets_total` label).
    Dropped(&'static str),
}

fn judge(data: &Bytes, device: Option<u32>) -> Verdict {
    let Some(ssrc) = rtp_ssrc(data) else {
        return Verdict::Dropped("gb28181-not-rtp");
    };
    if device.is_some_and(|own| own != ssrc) {
        return Verdict::Dropped("gb28181-wrong-ssrc");
    }
    match RtpPacket::parse(data) {
        Ok(packet) => Verdict::Media(packet),
        Err(_) => Verdict::Dropped("gb28181-bad-rtp"),
    }
}

/// A device's TCP connection, until it closes, goes silent or is kicked.
pub(crate) async fn tcp(
    mut session: Session,
    endpoint: Arc<Endpoint>,
    mut stream: TcpStream,
    peer: SocketAddr,
) {
    let ctx = session.context().clone();
    let span = tracing::info_span!("gb28181", id = %session.client().id, %peer, transport = "tcp");
    session.set_span(span.clone());
    async move {
        let timeout = ctx.config().gb28181.timeout;
        let mut deframer = Deframer::new();
        let mut device: Option<Device> = None;
        let mut buf = BytesMut::new();
        // When the connection last sent its device's media (or connected).
        let mut last_media = Instant::now();
        let reason = 'read: loop {
            buf.reserve(64 * 1024);
            let n = match tokio::time::timeout(timeout, stream.read_buf(&mut buf)).await {
                Err(_) => break "silent",
                Ok(Ok(0)) => break "closed",
                Ok(Err(_)) => break "reset",
                Ok(Ok(n)) => n,
            };
            session.client().add_recv(n as u64);
            ctx.metrics.add_recv(n as u64);
            let now = Instant::now();
            if let Err(e) = deframer.handle_bytes(now, buf.split().freeze()) {
                warn!(error = %e, "gb28181 framing");
                break "framing";
            }
            while let Some(out) = deframer.poll_output() {
                let Output::Event(Framed::Packet { data, .. }) = out else {
                    continue;
                };
                match judge(&data, device.as_ref().map(|d| d.ssrc)) {
                    Verdict::Dropped(reason) => ctx.metrics.dropped.add(reason, 1),
                    Verdict::Media(packet) => {
                        if device.is_none() {
                            let claim = match endpoint.claim(packet.ssrc, || (None, ())) {
                                Ok((id, ())) => (
                                    Claim {
                                        endpoint: endpoint.clone(),
                                        ssrc: packet.ssrc,
                                    },
                                    id,
                                ),
                                Err(reason) => {
                                    ctx.metrics.dropped.add(reason, 1);
                                    continue;
                                }
                            };
                            match Device::start(&mut session, claim.0, claim.1).await {
                                Some(started) => device = Some(started),
                                None => break 'read "denied",
                            }
                        }
                        if let Some(device) = device.as_mut() {
                            last_media = now;
                            device.packet(&packet);
                        }
                    }
                }
            }
            if now.duration_since(last_media) >= timeout {
                break "no media of a bound device";
            }
        };
        info!(reason, "gb28181 connection ended");
        if let Some(device) = device {
            device.end(&mut session);
        }
    }
    .instrument(span)
    .await
}

/// A device's UDP datagrams (routed here by SSRC), until it goes silent or is kicked.
pub(crate) async fn udp(
    mut session: Session,
    endpoint: Arc<Endpoint>,
    id: String,
    ssrc: u32,
    mut datagrams: mpsc::Receiver<(SocketAddr, Bytes)>,
) {
    let ctx = session.context().clone();
    let peer = session.client().peer;
    let span = tracing::info_span!("gb28181", id = %session.client().id, %peer, transport = "udp");
    session.set_span(span.clone());
    async move {
        let claim = Claim { endpoint, ssrc };
        let Some(mut device) = Device::start(&mut session, claim, id).await else {
            return;
        };
        let timeout = ctx.config().gb28181.timeout;
        while let Ok(Some((from, datagram))) = tokio::time::timeout(timeout, datagrams.recv()).await
        {
            // The device's SSRC from another address: not this device (SSRCs are picked by
            // the SIP server, so this is a second sender, not a move).
            if from != peer {
                ctx.metrics.dropped.add("gb28181-other-address", 1);
                continue;
            }
            session.client().add_recv(datagram.len() as u64);
            ctx.metrics.add_recv(datagram.len() as u64);
            match judge(&datagram, Some(ssrc)) {
                Verdict::Media(packet) => device.packet(&packet),
                Verdict::Dropped(reason) => ctx.metrics.dropped.add(reason, 1),
            }
        }
        info!("gb28181 device silent: unpublished");
        device.end(&mut session);
    }
    .instrument(span)
    .await
}
