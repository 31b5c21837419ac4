//! The SRT handshake machines from hostile datagrams: a listener fed datagrams from a few
//! addresses (some carrying the right SYN cookie, so conclusions get through), answering
//! requests, with time moving on; and a caller fed the same datagrams addressed to it. No
//! panic, and the listener never holds more than its backlog allows.
#![no_main]

use libfuzzer_sys::fuzz_target;
use std::net::SocketAddr;
use std::time::{Duration, Instant};
use weir_media::Machine;
use weir_srt::cookie::CookieJar;
use weir_srt::{
    Caller, CallerConfig, Listener, ListenerConfig, ListenerEvent, ListenerOutput, RejectReason,
};
use weir_testkit::SeededRng;

const SECRET: [u8; 16] = [3; 16];

fuzz_target!(|data: &[u8]| {
    let start = Instant::now();
    let config = ListenerConfig {
        backlog: 4,
        ..Default::default()
    };
    let (backlog, bucket) = (config.backlog, config.cookie_bucket_secs);
    let mut listener = Listener::new(config, SECRET, Box::new(SeededRng::new(1)), start);
    let jar = CookieJar::new(SECRET, bucket);
    let caller_config = CallerConfig {
        socket_id: Some(0x1234),
        ..Default::default()
    };
    let mut caller = Caller::new(caller_config, &mut SeededRng::new(2), start);
    let mut now = start;
    let mut requests = Vec::new();
    let mut rest = data;
    // Each piece: an action byte, a length byte, then that many bytes.
    while let [action, len, tail @ ..] = rest {
        let len = usize::from(*len).min(tail.len());
        let (datagram, after) = tail.split_at(len);
        rest = after;
        let from: SocketAddr = SocketAddr::from(([127, 0, 0, 1], 5000 + u16::from(action & 3)));
        let mut datagram = datagram.to_vec();
        match action >> 2 & 7 {
            0 | 1 => {}
            2 => {
                // The right cookie for this address, so the conclusion path runs.
                if datagram.len() >= 16 + 32 {
                    let secs = now.duration_since(start).as_secs();
                    let cookie = jar.cookie(from, jar.bucket(secs));
                    datagram[16 + 28..16 + 32].copy_from_slice(&cookie.to_be_bytes());
                }
            }
            3 => now += Duration::from_millis(len as u64 * 50),
            4 => {
                if let Some(id) = requests.pop() {
                    let _ = listener.accept(now, id, None);
                }
            }
            5 => {
                if let Some(id) = requests.pop() {
                    let _ = listener.reject(now, id, RejectReason(len as u32 * 40));
                }
            }
            _ => listener.handle_timeout(now),
        }
        listener.handle_input(now, from, &datagram);
        if datagram.len() >= 16 {
            datagram[12..16].copy_from_slice(&0x1234u32.to_be_bytes());
        }
        let _ = caller.handle_input(now, &datagram);
        if caller.poll_timeout().is_some_and(|at| at <= now) {
            caller.handle_timeout(now);
        }
        while caller.poll_output().is_some() {}
        while let Some(out) = listener.poll_output() {
            if let ListenerOutput::Event(ListenerEvent::Request(r)) = out {
                requests.push(r.id);
            }
        }
        let (pending, answers) = listener.held();
        assert!(pending <= backlog && answers <= backlog * 4);
    }
});
