//! The program association table (13818-1 §2.4.4.3-§2.4.4.4): which PID carries each
//! program's map.

use crate::psi::Section;
use crate::rules::PAT;
use weir_media::Violation;

/// `table_id` of a program_association_section.
pub const TABLE_ID: u8 = 0x00;

/// One program of the PAT.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PatEntry {
    /// `program_number` (never 0 here: entry 0 names the network PID).
    pub program_number: u16,
    /// `program_map_PID`.
    pub pmt_pid: u16,
}

/// A program association section, read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pat {
    /// `transport_stream_id`: the stream's id within its network.
    pub transport_stream_id: u16,
    /// `version_number` (5 bits); changes whenever the PAT does.
    pub version: u8,
    /// The programs in section order.
    pub programs: Vec<PatEntry>,
    /// `network_PID` (program 0), if present.
    pub network_pid: Option<u16>,
}

impl Pat {
    /// Reads a checked section (see [`Section::parse`]); offsets count from its `table_id`.
    /// At most `max_programs` programs are kept; more is an error.
    pub fn parse(section: &Section<'_>, max_programs: usize) -> Result<Self, Violation> {
        if section.table_id != TABLE_ID {
            return Err(Violation::new(
                &PAT,
                0,
                format!("table_id {:#04x} on PID 0x0000", section.table_id),
            ));
        }
        if !section.body.len().is_multiple_of(4) {
            return Err(Violation::new(
                &PAT,
                8,
                format!(
                    "a {}-byte program loop is not a whole number of 4-byte entries",
                    section.body.len()
                ),
            ));
        }
        let mut pat = Pat {
            transport_stream_id: section.table_id_extension,
            version: section.version,
            programs: Vec::new(),
            network_pid: None,
        };
        for entry in section.body.chunks_exact(4) {
            let program_number = u16::from_be_bytes([entry[0], entry[1]]);
            let pid = u16::from_be_bytes([entry[2] & 0x1f, entry[3]]);
            if program_number == 0 {
                pat.network_pid = Some(pid);
            } else if pat
                .programs
                .iter()
                .all(|p| p.program_number != program_number)
            {
                pat.programs.push(PatEntry {
                    program_number,
                    pmt_pid: pid,
                });
            }
        }
        if pat.programs.len() > max_programs {
            return Err(Violation::new(
                &crate::rules::LIMIT,
                8,
                format!(
                    "{} programs, more than the {max_programs} the demuxer keeps",
                    pat.programs.len()
                ),
            ));
        }
        Ok(pat)
    }

    /// The section bytes (one section, CRC included).
    pub fn to_section(&self) -> Vec<u8> {
        let mut body = Vec::with_capacity(4 * self.programs.len() + 4);
        if let Some(pid) = self.network_pid {
            body.extend_from_slice(&[0, 0]);
            body.extend_from_slice(&(0xe000 | pid & 0x1fff).to_be_bytes());
        }
        for p in &self.programs {
            body.extend_from_slice(&p.program_number.to_be_bytes());
            body.extend_from_slice(&(0xe000 | p.pmt_pid & 0x1fff).to_be_bytes());
        }
        Section::write(TABLE_ID, self.transport_stream_id, self.version, &body)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip() {
        let pat = Pat {
            transport_stream_id: 7,
            version: 3,
            programs: vec![
                PatEntry {
                    program_number: 1,
                    pmt_pid: 0x1000,
                },
                PatEntry {
                    program_number: 2,
                    pmt_pid: 0x1001,
                },
            ],
            network_pid: Some(0x10),
        };
        let bytes = pat.to_section();
        let section = Section::parse(&bytes).unwrap();
        assert_eq!(Pat::parse(&section, 8).unwrap(), pat);
        assert_eq!(
            Pat::parse(&section, 1).unwrap_err().rule.id,
            "mpegts.demux.limit"
        );
    }

    #[test]
    fn other_tables_and_ragged_loops_are_errors() {
        let bytes = Section::write(2, 1, 0, &[0, 1, 0xe1, 0]);
        let e = Pat::parse(&Section::parse(&bytes).unwrap(), 8).unwrap_err();
        assert_eq!(e.rule.id, "mpegts.pat.error");
        let bytes = Section::write(0, 1, 0, &[0, 1, 0xe1]);
        assert!(Pat::parse(&Section::parse(&bytes).unwrap(), 8).is_err());
    }
}
