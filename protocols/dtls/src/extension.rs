//! Hello extensions (RFC 5246 §7.4.1.4, RFC 8446 §4.2): named, and decoded where DTLS-SRTP
//! and version negotiation need them — use_srtp (RFC 5764 §4.1.1), supported_versions
//! (RFC 8446 §4.2.1), extended_master_secret (RFC 7627), renegotiation_info (RFC 5746).
//!
//! ```text
//! extension:  type (16) | length (16) | data
//! use_srtp:   profiles length (16) | profile (16)... | mki length (8) | mki
//! ```

use crate::rules;
use bytes::Bytes;
use weir_media::{Error, Reader};

/// Extension type numbers (IANA's TLS ExtensionType registry).
pub mod types {
    /// supported_groups (10).
    pub const SUPPORTED_GROUPS: u16 = 10;
    /// use_srtp (14, RFC 5764).
    pub const USE_SRTP: u16 = 14;
    /// extended_master_secret (23, RFC 7627).
    pub const EXTENDED_MASTER_SECRET: u16 = 23;
    /// cookie (44, RFC 8446).
    pub const COOKIE: u16 = 44;
    /// supported_versions (43, RFC 8446).
    pub const SUPPORTED_VERSIONS: u16 = 43;
    /// renegotiation_info (0xff01, RFC 5746).
    pub const RENEGOTIATION_INFO: u16 = 0xff01;
}

/// An extension type's name.
pub fn name(typ: u16) -> &'static str {
    match typ {
        0 => "server_name",
        1 => "max_fragment_length",
        5 => "status_request",
        10 => "supported_groups",
        11 => "ec_point_formats",
        13 => "signature_algorithms",
        14 => "use_srtp",
        15 => "heartbeat",
        16 => "application_layer_protocol_negotiation",
        18 => "signed_certificate_timestamp",
        21 => "padding",
        22 => "encrypt_then_mac",
        23 => "extended_master_secret",
        35 => "session_ticket",
        41 => "pre_shared_key",
        42 => "early_data",
        43 => "supported_versions",
        44 => "cookie",
        45 => "psk_key_exchange_modes",
        47 => "certificate_authorities",
        50 => "signature_algorithms_cert",
        51 => "key_share",
        54 => "connection_id",
        0xff01 => "renegotiation_info",
        t if t & 0x0f0f == 0x0a0a => "GREASE",
        _ => "unknown",
    }
}

/// One extension, its data raw.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Extension {
    /// The type.
    pub typ: u16,
    /// The data.
    pub data: Bytes,
}

/// SRTP protection profile names (RFC 5764 §4.1.2, RFC 7714 §14.2).
pub fn srtp_profile_name(profile: u16) -> &'static str {
    match profile {
        0x0001 => "SRTP_AES128_CM_HMAC_SHA1_80",
        0x0002 => "SRTP_AES128_CM_HMAC_SHA1_32",
        0x0005 => "SRTP_NULL_HMAC_SHA1_80",
        0x0006 => "SRTP_NULL_HMAC_SHA1_32",
        0x0007 => "SRTP_AEAD_AES_128_GCM",
        0x0008 => "SRTP_AEAD_AES_256_GCM",
        _ => "unknown",
    }
}

/// use_srtp's data (RFC 5764 §4.1.1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UseSrtp {
    /// The protection profiles, in preference order.
    pub profiles: Vec<u16>,
    /// The master key identifier (usually empty).
    pub mki: Bytes,
}

impl UseSrtp {
    /// Reads use_srtp's data; a malformed one is `dtls.use-srtp.syntax`.
    pub fn parse(data: &Bytes) -> Result<UseSrtp, Error> {
        let mut r = Reader::of(data, &rules::USE_SRTP_SYNTAX);
        let len = usize::from(r.u16("protection profiles length")?);
        if len < 2 || len % 2 != 0 {
            return Err(r.error_at(0, format!("protection profiles of {len} bytes")));
        }
        let mut profiles = Vec::with_capacity(r.capacity(len / 2));
        let mut p = Reader::new(
            r.bytes(len, "protection profiles")?,
            &rules::USE_SRTP_SYNTAX,
        );
        while !p.is_empty() {
            profiles.push(p.u16("protection profile")?);
        }
        let mki_len = usize::from(r.u8("MKI length")?);
        let mki = r.view(mki_len, "MKI")?;
        if !r.is_empty() {
            return Err(r.error(format!("{} bytes after the MKI", r.remaining())));
        }
        Ok(UseSrtp { profiles, mki })
    }

    /// The data's bytes.
    pub fn write(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&((self.profiles.len() * 2) as u16).to_be_bytes());
        self.profiles
            .iter()
            .for_each(|p| out.extend_from_slice(&p.to_be_bytes()));
        out.push(self.mki.len() as u8);
        out.extend_from_slice(&self.mki);
    }
}

/// Reads an extensions block (after its 16-bit length): the list, in order.
pub fn parse_list(block: &Bytes) -> Result<Vec<Extension>, Error> {
    let mut r = Reader::of(block, &rules::HELLO_SYNTAX);
    let mut out = Vec::new();
    while !r.is_empty() {
        let typ = r.u16("extension type")?;
        let len = usize::from(r.u16("extension length")?);
        out.push(Extension {
            typ,
            data: r.view(len, "extension data")?,
        });
    }
    Ok(out)
}

/// supported_versions' data: in a ClientHello a list (8-bit length), in a ServerHello the one
/// selected version.
pub fn supported_versions(data: &Bytes, client: bool) -> Result<Vec<u16>, Error> {
    let mut r = Reader::of(data, &rules::HELLO_SYNTAX);
    let mut out = Vec::new();
    if client {
        let len = usize::from(r.u8("versions length")?);
        let mut v = Reader::new(r.bytes(len, "versions")?, &rules::HELLO_SYNTAX);
        while v.remaining() >= 2 {
            out.push(v.u16("version")?);
        }
    } else {
        out.push(r.u16("selected version")?);
    }
    Ok(out)
}
