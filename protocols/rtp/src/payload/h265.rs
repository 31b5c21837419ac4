//! H.265 over RTP (RFC 7798): single NAL unit packets (§4.4.1), aggregation packets (§4.4.2)
//! and fragmentation units (§4.4.3), without DONL fields (`sprop-max-don-diff` 0, §7.1).
//! Parameter sets sent in-band, or given by `sprop-vps`, `sprop-sps` and `sprop-pps` (§7.1),
//! become the track's decoder configuration record. What H.265 shares with H.264 is in
//! [`nal`](super::nal).

use super::nal::{NalFormat, NalHeaders, NalRules, PacketKind};
use crate::format::Format;
use crate::rules::{H265_AGGREGATION, H265_FORBIDDEN_BIT, H265_FU, H265_NAL_TYPE, H265_SPROP};
use weir_media::access_unit::VideoSyntax;
use weir_media::{Codec, Error};

const AP: u8 = 48;
const FU: u8 = 49;
const PACI: u8 = 50;

/// H.265's payload format.
#[derive(Debug)]
pub(crate) struct Hevc;

/// A two-byte header of NAL unit type `kind`, F, LayerId and TID as given.
fn header(f: u8, kind: u8, layer: u8, tid: u8) -> [u8; 2] {
    [f | kind << 1 | layer >> 5, (layer & 0x1f) << 3 | tid]
}

fn layer(h: &[u8]) -> u8 {
    (h[0] & 1) << 5 | h[1] >> 3
}

impl NalHeaders for Hevc {
    const LEN: usize = 2;

    fn kind(header: &[u8]) -> u8 {
        (header[0] >> 1) & 0x3f
    }

    /// F is the OR of the units' F bits; LayerId and TID their lowest (§4.4.2).
    fn aggregation(headers: &mut dyn Iterator<Item = &[u8]>, out: &mut Vec<u8>) {
        let (f, layer, tid) = headers.fold((0, 63, 7), |(f, l, t), h| {
            (f | (h[0] & 0x80), l.min(layer(h)), t.min(h[1] & 7))
        });
        out.extend_from_slice(&header(f, AP, layer, tid));
    }

    fn fragment(nal: &[u8], first: bool, last: bool, out: &mut Vec<u8>) {
        out.extend_from_slice(&header(nal[0] & 0x80, FU, layer(nal), nal[1] & 7));
        out.push(u8::from(first) << 7 | u8::from(last) << 6 | Self::kind(nal));
    }
}

impl NalFormat for Hevc {
    const CODEC: Codec = Codec::H265;
    const SYNTAX: VideoSyntax = VideoSyntax::Hevc;
    const NAME: &'static str = "H.265";
    const RULES: NalRules = NalRules {
        mode: None,
        nal_type: &H265_NAL_TYPE,
        forbidden: &H265_FORBIDDEN_BIT,
        aggregation: &H265_AGGREGATION,
        fragment: &H265_FU,
        fragment_reserved: None,
        sprop: &H265_SPROP,
    };
    const SPROP: &'static [&'static str] = &["sprop-vps", "sprop-sps", "sprop-pps"];

    /// Always; but DONL fields, present when `sprop-max-don-diff` is above 0, are not read.
    fn aggregates(format: &Format) -> Result<bool, Error> {
        match format.param("sprop-max-don-diff").unwrap_or("0") {
            "0" => Ok(true),
            other => Err(Error::usage(format!(
                "H.265 with DONL fields (sprop-max-don-diff={other}) is not supported"
            ))),
        }
    }

    fn packet_kind(kind: u8) -> PacketKind {
        match kind {
            0..=47 => PacketKind::Single,
            AP => PacketKind::Aggregation,
            FU => PacketKind::Fragment,
            PACI => PacketKind::Unsupported("PACI"),
            _ => PacketKind::Reserved,
        }
    }

    fn fu_type(fu: u8) -> (u8, bool) {
        (fu & 0x3f, false)
    }

    fn fragmented_header(payload_header: &[u8], kind: u8) -> Vec<u8> {
        vec![(payload_header[0] & 0x81) | kind << 1, payload_header[1]]
    }

    /// An access unit starts with a VPS, SPS, PPS, AUD or prefix SEI (H.265 §7.4.2.4.4), or
    /// with a slice segment whose `first_slice_segment_in_pic_flag` (its first bit) is set.
    fn begins_access_unit(kind: u8, body: Option<u8>) -> bool {
        match kind {
            32..=35 | 39 => true,
            0..=31 => body.is_some_and(|b| b & 0x80 != 0),
            _ => false,
        }
    }
}
