//! Generic NACK (RFC 4585 §6.2.1): a transport-layer feedback message whose FCI entries each name
//! a lost packet (PID) and, in a bitmask (BLP), which of the 16 packets after it were lost too.

use super::feedback::{FMT_NACK, FeedbackSsrcs};
use super::header::RTPFB;
use super::packet::Body;
use crate::Error;
use crate::rules::RTCP_NACK_FCI;
use bytes::Bytes;

/// One generic NACK message.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Nack {
    /// The sender's and the media source's SSRCs.
    pub ssrcs: FeedbackSsrcs,
    /// The FCI entries (at least one on the wire).
    pub entries: Vec<NackEntry>,
}

/// One PID and BLP entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct NackEntry {
    /// The sequence number of a lost packet.
    pub pid: u16,
    /// Bit i (least significant first) set: packet PID + i + 1 was lost too.
    pub blp: u16,
}

impl NackEntry {
    /// The sequence numbers this entry reports lost, in order.
    pub fn lost(&self) -> impl Iterator<Item = u16> + '_ {
        let blp = self.blp;
        std::iter::once(self.pid).chain(
            (0..16)
                .filter(move |i| blp & (1 << i) != 0)
                .map(move |i| self.pid.wrapping_add(i + 1)),
        )
    }
}

impl Nack {
    /// A NACK reporting `lost`, given in sending order (ascending, wrapping at 65535): each
    /// sequence number within 16 after the current entry's PID joins its BLP, any other starts
    /// a new entry; repeats are dropped.
    pub fn from_lost(ssrcs: FeedbackSsrcs, lost: &[u16]) -> Nack {
        let mut entries: Vec<NackEntry> = Vec::new();
        for &seq in lost {
            if let Some(entry) = entries.last_mut() {
                match seq.wrapping_sub(entry.pid) {
                    0 => continue,
                    d @ 1..=16 => {
                        entry.blp |= 1 << (d - 1);
                        continue;
                    }
                    _ => {}
                }
            }
            entries.push(NackEntry { pid: seq, blp: 0 });
        }
        Nack { ssrcs, entries }
    }

    /// Every sequence number the message reports lost, entry by entry.
    pub fn lost(&self) -> Vec<u16> {
        self.entries.iter().flat_map(NackEntry::lost).collect()
    }

    /// Parses an RTPFB body of FMT 1; offsets are within `body`.
    pub(crate) fn parse(body: &Bytes) -> Result<Self, Error> {
        let (ssrcs, mut r) = FeedbackSsrcs::read(body)?;
        let fci = r.remaining();
        if fci == 0 || fci % 4 != 0 {
            return Err(Error::rule(
                &RTCP_NACK_FCI,
                r.position() as u64,
                format!("{fci} bytes of FCI, not one or more 4-byte entries"),
            ));
        }
        let entries = (0..fci / 4)
            .map(|_| {
                Ok(NackEntry {
                    pid: r.u16("PID")?,
                    blp: r.u16("BLP")?,
                })
            })
            .collect::<Result<_, Error>>()?;
        Ok(Nack { ssrcs, entries })
    }
}

impl Body for Nack {
    fn count(&self) -> Result<u8, Error> {
        Ok(FMT_NACK)
    }

    fn packet_type(&self) -> u8 {
        RTPFB
    }

    fn write_body(&self, out: &mut Vec<u8>) -> Result<(), Error> {
        self.ssrcs.write(out);
        for entry in &self.entries {
            out.extend_from_slice(&entry.pid.to_be_bytes());
            out.extend_from_slice(&entry.blp.to_be_bytes());
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lost_sequence_numbers_pack_into_entries_and_back() {
        let lost = [65530, 65531, 65535, 0, 9, 10, 30];
        let nack = Nack::from_lost(FeedbackSsrcs::default(), &lost);
        assert_eq!(
            nack.entries,
            [
                NackEntry {
                    pid: 65530,
                    blp: 1 | 1 << 4 | 1 << 5 | 1 << 14 | 1 << 15
                },
                NackEntry { pid: 30, blp: 0 },
            ]
        );
        assert_eq!(nack.lost(), lost);
    }

    #[test]
    fn a_nack_without_whole_entries_is_an_error() {
        for fci in [&[][..], &[0, 1, 0]] {
            let mut body = vec![0; 8];
            body.extend_from_slice(fci);
            let e = Nack::parse(&Bytes::from(body)).unwrap_err();
            assert_eq!((e.rule_id(), e.offset), ("rtp.rtcp.nack-fci", 8));
        }
    }
}
