//! The ACK control packet's body (draft-sharabayko-srt-01 §3.2.4): the light ACK (one word),
//! the small ACK (four words) and the full ACK (six words, seven since libsrt 1.0.1 with the
//! receiving rate in bytes).
//!
//! ```text
//! |            Last Acknowledged Packet Sequence Number           |   light
//! |                              RTT                              |
//! |                          RTT Variance                         |
//! |                     Available Buffer Size                     |   small
//! |                     Packets Receiving Rate                    |
//! |                     Estimated Link Capacity                   |   full (6 words)
//! |                         Receiving Rate                        |   full (7 words)
//! ```

use crate::rules::{ACK_LENGTH, ACK_SEQUENCE};
use crate::seq::SeqNumber;
use bytes::{BufMut, BytesMut};
use weir_media::{Error, Reader, Violation};

/// An acknowledgement (draft §3.2.4).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Ack {
    /// The ACK number (the type-specific field) the peer's ACKACK echoes; 0 in a light ACK.
    pub ack_number: u32,
    /// The sequence number after the last packet received in order.
    pub last_ack: SeqNumber,
    /// RTT and buffer: absent in a light ACK.
    pub timing: Option<AckTiming>,
    /// Rates: in a full ACK only (written only with `timing`).
    pub rates: Option<AckRates>,
}

/// The small ACK's fields after the sequence number.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct AckTiming {
    /// Round-trip time, microseconds.
    pub rtt: u32,
    /// Round-trip time variance, microseconds.
    pub rtt_variance: u32,
    /// Free space in the receiver's buffer, packets.
    pub available_buffer: u32,
}

/// The full ACK's rates.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct AckRates {
    /// Packets received per second.
    pub packet_rate: u32,
    /// Estimated link capacity, packets per second.
    pub link_capacity: u32,
    /// Bytes received per second (absent from six-word full ACKs of older peers).
    pub receive_rate: Option<u32>,
}

impl Ack {
    /// A light ACK: the sequence number only.
    pub fn light(last_ack: SeqNumber) -> Self {
        Ack {
            ack_number: 0,
            last_ack,
            timing: None,
            rates: None,
        }
    }

    /// Parses a body of 1, 4, 6 or 7 words; `ack_number` is the header's type-specific field.
    pub fn parse(
        ack_number: u32,
        body: &[u8],
        violations: &mut Vec<Violation>,
    ) -> Result<Self, Error> {
        let mut r = Reader::new(body, &ACK_LENGTH);
        if !matches!(body.len(), 4 | 16 | 24 | 28) {
            return Err(r.error(format!(
                "an ACK body of {} bytes (light 4, small 16, full 24 or 28)",
                body.len()
            )));
        }
        let raw = r.u32("last acknowledged sequence number")?;
        if raw & 0x8000_0000 != 0 {
            violations.push(Violation::new(
                &ACK_SEQUENCE,
                0,
                format!("acknowledged sequence number {raw:#x} has the top bit set"),
            ));
        }
        let mut ack = Ack {
            ack_number,
            last_ack: SeqNumber::new(raw),
            timing: None,
            rates: None,
        };
        if body.len() >= 16 {
            ack.timing = Some(AckTiming {
                rtt: r.u32("RTT")?,
                rtt_variance: r.u32("RTT variance")?,
                available_buffer: r.u32("available buffer size")?,
            });
        }
        if body.len() >= 24 {
            ack.rates = Some(AckRates {
                packet_rate: r.u32("packets receiving rate")?,
                link_capacity: r.u32("estimated link capacity")?,
                receive_rate: if r.is_empty() {
                    None
                } else {
                    Some(r.u32("receiving rate")?)
                },
            });
        }
        Ok(ack)
    }

    /// Appends the body (not the header).
    pub fn write(&self, out: &mut BytesMut) {
        out.put_u32(self.last_ack.get());
        let Some(timing) = self.timing else { return };
        out.put_u32(timing.rtt);
        out.put_u32(timing.rtt_variance);
        out.put_u32(timing.available_buffer);
        let Some(rates) = self.rates else { return };
        out.put_u32(rates.packet_rate);
        out.put_u32(rates.link_capacity);
        if let Some(rate) = rates.receive_rate {
            out.put_u32(rate);
        }
    }
}
