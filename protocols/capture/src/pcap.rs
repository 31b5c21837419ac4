//! pcap and pcapng files as a stream of [`Packet`]s, through the `pcap-parser` crate.
//!
//! The reader holds one block at a time in a bounded buffer, so a capture larger than memory
//! works. A pcapng file may hold several sections and interfaces, each with its own link type
//! and timestamp resolution (`if_tsresol`, pcapng draft §4.2); every packet carries its own.
//! A truncated or corrupt file ends the stream with a [`CaptureError`] naming the byte offset
//! of the block that could not be read.

use std::io::{Cursor, Read};
use std::time::Duration;

use bytes::Bytes;
use pcap_parser::pcapng::Block;
use pcap_parser::traits::{PcapNGPacketBlock, PcapReaderIterator};
use pcap_parser::{PcapBlockOwned, PcapError};

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

/// pcap and pcapng packets from any `Read`.
pub struct CaptureReader<'r> {
    inner: Box<dyn PcapReaderIterator + 'r>,
    capacity: usize,
    state: State,
    done: bool,
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
            inner,
            capacity: INITIAL_BUFFER,
            state: State::default(),
            done: false,
        })
    }

    /// Bytes of the file consumed so far.
    pub fn offset(&self) -> u64 {
        self.inner.consumed() as u64
    }

    fn fail(&mut self, what: String) -> Option<Result<Packet, CaptureError>> {
        self.done = true;
        Some(Err(error(self.offset(), what)))
    }
}

impl State {
    /// The packet in `block`, if it holds one; interface and section blocks update state.
    fn packet(&mut self, block: PcapBlockOwned<'_>) -> Result<Option<Packet>, String> {
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
                (
                    interface,
                    units,
                    frame.origlen,
                    Bytes::copy_from_slice(frame.data),
                )
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
                (
                    interface,
                    units,
                    epb.origlen,
                    Bytes::copy_from_slice(epb.packet_data()),
                )
            }
            PcapBlockOwned::NG(Block::SimplePacket(spb)) => {
                // A simple packet block has no timestamp: it inherits the previous packet's.
                let interface = self.interface(0)?;
                let units = time_units(self.last_time, interface.units_per_second);
                (
                    interface,
                    units,
                    spb.origlen,
                    Bytes::copy_from_slice(spb.packet_data()),
                )
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
        while !self.done {
            match self.inner.next() {
                Ok((len, block)) => {
                    let packet = self.state.packet(block);
                    self.inner.consume(len);
                    match packet {
                        Ok(Some(packet)) => return Some(Ok(packet)),
                        Ok(None) => {}
                        Err(what) => return self.fail(what),
                    }
                }
                Err(PcapError::Eof) => self.done = true,
                Err(PcapError::Incomplete(_)) => {
                    let before = self.inner.data().len();
                    if let Err(e) = self.inner.refill() {
                        let what = format!("read failed ({e:?})");
                        return self.fail(what);
                    }
                    // A full buffer that still holds no whole block: make room.
                    if self.inner.data().len() == before
                        && !self.inner.reader_exhausted()
                        && !self.grow()
                    {
                        return self.fail(format!("block larger than {MAX_BLOCK} bytes"));
                    }
                }
                Err(PcapError::BufferTooSmall) => {
                    if !self.grow() {
                        return self.fail(format!("block larger than {MAX_BLOCK} bytes"));
                    }
                    if let Err(e) = self.inner.refill() {
                        let what = format!("read failed ({e:?})");
                        return self.fail(what);
                    }
                }
                Err(PcapError::UnexpectedEof) => {
                    return self.fail("file ends inside a block (truncated capture)".into());
                }
                Err(e) => {
                    let what = match e {
                        PcapError::NomError(_, kind) => format!("corrupt block ({kind:?})"),
                        PcapError::OwnedNomError(_, kind) => format!("corrupt block ({kind:?})"),
                        other => format!("unreadable block ({other:?})"),
                    };
                    return self.fail(what);
                }
            }
        }
        None
    }
}

impl CaptureReader<'_> {
    fn grow(&mut self) -> bool {
        if self.capacity >= MAX_BLOCK {
            return false;
        }
        self.capacity = (self.capacity * 2).min(MAX_BLOCK);
        self.inner.grow(self.capacity)
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
