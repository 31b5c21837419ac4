//! The sender report (RFC 3550 §6.4.1): an active sender's SSRC, its sender info (NTP and RTP
//! timestamps of one instant, packet and octet counts), its reception report blocks and any
//! profile-specific extension.

use super::header::SR;
use super::packet::Body;
use super::report_block::{ReportBlock, read_reports, report_count, write_reports};
use crate::Error;
use crate::rules::RTCP_REPORT_COUNT;
use bytes::Bytes;
use weir_media::{Reader, Violation};

/// One SR packet.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SenderReport {
    /// The sender's SSRC.
    pub ssrc: u32,
    /// The wallclock time of the report as a 64-bit NTP timestamp (seconds since 1900 in the
    /// upper 32 bits, the fraction in the lower).
    pub ntp_timestamp: u64,
    /// The same instant on the RTP timestamp clock of the sender's stream.
    pub rtp_timestamp: u32,
    /// RTP data packets sent since the sender started.
    pub packet_count: u32,
    /// Payload octets sent since the sender started.
    pub octet_count: u32,
    /// The reception report blocks (at most 31).
    pub reports: Vec<ReportBlock>,
    /// Profile-specific extension after the report blocks (whole 32-bit words), kept as is.
    pub extension: Bytes,
}

impl SenderReport {
    /// The middle 32 bits of the NTP timestamp: what a receiver echoes as LSR (§6.4.1).
    pub fn ntp_middle(&self) -> u32 {
        (self.ntp_timestamp >> 16) as u32
    }

    /// Parses the body after the header, `count` report blocks announced; offsets are
    /// within `body`.
    pub(crate) fn parse(
        count: u8,
        body: &Bytes,
        violations: &mut Vec<Violation>,
    ) -> Result<Self, Error> {
        let mut r = Reader::of(body, &RTCP_REPORT_COUNT);
        Ok(SenderReport {
            ssrc: r.u32("SSRC of sender")?,
            ntp_timestamp: r.u64("NTP timestamp")?,
            rtp_timestamp: r.u32("RTP timestamp")?,
            packet_count: r.u32("sender's packet count")?,
            octet_count: r.u32("sender's octet count")?,
            reports: read_reports(&mut r, count, violations)?,
            extension: r.view_rest(),
        })
    }
}

impl Body for SenderReport {
    fn count(&self) -> Result<u8, Error> {
        report_count(&self.reports)
    }

    fn packet_type(&self) -> u8 {
        SR
    }

    fn write_body(&self, out: &mut Vec<u8>) -> Result<(), Error> {
        out.extend_from_slice(&self.ssrc.to_be_bytes());
        out.extend_from_slice(&self.ntp_timestamp.to_be_bytes());
        for field in [self.rtp_timestamp, self.packet_count, self.octet_count] {
            out.extend_from_slice(&field.to_be_bytes());
        }
        write_reports(&self.reports, out)?;
        out.extend_from_slice(&self.extension);
        Ok(())
    }
}
