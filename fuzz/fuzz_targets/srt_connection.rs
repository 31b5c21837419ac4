//! The SRT connection machine from hostile datagrams: a connection of socket 0xA fed
//! datagrams (most of them addressed to it, so that they reach the ACK, NAK, drop-request
//! and data paths), sending payloads of its own, with time moving on in jumps. No panic, no
//! unbounded growth: the buffers hold at most their configured packets, which the stats and
//! the outputs drained each round show.
#![no_main]

use bytes::Bytes;
use libfuzzer_sys::fuzz_target;
use std::time::{Duration, Instant};
use weir_media::{Machine, Output};
use weir_srt::connection::{Config, Connection, Params};
use weir_srt::{SeqNumber, Timestamp};
use weir_testkit::SeededRng;

fuzz_target!(|data: &[u8]| {
    let start = Instant::now();
    let params = Params {
        local_socket_id: 0xA,
        peer_socket_id: 0xB,
        send_isn: SeqNumber::new(SeqNumber::MAX - 3),
        recv_isn: SeqNumber::new(100),
        recv_latency: Duration::from_millis(120),
        send_latency: Duration::from_millis(120),
        too_late_drop: data.first().is_some_and(|b| b & 1 == 0),
        start,
        peer_clock: (start, Timestamp::new(0)),
        handshake_rtt: None,
    };
    let config = Config {
        recv_buffer: 64,
        send_buffer: 64,
        ..Config::default()
    };
    let mut connection = Connection::new(params, config, None, Box::new(SeededRng::new(1)), start);
    let mut now = start;
    let mut rest = data;
    // Each piece: an action byte, a length byte, then that many bytes.
    while let [action, len, tail @ ..] = rest {
        let len = usize::from(*len).min(tail.len());
        let (piece, after) = tail.split_at(len);
        rest = after;
        match action % 4 {
            // A datagram for this connection: the destination socket id patched in.
            0 | 1 => {
                let mut datagram = piece.to_vec();
                if action % 4 == 0 && datagram.len() >= 16 {
                    datagram[12..16].copy_from_slice(&0xAu32.to_be_bytes());
                }
                let _ = connection.handle_input(now, &datagram);
            }
            // Our own payload (too long ones are refused).
            2 => {
                let _ = connection.send(now, Bytes::copy_from_slice(piece));
            }
            // Time moves on, by up to 2.55 s, and the machine's timer fires.
            _ => {
                now += Duration::from_millis(10 * u64::from(piece.first().copied().unwrap_or(1)));
                if connection.poll_timeout().is_some_and(|at| at <= now) {
                    connection.handle_timeout(now);
                }
            }
        }
        let mut outputs = 0;
        while let Some(out) = connection.poll_output() {
            outputs += 1;
            if let Output::Transmit(bytes) = out {
                assert!(bytes.len() <= 1500, "a datagram of {} bytes", bytes.len());
            }
        }
        // One input cannot make more than the buffers hold, and a little control traffic.
        assert!(outputs <= 2 * 64 + 16, "{outputs} outputs from one input");
    }
});
