//! SDP (RFC 8866) where the harness meets it: a `.sdp` file, an offer and its answer given
//! as a pair (`--pair offer.sdp answer.sdp`, or `X_offer_Y.sdp` beside `X_answer_Y.sdp`), and
//! the `application/sdp` bodies of HTTP exchanges (WHIP and WHEP, RFC 9725: the offer in the
//! POST, the answer in its 201). Each description goes through weir-sdp's rules; an offer and
//! its answer are checked together (RFC 3264 §6, RFC 8829 §5.3); and what a description says
//! — the RTP payload types it names, its ICE credentials — becomes known to the flows of the
//! same input.

use std::cell::RefCell;
use std::collections::{BTreeMap, BTreeSet};
use std::rc::Rc;

use weir_rtp::Format;
use weir_sdp::{Attribute, SessionDescription, check_answer};

use super::rtp::{FROM_CAPTURE, PayloadTypes};
use super::{Observation, Observer, violation};
use crate::capture::Direction;
use crate::transcript::EntryKind;

/// What the whole input's flows learn from the user and from the descriptions read so far.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Learned {
    /// What RTP payload types carry: `--decode-as`, `--sdp`, then descriptions.
    pub payload_types: PayloadTypes,
    /// ICE passwords by username fragment (RFC 8839 §5.4), to check STUN's integrity.
    pub ice: BTreeMap<String, String>,
    /// The SRT passphrase (`--srt-passphrase`) encrypted SRT flows are decrypted with.
    pub srt_passphrase: Option<String>,
    /// The SRTP key log (`--keylog`) WebRTC flows are decrypted with.
    pub srtp_keys: Option<weir_rtp::srtp::KeyLog>,
    /// Reduced-size RTCP (RFC 5506) is in effect: the last description with RTP media had
    /// `a=rtcp-rsize` — an answer comes after its offer, and has it only when both agreed.
    pub rtcp_rsize: bool,
    /// The `a=extmap` ID of transport-wide sequence numbers
    /// (draft-holmer-rmcat-transport-wide-cc-extensions-01 §2), in the last description with
    /// one: the feedback behaviour rules read them from RTP header extensions.
    pub transport_sequence_id: Option<u8>,
    /// The SSRCs the descriptions announce (`a=ssrc`, RFC 5576 §4.1): where a GSO run's next
    /// packet may start ([`weir_rtp::gso`]), before that stream's first packet is seen.
    pub ssrcs: BTreeSet<u32>,
}

/// [`Learned`], shared by the flows of one input.
pub type SharedLearned = Rc<RefCell<Learned>>;

/// At most this many ICE credentials are kept per input.
const MAX_ICE: usize = 256;
/// At most this many announced SSRCs are kept per input (a session announces a few; each
/// RTP datagram of a WebRTC flow is searched for a run's next header among them).
const MAX_SSRCS: usize = 64;

/// Reads one description: its violations and a line saying what it describes go to `out`;
/// its payload types to `types`. `None` when it cannot be read.
pub fn read(
    text: &[u8],
    what: &str,
    dir: Direction,
    types: &SharedLearned,
    out: &mut Vec<Observation>,
) -> Option<SessionDescription> {
    let (sd, violations) = match weir_sdp::parse(text) {
        Ok(parsed) => parsed,
        Err(e) => {
            let detail = e.detail.clone();
            out.push(Observation::Entry(
                dir,
                match e.into_violation() {
                    Some(v) => EntryKind::Violation {
                        rule: v.rule,
                        offset: Some(v.offset),
                        detail: v.detail,
                        fatal: true,
                    },
                    None => EntryKind::GaveUp(format!("{what} not read: {detail}")),
                },
            ));
            return None;
        }
    };
    out.extend(violations.into_iter().map(|v| violation(dir, v)));
    let text = format!("{what}: {}", describe(&sd));
    out.push(Observation::Entry(dir, EntryKind::Event(text)));
    types.borrow_mut().learn(&sd, FROM_CAPTURE);
    Some(sd)
}

/// An answer against its offer: what the answer breaks of offer/answer, placed at the answer
/// (by m-line: these findings have no byte offset).
pub fn pair(
    offer: &SessionDescription,
    answer: &SessionDescription,
    dir: Direction,
    out: &mut Vec<Observation>,
) {
    for v in check_answer(offer, answer) {
        let place = match v.offset {
            0 => "session level".to_owned(),
            n => format!("m-line {n}"),
        };
        out.push(Observation::Entry(
            dir,
            EntryKind::Violation {
                rule: v.rule,
                offset: None,
                detail: format!("{place}: {}", v.detail),
                fatal: false,
            },
        ));
    }
    out.push(Observation::Entry(
        dir,
        EntryKind::Event("answer checked against its offer (RFC 3264 §6, RFC 8829 §5.3)".into()),
    ));
}

/// "session "-", 2 m-lines: audio UDP/TLS/RTP/SAVPF (opus/48000/2), video … (H264/90000, VP8/90000)".
fn describe(sd: &SessionDescription) -> String {
    let lines: Vec<String> = sd
        .media
        .iter()
        .map(|m| {
            let codecs: Vec<String> = m
                .codecs()
                .iter()
                .take(8)
                .map(|c| match c.channels {
                    Some(ch) => format!("{} {}/{}/{ch}", c.payload_type, c.name, c.clock_rate),
                    None => format!("{} {}/{}", c.payload_type, c.name, c.clock_rate),
                })
                .collect();
            let port = if m.is_rejected() { " (rejected)" } else { "" };
            format!("{} {}{port} [{}]", m.media, m.protocol, codecs.join(", "))
        })
        .collect();
    format!(
        "session {:?}, {} m-line(s): {}",
        sd.session_name,
        sd.media.len(),
        lines.join("; ")
    )
}

impl Learned {
    /// What `sd` says, learned as from `source`: each m-line's ICE credentials, and the RTP
    /// payload types of every m-line (what the user gave is kept over a capture's).
    pub fn learn(&mut self, sd: &SessionDescription, source: &'static str) {
        for m in &sd.media {
            if let (Some(ufrag), Some(pwd)) = (m.ice_ufrag(sd), m.ice_pwd(sd))
                && self.ice.len() < MAX_ICE
            {
                self.ice.insert(ufrag.to_owned(), pwd.to_owned());
            }
        }
        let rtp = || sd.media.iter().filter(|m| m.is_rtp() && !m.is_rejected());
        if rtp().next().is_some() {
            self.rtcp_rsize = rtp().any(|m| m.attributes.contains(&Attribute::RtcpRsize));
        }
        let uri = weir_rtp::extension::Kind::TransportSequence.uri();
        let transport = rtp().flat_map(|m| &m.attributes).find_map(|a| match a {
            Attribute::Extmap(e) if e.uri == uri => u8::try_from(e.id).ok(),
            _ => None,
        });
        if transport.is_some() {
            self.transport_sequence_id = transport;
        }
        for a in rtp().flat_map(|m| &m.attributes) {
            if let Attribute::Ssrc(ssrc) = a
                && self.ssrcs.len() < MAX_SSRCS
            {
                self.ssrcs.insert(ssrc.id);
            }
        }
        let types = &mut self.payload_types;
        for m in rtp() {
            for c in m.codecs() {
                if c.name.is_empty() || (source == FROM_CAPTURE && types.given(c.payload_type)) {
                    continue;
                }
                let mut format = Format::new(&c.name, c.clock_rate);
                if let Some(ch) = c.channels.and_then(|ch| u8::try_from(ch).ok()) {
                    format = format.with_channels(ch);
                }
                if let Some(fmtp) = &c.fmtp {
                    format = format.with_fmtp(&fmtp.parameters);
                }
                types.insert(c.payload_type, format, source);
                if m.protocol.contains("SAVP") {
                    types.secure(c.payload_type);
                }
            }
        }
    }
}

/// The SDP of a file, or of an offer (client→server) and its answer (server→client).
pub struct SdpObserver {
    text: [Vec<u8>; 2],
    types: SharedLearned,
    /// Bytes past the parser's limit are not kept (it says the text is too large).
    max: usize,
    cut: bool,
    done: bool,
}

impl SdpObserver {
    pub fn new(types: SharedLearned) -> Self {
        SdpObserver {
            text: [Vec::new(), Vec::new()],
            types,
            max: weir_sdp::Limits::default().max_bytes + 1,
            cut: false,
            done: false,
        }
    }
}

impl Observer for SdpObserver {
    fn data(&mut self, dir: Direction, _offset: u64, bytes: &[u8], _out: &mut Vec<Observation>) {
        let text = &mut self.text[dir.index()];
        let room = self.max.saturating_sub(text.len());
        text.extend_from_slice(&bytes[..bytes.len().min(room)]);
    }

    fn gap(&mut self, dir: Direction, offset: u64, len: u64, out: &mut Vec<Observation>) {
        self.cut = true;
        let why = format!("{len} bytes missing at offset {offset}: the description is not read");
        out.push(Observation::Entry(dir, EntryKind::GaveUp(why)));
        self.text[dir.index()].clear();
    }

    fn finished(&mut self, _dir: Direction, _offset: u64, _out: &mut Vec<Observation>) {}

    fn closed(&mut self, out: &mut Vec<Observation>) {
        if std::mem::replace(&mut self.done, true) {
            return;
        }
        let [offer, answer] = &self.text;
        let both = !offer.is_empty() && !answer.is_empty();
        let (first, second) = if both {
            ("offer", "answer")
        } else {
            ("description", "description")
        };
        let c2s = Direction::ClientToServer;
        let s2c = Direction::ServerToClient;
        let offer = (!offer.is_empty())
            .then(|| read(offer, first, c2s, &self.types, out))
            .flatten();
        let answer = (!answer.is_empty())
            .then(|| read(answer, second, s2c, &self.types, out))
            .flatten();
        if let (Some(offer), Some(answer)) = (&offer, &answer) {
            pair(offer, answer, s2c, out);
        }
    }

    fn complete(&self) -> bool {
        !self.cut
    }
}
