//! SDP (RFC 8866) for WebRTC, RTSP-style and GB28181 sessions, sans-IO: a pure parser that
//! keeps what it does not know, a canonical writer, and offer/answer checks.
//!
//! - [`line`](mod@line): the text layer (size and line limits, UTF-8, CRLF vs bare LF, `x=` lines);
//! - [`session`]: [`SessionDescription`] (v o s i u e p c b t r z k a), the writer, and
//!   [`OtherLine`]s (unknown or misplaced lines, written back where they stood);
//! - [`media`]: [`MediaDescription`] (m i c b k a) with its codec list, resolved direction
//!   and ICE/DTLS lookups; [`connection`]: `c=` (also in `o=` and `a=rtcp`);
//! - [`attribute`]: the [`Attribute`] enum; each typed attribute lives in its area's file:
//!   [`ice`] (candidate, ice-ufrag/pwd/options/lite, end-of-candidates, remote-candidates,
//!   ice-mismatch), [`dtls`]
//!   (fingerprint, setup), [`bundle`] (group; mid, bundle-only), [`rtpmap`] (rtpmap, fmtp, [`Codec`]),
//!   [`rtcp`] (rtcp, rtcp-fb; rtcp-mux, rtcp-rsize), [`ssrc`] (ssrc, ssrc-group, msid),
//!   [`extmap`], [`simulcast`] (rid, simulcast), [`direction`], [`rtsp`] (control, range),
//!   [`sctp`] (sctp-port, max-message-size); ptime and maxptime sit with rtpmap;
//! - [`gb28181`]: the `y=` and `f=` lines of GB/T 28181;
//! - [`fragment`]: trickle ICE and ICE restart fragments (RFC 8840's sdpfrag, WHIP's `PATCH`);
//! - [`offer_answer`]: [`check_answer`] (RFC 3264 §6, RFC 8829 §5.3) and [`check_offer`];
//! - [`rules`]: the rule catalog.
//!
//! ```text
//! let (sd, violations) = weir_sdp::parse(bytes)?;   // Err only when nothing sensible is left
//! for m in &sd.media { m.codecs(); m.direction(&sd); m.ice_ufrag(&sd); }
//! let text = sd.write();                            // canonical CRLF text
//! let findings = weir_sdp::check_answer(&offer, &answer);
//! ```
//!
//! Parse → write → parse gives the same value for every input that parses: unknown
//! attributes are [`Attribute::Other`], unknown lines [`OtherLine`]s, both written back in
//! place. Write → parse gives the same value for descriptions built in memory whose strings
//! are what the grammar allows there.

#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod attribute;
pub mod bundle;
pub mod connection;
pub mod direction;
pub mod dtls;
pub mod extmap;
pub mod fragment;
pub mod gb28181;
pub mod ice;
pub mod line;
pub mod media;
pub mod offer_answer;
mod parse;
pub mod rtcp;
pub mod rtpmap;
pub mod rtsp;
pub mod rules;
pub mod sctp;
pub mod session;
pub mod simulcast;
pub mod ssrc;
mod text;

pub use attribute::Attribute;
pub use bundle::Group;
pub use connection::Connection;
pub use direction::Direction;
pub use dtls::{Fingerprint, Setup};
pub use extmap::Extmap;
pub use fragment::{Fragment, FragmentSection, parse_fragment};
pub use gb28181::{MediaFormat, StreamSsrc};
pub use ice::{Candidate, CandidateType, RemoteCandidate, TcpType};
pub use media::MediaDescription;
pub use offer_answer::{check_answer, check_offer};
pub use parse::parse_with;
pub use rtcp::{Rtcp, RtcpFb};
pub use rtpmap::{Codec, Fmtp, Rtpmap};
pub use rtsp::Range;
pub use session::{Bandwidth, Origin, OtherLine, SessionDescription, Timing};
pub use simulcast::{Rid, RidDirection, Simulcast, SimulcastId};
pub use ssrc::{Msid, Ssrc, SsrcGroup};
pub use weir_media::{Error, Violation};

/// Bounds on what the parser accepts (peer input is hostile).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Largest accepted text, in bytes.
    pub max_bytes: usize,
    /// Most lines accepted.
    pub max_lines: usize,
}

impl Default for Limits {
    /// 64 KiB and 4096 lines: far above any browser offer or camera description.
    fn default() -> Self {
        Limits {
            max_bytes: 64 * 1024,
            max_lines: 4096,
        }
    }
}

/// Parses a session description (RFC 8866) with the default [`Limits`]: the value and the
/// violations found, or the error that left nothing to parse (see [`rules`]).
pub fn parse(input: impl AsRef<[u8]>) -> Result<(SessionDescription, Vec<Violation>), Error> {
    parse_with(input.as_ref(), &Limits::default())
}

/// Canonical text of a session description (CRLF line ends, RFC 8866 §5 order).
pub fn write(sd: &SessionDescription) -> String {
    sd.write()
}
