//! The server's handshake (RTMP 1.0 §5.2): reads C0 C1 C2, answers S0 S1 S2 as soon as C1 is in.

use super::incoming::{Incoming, Milestone, PACKET1_OFFSET, PACKET2_OFFSET};
use super::packet::{CLIENT, SERVER, check_c2};
use super::{
    HandshakeInfo, HandshakeKind, PACKET_LEN, RTMP_VERSION, check_version, queue_violation,
};
use crate::Error;
use crate::rules::HANDSHAKE_VERSION;
use bytes::{BufMut, BytesMut};
use rand_core::RngCore;
use std::collections::VecDeque;
use weir_media::Output;

/// Answers a client's handshake in kind: complex (same digest scheme) when C1 carries a valid
/// digest, simple otherwise. Peer mistakes other than a wrong C0 are violations, not errors.
pub struct ServerHandshake {
    epoch_ms: u32,
    incoming: Incoming,
    /// The S1 we sent, kept to check C2 against.
    s1: Option<Box<[u8; PACKET_LEN]>>,
    client_kind: HandshakeKind,
    outputs: VecDeque<Output<HandshakeInfo>>,
    failure: Option<Error>,
    done: bool,
    /// False for an observer of a recorded handshake: the recorded server answered, so no S0
    /// S1 S2 is made (two HMAC-SHA256 and 3 KB of random bytes each) and C2 is checked
    /// against nothing of ours.
    answer: bool,
}

impl ServerHandshake {
    /// `epoch_ms` is written in S1's time field (and S2's time2).
    pub fn new(epoch_ms: u32) -> Self {
        ServerHandshake {
            epoch_ms,
            incoming: Incoming::new(),
            s1: None,
            client_kind: HandshakeKind::Simple,
            outputs: VecDeque::new(),
            failure: None,
            done: false,
            answer: true,
        }
    }

    /// An observer's handshake: C0 C1 C2 read and judged as [`Self::new`]'s are, nothing
    /// answered (the harness checks the recorded replies, `handshake::check_c2`).
    pub fn observer() -> Self {
        ServerHandshake {
            answer: false,
            ..Self::new(0)
        }
    }

    /// Takes bytes of C0 C1 C2 however they are split; returns how many it consumed, never
    /// past the end of C2 (what follows belongs to the chunk stream). A C0 other than 3 is
    /// fatal, and every later call returns the same error.
    pub fn handle_input(&mut self, input: &[u8], rng: &mut dyn RngCore) -> Result<usize, Error> {
        if let Some(failure) = &self.failure {
            return Err(failure.clone());
        }
        let consumed = self.incoming.take(input);
        while let Some(milestone) = self.incoming.next_milestone() {
            match milestone {
                Milestone::Version => {
                    let checked = check_version(self.incoming.version(), &HANDSHAKE_VERSION, "C0");
                    if let Err(error) = checked {
                        self.failure = Some(error.clone());
                        return Err(error);
                    }
                }
                Milestone::Packet1 => self.answer_c1(rng),
                Milestone::Packet2 => self.finish(),
            }
        }
        Ok(consumed)
    }

    /// S0 S1 S2 (one transmit), then violations in stream order, then the event once C2 is in.
    pub fn poll_output(&mut self) -> Option<Output<HandshakeInfo>> {
        self.outputs.pop_front()
    }

    /// Whether C2 has been read: the bytes after it are chunks.
    pub fn is_done(&self) -> bool {
        self.done
    }

    fn answer_c1(&mut self, rng: &mut dyn RngCore) {
        let c1 = self.incoming.packet1();
        let (kind, violation) = CLIENT.kind_of(c1);
        self.client_kind = kind;
        queue_violation(&mut self.outputs, violation, PACKET1_OFFSET);
        if !self.answer {
            return;
        }
        let s1 = SERVER.packet1(kind, self.epoch_ms, rng);
        let s2 = SERVER.packet2(c1, kind, kind, self.epoch_ms, rng);
        let mut reply = BytesMut::with_capacity(1 + 2 * PACKET_LEN);
        reply.put_u8(RTMP_VERSION);
        reply.put_slice(&s1[..]);
        reply.put_slice(&s2[..]);
        self.outputs.push_back(Output::Transmit(reply.freeze()));
        self.s1 = Some(s1);
    }

    fn finish(&mut self) {
        if let Some(s1) = &self.s1 {
            let checked = check_c2(&s1[..], &self.incoming.packet2()[..]);
            queue_violation(&mut self.outputs, checked.err(), PACKET2_OFFSET);
        }
        let info = HandshakeInfo::new(self.client_kind, self.incoming.packet1());
        self.outputs.push_back(Output::Event(info));
        self.done = true;
    }
}
