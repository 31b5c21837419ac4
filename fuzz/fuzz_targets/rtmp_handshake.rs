//! Both handshake machines over arbitrary peer bytes: no panic, never a byte consumed past the
//! end of the handshake, and the machine stays closed after an error.
#![no_main]

use libfuzzer_sys::fuzz_target;
use weir_rtmp::handshake::{
    ClientHandshake, DigestScheme, HANDSHAKE_LEN, HandshakeKind, ServerHandshake,
};

use weir_testkit::{SeededRng, split};

/// Feeds `input` in pieces of `piece` bytes to `step` (one input, then drain the outputs), as
/// a session would.
fn feed(
    input: &[u8],
    piece: usize,
    mut step: impl FnMut(&[u8]) -> Result<usize, weir_rtmp::Error>,
) {
    let mut consumed = 0;
    for chunk in split::pieces(input, &split::sizes(input.len(), &[piece])) {
        match step(chunk) {
            Ok(n) => {
                assert!(n <= chunk.len());
                consumed += n;
            }
            Err(error) => {
                assert!(error.rule.is_some(), "peer errors name a rule");
                assert_eq!(step(&[3]), Err(error), "closed after an error");
                break;
            }
        }
    }
    assert!(consumed <= HANDSHAKE_LEN);
}

fuzz_target!(|data: &[u8]| {
    // The first byte picks the split size and the client's kind; the rest is the peer's bytes.
    let Some((&control, input)) = data.split_first() else {
        return;
    };
    let piece = usize::from(control >> 2) * 50 + 1;
    let kind = match control & 3 {
        0 => HandshakeKind::Simple,
        1 => HandshakeKind::Complex {
            scheme: DigestScheme::Scheme0,
        },
        _ => HandshakeKind::Complex {
            scheme: DigestScheme::Scheme1,
        },
    };
    let mut rng = SeededRng::new(0x5EED_5EED_5EED_5EED);

    let mut server = ServerHandshake::new(0);
    feed(input, piece, |bytes| {
        let result = server.handle_input(bytes, &mut rng);
        while server.poll_output().is_some() {}
        result
    });

    let mut client = ClientHandshake::new(kind, 0, &mut rng);
    feed(input, piece, |bytes| {
        let result = client.handle_input(bytes, &mut rng);
        while client.poll_output().is_some() {}
        result
    });
});
