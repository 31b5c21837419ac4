//! The program stream map (13818-1 §2.5.4): a PES packet of `stream_id` 0xBC that names the
//! type of each elementary stream, with descriptors (skipped here) and a CRC_32.
//!
//! Cameras get its lengths wrong, so it is read leniently: a length that runs past the map
//! is cut to what is there and reported, entries are read while whole ones remain, and a
//! bad CRC is reported but the entries are still offered (the demuxer uses them when their
//! stream types are ones it knows). [`structural_len`] says how long the map's own fields
//! make it, for the demuxer to compare with `program_stream_map_length`.

use crate::rules::{PSM_CRC, PSM_LENGTH, PSM_MAP_LENGTH, PSM_MARKER};
use weir_media::{Codec, Violation};
use weir_mpegts::crc::crc32_mpeg2;

/// The four bytes that begin a program stream map.
pub const PSM_START_CODE: [u8; 4] = [0, 0, 1, 0xbc];
/// The most `program_stream_map_length` may say (§2.5.4.2: 0x3FA, 1018 bytes).
pub const MAX_LENGTH: usize = 0x3fa;

/// `stream_type` values GB28181 uses (13818-1 Table 2-34; GB/T 28181-2016 Annex C.2).
pub mod stream_type {
    /// AAC with ADTS framing (13818-7).
    pub const AAC: u8 = 0x0f;
    /// H.264 / AVC.
    pub const H264: u8 = 0x1b;
    /// H.265 / HEVC.
    pub const H265: u8 = 0x24;
    /// G.711 A-law (GB/T 28181 private assignment).
    pub const G711_A: u8 = 0x90;
    /// G.711 µ-law (GB/T 28181 private assignment).
    pub const G711_U: u8 = 0x91;

    /// The codec a stream type names, for the types Weir reads.
    pub fn codec(stream_type: u8) -> Option<weir_media::Codec> {
        use weir_media::Codec;
        Some(match stream_type {
            AAC => Codec::Aac,
            H264 => Codec::H264,
            H265 => Codec::H265,
            G711_A => Codec::Pcma,
            G711_U => Codec::Pcmu,
            _ => return None,
        })
    }

    /// The stream type Weir writes for a codec.
    pub fn of(codec: weir_media::Codec) -> Option<u8> {
        use weir_media::Codec;
        Some(match codec {
            Codec::Aac => AAC,
            Codec::H264 => H264,
            Codec::H265 => H265,
            Codec::Pcma => G711_A,
            Codec::Pcmu => G711_U,
            _ => return None,
        })
    }
}

/// One elementary stream of the map.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PsmStream {
    /// `stream_type` (Table 2-34, and GB28181's 0x90/0x91).
    pub stream_type: u8,
    /// `elementary_stream_id`: the `stream_id` of its PES packets.
    pub stream_id: u8,
    /// Its descriptors, unread.
    pub info: Vec<u8>,
}

impl PsmStream {
    /// The codec its stream type names, if Weir reads it.
    pub fn codec(&self) -> Option<Codec> {
        stream_type::codec(self.stream_type)
    }
}

/// A program stream map, read or to be written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Psm {
    /// `current_next_indicator`: the map applies now (1) or next (0).
    pub current_next: bool,
    /// `program_stream_map_version`: 5 bits, changes when the map does.
    pub version: u8,
    /// The program's descriptors, unread.
    pub info: Vec<u8>,
    /// The elementary streams.
    pub streams: Vec<PsmStream>,
}

/// The length of the map at the start of `data` as its own fields give it (start code to
/// CRC), or `None` when `data` is too short to tell.
pub fn structural_len(data: &[u8]) -> Option<usize> {
    let info_len = usize::from(u16::from_be_bytes([*data.get(8)?, *data.get(9)?]));
    let at = 10 + info_len;
    let map_len = usize::from(u16::from_be_bytes([*data.get(at)?, *data.get(at + 1)?]));
    Some(at + 2 + map_len + 4)
}

impl Psm {
    /// The entry for PES packets of `stream_id`.
    pub fn stream(&self, stream_id: u8) -> Option<&PsmStream> {
        self.streams.iter().find(|s| s.stream_id == stream_id)
    }

    /// Reads a whole map packet (`data` is its `6 + program_stream_map_length` bytes). Only a
    /// map too short for its fixed fields is an error; lengths that disagree are cut to what
    /// is there and reported, and a wrong CRC or marker bit is a violation.
    pub fn parse(data: &[u8], violations: &mut Vec<Violation>) -> Result<Self, Violation> {
        // Fixed fields, two lengths and the CRC.
        if data.len() < 16 || data[..4] != PSM_START_CODE {
            return Err(Violation::new(
                &PSM_LENGTH,
                4,
                format!(
                    "a {}-byte program stream map cannot hold its fixed fields and CRC",
                    data.len()
                ),
            ));
        }
        let declared = usize::from(u16::from_be_bytes([data[4], data[5]]));
        if declared > MAX_LENGTH {
            violations.push(Violation::new(
                &PSM_LENGTH,
                4,
                format!("program_stream_map_length {declared} is past {MAX_LENGTH}"),
            ));
        }
        if data[7] & 1 == 0 {
            violations.push(Violation::new(
                &PSM_MARKER,
                7,
                "the marker bit after program_stream_map_version is 0",
            ));
        }
        let crc_at = data.len() - 4;
        let body = &data[..crc_at];
        let mut cut = |at: usize, what: &str, len: usize, room: usize| {
            violations.push(Violation::new(
                &PSM_MAP_LENGTH,
                at as u64,
                format!("{what} {len} runs past the map's {room} bytes left; cut"),
            ));
        };
        let info_len = usize::from(u16::from_be_bytes([data[8], data[9]]));
        let info_end = if 10 + info_len + 2 > body.len() {
            cut(8, "program_stream_info_length", info_len, body.len() - 10);
            body.len().saturating_sub(2).max(10)
        } else {
            10 + info_len
        };
        let info = body[10..info_end].to_vec();
        let mut streams = Vec::new();
        if let Some(len_bytes) = body.get(info_end..info_end + 2) {
            let map_len = usize::from(u16::from_be_bytes([len_bytes[0], len_bytes[1]]));
            let start = info_end + 2;
            let room = body.len() - start;
            if map_len != room {
                cut(info_end, "elementary_stream_map_length", map_len, room);
            }
            // Whatever the length says, whole entries up to the CRC are read.
            let end = body.len();
            let mut at = start;
            while at + 4 <= end {
                let e = &body[at..];
                let es_info_len = usize::from(u16::from_be_bytes([e[2], e[3]]));
                let info_end = at + 4 + es_info_len;
                let info = if info_end > end {
                    cut(
                        at + 2,
                        "elementary_stream_info_length",
                        es_info_len,
                        end - at - 4,
                    );
                    &body[at + 4..end]
                } else {
                    &body[at + 4..info_end]
                };
                streams.push(PsmStream {
                    stream_type: e[0],
                    stream_id: e[1],
                    info: info.to_vec(),
                });
                at = info_end;
            }
        }
        if crc32_mpeg2(data) != 0 {
            violations.push(Violation::new(
                &PSM_CRC,
                crc_at as u64,
                format!(
                    "CRC_32 {:08x} does not match the map",
                    u32::from_be_bytes(data[crc_at..].try_into().expect("4 bytes"))
                ),
            ));
        }
        Ok(Psm {
            current_next: data[6] & 0x80 != 0,
            version: data[6] & 0x1f,
            info,
            streams,
        })
    }

    /// Appends the map with its lengths, reserved bits 1 and CRC_32. Returns its length.
    pub fn write(&self, out: &mut Vec<u8>) -> usize {
        let start = out.len();
        let map_len: usize = self.streams.iter().map(|s| 4 + s.info.len()).sum();
        // program_stream_map_length counts what follows it: 2 flag bytes, the info and map
        // with their lengths, the CRC.
        let len = 2 + 2 + self.info.len() + 2 + map_len + 4;
        out.extend_from_slice(&PSM_START_CODE);
        out.extend_from_slice(&(len as u16).to_be_bytes());
        out.push(u8::from(self.current_next) << 7 | 0x60 | (self.version & 0x1f));
        out.push(0xff);
        out.extend_from_slice(&(self.info.len() as u16).to_be_bytes());
        out.extend_from_slice(&self.info);
        out.extend_from_slice(&(map_len as u16).to_be_bytes());
        for s in &self.streams {
            out.extend_from_slice(&[s.stream_type, s.stream_id]);
            out.extend_from_slice(&(s.info.len() as u16).to_be_bytes());
            out.extend_from_slice(&s.info);
        }
        let crc = crc32_mpeg2(&out[start..]);
        out.extend_from_slice(&crc.to_be_bytes());
        out.len() - start
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn entry() -> impl Strategy<Value = PsmStream> {
        (
            any::<u8>(),
            0xbdu8..=0xef,
            proptest::collection::vec(any::<u8>(), 0..8),
        )
            .prop_map(|(stream_type, stream_id, info)| PsmStream {
                stream_type,
                stream_id,
                info,
            })
    }

    proptest! {
        #[test]
        fn written_maps_read_back_to_the_same_bytes(current_next: bool, version in 0u8..32,
                info in proptest::collection::vec(any::<u8>(), 0..10),
                streams in proptest::collection::vec(entry(), 0..5)) {
            let psm = Psm { current_next, version, info, streams };
            let mut out = Vec::new();
            let n = psm.write(&mut out);
            prop_assert_eq!(n, out.len());
            prop_assert_eq!(structural_len(&out), Some(n));
            prop_assert_eq!(usize::from(u16::from_be_bytes([out[4], out[5]])) + 6, n);
            let mut v = Vec::new();
            let read = Psm::parse(&out, &mut v).unwrap();
            prop_assert!(v.is_empty(), "{:?}", v);
            prop_assert_eq!(&read, &psm);
            let mut again = Vec::new();
            read.write(&mut again);
            prop_assert_eq!(again, out);
        }

        #[test]
        fn broken_lengths_never_panic(data in proptest::collection::vec(any::<u8>(), 0..64)) {
            let mut data = data;
            if data.len() >= 4 { data[..4].copy_from_slice(&PSM_START_CODE); }
            let _ = Psm::parse(&data, &mut Vec::new());
            let _ = structural_len(&data);
        }
    }

    #[test]
    fn a_map_length_too_long_is_cut_and_its_entries_still_read() {
        let psm = Psm {
            current_next: true,
            version: 0,
            info: vec![],
            streams: vec![
                PsmStream {
                    stream_type: stream_type::H264,
                    stream_id: 0xe0,
                    info: vec![],
                },
                PsmStream {
                    stream_type: stream_type::G711_A,
                    stream_id: 0xc0,
                    info: vec![],
                },
            ],
        };
        let mut out = Vec::new();
        psm.write(&mut out);
        out[11] += 20; // elementary_stream_map_length
        let mut v = Vec::new();
        let read = Psm::parse(&out, &mut v).unwrap();
        assert_eq!(read.streams, psm.streams);
        let ids: Vec<_> = v.iter().map(|v| v.rule.id).collect();
        assert_eq!(ids, ["mpegps.psm.map-length", "mpegps.psm.crc"]);
    }
}
