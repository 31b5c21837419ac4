//! The program map table (13818-1 §2.4.4.8-§2.4.4.9): a program's PCR PID and its
//! elementary streams with their `stream_type` and descriptors (§2.6).

use crate::psi::Section;
use crate::rules::{LIMIT, PMT};
use weir_media::{Codec, Violation};

/// `table_id` of a TS_program_map_section.
pub const TABLE_ID: u8 = 0x02;

/// `stream_type` values Weir names (13818-1 Table 2-34 and its amendments).
pub mod stream_type {
    /// ISO/IEC 11172-3 (MPEG-1) audio.
    pub const MPEG1_AUDIO: u8 = 0x03;
    /// ISO/IEC 13818-3 (MPEG-2, lower sampling frequencies) audio.
    pub const MPEG2_AUDIO: u8 = 0x04;
    /// PES packets with private data: the registration descriptor says what they hold.
    pub const PRIVATE_PES: u8 = 0x06;
    /// ISO/IEC 13818-7 AAC with ADTS framing.
    pub const AAC_ADTS: u8 = 0x0f;
    /// ISO/IEC 14496-3 AAC with LATM framing.
    pub const AAC_LATM: u8 = 0x11;
    /// Metadata in PES packets (ID3 timed metadata in HLS).
    pub const METADATA_PES: u8 = 0x15;
    /// ITU-T H.264 | ISO/IEC 14496-10 (§2.14).
    pub const H264: u8 = 0x1b;
    /// ITU-T H.265 | ISO/IEC 23008-2 (§2.17).
    pub const H265: u8 = 0x24;
}

/// Descriptor tags Weir reads or writes (13818-1 §2.6, ETSI EN 300 468 §6.2).
pub mod descriptor_tag {
    /// `registration_descriptor` (§2.6.8): a 32-bit `format_identifier`.
    pub const REGISTRATION: u8 = 0x05;
    /// `ISO_639_language_descriptor` (§2.6.18).
    pub const LANGUAGE: u8 = 0x0a;
    /// DVB `extension_descriptor`: its first byte is the extension tag.
    pub const DVB_EXTENSION: u8 = 0x7f;
}

/// The registration `format_identifier` of Opus (Opus-in-TS).
pub const OPUS_FORMAT: [u8; 4] = *b"Opus";

/// Iterator over the descriptors of a descriptor loop: `(tag, body)`. Stops at the first
/// descriptor whose length runs past the loop (the PMT parser rejects such loops).
#[derive(Debug, Clone)]
pub struct Descriptors<'a> {
    rest: &'a [u8],
}

/// The descriptors of a loop.
pub fn descriptors(data: &[u8]) -> Descriptors<'_> {
    Descriptors { rest: data }
}

impl<'a> Iterator for Descriptors<'a> {
    type Item = (u8, &'a [u8]);

    fn next(&mut self) -> Option<Self::Item> {
        let [tag, len, rest @ ..] = self.rest else {
            return None;
        };
        let body = rest.get(..usize::from(*len))?;
        self.rest = &rest[usize::from(*len)..];
        Some((*tag, body))
    }
}

/// Whether a descriptor loop is well formed; the offset of the first bad descriptor if not.
fn check_loop(data: &[u8]) -> Result<(), usize> {
    let mut at = 0;
    while at < data.len() {
        let len = data.get(at + 1).ok_or(at)?;
        at += 2 + usize::from(*len);
        if at > data.len() {
            return Err(at - 2 - usize::from(*len));
        }
    }
    Ok(())
}

/// The `format_identifier` of the first registration descriptor of a loop.
pub fn registration(data: &[u8]) -> Option<[u8; 4]> {
    descriptors(data)
        .find(|(tag, _)| *tag == descriptor_tag::REGISTRATION)
        .and_then(|(_, body)| body.get(..4)?.try_into().ok())
}

/// One elementary stream of a program.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PmtStream {
    /// `stream_type` (Table 2-34): the coding of the stream, e.g. 0x1B for H.264.
    pub stream_type: u8,
    /// `elementary_PID`: the PID the stream is carried on.
    pub pid: u16,
    /// The ES_info descriptor loop as sent.
    pub es_info: Vec<u8>,
}

impl PmtStream {
    /// The codec Weir reads from this stream, given the program's own descriptors (a
    /// registration there applies to private streams without their own): H.264, H.265,
    /// AAC (ADTS), MPEG audio (as MP3: layers I-III share the frame syntax) and Opus.
    /// Other streams (LATM AAC, AC-3, metadata, private data) are listed but not read.
    pub fn codec(&self, program_info: &[u8]) -> Option<Codec> {
        match self.stream_type {
            stream_type::H264 => Some(Codec::H264),
            stream_type::H265 => Some(Codec::H265),
            stream_type::AAC_ADTS => Some(Codec::Aac),
            stream_type::MPEG1_AUDIO | stream_type::MPEG2_AUDIO => Some(Codec::Mp3),
            stream_type::PRIVATE_PES => {
                let format = registration(&self.es_info).or_else(|| registration(program_info));
                (format == Some(OPUS_FORMAT)).then_some(Codec::Opus)
            }
            _ => None,
        }
    }

    /// The first ISO 639 language code of the stream, if it has one.
    pub fn language(&self) -> Option<[u8; 3]> {
        descriptors(&self.es_info)
            .find(|(tag, _)| *tag == descriptor_tag::LANGUAGE)
            .and_then(|(_, body)| body.get(..3)?.try_into().ok())
    }

    /// The body of the first DVB extension descriptor with extension tag `ext_tag`.
    pub fn dvb_extension(&self, ext_tag: u8) -> Option<&[u8]> {
        descriptors(&self.es_info)
            .find(|(tag, body)| {
                *tag == descriptor_tag::DVB_EXTENSION && body.first() == Some(&ext_tag)
            })
            .map(|(_, body)| &body[1..])
    }
}

/// A program map section, read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pmt {
    /// `program_number`: the program this PMT describes.
    pub program_number: u16,
    /// `version_number` (5 bits); changes whenever the PMT does.
    pub version: u8,
    /// `PCR_PID`; 0x1FFF when the program has no PCR.
    pub pcr_pid: u16,
    /// The program_info descriptor loop as sent.
    pub program_info: Vec<u8>,
    /// The elementary streams, in section order.
    pub streams: Vec<PmtStream>,
}

impl Pmt {
    /// Reads a checked section; offsets count from its `table_id`. At most `max_streams`
    /// streams are kept; more is an error.
    pub fn parse(section: &Section<'_>, max_streams: usize) -> Result<Self, Violation> {
        let bad = |offset: usize, detail: String| Violation::new(&PMT, offset as u64, detail);
        if section.table_id != TABLE_ID {
            return Err(bad(
                0,
                format!("table_id {:#04x} on a PMT PID", section.table_id),
            ));
        }
        let body = section.body;
        // The body starts at byte 8 of the section.
        let [b0, b1, b2, b3, rest @ ..] = body else {
            return Err(bad(8, "no room for PCR_PID and program_info_length".into()));
        };
        let pcr_pid = u16::from_be_bytes([b0 & 0x1f, *b1]);
        let info_len = usize::from(u16::from_be_bytes([b2 & 0x0f, *b3]));
        let program_info = rest.get(..info_len).ok_or_else(|| {
            bad(
                10,
                format!("program_info_length {info_len} runs past the section"),
            )
        })?;
        check_loop(program_info).map_err(|at| {
            bad(
                12 + at,
                "a program descriptor runs past program_info_length".into(),
            )
        })?;
        let mut pmt = Pmt {
            program_number: section.table_id_extension,
            version: section.version,
            pcr_pid,
            program_info: program_info.to_vec(),
            streams: Vec::new(),
        };
        let mut at = 12 + info_len;
        let mut rest = &rest[info_len..];
        while !rest.is_empty() {
            let [st, p0, p1, l0, l1, tail @ ..] = rest else {
                return Err(bad(
                    at,
                    format!("a {}-byte stream entry, 5 needed", rest.len()),
                ));
            };
            let es_len = usize::from(u16::from_be_bytes([l0 & 0x0f, *l1]));
            let es_info = tail.get(..es_len).ok_or_else(|| {
                bad(
                    at + 3,
                    format!("ES_info_length {es_len} runs past the section"),
                )
            })?;
            check_loop(es_info).map_err(|e| {
                bad(
                    at + 5 + e,
                    "a stream descriptor runs past ES_info_length".into(),
                )
            })?;
            if pmt.streams.len() == max_streams {
                return Err(Violation::new(
                    &LIMIT,
                    at as u64,
                    format!("more than the {max_streams} elementary streams the demuxer keeps"),
                ));
            }
            pmt.streams.push(PmtStream {
                stream_type: *st,
                pid: u16::from_be_bytes([p0 & 0x1f, *p1]),
                es_info: es_info.to_vec(),
            });
            at += 5 + es_len;
            rest = &tail[es_len..];
        }
        Ok(pmt)
    }

    /// The section bytes (one section, CRC included).
    pub fn to_section(&self) -> Vec<u8> {
        let mut body = Vec::with_capacity(64);
        body.extend_from_slice(&(0xe000 | self.pcr_pid & 0x1fff).to_be_bytes());
        body.extend_from_slice(&(0xf000 | self.program_info.len() as u16 & 0x0fff).to_be_bytes());
        body.extend_from_slice(&self.program_info);
        for s in &self.streams {
            body.push(s.stream_type);
            body.extend_from_slice(&(0xe000 | s.pid & 0x1fff).to_be_bytes());
            body.extend_from_slice(&(0xf000 | s.es_info.len() as u16 & 0x0fff).to_be_bytes());
            body.extend_from_slice(&s.es_info);
        }
        Section::write(TABLE_ID, self.program_number, self.version, &body)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Pmt {
        Pmt {
            program_number: 1,
            version: 2,
            pcr_pid: 0x100,
            program_info: vec![],
            streams: vec![
                PmtStream {
                    stream_type: stream_type::H264,
                    pid: 0x100,
                    es_info: vec![],
                },
                PmtStream {
                    stream_type: stream_type::AAC_ADTS,
                    pid: 0x101,
                    es_info: vec![descriptor_tag::LANGUAGE, 4, b'e', b'n', b'g', 0],
                },
                PmtStream {
                    stream_type: stream_type::PRIVATE_PES,
                    pid: 0x102,
                    es_info: vec![5, 4, b'O', b'p', b'u', b's', 0x7f, 2, 0x80, 2],
                },
            ],
        }
    }

    #[test]
    fn round_trip_and_codecs() {
        let pmt = sample();
        let bytes = pmt.to_section();
        let back = Pmt::parse(&Section::parse(&bytes).unwrap(), 16).unwrap();
        assert_eq!(back, pmt);
        let codecs: Vec<_> = back.streams.iter().map(|s| s.codec(&[])).collect();
        assert_eq!(
            codecs,
            [Some(Codec::H264), Some(Codec::Aac), Some(Codec::Opus)]
        );
        assert_eq!(back.streams[1].language(), Some(*b"eng"));
        assert_eq!(back.streams[2].dvb_extension(0x80), Some(&[2u8][..]));
        assert_eq!(
            Pmt::parse(&Section::parse(&bytes).unwrap(), 2)
                .unwrap_err()
                .rule
                .id,
            "mpegts.demux.limit"
        );
    }

    #[test]
    fn overlong_descriptor_is_an_error() {
        let mut pmt = sample();
        pmt.streams[1].es_info = vec![0x0a, 9, b'e'];
        let bytes = pmt.to_section();
        let e = Pmt::parse(&Section::parse(&bytes).unwrap(), 16).unwrap_err();
        assert_eq!(e.rule.id, "mpegts.pmt.error");
    }
}
