//! Protocol detection by content (DESIGN.md, "Conformance harness"): a flow's first bytes say
//! what it carries; its port is only a hint, used when the content is too short to tell;
//! `--decode-as PORT=PROTO` overrides both, as tshark's `-d` does.

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

use crate::capture::Transport;

/// What a flow carries, as far as the harness can tell.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Protocol {
    Rtmp,
    /// RTMPE: C0 version 6, encrypted after the handshake; recognised, not observed.
    Rtmpe,
    Http,
    MpegTs,
    Rtp,
    Stun,
    Srt,
    Unknown,
}

impl Protocol {
    pub const ALL: [Protocol; 8] = [
        Protocol::Rtmp,
        Protocol::Rtmpe,
        Protocol::Http,
        Protocol::MpegTs,
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
            Protocol::Rtp => "rtp",
            Protocol::Stun => "stun",
            Protocol::Srt => "srt",
            Protocol::Unknown => "unknown",
        }
    }

    /// The rule id prefixes whose rules apply to a flow of this protocol: those of the
    /// protocol itself and of the formats it carries (RTMP carries AMF and FLV bodies).
    pub fn rule_prefixes(self) -> &'static [&'static str] {
        match self {
            Protocol::Rtmp => &["rtmp.", "amf0.", "amf3.", "flv.", "media."],
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
                let names: Vec<_> = Protocol::ALL[..7].iter().map(|p| p.name()).collect();
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
const TS_PACKET: usize = 188;
const STUN_MAGIC_COOKIE: [u8; 4] = [0x21, 0x12, 0xA4, 0x42];
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
    if ts_sync(client) || ts_sync(server) {
        return Some((Protocol::MpegTs, "TS sync byte 0x47 every 188 bytes"));
    }
    let waiting = matches!(client.first(), Some(3 | 6)) || client.len() < 16;
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
    if datagram.len() >= TS_PACKET && datagram.len().is_multiple_of(TS_PACKET) && ts_sync(datagram)
    {
        return Some((Protocol::MpegTs, "TS sync byte 0x47 every 188 bytes"));
    }
    if datagram.len() >= 12 && datagram[0] >> 6 == 2 {
        return Some((Protocol::Rtp, "RTP/RTCP version 2"));
    }
    None
}

/// The port hint: the protocol whose usual port the server listens on.
pub fn by_port(transport: Transport, server_port: u16) -> Option<Protocol> {
    let candidates: &[Protocol] = match transport {
        Transport::Tcp => &[Protocol::Rtmp, Protocol::Http],
        Transport::Udp => &[Protocol::Stun, Protocol::Srt],
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

/// Sync bytes at every 188-byte boundary, at least two of them (ISO/IEC 13818-1 §2.4.3.2).
fn ts_sync(data: &[u8]) -> bool {
    data.len() > TS_PACKET && data.iter().step_by(TS_PACKET).all(|&b| b == 0x47)
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
