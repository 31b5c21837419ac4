//! The chunked transfer coding (RFC 9112 §7.1), decoded as it streams in: chunk size lines
//! (§7.1, §7.1.1), chunk data and its CRLF, the last chunk and the trailer section (§7.1.2).
//! Chunk data goes out as slices of the input; what is held is one size line or trailer
//! section, bounded. A broken size line or a missing CRLF after the data loses the framing:
//! the decoder reports it and stops.

use weir_media::Violation;

use crate::rules;

/// Bytes of a chunk size line (size and extensions) held before it is refused.
pub const MAX_SIZE_LINE: usize = 4 << 10;

/// What the decoder found, in stream order.
#[derive(Debug, PartialEq, Eq)]
pub enum Chunk<'a> {
    /// Chunk data at this stream offset.
    Data(u64, &'a [u8]),
    /// A rule broken; `fatal`: the framing is lost and the decoder stopped.
    Violation(Violation, bool),
    /// The trailer section ended: the message is complete.
    End,
}

#[derive(Debug)]
enum State {
    /// A chunk size line: its bytes so far, from stream offset `start`.
    Size {
        line: Vec<u8>,
        start: u64,
    },
    Data {
        left: u64,
    },
    /// The CRLF after chunk data; `cr`: its CR was read.
    DataEnd {
        cr: bool,
    },
    /// The trailer section (§7.1.2) up to its empty line, from stream offset `start`.
    Trailer {
        text: Vec<u8>,
        start: u64,
    },
    Done,
    Failed,
}

/// One chunked body.
#[derive(Debug)]
pub struct Chunked {
    state: State,
    max_trailer: usize,
    max_fields: usize,
}

impl Chunked {
    /// A decoder that holds a trailer section of at most `max_trailer` bytes and `max_fields`
    /// field lines.
    pub fn new(max_trailer: usize, max_fields: usize) -> Self {
        Chunked {
            state: State::Size {
                line: Vec::new(),
                start: 0,
            },
            max_trailer,
            max_fields,
        }
    }

    /// Whether the body ended (or the decoder stopped): no more input is taken.
    pub fn finished(&self) -> bool {
        matches!(self.state, State::Done | State::Failed)
    }

    /// Whether `len` missing bytes fall inside the current chunk's data, so that the framing
    /// survives them; if so they are skipped.
    pub fn skip(&mut self, len: u64) -> bool {
        match &mut self.state {
            State::Data { left } if len <= *left => {
                *left -= len;
                if *left == 0 {
                    self.state = State::DataEnd { cr: false };
                }
                true
            }
            _ => false,
        }
    }

    /// Decodes `bytes`, which start at stream offset `offset`; returns how many it took (fewer
    /// than all once the body ends: the rest is the next message's).
    pub fn push(&mut self, offset: u64, bytes: &[u8], out: &mut impl FnMut(Chunk<'_>)) -> usize {
        let mut at = 0;
        while at < bytes.len() {
            let here = offset + at as u64;
            let rest = &bytes[at..];
            at += match &mut self.state {
                State::Done => return at,
                State::Failed => return bytes.len(),
                State::Size { line, start } => {
                    if line.is_empty() {
                        *start = here;
                    }
                    let (taken, whole) = take_line(line, rest, MAX_SIZE_LINE);
                    let start = *start;
                    if line.len() > MAX_SIZE_LINE {
                        let detail = format!("a chunk size line longer than {MAX_SIZE_LINE} bytes");
                        self.fail(Violation::new(&rules::LIMITS, start, detail), out);
                    } else if whole {
                        let line = std::mem::take(line);
                        self.size_line(&line, start, out);
                    }
                    taken
                }
                State::Data { left } => {
                    let n = rest.len().min(usize::try_from(*left).unwrap_or(usize::MAX));
                    out(Chunk::Data(here, &rest[..n]));
                    *left -= n as u64;
                    if *left == 0 {
                        self.state = State::DataEnd { cr: false };
                    }
                    n
                }
                State::DataEnd { cr } => {
                    match (rest[0], *cr) {
                        (b'\r', false) => *cr = true,
                        // A bare LF is taken as the line's end (RFC 9112 §2.2).
                        (b'\n', _) => self.next_chunk(),
                        (byte, _) => {
                            let detail =
                                format!("{byte:#04x} where the CRLF after the chunk data was due");
                            self.fail(Violation::new(&rules::CHUNK_DATA_END, here, detail), out);
                        }
                    }
                    1
                }
                State::Trailer { text, start } => {
                    if text.is_empty() {
                        *start = here;
                    }
                    let (taken, whole) = take_line(text, rest, self.max_trailer);
                    let start = *start;
                    if text.len() > self.max_trailer {
                        let detail =
                            format!("a trailer section longer than {} bytes", self.max_trailer);
                        self.fail(Violation::new(&rules::LIMITS, start, detail), out);
                    } else if whole && is_blank(last_line(text)) {
                        let text = std::mem::take(text);
                        self.trailer(&text, start, out);
                    }
                    taken
                }
            };
        }
        at
    }

    fn next_chunk(&mut self) {
        self.state = State::Size {
            line: Vec::new(),
            start: 0,
        };
    }

    fn fail(&mut self, violation: Violation, out: &mut impl FnMut(Chunk<'_>)) {
        self.state = State::Failed;
        out(Chunk::Violation(violation, true));
    }

    /// `chunk-size [ chunk-ext ] CRLF` (RFC 9112 §7.1), the line starting at `start`.
    fn size_line(&mut self, line: &[u8], start: u64, out: &mut impl FnMut(Chunk<'_>)) {
        match parse_size_line(line) {
            Ok(0) => {
                self.state = State::Trailer {
                    text: Vec::new(),
                    start: 0,
                }
            }
            Ok(size) => self.state = State::Data { left: size },
            Err((at, detail)) => {
                let v = Violation::new(&rules::CHUNK_SIZE, start + at as u64, detail);
                self.fail(v, out);
            }
        }
    }

    /// The field lines after the last chunk, up to and with their empty line (RFC 9112 §7.1.2).
    fn trailer(&mut self, text: &[u8], start: u64, out: &mut impl FnMut(Chunk<'_>)) {
        let mut fields = vec![httparse::EMPTY_HEADER; self.max_fields];
        self.state = State::Done;
        if let Err(e) = httparse::parse_headers(text, &mut fields) {
            let rule = match e {
                httparse::Error::TooManyHeaders => &rules::LIMITS,
                _ => &rules::FIELD_LINE,
            };
            let detail = format!("trailer section: {e}");
            out(Chunk::Violation(Violation::new(rule, start, detail), false));
        }
        out(Chunk::End);
    }
}

/// Appends `input` up to and with its first LF to `held`, at most one byte past `max`:
/// (bytes taken, whether the line ended).
fn take_line(held: &mut Vec<u8>, input: &[u8], max: usize) -> (usize, bool) {
    let end = input.iter().position(|&b| b == b'\n');
    let wanted = end.map_or(input.len(), |i| i + 1);
    let room = (max + 1).saturating_sub(held.len());
    let taken = wanted.min(room);
    held.extend_from_slice(&input[..taken]);
    (taken, end.is_some() && taken == wanted)
}

/// The last line of `text`, which ends with LF.
fn last_line(text: &[u8]) -> &[u8] {
    let before = &text[..text.len().saturating_sub(1)];
    &text[before
        .iter()
        .rposition(|&b| b == b'\n')
        .map_or(0, |i| i + 1)..]
}

/// A line that holds nothing but its end.
fn is_blank(line: &[u8]) -> bool {
    matches!(line, b"\n" | b"\r\n")
}

/// The size a chunk size line gives, or where and how it breaks the grammar.
fn parse_size_line(line: &[u8]) -> Result<u64, (usize, String)> {
    let body = line.strip_suffix(b"\n").unwrap_or(line);
    let body = body.strip_suffix(b"\r").unwrap_or(body);
    let digits = body.iter().take_while(|b| b.is_ascii_hexdigit()).count();
    if digits == 0 {
        let what = body
            .first()
            .map_or("an empty line".to_owned(), |b| format!("{b:#04x}"));
        return Err((0, format!("{what} where a hexadecimal chunk size was due")));
    }
    let significant = &body[..digits];
    let significant = &significant[significant.iter().take_while(|&&b| b == b'0').count()..];
    if significant.len() > 16 {
        return Err((0, "a chunk size that does not fit 64 bits".to_owned()));
    }
    let size = significant.iter().fold(0u64, |n, &b| {
        // Checked above: at most 16 hexadecimal digits.
        n << 4 | u64::from(char::from(b).to_digit(16).unwrap_or(0))
    });
    // BWS, then chunk extensions (RFC 9112 §7.1.1) or nothing.
    let after = digits
        + body[digits..]
            .iter()
            .take_while(|&&b| b == b' ' || b == b'\t')
            .count();
    match body.get(after) {
        None => Ok(size),
        Some(b';') => match body[after..]
            .iter()
            .position(|&b| (b < 0x20 && b != b'\t') || b == 0x7f)
        {
            Some(bad) => Err((
                after + bad,
                format!(
                    "control character {:#04x} in a chunk extension",
                    body[after + bad]
                ),
            )),
            None => Ok(size),
        },
        Some(b) => Err((
            after,
            format!("{b:#04x} after the chunk size, where ';' or CRLF was due"),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Decodes `input` fed in pieces of `step` bytes: the data, and each violation's offset.
    fn decode(input: &[u8], step: usize) -> (Vec<u8>, Vec<(u64, &'static str)>, bool, usize) {
        let mut chunked = Chunked::new(1024, 8);
        let (mut data, mut violations, mut ended) = (Vec::new(), Vec::new(), false);
        let mut taken = 0;
        for piece in input.chunks(step) {
            taken += chunked.push(taken as u64, piece, &mut |c| match c {
                Chunk::Data(at, bytes) => {
                    assert_eq!(&input[at as usize..][..bytes.len()], bytes);
                    data.extend_from_slice(bytes)
                }
                Chunk::Violation(v, _) => violations.push((v.offset, v.rule.id)),
                Chunk::End => ended = true,
            });
            if chunked.finished() {
                break;
            }
        }
        (data, violations, ended, taken)
    }

    #[test]
    fn decodes_chunks_extensions_and_trailer_however_split() {
        let input = b"5;name=value\r\nhello\r\n6 \r\n world\r\nA\r\n0123456789\r\n0\r\nX-Trailer: 1\r\n\r\nGET";
        for step in [1, 2, 3, 7, input.len()] {
            let (data, violations, ended, taken) = decode(input, step);
            assert_eq!(data, b"hello world0123456789", "step {step}");
            assert!(violations.is_empty() && ended);
            assert_eq!(taken, input.len() - 3, "the next message's bytes are left");
        }
    }

    #[test]
    fn bad_lines_fail_at_their_byte() {
        for (input, offset, rule) in [
            (&b"zz\r\n"[..], 0, "http.chunked.size-line"),
            (b"3\r\nabc\r\n4x\r\n", 9, "http.chunked.size-line"),
            (b"3\r\nabcX", 6, "http.chunked.data-crlf"),
            (b"11111111111111111\r\n", 0, "http.chunked.size-line"),
            (b"3;a\x01\r\n", 3, "http.chunked.size-line"),
            (b"0\r\nbad field\r\n\r\n", 3, "http.message.field-line"),
        ] {
            for step in [1, input.len()] {
                let (_, violations, _, _) = decode(input, step);
                assert_eq!(violations, [(offset, rule)], "{input:?}");
            }
        }
        let (_, violations, ..) = decode(&[b'1'; 5000], 100);
        assert_eq!(violations, [(0, "http.message.limits")]);
    }

    #[test]
    fn a_gap_inside_chunk_data_is_skipped() {
        let mut chunked = Chunked::new(64, 8);
        let mut data = Vec::new();
        let mut push = |c: &mut Chunked, at: u64, bytes: &[u8]| {
            c.push(at, bytes, &mut |c| {
                if let Chunk::Data(_, d) = c {
                    data.extend_from_slice(d)
                }
            })
        };
        push(&mut chunked, 0, b"a\r\n01");
        assert!(chunked.skip(4));
        push(&mut chunked, 9, b"6789\r\n0\r\n\r\n");
        assert!(chunked.finished());
        assert!(!chunked.skip(1));
        assert_eq!(data, b"016789");
    }
}
