//! The goodbye packet (RFC 3550 §6.6): the SSRC/CSRC identifiers leaving the session and an
//! optional reason, a length octet and text null-padded to a 32-bit boundary.

use super::header::BYE;
use super::packet::{Body, count_of, pad_to_word};
use crate::Error;
use crate::rules::{RTCP_BYE_REASON, RTCP_SOURCE_COUNT};
use bytes::Bytes;
use weir_media::{Reader, Violation};

/// The most identifiers one BYE holds (the 5-bit source count).
pub const MAX_SOURCES: usize = 31;

/// One BYE packet.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Bye {
    /// The sources leaving (at most 31).
    pub sources: Vec<u32>,
    /// Why they leave, as sent (UTF-8 by §6.6, at most 255 bytes).
    pub reason: Option<Bytes>,
}

impl Bye {
    /// Parses the body after the header, `count` identifiers announced; offsets are within
    /// `body`.
    pub(crate) fn parse(
        count: u8,
        body: &Bytes,
        violations: &mut Vec<Violation>,
    ) -> Result<Self, Error> {
        let mut r = Reader::of(body, &RTCP_SOURCE_COUNT);
        let sources = (1..=count)
            .map(|i| r.u32(&format!("SSRC/CSRC {i} of {count}")))
            .collect::<Result<_, _>>()?;
        if r.is_empty() {
            return Ok(Bye {
                sources,
                reason: None,
            });
        }
        let reason = r.with_rule(&RTCP_BYE_REASON, |r| {
            let len = r.u8("reason length")?;
            r.view(usize::from(len), "reason for leaving")
        })?;
        let at = r.position();
        let padding = r.bytes((4 - at % 4) % 4, "reason padding").unwrap_or(&[]);
        if padding.iter().any(|&b| b != 0) || !r.is_empty() {
            violations.push(Violation::new(
                &RTCP_BYE_REASON,
                at as u64,
                format!(
                    "{} bytes after the reason where only null padding to the 32-bit boundary belongs",
                    body.len() - at
                ),
            ));
        }
        Ok(Bye {
            sources,
            reason: Some(reason),
        })
    }
}

impl Body for Bye {
    fn count(&self) -> Result<u8, Error> {
        count_of(self.sources.len(), MAX_SOURCES, "sources in a BYE")
    }

    fn packet_type(&self) -> u8 {
        BYE
    }

    fn write_body(&self, out: &mut Vec<u8>) -> Result<(), Error> {
        let start = out.len();
        for ssrc in &self.sources {
            out.extend_from_slice(&ssrc.to_be_bytes());
        }
        if let Some(reason) = &self.reason {
            let len = u8::try_from(reason.len()).map_err(|_| {
                Error::usage(format!(
                    "a BYE reason of {} bytes; at most 255 fit",
                    reason.len()
                ))
            })?;
            out.push(len);
            out.extend_from_slice(reason);
            pad_to_word(out, start);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rtcp::packet::parse_body;

    fn parse(count: u8, body: &[u8]) -> (Result<Bye, Error>, Vec<Violation>) {
        parse_body(|body, v| Bye::parse(count, body, v), body)
    }

    #[test]
    fn a_reason_is_padded_to_the_word_and_read_back() {
        let bye = Bye {
            sources: vec![7, 8],
            reason: Some(Bytes::from_static(b"bye")),
        };
        let mut body = Vec::new();
        bye.write_body(&mut body).unwrap();
        assert_eq!(body, [0, 0, 0, 7, 0, 0, 0, 8, 3, b'b', b'y', b'e']);
        assert_eq!(parse(2, &body), (Ok(bye), vec![]));
        let silent = Bye {
            sources: vec![1],
            reason: None,
        };
        assert_eq!(parse(1, &[0, 0, 0, 1]).0, Ok(silent));
    }

    #[test]
    fn reasons_that_overrun_or_trail_are_reported() {
        let e = parse(0, &[9, b'a', 0, 0]).0.unwrap_err();
        assert_eq!((e.rule_id(), e.offset), ("rtp.rtcp.bye-reason", 1));
        let e = parse(2, &[0, 0, 0, 1]).0.unwrap_err();
        assert_eq!((e.rule_id(), e.offset), ("rtp.rtcp.source-count", 4));
        let (bye, v) = parse(0, &[1, b'a', 0, 1, 0, 0, 0, 0]);
        assert_eq!(bye.unwrap().reason.unwrap(), &b"a"[..]);
        assert_eq!((v[0].rule.id, v[0].offset), ("rtp.rtcp.bye-reason", 2));
    }
}
