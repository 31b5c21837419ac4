//! Every rule of the MPEG-TS catalog fires on a stream made to break it, and the table names
//! every rule, so none is one nothing can trigger (issue 15). The demuxer emits them all. A
//! clean stream breaks none: `a_clean_stream_breaks_no_rule` below, and `hostile.rs`'s
//! `a_clean_stream_has_no_violations` for the muxer's own output.

use weir_mpegts::pat::{Pat, PatEntry};
use weir_mpegts::pes::PesHeader;
use weir_mpegts::pmt::{Pmt, PmtStream};
use weir_mpegts::psi::packetize_section;
use weir_mpegts::rules::CATALOG;
use weir_mpegts::{AdaptationField, Demuxer, Limits, PACKET_LEN, PacketHeader, Pcr};
use weir_testkit::rule_table;

const VIDEO: u16 = 0x100;
const PMT_PID: u16 = 0x1000;

/// The PAT section of program 1, its PMT on `PMT_PID`.
fn pat() -> Vec<u8> {
    Pat {
        transport_stream_id: 1,
        version: 0,
        programs: vec![PatEntry {
            program_number: 1,
            pmt_pid: PMT_PID,
        }],
        network_pid: None,
    }
    .to_section()
}

/// A hand-built transport stream: packets appended one by one, each PID's counter kept.
#[derive(Default)]
struct Ts {
    out: Vec<u8>,
    cc: std::collections::HashMap<u16, u8>,
}

impl Ts {
    /// PAT and PMT of program 1, its PCR on `pcr_pid`, with `streams` (type, PID, ES info).
    fn psi(&mut self, pcr_pid: u16, streams: &[(u8, u16, &[u8])]) -> &mut Self {
        let pmt = Pmt {
            program_number: 1,
            version: 0,
            pcr_pid,
            program_info: vec![],
            streams: streams
                .iter()
                .map(|&(stream_type, pid, es_info)| PmtStream {
                    stream_type,
                    pid,
                    es_info: es_info.to_vec(),
                })
                .collect(),
        };
        self.section(0, &pat());
        self.section(PMT_PID, &pmt.to_section())
    }

    fn section(&mut self, pid: u16, section: &[u8]) -> &mut Self {
        let cc = self.cc.entry(pid).or_default();
        packetize_section(section, pid, cc, &mut self.out);
        self
    }

    /// One packet on `pid` with `adaptation` and what of `payload` fits; returns the rest.
    fn packet<'p>(
        &mut self,
        pid: u16,
        start: bool,
        adaptation: Option<&AdaptationField>,
        payload: &'p [u8],
    ) -> &'p [u8] {
        let cc = self.cc.entry(pid).or_default();
        // Without a payload the counter stays at the last packet's (§2.4.3.3).
        let counter = if payload.is_empty() {
            cc.wrapping_sub(1) & 15
        } else {
            *cc
        };
        let header = PacketHeader {
            pid,
            payload_unit_start: start,
            continuity_counter: counter,
            ..Default::default()
        };
        let used = weir_mpegts::packet::write_packet(&mut self.out, header, adaptation, payload);
        if used > 0 {
            *cc = (*cc + 1) & 15;
        }
        &payload[used..]
    }

    /// A whole PES packet on `pid`, over as many packets as it takes.
    fn pes(&mut self, pid: u16, pes: &[u8]) -> &mut Self {
        let mut rest = self.packet(pid, true, None, pes);
        while !rest.is_empty() {
            rest = self.packet(pid, false, None, rest);
        }
        self
    }

    /// A PES of `stream_id` with a PTS (90 kHz) and `payload`, its length announced.
    fn timed(&mut self, pid: u16, stream_id: u8, pts: u64, payload: &[u8]) -> &mut Self {
        let mut pes = Vec::new();
        PesHeader::write(stream_id, pts, None, Some(payload.len()), &mut pes);
        pes.extend_from_slice(payload);
        self.pes(pid, &pes)
    }

    /// An adaptation-field-only packet on `pid` carrying a PCR at `ticks` of 90 kHz.
    fn pcr(&mut self, pid: u16, ticks: i64) -> &mut Self {
        let field = AdaptationField {
            pcr: Some(Pcr::from_90khz(ticks)),
            ..Default::default()
        };
        self.packet(pid, false, Some(&field), &[]);
        self
    }

    /// PCRs on the video PID every `step` ticks of 90 kHz, `count` of them from 0, with
    /// `nulls` null packets after each.
    fn pcrs(&mut self, step: i64, count: i64, nulls: usize) -> &mut Self {
        for i in 0..count {
            self.pcr(VIDEO, i * step);
            for _ in 0..nulls {
                self.null();
            }
        }
        self
    }

    fn null(&mut self) -> &mut Self {
        let mut p = vec![0x47, 0x1f, 0xff, 0x10];
        p.resize(PACKET_LEN, 0xff);
        self.out.extend_from_slice(&p);
        self
    }

    fn bytes(&self) -> Vec<u8> {
        self.out.clone()
    }
}

/// An H.264 stream on the video PID, its PCR there too.
fn avc() -> Ts {
    let mut ts = Ts::default();
    ts.psi(VIDEO, &[(0x1b, VIDEO, &[])]);
    ts
}

/// An IDR access unit in Annex B.
const IDR: &[u8] = &[0, 0, 0, 1, 0x09, 0xf0, 0, 0, 0, 1, 0x65, 0x88, 0x84];

/// A clean stream: PSI, then PCRs 40 ms apart among ten access units 40 ms apart, the PSI
/// repeated every 400 ms.
fn clean() -> Ts {
    let mut ts = avc();
    for i in 0..10u64 {
        if i % 4 == 0 && i > 0 {
            ts.psi(VIDEO, &[(0x1b, VIDEO, &[])]);
        }
        ts.pcr(VIDEO, i as i64 * 3600);
        ts.timed(VIDEO, 0xe0, 9000 + i * 3600, IDR);
    }
    ts
}

/// An H.264 stream of IDR access units at `pts` (90 kHz).
fn idrs(pts: &[u64]) -> Vec<u8> {
    let mut ts = avc();
    for &t in pts {
        ts.timed(VIDEO, 0xe0, t, IDR);
    }
    ts.bytes()
}

/// The rule ids the demuxer (with `limits`) reported on `input`.
fn fired_with(limits: Limits, input: &[u8]) -> Vec<&'static str> {
    let out = weir_testkit::run(&mut Demuxer::new(limits), vec![input], true);
    assert_eq!(out.error, None);
    out.violations.iter().map(|v| v.rule.id).collect()
}

fn fired(input: &[u8]) -> Vec<&'static str> {
    fired_with(Limits::default(), input)
}

/// `input` with `edit` applied to the packet at `index`.
fn edited(input: &[u8], index: usize, edit: impl FnOnce(&mut [u8])) -> Vec<u8> {
    let mut out = input.to_vec();
    edit(&mut out[index * PACKET_LEN..(index + 1) * PACKET_LEN]);
    out
}

/// The index of the first packet of `pid` after `from`.
fn packet_of(input: &[u8], pid: u16, from: usize) -> usize {
    input
        .chunks(PACKET_LEN)
        .enumerate()
        .skip(from)
        .find(|(_, p)| u16::from_be_bytes([p[1] & 0x1f, p[2]]) == pid)
        .map(|(i, _)| i)
        .unwrap()
}

/// An Opus stream (registration "Opus") with `es_info` after the registration descriptor,
/// then one PES of `payload`.
fn opus(extension: &[u8], payload: &[u8]) -> Vec<u8> {
    let mut es_info = vec![5, 4, b'O', b'p', b'u', b's'];
    es_info.extend_from_slice(extension);
    let mut ts = Ts::default();
    ts.psi(0x1fff, &[(0x06, 0x101, &es_info)])
        .timed(0x101, 0xbd, 0, payload)
        .timed(0x101, 0xbd, 1800, payload);
    ts.bytes()
}

/// A PES header of `stream_id` with PTS `pts` and `PES_packet_length` left 0.
fn unbounded_pes(stream_id: u8, pts: u64, payload: &[u8]) -> Vec<u8> {
    let mut pes = Vec::new();
    PesHeader::write(stream_id, pts, None, None, &mut pes);
    pes.extend_from_slice(payload);
    pes
}

#[test]
fn every_rule_fires_on_a_stream_that_breaks_it() {
    let clean = clean().bytes();
    let video = packet_of(&clean, VIDEO, 0);
    let pes_start = packet_of(&clean, VIDEO, video + 1);
    let table: Vec<(&str, Vec<&str>)> = vec![
        ("mpegts.packet.sync-loss", {
            let mut bad = clean.clone();
            bad.splice(PACKET_LEN * 3..PACKET_LEN * 3, *b"garbage");
            fired(&bad)
        }),
        (
            "mpegts.packet.sync-byte",
            fired(&edited(&clean, clean.len() / PACKET_LEN - 3, |p| {
                p[0] = 0x48
            })),
        ),
        (
            "mpegts.packet.truncated",
            fired(&clean[..clean.len() - 100]),
        ),
        (
            "mpegts.packet.transport-error",
            fired(&edited(&clean, pes_start, |p| p[1] |= 0x80)),
        ),
        // A lost packet of the PES.
        ("mpegts.packet.continuity", {
            let mut ts = avc();
            ts.timed(VIDEO, 0xe0, 0, &[7; 1000]);
            let mut bad = ts.bytes();
            bad.drain(3 * PACKET_LEN..4 * PACKET_LEN);
            fired(&bad)
        }),
        (
            "mpegts.packet.scrambled",
            fired(&edited(&clean, pes_start, |p| p[3] |= 0x80)),
        ),
        // adaptation_field_length 183 in a packet that says it has a payload.
        (
            "mpegts.adaptation.length",
            fired(&edited(&clean, video, |p| {
                p[3] |= 0x30;
                p[4] = 183;
            })),
        ),
        (
            "mpegts.pcr.interval",
            fired(&avc().pcrs(18_000, 3, 0).bytes()),
        ),
        (
            "mpegts.pcr.repetition",
            fired(&avc().pcrs(5_400, 3, 0).bytes()),
        ),
        ("mpegts.pcr.discontinuity", {
            let mut ts = avc();
            ts.pcr(VIDEO, 9000).pcr(VIDEO, 6000);
            fired(&ts.bytes())
        }),
        // A constant-rate stream (padded with nulls) whose fourth PCR is 1 ms off its byte.
        ("mpegts.pcr.accuracy", fired(&constant_rate(90))),
        // A flipped bit in the PAT's CRC.
        (
            "mpegts.psi.crc",
            fired(&edited(&clean, 0, |p| p[5 + 8 + 4 + 1] ^= 0x10)),
        ),
        // A pointer_field past the end of the packet.
        (
            "mpegts.psi.syntax",
            fired(&edited(&clean, 0, |p| p[4] = 200)),
        ),
        // A PMT's table_id on PID 0.
        ("mpegts.pat.error", {
            let mut ts = Ts::default();
            ts.section(
                0,
                &weir_mpegts::psi::Section::write(0x02, 1, 0, &[0, 1, 0xf0, 0x00]),
            );
            fired(&ts.bytes())
        }),
        // PSI once, then a second of PCRs.
        (
            "mpegts.pat.repetition",
            fired(&avc().pcrs(3600, 20, 0).bytes()),
        ),
        // The PAT repeated, the PMT not.
        ("mpegts.pmt.repetition", {
            let mut ts = avc();
            for i in 0..20 {
                ts.pcr(VIDEO, i * 3600);
                if i % 5 == 4 {
                    ts.section(0, &pat());
                }
            }
            fired(&ts.bytes())
        }),
        // A new PMT version whose stream entry announces 32 bytes of ES info, with none.
        ("mpegts.pmt.error", {
            let body = [0xe1, 0x00, 0xf0, 0x00, 0x1b, 0xe1, 0x00, 0xf0, 0x20];
            let mut ts = avc();
            ts.section(
                PMT_PID,
                &weir_mpegts::psi::Section::write(0x02, 1, 1, &body),
            );
            fired(&ts.bytes())
        }),
        (
            "mpegts.pes.start-code",
            fired(&edited(&clean, pes_start, |p| {
                let payload = if p[3] & 0x20 != 0 {
                    5 + usize::from(p[4])
                } else {
                    4
                };
                p[payload + 2] = 2;
            })),
        ),
        // PTS_DTS_flags 01.
        ("mpegts.pes.header", {
            let mut pes = unbounded_pes(0xe0, 0, IDR);
            pes[7] = 0x40;
            let mut ts = avc();
            ts.pes(VIDEO, &pes).timed(VIDEO, 0xe0, 3600, IDR);
            fired(&ts.bytes())
        }),
        // PES_packet_length one more than the bytes before the next start.
        ("mpegts.pes.length", {
            let mut pes = Vec::new();
            PesHeader::write(0xe0, 0, None, Some(IDR.len() + 1), &mut pes);
            pes.extend_from_slice(IDR);
            let mut ts = avc();
            ts.pes(VIDEO, &pes).timed(VIDEO, 0xe0, 3600, IDR);
            fired(&ts.bytes())
        }),
        (
            "mpegts.pes.dts-monotonic",
            fired(&idrs(&[7200, 3600, 10_800])),
        ),
        (
            "mpegts.pes.pts-repetition",
            fired(&idrs(&[0, 90_000, 93_600])),
        ),
        (
            "mpegts.demux.limit",
            fired_with(
                Limits {
                    max_pes_size: 20,
                    ..Limits::default()
                },
                &clean,
            ),
        ),
        // Bytes before the first start code of an access unit.
        ("mpegts.es.annex-b", {
            let mut ts = avc();
            ts.timed(VIDEO, 0xe0, 0, &[9, 9, 9, 0, 0, 0, 1, 0x65, 0x88])
                .timed(VIDEO, 0xe0, 3600, IDR);
            fired(&ts.bytes())
        }),
        // MPEG-1 audio whose "frame" has no syncword.
        ("mpegts.es.mpeg-audio", {
            let mut ts = Ts::default();
            ts.psi(0x1fff, &[(0x03, 0x101, &[])])
                .timed(0x101, 0xc0, 0, &[0x12; 200])
                .timed(0x101, 0xc0, 3600, &[0x12; 200]);
            fired(&ts.bytes())
        }),
        // An access unit without its opus_control_header.
        (
            "mpegts.opus.control-header",
            fired(&opus(&[0x7f, 2, 0x80, 2], &[0xfc, 0xff, 0xfe])),
        ),
        // No opus_audio_descriptor.
        (
            "mpegts.opus.descriptor",
            fired(&opus(&[], &[0x7f, 0xe0, 3, 0xfc, 0xff, 0xfe])),
        ),
    ];
    rule_table::check(CATALOG, &table);
}

#[test]
fn a_clean_stream_breaks_no_rule() {
    assert_eq!(fired(&clean().bytes()), Vec::<&str>::new());
    // The Opus stream above with its descriptor and control headers.
    assert_eq!(
        fired(&opus(
            &[0x7f, 2, 0x80, 2],
            &[0x7f, 0xe0, 3, 0xfc, 0xff, 0xfe]
        )),
        Vec::<&str>::new()
    );
}

/// PCRs 10 ms apart with 9 null packets between them, the fourth `late` ticks (90 kHz) late.
fn constant_rate(late: i64) -> Vec<u8> {
    let mut ts = avc();
    ts.pcrs(900, 3, 9).pcr(VIDEO, 3 * 900 + late);
    ts.bytes()
}

#[test]
fn pcr_accuracy_is_judged_once_the_stream_shows_its_constant_rate() {
    assert_eq!(fired(&constant_rate(0)), Vec::<&str>::new());
    assert_eq!(fired(&constant_rate(90)), ["mpegts.pcr.accuracy"]);
    // The third PCR is the first that can be judged, but nothing before it showed a
    // constant rate: the stream may be one of variable rate with a few null packets.
    let mut ts = avc();
    ts.pcrs(900, 2, 9).pcr(VIDEO, 2 * 900 + 90);
    assert_eq!(fired(&ts.bytes()), Vec::<&str>::new());
}

#[test]
fn bytes_before_the_first_start_code_break_annex_b_only_in_an_aligned_pes() {
    let junk = [9, 9, 9, 0, 0, 0, 1, 0x65, 0x88];
    let mut aligned = avc();
    aligned.timed(VIDEO, 0xe0, 0, &junk);
    assert_eq!(fired(&aligned.bytes()), ["mpegts.es.annex-b"]);
    // Without data_alignment_indicator they may be the tail of an access unit the capture
    // began after.
    let mut pes = unbounded_pes(0xe0, 0, &junk);
    pes[6] &= !0x04;
    let mut unaligned = avc();
    unaligned.pes(VIDEO, &pes).timed(VIDEO, 0xe0, 3600, IDR);
    assert_eq!(fired(&unaligned.bytes()), Vec::<&str>::new());
}

#[test]
fn a_pcr_gap_is_the_interval_and_a_pcr_going_back_the_discontinuity() {
    // mux.js's segments space their PCRs 200 ms apart: a gap, not a discontinuity.
    assert_eq!(
        fired(&avc().pcrs(18_000, 3, 0).bytes()),
        ["mpegts.pcr.interval", "mpegts.pcr.interval"]
    );
    let mut back = avc();
    back.pcr(VIDEO, 9000).pcr(VIDEO, 6000);
    assert_eq!(fired(&back.bytes()), ["mpegts.pcr.discontinuity"]);
    // Either is fine with the discontinuity_indicator.
    let mut marked = avc();
    marked.pcr(VIDEO, 9000);
    let field = AdaptationField {
        discontinuity: true,
        pcr: Some(Pcr::from_90khz(0)),
        ..Default::default()
    };
    marked.packet(VIDEO, false, Some(&field), &[]);
    let field = AdaptationField {
        discontinuity: true,
        pcr: Some(Pcr::from_90khz(900_000)),
        ..Default::default()
    };
    marked.packet(VIDEO, false, Some(&field), &[]);
    assert_eq!(fired(&marked.bytes()), Vec::<&str>::new());
}
