//! FLV read as it streams in, for an HTTP-FLV body ([`FlvBody`], inside the HTTP observer) and
//! for a bare `.flv` file ([`FlvObserver`]): the file structure by [`FlvReader`] (FLV 10.1
//! §E.2-§E.4.1), audio and video tag bodies by `read_audio_checked`/`read_video_checked` into
//! decoder configurations and frames, script data tags by `ScriptData::parse` (§E.4.4.1).
//! Violation offsets count bytes of the body or file; a structure error stops reading, an
//! unreadable tag body is reported and skipped.

use std::time::Instant;
use weir_amf0::Limits;
use weir_flv::media::{read_audio_checked, read_video_checked};
use weir_flv::{FlvReader, ScriptData, Tag, TagHeader, TagType};
use weir_media::MediaPacket;
use weir_media::{Error, Machine, Output, Timestamp, Violation};

use crate::capture::Direction;
use crate::observe::{Observation, Observer, violation};
use crate::transcript::EntryKind;

/// One FLV body or file, sent in `dir` (an HTTP-FLV body comes from the server; a file's
/// bytes are read as the client's, as every file is).
#[derive(Debug)]
pub struct FlvBody {
    dir: Direction,
    reader: FlvReader,
    tags: u64,
    failed: bool,
}

impl Default for FlvBody {
    fn default() -> Self {
        FlvBody::new(Direction::ServerToClient)
    }
}

impl FlvBody {
    pub fn new(dir: Direction) -> Self {
        FlvBody {
            dir,
            reader: FlvReader::default(),
            tags: 0,
            failed: false,
        }
    }

    /// Whether a structure error stopped the reading.
    pub fn failed(&self) -> bool {
        self.failed
    }

    /// Tags read so far.
    pub fn tags(&self) -> u64 {
        self.tags
    }

    pub fn push(&mut self, bytes: &[u8], out: &mut Vec<Observation>) {
        if self.failed {
            return;
        }
        let result = self.reader.handle_input(Instant::now(), bytes);
        self.drain(out);
        if let Err(e) = result {
            self.fail(e, out);
        }
    }

    /// The body ended where its framing says: an FLV file ends after a whole tag and its
    /// PreviousTagSize (FLV 10.1 §E.3).
    pub fn end(&mut self, out: &mut Vec<Observation>) {
        if self.failed {
            return;
        }
        if let Err(e) = self.reader.handle_end(Instant::now()) {
            self.fail(e, out);
        }
    }

    fn drain(&mut self, out: &mut Vec<Observation>) {
        while let Some(output) = self.reader.poll_output() {
            match output {
                Output::Event(tag) => {
                    self.tags += 1;
                    read_tag(self.dir, tag, out);
                }
                Output::Violation(v) => out.push(violation(self.dir, v)),
                Output::Transmit(_) => {}
            }
        }
    }

    fn fail(&mut self, e: Error, out: &mut Vec<Observation>) {
        self.failed = true;
        out.push(Observation::Entry(self.dir, error_entry(e, 0, "FLV")));
    }
}

/// An error as a transcript entry, `base` bytes further into the body.
fn error_entry(e: Error, base: u64, what: &str) -> EntryKind {
    match e.rule {
        Some(rule) => EntryKind::Violation {
            rule,
            offset: Some(base + e.offset),
            detail: format!("{what}: {}", e.detail),
            fatal: false,
        },
        None => EntryKind::Event(format!("{what} not read further: {}", e.detail)),
    }
}

/// One tag: audio and video into configurations and frames; script data is read (FLV 10.1
/// §E.4.4.1: a name, then AMF0 values) for its rules; other tags are only counted.
fn read_tag(dir: Direction, tag: Tag, out: &mut Vec<Observation>) {
    let body_at = tag.offset + TagHeader::LEN as u64;
    if tag.header.tag_type == TagType::Script {
        if let Err(e) = ScriptData::parse(&tag.body, &Limits::default()) {
            let what = format!("script tag at byte {}", tag.offset);
            out.push(Observation::Entry(dir, error_entry(e, body_at, &what)));
        }
        return;
    }
    if !matches!(tag.header.tag_type, TagType::Audio | TagType::Video) {
        return;
    }
    let mut violations: Vec<Violation> = Vec::new();
    let mut packet = |p| match p {
        MediaPacket::Config(config) => out.push(Observation::Config(dir, config)),
        MediaPacket::Frame(frame) => out.push(Observation::Frame(dir, frame)),
        MediaPacket::EndOfSequence { .. } => {}
    };
    let (time, body) = (
        Timestamp::from_millis(tag.header.timestamp.into()),
        tag.body,
    );
    let result = match tag.header.tag_type {
        TagType::Audio => read_audio_checked(time, body, &mut packet, &mut violations),
        _ => read_video_checked(time, body, &mut packet, &mut violations),
    };
    out.extend(violations.into_iter().map(|mut v| {
        v.offset += body_at;
        violation(dir, v)
    }));
    if let Err(e) = result {
        let what = format!("tag at byte {}", tag.offset);
        out.push(Observation::Entry(dir, error_entry(e, body_at, &what)));
    }
}

/// A bare `.flv` file: its bytes as one FLV body.
pub struct FlvObserver {
    body: FlvBody,
    /// Bytes lost inside the file: what follows cannot be framed.
    gap: bool,
    ended: bool,
}

impl Default for FlvObserver {
    fn default() -> Self {
        FlvObserver {
            body: FlvBody::new(Direction::ClientToServer),
            gap: false,
            ended: false,
        }
    }
}

impl FlvObserver {
    fn end(&mut self, out: &mut Vec<Observation>) {
        if !self.ended && !self.gap {
            self.ended = true;
            self.body.end(out);
            out.push(Observation::Entry(
                self.body.dir,
                EntryKind::Event(format!("FLV file: {} tags", self.body.tags())),
            ));
        }
    }
}

impl Observer for FlvObserver {
    fn data(&mut self, dir: Direction, _offset: u64, bytes: &[u8], out: &mut Vec<Observation>) {
        if dir == self.body.dir && !self.gap {
            self.body.push(bytes, out);
        }
    }

    fn gap(&mut self, _dir: Direction, offset: u64, len: u64, out: &mut Vec<Observation>) {
        if !self.gap {
            self.gap = true;
            let why = format!("{len} bytes missing at offset {offset}: tags cannot be followed");
            out.push(Observation::Entry(self.body.dir, EntryKind::GaveUp(why)));
        }
    }

    fn finished(&mut self, dir: Direction, _offset: u64, out: &mut Vec<Observation>) {
        if dir == self.body.dir {
            self.end(out);
        }
    }

    fn closed(&mut self, out: &mut Vec<Observation>) {
        self.end(out);
    }

    fn complete(&self) -> bool {
        !self.gap && !self.body.failed()
    }
}
