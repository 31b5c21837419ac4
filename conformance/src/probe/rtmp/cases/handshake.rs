//! The handshake (RTMP 1.0 §5.2): simple and complex, split at odd places, and a C2 that does
//! not echo S1.

use super::super::rules as live;
use super::{Case, Outcome, Probe, Step, connect};
use std::time::Duration;
use weir_rtmp::handshake::{DigestScheme, HandshakeKind};
use weir_rtmp::rules::{HANDSHAKE_DIGEST, HANDSHAKE_ECHO, HANDSHAKE_S0_VERSION};
use weir_rtmp::session::ClientEvent;

pub const CASES: &[Case] = &[
    Case {
        id: "handshake.simple",
        rules: &[&HANDSHAKE_S0_VERSION, &HANDSHAKE_ECHO],
        description: "A simple handshake (zero version field): S0 is 3, S2 echoes C1, connect succeeds.",
        run: simple,
    },
    Case {
        id: "handshake.complex-scheme0",
        rules: &[&HANDSHAKE_DIGEST, &HANDSHAKE_S0_VERSION],
        description: "A complex handshake as FFmpeg sends it (digest scheme 0): S1 and S2 carry valid digests.",
        run: complex0,
    },
    Case {
        id: "handshake.complex-scheme1",
        rules: &[&HANDSHAKE_DIGEST, &HANDSHAKE_S0_VERSION],
        description: "A complex handshake as Flash Player 10 sends it (digest scheme 1): S1 and S2 carry valid digests.",
        run: complex1,
    },
    Case {
        id: "handshake.split",
        rules: &[&live::STREAM_BOUNDARIES],
        description: "C0+C1 and C2 arrive in pieces of 1, 7, 100 and 1 bytes with pauses: the server waits for whole packets.",
        run: split,
    },
    Case {
        id: "handshake.c2-mismatch",
        rules: &[&HANDSHAKE_ECHO],
        description: "C2 does not echo S1: the server may go on or close (informational).",
        run: c2_mismatch,
    },
];

/// Connects with `kind` and returns what the server's handshake was, with the violations our
/// client machine saw in it.
fn handshake_with(probe: &Probe, kind: HandshakeKind) -> Step<(HandshakeKind, Vec<String>)> {
    let mut conn = connect(probe, |options, _| options.handshake = kind)?;
    let info = conn
        .until("the handshake", |e| matches!(e, ClientEvent::Handshake(_)))
        .ok();
    let broken: Vec<String> = conn
        .violations
        .iter()
        .filter(|v| v.rule.id.starts_with("rtmp.handshake."))
        .map(|v| format!("{}: {}", v.rule.id, v.detail))
        .collect();
    let seen = match info {
        Some(ClientEvent::Handshake(info)) => info.kind,
        _ => HandshakeKind::Simple,
    };
    Ok((seen, broken))
}

fn simple(probe: &Probe) -> Step<Outcome> {
    let (_, broken) = handshake_with(probe, HandshakeKind::Simple)?;
    Ok(match broken.first() {
        None => Outcome::pass("S0 = 3, S2 echoes C1, connected"),
        Some(v) => Outcome::fail("S2 echoes C1", v.clone()),
    })
}

fn complex(probe: &Probe, scheme: DigestScheme) -> Step<Outcome> {
    let (seen, broken) = handshake_with(probe, HandshakeKind::Complex { scheme })?;
    Ok(match (seen, broken.first()) {
        (_, Some(v)) => Outcome::fail("S1 and S2 with valid digests", v.clone()),
        (HandshakeKind::Complex { scheme }, None) => Outcome::pass(format!(
            "S1 digest valid ({scheme:?}), S2 digest valid, connected"
        )),
        (HandshakeKind::Simple, None) => Outcome::info(
            "the server answered a complex C1 with a simple handshake (no S1 digest); connected",
        ),
    })
}

fn complex0(probe: &Probe) -> Step<Outcome> {
    complex(probe, DigestScheme::Scheme0)
}

fn complex1(probe: &Probe) -> Step<Outcome> {
    complex(probe, DigestScheme::Scheme1)
}

fn split(probe: &Probe) -> Step<Outcome> {
    let mut conn = super::Conn::open(probe, |_, _| {})?;
    // C0+C1 (1537 bytes) in 1, 7, 100, 1 and the rest; later C2 and connect go as they come.
    conn.split_next(&[1, 7, 100, 1, 1428]);
    conn.flush()?;
    conn.until("connect answered after a split handshake", |e| {
        matches!(e, ClientEvent::Connected { .. })
    })?;
    Ok(Outcome::pass("connected"))
}

fn c2_mismatch(probe: &Probe) -> Step<Outcome> {
    let mut conn = super::Conn::open(probe, |options, _| {
        options.handshake = HandshakeKind::Simple
    })?;
    // C2 is bytes 1537..3073 of what the client sends: change its echo of S1's random bytes.
    conn.tamper(Box::new(|offset, bytes| {
        for (i, b) in bytes.iter_mut().enumerate() {
            let at = offset + i as u64;
            if (1537 + 8..3073).contains(&at) {
                *b ^= 0x5a;
            }
        }
    }));
    conn.flush()?;
    let answered = conn.until_within(Duration::from_secs(3), |e| {
        matches!(e, ClientEvent::Connected { .. })
    })?;
    Ok(match answered {
        Some(_) => {
            Outcome::info("the server accepted a C2 that does not echo S1 and answered connect")
        }
        None if conn.closed_within(Duration::from_millis(100)) => {
            Outcome::info("the server closed the connection after a C2 that does not echo S1")
        }
        None => Outcome::info(
            "the server neither answered connect nor closed within 3 s after a C2 that does not echo S1",
        ),
    })
}
