//! `stsd`, sample descriptions (ISO/IEC 14496-12 §8.5.2), and the sample entries Weir
//! writes: `avc1`/`avcC` and `hvc1`/`hvcC` (ISO/IEC 14496-15 §5.4, §8.4), `mp4a`/`esds`
//! (ISO/IEC 14496-14 §5.6; AAC and, with objectTypeIndication 0x6B, MP3) and `Opus`/`dOps`.
//!
//! A [`SampleEntry`] is made from a [`TrackConfig`]: it knows the track's handler, timescale
//! and the picture size or audio format the entry declares.

use super::dops::write_dops;
use super::esds::{OBJECT_TYPE_AAC, OBJECT_TYPE_MP3, write_esds};
use crate::writer::{Put, write_box, write_full_box};
use bytes::Bytes;
use weir_media::config::CodecConfig;
use weir_media::{Codec, Error, MediaKind, TrackConfig};

/// The timescale of video tracks: the 90 kHz of [`weir_media::Timestamp`], so no tick is lost.
pub const VIDEO_TIMESCALE: u32 = 90_000;

/// One track's sample description, from its configuration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SampleEntry {
    /// The codec.
    pub codec: Codec,
    /// Video or audio.
    pub kind: MediaKind,
    /// Media timescale: 90 kHz for video, the sample rate for audio (48 kHz for Opus).
    pub timescale: u32,
    /// Picture width in pixels (video).
    pub width: u16,
    /// Picture height in pixels (video).
    pub height: u16,
    /// Channels (audio).
    pub channels: u16,
    /// Sample rate in Hz (audio).
    pub sample_rate: u32,
    /// The configuration record as the track carried it.
    pub record: Bytes,
}

impl SampleEntry {
    /// The entry of a track configuration; an error (`rule: None`) for a codec this writer
    /// does not carry or a record that does not parse.
    pub fn from_config(config: &TrackConfig) -> Result<Self, Error> {
        let summary = CodecConfig::parse(config)?.summary();
        let kind = match config.codec {
            Codec::H264 | Codec::H265 => MediaKind::Video,
            Codec::Aac | Codec::Mp3 | Codec::Opus => MediaKind::Audio,
            other => {
                return Err(Error::usage(format!(
                    "mp4: codec {other} is not written (H.264, H.265, AAC, MP3, Opus are)"
                )));
            }
        };
        let sample_rate = match config.codec {
            Codec::Opus => 48_000,
            _ => summary.sample_rate.unwrap_or(0),
        };
        if kind == MediaKind::Audio && sample_rate == 0 {
            return Err(Error::usage(
                "mp4: an audio configuration without a sample rate",
            ));
        }
        let dimension = |v: Option<u32>| v.unwrap_or(0).min(u32::from(u16::MAX)) as u16;
        Ok(SampleEntry {
            codec: config.codec,
            kind,
            timescale: if kind == MediaKind::Video {
                VIDEO_TIMESCALE
            } else {
                sample_rate
            },
            width: dimension(summary.width),
            height: dimension(summary.height),
            channels: u16::from(summary.channels.unwrap_or(2)),
            sample_rate,
            record: config.data.clone(),
        })
    }

    /// The handler type of the track's `hdlr` (§8.4.3): `vide` or `soun`.
    pub fn handler(&self) -> &'static [u8; 4] {
        match self.kind {
            MediaKind::Video => b"vide",
            _ => b"soun",
        }
    }

    /// Writes the sample entry box.
    pub fn write(&self, out: &mut Vec<u8>) {
        match self.codec {
            Codec::H264 => self.write_visual(out, b"avc1", b"avcC"),
            Codec::H265 => self.write_visual(out, b"hvc1", b"hvcC"),
            Codec::Opus => self.write_audio(out, b"Opus", |o| write_dops(o, &self.record)),
            Codec::Mp3 => self.write_audio(out, b"mp4a", |o| write_esds(o, OBJECT_TYPE_MP3, &[])),
            _ => self.write_audio(out, b"mp4a", |o| {
                write_esds(o, OBJECT_TYPE_AAC, &self.record)
            }),
        }
    }

    /// `VisualSampleEntry` (§12.1.3) then the decoder configuration record box.
    fn write_visual(&self, out: &mut Vec<u8>, kind: &[u8; 4], record: &[u8; 4]) {
        write_box(out, kind, |o| {
            sample_entry_header(o);
            o.zeros(16); // pre_defined, reserved, pre_defined[3]
            o.u16(self.width);
            o.u16(self.height);
            o.u32(0x0048_0000); // 72 dpi
            o.u32(0x0048_0000);
            o.u32(0);
            o.u16(1); // frame_count
            o.zeros(32); // compressorname
            o.u16(0x0018); // depth
            o.u16(0xffff); // pre_defined -1
            write_box(o, record, |o| o.bytes(&self.record));
        });
    }

    /// `AudioSampleEntry` (§12.2.3) then its codec box.
    fn write_audio(&self, out: &mut Vec<u8>, kind: &[u8; 4], codec_box: impl FnOnce(&mut Vec<u8>)) {
        write_box(out, kind, |o| {
            sample_entry_header(o);
            o.zeros(8);
            o.u16(self.channels);
            o.u16(16); // samplesize
            o.zeros(4); // pre_defined, reserved
            // 16.16 fixed point; rates above 65535 Hz do not fit and are written as 0.
            o.u32(if self.sample_rate <= 0xffff {
                self.sample_rate << 16
            } else {
                0
            });
            codec_box(o);
        });
    }
}

/// `SampleEntry` (§8.5.2.2): six reserved bytes and data_reference_index 1 (the `dref` entry).
fn sample_entry_header(out: &mut Vec<u8>) {
    out.zeros(6);
    out.u16(1);
}

/// Writes `stsd` with one sample entry per configuration the track has had.
pub fn write_stsd(out: &mut Vec<u8>, entries: &[SampleEntry]) {
    write_full_box(out, b"stsd", 0, 0, |o| {
        o.u32(entries.len() as u32);
        for e in entries {
            e.write(o);
        }
    });
}
