//! The pieces Enhanced RTMP adds to both audio and video tags: FourCC codec ids, ModEx
//! prefixes and multitrack bodies (E-RTMP v2 §ExAudioTagHeader, §ExVideoTagHeader, §ModEx,
//! §Multitrack).
//!
//! Audio and video share one layout after their first byte: zero or more ModEx records, then
//! (video only) a command byte, then either a multitrack byte and FourCC or just a FourCC, then
//! one or more tracks. The functions here read and write that layout once for both.

use crate::tag::put_u24;
use crate::{Error, rules};
use bytes::{BufMut, Bytes, BytesMut};
use std::fmt;
use weir_media::Reader;

/// A four-character code naming an enhanced codec, e.g. `hvc1` (E-RTMP v2 §FourCC).
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct FourCc(pub [u8; 4]);

impl FourCc {
    /// H.264 / AVC.
    pub const AVC1: FourCc = FourCc(*b"avc1");
    /// H.265 / HEVC.
    pub const HVC1: FourCc = FourCc(*b"hvc1");
    /// VP8.
    pub const VP08: FourCc = FourCc(*b"vp08");
    /// VP9.
    pub const VP09: FourCc = FourCc(*b"vp09");
    /// AV1.
    pub const AV01: FourCc = FourCc(*b"av01");
    /// Opus.
    pub const OPUS: FourCc = FourCc(*b"Opus");
    /// FLAC.
    pub const FLAC: FourCc = FourCc(*b"fLaC");
    /// AC-3.
    pub const AC3: FourCc = FourCc(*b"ac-3");
    /// E-AC-3.
    pub const EAC3: FourCc = FourCc(*b"ec-3");
    /// MP3.
    pub const MP3: FourCc = FourCc(*b".mp3");
    /// AAC.
    pub const MP4A: FourCc = FourCc(*b"mp4a");

    /// The code as one big-endian number, as [`weir_media::Codec::Unknown`] carries it.
    pub fn as_u32(self) -> u32 {
        u32::from_be_bytes(self.0)
    }
}

impl fmt::Debug for FourCc {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "FourCc(\"{}\")", self.0.escape_ascii())
    }
}

impl fmt::Display for FourCc {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0.escape_ascii())
    }
}

/// How a multitrack packet lays out its tracks (E-RTMP v2 AvMultitrackType).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MultitrackType {
    /// One track with a track id; its data runs to the end of the body.
    OneTrack = 0,
    /// Several tracks of one codec, each with an id and a 24-bit size.
    ManyTracks = 1,
    /// Several tracks, each with its own FourCC, id and size.
    ManyTracksManyCodecs = 2,
}

impl MultitrackType {
    fn from_nibble(v: u8) -> Option<Self> {
        match v {
            0 => Some(MultitrackType::OneTrack),
            1 => Some(MultitrackType::ManyTracks),
            2 => Some(MultitrackType::ManyTracksManyCodecs),
            _ => None,
        }
    }
}

/// One ModEx record: a packet-type modifier with its data (E-RTMP v2 §ModEx).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ModEx {
    /// The 4-bit ModEx type; 0 is TimestampOffsetNano.
    pub kind: u8,
    /// 1 to 65536 bytes.
    pub data: Bytes,
}

impl ModEx {
    /// ModEx type TimestampOffsetNano: a 24-bit nanosecond offset added to the tag timestamp.
    pub const TIMESTAMP_OFFSET_NANO: u8 = 0;

    /// The nanosecond offset to the tag timestamp this record carries, if it is one.
    pub fn timestamp_offset_nanos(&self) -> Option<u32> {
        match (self.kind, self.data.as_ref()) {
            (Self::TIMESTAMP_OFFSET_NANO, [a, b, c, ..]) => {
                Some(u32::from_be_bytes([0, *a, *b, *c]))
            }
            _ => None,
        }
    }
}

/// The payload of one track of an enhanced packet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrackData {
    /// 0 outside multitrack packets.
    pub track_id: u8,
    /// The codec of this track.
    pub fourcc: FourCc,
    /// Composition time offset in milliseconds (SI24); only avc1/hvc1 CodedFrames carry it, 0
    /// otherwise.
    pub composition_time: i32,
    /// The packet's payload: a codec configuration record, coded frames, metadata, ...
    pub data: Bytes,
}

/// The enhanced part of an audio or video tag after its first nibble: ModEx records, the
/// packet type they modify, and the tracks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExBody<P> {
    /// The ModEx records before the packet type, in wire order.
    pub mod_ex: Vec<ModEx>,
    /// The packet type, after ModEx.
    pub packet_type: P,
    /// `None` for a plain single-track packet (track id 0).
    pub multitrack: Option<MultitrackType>,
    /// One track unless `multitrack` is ManyTracks or ManyTracksManyCodecs.
    pub tracks: Vec<TrackData>,
}

impl<P> ExBody<P> {
    /// The nanosecond offset a TimestampOffsetNano ModEx adds to the tag timestamp (0 if none).
    pub fn timestamp_offset_nanos(&self) -> u32 {
        self.mod_ex
            .iter()
            .filter_map(ModEx::timestamp_offset_nanos)
            .next_back()
            .unwrap_or(0)
    }
}

/// Packet type nibble values that audio and video give different numbers.
#[derive(Clone, Copy)]
pub(crate) struct Codes {
    pub mod_ex: u8,
    pub multitrack: u8,
}

/// Most ModEx records one packet may chain (`flv.av.mod-ex-count`).
const MAX_MOD_EX: usize = 16;
/// Most tracks one multitrack packet may list (`flv.av.track-count`).
const MAX_TRACKS: usize = 256;

/// Reads the ModEx chain that starts when the first packet type is `codes.mod_ex`; returns
/// the records and the packet type that ends the chain.
pub(crate) fn read_mod_ex(
    cur: &mut Reader<'_>,
    mut packet_type: u8,
    codes: Codes,
) -> Result<(Vec<ModEx>, u8), Error> {
    let mut records = Vec::new();
    while packet_type == codes.mod_ex {
        let start = cur.position();
        if records.len() == MAX_MOD_EX {
            let detail = format!("more than {MAX_MOD_EX} ModEx records");
            return Err(Error::rule(&rules::MOD_EX_COUNT, start as u64, detail));
        }
        let mut size =
            usize::from(cur.with_rule(&rules::MOD_EX, |cur| cur.u8("ModEx data size"))?) + 1;
        if size == 256 {
            size = usize::from(
                cur.with_rule(&rules::MOD_EX, |cur| cur.u16("ModEx extended data size"))?,
            ) + 1;
        }
        let data = cur.with_rule(&rules::MOD_EX, |cur| cur.view(size, "ModEx data"))?;
        let next = cur.with_rule(&rules::MOD_EX, |cur| cur.u8("ModEx type and packet type"))?;
        let record = ModEx {
            kind: next >> 4,
            data,
        };
        if record.kind == ModEx::TIMESTAMP_OFFSET_NANO
            && !matches!(record.timestamp_offset_nanos(), Some(n) if n < 1_000_000)
        {
            return Err(Error::rule(
                &rules::MOD_EX,
                start as u64,
                "TimestampOffsetNano needs 3 bytes holding less than 1,000,000",
            ));
        }
        records.push(record);
        packet_type = next & 0x0f;
    }
    Ok((records, packet_type))
}

/// Writes the first byte (`high` nibble plus the first packet type) and the ModEx chain,
/// ending with `after`: the packet type (or multitrack marker) that follows the chain.
pub(crate) fn write_mod_ex(
    out: &mut BytesMut,
    high: u8,
    mod_ex: &[ModEx],
    after: u8,
    codes: Codes,
) -> Result<(), Error> {
    let first = if mod_ex.is_empty() {
        after
    } else {
        codes.mod_ex
    };
    out.put_u8(high << 4 | first);
    for (i, record) in mod_ex.iter().enumerate() {
        match record.data.len() {
            1..=255 => out.put_u8((record.data.len() - 1) as u8),
            256..=65536 => {
                out.put_u8(0xff);
                out.put_u16((record.data.len() - 1) as u16);
            }
            n => {
                return Err(Error::usage(format!(
                    "ModEx data of {n} bytes: must be 1 to 65536"
                )));
            }
        }
        out.extend_from_slice(&record.data);
        let next = if i + 1 < mod_ex.len() {
            codes.mod_ex
        } else {
            after
        };
        out.put_u8((record.kind & 0x0f) << 4 | next);
    }
    Ok(())
}

/// The multitrack byte, if `packet_type` announces one, and the FourCC shared by all tracks
/// (absent for ManyTracksManyCodecs, where each track names its own).
struct TrackLayout {
    multitrack: Option<MultitrackType>,
    /// The packet type the tracks carry, and the offset of the byte that holds it.
    packet_type: u8,
    packet_type_at: u64,
    fourcc: Option<FourCc>,
}

fn read_layout(
    cur: &mut Reader<'_>,
    packet_type: u8,
    codes: Codes,
    fourcc_rule: &'static weir_media::Rule,
) -> Result<TrackLayout, Error> {
    // The byte before the layout holds the packet type, unless a multitrack byte follows.
    let mut packet_type_at = cur.position().saturating_sub(1) as u64;
    let (multitrack, packet_type) = if packet_type == codes.multitrack {
        let at = cur.position() as u64;
        packet_type_at = at;
        let byte = cur.with_rule(&rules::MULTITRACK, |cur| cur.u8("AvMultitrackType"))?;
        let kind = MultitrackType::from_nibble(byte >> 4).ok_or_else(|| {
            Error::rule(
                &rules::MULTITRACK,
                at,
                format!("AvMultitrackType {} is reserved", byte >> 4),
            )
        })?;
        if byte & 0x0f == codes.multitrack {
            return Err(Error::rule(
                &rules::MULTITRACK,
                at,
                "a multitrack packet wraps another Multitrack packet",
            ));
        }
        (Some(kind), byte & 0x0f)
    } else {
        (None, packet_type)
    };
    let fourcc = match multitrack {
        Some(MultitrackType::ManyTracksManyCodecs) => None,
        _ => Some(FourCc(
            cur.with_rule(fourcc_rule, |cur| cur.array("FourCC"))?,
        )),
    };
    Ok(TrackLayout {
        multitrack,
        packet_type,
        packet_type_at,
        fourcc,
    })
}

/// Writes the multitrack byte (if any) and the shared FourCC of `tracks`.
fn write_layout(
    out: &mut BytesMut,
    multitrack: Option<MultitrackType>,
    packet_type: u8,
    tracks: &[TrackData],
) -> Result<(), Error> {
    if let Some(kind) = multitrack {
        out.put_u8((kind as u8) << 4 | packet_type);
    }
    if multitrack != Some(MultitrackType::ManyTracksManyCodecs) {
        let first = tracks
            .first()
            .ok_or_else(|| Error::usage("an enhanced packet needs a track"))?;
        if tracks.iter().any(|t| t.fourcc != first.fourcc) {
            return Err(Error::usage(
                "tracks of different codecs need ManyTracksManyCodecs",
            ));
        }
        out.extend_from_slice(&first.fourcc.0);
    }
    Ok(())
}

/// Reads the tracks of a body; `has_composition_time` says which FourCCs carry an SI24
/// composition time before their data in this packet type.
fn read_tracks(
    cur: &mut Reader<'_>,
    layout: &TrackLayout,
    fourcc_rule: &'static weir_media::Rule,
    has_composition_time: impl Fn(FourCc) -> bool,
) -> Result<Vec<TrackData>, Error> {
    let mut tracks = Vec::new();
    loop {
        if tracks.len() == MAX_TRACKS {
            let detail = format!("more than {MAX_TRACKS} tracks");
            return Err(Error::rule(
                &rules::TRACK_COUNT,
                cur.position() as u64,
                detail,
            ));
        }
        let fourcc = match layout.fourcc {
            Some(shared) => shared,
            None => FourCc(cur.with_rule(fourcc_rule, |cur| cur.array("track FourCC"))?),
        };
        let track_id = match layout.multitrack {
            Some(_) => cur.with_rule(&rules::MULTITRACK, |cur| cur.u8("track id"))?,
            None => 0,
        };
        let payload = match layout.multitrack {
            Some(MultitrackType::ManyTracks | MultitrackType::ManyTracksManyCodecs) => {
                let size = cur.with_rule(&rules::TRACK_SIZE, |cur| cur.u24("track size"))? as usize;
                cur.with_rule(&rules::TRACK_SIZE, |cur| cur.view(size, "track data"))?
            }
            _ => cur.view_rest(),
        };
        let mut track = Reader::of(&payload, &rules::VIDEO_HEADER);
        let composition_time = if has_composition_time(fourcc) {
            let at = (cur.position() - payload.len()) as u64;
            track.i24("CompositionTime").map_err(|e| e.shifted(at))?
        } else {
            0
        };
        tracks.push(TrackData {
            track_id,
            fourcc,
            composition_time,
            data: track.view_rest(),
        });
        if cur.remaining() == 0 {
            return Ok(tracks);
        }
    }
}

/// Writes the tracks of a body, the inverse of [`read_tracks`].
fn write_tracks(
    out: &mut BytesMut,
    multitrack: Option<MultitrackType>,
    tracks: &[TrackData],
    has_composition_time: impl Fn(FourCc) -> bool,
) -> Result<(), Error> {
    let sized = matches!(
        multitrack,
        Some(MultitrackType::ManyTracks | MultitrackType::ManyTracksManyCodecs)
    );
    if !sized && tracks.len() != 1 {
        return Err(Error::usage(format!(
            "{} tracks need a ManyTracks packet",
            tracks.len()
        )));
    }
    if multitrack.is_none() && tracks[0].track_id != 0 {
        return Err(Error::usage(
            "a track id other than 0 needs a multitrack packet",
        ));
    }
    for track in tracks {
        if multitrack == Some(MultitrackType::ManyTracksManyCodecs) {
            out.extend_from_slice(&track.fourcc.0);
        }
        if multitrack.is_some() {
            out.put_u8(track.track_id);
        }
        let cts = has_composition_time(track.fourcc);
        if sized {
            let size = track.data.len() + if cts { 3 } else { 0 };
            if size > 0xff_ffff {
                return Err(Error::usage(format!(
                    "a track of {size} bytes does not fit in 24 bits"
                )));
            }
            put_u24(out, size as u32);
        }
        if cts {
            put_i24(out, track.composition_time)?;
        }
        out.extend_from_slice(&track.data);
    }
    Ok(())
}

/// Writes an SI24 composition time, which must fit in 24 signed bits.
pub(crate) fn put_i24(out: &mut BytesMut, v: i32) -> Result<(), Error> {
    if !(-0x80_0000..0x80_0000).contains(&v) {
        return Err(Error::usage(format!(
            "composition time {v} ms does not fit in 24 bits"
        )));
    }
    put_u24(out, (v as u32) & 0xff_ffff);
    Ok(())
}

/// What distinguishes audio from video packet types in the shared enhanced layout.
pub(crate) trait PacketType: Copy + Sized {
    const CODES: Codes;
    const RULE: &'static weir_media::Rule;
    const FOURCC_RULE: &'static weir_media::Rule;
    fn from_nibble(v: u8) -> Option<Self>;
    fn nibble(self) -> u8;
    /// Whether tracks of this codec carry an SI24 composition time in this packet type.
    fn has_composition_time(self, fourcc: FourCc) -> bool;
}

// Only crate-internal functions live here; the bound is an implementation detail.
#[allow(private_bounds)]
impl<P: PacketType> ExBody<P> {
    /// Reads the rest of an enhanced body once the ModEx chain is read and `packet_type` is
    /// the nibble it ended with.
    pub(crate) fn read_after_mod_ex(
        cur: &mut Reader<'_>,
        mod_ex: Vec<ModEx>,
        packet_type: u8,
    ) -> Result<Self, Error> {
        let layout = read_layout(cur, packet_type, P::CODES, P::FOURCC_RULE)?;
        let packet_type = P::from_nibble(layout.packet_type).ok_or_else(|| {
            Error::rule(
                P::RULE,
                layout.packet_type_at,
                format!("packet type {} is reserved", layout.packet_type),
            )
        })?;
        let tracks = read_tracks(cur, &layout, P::FOURCC_RULE, |f| {
            packet_type.has_composition_time(f)
        })?;
        Ok(ExBody {
            mod_ex,
            packet_type,
            multitrack: layout.multitrack,
            tracks,
        })
    }

    /// Reads a whole enhanced body whose first byte's low nibble is `first`.
    pub(crate) fn read(cur: &mut Reader<'_>, first: u8) -> Result<Self, Error> {
        let (mod_ex, packet_type) = read_mod_ex(cur, first, P::CODES)?;
        Self::read_after_mod_ex(cur, mod_ex, packet_type)
    }

    /// The nibble that follows the ModEx chain: the multitrack marker or the packet type.
    fn after_mod_ex(&self) -> u8 {
        match self.multitrack {
            Some(_) => P::CODES.multitrack,
            None => self.packet_type.nibble(),
        }
    }

    /// Writes the body, starting with the first byte whose high nibble is `high`.
    pub(crate) fn write(&self, out: &mut BytesMut, high: u8) -> Result<(), Error> {
        write_mod_ex(out, high, &self.mod_ex, self.after_mod_ex(), P::CODES)?;
        write_layout(
            out,
            self.multitrack,
            self.packet_type.nibble(),
            &self.tracks,
        )?;
        write_tracks(out, self.multitrack, &self.tracks, |f| {
            self.packet_type.has_composition_time(f)
        })
    }
}
