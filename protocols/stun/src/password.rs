//! PASSWORD-ALGORITHM and PASSWORD-ALGORITHMS (RFC 8489 §14.11, §14.12), and the keys that
//! credentials give (§9.1.1 short-term, §9.2.2 long-term).
//!
//! ```text
//! algorithm (16 bits) | parameters length (16 bits) | parameters, padded to 4 bytes
//! ```

use crate::rules;
use bytes::Bytes;
use md5::Md5;
use sha2::{Digest, Sha256};
use weir_media::{Error, Reader};

/// A password algorithm and its parameters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PasswordAlgorithm {
    /// 0x0001 MD5, 0x0002 SHA-256 (RFC 8489 §18.5).
    pub algorithm: u16,
    /// The algorithm's parameters (none for MD5 and SHA-256).
    pub parameters: Bytes,
}

impl PasswordAlgorithm {
    /// MD5 (RFC 8489 §18.5.1.1).
    pub const MD5: u16 = 0x0001;
    /// SHA-256 (RFC 8489 §18.5.1.2).
    pub const SHA256: u16 = 0x0002;

    /// Reads one algorithm and its padded parameters.
    fn read(r: &mut Reader<'_>) -> Result<PasswordAlgorithm, Error> {
        let algorithm = r.u16("password algorithm")?;
        let len = usize::from(r.u16("parameters length")?);
        let parameters = Bytes::copy_from_slice(r.bytes(len, "parameters")?);
        r.skip(len.next_multiple_of(4) - len, "parameters padding")?;
        Ok(PasswordAlgorithm {
            algorithm,
            parameters,
        })
    }

    fn write(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.algorithm.to_be_bytes());
        out.extend_from_slice(&(self.parameters.len() as u16).to_be_bytes());
        out.extend_from_slice(&self.parameters);
        out.resize(out.len() + (4 - self.parameters.len() % 4) % 4, 0);
    }

    /// Reads PASSWORD-ALGORITHM: exactly one algorithm.
    pub fn decode(value: &[u8]) -> Result<PasswordAlgorithm, Error> {
        let mut r = Reader::new(value, &rules::ATTRIBUTE_LENGTH);
        let one = Self::read(&mut r)?;
        if !r.is_empty() {
            return Err(r.error("bytes after PASSWORD-ALGORITHM's parameters"));
        }
        Ok(one)
    }

    /// Appends PASSWORD-ALGORITHM's value.
    pub fn encode(&self, out: &mut Vec<u8>) {
        self.write(out);
    }

    /// Reads PASSWORD-ALGORITHMS: a list.
    pub fn decode_list(value: &[u8]) -> Result<Vec<PasswordAlgorithm>, Error> {
        let mut r = Reader::new(value, &rules::ATTRIBUTE_LENGTH);
        let mut list = Vec::with_capacity(r.capacity(value.len() / 4));
        while !r.is_empty() {
            list.push(Self::read(&mut r)?);
        }
        Ok(list)
    }

    /// Appends PASSWORD-ALGORITHMS' value.
    pub fn encode_list(list: &[PasswordAlgorithm], out: &mut Vec<u8>) {
        list.iter().for_each(|a| a.write(out));
    }
}

/// What a message's integrity is checked with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Credentials {
    /// Short-term credentials (ICE): the key is the password (RFC 8489 §9.1.1), already
    /// prepared with the OpaqueString profile.
    ShortTerm {
        /// The password.
        password: String,
    },
    /// Long-term credentials (TURN): the key is MD5 or SHA-256 of
    /// `username ":" realm ":" password` (RFC 8489 §9.2.2), the strings already prepared.
    LongTerm {
        /// The username.
        username: String,
        /// The realm.
        realm: String,
        /// The password.
        password: String,
    },
}

impl Credentials {
    /// The HMAC key for a message whose PASSWORD-ALGORITHM is `algorithm` (MD5 when it has
    /// none; short-term keys do not depend on it).
    pub fn key(&self, algorithm: u16) -> Vec<u8> {
        match self {
            Credentials::ShortTerm { password } => password.as_bytes().to_vec(),
            Credentials::LongTerm {
                username,
                realm,
                password,
            } => {
                let input = format!("{username}:{realm}:{password}");
                if algorithm == PasswordAlgorithm::SHA256 {
                    Sha256::digest(input.as_bytes()).to_vec()
                } else {
                    Md5::digest(input.as_bytes()).to_vec()
                }
            }
        }
    }

    /// The USERHASH of long-term credentials (RFC 8489 §14.4): SHA-256 of
    /// `username ":" realm`.
    pub fn userhash(&self) -> Option<[u8; 32]> {
        match self {
            Credentials::ShortTerm { .. } => None,
            Credentials::LongTerm {
                username, realm, ..
            } => Some(Sha256::digest(format!("{username}:{realm}").as_bytes()).into()),
        }
    }
}
