//! An FLV body (HTTP-FLV) read as it streams in: the file structure by [`FlvReader`] (FLV
//! 10.1 §E.2-§E.4.1), audio and video tag bodies by `read_audio_checked`/`read_video_checked`
//! into decoder configurations and frames. Violation offsets count bytes of the body; a
//! structure error stops the body, an unreadable tag body is reported and skipped.

use std::time::Instant;
use weir_flv::media::{read_audio_checked, read_video_checked};
use weir_flv::{FlvReader, Tag, TagHeader, TagType};
use weir_media::MediaPacket;
use weir_media::{Error, Machine, Output, Timestamp, Violation};

use crate::capture::Direction;
use crate::observe::{Observation, violation};
use crate::transcript::EntryKind;

/// HTTP-FLV bodies come from the server.
const DIR: Direction = Direction::ServerToClient;

/// One FLV body.
#[derive(Debug, Default)]
pub struct FlvBody {
    reader: FlvReader,
    tags: u64,
    failed: bool,
}

impl FlvBody {
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
                    read_tag(tag, out);
                }
                Output::Violation(v) => out.push(violation(DIR, v)),
                Output::Transmit(_) => {}
            }
        }
    }

    fn fail(&mut self, e: Error, out: &mut Vec<Observation>) {
        self.failed = true;
        out.push(Observation::Entry(DIR, error_entry(e, 0, "FLV body")));
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

/// One tag: audio and video into configurations and frames; script data and other tags are
/// only counted.
fn read_tag(tag: Tag, out: &mut Vec<Observation>) {
    if !matches!(tag.header.tag_type, TagType::Audio | TagType::Video) {
        return;
    }
    let body_at = tag.offset + TagHeader::LEN as u64;
    let mut violations: Vec<Violation> = Vec::new();
    let mut packet = |p| match p {
        MediaPacket::Config(config) => out.push(Observation::Config(DIR, config)),
        MediaPacket::Frame(frame) => out.push(Observation::Frame(DIR, frame)),
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
        violation(DIR, v)
    }));
    if let Err(e) = result {
        let what = format!("tag at byte {}", tag.offset);
        out.push(Observation::Entry(DIR, error_entry(e, body_at, &what)));
    }
}
