//! The SRTP key log: the master keys of each DTLS-SRTP session, written by `weir serve` (off by
//! default) and read by `weir check --keylog FILE` to decrypt a capture of its sessions.
//!
//! # Format
//!
//! UTF-8 text, one line per DTLS-SRTP session, lines ended by `\n` (a `\r` before it is
//! allowed). A line is blank, a comment starting with `#`, or eight fields separated by single
//! spaces:
//!
//! ```text
//! SRTP <profile> <client ip:port> <server ip:port> <client key> <client salt> <server key> <server salt>
//! SRTP AES_CM_128_HMAC_SHA1_80 192.0.2.7:50412 198.51.100.1:8000 00112233445566778899aabbccddeeff 0102030405060708090a0b0c0d0e 8899aabbccddeeff0011223344556677 1112131415161718191a1b1c1d1e
//! ```
//!
//! - `profile`: `AES_CM_128_HMAC_SHA1_80`, `AES_CM_128_HMAC_SHA1_32`, `AEAD_AES_128_GCM` or
//!   `AEAD_AES_256_GCM` ([`Profile::name`]);
//! - the client is the DTLS client, the server the DTLS server; addresses as Rust's
//!   `SocketAddr` prints them (`[2001:db8::1]:8000` for IPv6);
//! - keys and salts: hex (written lowercase, read in either case), the master key and master
//!   salt each side sends with (RFC 5764 §4.2: `client_write_SRTP_master_key` and so on), of
//!   the profile's lengths.
//!
//! Anything else is an error naming `rtp.srtp.keylog`, the line and the field. A later line for
//! the same pair of addresses replaces an earlier one (a new session reusing the ports).

use std::fmt::Write as _;
use std::net::SocketAddr;

use super::kdf::{MasterKey, Profile};
use crate::rules::SRTP_KEYLOG;
use weir_media::Error;

/// One DTLS-SRTP session's line: its profile, addresses and both directions' master keys.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// The DTLS client's address (ip:port).
    pub client: SocketAddr,
    /// The DTLS server's address.
    pub server: SocketAddr,
    /// What the client sends with.
    pub client_key: MasterKey,
    /// What the server sends with (the same profile).
    pub server_key: MasterKey,
}

impl Entry {
    /// The session's protection profile.
    pub fn profile(&self) -> Profile {
        self.client_key.profile()
    }

    /// The line for the entry, without its end of line.
    pub fn to_line(&self) -> String {
        let mut line = format!(
            "SRTP {} {} {}",
            self.profile().name(),
            self.client,
            self.server
        );
        for key in [&self.client_key, &self.server_key] {
            line.push(' ');
            push_hex(&mut line, key.key());
            line.push(' ');
            push_hex(&mut line, key.salt());
        }
        line
    }

    /// Reads one line (not blank, not a comment); `offset` is where it starts in the log and
    /// `number` its line number, for the error.
    pub fn parse_line(line: &str, offset: u64, number: usize) -> Result<Entry, Error> {
        let fail =
            |detail: String| Error::rule(&SRTP_KEYLOG, offset, format!("line {number}: {detail}"));
        let fields: Vec<&str> = line.split(' ').collect();
        if fields.len() != 8 {
            return Err(fail(format!(
                "{} space-separated fields where a key line has 8",
                fields.len()
            )));
        }
        if fields[0] != "SRTP" {
            return Err(fail(format!("starts with {:?}, not SRTP", fields[0])));
        }
        let profile = Profile::from_name(fields[1])
            .ok_or_else(|| fail(format!("{:?} is no profile Weir knows", fields[1])))?;
        let address = |i: usize, what: &str| {
            fields[i]
                .parse::<SocketAddr>()
                .map_err(|_| fail(format!("the {what} address {:?} is not ip:port", fields[i])))
        };
        let (client, server) = (address(2, "client")?, address(3, "server")?);
        let octets = |i: usize, what: &str, len: usize| {
            let bytes = hex(fields[i]).ok_or_else(|| fail(format!("the {what} is not hex")))?;
            if bytes.len() != len {
                return Err(fail(format!(
                    "the {what} is {} octets where {} takes {len}",
                    bytes.len(),
                    profile.name()
                )));
            }
            Ok(bytes)
        };
        let (k, s) = (profile.key_len(), profile.salt_len());
        let key = |ki: usize, si: usize, who: &str| {
            let key = octets(ki, &format!("{who} master key"), k)?;
            let salt = octets(si, &format!("{who} master salt"), s)?;
            MasterKey::new(profile, &key, &salt).map_err(|e| fail(e.detail))
        };
        Ok(Entry {
            client,
            server,
            client_key: key(4, 5, "client")?,
            server_key: key(6, 7, "server")?,
        })
    }
}

/// A whole key log: its sessions in order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct KeyLog {
    /// The sessions, in the order of their lines.
    pub entries: Vec<Entry>,
}

impl KeyLog {
    /// Reads a key log, strictly: the first bad line is an error naming its line number.
    pub fn parse(text: &str) -> Result<KeyLog, Error> {
        let mut entries = Vec::new();
        let mut offset = 0u64;
        for (i, raw) in text.split_inclusive('\n').enumerate() {
            let line = raw.strip_suffix('\n').unwrap_or(raw);
            let line = line.strip_suffix('\r').unwrap_or(line);
            if !line.is_empty() && !line.starts_with('#') {
                entries.push(Entry::parse_line(line, offset, i + 1)?);
            }
            offset += raw.len() as u64;
        }
        Ok(KeyLog { entries })
    }

    /// The log as text, one line per entry, each ended by `\n`.
    pub fn write(&self) -> String {
        let mut out = String::new();
        for entry in &self.entries {
            let _ = writeln!(out, "{}", entry.to_line());
        }
        out
    }

    /// The key a datagram from `source` to `destination` was protected with: the client's when
    /// the client sent it, the server's when the server did. The last matching line wins.
    pub fn lookup(&self, source: SocketAddr, destination: SocketAddr) -> Option<&MasterKey> {
        self.entries.iter().rev().find_map(|e| {
            if (e.client, e.server) == (source, destination) {
                Some(&e.client_key)
            } else if (e.server, e.client) == (source, destination) {
                Some(&e.server_key)
            } else {
                None
            }
        })
    }
}

fn push_hex(out: &mut String, bytes: &[u8]) {
    for b in bytes {
        let _ = write!(out, "{b:02x}");
    }
}

/// The octets of an even-length, non-empty hex string; `None` for anything else.
pub(crate) fn hex(text: &str) -> Option<Vec<u8>> {
    let digits = text.as_bytes();
    if digits.is_empty() || !digits.len().is_multiple_of(2) {
        return None;
    }
    digits
        .chunks(2)
        .map(|pair| {
            let high = (pair[0] as char).to_digit(16)?;
            let low = (pair[1] as char).to_digit(16)?;
            Some((high * 16 + low) as u8)
        })
        .collect()
}
