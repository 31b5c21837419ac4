//! DTLS attributes (RFC 8842, RFC 8122 §5, RFC 4145 §4): the certificate fingerprint and the
//! setup role.

use crate::rules;
use crate::text::{Problem, is_token, problem};
use std::fmt;

/// `a=fingerprint` (RFC 8122 §5): the hash of the certificate the endpoint will present.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Fingerprint {
    /// Hash function name as written (`sha-256`).
    pub hash: String,
    /// The digest bytes.
    pub digest: Vec<u8>,
}

/// The digest length of a hash function RFC 8122 §5 names, by lowercase name.
pub fn hash_length(hash: &str) -> Option<usize> {
    Some(match hash.to_ascii_lowercase().as_str() {
        "md2" | "md5" => 16,
        "sha-1" => 20,
        "sha-224" => 28,
        "sha-256" => 32,
        "sha-384" => 48,
        "sha-512" => 64,
        _ => return None,
    })
}

impl Fingerprint {
    /// Parses the value of `a=fingerprint:`; an unknown hash, a digest of the wrong length or
    /// lowercase hex go to `notes`.
    pub(crate) fn parse(value: &str, notes: &mut Vec<Problem>) -> Result<Fingerprint, Problem> {
        let bad = |detail: String| problem(&rules::DTLS_FINGERPRINT, detail);
        let (hash, hex) = value
            .split_once(' ')
            .ok_or_else(|| bad("no space between hash and digest".into()))?;
        if !is_token(hash) {
            return Err(bad(format!("hash name {hash:?}")));
        }
        let mut digest = Vec::new();
        let mut lowercase = false;
        for pair in hex.split(':') {
            let b = pair.as_bytes();
            if b.len() != 2 || !b.iter().all(u8::is_ascii_hexdigit) {
                return Err(bad(format!("digest byte {pair:?} is not two hex digits")));
            }
            lowercase |= b.iter().any(u8::is_ascii_lowercase);
            digest.push(u8::from_str_radix(pair, 16).map_err(|_| bad("hex".into()))?);
        }
        if lowercase {
            notes.push(problem(
                &rules::DTLS_FINGERPRINT,
                "the digest is in lowercase hex (UHEX is uppercase)",
            ));
        }
        match hash_length(hash) {
            None => notes.push(problem(
                &rules::DTLS_FINGERPRINT_HASH,
                format!("unknown hash function {hash:?}"),
            )),
            Some(len) if len != digest.len() => notes.push(problem(
                &rules::DTLS_FINGERPRINT_LENGTH,
                format!("{hash} digest of {} bytes, not {len}", digest.len()),
            )),
            Some(_) => {}
        }
        Ok(Fingerprint {
            hash: hash.to_string(),
            digest,
        })
    }
}

impl fmt::Display for Fingerprint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.hash)?;
        for (i, b) in self.digest.iter().enumerate() {
            f.write_str(if i == 0 { " " } else { ":" })?;
            write!(f, "{b:02X}")?;
        }
        Ok(())
    }
}

/// `a=setup` (RFC 4145 §4, RFC 8842 §5): which side opens the DTLS (or TCP) connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Setup {
    /// `active`: this endpoint initiates.
    Active,
    /// `passive`: this endpoint accepts.
    Passive,
    /// `actpass`: either; offers only.
    ActPass,
    /// `holdconn`: no connection for now.
    HoldConn,
}

impl Setup {
    pub(crate) fn parse(value: &str) -> Result<Setup, Problem> {
        Ok(match value {
            "active" => Setup::Active,
            "passive" => Setup::Passive,
            "actpass" => Setup::ActPass,
            "holdconn" => Setup::HoldConn,
            _ => return Err(problem(&rules::DTLS_SETUP, format!("setup {value:?}"))),
        })
    }

    /// The token on the wire.
    pub fn as_str(self) -> &'static str {
        match self {
            Setup::Active => "active",
            Setup::Passive => "passive",
            Setup::ActPass => "actpass",
            Setup::HoldConn => "holdconn",
        }
    }

    /// Whether an answer may take role `answer` against an offer of this role
    /// (RFC 8842 §5.3, RFC 4145 §4.1).
    pub fn allows_answer(self, answer: Setup) -> bool {
        matches!(
            (self, answer),
            (Setup::ActPass, Setup::Active | Setup::Passive)
                | (Setup::Active, Setup::Passive)
                | (Setup::Passive, Setup::Active)
                | (Setup::HoldConn, Setup::HoldConn)
        )
    }
}

impl fmt::Display for Setup {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}
