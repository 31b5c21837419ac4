//! How the two ends of one RTP session answer each other's feedback, judged from both
//! directions of a clear (or decrypted) session: a NACKed packet the sender had sent comes
//! again (RFC 4585 §6.2.1; the same SSRC and sequence number, or RTX per RFC 4588 §4 carrying
//! it as its original sequence number), a PLI or FIR is followed by a keyframe (RFC 4585
//! §6.3.1, RFC 5104 §4.3.1.2), transport-wide CC feedback reports only transport-wide
//! sequence numbers the media sender used, counts its feedback packets one by one and skips
//! none of the numbers used (draft-holmer-rmcat-transport-wide-cc-extensions-01 §3.1), and
//! feedback names sources the other end sends (RFC 4585 §6.1).
//!
//! Sans-IO: the caller feeds each side's RTP packets, parsed RTCP and keyframes with the
//! capture's time and the side's byte offset, then [`Behaviour::finish`]; violations come out
//! of [`Behaviour::poll_violation`], each with the side that broke the rule. Sides are 0 and 1
//! (the two directions of the capture); feedback sent on one side is about the other's media.
//!
//! ```text
//! behaviour.on_rtp(side, now, offset, &packet);        // every RTP packet, RTX included
//! behaviour.on_keyframe(side, now, ssrc);              // a depacketized keyframe
//! behaviour.on_rtcp(side, now, offset, &compound.packets);
//! behaviour.finish(now);
//! while let Some((side, violation)) = behaviour.poll_violation() { ... }
//! ```
//! Memory is bounded: a sent-sequence bitmap per source (8 KiB, at most
//! [`Limits::max_sources`] per side), one for the transport-wide numbers per side, and at most
//! [`Limits::max_pending`] expectations waiting.

use crate::RtpPacket;
use crate::extension::{Elements, Kind};
use crate::rtcp::Packet;
use crate::rules::{
    BEHAVIOUR_FEEDBACK_SSRC, BEHAVIOUR_FIR_KEYFRAME, BEHAVIOUR_NACK_RETRANSMIT,
    BEHAVIOUR_PLI_KEYFRAME, BEHAVIOUR_TWCC_COUNT, BEHAVIOUR_TWCC_GAP, BEHAVIOUR_TWCC_UNSENT,
};
use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::time::{Duration, Instant};
use weir_media::{Rule, Violation};

/// Bounds of the judge (the specs set none: these are Weir's).
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// How long a sender has to retransmit a NACKed packet.
    pub retransmit_within: Duration,
    /// How long a sender has to send a keyframe after a PLI or FIR (a relay waits for its
    /// publisher's next keyframe).
    pub keyframe_within: Duration,
    /// Expectations (NACKed packets, keyframes asked for) waiting at once; more are not judged.
    pub max_pending: usize,
    /// Sources followed per side.
    pub max_sources: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            retransmit_within: Duration::from_secs(1),
            keyframe_within: Duration::from_secs(5),
            max_pending: 4096,
            max_sources: 64,
        }
    }
}

/// Which of 65536 sequence numbers were sent: one bit each. Setting a number clears the one
/// half the space away, so a number seen before the last wrap does not count as sent now.
struct Sent(Box<[u64; 1024]>);

impl Sent {
    fn new() -> Self {
        Sent(Box::new([0; 1024]))
    }

    fn set(&mut self, seq: u16) {
        let far = seq.wrapping_add(0x8000);
        self.0[usize::from(far / 64)] &= !(1u64 << (far % 64));
        self.0[usize::from(seq / 64)] |= 1u64 << (seq % 64);
    }

    fn has(&self, seq: u16) -> bool {
        self.0[usize::from(seq / 64)] & (1u64 << (seq % 64)) != 0
    }
}

/// What one side sends.
#[derive(Default)]
struct Sender {
    /// Sequence numbers sent, per SSRC.
    sent: BTreeMap<u32, Sent>,
    /// Sources with a keyframe seen (video whose keyframes the caller recognises).
    keyframed: BTreeSet<u32>,
    /// Transport-wide sequence numbers sent (any SSRC), once the extension is known.
    transport: Option<Sent>,
    /// Its transport-wide CC feedback: the last feedback packet count and the sequence
    /// number after the last one reported, per sender SSRC.
    feedback: BTreeMap<u32, (u8, u16)>,
    /// Media SSRCs its NACK, PLI and FIR named, with the offset of the first.
    named: BTreeMap<u32, u64>,
    /// Its byte offset at the latest call.
    offset: u64,
}

/// Something a side must do by `deadline`.
struct Pending {
    /// The side that must act.
    side: usize,
    deadline: Instant,
    ssrc: u32,
    what: Wait,
    /// When and where (in the asking side's bytes) it was asked.
    asked: Instant,
    asked_at: u64,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Wait {
    /// This sequence number again.
    Packet(u16),
    /// A keyframe, asked by PLI (false) or FIR (true).
    Keyframe { fir: bool },
}

/// What was judged, for a summary: a session with no feedback passes every rule vacuously.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Judged {
    /// Packets asked back by NACK that the capture saw sent, and those sent again in time.
    pub nacked: u64,
    /// Of those, the ones retransmitted within the bound.
    pub retransmitted: u64,
    /// Keyframes asked for by PLI or FIR of a source whose keyframes are known.
    pub keyframes_asked: u64,
    /// Of those, the ones answered within the bound.
    pub keyframes_sent: u64,
    /// Transport-wide CC feedback packets read, and the sequence numbers they reported.
    pub twcc_feedback: u64,
    /// Statuses (received or not) in them.
    pub twcc_statuses: u64,
}

/// The judge of one session's feedback behaviour (see the module documentation).
pub struct Behaviour {
    judged: Judged,
    limits: Limits,
    /// The `a=extmap` ID of transport-wide sequence numbers, when the session has one.
    transport_id: Option<u8>,
    /// Payload types that are RTX (RFC 4588): their payload starts with the original number.
    rtx: BTreeSet<u8>,
    sides: [Sender; 2],
    pending: VecDeque<Pending>,
    /// Expectations not judged for want of room.
    skipped: u64,
    out: VecDeque<(usize, Violation)>,
    finished: bool,
}

impl Behaviour {
    /// A judge with `limits`, knowing no extension ID and no RTX payload type yet.
    pub fn new(limits: Limits) -> Self {
        Behaviour {
            judged: Judged::default(),
            limits,
            transport_id: None,
            rtx: BTreeSet::new(),
            sides: [Sender::default(), Sender::default()],
            pending: VecDeque::new(),
            skipped: 0,
            out: VecDeque::new(),
            finished: false,
        }
    }

    /// The extension ID the session's descriptions gave transport-wide sequence numbers
    /// (`a=extmap` with the draft's URI).
    pub fn set_transport_sequence_id(&mut self, id: Option<u8>) {
        self.transport_id = id;
    }

    /// The payload types the descriptions name `rtx` (RFC 4588 §8.6).
    pub fn set_rtx_payload_types(&mut self, types: impl IntoIterator<Item = u8>) {
        self.rtx = types.into_iter().collect();
    }

    /// What was judged so far.
    pub fn judged(&self) -> Judged {
        self.judged
    }

    /// Expectations that found no room (past [`Limits::max_pending`]): not judged.
    pub fn skipped(&self) -> u64 {
        self.skipped
    }

    /// One RTP packet `side` sent, at byte `offset` of its direction.
    pub fn on_rtp(&mut self, side: usize, now: Instant, offset: u64, packet: &RtpPacket) {
        let side = side & 1;
        self.expire(now);
        let transport = self.transport_sequence(packet);
        let limit = self.limits.max_sources;
        let sender = &mut self.sides[side];
        sender.offset = offset;
        if let Some(seq) = transport {
            sender.transport.get_or_insert_with(Sent::new).set(seq);
        }
        if sender.sent.len() < limit || sender.sent.contains_key(&packet.ssrc) {
            sender
                .sent
                .entry(packet.ssrc)
                .or_insert_with(Sent::new)
                .set(packet.sequence);
        }
        // RFC 4588 §4: an RTX payload begins with the original sequence number.
        let original = (self.rtx.contains(&packet.payload_type) && packet.payload.len() >= 2)
            .then(|| u16::from_be_bytes([packet.payload[0], packet.payload[1]]));
        let before = self.pending.len();
        self.pending.retain(|p| {
            p.side != side
                || match p.what {
                    Wait::Packet(seq) => {
                        !((p.ssrc == packet.ssrc && seq == packet.sequence)
                            || original == Some(seq))
                    }
                    Wait::Keyframe { .. } => true,
                }
        });
        self.judged.retransmitted += (before - self.pending.len()) as u64;
    }

    /// A keyframe of source `ssrc` that `side` sent (the caller's depacketizer found it).
    pub fn on_keyframe(&mut self, side: usize, now: Instant, ssrc: u32) {
        let side = side & 1;
        self.expire(now);
        let sender = &mut self.sides[side];
        if sender.keyframed.len() < self.limits.max_sources {
            sender.keyframed.insert(ssrc);
        }
        let before = self.pending.len();
        self.pending.retain(|p| {
            !(p.side == side && p.ssrc == ssrc && matches!(p.what, Wait::Keyframe { .. }))
        });
        self.judged.keyframes_sent += (before - self.pending.len()) as u64;
    }

    /// The packets of one RTCP datagram `side` sent, at byte `offset` of its direction.
    pub fn on_rtcp(&mut self, side: usize, now: Instant, offset: u64, packets: &[Packet]) {
        let side = side & 1;
        let other = 1 - side;
        self.expire(now);
        self.sides[side].offset = offset;
        for packet in packets {
            match packet {
                Packet::Nack(nack) => {
                    self.named(side, nack.ssrcs.media, offset);
                    let lost: Vec<u16> = nack.entries.iter().flat_map(|e| e.lost()).collect();
                    for seq in lost {
                        let sent = self.sides[other]
                            .sent
                            .get(&nack.ssrcs.media)
                            .is_some_and(|s| s.has(seq));
                        // Only what the capture saw leave can be asked back of the sender.
                        if sent {
                            let within = self.limits.retransmit_within;
                            self.expect(
                                other,
                                now,
                                offset,
                                nack.ssrcs.media,
                                Wait::Packet(seq),
                                within,
                            );
                        }
                    }
                }
                Packet::Pli(pli) => {
                    self.named(side, pli.ssrcs.media, offset);
                    self.ask_keyframe(other, now, offset, pli.ssrcs.media, false);
                }
                Packet::Fir(fir) => {
                    for entry in &fir.entries {
                        self.named(side, entry.ssrc, offset);
                        self.ask_keyframe(other, now, offset, entry.ssrc, true);
                    }
                }
                Packet::TransportFeedback(feedback) => self.feedback(side, offset, feedback),
                _ => {}
            }
        }
    }

    /// The end of the session at `now`: what was due by then and never came is reported,
    /// as are feedback messages about sources the other side never sent.
    pub fn finish(&mut self, now: Instant) {
        if std::mem::replace(&mut self.finished, true) {
            return;
        }
        self.expire(now);
        self.pending.clear();
        for side in 0..2 {
            let other = 1 - side;
            let unknown: Vec<(u32, u64)> = self.sides[side]
                .named
                .iter()
                .filter(|(ssrc, _)| !self.sides[other].sent.contains_key(ssrc))
                .map(|(s, o)| (*s, *o))
                .collect();
            for (ssrc, offset) in unknown {
                let detail = format!(
                    "feedback (NACK, PLI or FIR) names media SSRC {ssrc:#010x}, which the other \
                     end never sent in this session"
                );
                self.flag(side, &BEHAVIOUR_FEEDBACK_SSRC, offset, detail);
            }
        }
    }

    /// The next violation, with the side (0 or 1) that broke the rule.
    pub fn poll_violation(&mut self) -> Option<(usize, Violation)> {
        self.out.pop_front()
    }

    fn transport_sequence(&self, packet: &RtpPacket) -> Option<u16> {
        let id = self.transport_id?;
        let ext = packet.extension.as_ref()?;
        let elements = Elements::parse(ext, &mut Vec::new())?;
        let data = elements.get(id)?;
        match Kind::TransportSequence.read(data).ok()? {
            crate::extension::Value::TransportSequence(seq) => Some(seq),
            _ => None,
        }
    }

    fn named(&mut self, side: usize, ssrc: u32, offset: u64) {
        let named = &mut self.sides[side].named;
        if named.len() < self.limits.max_sources {
            named.entry(ssrc).or_insert(offset);
        }
    }

    fn ask_keyframe(&mut self, side: usize, now: Instant, asked_at: u64, ssrc: u32, fir: bool) {
        // Only a source whose keyframes were recognised before can be judged on sending one.
        let already = self
            .pending
            .iter()
            .any(|p| p.side == side && p.ssrc == ssrc && p.what == Wait::Keyframe { fir });
        if self.sides[side].keyframed.contains(&ssrc) && !already {
            let within = self.limits.keyframe_within;
            self.expect(side, now, asked_at, ssrc, Wait::Keyframe { fir }, within);
        }
    }

    fn expect(
        &mut self,
        side: usize,
        now: Instant,
        asked_at: u64,
        ssrc: u32,
        what: Wait,
        within: Duration,
    ) {
        if self.pending.len() >= self.limits.max_pending {
            self.skipped += 1;
            return;
        }
        match what {
            Wait::Packet(_) => self.judged.nacked += 1,
            Wait::Keyframe { .. } => self.judged.keyframes_asked += 1,
        }
        self.pending.push_back(Pending {
            side,
            deadline: now + within,
            ssrc,
            what,
            asked: now,
            asked_at,
        });
    }

    /// Transport-wide CC feedback `side` sent about the other side's packets.
    fn feedback(&mut self, side: usize, offset: u64, feedback: &crate::rtcp::TransportFeedback) {
        let other = 1 - side;
        self.judged.twcc_feedback += 1;
        self.judged.twcc_statuses += feedback.deltas.len() as u64;
        let sender = feedback.ssrcs.sender;
        let end = feedback.base_seq.wrapping_add(feedback.deltas.len() as u16);
        let before = self.sides[side].feedback.get(&sender).copied();
        if let Some((count, next)) = before {
            let expected = count.wrapping_add(1);
            if feedback.fb_pkt_count != expected {
                let detail = format!(
                    "feedback packet count {} after {count} from SSRC {sender:#010x} (expected \
                     {expected})",
                    feedback.fb_pkt_count
                );
                self.flag(side, &BEHAVIOUR_TWCC_COUNT, offset, detail);
            }
            // Ahead of where the last feedback ended, by less than half the space: numbers in
            // between were never reported.
            let skipped = feedback.base_seq.wrapping_sub(next);
            if (1..0x8000).contains(&skipped) {
                let used = self.sides[other].transport.as_ref().map_or(0, |t| {
                    (0..skipped)
                        .filter(|i| t.has(next.wrapping_add(*i)))
                        .count()
                });
                if used > 0 {
                    let detail = format!(
                        "feedback starts at transport-wide sequence number {} where the last \
                         ended at {next}: {used} number(s) the sender used in between are never \
                         reported",
                        feedback.base_seq
                    );
                    self.flag(side, &BEHAVIOUR_TWCC_GAP, offset, detail);
                }
            }
        }
        // The next feedback continues after the furthest number reported so far.
        let next = match before {
            Some((_, next)) if end.wrapping_sub(next) >= 0x8000 => next,
            _ => end,
        };
        self.sides[side]
            .feedback
            .insert(sender, (feedback.fb_pkt_count, next));
        let Some(sent) = self.sides[other].transport.as_ref() else {
            return;
        };
        let invented: Vec<u16> = feedback
            .packets()
            .filter(|(seq, delta)| delta.is_some() && !sent.has(*seq))
            .map(|(seq, _)| seq)
            .collect();
        if let Some(first) = invented.first() {
            let detail = format!(
                "feedback reports {} transport-wide sequence number(s) as received that the \
                 media sender never used (the first {first})",
                invented.len()
            );
            self.flag(side, &BEHAVIOUR_TWCC_UNSENT, offset, detail);
        }
    }

    /// Expectations past their deadline at `now` become violations of the side that owed them.
    fn expire(&mut self, now: Instant) {
        while let Some(i) = self.pending.iter().position(|p| p.deadline < now) {
            let Some(p) = self.pending.remove(i) else {
                break;
            };
            let waited = now.saturating_duration_since(p.asked).as_millis();
            let (rule, detail) = match p.what {
                Wait::Packet(seq) => (
                    &BEHAVIOUR_NACK_RETRANSMIT,
                    format!(
                        "SSRC {:#010x} sequence number {seq}, sent and then NACKed, was not sent \
                         again (nor by RTX) within {} ms (none in {waited} ms)",
                        p.ssrc,
                        self.limits.retransmit_within.as_millis()
                    ),
                ),
                Wait::Keyframe { fir } => (
                    if fir {
                        &BEHAVIOUR_FIR_KEYFRAME
                    } else {
                        &BEHAVIOUR_PLI_KEYFRAME
                    },
                    format!(
                        "no keyframe of SSRC {:#010x} within {} ms of a {} (asked at offset {} \
                         of the other direction; none in {waited} ms)",
                        p.ssrc,
                        self.limits.keyframe_within.as_millis(),
                        if fir { "FIR" } else { "PLI" },
                        p.asked_at
                    ),
                ),
            };
            let offset = self.sides[p.side].offset;
            self.flag(p.side, rule, offset, detail);
        }
    }

    fn flag(&mut self, side: usize, rule: &'static Rule, offset: u64, detail: String) {
        self.out
            .push_back((side, Violation::new(rule, offset, detail)));
    }
}
