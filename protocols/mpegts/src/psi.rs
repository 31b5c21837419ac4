//! PSI sections (13818-1 §2.4.4): reassembly from packet payloads (pointer_field, sections
//! spanning packets, several sections per packet, 0xFF stuffing), the long section header
//! with its CRC_32, and the writer side.

use crate::crc::crc32_mpeg2;
use crate::packet::{PACKET_LEN, PacketHeader, write_packet};
use crate::rules::{PSI_CRC, PSI_SYNTAX};
use weir_media::Violation;

/// The most a `section_length` may say for PAT and PMT sections (§2.4.4.3, §2.4.4.8).
pub const MAX_SECTION_LENGTH: usize = 1021;

/// Collects the sections of one PID from its packet payloads.
#[derive(Debug, Default, Clone)]
pub struct SectionAssembler {
    buffer: Vec<u8>,
    /// A section has started and not yet ended.
    active: bool,
    /// Stream offset of the first byte of the section in `buffer`.
    start: u64,
}

impl SectionAssembler {
    /// Forgets a section in progress (after a continuity error).
    pub fn reset(&mut self) {
        self.buffer.clear();
        self.active = false;
    }

    /// Feeds one packet's payload, whose first byte is at stream offset `base`. Complete
    /// sections go to `sections` with the stream offset of their first byte; problems go to
    /// `violations`.
    pub fn push(
        &mut self,
        payload_unit_start: bool,
        payload: &[u8],
        base: u64,
        sections: &mut Vec<(u64, Vec<u8>)>,
        violations: &mut Vec<Violation>,
    ) {
        if !payload_unit_start {
            if self.active {
                self.feed(payload, base, sections, violations);
            }
            return;
        }
        let Some((&pointer, rest)) = payload.split_first() else {
            violations.push(Violation::new(
                &PSI_SYNTAX,
                base,
                "payload_unit_start_indicator set on an empty payload",
            ));
            self.reset();
            return;
        };
        let pointer = usize::from(pointer);
        if pointer > rest.len() {
            violations.push(Violation::new(
                &PSI_SYNTAX,
                base,
                format!(
                    "pointer_field {pointer} points past the {} payload bytes",
                    rest.len()
                ),
            ));
            self.reset();
            return;
        }
        if self.active {
            self.feed(&rest[..pointer], base + 1, sections, violations);
        }
        self.reset();
        self.active = true;
        self.feed(
            &rest[pointer..],
            base + 1 + pointer as u64,
            sections,
            violations,
        );
    }

    fn feed(
        &mut self,
        mut data: &[u8],
        mut offset: u64,
        sections: &mut Vec<(u64, Vec<u8>)>,
        violations: &mut Vec<Violation>,
    ) {
        while self.active && !data.is_empty() {
            if self.buffer.is_empty() {
                if data[0] == 0xff {
                    // Stuffing after the last section of the payload (§2.4.4.1).
                    self.active = false;
                    return;
                }
                self.start = offset;
            }
            let need = if self.buffer.len() < 3 {
                3 - self.buffer.len()
            } else {
                let length = section_length(&self.buffer);
                if length > MAX_SECTION_LENGTH {
                    violations.push(Violation::new(
                        &PSI_SYNTAX,
                        self.start + 1,
                        format!("section_length {length} exceeds {MAX_SECTION_LENGTH}"),
                    ));
                    self.reset();
                    return;
                }
                3 + length - self.buffer.len()
            };
            let take = need.min(data.len());
            self.buffer.extend_from_slice(&data[..take]);
            data = &data[take..];
            offset += take as u64;
            if self.buffer.len() >= 3 && self.buffer.len() == 3 + section_length(&self.buffer) {
                sections.push((self.start, std::mem::take(&mut self.buffer)));
            }
        }
    }
}

/// The 12-bit `section_length` of a section header.
fn section_length(header: &[u8]) -> usize {
    usize::from(u16::from_be_bytes([header[1], header[2]]) & 0x0fff)
}

/// A long-form section (`section_syntax_indicator` 1), checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Section<'a> {
    /// `table_id`: 0x00 for a PAT, 0x02 for a PMT.
    pub table_id: u8,
    /// `transport_stream_id` in a PAT, `program_number` in a PMT.
    pub table_id_extension: u16,
    /// `version_number` (5 bits).
    pub version: u8,
    /// `current_next_indicator`: the table applies now (clear: it applies next).
    pub current_next: bool,
    /// `section_number`: this section's index within the table.
    pub section_number: u8,
    /// `last_section_number`: the index of the table's last section.
    pub last_section_number: u8,
    /// The bytes between `last_section_number` and `CRC_32`.
    pub body: &'a [u8],
}

impl<'a> Section<'a> {
    /// Reads a complete section as [`SectionAssembler`] returns it; offsets count from its
    /// `table_id`.
    pub fn parse(data: &'a [u8]) -> Result<Self, Violation> {
        if data.len() < 12 {
            return Err(Violation::new(
                &PSI_SYNTAX,
                1,
                format!(
                    "a {}-byte section is shorter than the 12 bytes of its header and CRC_32",
                    data.len()
                ),
            ));
        }
        if data[1] & 0x80 == 0 {
            return Err(Violation::new(
                &PSI_SYNTAX,
                1,
                "section_syntax_indicator is 0",
            ));
        }
        if crc32_mpeg2(data) != 0 {
            let at = data.len() - 4;
            let got = u32::from_be_bytes([data[at], data[at + 1], data[at + 2], data[at + 3]]);
            return Err(Violation::new(
                &PSI_CRC,
                at as u64,
                format!(
                    "CRC_32 {got:#010x}, the section's bytes give {:#010x}",
                    crc32_mpeg2(&data[..at])
                ),
            ));
        }
        Ok(Section {
            table_id: data[0],
            table_id_extension: u16::from_be_bytes([data[3], data[4]]),
            version: (data[5] >> 1) & 0x1f,
            current_next: data[5] & 1 != 0,
            section_number: data[6],
            last_section_number: data[7],
            body: &data[8..data.len() - 4],
        })
    }

    /// Writes a single-section table (section 0 of 0, current) with its CRC_32.
    pub fn write(table_id: u8, table_id_extension: u16, version: u8, body: &[u8]) -> Vec<u8> {
        let length = 5 + body.len() + 4;
        debug_assert!(length <= MAX_SECTION_LENGTH);
        let mut out = Vec::with_capacity(3 + length);
        out.push(table_id);
        out.extend_from_slice(&(0xb000 | length as u16 & 0x0fff).to_be_bytes());
        out.extend_from_slice(&table_id_extension.to_be_bytes());
        out.extend_from_slice(&[0xc1 | (version & 0x1f) << 1, 0, 0]);
        out.extend_from_slice(body);
        let crc = crc32_mpeg2(&out);
        out.extend_from_slice(&crc.to_be_bytes());
        out
    }
}

/// Appends the packets carrying one section on `pid` (pointer_field 0, 0xFF stuffing after
/// the section), advancing the PID's continuity counter.
pub fn packetize_section(section: &[u8], pid: u16, continuity_counter: &mut u8, out: &mut Vec<u8>) {
    let mut rest = section;
    let mut first = true;
    loop {
        let start = out.len();
        let header = PacketHeader {
            pid,
            payload_unit_start: first,
            continuity_counter: *continuity_counter,
            has_payload: true,
            ..Default::default()
        };
        *continuity_counter = (*continuity_counter + 1) & 0x0f;
        if first {
            out.extend_from_slice(&header.to_bytes());
            out.push(0);
            let take = rest.len().min(PACKET_LEN - 5);
            out.extend_from_slice(&rest[..take]);
            rest = &rest[take..];
            out.resize(start + PACKET_LEN, 0xff);
        } else {
            let used = write_packet(out, header, None, rest);
            rest = &rest[used..];
        }
        first = false;
        if rest.is_empty() {
            return;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::packet::Packet;

    fn reassemble(packets: &[u8]) -> (Vec<Vec<u8>>, Vec<Violation>) {
        let mut assembler = SectionAssembler::default();
        let (mut sections, mut violations) = (Vec::new(), Vec::new());
        for (i, chunk) in packets.chunks(PACKET_LEN).enumerate() {
            let (packet, _) = Packet::parse(chunk.try_into().unwrap()).unwrap();
            let base = (i * PACKET_LEN + PACKET_LEN - packet.payload.len()) as u64;
            assembler.push(
                packet.header.payload_unit_start,
                packet.payload,
                base,
                &mut sections,
                &mut violations,
            );
        }
        (sections.into_iter().map(|(_, s)| s).collect(), violations)
    }

    #[test]
    fn several_sections_in_one_payload_and_one_split_across_packets() {
        let a = Section::write(0, 1, 0, &[0, 1, 0xe1, 0]);
        let b = Section::write(2, 1, 0, &[0xe1, 0, 0xf0, 0]);
        let mut payload = vec![0u8];
        payload.extend_from_slice(&a);
        payload.extend_from_slice(&b);
        let mut assembler = SectionAssembler::default();
        let (mut sections, mut violations) = (Vec::new(), Vec::new());
        // Split the payload after 20 bytes: the second section spans two packets.
        assembler.push(true, &payload[..20], 100, &mut sections, &mut violations);
        assembler.push(false, &payload[20..], 500, &mut sections, &mut violations);
        assert!(violations.is_empty());
        assert_eq!(sections, vec![(101, a.clone()), (101 + a.len() as u64, b)]);
        // A pointer_field past the payload is reported at the payload.
        assembler.push(true, &[9, 1, 2], 900, &mut sections, &mut violations);
        assert_eq!(
            (violations[0].rule.id, violations[0].offset),
            ("mpegts.psi.syntax", 900)
        );
    }

    #[test]
    fn long_section_spans_packets_and_reads_back() {
        let body: Vec<u8> = (0..900u32).map(|i| i as u8).collect();
        let section = Section::write(2, 7, 3, &body);
        let mut out = Vec::new();
        let mut cc = 0;
        packetize_section(&section, 0x100, &mut cc, &mut out);
        assert_eq!(out.len(), 5 * PACKET_LEN);
        let (sections, violations) = reassemble(&out);
        assert!(violations.is_empty());
        assert_eq!(sections, vec![section.clone()]);
        let parsed = Section::parse(&sections[0]).unwrap();
        assert_eq!(
            (parsed.table_id, parsed.table_id_extension, parsed.version),
            (2, 7, 3)
        );
        assert_eq!(parsed.body, &body[..]);
    }

    #[test]
    fn corrupt_crc_is_reported_at_the_crc() {
        let mut section = Section::write(0, 1, 0, &[0, 1, 0xe1, 0]);
        section[9] ^= 1;
        let v = Section::parse(&section).unwrap_err();
        assert_eq!(v.rule.id, "mpegts.psi.crc");
        assert_eq!(v.offset, section.len() as u64 - 4);
    }
}
