//! A compound RTCP packet: one datagram holding one or more RTCP packets back to back (RFC 3550
//! §6.1), validated as §A.2 says a receiver checks it, or a lone feedback packet under
//! reduced-size RTCP (RFC 5506 §3.4).
//!
//! ```
//! use bytes::Bytes;
//! use weir_rtp::rtcp::{self, Options, Packet, ReceiverReport, Sdes, SdesChunk, SdesItem};
//! let packets = vec![
//!     Packet::ReceiverReport(ReceiverReport { ssrc: 1, ..Default::default() }),
//!     Packet::Sdes(Sdes {
//!         chunks: vec![SdesChunk { ssrc: 1, items: vec![SdesItem::Cname(Bytes::from_static(b"a"))] }],
//!     }),
//! ];
//! let datagram = Bytes::from(rtcp::to_bytes(&packets).unwrap());
//! let compound = rtcp::parse(&datagram, &Options::default()).unwrap();
//! assert_eq!((compound.packets, compound.violations), (packets, vec![]));
//! ```

use super::header::{self, Header};
use super::packet::{Packet, RawPacket};
use crate::Error;
use crate::rules::{
    RTCP_BYE_LAST, RTCP_CNAME, RTCP_FIRST_PACKET, RTCP_LENGTH, RTCP_PADDING, RTCP_PADDING_LAST,
};
use bytes::Bytes;
use std::collections::HashSet;
use weir_media::Violation;

/// How a receiver reads compound packets: what was negotiated and its own limits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Options {
    /// Reduced-size RTCP was negotiated (RFC 5506, `a=rtcp-rsize`): a datagram may hold any
    /// packets, e.g. a lone feedback message, with no report first and no CNAME.
    pub reduced_size: bool,
    /// The most transport-wide CC packet statuses decoded from one datagram in all (each
    /// costs memory, while a run-length chunk announces 8191 of them in two bytes).
    pub max_twcc_statuses: usize,
}

impl Default for Options {
    /// Full compound packets as RFC 3550 has them; 32768 TWCC statuses per datagram.
    fn default() -> Self {
        Options {
            reduced_size: false,
            max_twcc_statuses: 1 << 15,
        }
    }
}

/// A parsed datagram: its packets in order and the rules they broke.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Compound {
    /// The packets, in datagram order; one whose body broke a rule is kept raw.
    pub packets: Vec<Packet>,
    /// Rules broken, with byte offsets within the datagram.
    pub violations: Vec<Violation>,
}

impl Compound {
    /// The datagram's bytes, as [`to_bytes`] writes them.
    pub fn to_bytes(&self) -> Result<Vec<u8>, Error> {
        to_bytes(&self.packets)
    }
}

/// Appends `packets` back to back: one compound packet.
pub fn write(packets: &[Packet], out: &mut Vec<u8>) -> Result<(), Error> {
    packets.iter().try_for_each(|packet| packet.write(out))
}

/// The bytes of one compound packet of `packets`.
pub fn to_bytes(packets: &[Packet]) -> Result<Vec<u8>, Error> {
    let mut out = Vec::new();
    write(packets, &mut out)?;
    Ok(out)
}

/// Reads one datagram of RTCP. A version other than 2 or a length field that leaves the
/// datagram is an error (RFC 3550 §A.2: the datagram cannot be split into packets); a packet
/// whose body breaks a rule is kept raw with a violation, and the compound rules (report
/// first, a CNAME, padding only last, nothing after a source's BYE) are violations.
pub fn parse(datagram: &Bytes, options: &Options) -> Result<Compound, Error> {
    if datagram.is_empty() {
        return Err(Error::rule(
            &RTCP_LENGTH,
            0,
            "an empty datagram holds no RTCP packet",
        ));
    }
    let mut compound = Compound::default();
    let violations = &mut compound.violations;
    let mut twcc_budget = options.max_twcc_statuses;
    let mut starts = Vec::new();
    let mut at = 0;
    while at < datagram.len() {
        let header = Header::parse(&datagram[at..]).map_err(|e| e.shifted(at as u64))?;
        let len = header.packet_len();
        let left = datagram.len() - at;
        if len > left {
            return Err(Error::rule(
                &RTCP_LENGTH,
                at as u64 + 2,
                format!(
                    "a length field of {} words ({len} bytes) with {left} bytes left",
                    header.length
                ),
            ));
        }
        let last = len == left;
        let mut body_end = len;
        if header.padding {
            if !last {
                violations.push(Violation::new(
                    &RTCP_PADDING_LAST,
                    at as u64,
                    format!(
                        "packet type {} has the padding bit set but is not last",
                        header.packet_type
                    ),
                ));
            }
            let pad = usize::from(datagram[at + len - 1]);
            if pad == 0 || pad > len - Header::LEN {
                violations.push(Violation::new(
                    &RTCP_PADDING,
                    (at + len - 1) as u64,
                    format!("a padding count of {pad} in a packet of {len} bytes; kept as body"),
                ));
            } else {
                body_end = len - pad;
                let twcc = header.packet_type == header::RTPFB && header.count == 15;
                if !(body_end - Header::LEN).is_multiple_of(4) && !twcc {
                    violations.push(Violation::new(
                        &RTCP_PADDING,
                        (at + len - 1) as u64,
                        format!(
                            "{pad} octets of padding leave a body of {} bytes, not whole words",
                            body_end - Header::LEN
                        ),
                    ));
                }
            }
        }
        let body = datagram.slice(at + Header::LEN..at + body_end);
        let body_at = (at + Header::LEN) as u64;
        let mut found = Vec::new();
        let packet =
            Packet::decode(&header, &body, &mut twcc_budget, &mut found).unwrap_or_else(|e| {
                found.push(e.into_violation().unwrap_or_else(|| {
                    Violation::new(&RTCP_LENGTH, 0, "a body that could not be read")
                }));
                Packet::Raw(RawPacket {
                    count: header.count,
                    packet_type: header.packet_type,
                    body,
                })
            });
        // Body offsets become the datagram's.
        violations.extend(found.into_iter().map(|v| Violation {
            offset: v.offset + body_at,
            ..v
        }));
        compound.packets.push(packet);
        starts.push(at);
        at += len;
    }
    check_compound(&mut compound, &starts, options);
    Ok(compound)
}

/// The rules on the packets together: a report first and a CNAME (unless reduced-size),
/// nothing from a source after its BYE.
fn check_compound(compound: &mut Compound, starts: &[usize], options: &Options) {
    let Compound {
        packets,
        violations,
    } = compound;
    if !options.reduced_size {
        let first = packets[0].packet_type();
        if first != header::SR && first != header::RR {
            violations.push(Violation::new(
                &RTCP_FIRST_PACKET,
                0,
                format!("the compound packet starts with packet type {first}, not an SR or RR"),
            ));
        }
        let cname = packets
            .iter()
            .any(|p| matches!(p, Packet::Sdes(sdes) if sdes.cname().is_some()));
        if !cname {
            violations.push(Violation::new(
                &RTCP_CNAME,
                0,
                "no SDES packet with a CNAME item in the compound packet",
            ));
        }
    }
    let mut gone = HashSet::new();
    for (packet, &at) in packets.iter().zip(starts) {
        if let Some(ssrc) = packet.sender_ssrc().filter(|ssrc| gone.contains(ssrc)) {
            violations.push(Violation::new(
                &RTCP_BYE_LAST,
                at as u64,
                format!(
                    "a packet of type {} from SSRC {ssrc:#010x} after its BYE",
                    packet.packet_type()
                ),
            ));
        }
        if let Packet::Bye(bye) = packet {
            gone.extend(bye.sources.iter().copied());
        }
    }
}
