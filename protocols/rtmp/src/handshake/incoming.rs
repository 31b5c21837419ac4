//! The peer's side of the handshake as it arrives: a version byte and two packets, collected
//! however the bytes are split, and never a byte past the second packet (the chunk stream
//! starts there).

use super::{HANDSHAKE_LEN, PACKET_LEN};

/// A piece of the peer's handshake that has just become complete.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Milestone {
    /// C0/S0 is in.
    Version,
    /// C1/S1 is in.
    Packet1,
    /// C2/S2 is in: the handshake is over.
    Packet2,
}

impl Milestone {
    const IN_ORDER: [(Milestone, usize); 3] = [
        (Milestone::Version, 1),
        (Milestone::Packet1, 1 + PACKET_LEN),
        (Milestone::Packet2, HANDSHAKE_LEN),
    ];
}

/// Stream offset of C1/S1 (for violations).
pub(super) const PACKET1_OFFSET: u64 = 1;
/// Stream offset of C2/S2 (for violations).
pub(super) const PACKET2_OFFSET: u64 = 1 + PACKET_LEN as u64;

pub(super) struct Incoming {
    version: u8,
    packets: Box<[[u8; PACKET_LEN]; 2]>,
    /// Bytes received so far, at most [`HANDSHAKE_LEN`].
    received: usize,
    /// Milestones already handed out by [`Incoming::next_milestone`].
    reported: usize,
}

impl Incoming {
    pub(super) fn new() -> Self {
        Incoming {
            version: 0,
            packets: Box::new([[0; PACKET_LEN]; 2]),
            received: 0,
            reported: 0,
        }
    }

    /// Stores as much of `input` as the handshake still lacks; returns how much that was.
    pub(super) fn take(&mut self, input: &[u8]) -> usize {
        let mut rest = input;
        while let Some(&first) = rest.first() {
            let stored = match self.received {
                0 => {
                    self.version = first;
                    1
                }
                HANDSHAKE_LEN.. => break,
                received => {
                    let (index, at) = ((received - 1) / PACKET_LEN, (received - 1) % PACKET_LEN);
                    let Some(packet) = self.packets.get_mut(index) else {
                        break;
                    };
                    let free = &mut packet[at..];
                    let n = free.len().min(rest.len());
                    free[..n].copy_from_slice(&rest[..n]);
                    n
                }
            };
            self.received += stored;
            rest = rest.get(stored..).unwrap_or_default();
        }
        input.len() - rest.len()
    }

    /// The next milestone the stored bytes complete, each one once and in order.
    pub(super) fn next_milestone(&mut self) -> Option<Milestone> {
        let &(milestone, end) = Milestone::IN_ORDER.get(self.reported)?;
        (self.received >= end).then(|| {
            self.reported += 1;
            milestone
        })
    }

    /// C0/S0 (meaningful once [`Milestone::Version`] was reported).
    pub(super) fn version(&self) -> u8 {
        self.version
    }

    /// C1/S1 (complete once [`Milestone::Packet1`] was reported).
    pub(super) fn packet1(&self) -> &[u8; PACKET_LEN] {
        &self.packets[0]
    }

    /// C2/S2 (complete once [`Milestone::Packet2`] was reported).
    pub(super) fn packet2(&self) -> &[u8; PACKET_LEN] {
        &self.packets[1]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn milestones(incoming: &mut Incoming) -> Vec<Milestone> {
        std::iter::from_fn(|| incoming.next_milestone()).collect()
    }

    #[test]
    fn stops_at_the_end_of_the_second_packet() {
        let mut input: Vec<u8> = (0..4000u32).map(|i| (i % 256) as u8).collect();
        input[0] = 3;
        let mut incoming = Incoming::new();
        assert_eq!(incoming.take(&input), HANDSHAKE_LEN);
        assert_eq!(
            milestones(&mut incoming),
            [Milestone::Version, Milestone::Packet1, Milestone::Packet2]
        );
        assert_eq!(incoming.version(), 3);
        assert_eq!(incoming.packet1()[..], input[1..1537]);
        assert_eq!(incoming.packet2()[..], input[1537..3073]);
        assert_eq!(incoming.take(&input), 0);
        assert_eq!(milestones(&mut incoming), []);
    }

    #[test]
    fn reports_each_milestone_when_its_last_byte_arrives() {
        let mut incoming = Incoming::new();
        assert_eq!(incoming.take(&[]), 0);
        assert_eq!(milestones(&mut incoming), []);
        assert_eq!(incoming.take(&[3]), 1);
        assert_eq!(milestones(&mut incoming), [Milestone::Version]);
        assert_eq!(incoming.take(&[7; PACKET_LEN - 1]), PACKET_LEN - 1);
        assert_eq!(milestones(&mut incoming), []);
        assert_eq!(incoming.take(&[8; 2]), 2);
        assert_eq!(milestones(&mut incoming), [Milestone::Packet1]);
        assert_eq!(incoming.packet1()[PACKET_LEN - 1], 8);
        assert_eq!(incoming.packet2()[0], 8);
    }
}
