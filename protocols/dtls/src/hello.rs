//! ClientHello, ServerHello (RFC 5246 §7.4.1.2, §7.4.1.3 with DTLS's cookie, RFC 6347
//! §4.2.1; RFC 8446 §4.1.2, §4.1.3 for DTLS 1.3) and HelloVerifyRequest (RFC 6347 §4.2.1):
//! the bodies a harness reads in the clear to learn what was offered and what was chosen.
//!
//! ```text
//! ClientHello:  version (16) | random (32 bytes) | session_id <0..32> | cookie <0..255>
//!               | cipher_suites <2..2^16-2> | compression_methods <1..255> | extensions <0..2^16-1>
//! ServerHello:  version (16) | random (32 bytes) | session_id <0..32> | cipher_suite (16)
//!               | compression_method (8) | extensions <0..2^16-1>
//! HelloVerifyRequest: server_version (16) | cookie <0..255>
//! ```

use crate::extension::{self, Extension, UseSrtp, types};
use crate::rules;
use bytes::Bytes;
use weir_media::{Error, Reader};

/// The random of a ServerHello that is a DTLS 1.3 HelloRetryRequest (RFC 8446 §4.1.3:
/// SHA-256 of "HelloRetryRequest").
pub const HELLO_RETRY_RANDOM: [u8; 32] = [
    0xcf, 0x21, 0xad, 0x74, 0xe5, 0x9a, 0x61, 0x11, 0xbe, 0x1d, 0x8c, 0x02, 0x1e, 0x65, 0xb8, 0x91,
    0xc2, 0xa2, 0x11, 0x16, 0x7a, 0xbb, 0x8c, 0x5e, 0x07, 0x9e, 0x09, 0xe2, 0xc8, 0xa8, 0x33, 0x9c,
];

/// The signalling cipher suite value that stands for an empty renegotiation_info (RFC 5746 §3.3).
pub const EMPTY_RENEGOTIATION_INFO_SCSV: u16 = 0x00ff;

/// The name of a cipher suite WebRTC stacks offer, or "unknown".
pub fn cipher_suite_name(suite: u16) -> &'static str {
    match suite {
        0x002f => "TLS_RSA_WITH_AES_128_CBC_SHA",
        0x0035 => "TLS_RSA_WITH_AES_256_CBC_SHA",
        0x009c => "TLS_RSA_WITH_AES_128_GCM_SHA256",
        0x1301 => "TLS_AES_128_GCM_SHA256",
        0x1302 => "TLS_AES_256_GCM_SHA384",
        0x1303 => "TLS_CHACHA20_POLY1305_SHA256",
        0xc009 => "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA",
        0xc00a => "TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA",
        0xc013 => "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA",
        0xc014 => "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA",
        0xc02b => "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256",
        0xc02c => "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384",
        0xc02f => "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256",
        0xc030 => "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384",
        0xcca8 => "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256",
        0xcca9 => "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256",
        _ => "unknown",
    }
}

/// A ClientHello.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientHello {
    /// client_version (legacy_version in DTLS 1.3).
    pub version: u16,
    /// 32 random bytes.
    pub random: [u8; 32],
    /// The session to resume (0-32 bytes).
    pub session_id: Bytes,
    /// The cookie from a HelloVerifyRequest, else empty.
    pub cookie: Bytes,
    /// Offered cipher suites, in preference order.
    pub cipher_suites: Vec<u16>,
    /// Offered compression methods.
    pub compression_methods: Bytes,
    /// Extensions, in order (`None`: the block is absent).
    pub extensions: Option<Vec<Extension>>,
}

/// A ServerHello (or, with [`HELLO_RETRY_RANDOM`], a DTLS 1.3 HelloRetryRequest).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerHello {
    /// server_version (legacy_version in DTLS 1.3).
    pub version: u16,
    /// 32 random bytes.
    pub random: [u8; 32],
    /// The session id.
    pub session_id: Bytes,
    /// The chosen cipher suite.
    pub cipher_suite: u16,
    /// The chosen compression method.
    pub compression_method: u8,
    /// Extensions, in order (`None`: the block is absent).
    pub extensions: Option<Vec<Extension>>,
}

/// A HelloVerifyRequest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HelloVerifyRequest {
    /// server_version.
    pub version: u16,
    /// The cookie the client must echo.
    pub cookie: Bytes,
}

fn vector8(r: &mut Reader<'_>, field: &str, max: usize) -> Result<Bytes, Error> {
    let at = r.position();
    let len = usize::from(r.u8(field)?);
    if len > max {
        return Err(r.error_at(at, format!("{field} of {len} bytes, over {max}")));
    }
    r.view(len, field)
}

fn extensions(r: &mut Reader<'_>) -> Result<Option<Vec<Extension>>, Error> {
    if r.is_empty() {
        return Ok(None);
    }
    let len = usize::from(r.u16("extensions length")?);
    let block = r.view(len, "extensions")?;
    if !r.is_empty() {
        return Err(r.error(format!("{} bytes after the extensions", r.remaining())));
    }
    extension::parse_list(&block).map(Some)
}

/// The extension of type `typ` in `list`.
fn find(list: &Option<Vec<Extension>>, typ: u16) -> Option<&Extension> {
    list.iter().flatten().find(|e| e.typ == typ)
}

impl ClientHello {
    /// Reads a ClientHello body; a malformed one is `dtls.hello.syntax`.
    pub fn parse(body: &Bytes) -> Result<ClientHello, Error> {
        let mut r = Reader::of(body, &rules::HELLO_SYNTAX);
        let version = r.u16("client_version")?;
        let random = r.array("random")?;
        let session_id = vector8(&mut r, "session_id", 32)?;
        let cookie = vector8(&mut r, "cookie", 255)?;
        let at = r.position();
        let len = usize::from(r.u16("cipher_suites length")?);
        if len < 2 || len % 2 != 0 {
            return Err(r.error_at(at, format!("cipher_suites of {len} bytes")));
        }
        let mut s = Reader::new(r.bytes(len, "cipher_suites")?, &rules::HELLO_SYNTAX);
        let mut cipher_suites = Vec::with_capacity(len / 2);
        while !s.is_empty() {
            cipher_suites.push(s.u16("cipher suite")?);
        }
        let compression_methods = vector8(&mut r, "compression_methods", 255)?;
        if compression_methods.is_empty() {
            return Err(r.error_at(r.position() - 1, "no compression method"));
        }
        Ok(ClientHello {
            version,
            random,
            session_id,
            cookie,
            cipher_suites,
            compression_methods,
            extensions: extensions(&mut r)?,
        })
    }

    /// The extension of type `typ`.
    pub fn extension(&self, typ: u16) -> Option<&Extension> {
        find(&self.extensions, typ)
    }

    /// The offered use_srtp, if present and well-formed.
    pub fn use_srtp(&self) -> Option<Result<UseSrtp, Error>> {
        self.extension(types::USE_SRTP)
            .map(|e| UseSrtp::parse(&e.data))
    }

    /// The versions offered in supported_versions (empty without it).
    pub fn supported_versions(&self) -> Vec<u16> {
        self.extension(types::SUPPORTED_VERSIONS)
            .and_then(|e| extension::supported_versions(&e.data, true).ok())
            .unwrap_or_default()
    }
}

impl ServerHello {
    /// Reads a ServerHello body; a malformed one is `dtls.hello.syntax`.
    pub fn parse(body: &Bytes) -> Result<ServerHello, Error> {
        let mut r = Reader::of(body, &rules::HELLO_SYNTAX);
        Ok(ServerHello {
            version: r.u16("server_version")?,
            random: r.array("random")?,
            session_id: vector8(&mut r, "session_id", 32)?,
            cipher_suite: r.u16("cipher_suite")?,
            compression_method: r.u8("compression_method")?,
            extensions: extensions(&mut r)?,
        })
    }

    /// Whether it is a DTLS 1.3 HelloRetryRequest.
    pub fn is_hello_retry_request(&self) -> bool {
        self.random == HELLO_RETRY_RANDOM
    }

    /// The extension of type `typ`.
    pub fn extension(&self, typ: u16) -> Option<&Extension> {
        find(&self.extensions, typ)
    }

    /// The chosen use_srtp, if present and well-formed.
    pub fn use_srtp(&self) -> Option<Result<UseSrtp, Error>> {
        self.extension(types::USE_SRTP)
            .map(|e| UseSrtp::parse(&e.data))
    }

    /// The negotiated version: supported_versions' selection, else server_version.
    pub fn negotiated_version(&self) -> u16 {
        self.extension(types::SUPPORTED_VERSIONS)
            .and_then(|e| extension::supported_versions(&e.data, false).ok())
            .and_then(|v| v.first().copied())
            .unwrap_or(self.version)
    }
}

impl HelloVerifyRequest {
    /// Reads a HelloVerifyRequest body; a malformed one is `dtls.hello.syntax`.
    pub fn parse(body: &Bytes) -> Result<HelloVerifyRequest, Error> {
        let mut r = Reader::of(body, &rules::HELLO_SYNTAX);
        let version = r.u16("server_version")?;
        let cookie = vector8(&mut r, "cookie", 255)?;
        if !r.is_empty() {
            return Err(r.error(format!("{} bytes after the cookie", r.remaining())));
        }
        Ok(HelloVerifyRequest { version, cookie })
    }
}

/// The extension types that appear more than once in `list`.
pub fn duplicates(list: &Option<Vec<Extension>>) -> Vec<u16> {
    let mut seen = std::collections::BTreeSet::new();
    let mut dup = Vec::new();
    for e in list.iter().flatten() {
        if !seen.insert(e.typ) && !dup.contains(&e.typ) {
            dup.push(e.typ);
        }
    }
    dup
}

fn write_extensions(list: &Option<Vec<Extension>>, out: &mut Vec<u8>) {
    if let Some(list) = list {
        let len: usize = list.iter().map(|e| 4 + e.data.len()).sum();
        out.extend_from_slice(&(len as u16).to_be_bytes());
        for e in list {
            out.extend_from_slice(&e.typ.to_be_bytes());
            out.extend_from_slice(&(e.data.len() as u16).to_be_bytes());
            out.extend_from_slice(&e.data);
        }
    }
}

impl ClientHello {
    /// The body's bytes.
    pub fn write(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.version.to_be_bytes());
        out.extend_from_slice(&self.random);
        out.push(self.session_id.len() as u8);
        out.extend_from_slice(&self.session_id);
        out.push(self.cookie.len() as u8);
        out.extend_from_slice(&self.cookie);
        out.extend_from_slice(&((self.cipher_suites.len() * 2) as u16).to_be_bytes());
        self.cipher_suites
            .iter()
            .for_each(|s| out.extend_from_slice(&s.to_be_bytes()));
        out.push(self.compression_methods.len() as u8);
        out.extend_from_slice(&self.compression_methods);
        write_extensions(&self.extensions, out);
    }
}

impl ServerHello {
    /// The body's bytes.
    pub fn write(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.version.to_be_bytes());
        out.extend_from_slice(&self.random);
        out.push(self.session_id.len() as u8);
        out.extend_from_slice(&self.session_id);
        out.extend_from_slice(&self.cipher_suite.to_be_bytes());
        out.push(self.compression_method);
        write_extensions(&self.extensions, out);
    }
}

impl HelloVerifyRequest {
    /// The body's bytes.
    pub fn write(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.version.to_be_bytes());
        out.push(self.cookie.len() as u8);
        out.extend_from_slice(&self.cookie);
    }
}
