//! Protocol detection by content (DESIGN.md, "Conformance harness"): a flow's first bytes say
//! what it carries; its port is only a hint, used when the content is too short to tell;
//! `--decode-as PORT=PROTO` overrides both, as tshark's `-d` does.

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

use weir_mpegts::PacketSize;
use weir_mpegts::sync;

use crate::capture::Transport;
use crate::observe::rtp_header::{PAYLOAD_TYPE_MP2T, RtpHeader};

/// What a flow carries, as far as the harness can tell.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Protocol {
    Rtmp,
    /// RTMPE: C0 version 6, encrypted after the handshake; recognised, not observed.
    Rtmpe,
    Http,
    MpegTs,
    /// An HLS playlist (RFC 8216), read from a file.
    Hls,
    Rtp,
    Stun,
    Srt,
    Unknown,
}

impl Protocol {
    pub const ALL: [Protocol; 9] = [
        Protocol::Rtmp,
        Protocol::Rtmpe,
        Protocol::Http,
        Protocol::MpegTs,
        Protocol::Hls,
        Protocol::Rtp,
        Protocol::Stun,
        Protocol::Srt,
        Protocol::Unknown,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Protocol::Rtmp => "rtmp",
            Protocol::Rtmpe => "rtmpe",
            Protocol::Http => "http",
            Protocol::MpegTs => "mpegts",
            Protocol::Hls => "hls",
            Protocol::Rtp => "rtp",
            Protocol::Stun => "stun",
            Protocol::Srt => "srt",
            Protocol::Unknown => "unknown",
        }
    }

    /// The rule id prefixes whose rules apply to a flow of this protocol: those of the
    /// protocol itself and of the formats it carries (RTMP carries AMF and FLV bodies; TS
    /// carries codec configurations; HTTP carries playlists, TS and FLV). One playlist is judged
    /// by every HLS rule but those that compare two loads of it (`hls.reload.*`); over HTTP,
    /// the loads of one URL are compared too.
    pub fn rule_prefixes(self) -> &'static [&'static str] {
        match self {
            Protocol::Rtmp => &["rtmp.", "amf0.", "amf3.", "flv.", "media."],
            Protocol::MpegTs => &["mpegts.", "media."],
            Protocol::Http => &["http.", "hls.", "mpegts.", "flv.", "media."],
            Protocol::Hls => &[
                "hls.playlist.",
                "hls.tag.",
                "hls.attribute.",
                "hls.media.",
                "hls.segment.",
                "hls.master.",
            ],
            _ => &[],
        }
    }

    /// The port a server of this protocol usually listens on (the hint).
    fn usual_port(self) -> Option<u16> {
        match self {
            Protocol::Rtmp => Some(1935),
            Protocol::Http => Some(80),
            Protocol::Stun => Some(3478),
            Protocol::Srt => Some(10080),
            _ => None,
        }
    }
}

impl fmt::Display for Protocol {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Protocol {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        Protocol::ALL
            .into_iter()
            .find(|p| p.name().eq_ignore_ascii_case(s) && *p != Protocol::Unknown)
            .ok_or_else(|| {
                let names: Vec<_> = Protocol::ALL
                    .iter()
                    .filter(|p| **p != Protocol::Unknown)
                    .map(|p| p.name())
                    .collect();
                format!("unknown protocol {s:?} (one of {})", names.join(", "))
            })
    }
}

/// How a protocol was decided.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reason {
    /// The bytes say so: what was seen.
    Content(&'static str),
    /// The content was too short to tell; the server port is the protocol's usual one.
    Port(u16),
    /// `--decode-as PORT=PROTO`.
    DecodeAs(u16),
    /// Nothing matched.
    Nothing,
}

impl fmt::Display for Reason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Reason::Content(what) => write!(f, "content: {what}"),
            Reason::Port(port) => write!(f, "port {port} (content too short to tell)"),
            Reason::DecodeAs(port) => write!(f, "--decode-as {port}"),
            Reason::Nothing => f.write_str("no protocol matched the content"),
        }
    }
}

/// `PORT=PROTO` overrides, as tshark's `-d tcp.port==PORT,PROTO`: a flow with either port
/// equal to PORT is read as PROTO.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DecodeAs(BTreeMap<u16, Protocol>);

impl DecodeAs {
    /// Parses `PORT=PROTO`, e.g. `8080=rtmp`, and adds it.
    pub fn add(&mut self, spec: &str) -> Result<(), String> {
        let (port, proto) = spec
            .split_once('=')
            .ok_or_else(|| format!("--decode-as {spec}: expected PORT=PROTO"))?;
        let port: u16 = port
            .trim()
            .parse()
            .map_err(|_| format!("--decode-as {spec}: {port:?} is not a port number"))?;
        let proto = proto
            .trim()
            .parse()
            .map_err(|e| format!("--decode-as {spec}: {e}"))?;
        self.0.insert(port, proto);
        Ok(())
    }

    /// The override for a flow between these ports: the server's port first.
    pub fn lookup(&self, server_port: u16, client_port: u16) -> Option<(u16, Protocol)> {
        [server_port, client_port]
            .into_iter()
            .find_map(|port| self.0.get(&port).map(|p| (port, *p)))
    }
}

/// The bytes of an RTMP handshake's C0 and C1.
const RTMP_C0C1: usize = 1 + 1536;
const STUN_MAGIC_COOKIE: [u8; 4] = [0x21, 0x12, 0xA4, 0x42];
const UTF8_BOM: &[u8] = b"\xEF\xBB\xBF";
/// Bytes held per direction before detection gives up waiting for more.
pub const MAX_SNIFF: usize = RTMP_C0C1;

/// What the first bytes of a TCP flow say. `client` and `server` are the first bytes of each
/// direction (up to [`MAX_SNIFF`]); `complete`: no more will come (the flow ended, or enough
/// was held). `None`: wait for more.
pub fn sniff_stream(
    client: &[u8],
    server: &[u8],
    complete: bool,
) -> Option<(Protocol, &'static str)> {
    match client.first() {
        // C0 is followed by C1 before the client waits for S0S1; a server that answers with
        // S0 = 3 confirms it. A C0 that is 3 and nothing else is too short to tell.
        Some(3) if client.len() >= RTMP_C0C1 => {
            return Some((Protocol::Rtmp, "C0 version 3 and a 1536-byte C1"));
        }
        Some(3) if server.first() == Some(&3) => {
            return Some((Protocol::Rtmp, "C0 version 3 answered by S0 version 3"));
        }
        Some(6) if client.len() >= RTMP_C0C1 => {
            return Some((Protocol::Rtmpe, "C0 version 6 (RTMPE) and a 1536-byte C1"));
        }
        _ => {}
    }
    if is_http_request(client) {
        return Some((Protocol::Http, "HTTP request line"));
    }
    if let Some(what) = ts_stride(client, 2).or_else(|| ts_stride(server, 2)) {
        return Some((Protocol::MpegTs, what));
    }
    // A request line is recognised at its end, and TS at its second sync byte: until then the
    // bytes may still become one.
    let waiting = matches!(client.first(), Some(3 | 6))
        || client.len() < 16
        || may_be_http_request(client)
        || sync::may_become_packets(client)
        || sync::may_become_packets(server);
    (complete || !waiting).then_some((Protocol::Unknown, ""))
}

/// What one UDP datagram says.
pub fn sniff_datagram(datagram: &[u8]) -> Option<(Protocol, &'static str)> {
    if datagram.len() >= 20
        && datagram[0] & 0xC0 == 0
        && datagram.get(4..8) == Some(&STUN_MAGIC_COOKIE[..])
    {
        return Some((Protocol::Stun, "STUN magic cookie"));
    }
    // SRT control packet (first bit 1), control type 0 (handshake): SRT §3.2.1.
    if datagram.len() >= 64 && datagram[0] == 0x80 && datagram[1] == 0 {
        return Some((Protocol::Srt, "SRT handshake control packet"));
    }
    if let Some(what) = ts_datagram(datagram) {
        return Some((Protocol::MpegTs, what));
    }
    if datagram.len() >= 12 && datagram[0] >> 6 == 2 {
        // RTP carrying TS (RFC 2250 §2): payload type 33, or a payload of whole TS packets.
        if let Ok(rtp) = RtpHeader::parse(datagram) {
            let payload = &datagram[rtp.payload];
            if rtp.payload_type == PAYLOAD_TYPE_MP2T {
                return Some((
                    Protocol::MpegTs,
                    "RTP payload type 33 (MPEG-2 TS, RFC 2250)",
                ));
            }
            if ts_datagram(payload).is_some() {
                return Some((
                    Protocol::MpegTs,
                    "RTP payload of whole TS packets (RFC 2250)",
                ));
            }
        }
        return Some((Protocol::Rtp, "RTP/RTCP version 2"));
    }
    None
}

/// What the first bytes of a file say: a transport stream, a playlist, or neither (`Unknown`).
/// `complete`: the file holds no more. `None`: wait for more.
pub fn sniff_file(data: &[u8], complete: bool) -> Option<(Protocol, &'static str)> {
    if starts_with_a_tag(data.strip_prefix(UTF8_BOM).unwrap_or(data)) {
        return Some((Protocol::Hls, "playlist tags (RFC 8216 §4.1)"));
    }
    if let Some(what) = ts_stride(data, 2) {
        return Some((Protocol::MpegTs, what));
    }
    if complete {
        // A file of one packet.
        let one = sync::one_packet(data);
        return Some(one.map_or((Protocol::Unknown, ""), |size| {
            (Protocol::MpegTs, ts_seen(size))
        }));
    }
    (data.len() > 2 * 204 + 4).then_some((Protocol::Unknown, ""))
}

/// Whether the first line that is neither blank nor a comment is a tag (`#EXT`, RFC 8216
/// §4.1): a playlist, even one that lacks its `#EXTM3U` (the parser reports that).
fn starts_with_a_tag(text: &[u8]) -> bool {
    for line in text.split(|&b| b == b'\n') {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        if line.starts_with(b"#EXT") {
            return true;
        }
        if !line.is_empty() && !line.starts_with(b"#") {
            return false;
        }
    }
    false
}

/// Why a file that is no capture is not one of the other inputs either, when its first bytes
/// say so.
pub fn not_a_file_we_read(head: &[u8]) -> Option<&'static str> {
    head.starts_with(b"version https://git-lfs.github.com/spec/")
        .then_some("a Git LFS pointer, not the file it points to (run `git lfs pull`)")
}

/// The port hint: the protocol whose usual port the server listens on.
pub fn by_port(transport: Transport, server_port: u16) -> Option<Protocol> {
    let candidates: &[Protocol] = match transport {
        Transport::Tcp => &[Protocol::Rtmp, Protocol::Http],
        Transport::Udp => &[Protocol::Stun, Protocol::Srt],
        Transport::File => &[],
    };
    candidates
        .iter()
        .copied()
        .find(|p| p.usual_port() == Some(server_port))
}

/// `METHOD SP target SP HTTP/1.x` in the first line (RFC 9112 §3).
fn is_http_request(data: &[u8]) -> bool {
    let line_end = data.iter().position(|&b| b == b'\r' || b == b'\n');
    let Some(line) = line_end.map(|end| &data[..end]) else {
        return false;
    };
    let mut parts = line.split(|&b| b == b' ');
    let method = parts.next().unwrap_or_default();
    let _target = parts.next();
    let version = parts.next().unwrap_or_default();
    !method.is_empty()
        && method.iter().all(u8::is_ascii_uppercase)
        && version.starts_with(b"HTTP/1.")
        && parts.next().is_none()
}

/// Whether `data` can still grow into a request line: a method of upper-case letters, then
/// (after a space) anything but a line's end.
fn may_be_http_request(data: &[u8]) -> bool {
    let method = data.iter().take_while(|b| b.is_ascii_uppercase()).count();
    method > 0
        && data.get(method).is_none_or(|&b| b == b' ')
        && !data.iter().any(|&b| b == b'\r' || b == b'\n')
}

/// What detection says of TS in each packet size (the sync bytes are told by
/// [`weir_mpegts::sync`]).
fn ts_seen(size: PacketSize) -> &'static str {
    match size {
        PacketSize::Ts188 => "TS sync byte 0x47 every 188 bytes",
        PacketSize::M2ts192 => "TS sync byte 0x47 every 192 bytes (M2TS)",
        PacketSize::Rs204 => "TS sync byte 0x47 every 204 bytes (with parity bytes)",
    }
}

/// The packet size of the first two packets in `data` (which starts at one).
fn ts_stride(data: &[u8], min: usize) -> Option<&'static str> {
    sync::packet_size(data, min).map(ts_seen)
}

/// A datagram of whole TS packets of one size.
fn ts_datagram(datagram: &[u8]) -> Option<&'static str> {
    sync::whole_packets(datagram).map(ts_seen)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rtmp_needs_c1_or_s0() {
        let mut c0c1 = vec![3u8];
        assert_eq!(sniff_stream(&c0c1, &[], false), None);
        assert_eq!(
            sniff_stream(&c0c1, &[3], false).map(|d| d.0),
            Some(Protocol::Rtmp)
        );
        c0c1.resize(1537, 0);
        assert_eq!(
            sniff_stream(&c0c1, &[], false).map(|d| d.0),
            Some(Protocol::Rtmp)
        );
        c0c1[0] = 6;
        assert_eq!(
            sniff_stream(&c0c1, &[], false).map(|d| d.0),
            Some(Protocol::Rtmpe)
        );
        assert_eq!(
            sniff_stream(&[3], &[], true).map(|d| d.0),
            Some(Protocol::Unknown)
        );
    }

    #[test]
    fn ts_over_tcp_is_recognised_however_its_first_packets_are_split() {
        let mut ts = Vec::new();
        for _ in 0..3 {
            let mut packet = vec![0u8; 188];
            packet[0] = weir_mpegts::packet::SYNC_BYTE;
            ts.extend(packet);
        }
        // Until the second sync byte, the bytes may still be TS: wait.
        for cut in [1, 20, 100, 188] {
            assert_eq!(sniff_stream(&ts[..cut], &[], false), None, "{cut}");
        }
        assert_eq!(
            sniff_stream(&ts[..189], &[], false).map(|d| d.0),
            Some(Protocol::MpegTs)
        );
        // Bytes that cannot be TS are not waited for.
        let mut other = ts[..100].to_vec();
        other[0] = b'x';
        assert_eq!(
            sniff_stream(&other, &[], false).map(|d| d.0),
            Some(Protocol::Unknown)
        );
    }

    #[test]
    fn http_and_ts() {
        let get = b"GET /live/a.m3u8 HTTP/1.1\r\nHost: x\r\n\r\n";
        assert_eq!(
            sniff_stream(get, &[], false).map(|d| d.0),
            Some(Protocol::Http)
        );
        let mut ts = vec![0u8; 376];
        ts[0] = 0x47;
        ts[188] = 0x47;
        assert_eq!(sniff_datagram(&ts).map(|d| d.0), Some(Protocol::MpegTs));
        assert_eq!(
            sniff_stream(b"hello there, not a protocol", &[], false).map(|d| d.0),
            Some(Protocol::Unknown)
        );
        // A request line is told at its end, however the bytes come.
        for end in 1..get.len() {
            let said = sniff_stream(&get[..end], &[], false).map(|d| d.0);
            let line_ended = get[..end].contains(&b'\n') || get[..end].ends_with(b"\r");
            assert!(said.is_none() || line_ended, "{end}: {said:?}");
        }
        assert_eq!(
            sniff_stream(b"GET /a-long-target-without-its-end", &[], true).map(|d| d.0),
            Some(Protocol::Unknown)
        );
    }

    /// `n` packets of `stride` bytes with the sync byte `prefix` bytes in.
    fn packets(n: usize, prefix: usize, stride: usize) -> Vec<u8> {
        let mut data = vec![0u8; n * stride];
        for i in 0..n {
            data[i * stride + prefix] = weir_mpegts::packet::SYNC_BYTE;
        }
        data
    }

    #[test]
    fn ts_in_every_stride_and_in_rtp() {
        let what = |d: &[u8]| sniff_datagram(d).map(|(p, what)| (p, what.to_owned()));
        for (prefix, stride) in [(0, 188), (4, 192), (0, 204)] {
            let seven = packets(7, prefix, stride);
            let (protocol, said) = what(&seven).unwrap();
            assert_eq!(protocol, Protocol::MpegTs);
            assert!(said.contains(&stride.to_string()), "{said}");
            assert_eq!(
                sniff_stream(&packets(3, prefix, stride), &[], false).map(|d| d.0),
                Some(Protocol::MpegTs)
            );
        }
        // RTP version 2, payload type 33, one CSRC: TS behind the header.
        let mut rtp = vec![0x81, 33, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1, 9, 9, 9, 9];
        rtp.extend(packets(7, 0, 188));
        assert_eq!(what(&rtp).map(|d| d.0), Some(Protocol::MpegTs));
        // A dynamic payload type carrying whole TS packets.
        rtp[1] = 96;
        assert_eq!(what(&rtp).map(|d| d.0), Some(Protocol::MpegTs));
        // A dynamic payload type carrying something else.
        rtp.truncate(20);
        assert_eq!(what(&rtp).map(|d| d.0), Some(Protocol::Rtp));
    }

    #[test]
    fn files() {
        assert_eq!(
            sniff_file(b"\xEF\xBB\xBF#EXTM3U\n", false).map(|d| d.0),
            Some(Protocol::Hls)
        );
        // Comments before the first tag; a tag other than EXTM3U first.
        for text in [&b"# a comment\r\n\n#EXTM3U\n"[..], b"#EXT-X-VERSION:3\n"] {
            assert_eq!(sniff_file(text, true).map(|d| d.0), Some(Protocol::Hls));
        }
        assert_eq!(
            sniff_file(&packets(2, 0, 188), false).map(|d| d.0),
            Some(Protocol::MpegTs)
        );
        // One packet: TS only once the file is known to hold no more.
        let one = packets(1, 0, 188);
        assert_eq!(sniff_file(&one, false), None);
        assert_eq!(sniff_file(&one, true).map(|d| d.0), Some(Protocol::MpegTs));
        assert_eq!(
            sniff_file(b"abc", true).map(|d| d.0),
            Some(Protocol::Unknown)
        );
        assert_eq!(
            sniff_file(&[1u8; 600], false).map(|d| d.0),
            Some(Protocol::Unknown)
        );
        assert!(not_a_file_we_read(b"version https://git-lfs.github.com/spec/v1\noid").is_some());
    }

    #[test]
    fn datagrams() {
        let mut stun = vec![0u8; 20];
        stun[1] = 1;
        stun[4..8].copy_from_slice(&STUN_MAGIC_COOKIE);
        assert_eq!(sniff_datagram(&stun).map(|d| d.0), Some(Protocol::Stun));
        let mut srt = vec![0u8; 64];
        srt[0] = 0x80;
        assert_eq!(sniff_datagram(&srt).map(|d| d.0), Some(Protocol::Srt));
        let mut rtp = vec![0u8; 12];
        rtp[0] = 0x80;
        rtp[1] = 96;
        assert_eq!(sniff_datagram(&rtp).map(|d| d.0), Some(Protocol::Rtp));
        assert_eq!(sniff_datagram(b"xyz"), None);
    }

    #[test]
    fn decode_as_parses_and_matches_either_port() {
        let mut d = DecodeAs::default();
        d.add("8080=rtmp").unwrap();
        assert_eq!(d.lookup(8080, 5000), Some((8080, Protocol::Rtmp)));
        assert_eq!(d.lookup(1935, 8080), Some((8080, Protocol::Rtmp)));
        assert_eq!(d.lookup(1935, 5000), None);
        assert!(d.add("x=rtmp").is_err());
        assert!(d.add("1=nope").unwrap_err().contains("unknown protocol"));
    }
}
