//! The client's handshake (RTMP 1.0 §5.2): sends C0 C1 at once, C2 as soon as S1 is in, and is
//! done when S2 is in.

use super::incoming::{Incoming, Milestone, PACKET1_OFFSET, PACKET2_OFFSET};
use super::packet::{CLIENT, SERVER, check_s2};
use super::{
    ClientKind, HandshakeInfo, HandshakeKind, PACKET_LEN, RTMP_VERSION, check_version,
    queue_violation,
};
use crate::Error;
use crate::rules::HANDSHAKE_S0_VERSION;
use bytes::{BufMut, Bytes, BytesMut};
use rand_core::RngCore;
use std::collections::VecDeque;
use weir_media::Output;

/// Opens a handshake simple or complex (Flash Player 9.0.124.2 style) and checks the server's
/// answer. Peer mistakes other than a wrong S0 are violations, not errors.
pub struct ClientHandshake {
    epoch_ms: u32,
    kind: ClientKind,
    /// The C1 we sent, kept to answer and check S2 against; `None` for an observer of a
    /// recorded handshake, which sends nothing (the recorded client did): no C1 or C2 is made
    /// (an HMAC-SHA256 and 1.5 KB of random bytes each) and S2 is checked against nothing of
    /// ours.
    c1: Option<Box<[u8; PACKET_LEN]>>,
    incoming: Incoming,
    server_kind: HandshakeKind,
    outputs: VecDeque<Output<HandshakeInfo>>,
    failure: Option<Error>,
    done: bool,
}

impl ClientHandshake {
    /// Queues C0 C1; `epoch_ms` goes in C1's time field (and C2's time2).
    pub fn new(kind: ClientKind, epoch_ms: u32, rng: &mut dyn RngCore) -> Self {
        let c1 = CLIENT.packet1(kind, epoch_ms, rng);
        let mut c0c1 = BytesMut::with_capacity(1 + PACKET_LEN);
        c0c1.put_u8(RTMP_VERSION);
        c0c1.put_slice(&c1[..]);
        ClientHandshake {
            epoch_ms,
            kind,
            c1: Some(c1),
            incoming: Incoming::new(),
            server_kind: HandshakeKind::Simple,
            outputs: VecDeque::from([Output::Transmit(c0c1.freeze())]),
            failure: None,
            done: false,
        }
    }

    /// An observer's handshake: S0 S1 S2 read and judged as [`Self::new`]'s are, nothing sent
    /// (the harness checks the recorded replies, `handshake::check_s2`).
    pub fn observer() -> Self {
        ClientHandshake {
            epoch_ms: 0,
            kind: HandshakeKind::Simple,
            c1: None,
            incoming: Incoming::new(),
            server_kind: HandshakeKind::Simple,
            outputs: VecDeque::new(),
            failure: None,
            done: false,
        }
    }

    /// Takes bytes of S0 S1 S2 however they are split; returns how many it consumed, never past
    /// the end of S2. An S0 other than 3 is fatal, and every later call returns the same error.
    pub fn handle_input(&mut self, input: &[u8], rng: &mut dyn RngCore) -> Result<usize, Error> {
        if let Some(failure) = &self.failure {
            return Err(failure.clone());
        }
        let consumed = self.incoming.take(input);
        while let Some(milestone) = self.incoming.next_milestone() {
            match milestone {
                Milestone::Version => {
                    let checked =
                        check_version(self.incoming.version(), &HANDSHAKE_S0_VERSION, "S0");
                    if let Err(error) = checked {
                        self.failure = Some(error.clone());
                        return Err(error);
                    }
                }
                Milestone::Packet1 => self.answer_s1(rng),
                Milestone::Packet2 => self.finish(),
            }
        }
        Ok(consumed)
    }

    /// C0 C1, then C2 once S1 is in, violations in stream order, the event once S2 is in.
    pub fn poll_output(&mut self) -> Option<Output<HandshakeInfo>> {
        self.outputs.pop_front()
    }

    /// Whether S2 has been read: the bytes after it are chunks.
    pub fn is_done(&self) -> bool {
        self.done
    }

    fn answer_s1(&mut self, rng: &mut dyn RngCore) {
        let s1 = self.incoming.packet1();
        let (kind, violation) = SERVER.kind_of(s1);
        self.server_kind = kind;
        queue_violation(&mut self.outputs, violation, PACKET1_OFFSET);
        if self.c1.is_none() {
            return;
        }
        let c2 = CLIENT.packet2(s1, kind, self.kind, self.epoch_ms, rng);
        self.outputs
            .push_back(Output::Transmit(Bytes::copy_from_slice(&c2[..])));
    }

    fn finish(&mut self) {
        if let Some(c1) = &self.c1 {
            let checked = check_s2(&c1[..], &self.incoming.packet2()[..]);
            queue_violation(&mut self.outputs, checked.err(), PACKET2_OFFSET);
        }
        let info = HandshakeInfo::new(self.server_kind, self.incoming.packet1());
        self.outputs.push_back(Output::Event(info));
        self.done = true;
    }
}
