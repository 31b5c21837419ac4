//! A raw elementary stream file: an H.264 or H.265 Annex-B byte stream (`.h264`, `.h265`,
//! what `ffmpeg -f h264` writes) or ADTS AAC frames (`.aac`), recognised by content
//! ([`crate::sniff::es_kind`]). Its bytes go through the same elementary stream reader as a TS
//! or PS track's PES payloads ([`EsReader`]): access units cut where H.264 §7.4.1.2.3 / H.265
//! §7.4.2.4.4 say one starts, parameter sets into decoder configurations (the `media.*` SPS
//! rules), ADTS headers checked frame by frame (13818-7 §6.2). A raw stream carries no time:
//! video is timed by the SPS's VUI frame rate when it has one, else at an assumed 25 fps, which
//! the transcript says; audio by its sample count.

use std::collections::VecDeque;

use bytes::Bytes;
use weir_media::nal::annexb_nals;
use weir_media::{Codec, Output, Track};
use weir_mpegts::DemuxEvent;
use weir_mpegts::es::{EsReader, Pes};

use crate::capture::Direction;
use crate::observe::{Observation, Observer, violation};
use crate::sniff::es_kind;
use crate::transcript::EntryKind;

/// The largest access unit gathered: as a TS track's (an 8K intra frame fits).
const MAX_AU: usize = 16 << 20;

/// Frames per second when the SPS does not say.
const ASSUMED_FPS: i64 = 25;

/// A file's bytes are read as the client's, as every file is.
const DIR: Direction = Direction::ClientToServer;

/// One raw elementary stream file.
#[derive(Default)]
pub struct EsObserver {
    /// Made at the first bytes, from what they are.
    reader: Option<EsReader>,
    /// Access units or audio frames read.
    frames: u64,
    /// Bytes lost inside the file: what follows is not read.
    gap: bool,
    ended: bool,
}

impl EsObserver {
    fn start(&mut self, bytes: &[u8], out: &mut Vec<Observation>) -> Option<&mut EsReader> {
        if self.reader.is_none() {
            let codec = es_kind(bytes)?;
            let kind = if codec == Codec::Aac {
                weir_media::MediaKind::Audio
            } else {
                weir_media::MediaKind::Video
            };
            let mut reader = EsReader::new(Track { kind, index: 0 }, codec, MAX_AU);
            let text = match codec {
                Codec::Aac => "ADTS AAC elementary stream, timed by its sample counts".to_string(),
                _ => {
                    let (fps, said) = frame_rate(codec, bytes);
                    reader.set_video_step(90_000 / fps.max(1));
                    format!(
                        "{codec} Annex-B elementary stream, timed at {fps} fps ({said}: a raw stream carries no time)"
                    )
                }
            };
            out.push(Observation::Entry(DIR, EntryKind::Event(text)));
            self.reader = Some(reader);
        }
        self.reader.as_mut()
    }

    fn drain(&mut self, events: VecDeque<Output<DemuxEvent>>, out: &mut Vec<Observation>) {
        for output in events {
            match output {
                Output::Event(DemuxEvent::Frame(frame)) => {
                    self.frames += 1;
                    out.push(Observation::Frame(DIR, frame));
                }
                Output::Event(DemuxEvent::Config(config)) => {
                    out.push(Observation::Config(DIR, config))
                }
                Output::Event(_) | Output::Transmit(_) => {}
                Output::Violation(v) => out.push(violation(DIR, v)),
            }
        }
    }

    fn end(&mut self, out: &mut Vec<Observation>) {
        if std::mem::replace(&mut self.ended, true) || self.gap {
            return;
        }
        let mut events = VecDeque::new();
        if let Some(reader) = self.reader.as_mut() {
            reader.finish(&mut events);
        }
        self.drain(events, out);
        let what = match self.reader.as_ref().map(|r| r.codec) {
            Some(Codec::Aac) => "audio frames",
            Some(_) => "access units",
            None => "frames (no stream recognised)",
        };
        let text = format!("elementary stream: {} {what}", self.frames);
        out.push(Observation::Entry(DIR, EntryKind::Event(text)));
    }
}

/// The frame rate the first SPS's VUI gives (H.264 Annex E, H.265 Annex E), and how it was
/// found.
fn frame_rate(codec: Codec, bytes: &[u8]) -> (i64, &'static str) {
    let from_vui = annexb_nals(bytes)
        .find_map(|nal| match (codec, nal.first()?) {
            (Codec::H264, h) if h & 0x1f == 7 => weir_media::avc::Sps::parse(nal).ok()?.frame_rate,
            (Codec::H265, h) if (h >> 1) & 0x3f == 33 => {
                weir_media::hevc::HevcSps::parse(nal).ok()?.frame_rate
            }
            _ => None,
        })
        .filter(|rate| rate.den > 0 && rate.num / rate.den > 0);
    match from_vui {
        Some(rate) => (i64::from(rate.num / rate.den), "the SPS's VUI"),
        None => (ASSUMED_FPS, "assumed"),
    }
}

impl Observer for EsObserver {
    fn data(&mut self, dir: Direction, offset: u64, bytes: &[u8], out: &mut Vec<Observation>) {
        if dir != DIR || self.gap {
            return;
        }
        let first = offset == 0;
        let Some(reader) = self.start(bytes, out) else {
            return;
        };
        // The first bytes are the first access unit's: they carry the time origin.
        let pes = Pes {
            pts: first.then_some(0),
            dts: first.then_some(0),
            random_access: false,
            // A raw stream begins with a start code: what comes before the first breaks Annex B.
            data_alignment: first,
            data: Bytes::copy_from_slice(bytes),
            offset,
        };
        let mut events = VecDeque::new();
        reader.push(pes, &mut events);
        self.drain(events, out);
    }

    fn gap(&mut self, _dir: Direction, offset: u64, len: u64, out: &mut Vec<Observation>) {
        if !std::mem::replace(&mut self.gap, true) {
            let why = format!("{len} bytes missing at offset {offset}: the stream is not read on");
            out.push(Observation::Entry(DIR, EntryKind::GaveUp(why)));
        }
    }

    fn finished(&mut self, dir: Direction, _offset: u64, out: &mut Vec<Observation>) {
        if dir == DIR {
            self.end(out);
        }
    }

    fn closed(&mut self, out: &mut Vec<Observation>) {
        self.end(out);
    }

    fn complete(&self) -> bool {
        !self.gap && self.reader.is_some()
    }
}
