//! H.264 over RTP (RFC 6184), packetization modes 0 and 1: single NAL unit packets (§5.6),
//! STAP-A (§5.7.1) and FU-A (§5.8). Parameter sets sent in-band, or given by
//! `sprop-parameter-sets` (§8.1), become the track's decoder configuration record. What H.264
//! shares with H.265 is in [`nal`](super::nal).

use super::nal::{NalFormat, NalHeaders, NalRules, PacketKind};
use crate::format::Format;
use crate::rules::{
    H264_FORBIDDEN_BIT, H264_FU, H264_FU_RESERVED, H264_MODE, H264_NAL_TYPE, H264_SPROP,
    H264_STAP_SIZE,
};
use weir_media::access_unit::VideoSyntax;
use weir_media::{Codec, Error};

const STAP_A: u8 = 24;
const FU_A: u8 = 28;

/// H.264's payload format.
#[derive(Debug)]
pub(crate) struct Avc;

impl NalHeaders for Avc {
    const LEN: usize = 1;

    fn kind(header: &[u8]) -> u8 {
        header[0] & 0x1f
    }

    fn aggregation(headers: &mut dyn Iterator<Item = &[u8]>, out: &mut Vec<u8>) {
        // F is the OR of the units' F bits, NRI their greatest NRI (§5.7).
        let (f, nri) = headers.fold((0, 0), |(f, nri), h| {
            (f | (h[0] & 0x80), nri.max(h[0] & 0x60))
        });
        out.push(f | nri | STAP_A);
    }

    fn fragment(nal: &[u8], first: bool, last: bool, out: &mut Vec<u8>) {
        out.push((nal[0] & 0xe0) | FU_A);
        out.push(u8::from(first) << 7 | u8::from(last) << 6 | (nal[0] & 0x1f));
    }
}

impl NalFormat for Avc {
    const CODEC: Codec = Codec::H264;
    const SYNTAX: VideoSyntax = VideoSyntax::Avc;
    const NAME: &'static str = "H.264";
    const RULES: NalRules = NalRules {
        mode: Some(&H264_MODE),
        nal_type: &H264_NAL_TYPE,
        forbidden: &H264_FORBIDDEN_BIT,
        aggregation: &H264_STAP_SIZE,
        fragment: &H264_FU,
        fragment_reserved: Some(&H264_FU_RESERVED),
        sprop: &H264_SPROP,
    };
    const SPROP: &'static [&'static str] = &["sprop-parameter-sets"];

    /// Mode 1 aggregates and fragments; mode 0 (the default, §8.1) does neither.
    fn aggregates(format: &Format) -> Result<bool, Error> {
        match format.param("packetization-mode").unwrap_or("0") {
            "0" => Ok(false),
            "1" => Ok(true),
            "2" => Err(Error::usage(
                "H.264 packetization mode 2 (interleaved) is not supported",
            )),
            other => Err(Error::rule(
                &H264_MODE,
                0,
                format!("packetization-mode={other}"),
            )),
        }
    }

    fn packet_kind(kind: u8) -> PacketKind {
        match kind {
            1..=23 => PacketKind::Single,
            STAP_A => PacketKind::Aggregation,
            FU_A => PacketKind::Fragment,
            25..=27 | 29 => PacketKind::Forbidden("it belongs to the interleaved mode 2"),
            _ => PacketKind::Reserved,
        }
    }

    fn fu_type(fu: u8) -> (u8, bool) {
        (fu & 0x1f, fu & 0x20 != 0)
    }

    fn fragmented_header(payload_header: &[u8], kind: u8) -> Vec<u8> {
        vec![(payload_header[0] & 0xe0) | kind]
    }

    /// An access unit starts with an AUD, SEI or parameter set (H.264 §7.4.1.2.3), or with a
    /// slice whose `first_mb_in_slice` is 0 (the first bit of its header set: ue(v) 0 is `1`).
    fn begins_access_unit(kind: u8, body: Option<u8>) -> bool {
        match kind {
            6..=9 => true,
            1 | 5 => body.is_some_and(|b| b & 0x80 != 0),
            _ => false,
        }
    }
}
