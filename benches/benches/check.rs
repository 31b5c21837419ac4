//! `weir check` throughput: the whole pipeline (pcap reader, flow table, TCP reassembly,
//! detection, both RTMP observer machines, verdicts; and the transcript in the second case)
//! over a ~200 MB capture made by repeating a recorded session: the corpus's FMS play session
//! (`rtmp/client_stream` and `rtmp/server_stream`, 342 kB with Sorenson video and Nellymoser
//! audio), each copy its own TCP flow (SYN, 1448-byte segments, FIN) on Ethernet/IPv4. The file is written once to
//! `target/tmp/check-bench.pcap` (kept, so that tshark can be timed on the same bytes).

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use std::path::PathBuf;
use weir_conformance::check::{self, Input, Options};
use weir_testkit::corpus::read as corpus_file;

const TARGET_BYTES: usize = 200 << 20;
const MSS: usize = 1448;

/// A classic pcap writer for Ethernet/IPv4/TCP (checksums left zero: readers do not check).
struct Pcap {
    out: Vec<u8>,
    micros: u64,
}

impl Pcap {
    fn new() -> Self {
        let mut out = Vec::with_capacity(TARGET_BYTES + (16 << 20));
        out.extend_from_slice(&0xa1b2_c3d4u32.to_le_bytes());
        out.extend_from_slice(&2u16.to_le_bytes());
        out.extend_from_slice(&4u16.to_le_bytes());
        out.extend_from_slice(&[0; 8]);
        out.extend_from_slice(&65535u32.to_le_bytes());
        out.extend_from_slice(&1u32.to_le_bytes()); // LINKTYPE_ETHERNET
        Pcap { out, micros: 0 }
    }

    #[allow(clippy::too_many_arguments)]
    fn segment(
        &mut self,
        from: ([u8; 4], u16),
        to: ([u8; 4], u16),
        seq: u32,
        ack: u32,
        flags: u8,
        payload: &[u8],
    ) {
        self.micros += 50;
        let len = 14 + 20 + 20 + payload.len();
        let out = &mut self.out;
        out.extend_from_slice(&((self.micros / 1_000_000) as u32).to_le_bytes());
        out.extend_from_slice(&((self.micros % 1_000_000) as u32).to_le_bytes());
        out.extend_from_slice(&(len as u32).to_le_bytes());
        out.extend_from_slice(&(len as u32).to_le_bytes());
        out.extend_from_slice(&[2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1, 0x08, 0x00]);
        let total = (20 + 20 + payload.len()) as u16;
        out.extend_from_slice(&[0x45, 0]);
        out.extend_from_slice(&total.to_be_bytes());
        out.extend_from_slice(&[0, 0, 0x40, 0, 64, 6, 0, 0]);
        out.extend_from_slice(&from.0);
        out.extend_from_slice(&to.0);
        out.extend_from_slice(&from.1.to_be_bytes());
        out.extend_from_slice(&to.1.to_be_bytes());
        out.extend_from_slice(&seq.to_be_bytes());
        out.extend_from_slice(&ack.to_be_bytes());
        out.extend_from_slice(&[0x50, flags, 0xff, 0xff, 0, 0, 0, 0]);
        out.extend_from_slice(payload);
    }

    /// One connection: handshake, the client's bytes, the server's bytes, FIN both ways.
    fn session(&mut self, port: u16, client_bytes: &[u8], server_bytes: &[u8]) {
        const SYN: u8 = 0x02;
        const ACK: u8 = 0x10;
        const FIN: u8 = 0x01;
        let client = ([10, 0, 0, 1], port);
        let server = ([10, 0, 0, 2], 1935);
        let (mut c_seq, mut s_seq) = (1000u32, 5000u32);
        self.segment(client, server, c_seq, 0, SYN, &[]);
        self.segment(server, client, s_seq, c_seq + 1, SYN | ACK, &[]);
        c_seq += 1;
        s_seq += 1;
        for piece in client_bytes.chunks(MSS) {
            self.segment(client, server, c_seq, s_seq, ACK, piece);
            c_seq += piece.len() as u32;
        }
        for piece in server_bytes.chunks(MSS) {
            self.segment(server, client, s_seq, c_seq, ACK, piece);
            s_seq += piece.len() as u32;
        }
        self.segment(client, server, c_seq, s_seq, FIN | ACK, &[]);
        self.segment(server, client, s_seq, c_seq + 1, FIN | ACK, &[]);
    }
}

fn capture() -> PathBuf {
    let path = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("check-bench.pcap");
    if path
        .metadata()
        .is_ok_and(|m| m.len() as usize >= TARGET_BYTES)
    {
        return path;
    }
    let client = corpus_file("rtmp/client_stream");
    let server = corpus_file("rtmp/server_stream");
    let mut pcap = Pcap::new();
    let mut port = 20000u16;
    while pcap.out.len() < TARGET_BYTES {
        pcap.session(port, &client, &server);
        port = port.wrapping_add(1).max(1024);
    }
    std::fs::write(&path, &pcap.out).unwrap();
    path
}

fn bench_check(c: &mut Criterion) {
    let path = capture();
    let size = path.metadata().unwrap().len();
    // The capture is meant to pass: every copy of the session reads in full.
    let report = check::run(&[Input::Capture(path.clone())], &Options::default());
    assert_eq!(report.exit_code(), 0);
    assert!(report.flows().count() > 500);
    let mut group = c.benchmark_group("check");
    group.sample_size(10);
    group.throughput(Throughput::Bytes(size));
    // As `weir check FILE` runs: a report, no transcript.
    let report_only = Options {
        no_transcript: true,
        ..Options::default()
    };
    group.bench_function("fms_session_x600", |b| {
        b.iter(|| check::run(&[Input::Capture(path.clone())], &report_only))
    });
    // As `weir check --transcript FILE` (or `--html`) runs: every event worded and kept.
    group.bench_function("fms_session_x600_transcript", |b| {
        b.iter(|| check::run(&[Input::Capture(path.clone())], &Options::default()))
    });
    group.finish();
}

criterion_group!(benches, bench_check);
criterion_main!(benches);
