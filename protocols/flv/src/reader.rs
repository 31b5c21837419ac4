//! `FlvReader`: a sans-IO streaming FLV file reader (FLV 10.1 §E.2-§E.4.1).
//!
//! A [`Machine`]: give it bytes as they arrive and drain its outputs, each complete [`Tag`] as
//! an event. The reader checks the structure around the tags – header, PreviousTagSize
//! fields, tag header fields – and reports what is wrong but readable as violations, so that
//! one bad field does not lose a stream. Tag bodies are `Bytes` views of the input. However
//! the input is split, the tags, violations and errors are the same.

use crate::header::FileHeader;
use crate::tag::TagHeader;
use crate::{Error, rules};
use bytes::{Buf, Bytes, BytesMut};
use std::collections::VecDeque;
use std::time::Instant;
use weir_media::{Machine, Output, Rule, Violation};

/// One tag as read from a file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tag {
    /// The tag's 11-byte header.
    pub header: TagHeader,
    /// The `data_size` bytes after the header; a view of the input.
    pub body: Bytes,
    /// Byte offset of the tag header in the file.
    pub offset: u64,
}

#[derive(Debug, Clone, Copy)]
enum State {
    FileHeader,
    /// Bytes of a header longer than 9 that are still to skip.
    HeaderPadding(u64),
    PreviousTagSize {
        expected: u32,
        rule: &'static Rule,
    },
    TagHeader,
    Body(TagHeader),
}

/// Every tag of a whole file, in order, through the reader; its violations are not reported
/// (drive the [`FlvReader`] itself for them).
pub fn read_tags(file: &[u8]) -> Result<Vec<Tag>, Error> {
    let mut reader = FlvReader::new();
    let now = Instant::now();
    reader.handle_input(now, file)?;
    reader.handle_end(now)?;
    Ok(std::iter::from_fn(|| reader.poll_output())
        .filter_map(|out| match out {
            Output::Event(tag) => Some(tag),
            _ => None,
        })
        .collect())
}

/// The streaming reader. Memory is bounded by what the caller gives and has not drained,
/// plus at most one tag of [`FlvReader::max_tag_size`] bytes.
#[derive(Debug)]
pub struct FlvReader {
    buffer: BytesMut,
    /// Stream offset of `buffer[0]`.
    position: u64,
    state: State,
    max_tag_size: u32,
    header: Option<FileHeader>,
    out: VecDeque<Output<Tag>>,
    error: Option<Error>,
}

impl Default for FlvReader {
    fn default() -> Self {
        Self::new()
    }
}

impl FlvReader {
    /// The default bound on a tag's DataSize: 16 MiB, the most 24 bits can say.
    pub const DEFAULT_MAX_TAG_SIZE: u32 = 16 << 20;

    /// A reader with the default bound on tag size, [`FlvReader::DEFAULT_MAX_TAG_SIZE`].
    pub fn new() -> Self {
        Self::with_max_tag_size(Self::DEFAULT_MAX_TAG_SIZE)
    }

    /// A reader that refuses tags whose DataSize exceeds `max_tag_size` bytes.
    pub fn with_max_tag_size(max_tag_size: u32) -> Self {
        FlvReader {
            buffer: BytesMut::new(),
            position: 0,
            state: State::FileHeader,
            max_tag_size,
            header: None,
            out: VecDeque::new(),
            error: None,
        }
    }

    /// The largest DataSize this reader accepts, in bytes.
    pub fn max_tag_size(&self) -> u32 {
        self.max_tag_size
    }

    /// The file header, once read.
    pub fn header(&self) -> Option<&FileHeader> {
        self.header.as_ref()
    }

    fn consume(&mut self, n: usize) -> BytesMut {
        self.position += n as u64;
        self.buffer.split_to(n)
    }

    fn report(&mut self, found: Vec<Violation>, base: u64) {
        self.out.extend(found.into_iter().map(|mut v| {
            v.offset += base;
            Output::Violation(v)
        }));
    }

    fn advance(&mut self) -> Result<Option<Tag>, Error> {
        loop {
            match self.state {
                State::FileHeader => {
                    if self.buffer.len() < FileHeader::LEN {
                        return Ok(None);
                    }
                    let header =
                        FileHeader::parse(&self.buffer).map_err(|e| e.shifted(self.position))?;
                    self.report(header.violations(), self.position);
                    self.consume(FileHeader::LEN);
                    self.header = Some(header);
                    self.state = State::HeaderPadding(
                        u64::from(header.data_offset) - FileHeader::LEN as u64,
                    );
                }
                State::HeaderPadding(left) => {
                    let n = left.min(self.buffer.len() as u64);
                    self.consume(n as usize);
                    if n < left {
                        self.state = State::HeaderPadding(left - n);
                        return Ok(None);
                    }
                    self.state = State::PreviousTagSize {
                        expected: 0,
                        rule: &rules::PREVIOUS_TAG_SIZE_0,
                    };
                }
                State::PreviousTagSize { expected, rule } => {
                    if self.buffer.len() < 4 {
                        return Ok(None);
                    }
                    let at = self.position;
                    let found = self.consume(4).get_u32();
                    if found != expected {
                        self.out.push_back(Output::Violation(Violation::new(
                            rule,
                            at,
                            format!(
                                "PreviousTagSize {found}, the previous tag took {expected} bytes"
                            ),
                        )));
                    }
                    self.state = State::TagHeader;
                }
                State::TagHeader => {
                    if self.buffer.len() < TagHeader::LEN {
                        return Ok(None);
                    }
                    let header =
                        TagHeader::parse(&self.buffer).map_err(|e| e.shifted(self.position))?;
                    if header.data_size > self.max_tag_size {
                        return Err(Error::rule(
                            &rules::TAG_SIZE,
                            self.position + 1,
                            format!(
                                "DataSize {} exceeds the limit of {} bytes",
                                header.data_size, self.max_tag_size
                            ),
                        ));
                    }
                    self.report(header.violations(), self.position);
                    self.consume(TagHeader::LEN);
                    self.state = State::Body(header);
                }
                State::Body(header) => {
                    let size = header.data_size as usize;
                    if self.buffer.len() < size {
                        return Ok(None);
                    }
                    let offset = self.position - TagHeader::LEN as u64;
                    let body = self.consume(size).freeze();
                    let expected = TagHeader::LEN as u32 + header.data_size;
                    self.state = State::PreviousTagSize {
                        expected,
                        rule: &rules::PREVIOUS_TAG_SIZE,
                    };
                    return Ok(Some(Tag {
                        header,
                        body,
                        offset,
                    }));
                }
            }
        }
    }
}

impl Machine for FlvReader {
    type Event = Tag;

    /// Reads what `input` completes. After an error the reader is closed and returns the same
    /// error again.
    fn handle_input(&mut self, _now: Instant, input: &[u8]) -> Result<(), Error> {
        if let Some(e) = &self.error {
            return Err(e.clone());
        }
        self.buffer.extend_from_slice(input);
        loop {
            match self.advance() {
                Ok(Some(tag)) => self.out.push_back(Output::Event(tag)),
                Ok(None) => return Ok(()),
                Err(e) => {
                    self.error = Some(e.clone());
                    self.buffer = BytesMut::new();
                    return Err(e);
                }
            }
        }
    }

    /// The end of input: an error if it falls inside the header, a tag or its PreviousTagSize
    /// (FLV 10.1 §E.3: the last tag is followed by its PreviousTagSize).
    fn handle_end(&mut self, _now: Instant) -> Result<(), Error> {
        if let Some(e) = &self.error {
            return Err(e.clone());
        }
        let clean = matches!(self.state, State::TagHeader) && self.buffer.is_empty();
        if clean {
            return Ok(());
        }
        let what = match self.state {
            State::FileHeader | State::HeaderPadding(_) => "the file header",
            State::PreviousTagSize { .. } => "a PreviousTagSize",
            State::TagHeader => "a tag header",
            State::Body(_) => "a tag body",
        };
        let e = Error::rule(
            &rules::TAG_TRUNCATED,
            self.position,
            format!("input ends inside {what}"),
        );
        self.error = Some(e.clone());
        Err(e)
    }

    fn poll_output(&mut self) -> Option<Output<Tag>> {
        self.out.pop_front()
    }

    /// Files keep no timers.
    fn poll_timeout(&self) -> Option<Instant> {
        None
    }

    fn handle_timeout(&mut self, _now: Instant) {}
}
