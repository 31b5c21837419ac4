//! The handshake control packet's body (draft-sharabayko-srt-01 §3.2.1) and its type, with
//! libsrt's rejection reasons.
//!
//! ```text
//! |                            Version                            |
//! |        Encryption Field       |        Extension Field        |
//! |                 Initial Packet Sequence Number                |
//! |                 Maximum Transmission Unit Size                |
//! |                    Maximum Flow Window Size                   |
//! |                         Handshake Type                        |
//! |                         SRT Socket ID                         |
//! |                           SYN Cookie                          |
//! |                        Peer IP Address (16 bytes)             |
//! |         Extension Type        |        Extension Length       |   (repeated)
//! |                       Extension Contents                    ...
//! ```

use crate::extension::Extension;
use crate::rules::{
    EXTENSION_DUPLICATE, HANDSHAKE_ENCRYPTION, HANDSHAKE_EXTENSION_FLAGS,
    HANDSHAKE_EXTENSION_PLACEMENT, HANDSHAKE_FLOW_WINDOW, HANDSHAKE_INDUCTION_MAGIC,
    HANDSHAKE_INDUCTION_REQUEST, HANDSHAKE_MTU, HANDSHAKE_SEQUENCE, HANDSHAKE_TRUNCATED,
    HANDSHAKE_TYPE, HANDSHAKE_VERSION,
};
use crate::seq::SeqNumber;
use bytes::{BufMut, Bytes, BytesMut};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use weir_media::{Error, Reader, Violation};

/// Bytes of the handshake body before its extensions.
pub const HANDSHAKE_LEN: usize = 48;

/// The extension field of a version-5 induction answer: "SRT" magic (draft §4.3.1.1).
pub const SRT_MAGIC: u16 = 0x4a17;

/// The extension field of a version-4 induction request: the UDT datagram socket type.
pub const UDT_DGRAM: u16 = 2;

/// Extension field bit of a conclusion: an HSREQ or HSRSP extension follows (draft §3.2.1).
pub const EXT_HSREQ: u16 = 1;
/// Extension field bit: a KMREQ or KMRSP extension follows.
pub const EXT_KMREQ: u16 = 2;
/// Extension field bit: configuration extensions (stream id, congestion, filter, group) follow.
pub const EXT_CONFIG: u16 = 4;

/// The smallest MTU a peer may offer: IP, UDP and SRT headers and a little payload.
pub const MIN_MTU: u32 = 76;

/// The encryption field's values (draft §3.2.1): the AES key length, or none.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Encryption(pub u16);

impl Encryption {
    /// No encryption, or not announced.
    pub const NONE: Self = Self(0);
    /// AES-128.
    pub const AES_128: Self = Self(2);
    /// AES-192.
    pub const AES_192: Self = Self(3);
    /// AES-256.
    pub const AES_256: Self = Self(4);

    /// The key length in bytes (16, 24, 32), or `None` for none or an undefined value.
    pub fn key_len(self) -> Option<usize> {
        match self.0 {
            2..=4 => Some(usize::from(self.0) * 8),
            _ => None,
        }
    }

    /// The value announcing a key of `bytes` bytes (16, 24 or 32; anything else is none).
    pub fn for_key_len(bytes: usize) -> Self {
        match bytes {
            16 | 24 | 32 => Self((bytes / 8) as u16),
            _ => Self::NONE,
        }
    }
}

/// A rejection reason: libsrt's `SRT_REJ_*` codes (0-17), `SRT_REJC_PREDEFINED` + n (1000+)
/// and `SRT_REJC_USERDEFINED` + n (2000+). On the wire the handshake type is 1000 + reason.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct RejectReason(pub u32);

impl RejectReason {
    /// Unknown or not given.
    pub const UNKNOWN: Self = Self(0);
    /// A system function failed.
    pub const SYSTEM: Self = Self(1);
    /// The peer rejected the connection.
    pub const PEER: Self = Self(2);
    /// A resource could not be allocated.
    pub const RESOURCE: Self = Self(3);
    /// The handshake carried wrong or contradictory data.
    pub const ROGUE: Self = Self(4);
    /// The listener's backlog is full.
    pub const BACKLOG: Self = Self(5);
    /// An internal program error.
    pub const IPE: Self = Self(6);
    /// The socket is closing.
    pub const CLOSE: Self = Self(7);
    /// The peer's version is older than the minimum required.
    pub const VERSION: Self = Self(8);
    /// Rendezvous cookie collision.
    pub const RDVCOOKIE: Self = Self(9);
    /// Wrong passphrase.
    pub const BADSECRET: Self = Self(10);
    /// Encryption required by one side and not the other.
    pub const UNSECURE: Self = Self(11);
    /// Message API settings differ.
    pub const MESSAGEAPI: Self = Self(12);
    /// Congestion controllers differ.
    pub const CONGESTION: Self = Self(13);
    /// Packet filter settings differ.
    pub const FILTER: Self = Self(14);
    /// Group settings differ.
    pub const GROUP: Self = Self(15);
    /// Connection timed out.
    pub const TIMEOUT: Self = Self(16);
    /// Crypto settings (the cipher mode) differ.
    pub const CRYPTO: Self = Self(17);
    /// Start of the predefined application codes (`SRT_REJC_PREDEFINED`, HTTP-like: 1403...).
    pub const PREDEFINED: u32 = 1000;
    /// Start of the user-defined application codes (`SRT_REJC_USERDEFINED`).
    pub const USER_DEFINED: u32 = 2000;

    /// libsrt's name for the reason (`"BADSECRET"`), `"PREDEFINED"` or `"USERDEFINED"` for
    /// the application ranges, `"UNDEFINED"` beyond the internal codes.
    pub fn name(self) -> &'static str {
        const NAMES: [&str; 18] = [
            "UNKNOWN",
            "SYSTEM",
            "PEER",
            "RESOURCE",
            "ROGUE",
            "BACKLOG",
            "IPE",
            "CLOSE",
            "VERSION",
            "RDVCOOKIE",
            "BADSECRET",
            "UNSECURE",
            "MESSAGEAPI",
            "CONGESTION",
            "FILTER",
            "GROUP",
            "TIMEOUT",
            "CRYPTO",
        ];
        match self.0 {
            code if code >= Self::USER_DEFINED => "USERDEFINED",
            code if code >= Self::PREDEFINED => "PREDEFINED",
            code => NAMES.get(code as usize).copied().unwrap_or("UNDEFINED"),
        }
    }
}

impl std::fmt::Display for RejectReason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} ({})", self.name(), self.0)
    }
}

/// The handshake type (draft §3.2.1, Table 4).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum HandshakeType {
    /// 0: rendezvous wave-a-hand.
    Wavehand,
    /// 1: induction.
    Induction,
    /// 0xFFFFFFFF: conclusion.
    Conclusion,
    /// 0xFFFFFFFE: rendezvous agreement.
    Agreement,
    /// 0xFFFFFFFD: done.
    Done,
    /// 1000 and above: the handshake is refused for this reason.
    Rejection(RejectReason),
    /// Anything else (rule `srt.handshake.type`), kept to be written back.
    Other(u32),
}

impl HandshakeType {
    /// The type from its wire value.
    pub fn from_wire(value: u32) -> Self {
        match value {
            0 => Self::Wavehand,
            1 => Self::Induction,
            0xffff_ffff => Self::Conclusion,
            0xffff_fffe => Self::Agreement,
            0xffff_fffd => Self::Done,
            1000..=0xffff_fffc => Self::Rejection(RejectReason(value - 1000)),
            other => Self::Other(other),
        }
    }

    /// The wire value.
    pub fn to_wire(self) -> u32 {
        match self {
            Self::Wavehand => 0,
            Self::Induction => 1,
            Self::Conclusion => 0xffff_ffff,
            Self::Agreement => 0xffff_fffe,
            Self::Done => 0xffff_fffd,
            // A reason too large for the wire is written as an unknown rejection.
            Self::Rejection(reason) => reason
                .0
                .checked_add(1000)
                .filter(|&v| v < 0xffff_fffd)
                .unwrap_or(1000),
            Self::Other(value) => value,
        }
    }
}

/// The peer address field: 16 bytes, each 32-bit word written as libsrt holds it in a
/// little-endian host (so 127.0.0.1 is `01 00 00 7f`); an IPv4 address fills the first word.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct PeerIp(pub [u8; 16]);

impl PeerIp {
    /// The field for `ip`.
    pub fn from_ip(ip: IpAddr) -> Self {
        let mut raw = [0; 16];
        match ip {
            IpAddr::V4(v4) => raw[..4].copy_from_slice(&v4.octets()),
            IpAddr::V6(v6) => raw = v6.octets(),
        }
        for word in raw.chunks_exact_mut(4) {
            word.reverse();
        }
        PeerIp(raw)
    }

    /// The address: IPv4 when only the first word is set, IPv6 otherwise.
    pub fn to_ip(self) -> IpAddr {
        let mut raw = self.0;
        for word in raw.chunks_exact_mut(4) {
            word.reverse();
        }
        if raw[4..].iter().all(|&b| b == 0) {
            IpAddr::V4(Ipv4Addr::new(raw[0], raw[1], raw[2], raw[3]))
        } else {
            IpAddr::V6(Ipv6Addr::from(raw))
        }
    }
}

/// A handshake (draft §3.2.1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Handshake {
    /// 4 (the caller's induction, HSv4 peers) or 5.
    pub version: u32,
    /// The encryption field.
    pub encryption: Encryption,
    /// The extension field: socket type, SRT magic or extension flags, by stage.
    pub extension_field: u16,
    /// The sender's first data sequence number.
    pub initial_seq: SeqNumber,
    /// Maximum transmission unit, bytes.
    pub mtu: u32,
    /// Maximum flow window, packets.
    pub flow_window: u32,
    /// The stage or the rejection.
    pub kind: HandshakeType,
    /// The sender's socket id.
    pub socket_id: u32,
    /// The listener's SYN cookie (0 in the caller's first induction).
    pub syn_cookie: u32,
    /// The address the sender sees its peer at.
    pub peer_ip: PeerIp,
    /// Extensions, in the order they came.
    pub extensions: Vec<Extension>,
}

impl Handshake {
    /// Parses a handshake body with its extensions.
    pub fn parse(body: &Bytes, violations: &mut Vec<Violation>) -> Result<Self, Error> {
        let mut r = Reader::of(body, &HANDSHAKE_TRUNCATED);
        if body.len() < HANDSHAKE_LEN {
            return Err(r.error(format!(
                "handshake body: needs {HANDSHAKE_LEN} bytes, has {}",
                body.len()
            )));
        }
        let version = r.u32("version")?;
        let encryption = Encryption(r.u16("encryption field")?);
        let extension_field = r.u16("extension field")?;
        let raw_seq = r.u32("initial packet sequence number")?;
        let mtu = r.u32("maximum transmission unit size")?;
        let flow_window = r.u32("maximum flow window size")?;
        let kind = HandshakeType::from_wire(r.u32("handshake type")?);
        let socket_id = r.u32("SRT socket id")?;
        let syn_cookie = r.u32("SYN cookie")?;
        let peer_ip = PeerIp(r.array("peer IP address")?);
        let handshake_start = r.position();
        let extensions =
            Extension::parse_all(body.slice(handshake_start..), violations).map_err(|mut e| {
                e.offset += handshake_start as u64;
                e
            })?;
        let handshake = Handshake {
            version,
            encryption,
            extension_field,
            initial_seq: SeqNumber::new(raw_seq),
            mtu,
            flow_window,
            kind,
            socket_id,
            syn_cookie,
            peer_ip,
            extensions,
        };
        let mut check = |ok: bool, rule, offset: u64, detail: String| {
            if !ok {
                violations.push(Violation::new(rule, offset, detail));
            }
        };
        check(
            matches!(version, 4 | 5),
            &HANDSHAKE_VERSION,
            0,
            format!("handshake version {version}"),
        );
        check(
            matches!(encryption.0, 0 | 2..=4),
            &HANDSHAKE_ENCRYPTION,
            4,
            format!("encryption field {}", encryption.0),
        );
        check(
            raw_seq & 0x8000_0000 == 0,
            &HANDSHAKE_SEQUENCE,
            8,
            format!("initial sequence number {raw_seq:#x} has the top bit set"),
        );
        // A rejection's other fields are copies or zeros; only check what a live offer needs.
        let offer = !matches!(kind, HandshakeType::Rejection(_));
        check(
            !offer || mtu >= MIN_MTU,
            &HANDSHAKE_MTU,
            12,
            format!("MTU {mtu} bytes"),
        );
        check(
            !offer || flow_window >= 1,
            &HANDSHAKE_FLOW_WINDOW,
            16,
            "a flow window of 0 packets".into(),
        );
        check(
            !matches!(kind, HandshakeType::Other(_)),
            &HANDSHAKE_TYPE,
            20,
            format!("handshake type {:#x}", kind.to_wire()),
        );
        if kind == HandshakeType::Induction {
            check(
                version != 5 || extension_field == SRT_MAGIC,
                &HANDSHAKE_INDUCTION_MAGIC,
                6,
                format!("version-5 induction with extension field {extension_field:#x}"),
            );
            check(
                version != 4 || (extension_field == UDT_DGRAM && encryption == Encryption::NONE),
                &HANDSHAKE_INDUCTION_REQUEST,
                4,
                format!(
                    "version-4 induction with encryption {} and extension field {extension_field}",
                    encryption.0
                ),
            );
        }
        let may_extend =
            version == 5 && matches!(kind, HandshakeType::Conclusion | HandshakeType::Agreement);
        check(
            handshake.extensions.is_empty() || may_extend,
            &HANDSHAKE_EXTENSION_PLACEMENT,
            HANDSHAKE_LEN as u64,
            format!(
                "{} extensions in a version-{version} {kind:?} handshake",
                handshake.extensions.len()
            ),
        );
        if version == 5 && kind == HandshakeType::Conclusion {
            let present = handshake.present_flags();
            check(
                present == extension_field & (EXT_HSREQ | EXT_KMREQ | EXT_CONFIG),
                &HANDSHAKE_EXTENSION_FLAGS,
                6,
                format!(
                    "extension field {extension_field:#x}, extensions present say {present:#x}"
                ),
            );
        }
        let mut kinds = Vec::new();
        for extension in &handshake.extensions {
            let kind = extension.kind();
            if kinds.contains(&kind) {
                violations.push(Violation::new(
                    &EXTENSION_DUPLICATE,
                    HANDSHAKE_LEN as u64,
                    format!("a second extension of type {kind}"),
                ));
            }
            kinds.push(kind);
        }
        Ok(handshake)
    }

    /// The extension field bits the extensions present call for.
    pub fn present_flags(&self) -> u16 {
        self.extensions
            .iter()
            .map(|e| match e {
                Extension::HsReq(_) | Extension::HsRsp(_) => EXT_HSREQ,
                Extension::KmReq(_) | Extension::KmRsp(_) => EXT_KMREQ,
                Extension::StreamId(_)
                | Extension::Congestion(_)
                | Extension::Filter(_)
                | Extension::Group(_) => EXT_CONFIG,
                Extension::Unknown { .. } => 0,
            })
            .fold(0, |a, b| a | b)
    }

    /// Appends the body and its extensions.
    pub fn write(&self, out: &mut BytesMut) {
        out.reserve(HANDSHAKE_LEN);
        out.put_u32(self.version);
        out.put_u16(self.encryption.0);
        out.put_u16(self.extension_field);
        out.put_u32(self.initial_seq.get());
        out.put_u32(self.mtu);
        out.put_u32(self.flow_window);
        out.put_u32(self.kind.to_wire());
        out.put_u32(self.socket_id);
        out.put_u32(self.syn_cookie);
        out.put_slice(&self.peer_ip.0);
        for extension in &self.extensions {
            extension.write(out);
        }
    }

    /// The HSREQ or HSRSP extension, if any.
    pub fn srt_options(&self) -> Option<&crate::extension::SrtOptions> {
        self.extensions.iter().find_map(|e| match e {
            Extension::HsReq(o) | Extension::HsRsp(o) => Some(o),
            _ => None,
        })
    }

    /// The stream id extension, if any.
    pub fn stream_id(&self) -> Option<&str> {
        self.extensions.iter().find_map(|e| match e {
            Extension::StreamId(s) => Some(s.as_str()),
            _ => None,
        })
    }

    /// The KMREQ or KMRSP body, if any.
    pub fn key_material(&self) -> Option<&Bytes> {
        self.extensions.iter().find_map(|e| match e {
            Extension::KmReq(b) | Extension::KmRsp(b) => Some(b),
            _ => None,
        })
    }
}
