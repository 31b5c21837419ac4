//! What each protocol's first bytes look like (DESIGN.md, "Conformance harness": content
//! first, the port only as a hint): one sniffer per protocol and carrier — a TCP flow's first
//! bytes, one UDP datagram, a file's first bytes. The [protocol table](crate::protocols)
//! names each row's sniffers; [`detect`](crate::detect) asks them in the table's order.

use weir_mpegts::{PacketSize, sync};

use bytes::Bytes;
use weir_media::Codec;
use weir_rtp::{Encoding, Format, Peek, RtpPacket};

/// What some first bytes say of one protocol.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sniff {
    /// They are this protocol: what was seen.
    Is(&'static str),
    /// Not yet: more bytes may make them this protocol.
    Maybe,
    /// They are not this protocol.
    No,
}

/// A TCP flow's sniffer: the first bytes of the client's direction, then the server's.
pub type StreamSniffer = fn(&[u8], &[u8]) -> Sniff;
/// A UDP datagram's sniffer: what was seen, when the datagram is the protocol's.
pub type DatagramSniffer = fn(&[u8]) -> Option<&'static str>;
/// A file's sniffer: its first bytes, and whether it holds no more.
pub type FileSniffer = fn(&[u8], bool) -> Sniff;

/// The bytes of an RTMP handshake's C0 and C1 (RTMP 1.0 §5.2.2, §5.2.3).
pub const RTMP_C0C1: usize = 1 + 1536;
/// STUN's magic cookie (RFC 8489 §6).
pub const STUN_MAGIC_COOKIE: [u8; 4] = [0x21, 0x12, 0xA4, 0x42];
const UTF8_BOM: &[u8] = b"\xEF\xBB\xBF";
/// Bytes of a file held before a transport stream is no longer waited for: two 204-byte
/// packets behind an M2TS timestamp.
const TS_FILE_WAIT: usize = 2 * 204 + 4;

/// RTMP: C0 version 3 followed by C1, or answered by S0 version 3. C0 alone is too short to
/// tell.
pub fn rtmp_stream(client: &[u8], server: &[u8]) -> Sniff {
    match client.first() {
        Some(3) if client.len() >= RTMP_C0C1 => Sniff::Is("C0 version 3 and a 1536-byte C1"),
        // C0 is followed by C1 before the client waits for S0S1; a server that answers
        // with S0 = 3 confirms it.
        Some(3) if server.first() == Some(&3) => Sniff::Is("C0 version 3 answered by S0 version 3"),
        Some(3) => Sniff::Maybe,
        _ => Sniff::No,
    }
}

/// RTMPE: C0 version 6 and C1.
pub fn rtmpe_stream(client: &[u8], _server: &[u8]) -> Sniff {
    match client.first() {
        Some(6) if client.len() >= RTMP_C0C1 => {
            Sniff::Is("C0 version 6 (RTMPE) and a 1536-byte C1")
        }
        Some(6) => Sniff::Maybe,
        _ => Sniff::No,
    }
}

/// HTTP/1.x: `METHOD SP target SP HTTP/1.x` in the first line (RFC 9112 §3), told at its end.
pub fn http_stream(client: &[u8], _server: &[u8]) -> Sniff {
    if is_http_request(client) {
        Sniff::Is("HTTP request line")
    } else if may_be_http_request(client) {
        Sniff::Maybe
    } else {
        Sniff::No
    }
}

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

/// What detection says of TS in each packet size.
fn ts_seen(size: PacketSize) -> &'static str {
    match size {
        PacketSize::Ts188 => "TS sync byte 0x47 every 188 bytes",
        PacketSize::M2ts192 => "TS sync byte 0x47 every 192 bytes (M2TS)",
        PacketSize::Rs204 => "TS sync byte 0x47 every 204 bytes (with parity bytes)",
    }
}

/// TS over TCP, either way: two sync bytes in step (told at the second).
pub fn ts_stream(client: &[u8], server: &[u8]) -> Sniff {
    match sync::packet_size(client, 2).or_else(|| sync::packet_size(server, 2)) {
        Some(size) => Sniff::Is(ts_seen(size)),
        None if sync::may_become_packets(client) || sync::may_become_packets(server) => {
            Sniff::Maybe
        }
        None => Sniff::No,
    }
}

/// TS in a datagram: whole packets of one size, bare or behind an RTP header (RFC 2250 §2:
/// payload type 33, or a payload of whole packets).
pub fn ts_datagram(datagram: &[u8]) -> Option<&'static str> {
    if let Some(size) = sync::whole_packets(datagram) {
        return Some(ts_seen(size));
    }
    if datagram.len() < 12 || datagram[0] >> 6 != 2 {
        return None;
    }
    let rtp = RtpPacket::parse(&Bytes::copy_from_slice(datagram)).ok()?;
    if Format::of_static(rtp.payload_type).and_then(|f| f.encoding()) == Some(Encoding::MpegTs) {
        return Some("RTP payload type 33 (MPEG-2 TS, RFC 2250)");
    }
    sync::whole_packets(&rtp.payload).map(|_| "RTP payload of whole TS packets (RFC 2250)")
}

/// A TS file: two sync bytes in step, or (once it holds no more) one whole packet.
pub fn ts_file(data: &[u8], complete: bool) -> Sniff {
    if let Some(size) = sync::packet_size(data, 2) {
        return Sniff::Is(ts_seen(size));
    }
    match sync::one_packet(data) {
        Some(size) if complete => Sniff::Is(ts_seen(size)),
        _ if complete || data.len() > TS_FILE_WAIT => Sniff::No,
        _ => Sniff::Maybe,
    }
}

/// Zero bytes before a program stream's first pack header that the PS sniffers skip (cameras
/// put some there, `mpegps.stream.zero-stuffing`).
const PS_MAX_ZEROS: usize = 64;

/// Whether `data` begins with an MPEG-PS pack header (13818-1 §2.5.3.3: `00 00 01 BA`, then
/// `01` for MPEG-2 or `0010` for MPEG-1), possibly after zero bytes: `Maybe` while too short to
/// tell (`complete`: no more will come). The answer names what was seen.
fn ps_start(data: &[u8], complete: bool) -> Sniff {
    let zeros = data.iter().take_while(|&&b| b == 0).count();
    if zeros > PS_MAX_ZEROS + 2 {
        return Sniff::No;
    }
    let rest = &data[zeros..];
    let Some(&[one, code, first]) = rest.get(..3) else {
        let may = match rest {
            [] => true,
            [1] | [1, 0xba] => zeros >= 2,
            _ => false,
        };
        return match may && !complete {
            true => Sniff::Maybe,
            false => Sniff::No,
        };
    };
    // MPEG-2's pack header goes on with `01`, MPEG-1's with `0010`.
    let version = first & 0xc0 == 0x40 || first & 0xf0 == 0x20;
    match (zeros, one, code) {
        (2, 1, 0xba) if version => Sniff::Is("MPEG-PS pack header (ISO/IEC 13818-1 §2.5.3.3)"),
        (3.., 1, 0xba) if version => {
            Sniff::Is("MPEG-PS pack header after zero bytes (ISO/IEC 13818-1 §2.5.3.3)")
        }
        _ => Sniff::No,
    }
}

/// A program stream file (`.ps`, `.mpg`, `.vob`): a pack header first, possibly after zero
/// bytes.
pub fn ps_file(data: &[u8], complete: bool) -> Sniff {
    ps_start(data, complete)
}

/// An MPEG-PS over RTP packet (GB/T 28181 Annex C): an RTP packet (not RTCP) whose payload
/// begins with a pack header, the first packet of a frame. Its header is peeked at, not
/// parsed: every datagram of a flow being detected comes here.
pub fn ps_datagram(datagram: &[u8]) -> Option<&'static str> {
    Peek::of(datagram)?;
    let payload = datagram.get(Peek::payload_offset(datagram)?..)?;
    match ps_start(payload, true) {
        Sniff::Is(_) => Some("RTP payload beginning with an MPEG-PS pack header (GB28181)"),
        _ => None,
    }
}

/// An RTP packet (not RTCP) of a dynamic payload type (96-127, RFC 3551 §6): its payload type
/// and SSRC. Its format is what a description says, if any; without one, it may be PS over RTP
/// whose first packets are a frame's tail (no pack header yet).
pub fn rtp_dynamic(datagram: &[u8]) -> Option<(u8, u32)> {
    let peek = Peek::of(datagram)?;
    (96..=127)
        .contains(&peek.payload_type)
        .then_some((peek.payload_type, peek.ssrc))
}

/// MPEG-PS over RTP over TCP (RFC 4571, GB28181's TCP media): a 16-bit length, then an RTP
/// packet whose payload begins with a pack header. Told at the first frame.
pub fn ps_stream(client: &[u8], server: &[u8]) -> Sniff {
    fn framed(data: &[u8]) -> Sniff {
        let Some(&[hi, lo, first]) = data.get(..3) else {
            return Sniff::Maybe;
        };
        let len = usize::from(u16::from_be_bytes([hi, lo]));
        if len < 12 || !matches!(first, 128..=191) || weir_rtp::rtcp::is_rtcp(&data[2..]) {
            return Sniff::No;
        }
        let Some(header) = Peek::payload_offset(&data[2..]) else {
            return Sniff::Maybe;
        };
        if header >= len {
            return Sniff::No;
        }
        let end = data.len().min(2 + len);
        let Some(payload) = data.get(2 + header..end) else {
            return Sniff::Maybe;
        };
        match ps_start(payload, end == 2 + len) {
            Sniff::Is(_) => {
                Sniff::Is("RTP framed by 16-bit lengths (RFC 4571) carrying MPEG-PS (GB28181)")
            }
            other => other,
        }
    }
    either_direction(client, server, framed)
}

/// An HLS playlist: the first line that is neither blank nor a comment is a tag (`#EXT`, RFC
/// 8216 §4.1), even one that is not `#EXTM3U` (the parser reports that).
pub fn playlist_file(data: &[u8], _complete: bool) -> Sniff {
    let text = data.strip_prefix(UTF8_BOM).unwrap_or(data);
    for line in text.split(|&b| b == b'\n') {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        if line.starts_with(b"#EXT") {
            return Sniff::Is("playlist tags (RFC 8216 §4.1)");
        }
        if !line.is_empty() && !line.starts_with(b"#") {
            break;
        }
    }
    Sniff::No
}

/// STUN: the first two bits 0 and the magic cookie (RFC 8489 §5).
pub fn stun_datagram(datagram: &[u8]) -> Option<&'static str> {
    (datagram.len() >= 20
        && datagram[0] & 0xC0 == 0
        && datagram.get(4..8) == Some(&STUN_MAGIC_COOKIE[..]))
    .then_some("STUN magic cookie")
}

/// A WebRTC port's first datagram (RFC 7983 §7): a STUN message, or a DTLS record (content
/// type 20-25, version 1.0 0xfeff, 1.2 0xfefd or DTLS 1.3's 0xfefc).
pub fn webrtc_datagram(datagram: &[u8]) -> Option<&'static str> {
    if let Some(what) = stun_datagram(datagram) {
        return Some(what);
    }
    match datagram {
        [20..=25, 0xfe, 0xfc..=0xff, ..] if datagram.len() >= 13 => Some("a DTLS record header"),
        _ => None,
    }
}

/// STUN over TCP: messages back to back (RFC 8489 §6.2.2) or framed by a 16-bit length
/// (ICE-TCP, RFC 6544): the magic cookie at byte 4, or at byte 6.
pub fn webrtc_stream(client: &[u8], _server: &[u8]) -> Sniff {
    let stun_at = |at: usize| {
        client
            .get(at..at + 8)
            .map(|h| h[0] & 0xC0 == 0 && h[4..8] == STUN_MAGIC_COOKIE)
    };
    match (stun_at(0), stun_at(2)) {
        (Some(true), _) => Sniff::Is("STUN over TCP (RFC 8489 §6.2.2)"),
        (_, Some(true)) => Sniff::Is("STUN framed by 16-bit lengths (ICE-TCP, RFC 6544)"),
        _ if client.len() < 10 && client.first().is_some_and(|b| b & 0xC0 == 0) => Sniff::Maybe,
        _ => Sniff::No,
    }
}

/// SRT: a control packet (first bit 1) of type 0, the handshake (SRT §3.2.1).
pub fn srt_datagram(datagram: &[u8]) -> Option<&'static str> {
    (datagram.len() >= 64 && datagram[0] == 0x80 && datagram[1] == 0)
        .then_some("SRT handshake control packet")
}

/// RTP or RTCP: version 2 (RFC 3550 §5.1). Looser than the others: asked last.
pub fn rtp_datagram(datagram: &[u8]) -> Option<&'static str> {
    (datagram.len() >= 12 && datagram[0] >> 6 == 2).then_some("RTP/RTCP version 2")
}

/// RTP or RTCP over TCP (RFC 4571 §2): a 16-bit length, then a packet of version 2, twice
/// in a row (the second frame's start is where the first one's length says).
pub fn rtp_stream(client: &[u8], server: &[u8]) -> Sniff {
    fn frames(data: &[u8]) -> Sniff {
        let header = |at: usize| match data.get(at..at + 3) {
            Some(&[hi, lo, first]) => {
                let len = usize::from(u16::from_be_bytes([hi, lo]));
                Some(len >= 8 && matches!(first, 128..=191)).map(|ok| ok.then_some(len))
            }
            _ => None,
        };
        match header(0) {
            None => Sniff::Maybe,
            Some(None) => Sniff::No,
            Some(Some(len)) => match header(2 + len) {
                None => Sniff::Maybe,
                Some(None) => Sniff::No,
                Some(Some(_)) => Sniff::Is("RTP/RTCP framed by 16-bit lengths (RFC 4571)"),
            },
        }
    }
    either_direction(client, server, frames)
}

/// What `sniff` says of either direction of a TCP flow: `Is` when one is, `Maybe` while one may
/// be (a direction with no bytes yet says nothing), else `No`.
fn either_direction(client: &[u8], server: &[u8], sniff: fn(&[u8]) -> Sniff) -> Sniff {
    let said: Vec<Sniff> = [client, server]
        .into_iter()
        .filter(|d| !d.is_empty())
        .map(sniff)
        .collect();
    if let Some(Sniff::Is(what)) = said.iter().find(|s| matches!(s, Sniff::Is(_))) {
        return Sniff::Is(what);
    }
    if said.is_empty() || said.contains(&Sniff::Maybe) {
        Sniff::Maybe
    } else {
        Sniff::No
    }
}

/// A session description (RFC 8866 §5): it begins with its `v=0` line.
fn is_sdp(data: &[u8]) -> bool {
    data.starts_with(b"v=0\r\n") || data.starts_with(b"v=0\n")
}

/// An SDP file.
pub fn sdp_file(data: &[u8], complete: bool) -> Sniff {
    match data.len() {
        _ if is_sdp(data) => Sniff::Is("an SDP v=0 line"),
        0..5 if !complete && b"v=0\r\n".starts_with(data) => Sniff::Maybe,
        _ => Sniff::No,
    }
}

/// An offer and its answer read as a stream pair.
pub fn sdp_stream(client: &[u8], _server: &[u8]) -> Sniff {
    sdp_file(client, false)
}

/// An FLV file (FLV 10.1 §E.2): the signature `FLV` and version 1.
pub fn flv_file(data: &[u8], _complete: bool) -> Sniff {
    match data.get(..4) {
        Some(b"FLV\x01") => Sniff::Is("the FLV signature"),
        Some(_) => Sniff::No,
        None if b"FLV\x01".starts_with(data) => Sniff::Maybe,
        None => Sniff::No,
    }
}

/// What a raw elementary stream file holds, by its first bytes: an Annex-B byte stream (a
/// start code, then the header of a NAL unit a stream begins with) of H.265 (H.265 §7.3.1.2:
/// forbidden bit 0, a VPS, SPS, PPS, AUD, SEI or IRAP slice, `nuh_temporal_id_plus1` not 0)
/// or H.264 (H.264 §7.3.1: forbidden bit 0, an SPS, PPS, AUD, SEI or slice); or ADTS AAC
/// (13818-7 §6.2: a valid header, and another where its frame length says when the file goes
/// on).
pub fn es_kind(data: &[u8]) -> Option<Codec> {
    let nal = if data.starts_with(&[0, 0, 0, 1]) {
        &data[4..]
    } else if data.starts_with(&[0, 0, 1]) {
        &data[3..]
    } else {
        &[]
    };
    if let [h, h2, ..] = *nal {
        let hevc = (h >> 1) & 0x3f;
        if h & 0x81 == 0 && h2 & 7 != 0 && matches!(hevc, 16..=21 | 32..=35 | 39) {
            return Some(Codec::H265);
        }
        if h & 0x80 == 0 && matches!(h & 0x1f, 1 | 5..=9) {
            return Some(Codec::H264);
        }
    }
    let header = weir_media::adts::AdtsHeader::parse(data).ok()?;
    let next = usize::from(header.frame_length);
    match data.get(next..) {
        Some(rest) if !rest.is_empty() => weir_media::adts::AdtsHeader::parse(rest)
            .ok()
            .map(|_| Codec::Aac),
        _ => Some(Codec::Aac),
    }
}

/// A raw H.264, H.265 or ADTS AAC elementary stream ([`es_kind`]).
pub fn es_file(data: &[u8], complete: bool) -> Sniff {
    match es_kind(data) {
        Some(Codec::H264) => Sniff::Is("an H.264 Annex-B byte stream"),
        Some(Codec::H265) => Sniff::Is("an H.265 Annex-B byte stream"),
        Some(_) => Sniff::Is("ADTS AAC frames"),
        None if data.len() < 16 && !complete => Sniff::Maybe,
        None => Sniff::No,
    }
}

/// An ISO base media file (ISO/IEC 14496-12 §4.2, §4.3): a box header whose type is one a
/// file or segment begins with — `ftyp`, `styp` (§8.16.2), or a bare `moov`/`moof`.
pub fn mp4_file(data: &[u8], _complete: bool) -> Sniff {
    match data.get(4..8) {
        Some(b"ftyp") => Sniff::Is("an ftyp box"),
        Some(b"styp") => Sniff::Is("an styp box"),
        Some(b"moov" | b"moof") => Sniff::Is("a moov or moof box"),
        Some(_) => Sniff::No,
        None if data.len() < 8 => Sniff::Maybe,
        None => Sniff::No,
    }
}

/// Why a file that is no capture is not one of the other inputs either, when its first bytes
/// say so.
pub fn not_a_file_we_read(head: &[u8]) -> Option<&'static str> {
    head.starts_with(b"version https://git-lfs.github.com/spec/")
        .then_some("a Git LFS pointer, not the file it points to (run `git lfs pull`)")
}
