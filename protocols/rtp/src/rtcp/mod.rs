//! RTCP (RFC 3550 §6), sans-IO: every packet type both ways, compound packets as a receiver
//! validates them (§A.2), reduced-size RTCP (RFC 5506) and the RTP/RTCP split of a
//! multiplexed port (RFC 5761 §4).
//!
//! Files, one wire structure each:
//! - `header.rs`: the 4-byte common header (version, padding, count/FMT, type, length).
//! - `report_block.rs`: a reception report block; `sr.rs`, `rr.rs`: sender and receiver reports.
//! - `sdes.rs`: source description chunks and items; `bye.rs`: goodbye; `app.rs`: APP.
//! - `feedback.rs`: the SSRCs and FMTs every feedback message shares (RFC 4585 §6.1);
//!   `nack.rs`: generic NACK; `psfb.rs`: PLI, FIR and REMB; `twcc.rs`: transport-wide CC.
//! - `packet.rs`: [`Packet`], the enum over every type, and the writer they share.
//! - `compound.rs`: a datagram to packets ([`parse`]) and back ([`to_bytes`]), with the rules on
//!   packets together.
//!
//! The entry points: [`is_rtcp`] on each datagram of a multiplexed port, then [`parse`] with the
//! session's [`Options`]; [`to_bytes`] for what is sent.

pub mod app;
pub mod bye;
pub mod compound;
pub mod feedback;
pub mod header;
pub mod nack;
pub mod packet;
pub mod psfb;
pub mod report_block;
pub mod rr;
pub mod sdes;
pub mod sr;
pub mod twcc;

pub use app::App;
pub use bye::Bye;
pub use compound::{Compound, Options, parse, to_bytes, write};
pub use feedback::FeedbackSsrcs;
pub use header::Header;
pub use nack::{Nack, NackEntry};
pub use packet::{Packet, RawPacket};
pub use psfb::{Fir, FirEntry, Pli, Remb};
pub use report_block::ReportBlock;
pub use rr::ReceiverReport;
pub use sdes::{Sdes, SdesChunk, SdesItem};
pub use sr::SenderReport;
pub use twcc::TransportFeedback;

/// Whether one datagram on a port shared by RTP and RTCP is RTCP (RFC 5761 §4): version 2 and a
/// second octet of 192-223, which is RTCP's packet types 192-223 and, read as RTP, the marker
/// bit with payload types 64-95, which RTP sessions multiplexed this way do not use.
pub fn is_rtcp(datagram: &[u8]) -> bool {
    matches!(datagram, [first, second, ..] if first >> 6 == 2 && (192..=223).contains(second))
}

/// Whether an RTCP datagram reads as SRTCP (RFC 3711 §3.4): a first report or feedback header
/// (PT 200-206) in the clear whose packet ends inside the datagram, then at least the 4-byte E
/// flag and index (an authentication tag may follow). Only the first header can be judged.
pub fn looks_like_srtcp(datagram: &[u8]) -> bool {
    let [first, pt, hi, lo, ..] = *datagram else {
        return false;
    };
    let end = 4 * (usize::from(u16::from_be_bytes([hi, lo])) + 1);
    first >> 6 == 2 && (200..=206).contains(&pt) && end + 4 <= datagram.len()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn srtcp_is_a_clear_first_header_then_a_trailer() {
        // An RR header of one word past it (its SSRC), then E flag and index.
        let rr = [0x80, 201, 0, 1, 0, 0, 0, 7];
        assert!(!looks_like_srtcp(&rr));
        let srtcp = [&rr[..], &[0x80, 0, 0, 1]].concat();
        assert!(looks_like_srtcp(&srtcp));
        assert!(!looks_like_srtcp(&[0x80, 96, 0, 1, 0, 0, 0, 7, 0, 0, 0, 0]));
    }

    #[test]
    fn the_second_octet_splits_rtp_from_rtcp() {
        assert!(is_rtcp(&[0x80, 200, 0, 1]));
        assert!(is_rtcp(&[0x81, 223]));
        assert!(!is_rtcp(&[0x80, 224, 0, 1])); // RTP, marker set, PT 96
        assert!(!is_rtcp(&[0x80, 0x60])); // RTP, PT 96
        assert!(!is_rtcp(&[0x80, 191]));
        assert!(!is_rtcp(&[0x40, 200])); // not version 2
        assert!(!is_rtcp(&[0x80]));
    }
}
