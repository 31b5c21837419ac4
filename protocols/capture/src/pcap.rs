//! pcap and pcapng files as a stream of [`Packet`]s, through the `pcap-parser` crate.
//!
//! The reader holds one block at a time in a bounded buffer, so a capture larger than memory
//! works. A pcapng file may hold several sections and interfaces, each with its own link type
//! and timestamp resolution (`if_tsresol`, pcapng draft §4.2); every packet carries its own.
//! A truncated or corrupt file ends the stream with a [`CaptureError`] naming the byte offset
//! of the block that could not be read.
//!
//! A capture already in memory (a mapped file) is read in place instead
//! ([`CaptureReader::from_bytes`]): the same block parsers on the whole buffer, each packet a
//! view of it rather than a copy, and the same packets and errors as the streamed reader.

use std::io::{Cursor, Read};
use std::time::Duration;

use bytes::Bytes;
use pcap_parser::nom;
use pcap_parser::pcapng::{Block, parse_block_be, parse_block_le, parse_sectionheaderblock};
use pcap_parser::traits::{PcapNGPacketBlock, PcapReaderIterator};
use pcap_parser::{
    LegacyPcapBlock, PcapBlockOwned, PcapError, parse_pcap_frame, parse_pcap_frame_be,
    parse_pcap_frame_modified, parse_pcap_header,
};

use super::LinkType;

/// The buffer the reader starts with; it grows (up to [`MAX_BLOCK`]) for larger blocks. Each
/// refill is one `read` into it: a megabyte makes few system calls, so that the source needs
/// no buffer of its own (whose copy of every byte cost more than the calls it saved).
const INITIAL_BUFFER: usize = 1 << 20;
/// What is read before the file header is parsed: enough for any section header block.
const HEAD: usize = 1 << 16;
/// The largest block accepted: far above any real snap length (262144), small enough that a
/// corrupt length cannot make the reader allocate without bound.
const MAX_BLOCK: usize = 16 << 20;
/// Interfaces one pcapng section may declare.
const MAX_INTERFACES: usize = 4_096;

/// One captured frame.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Packet {
    /// 1-based position in the file, as tshark's `frame.number`.
    pub index: u64,
    /// Capture time since the Unix epoch.
    pub time: Duration,
    /// The link type of the interface that captured it.
    pub link_type: LinkType,
    /// Length on the wire; `data` is shorter when the capture was cut at the snap length.
    pub original_len: u32,
    pub data: Bytes,
}

/// A capture that cannot be read further.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("capture unreadable at byte {offset}: {what}")]
pub struct CaptureError {
    /// Offset in the file of the block (or header) that could not be read.
    pub offset: u64,
    pub what: String,
}

/// How one interface stamps time.
#[derive(Debug, Clone, Copy)]
struct Interface {
    link_type: LinkType,
    /// Timestamp units per second.
    units_per_second: u64,
    /// Seconds added to every timestamp (pcapng `if_tsoffset`).
    offset_seconds: i64,
}

/// pcap and pcapng packets from any `Read`, or from a buffer holding the whole file.
pub struct CaptureReader<'r> {
    source: Source<'r>,
    state: State,
    done: bool,
}

enum Source<'r> {
    /// Blocks read into pcap-parser's buffer, whose capacity grows up to [`MAX_BLOCK`].
    Stream {
        inner: Box<dyn PcapReaderIterator + 'r>,
        capacity: usize,
    },
    /// Blocks parsed in place from the whole file.
    Whole(Whole),
}

/// A whole capture in memory and how far it has been read.
struct Whole {
    bytes: Bytes,
    offset: usize,
    format: Format,
}

type LegacyParse = fn(&[u8]) -> nom::IResult<&[u8], LegacyPcapBlock<'_>, PcapError<&[u8]>>;

#[derive(Clone, Copy)]
enum Format {
    Legacy(LegacyParse),
    /// pcapng; the byte order is the current section's.
    Ng {
        big_endian: bool,
    },
}

/// What the reader learnt from the blocks so far.
#[derive(Debug, Default)]
struct State {
    /// Interfaces of the current pcapng section, or the one legacy pcap "interface".
    interfaces: Vec<Interface>,
    index: u64,
    last_time: Duration,
}

impl<'r> CaptureReader<'r> {
    /// Opens a pcap or pcapng stream (told apart by its first bytes).
    pub fn new(mut reader: impl Read + 'r) -> Result<Self, CaptureError> {
        // `create_reader` looks at what one `read` returns: make sure that holds a whole file
        // header (a pcapng section header may carry long options) even when the source hands
        // out a few bytes at a time.
        let mut head = Vec::new();
        (&mut reader)
            .take(HEAD as u64)
            .read_to_end(&mut head)
            .map_err(|e| error(0, format!("read failed: {e}")))?;
        if head.is_empty() {
            return Err(error(0, "empty file".into()));
        }
        let source = Cursor::new(head).chain(reader);
        let inner = pcap_parser::create_reader(INITIAL_BUFFER, source).map_err(|e| {
            let what = match e {
                PcapError::HeaderNotRecognized => "not a pcap or pcapng file".into(),
                PcapError::Incomplete(_) | PcapError::UnexpectedEof => {
                    "file header truncated".into()
                }
                other => format!("file header unreadable ({other:?})"),
            };
            error(0, what)
        })?;
        Ok(CaptureReader {
            source: Source::Stream {
                inner,
                capacity: INITIAL_BUFFER,
            },
            state: State::default(),
            done: false,
        })
    }

    /// Reads a pcap or pcapng file held whole in `bytes`: each packet's data is a view of
    /// `bytes` (so a packet kept keeps the buffer), none is copied. Packets and errors are
    /// those [`CaptureReader::new`] gives for the same bytes.
    pub fn from_bytes(bytes: Bytes) -> Result<Self, CaptureError> {
        if bytes.is_empty() {
            return Err(error(0, "empty file".into()));
        }
        let mut state = State::default();
        let (format, offset) = if parse_sectionheaderblock(&bytes).is_ok() {
            (Format::Ng { big_endian: false }, 0)
        } else {
            let header = match parse_pcap_header(&bytes) {
                Ok((_, header)) => header,
                Err(nom::Err::Incomplete(_)) => {
                    return Err(error(0, "file header truncated".into()));
                }
                Err(_) => return Err(error(0, "not a pcap or pcapng file".into())),
            };
            let parse: LegacyParse = if header.is_modified_format() {
                parse_pcap_frame_modified
            } else if header.is_bigendian() {
                parse_pcap_frame_be
            } else {
                parse_pcap_frame
            };
            let size = header.size();
            // The header declares the file's one interface; it holds no packet.
            state
                .packet(PcapBlockOwned::from(header), &Bytes::copy_from_slice)
                .map_err(|what| error(0, what))?;
            (Format::Legacy(parse), size)
        };
        Ok(CaptureReader {
            source: Source::Whole(Whole {
                bytes,
                offset,
                format,
            }),
            state,
            done: false,
        })
    }

    /// Bytes of the file consumed so far.
    pub fn offset(&self) -> u64 {
        match &self.source {
            Source::Stream { inner, .. } => inner.consumed() as u64,
            Source::Whole(whole) => whole.offset as u64,
        }
    }
}

impl State {
    /// The packet in `block`, if it holds one; interface and section blocks update state.
    /// `data` turns the packet's bytes into its [`Bytes`] (a copy, or a view of the file).
    fn packet(
        &mut self,
        block: PcapBlockOwned<'_>,
        data: &dyn Fn(&[u8]) -> Bytes,
    ) -> Result<Option<Packet>, String> {
        let (interface, time, original_len, data) = match block {
            PcapBlockOwned::LegacyHeader(header) => {
                self.interfaces = vec![Interface {
                    link_type: LinkType(header.network.0 as u32),
                    units_per_second: if header.is_nanosecond_precision() {
                        1_000_000_000
                    } else {
                        1_000_000
                    },
                    // `thiszone` is always 0 in practice, and readers ignore it.
                    offset_seconds: 0,
                }];
                return Ok(None);
            }
            PcapBlockOwned::Legacy(frame) => {
                let interface = self.interface(0)?;
                let units =
                    u64::from(frame.ts_sec) * interface.units_per_second + u64::from(frame.ts_usec);
                (interface, units, frame.origlen, data(frame.data))
            }
            PcapBlockOwned::NG(Block::SectionHeader(_)) => {
                self.interfaces.clear();
                return Ok(None);
            }
            PcapBlockOwned::NG(Block::InterfaceDescription(idb)) => {
                if self.interfaces.len() >= MAX_INTERFACES {
                    return Err(format!(
                        "more than {MAX_INTERFACES} interfaces in one section"
                    ));
                }
                self.interfaces.push(Interface {
                    link_type: LinkType(u32::from(idb.linktype.0 as u16)),
                    units_per_second: units_per_second(idb.if_tsresol),
                    offset_seconds: idb.if_tsoffset,
                });
                return Ok(None);
            }
            PcapBlockOwned::NG(Block::EnhancedPacket(epb)) => {
                let interface = self.interface(epb.if_id)?;
                let units = (u64::from(epb.ts_high) << 32) | u64::from(epb.ts_low);
                (interface, units, epb.origlen, data(epb.packet_data()))
            }
            PcapBlockOwned::NG(Block::SimplePacket(spb)) => {
                // A simple packet block has no timestamp: it inherits the previous packet's.
                let interface = self.interface(0)?;
                let units = time_units(self.last_time, interface.units_per_second);
                (interface, units, spb.origlen, data(spb.packet_data()))
            }
            PcapBlockOwned::NG(_) => return Ok(None),
        };
        let time = to_duration(time, interface);
        self.last_time = time;
        self.index += 1;
        Ok(Some(Packet {
            index: self.index,
            time,
            link_type: interface.link_type,
            original_len,
            data,
        }))
    }

    fn interface(&self, id: u32) -> Result<Interface, String> {
        self.interfaces.get(id as usize).copied().ok_or_else(|| {
            format!(
                "packet names interface {id}, but {} were declared",
                self.interfaces.len()
            )
        })
    }
}

impl Iterator for CaptureReader<'_> {
    type Item = Result<Packet, CaptureError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        let next = match &mut self.source {
            Source::Stream { inner, capacity } => {
                next_streamed(inner.as_mut(), capacity, &mut self.state)
            }
            Source::Whole(whole) => whole.next(&mut self.state),
        };
        match next {
            Ok(packet) => {
                self.done = packet.is_none();
                packet.map(Ok)
            }
            Err(what) => {
                self.done = true;
                Some(Err(error(self.offset(), what)))
            }
        }
    }
}

/// The next packet of a streamed capture (`None` at its end); an error says why the capture
/// cannot be read further from the block at the reader's offset.
fn next_streamed(
    inner: &mut (dyn PcapReaderIterator + '_),
    capacity: &mut usize,
    state: &mut State,
) -> Result<Option<Packet>, String> {
    loop {
        match inner.next() {
            Ok((len, block)) => {
                let packet = state.packet(block, &Bytes::copy_from_slice);
                inner.consume(len);
                match packet {
                    Ok(None) => {}
                    packet => return packet,
                }
            }
            Err(PcapError::Eof) => return Ok(None),
            Err(PcapError::Incomplete(_)) => {
                let before = inner.data().len();
                if let Err(e) = inner.refill() {
                    return Err(format!("read failed ({e:?})"));
                }
                // A full buffer that still holds no whole block: make room.
                if inner.data().len() == before
                    && !inner.reader_exhausted()
                    && !grow(inner, capacity)
                {
                    return Err(too_large());
                }
            }
            Err(PcapError::BufferTooSmall) => {
                if !grow(inner, capacity) {
                    return Err(too_large());
                }
                if let Err(e) = inner.refill() {
                    return Err(format!("read failed ({e:?})"));
                }
            }
            Err(PcapError::UnexpectedEof) => return Err(truncated()),
            Err(e) => return Err(unreadable(e)),
        }
    }
}

fn grow(inner: &mut (dyn PcapReaderIterator + '_), capacity: &mut usize) -> bool {
    if *capacity >= MAX_BLOCK {
        return false;
    }
    *capacity = (*capacity * 2).min(MAX_BLOCK);
    inner.grow(*capacity)
}

impl Whole {
    /// The next packet in place, with the streamed reader's errors: a block the file ends
    /// inside is a truncated capture, unless [`MAX_BLOCK`] bytes or more are left, which the
    /// streamed reader reports as a block too large for its buffer.
    fn next(&mut self, state: &mut State) -> Result<Option<Packet>, String> {
        loop {
            let rest = self.bytes.get(self.offset..).unwrap_or_default();
            if rest.is_empty() {
                return Ok(None);
            }
            let parsed = match self.format {
                Format::Legacy(parse) => {
                    parse(rest).map(|(left, block)| (left.len(), PcapBlockOwned::from(block)))
                }
                Format::Ng { big_endian } => {
                    let parse = if big_endian {
                        parse_block_be
                    } else {
                        parse_block_le
                    };
                    parse(rest).map(|(left, block)| {
                        if let Block::SectionHeader(shb) = &block {
                            self.format = Format::Ng {
                                big_endian: shb.big_endian(),
                            };
                        }
                        (left.len(), PcapBlockOwned::from(block))
                    })
                }
            };
            let (left, block) = match parsed {
                Ok(parsed) => parsed,
                Err(nom::Err::Incomplete(_)) if rest.len() >= MAX_BLOCK => {
                    return Err(too_large());
                }
                Err(nom::Err::Incomplete(_)) => return Err(truncated()),
                Err(nom::Err::Error(e) | nom::Err::Failure(e)) => return Err(unreadable(e)),
            };
            let len = rest.len() - left;
            if len >= MAX_BLOCK {
                return Err(too_large());
            }
            let bytes = &self.bytes;
            let packet = state.packet(block, &|data| bytes.slice_ref(data));
            // As the streamed reader, which consumes a block before judging it.
            self.offset += len;
            if let Some(packet) = packet? {
                return Ok(Some(packet));
            }
        }
    }
}

fn too_large() -> String {
    format!("block larger than {MAX_BLOCK} bytes")
}

fn truncated() -> String {
    "file ends inside a block (truncated capture)".into()
}

fn unreadable(e: PcapError<&[u8]>) -> String {
    match e {
        PcapError::NomError(_, kind) => format!("corrupt block ({kind:?})"),
        PcapError::OwnedNomError(_, kind) => format!("corrupt block ({kind:?})"),
        other => format!("unreadable block ({other:?})"),
    }
}

fn error(offset: u64, what: String) -> CaptureError {
    CaptureError { offset, what }
}

/// `if_tsresol` (pcapng §4.2): high bit clear, a power of ten; set, a power of two.
/// Microseconds, the default, for a value that does not fit 64 bits.
fn units_per_second(tsresol: u8) -> u64 {
    let exponent = u32::from(tsresol & 0x7f);
    let units = if tsresol & 0x80 == 0 {
        10u64.checked_pow(exponent)
    } else {
        1u64.checked_shl(exponent).filter(|_| exponent < 64)
    };
    units.filter(|&u| u > 0).unwrap_or(1_000_000)
}

fn to_duration(units: u64, interface: Interface) -> Duration {
    let per_second = interface.units_per_second;
    let seconds = (units / per_second).saturating_add_signed(interface.offset_seconds);
    let fraction = u128::from(units % per_second) * 1_000_000_000 / u128::from(per_second);
    Duration::from_secs(seconds) + Duration::from_nanos(fraction as u64)
}

fn time_units(time: Duration, per_second: u64) -> u64 {
    let units = time.as_nanos() * u128::from(per_second) / 1_000_000_000;
    u64::try_from(units).unwrap_or(u64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tsresol_powers_of_ten_and_two() {
        assert_eq!(units_per_second(6), 1_000_000);
        assert_eq!(units_per_second(9), 1_000_000_000);
        assert_eq!(units_per_second(0x80 | 10), 1024);
        assert_eq!(units_per_second(0x80 | 70), 1_000_000);
        assert_eq!(units_per_second(20), 1_000_000);
    }

    #[test]
    fn legacy_header_only_gives_no_packet() {
        let header = legacy_header(1);
        let packets: Vec<_> = CaptureReader::new(&header[..]).unwrap().collect();
        assert!(packets.is_empty());
    }

    #[test]
    fn truncated_record_names_its_offset() {
        let mut file = legacy_header(1);
        file.extend_from_slice(&record(1, 5, &[0xAA; 10]));
        file.extend_from_slice(&record(2, 0, &[0xBB; 40])[..30]);
        let results: Vec<_> = CaptureReader::new(&file[..]).unwrap().collect();
        assert_eq!(results.len(), 2);
        let first = results[0].as_ref().unwrap();
        assert_eq!(first.index, 1);
        assert_eq!(first.time, Duration::new(1, 5_000));
        assert_eq!(first.data.as_ref(), &[0xAA; 10]);
        let err = results[1].as_ref().unwrap_err();
        assert_eq!(err.offset, 24 + 16 + 10, "{err}");
        assert!(err.what.contains("truncated"), "{err}");
    }

    #[test]
    fn not_a_capture() {
        let err = CaptureReader::new(&b"hello, this is not a capture file at all"[..])
            .err()
            .unwrap();
        assert_eq!(err.offset, 0);
        assert_eq!(err.what, "not a pcap or pcapng file");
        assert_eq!(
            CaptureReader::new(&b""[..]).err().unwrap().what,
            "empty file"
        );
    }

    #[test]
    fn huge_record_length_is_an_error_not_an_allocation() {
        let mut file = legacy_header(1);
        let mut rec = record(1, 0, &[0; 4]);
        rec[8..12].copy_from_slice(&u32::MAX.to_le_bytes());
        file.extend_from_slice(&rec);
        let results: Vec<_> = CaptureReader::new(&file[..]).unwrap().collect();
        assert_eq!(results.len(), 1);
        assert_eq!(results[0].as_ref().unwrap_err().offset, 24);
    }

    /// Every packet and error (with offsets) of `file`, read streamed and read in place.
    fn both_ways(file: &[u8]) -> [Vec<Result<Packet, CaptureError>>; 2] {
        let streamed = match CaptureReader::new(file) {
            Ok(reader) => reader.collect(),
            Err(e) => vec![Err(e)],
        };
        let whole = match CaptureReader::from_bytes(Bytes::copy_from_slice(file)) {
            Ok(reader) => reader.collect(),
            Err(e) => vec![Err(e)],
        };
        [streamed, whole]
    }

    #[test]
    fn in_place_reading_gives_the_streamed_packets_and_errors() {
        let mut good = legacy_header(1);
        good.extend_from_slice(&record(1, 5, &[0xAA; 10]));
        good.extend_from_slice(&record(2, 0, &[0xBB; 40]));
        let mut truncated = good.clone();
        truncated.truncate(truncated.len() - 7);
        let mut huge = legacy_header(1);
        let mut rec = record(1, 0, &[0; 4]);
        rec[8..12].copy_from_slice(&u32::MAX.to_le_bytes());
        huge.extend_from_slice(&rec);
        let mut big_endian = good.clone();
        big_endian[..4].reverse();
        let files: [&[u8]; 8] = [
            &good,
            &truncated,
            &huge,
            &big_endian,
            &good[..24],
            &good[..10],
            b"hello, this is not a capture file at all",
            b"",
        ];
        for file in files {
            let [streamed, whole] = both_ways(file);
            assert_eq!(streamed, whole, "{file:02x?}");
        }
        let [_, whole] = both_ways(&good);
        assert_eq!(whole.len(), 2);
        assert_eq!(whole[1].as_ref().unwrap().data.as_ref(), &[0xBB; 40]);
    }

    /// A little-endian microsecond pcap file header (pcap §4).
    pub(crate) fn legacy_header(link_type: u32) -> Vec<u8> {
        let mut out = crate::write::PcapWriter::new().into_bytes();
        out[20..24].copy_from_slice(&link_type.to_le_bytes());
        out
    }

    pub(crate) fn record(seconds: u32, micros: u32, data: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        out.extend_from_slice(&seconds.to_le_bytes());
        out.extend_from_slice(&micros.to_le_bytes());
        out.extend_from_slice(&(data.len() as u32).to_le_bytes());
        out.extend_from_slice(&(data.len() as u32).to_le_bytes());
        out.extend_from_slice(data);
        out
    }
}
