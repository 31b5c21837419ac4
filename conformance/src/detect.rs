//! Protocol detection by content (DESIGN.md, "Conformance harness"): a flow's first bytes say
//! what it carries, asked of each row's sniffer in the [protocol table](crate::protocols)'s
//! order; its port is only a hint, used when the content is too short to tell;
//! `--decode-as PORT=PROTO` overrides both, as tshark's `-d` does. One datagram may not tell:
//! RTP of a dynamic payload type that nothing explains may be PS over RTP captured from inside
//! a frame, so the checker holds such a flow for a while (`check::checker`'s `RtpHold`).

use std::collections::BTreeMap;

use crate::capture::Transport;
use crate::observe::sdp::Learned;
use crate::protocols::{Protocol, TABLE};
use crate::sniff::{RTMP_C0C1, Sniff};

/// `PORT=PROTO` overrides, as tshark's `-d tcp.port==PORT,PROTO`: a flow with either port
/// equal to PORT is read as PROTO.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DecodeAs {
    ports: BTreeMap<u16, Protocol>,
    /// What `rtp.pt==PT,NAME/RATE` and `--sdp` give: payload types, ICE passwords.
    pub given: Learned,
}

impl DecodeAs {
    /// Parses `PORT=PROTO`, e.g. `8080=rtmp`, or `rtp.pt==PT,NAME[/RATE[/CH]][,FMTP]`, e.g.
    /// `rtp.pt==96,H264/90000` (tshark's `-d rtp.pt==96,h264`), and adds it.
    pub fn add(&mut self, spec: &str) -> Result<(), String> {
        if let Some(payload_type) = spec.strip_prefix("rtp.pt==") {
            return self.given.payload_types.add(payload_type);
        }
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
        self.ports.insert(port, proto);
        Ok(())
    }

    /// What the session description in `path` says: its payload types (over what the capture's
    /// descriptions say) and ICE passwords.
    pub fn add_sdp(&mut self, path: &std::path::Path) -> Result<(), String> {
        let text = std::fs::read(path).map_err(|e| e.to_string())?;
        let (sd, _) = weir_sdp::parse(&text).map_err(|e| e.to_string())?;
        self.given.learn(&sd, "--sdp");
        Ok(())
    }

    /// Reads an SRTP key log (`--keylog`): the keys WebRTC flows are decrypted with.
    pub fn add_keylog(&mut self, path: &std::path::Path) -> Result<(), String> {
        let text = std::fs::read_to_string(path).map_err(|e| e.to_string())?;
        let keys = weir_rtp::srtp::KeyLog::parse(&text).map_err(|e| e.to_string())?;
        self.given.srtp_keys = Some(keys);
        Ok(())
    }

    /// The override for a flow between these ports: the server's port first.
    pub fn lookup(&self, server_port: u16, client_port: u16) -> Option<(u16, Protocol)> {
        [server_port, client_port]
            .into_iter()
            .find_map(|port| self.ports.get(&port).map(|p| (port, *p)))
    }
}

/// Bytes held per direction before detection gives up waiting for more.
pub const MAX_SNIFF: usize = RTMP_C0C1;

/// Bytes of a flow under which detection waits for more, whatever they are.
const TOO_SHORT: usize = 16;

/// What the first bytes of a TCP flow say. `client` and `server` are the first bytes of each
/// direction (up to [`MAX_SNIFF`]); `complete`: no more will come (the flow ended, or enough
/// was held). `None`: wait for more.
pub fn sniff_stream(
    client: &[u8],
    server: &[u8],
    complete: bool,
) -> Option<(Protocol, &'static str)> {
    let sniffers = TABLE
        .iter()
        .filter_map(|row| Some((row.protocol, row.sniff.stream?)));
    let mut waiting = client.len() < TOO_SHORT;
    for (protocol, sniff) in sniffers {
        match sniff(client, server) {
            Sniff::Is(what) => return Some((protocol, what)),
            Sniff::Maybe => waiting = true,
            Sniff::No => {}
        }
    }
    (complete || !waiting).then_some((Protocol::Unknown, ""))
}

/// What one UDP datagram says.
pub fn sniff_datagram(datagram: &[u8]) -> Option<(Protocol, &'static str)> {
    TABLE
        .iter()
        .filter_map(|row| Some((row.protocol, row.sniff.datagram?)))
        .find_map(|(protocol, sniff)| sniff(datagram).map(|what| (protocol, what)))
}

/// What the first bytes of a file say: a transport stream, a playlist, or neither (`Unknown`).
/// `complete`: the file holds no more. `None`: wait for more.
pub fn sniff_file(data: &[u8], complete: bool) -> Option<(Protocol, &'static str)> {
    let mut waiting = false;
    for (protocol, sniff) in TABLE
        .iter()
        .filter_map(|row| Some((row.protocol, row.sniff.file?)))
    {
        match sniff(data, complete) {
            Sniff::Is(what) => return Some((protocol, what)),
            Sniff::Maybe => waiting = true,
            Sniff::No => {}
        }
    }
    (complete || !waiting).then_some((Protocol::Unknown, ""))
}

/// The port hint: the protocol that runs over `transport` whose usual port the server
/// listens on.
pub fn by_port(transport: Transport, server_port: u16) -> Option<Protocol> {
    TABLE
        .iter()
        .find(|row| row.transports.contains(&transport) && row.usual_port == Some(server_port))
        .map(|row| row.protocol)
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
        assert!(
            crate::sniff::not_a_file_we_read(b"version https://git-lfs.github.com/spec/v1\noid")
                .is_some()
        );
    }

    /// A pack header (13818-1 §2.5.3.3): `00 00 01 BA`, then MPEG-2's `01` bits.
    const PACK: [u8; 5] = [0, 0, 1, 0xba, 0x44];

    /// An RTP packet of payload type 96 with a header extension, carrying `payload`.
    fn rtp_with(payload: &[u8]) -> Vec<u8> {
        let mut p = vec![0x90, 96, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1];
        p.extend([0xbe, 0xde, 0, 1, 0x10, 0xab, 0, 0]);
        p.extend(payload);
        p
    }

    #[test]
    fn program_streams_in_files_rtp_and_rfc_4571() {
        let mut ps = PACK.to_vec();
        ps.resize(40, 0xff);
        // A file: a pack header first, or after zero bytes; told at its fifth byte.
        assert_eq!(sniff_file(&ps, false).map(|d| d.0), Some(Protocol::MpegPs));
        let zeros: Vec<u8> = [0; 6].iter().chain(&ps).copied().collect();
        assert_eq!(
            sniff_file(&zeros, false).map(|d| d.0),
            Some(Protocol::MpegPs)
        );
        assert_eq!(sniff_file(&PACK[..3], false), None);
        assert_eq!(
            sniff_file(&[0; 8], true).map(|d| d.0),
            Some(Protocol::Unknown)
        );
        let mut video = ps.clone();
        video[3] = 0xe0;
        assert_eq!(
            sniff_file(&video, true).map(|d| d.0),
            Some(Protocol::Unknown)
        );
        // A datagram: RTP whose payload begins with a pack header; RTP of anything else is RTP.
        let packet = rtp_with(&ps);
        assert_eq!(sniff_datagram(&packet).map(|d| d.0), Some(Protocol::MpegPs));
        assert_eq!(
            sniff_datagram(&rtp_with(&video)).map(|d| d.0),
            Some(Protocol::Rtp)
        );
        // Over TCP: the same behind a 16-bit length, told at the first frame's payload.
        let mut framed = (packet.len() as u16).to_be_bytes().to_vec();
        framed.extend(&packet);
        assert_eq!(
            sniff_stream(&framed, &[], false).map(|d| d.0),
            Some(Protocol::MpegPs)
        );
        // Not before the payload's first bytes are there.
        assert_eq!(sniff_stream(&framed[..22], &[], false), None);
        let mut other = (packet.len() as u16).to_be_bytes().to_vec();
        other.extend(rtp_with(&video));
        other.extend(&framed);
        assert_eq!(
            sniff_stream(&other, &[], false).map(|d| d.0),
            Some(Protocol::Rtp)
        );
    }

    #[test]
    fn datagrams() {
        let mut stun = vec![0u8; 20];
        stun[1] = 1;
        stun[4..8].copy_from_slice(&crate::sniff::STUN_MAGIC_COOKIE);
        assert_eq!(sniff_datagram(&stun).map(|d| d.0), Some(Protocol::WebRtc));
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
