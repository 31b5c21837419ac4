//! One body into the machine for what it is ([`route`](super::route)): a playlist
//! into the playlist parser when it ends (and, loaded again from the same URL, compared with
//! its last load), a transport stream into its own TS demuxer, FLV into [`FlvBody`], a session
//! description (a response's, or a request's: WHIP's offer) into the SDP parser when it ends. Bytes
//! are streamed into the reader, never held beyond its own bounds. Readers count offsets in
//! body bytes; [`Spans`] turns them back into offsets of the direction's stream, which differ
//! once chunk size lines or missing bytes sit between the pieces.

use std::collections::VecDeque;

use weir_hls::{Limits, Playlist};

use super::reloads::Reloads;
use super::route::{self, By, Kind, SNIFF_BYTES};
use crate::capture::Direction;
use crate::observe::flv::FlvBody;
use crate::observe::mpegts::TsObserver;
use crate::observe::playlist::{describe, read};
use crate::observe::sdp::{self, SharedLearned};
use crate::observe::{Observation, Observer, violation};
use crate::transcript::EntryKind;
use weir_sdp::SessionDescription;

/// Where each piece of the body sits in the stream, the most recent [`MAX_SPANS`] pieces.
#[derive(Debug, Default)]
struct Spans {
    /// (body offset, stream offset) where a piece begins that does not continue the one before.
    starts: VecDeque<(u64, u64)>,
}

/// Pieces remembered; an offset before the oldest is placed at the oldest's start.
const MAX_SPANS: usize = 4096;

impl Spans {
    fn add(&mut self, body: u64, stream: u64) {
        if let Some(&(b, s)) = self.starts.back()
            && s + (body - b) == stream
        {
            return;
        }
        if self.starts.len() == MAX_SPANS {
            self.starts.pop_front();
        }
        self.starts.push_back((body, stream));
    }

    fn stream_offset(&self, body: u64) -> u64 {
        let after = self.starts.partition_point(|&(b, _)| b <= body);
        match after.checked_sub(1).and_then(|i| self.starts.get(i)) {
            Some(&(b, s)) => s + (body - b),
            None => self.starts.front().map_or(body, |&(_, s)| s),
        }
    }
}

enum Reader {
    /// Waiting for [`SNIFF_BYTES`] bytes (or the end) to say what the body is.
    Sniffing(Vec<u8>),
    Playlist(Vec<u8>),
    Ts(Box<TsObserver>),
    Flv(FlvBody),
    Sdp(Vec<u8>),
    /// Not read: why.
    Skipped(String),
}

/// One body.
pub struct BodyReader {
    /// Responses' bodies come from the server, requests' from the client.
    dir: Direction,
    /// What RTP payload types carry: what a description says is added.
    types: SharedLearned,
    /// The description a body held, once read.
    description: Option<SessionDescription>,
    reader: Reader,
    /// What the body is read as, and what said so.
    kind: Option<(Kind, By)>,
    spans: Spans,
    /// Body bytes so far (missing ones included).
    len: u64,
    frames: u64,
    /// Bytes went missing: the reader stopped, or started afresh (TS).
    gap: bool,
    limits: Limits,
    scratch: Vec<Observation>,
}

impl BodyReader {
    /// A response body routed by its Content-Type, then the target; otherwise by its first
    /// bytes.
    pub fn new(content_type: Option<&str>, target: Option<&str>, types: &SharedLearned) -> Self {
        let kind = content_type
            .and_then(route::by_content_type)
            .map(|k| (k, By::ContentType))
            .or_else(|| {
                target
                    .and_then(route::by_extension)
                    .map(|k| (k, By::Extension))
            });
        let mut body = Self::with(
            Reader::Sniffing(Vec::new()),
            Direction::ServerToClient,
            types,
        );
        if let Some(kind) = kind {
            body.start(kind);
        }
        body
    }

    /// A request body, read when its Content-Type says it is a session description (the
    /// offer of WHIP and WHEP); `None` for any other.
    pub fn request(content_type: Option<&str>, types: &SharedLearned) -> Option<Self> {
        let kind = content_type.and_then(route::by_content_type)?;
        (kind == Kind::Sdp).then(|| {
            let mut body = Self::with(
                Reader::Sniffing(Vec::new()),
                Direction::ClientToServer,
                types,
            );
            body.start((kind, By::ContentType));
            body
        })
    }

    /// A body that is not read, and why.
    pub fn skipped(why: String, types: &SharedLearned) -> Self {
        Self::with(Reader::Skipped(why), Direction::ServerToClient, types)
    }

    /// The description the body held, once it ended.
    pub fn description(&self) -> Option<&SessionDescription> {
        self.description.as_ref()
    }

    fn with(reader: Reader, dir: Direction, types: &SharedLearned) -> Self {
        BodyReader {
            dir,
            types: types.clone(),
            description: None,
            reader,
            kind: None,
            spans: Spans::default(),
            len: 0,
            frames: 0,
            gap: false,
            limits: Limits::default(),
            scratch: Vec::new(),
        }
    }

    /// Body bytes so far.
    pub fn bytes(&self) -> u64 {
        self.len
    }

    fn start(&mut self, kind: (Kind, By)) {
        self.kind = Some(kind);
        self.reader = match kind.0 {
            Kind::Playlist => Reader::Playlist(Vec::new()),
            Kind::Ts => Reader::Ts(Box::default()),
            Kind::Flv => Reader::Flv(FlvBody::default()),
            Kind::Sdp => Reader::Sdp(Vec::new()),
        };
    }

    /// Bytes of the body at `offset` of the stream.
    pub fn data(&mut self, offset: u64, bytes: &[u8], out: &mut Vec<Observation>) {
        self.spans.add(self.len, offset);
        let at = self.len;
        self.len += bytes.len() as u64;
        if let Reader::Sniffing(head) = &mut self.reader {
            let take = bytes.len().min(SNIFF_BYTES - head.len());
            head.extend_from_slice(&bytes[..take]);
            if head.len() < SNIFF_BYTES {
                return;
            }
            self.decide(out);
            // The sniffed bytes went in; the rest follows them.
            self.feed(at + take as u64, &bytes[take..], out);
            return;
        }
        self.feed(at, bytes, out);
    }

    /// The first bytes say what the body is; they go into its reader.
    fn decide(&mut self, out: &mut Vec<Observation>) {
        let Reader::Sniffing(head) = std::mem::replace(&mut self.reader, Reader::Sniffing(vec![]))
        else {
            return;
        };
        match route::by_content(&head) {
            Some(kind) => {
                self.start((kind, By::Content));
                self.feed(0, &head, out);
            }
            None => self.reader = Reader::Skipped("neither a playlist, TS, FLV nor SDP".into()),
        }
    }

    fn feed(&mut self, at: u64, bytes: &[u8], out: &mut Vec<Observation>) {
        if bytes.is_empty() {
            return;
        }
        let mut found = std::mem::take(&mut self.scratch);
        match &mut self.reader {
            Reader::Playlist(text) => {
                // One byte past the limit is enough for the parser to say it is too large.
                let room = (self.limits.max_bytes + 1).saturating_sub(text.len());
                text.extend_from_slice(&bytes[..bytes.len().min(room)]);
            }
            Reader::Sdp(text) => {
                let room = (weir_sdp::Limits::default().max_bytes + 1).saturating_sub(text.len());
                text.extend_from_slice(&bytes[..bytes.len().min(room)]);
            }
            Reader::Ts(ts) => ts.data(self.dir, at, bytes, &mut found),
            Reader::Flv(flv) => flv.push(bytes, &mut found),
            Reader::Sniffing(_) | Reader::Skipped(_) => {}
        }
        self.emit(&mut found, out);
        self.scratch = found;
    }

    /// `len` bytes of the body are missing: a transport stream starts afresh after them; a
    /// playlist or FLV body is not read further.
    pub fn gap(&mut self, len: u64, out: &mut Vec<Observation>) {
        self.len += len;
        self.gap = true;
        let mut found = std::mem::take(&mut self.scratch);
        match &mut self.reader {
            Reader::Ts(ts) => ts.gap(self.dir, self.len - len, len, &mut found),
            Reader::Skipped(_) => {}
            _ => {
                let why = format!("{len} bytes of it missing from the capture");
                self.reader = Reader::Skipped(why);
            }
        }
        self.emit(&mut found, out);
        self.scratch = found;
    }

    /// The body ended; `complete`: where its framing says. What it was read as, for the
    /// transcript. A playlist is parsed now; a body cut short is not finished, so that what
    /// the capture lost is not blamed on the sender.
    pub fn end(
        &mut self,
        complete: bool,
        reload: Option<(&mut Reloads, &str)>,
        out: &mut Vec<Observation>,
    ) -> String {
        if matches!(self.reader, Reader::Sniffing(_)) {
            self.decide(out);
        }
        let mut found = std::mem::take(&mut self.scratch);
        let mut said = None;
        match &mut self.reader {
            Reader::Playlist(text) if complete => {
                let playlist = read(text, &self.limits, self.dir, &mut found);
                for entry in &mut found {
                    loosen(entry);
                }
                said = playlist.as_ref().map(describe);
                if let (Some(Playlist::Media(media)), Some((reloads, url))) = (playlist, reload) {
                    let violations = reloads.load(url, media);
                    // They name the media sequence number: placed at the playlist's start.
                    found.extend(violations.into_iter().map(|v| violation(self.dir, v)));
                }
            }
            Reader::Ts(ts) if complete => ts.finished(self.dir, self.len, &mut found),
            Reader::Sdp(text) if complete => {
                let what = match self.dir {
                    Direction::ClientToServer => "offer",
                    Direction::ServerToClient => "description",
                };
                self.description = sdp::read(text, what, self.dir, &self.types, &mut found);
                said = self
                    .description
                    .as_ref()
                    .map(|d| format!("{} m-line(s)", d.media.len()));
            }
            Reader::Flv(flv) if complete => flv.end(&mut found),
            _ => {}
        }
        self.emit(&mut found, out);
        self.scratch = found;
        self.summary(complete, said)
    }

    fn summary(&self, complete: bool, said: Option<String>) -> String {
        let (kind, by) = match (&self.reader, self.kind) {
            (Reader::Skipped(why), None) => return format!("not read ({why})"),
            (_, Some(kind)) => kind,
            (_, None) => return "not read (empty)".into(),
        };
        let mut text = format!("read as {kind} ({by})");
        match (kind, &self.reader) {
            (Kind::Playlist | Kind::Sdp, _) if !complete => text.push_str(": cut, not parsed"),
            (Kind::Playlist | Kind::Sdp, _) => {
                if let Some(said) = said {
                    text.push_str(&format!(": {said}"));
                }
            }
            (Kind::Flv, Reader::Flv(flv)) => {
                text.push_str(&format!(": {} tags, {} frames", flv.tags(), self.frames))
            }
            _ => text.push_str(&format!(": {} frames", self.frames)),
        }
        if self.gap {
            text.push_str(", with bytes missing");
        }
        text
    }

    /// A reader's findings into `out`: offsets placed in the stream, frames counted, the TS
    /// observer's own notes left out (the response's entry says what the body was).
    fn emit(&mut self, found: &mut Vec<Observation>, out: &mut Vec<Observation>) {
        for mut observation in found.drain(..) {
            match &mut observation {
                Observation::Entry(_, EntryKind::Event(_))
                    if matches!(self.reader, Reader::Ts(_)) =>
                {
                    continue;
                }
                Observation::Entry(
                    _,
                    EntryKind::Violation {
                        offset: Some(at), ..
                    },
                ) => {
                    *at = self.spans.stream_offset(*at);
                }
                Observation::Frame(..) => self.frames += 1,
                _ => {}
            }
            out.push(observation);
        }
    }
}

/// A playlist that cannot be read stops that body only, not the direction.
fn loosen(entry: &mut Observation) {
    match entry {
        Observation::Entry(_, EntryKind::Violation { fatal, .. }) => *fatal = false,
        Observation::Entry(dir, EntryKind::GaveUp(why)) => {
            *entry = Observation::Entry(*dir, EntryKind::Event(format!("playlist not read: {why}")))
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spans_place_body_offsets_in_the_stream() {
        let mut spans = Spans::default();
        spans.add(0, 100);
        spans.add(10, 110);
        spans.add(20, 125);
        assert_eq!(spans.starts.len(), 2);
        assert_eq!(spans.stream_offset(5), 105);
        assert_eq!(spans.stream_offset(19), 119);
        assert_eq!(spans.stream_offset(22), 127);
        for i in 0..MAX_SPANS as u64 + 10 {
            spans.add(30 + i, 1000 + 2 * i);
        }
        assert_eq!(spans.starts.len(), MAX_SPANS);
        assert_eq!(spans.stream_offset(0), spans.starts[0].1);
    }
}
