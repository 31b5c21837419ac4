//! `weir replay CAPTURE --to udp://host:port [--play URL]`: the datagrams of each captured UDP
//! flow that carries MPEG-TS or GB28181's PS over RTP (detected as `weir check` detects them:
//! TS packets, bare or in RTP; RTP whose payload begins with a pack header) re-sent (`--to
//! tcp://host:port`: GB28181's PS over RTP in RFC 4571 frames, the captured stream's bytes on a
//! connection of the replay's own) to a live server at their captured pacing (or `--speed N`, or as fast as
//! possible). UDP has no answer: with `--play`, an HTTP-FLV URL of the stream the server makes
//! of them, the replay reads that stream back while it sends, and compares its media summary
//! (each track's codec configuration, whether its first frame is a keyframe) with the TS the
//! capture holds, both read with the harness's own readers ([`TsObserver`], [`FlvBody`]
//! through [`Responses`]). Without `--play` only the sending is reported.
//!
//! [`FlvBody`]: crate::observe::flv::FlvBody

use std::collections::{BTreeMap, HashMap};
use std::io::Write;
use std::net::{TcpStream, ToSocketAddrs, UdpSocket};
use std::time::{Duration, Instant};

use super::answers::Answers;
use super::flows::Flow;
use super::http::HttpTarget;
use super::http_answers::{self, Responses, Sequences};
use super::{FlowReplay, Options, Pacing, ReplayReport};
use crate::capture::{Direction, Transport};
use crate::observe::Observer;
use crate::observe::mpegps::PsObserver;
use crate::observe::mpegts::TsObserver;
use crate::protocols::Protocol;

/// Replays every UDP flow of MPEG-TS or PS in the input. (A GB28181 server takes RTP of the
/// SSRCs it bound: the captured SSRC is re-sent as it is, for the caller to bind.)
pub fn run(options: &Options, mut report: ReplayReport) -> ReplayReport {
    let target = match udp_target(&options.url) {
        Ok(target) => target,
        Err(e) => {
            report.error = Some(e);
            return report;
        }
    };
    let play = match options.play.as_deref().map(HttpTarget::parse).transpose() {
        Ok(play) => play.map(|target| (target, options.play.clone().unwrap_or_default())),
        Err(e) => {
            report.error = Some(format!("--play {e}"));
            return report;
        }
    };
    // Over TCP, GB28181's RFC 4571 frames (a TCP flow of TS is not replayed so).
    let (transport, protocols) = match options.url.starts_with("tcp://") {
        true => (Transport::Tcp, &[Protocol::MpegPs][..]),
        false => (Transport::Udp, &[Protocol::MpegTs, Protocol::MpegPs][..]),
    };
    let Some(flows) = super::read_flows(options, protocols, &mut report) else {
        return report;
    };
    let flows = flows
        .into_iter()
        .filter(|f| f.transport == transport)
        .map(|f| (f, ()))
        .collect();
    super::side_by_side(flows, options.pacing, &mut report, |flow, ()| {
        replay_flow(&flow, &target, play.as_ref(), options)
    });
    report
}

/// `udp://host:port` (or `tcp://`) as an address.
fn udp_target(url: &str) -> Result<std::net::SocketAddr, String> {
    let rest = url
        .strip_prefix("udp://")
        .or_else(|| url.strip_prefix("tcp://"))
        .ok_or_else(|| format!("{url}: not a udp:// or tcp:// URL"))?;
    let authority = rest.split(['/', '?']).next().unwrap_or_default();
    authority
        .to_socket_addrs()
        .map_err(|e| format!("{url}: {e}"))?
        .next()
        .ok_or_else(|| format!("{url}: no address"))
}

/// The media summary of the captured TS or PS: lines and frame counts.
fn captured_media(flow: &Flow) -> Answers {
    let mut observer: Box<dyn Observer> = match (flow.protocol, flow.transport) {
        (Protocol::MpegPs, Transport::Tcp) => Box::new(PsObserver::framed()),
        (Protocol::MpegPs, _) => Box::new(PsObserver::datagrams()),
        _ => Box::new(TsObserver::new(weir_mpegts::Limits::default())),
    };
    let mut observations = Vec::new();
    let dir = Direction::ClientToServer;
    let mut offset = 0;
    for (time, piece) in &flow.bytes[dir.index()].pieces {
        match flow.transport {
            Transport::Tcp => observer.data(dir, offset, piece, &mut observations),
            _ => observer.datagram(dir, *time, piece, &mut observations),
        }
        offset += piece.len() as u64;
    }
    observer.closed(&mut observations);
    let mut answers = Answers::default();
    http_answers::media_lines(
        observations,
        &mut HashMap::new(),
        &mut answers.lines,
        &mut answers.frames,
    );
    answers
}

fn replay_flow(
    flow: &Flow,
    target: &std::net::SocketAddr,
    play: Option<&(HttpTarget, String)>,
    options: &Options,
) -> FlowReplay {
    let started = Instant::now();
    let datagrams = &flow.bytes[Direction::ClientToServer.index()].pieces;
    let mut replay = FlowReplay {
        flow: flow.id,
        client: flow.client,
        server: flow.server,
        sent: 0,
        captured_messages: datagrams.len(),
        captured: Answers::default(),
        live: Answers::default(),
        error: None,
        truncated: None,
        elapsed: Duration::ZERO,
    };
    let t0 = datagrams.first().map_or(Duration::ZERO, |(t, _)| *t);
    let span = datagrams.last().map_or(Duration::ZERO, |(t, _)| *t) - t0;
    let scaled = match options.pacing {
        Pacing::Speed(speed) => span.div_f64(speed.max(1e-3)),
        Pacing::AsFastAsPossible => Duration::ZERO,
    };
    std::thread::scope(|scope| {
        // The player reads while the datagrams go, and a moment after.
        let player = play.map(|(play, url)| {
            let path = url
                .strip_prefix("http://")
                .and_then(|rest| rest.find('/').map(|at| rest[at..].to_owned()))
                .unwrap_or_else(|| "/".into());
            scope.spawn(move || {
                let mut responses = Responses::new([("GET", path.clone())], Sequences::default());
                let read_for = Some(scaled + super::SETTLE);
                let result =
                    super::http::fetch(play, "GET", &path, read_for, options, &mut responses);
                (result, responses.answers())
            })
        });
        if player.is_some() {
            // The player is there before the first datagram, as a player of a live stream is.
            std::thread::sleep(Duration::from_millis(300));
        }
        if let Err(e) = send(datagrams, flow.transport, target, options, &mut replay.sent) {
            replay.error = Some(e);
        }
        if let Some(player) = player {
            replay.captured = captured_media(flow);
            match player.join() {
                Ok((Ok(()), answers)) => {
                    let mut live = Answers::default();
                    let mut frames = BTreeMap::new();
                    for answer in answers {
                        live.lines.extend(answer.media);
                        for (track, n) in answer.frames {
                            *frames.entry(track).or_default() += n;
                        }
                    }
                    live.frames = frames;
                    replay.live = live;
                }
                Ok((Err(e), _)) => {
                    replay.error.get_or_insert(format!("--play: {e}"));
                }
                Err(_) => {
                    replay.error.get_or_insert("the player panicked".into());
                }
            }
        }
    });
    replay.elapsed = started.elapsed();
    replay
}

/// Sends the datagrams (or, over TCP, the pieces of the stream) at their pacing.
fn send(
    datagrams: &[(Duration, bytes::Bytes)],
    transport: Transport,
    target: &std::net::SocketAddr,
    options: &Options,
    sent: &mut usize,
) -> Result<(), String> {
    let bind = if target.is_ipv4() {
        "0.0.0.0:0"
    } else {
        "[::]:0"
    };
    let mut stream = match transport {
        Transport::Tcp => Some(
            TcpStream::connect_timeout(target, options.answer_timeout)
                .map_err(|e| format!("cannot connect to {target}: {e}"))?,
        ),
        _ => None,
    };
    let socket = UdpSocket::bind(bind).map_err(|e| format!("cannot open a UDP socket: {e}"))?;
    let start = Instant::now();
    let t0 = datagrams.first().map_or(Duration::ZERO, |(t, _)| *t);
    for (time, datagram) in datagrams {
        if let Pacing::Speed(speed) = options.pacing {
            let due = start + (*time - t0).div_f64(speed.max(1e-3));
            if let Some(left) = due.checked_duration_since(Instant::now()) {
                std::thread::sleep(left);
            }
        }
        match &mut stream {
            Some(stream) => stream.write_all(datagram),
            None => socket.send_to(datagram, target).map(drop),
        }
        .map_err(|e| format!("sending to {target}: {e}"))?;
        *sent += 1;
    }
    Ok(())
}
