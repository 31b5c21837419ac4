//! The receiver report (RFC 3550 §6.4.2): a participant's SSRC and its reception report
//! blocks, with no sender info; an empty one starts a compound packet with nothing to report.

use super::header::RR;
use super::packet::Body;
use super::report_block::{ReportBlock, read_reports, report_count, write_reports};
use crate::Error;
use crate::rules::RTCP_REPORT_COUNT;
use bytes::Bytes;
use weir_media::{Reader, Violation};

/// One RR packet.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ReceiverReport {
    /// The reporting participant's SSRC.
    pub ssrc: u32,
    /// The reception report blocks (at most 31).
    pub reports: Vec<ReportBlock>,
    /// Profile-specific extension after the report blocks (whole 32-bit words), kept as is.
    pub extension: Bytes,
}

impl ReceiverReport {
    /// Parses the body after the header, `count` report blocks announced; offsets are
    /// within `body`.
    pub(crate) fn parse(
        count: u8,
        body: &Bytes,
        violations: &mut Vec<Violation>,
    ) -> Result<Self, Error> {
        let mut r = Reader::of(body, &RTCP_REPORT_COUNT);
        Ok(ReceiverReport {
            ssrc: r.u32("SSRC of packet sender")?,
            reports: read_reports(&mut r, count, violations)?,
            extension: r.view_rest(),
        })
    }
}

impl Body for ReceiverReport {
    fn count(&self) -> Result<u8, Error> {
        report_count(&self.reports)
    }

    fn packet_type(&self) -> u8 {
        RR
    }

    fn write_body(&self, out: &mut Vec<u8>) -> Result<(), Error> {
        out.extend_from_slice(&self.ssrc.to_be_bytes());
        write_reports(&self.reports, out)?;
        out.extend_from_slice(&self.extension);
        Ok(())
    }
}
