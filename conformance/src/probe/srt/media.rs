//! The media round of the SRT prober: a publisher sends a few seconds of TS (our muxer on
//! synthetic H.264 and AAC) paced in real time, leaving out some first transmissions on
//! purpose, while a player of the same stream receives; then the publisher shuts down. The
//! cases judge the [`Round`]: the server's ACKs and NAKs, its silence after our shutdown, and
//! the player's TS against what was sent ([`compare`]).

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use bytes::Bytes;
use weir_media::Machine;
use weir_media::{Codec, Frame, Output, Timestamp, Track, TrackConfig};
use weir_mpegts::{DemuxEvent, Demuxer, Muxer, MuxerConfig};
use weir_srt::SeqNumber;
use weir_srt::connection::Stats;

use super::Ctx;
use super::conn::{self, Dial, Log};
use crate::probe::Step;

/// A TS packet's length.
pub const TS_PACKET: usize = 188;
/// TS packets per SRT payload, as libsrt-based senders pack them (1316 bytes).
const PER_DATAGRAM: usize = 7;
/// How long the publisher sends.
const SECONDS: u32 = 3;
/// After the last payload, how long the publisher stays for retransmissions and ACKs.
const LINGER: Duration = Duration::from_millis(1500);
/// How long the player waits for more once the publisher is done.
const PLAYER_TAIL: Duration = Duration::from_millis(2500);
/// Where (as fractions of the stream, in payloads) the publisher drops its first
/// transmission; late enough to fall after a player's join point.
const DROPS: [f64; 5] = [0.3, 0.3, 0.5, 0.7, 0.85];

/// An AVCDecoderConfigurationRecord: x264, 320x240, baseline profile, level 1.3.
const AVC_RECORD: &[u8] = &[
    0x01, 0x42, 0xc0, 0x0d, 0xff, 0xe1, 0x00, 0x18, 0x67, 0x42, 0xc0, 0x0d, 0xd9, 0x01, 0x41, 0xfb,
    0x01, 0x10, 0x00, 0x00, 0x03, 0x00, 0x10, 0x00, 0x00, 0x03, 0x03, 0x20, 0xf1, 0x42, 0xa4, 0x80,
    0x01, 0x00, 0x05, 0x68, 0xcb, 0x83, 0xcb, 0x20,
];
/// AAC LC, 44.1 kHz, stereo (AudioSpecificConfig).
const ASC: &[u8] = &[0x12, 0x10];

/// `n` bytes without zeros (so no start code emulation), from `seed`.
fn body(n: usize, seed: u32) -> Vec<u8> {
    let mut x = seed.wrapping_mul(2_654_435_761).max(1);
    (0..n)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            (x % 255) as u8 + 1
        })
        .collect()
}

/// `seconds` of 25 fps H.264 (a keyframe every second) and 44.1 kHz AAC, as TS packets.
pub fn ts(seconds: u32, seed: u32) -> Vec<Bytes> {
    let mut frames = Vec::new();
    for i in 0..(25 * seconds) {
        let key = i % 25 == 0;
        let size = if key { 12_000 } else { 2_500 };
        let mut data = (size as u32 + 1).to_be_bytes().to_vec();
        data.push(if key { 0x65 } else { 0x41 });
        data.extend(body(size, seed ^ i));
        let t = Timestamp(i64::from(i) * 3600);
        frames.push(Frame {
            track: Track::VIDEO,
            codec: Codec::H264,
            pts: t,
            dts: t,
            keyframe: key,
            data: data.into(),
        });
    }
    let audio_frames = u64::from(seconds) * 44_100 / 1024;
    for i in 0..audio_frames {
        let t = Timestamp((i * 1024 * 90_000 / 44_100) as i64);
        frames.push(Frame {
            track: Track::AUDIO,
            codec: Codec::Aac,
            pts: t,
            dts: t,
            keyframe: true,
            data: body(200, seed.wrapping_add(0x10_0000 + i as u32)).into(),
        });
    }
    frames.sort_by_key(|f| (f.dts.0, f.track != Track::VIDEO));
    let mut muxer = Muxer::new(MuxerConfig::default());
    let configs = [
        TrackConfig {
            track: Track::VIDEO,
            codec: Codec::H264,
            data: Bytes::from_static(AVC_RECORD),
        },
        TrackConfig {
            track: Track::AUDIO,
            codec: Codec::Aac,
            data: Bytes::from_static(ASC),
        },
    ];
    let mut out = Vec::new();
    let mut take = |muxer: &mut Muxer| {
        while let Some(Output::Transmit(bytes)) = muxer.poll_output() {
            out.extend_from_slice(&bytes);
        }
    };
    for config in &configs {
        // Our own configurations: the muxer takes them.
        let _ = muxer.handle_config(config);
    }
    for frame in &frames {
        let _ = muxer.handle_frame(frame);
        take(&mut muxer);
    }
    take(&mut muxer);
    Bytes::from(out)
        .chunks(TS_PACKET)
        .map(Bytes::copy_from_slice)
        .collect()
}

/// What the publisher saw.
#[derive(Debug, Clone)]
pub struct Publisher {
    pub log: Log,
    /// Payloads sent (first transmissions, dropped ones included).
    pub payloads: usize,
    /// The first transmissions left out on purpose.
    pub dropped: Vec<SeqNumber>,
    /// Our first sequence number: payload `i` is `isn + i`.
    pub isn: SeqNumber,
    /// Our retransmissions.
    pub retransmitted: Vec<SeqNumber>,
    /// When each payload was first sent (or left out).
    pub sent_at: HashMap<u32, Instant>,
    /// When we sent our shutdown.
    pub shutdown_at: Instant,
    pub stats: Stats,
}

/// One media round, as the media cases judge it.
#[derive(Debug, Clone)]
pub struct Round {
    /// The TS packets published.
    pub sent: Vec<Bytes>,
    pub publisher: Publisher,
    /// The player's payloads, or why it got none; `None` without a player (`play=none`).
    pub player: Option<Result<Vec<Bytes>, String>>,
}

/// Plays the round (see the [module docs](self)).
pub fn round(ctx: &Ctx) -> Step<Round> {
    let target = &ctx.target;
    let passphrase = target.passphrase.clone().map(|p| (p, target.key_len));
    let publish = Dial {
        stream_id: Some(ctx.stream_id("publish")),
        passphrase: passphrase.clone(),
    };
    let mut session = conn::connected(
        target.addr,
        &publish,
        ctx.seed,
        ctx.deadline,
        "the publisher",
    )?;
    let sent = ts(SECONDS, ctx.seed as u32);
    let payloads: Vec<Bytes> = sent
        .chunks(PER_DATAGRAM)
        .map(|c| Bytes::from(c.concat()))
        .collect();
    let isn = session.established.send_isn;
    for f in DROPS {
        let mut seq = isn.add((payloads.len() as f64 * f) as u32);
        while session.drop_first.contains(&seq.get()) {
            seq = seq.next();
        }
        session.drop_first.insert(seq.get());
    }
    // The player, on its own thread, until the publisher is done and the tail has come.
    let done = Arc::new(AtomicBool::new(false));
    let player = target.play.map(|addr| {
        let done = done.clone();
        let dial = Dial {
            stream_id: Some(ctx.stream_id("request")),
            passphrase,
        };
        let (seed, deadline) = (ctx.seed ^ 0x9_1a7e, ctx.deadline);
        std::thread::spawn(move || play(addr, &dial, seed, deadline, &done))
    });
    let start = Instant::now();
    let spacing = Duration::from_secs(SECONDS.into()) / payloads.len().max(1) as u32;
    for (i, payload) in payloads.iter().enumerate() {
        session.pump(start + spacing * i as u32);
        session.send(payload.clone())?;
    }
    session.pump(Instant::now() + LINGER);
    let stats = session.conn.stats();
    session.shutdown();
    let shutdown_at = Instant::now();
    session.pump(shutdown_at + LINGER);
    done.store(true, Ordering::Relaxed);
    let player = player.map(|thread| {
        thread
            .join()
            .unwrap_or_else(|_| Err("the player's thread panicked".to_owned()))
    });
    Ok(Round {
        sent,
        publisher: Publisher {
            log: session.log.clone(),
            payloads: payloads.len(),
            dropped: session.dropped.clone(),
            isn,
            retransmitted: session.retransmitted.clone(),
            sent_at: session.sent_at.clone(),
            shutdown_at,
            stats,
        },
        player,
    })
}

/// A player: connects, receives until `done` is set and nothing more came for a while.
fn play(
    addr: std::net::SocketAddr,
    dial: &Dial,
    seed: u64,
    deadline: Instant,
    done: &AtomicBool,
) -> Result<Vec<Bytes>, String> {
    let mut session = match conn::connect(addr, dial, seed, deadline) {
        Ok(Ok(session)) => session,
        Ok(Err(reason)) => {
            return Err(format!(
                "the player was rejected: {} ({})",
                reason.name(),
                reason.0 + 1000
            ));
        }
        Err(outcome) => return Err(format!("the player could not connect: {outcome:?}")),
    };
    let mut quiet_since: Option<Instant> = None;
    let mut count = 0;
    while Instant::now() < deadline {
        session.pump((Instant::now() + Duration::from_millis(100)).min(deadline));
        let now = Instant::now();
        let got = session.payloads().count();
        if got != count || !done.load(Ordering::Relaxed) {
            count = got;
            quiet_since = None;
        } else if now.duration_since(*quiet_since.get_or_insert(now)) >= PLAYER_TAIL {
            break;
        }
        if session.conn.is_closed() && done.load(Ordering::Relaxed) {
            break;
        }
    }
    session.shutdown();
    Ok(session.payloads().cloned().collect())
}

/// Compares a player's payloads with the TS packets sent: from the first packet it got (its
/// join point) on, every packet, identical and in order, to the end. `Ok`: the join point and
/// how many matched.
pub fn compare(sent: &[Bytes], received: &[Bytes]) -> Result<(usize, usize), String> {
    let mut packets = Vec::new();
    for (i, payload) in received.iter().enumerate() {
        if payload.len() % TS_PACKET != 0 {
            return Err(format!(
                "payload {i} is {} bytes, not whole TS packets",
                payload.len()
            ));
        }
        packets.extend(payload.chunks(TS_PACKET));
    }
    let Some(first) = packets.first() else {
        return Err(format!("no TS packet of the {} sent", sent.len()));
    };
    let Some(join) = sent.iter().position(|p| p == first) else {
        return Err("the first TS packet received is none of those sent".to_owned());
    };
    for (i, got) in packets.iter().enumerate() {
        match sent.get(join + i) {
            Some(want) if want == got => {}
            Some(_) => {
                return Err(format!(
                    "TS packet {} (the {i}th received after joining at {join}) differs from the one sent",
                    join + i
                ));
            }
            None => {
                return Err(format!(
                    "{} TS packets more than the {} sent after the join point {join}",
                    packets.len() - (sent.len() - join),
                    sent.len() - join
                ));
            }
        }
    }
    let expected = sent.len() - join;
    if packets.len() < expected {
        return Err(format!(
            "{} of the {expected} TS packets from the join point {join} on; the last {} never came",
            packets.len(),
            expected - packets.len()
        ));
    }
    Ok((join, packets.len()))
}

/// The frames a TS carries, as our demuxer reads them.
fn demux<'a>(packets: impl Iterator<Item = &'a [u8]>) -> Vec<Frame> {
    let mut demuxer = Demuxer::default();
    let now = Instant::now();
    let mut frames = Vec::new();
    let mut take = |demuxer: &mut Demuxer| {
        while let Some(out) = demuxer.poll_output() {
            if let Output::Event(DemuxEvent::Frame(frame)) = out {
                frames.push(frame);
            }
        }
    };
    for packet in packets {
        // A packet our demuxer cannot read shows as frames missing.
        let _ = demuxer.handle_input(now, packet);
        take(&mut demuxer);
    }
    let _ = demuxer.handle_end(now);
    take(&mut demuxer);
    frames
}

/// For a server that repackages the TS: per track, from the first frame the player got on,
/// every frame sent with the same data, key flag and timestamp spacing, to the end.
pub fn compare_frames(sent: &[Bytes], received: &[Bytes]) -> Result<String, String> {
    let sent = demux(sent.iter().map(|p| &p[..]));
    let got = demux(received.iter().flat_map(|p| p.chunks(TS_PACKET)));
    let mut notes = Vec::new();
    for track in [Track::VIDEO, Track::AUDIO] {
        let want: Vec<&Frame> = sent.iter().filter(|f| f.track == track).collect();
        let have: Vec<&Frame> = got.iter().filter(|f| f.track == track).collect();
        let name = if track == Track::VIDEO {
            "video"
        } else {
            "audio"
        };
        let Some(first) = have.first() else {
            return Err(format!("no {name} frame reached the player"));
        };
        let Some(join) = want.iter().position(|f| f.data == first.data) else {
            return Err(format!(
                "the first {name} frame received is none of those sent"
            ));
        };
        let tail = &want[join..];
        let base = (tail[0].dts.0, first.dts.0);
        for (i, (w, h)) in tail.iter().zip(&have).enumerate() {
            if w.data != h.data || w.keyframe != h.keyframe || w.dts.0 - base.0 != h.dts.0 - base.1
            {
                return Err(format!(
                    "{name} frame {} differs from the one sent",
                    join + i
                ));
            }
        }
        if have.len() != tail.len() {
            return Err(format!(
                "{} {name} frames of the {} sent from frame {join} on",
                have.len(),
                tail.len()
            ));
        }
        notes.push(format!("{} {name} frames from frame {join}", have.len()));
    }
    Ok(format!(
        "{}, identical with the same spacing",
        notes.join(" and ")
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_published_ts_is_whole_packets_that_our_demuxer_reads() {
        let packets = ts(1, 7);
        assert!(packets.len() > 100);
        assert!(packets.iter().all(|p| p.len() == TS_PACKET && p[0] == 0x47));
        let mut demuxer = Demuxer::default();
        for p in &packets {
            demuxer.handle_input(Instant::now(), p).unwrap();
            while let Some(out) = demuxer.poll_output() {
                assert!(!matches!(out, Output::Violation(_)), "{out:?}");
            }
        }
        let frames = demux(packets.iter().map(|p| &p[..]));
        assert_eq!(
            frames.iter().filter(|f| f.track == Track::VIDEO).count(),
            25
        );
        assert!(frames.iter().filter(|f| f.track == Track::AUDIO).count() >= 40);
    }

    #[test]
    fn a_late_join_with_every_packet_after_it_matches() {
        let sent: Vec<Bytes> = (0..20u8).map(|i| Bytes::from(vec![i; TS_PACKET])).collect();
        let got = vec![Bytes::from([&sent[5][..], &sent[6][..]].concat())]
            .into_iter()
            .chain(sent[7..].iter().cloned())
            .collect::<Vec<_>>();
        assert_eq!(compare(&sent, &got), Ok((5, 15)));
        let gap: Vec<Bytes> = sent[5..10].iter().chain(&sent[11..]).cloned().collect();
        assert!(compare(&sent, &gap).unwrap_err().contains("packet 10"));
        let short: Vec<Bytes> = sent[5..15].to_vec();
        assert!(compare(&sent, &short).unwrap_err().contains("never came"));
        assert!(compare(&sent, &[]).is_err());
        assert!(compare(&sent, &[Bytes::from_static(&[1, 2])]).is_err());
    }

    #[test]
    fn repackaged_ts_with_every_frame_from_a_keyframe_on_matches_by_frame() {
        let sent = ts(2, 3);
        // The second second, muxed afresh: other packets, the same frames.
        let all = demux(sent.iter().map(|p| &p[..]));
        let mut muxer = Muxer::new(MuxerConfig {
            first_pid: 0x200,
            ..MuxerConfig::default()
        });
        muxer
            .handle_config(&TrackConfig {
                track: Track::VIDEO,
                codec: Codec::H264,
                data: Bytes::from_static(AVC_RECORD),
            })
            .unwrap();
        muxer
            .handle_config(&TrackConfig {
                track: Track::AUDIO,
                codec: Codec::Aac,
                data: Bytes::from_static(ASC),
            })
            .unwrap();
        let mut out = Vec::new();
        for frame in all.iter().filter(|f| f.dts.0 >= 90_000) {
            muxer.handle_frame(frame).unwrap();
            while let Some(Output::Transmit(b)) = muxer.poll_output() {
                out.extend_from_slice(&b);
            }
        }
        let got = vec![Bytes::from(out)];
        assert!(compare(&sent, &got).is_err());
        let note = compare_frames(&sent, &got).unwrap();
        assert!(note.contains("25 video frames from frame 25"), "{note}");
        let mut short = got[0].to_vec();
        short.truncate(short.len() / 2 / TS_PACKET * TS_PACKET);
        assert!(compare_frames(&sent, &[Bytes::from(short)]).is_err());
    }
}
