//! Input that breaks the protocol: the server closes that connection and keeps serving.

use super::super::rules as live;
use super::{Case, Outcome, Probe, Step, connect, publisher};
use std::io::{ErrorKind, Read, Write};
use std::net::{TcpStream, ToSocketAddrs};
use std::time::{Duration, Instant};
use weir_rtmp::rules::{CHUNK_FMT3_WITHOUT_PREVIOUS, HANDSHAKE_VERSION};

pub const CASES: &[Case] = &[
    Case {
        id: "invalid.version",
        rules: &[&live::INVALID_INPUT, &HANDSHAKE_VERSION],
        description: "C0 carries version 250 (32-255 are not allowed): the server closes or answers version 3, then serves a well-behaved connection.",
        run: version,
    },
    Case {
        id: "invalid.garbage-after-handshake",
        rules: &[&live::INVALID_INPUT, &CHUNK_FMT3_WITHOUT_PREVIOUS],
        description: "After connect, a type 3 chunk on a chunk stream never used, then noise: the server closes that connection and still serves a new one.",
        run: garbage,
    },
];

/// A second, well-behaved connection publishes: the server survived.
fn still_serves(probe: &Probe, before: &str) -> Step<Outcome> {
    let name = probe.stream("-after");
    match publisher(probe, &name, |_, _| {}) {
        Ok(_) => Ok(Outcome::pass(format!(
            "{before}; a new connection then published"
        ))),
        Err(Outcome::Fail { actual, .. }) => Ok(Outcome::fail(
            "a new connection served after the bad one",
            format!("{before}; then the new connection failed: {actual}"),
        )),
        Err(other) => Err(other),
    }
}

fn version(probe: &Probe) -> Step<Outcome> {
    let addr = probe
        .target
        .addr
        .to_socket_addrs()
        .ok()
        .and_then(|mut a| a.next())
        .ok_or_else(|| Outcome::error("cannot resolve the server"))?;
    let mut tcp = TcpStream::connect_timeout(&addr, Duration::from_secs(5))
        .map_err(|e| Outcome::error(format!("cannot connect: {e}")))?;
    let mut c0c1 = vec![0u8; 1537];
    c0c1[0] = 250;
    tcp.write_all(&c0c1)
        .map_err(|e| Outcome::error(format!("cannot write: {e}")))?;
    let _ = tcp.set_read_timeout(Some(Duration::from_millis(200)));
    let end = Instant::now() + Duration::from_secs(3);
    let mut buf = [0u8; 4096];
    let (what, s0) = loop {
        match tcp.read(&mut buf) {
            Ok(0) => break ("the server closed the connection".to_owned(), None),
            Ok(_) => {
                break (
                    format!("the server answered with S0 = {}", buf[0]),
                    Some(buf[0]),
                );
            }
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {
                if Instant::now() >= end {
                    break (
                        "the server neither answered nor closed within 3 s".to_owned(),
                        None,
                    );
                }
            }
            Err(e) => break (format!("the server reset the connection ({e})"), None),
        }
    };
    drop(tcp);
    if s0.is_some_and(|v| v != 3) {
        return Ok(Outcome::fail("a close, or S0 = 3", what));
    }
    still_serves(probe, &what)
}

fn garbage(probe: &Probe) -> Step<Outcome> {
    let mut conn = connect(probe, |_, _| {})?;
    // 0xE8: a type 3 chunk on chunk stream 40, which has had no header; then noise.
    let mut bad = vec![0xe8];
    let mut x = 0x1234_5678u32;
    bad.extend((0..4096).map(|_| {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        x as u8
    }));
    conn.write(&bad)?;
    if !conn.closed_within(Duration::from_secs(5)) {
        return Ok(Outcome::fail(
            "the connection closed",
            "the server kept the connection open for 5 s",
        ));
    }
    still_serves(probe, "the server closed the connection")
}
