//! The common part of every feedback message (RFC 4585 §6.1): the FMT in the count field, the
//! packet sender's SSRC and the media source's SSRC, then the feedback control information.

use super::header::{PSFB, RTPFB};
use crate::Error;
use crate::rules::RTCP_FEEDBACK_LENGTH;
use bytes::Bytes;
use weir_media::Reader;

/// Generic NACK, an RTPFB FMT (RFC 4585 §6.2.1).
pub const FMT_NACK: u8 = 1;
/// Transport-wide CC feedback, an RTPFB FMT (draft-holmer-rmcat-transport-wide-cc-extensions-01 §3.1).
pub const FMT_TWCC: u8 = 15;
/// Picture loss indication, a PSFB FMT (RFC 4585 §6.3.1).
pub const FMT_PLI: u8 = 1;
/// Full intra request, a PSFB FMT (RFC 5104 §4.3.1).
pub const FMT_FIR: u8 = 4;
/// Application layer feedback, a PSFB FMT (RFC 4585 §6.4), which REMB is.
pub const FMT_AFB: u8 = 15;

/// Whether `fmt` is registered with IANA for `packet_type` (RTPFB or PSFB); 31 is the
/// extension value of both.
pub fn fmt_known(packet_type: u8, fmt: u8) -> bool {
    match packet_type {
        RTPFB => matches!(fmt, 1 | 3..=11 | 15 | 31),
        PSFB => matches!(fmt, 1..=10 | 15 | 31),
        _ => true,
    }
}

/// The two SSRCs every feedback message starts with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct FeedbackSsrcs {
    /// The SSRC of the packet's sender.
    pub sender: u32,
    /// The SSRC of the media source the feedback is about (0 where the FCI names sources).
    pub media: u32,
}

impl FeedbackSsrcs {
    /// Reads the two SSRCs at the start of a feedback body and returns a reader over the FCI
    /// after them (offsets stay those of `body`).
    pub(crate) fn read(body: &Bytes) -> Result<(FeedbackSsrcs, Reader<'_>), Error> {
        let mut r = Reader::of(body, &RTCP_FEEDBACK_LENGTH);
        let ssrcs = FeedbackSsrcs {
            sender: r.u32("SSRC of packet sender")?,
            media: r.u32("SSRC of media source")?,
        };
        Ok((ssrcs, r))
    }

    /// Appends the two SSRCs.
    pub(crate) fn write(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.sender.to_be_bytes());
        out.extend_from_slice(&self.media.to_be_bytes());
    }
}
