//! One RTCP packet of any type (RFC 3550 §6.4-§6.7, RFC 4585 §6, RFC 5104 §4.3), and the one
//! writer every type goes through: header, body, and padding when the body is not whole
//! 32-bit words.

use super::app::App;
use super::bye::Bye;
use super::feedback::{FMT_AFB, FMT_FIR, FMT_NACK, FMT_PLI, FMT_TWCC, FeedbackSsrcs, fmt_known};
use super::header::{self, Header};
use super::nack::Nack;
use super::psfb::{Fir, Pli, Remb};
use super::rr::ReceiverReport;
use super::sdes::Sdes;
use super::sr::SenderReport;
use super::twcc::TransportFeedback;
use crate::Error;
use crate::rules::RTCP_FEEDBACK_FMT;
use bytes::Bytes;

/// What every packet type writes: its count field, packet type and body after the header.
pub(crate) trait Body {
    /// The 5-bit count field (report count, source count, FMT or subtype); an error when the
    /// value does not fit.
    fn count(&self) -> Result<u8, Error>;
    /// The packet type octet.
    fn packet_type(&self) -> u8;
    /// Appends the body after the header.
    fn write_body(&self, out: &mut Vec<u8>) -> Result<(), Error>;
}

/// The 5-bit count field for `len` items of a list that holds at most `max` (31).
pub(crate) fn count_of(len: usize, max: usize, what: &str) -> Result<u8, Error> {
    if len > max {
        return Err(Error::usage(format!(
            "{len} {what}; one packet holds at most {max}"
        )));
    }
    Ok(len as u8)
}

/// Runs a body parser on `body` in tests: its result and the violations it found.
#[cfg(test)]
pub(crate) fn parse_body<T>(
    parse: impl FnOnce(&Bytes, &mut Vec<weir_media::Violation>) -> Result<T, Error>,
    body: &[u8],
) -> (Result<T, Error>, Vec<weir_media::Violation>) {
    let mut violations = Vec::new();
    let parsed = parse(&Bytes::copy_from_slice(body), &mut violations);
    (parsed, violations)
}

/// Appends null octets until `out` is whole 32-bit words from `start`.
pub(crate) fn pad_to_word(out: &mut Vec<u8>, start: usize) {
    let pad = (4 - (out.len() - start) % 4) % 4;
    out.resize(out.len() + pad, 0);
}

/// Appends one whole packet: the header, `body`, and (when the body is not whole words)
/// padding with the P bit set and its count in the last octet (RFC 3550 §6.4.1).
pub(crate) fn write_packet(body: &dyn Body, out: &mut Vec<u8>) -> Result<(), Error> {
    let start = out.len();
    let count = body.count()?;
    out.extend_from_slice(&[0; Header::LEN]);
    body.write_body(out)?;
    let pad = (4 - (out.len() - start) % 4) % 4;
    if pad > 0 {
        out.resize(out.len() + pad - 1, 0);
        out.push(pad as u8);
    }
    let words = (out.len() - start) / 4 - 1;
    let length = u16::try_from(words).map_err(|_| {
        out.truncate(start);
        Error::usage(format!(
            "an RTCP packet of {words} words; the length field holds at most 65535"
        ))
    })?;
    let header = Header {
        padding: pad > 0,
        count,
        packet_type: body.packet_type(),
        length,
    };
    out[start..start + Header::LEN].copy_from_slice(&header.to_bytes());
    Ok(())
}

/// A packet kept as it came: a type this crate does not decode (e.g. XR, RFC 3611), a
/// feedback message of another FMT, or one whose body broke a rule (the violation says which).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct RawPacket {
    /// The 5-bit count field.
    pub count: u8,
    /// The packet type.
    pub packet_type: u8,
    /// The body after the header, padding removed.
    pub body: Bytes,
}

impl Body for RawPacket {
    fn count(&self) -> Result<u8, Error> {
        if self.count > 31 {
            return Err(Error::usage(format!(
                "count {} does not fit 5 bits",
                self.count
            )));
        }
        Ok(self.count)
    }

    fn packet_type(&self) -> u8 {
        self.packet_type
    }

    fn write_body(&self, out: &mut Vec<u8>) -> Result<(), Error> {
        out.extend_from_slice(&self.body);
        Ok(())
    }
}

/// One RTCP packet, decoded by type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Packet {
    /// SR, 200 (RFC 3550 §6.4.1).
    SenderReport(SenderReport),
    /// RR, 201 (RFC 3550 §6.4.2).
    ReceiverReport(ReceiverReport),
    /// SDES, 202 (RFC 3550 §6.5).
    Sdes(Sdes),
    /// BYE, 203 (RFC 3550 §6.6).
    Bye(Bye),
    /// APP, 204 (RFC 3550 §6.7).
    App(App),
    /// Generic NACK, RTPFB FMT 1 (RFC 4585 §6.2.1).
    Nack(Nack),
    /// Transport-wide CC feedback, RTPFB FMT 15.
    TransportFeedback(TransportFeedback),
    /// Picture loss indication, PSFB FMT 1 (RFC 4585 §6.3.1).
    Pli(Pli),
    /// Full intra request, PSFB FMT 4 (RFC 5104 §4.3.1).
    Fir(Fir),
    /// Receiver estimated maximum bitrate, PSFB FMT 15 with the 'REMB' identifier.
    Remb(Remb),
    /// Anything else, kept raw (see [`RawPacket`]).
    Raw(RawPacket),
}

impl Packet {
    fn body(&self) -> &dyn Body {
        match self {
            Packet::SenderReport(p) => p,
            Packet::ReceiverReport(p) => p,
            Packet::Sdes(p) => p,
            Packet::Bye(p) => p,
            Packet::App(p) => p,
            Packet::Nack(p) => p,
            Packet::TransportFeedback(p) => p,
            Packet::Pli(p) => p,
            Packet::Fir(p) => p,
            Packet::Remb(p) => p,
            Packet::Raw(p) => p,
        }
    }

    /// The packet type octet this packet is written with.
    pub fn packet_type(&self) -> u8 {
        self.body().packet_type()
    }

    /// Appends the packet's bytes (header, body, padding if the body is not whole words); an
    /// error when a field does not fit its wire size.
    pub fn write(&self, out: &mut Vec<u8>) -> Result<(), Error> {
        write_packet(self.body(), out)
    }

    /// The packet's bytes, as [`write`](Self::write) gives them.
    pub fn to_bytes(&self) -> Result<Vec<u8>, Error> {
        let mut out = Vec::new();
        self.write(&mut out)?;
        Ok(out)
    }

    /// The SSRC of the packet's sender, where the type has one (SR, RR, APP, feedback).
    pub fn sender_ssrc(&self) -> Option<u32> {
        match self {
            Packet::SenderReport(p) => Some(p.ssrc),
            Packet::ReceiverReport(p) => Some(p.ssrc),
            Packet::App(p) => Some(p.ssrc),
            Packet::Nack(p) => Some(p.ssrcs.sender),
            Packet::TransportFeedback(p) => Some(p.ssrcs.sender),
            Packet::Pli(p) => Some(p.ssrcs.sender),
            Packet::Fir(p) => Some(p.ssrcs.sender),
            Packet::Remb(p) => Some(p.ssrcs.sender),
            Packet::Sdes(_) | Packet::Bye(_) | Packet::Raw(_) => None,
        }
    }

    /// Decodes the body of a packet with `header` (padding already removed); offsets in errors
    /// and violations are within `body`; transport-wide CC statuses are taken from
    /// `twcc_budget`. An error leaves the caller to keep the packet raw.
    pub(crate) fn decode(
        header: &Header,
        body: &Bytes,
        twcc_budget: &mut usize,
        violations: &mut Vec<weir_media::Violation>,
    ) -> Result<Packet, Error> {
        let count = header.count;
        if matches!(header.packet_type, header::RTPFB | header::PSFB) {
            FeedbackSsrcs::read(body)?;
        }
        Ok(match header.packet_type {
            header::SR => Packet::SenderReport(SenderReport::parse(count, body, violations)?),
            header::RR => Packet::ReceiverReport(ReceiverReport::parse(count, body, violations)?),
            header::SDES => Packet::Sdes(Sdes::parse(count, body, violations)?),
            header::BYE => Packet::Bye(Bye::parse(count, body, violations)?),
            header::APP => Packet::App(App::parse(count, body, violations)?),
            header::RTPFB if count == FMT_NACK => Packet::Nack(Nack::parse(body)?),
            header::RTPFB if count == FMT_TWCC => {
                Packet::TransportFeedback(TransportFeedback::parse(body, twcc_budget, violations)?)
            }
            header::PSFB if count == FMT_PLI => Packet::Pli(Pli::parse(body, violations)?),
            header::PSFB if count == FMT_FIR => Packet::Fir(Fir::parse(body, violations)?),
            header::PSFB if count == FMT_AFB && Remb::is_remb(body) => {
                Packet::Remb(Remb::parse(body, violations)?)
            }
            packet_type => {
                if !fmt_known(packet_type, count) {
                    violations.push(weir_media::Violation::new(
                        &RTCP_FEEDBACK_FMT,
                        0,
                        format!("FMT {count} is not registered for packet type {packet_type}"),
                    ));
                }
                Packet::Raw(RawPacket {
                    count,
                    packet_type,
                    body: body.clone(),
                })
            }
        })
    }
}
