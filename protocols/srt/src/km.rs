//! The Key Material message (draft-sharabayko-srt-01 §3.2.2): the body of the KMREQ and KMRSP
//! handshake extensions (§3.2.1.2) and of the KMREQ/KMRSP control messages sent for a key
//! refresh. It carries the salt and the stream encrypting keys (SEKs), wrapped with the key
//! encrypting key (KEK) that both peers derive from the passphrase (§6.1).
//!
//! ```text
//!  0                   1                   2                   3
//!  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//! |S|  V  |   PT  |              Sign             |   Resv1   | KK|
//! |                              KEKI                             |
//! |    Cipher     |      Auth     |      SE       |     Resv2     |
//! |             Resv3             |     SLen/4    |     KLen/4    |
//! |                  Salt (SLen bytes)                            |
//! |   Wrap: ICV (8 bytes), even and/or odd SEK (KLen bytes each)  |
//! ```
//!
//! A KMRSP that refuses the keys is not a Key Material message but one 32-bit state
//! ([`KmState`]); [`KmResponse`] tells the two apart the way libsrt does, by length.

use bytes::{BufMut, Bytes, BytesMut};
use weir_media::{Error, Reader, Violation};

use crate::rules::{
    KM_AUTH, KM_CIPHER, KM_KEKI, KM_KEY_FLAGS, KM_KEY_LENGTH, KM_LENGTH, KM_PACKET_TYPE,
    KM_RESERVED, KM_RESPONSE_STATE, KM_SALT_LENGTH, KM_SIGNATURE, KM_STREAM_ENCAPSULATION,
    KM_VERSION,
};

/// The fixed header before the salt (§3.2.2).
pub const HEADER_LEN: usize = 16;
/// The vendor signature "HAI" in the Sign field (§3.2.2).
pub const SIGNATURE: u16 = 0x2029;
/// The only version the draft defines (§3.2.2, V).
pub const VERSION: u8 = 1;
/// PT for a Key Material message (§3.2.2).
pub const PACKET_TYPE_KM: u8 = 2;
/// The salt length the draft and libsrt use: 128 bits (§3.2.2, SLen).
pub const SALT_LEN: usize = 16;
/// The RFC 3394 integrity check value in front of the wrapped keys (§3.2.2, Wrap).
pub const ICV_LEN: usize = 8;

/// The longest message: header, a salt of 255 words and two 256-bit keys; nothing longer is
/// ever read.
pub const MAX_LEN: usize = HEADER_LEN + 255 * 4 + ICV_LEN + 2 * 32;

/// Which stream encrypting keys a message carries (§3.2.2, KK): the even key, the odd key, or
/// both (while a refresh is announced, §6.1.6).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum KeyFlags {
    /// KK = 1: the even key only.
    Even,
    /// KK = 2: the odd key only.
    Odd,
    /// KK = 3: the even key, then the odd key.
    Both,
}

impl KeyFlags {
    /// The flags from the two KK bits; `None` for 0, which announces no key.
    pub fn from_bits(bits: u8) -> Option<Self> {
        match bits & 0b11 {
            1 => Some(KeyFlags::Even),
            2 => Some(KeyFlags::Odd),
            3 => Some(KeyFlags::Both),
            _ => None,
        }
    }

    /// The two KK bits.
    pub fn bits(self) -> u8 {
        match self {
            KeyFlags::Even => 1,
            KeyFlags::Odd => 2,
            KeyFlags::Both => 3,
        }
    }

    /// How many keys are wrapped: 1 or 2.
    pub fn count(self) -> usize {
        match self {
            KeyFlags::Both => 2,
            _ => 1,
        }
    }
}

/// The Cipher field (§3.2.2): which cipher and mode the keys are for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Cipher {
    /// 0: none, or the cipher the KEKI names.
    None,
    /// 1: AES-ECB, reserved.
    AesEcb,
    /// 2: AES-CTR (§6.1.2), the one cipher SRT live mode uses.
    AesCtr,
    /// 3: AES-CBC, reserved.
    AesCbc,
    /// 4: AES-GCM, added by libsrt 1.5.2 after the draft; parsed, not supported here.
    AesGcm,
    /// Any other value.
    Other(u8),
}

impl Cipher {
    /// The cipher for a Cipher field value.
    pub fn from_u8(value: u8) -> Self {
        match value {
            0 => Cipher::None,
            1 => Cipher::AesEcb,
            2 => Cipher::AesCtr,
            3 => Cipher::AesCbc,
            4 => Cipher::AesGcm,
            other => Cipher::Other(other),
        }
    }

    /// The Cipher field value.
    pub fn to_u8(self) -> u8 {
        match self {
            Cipher::None => 0,
            Cipher::AesEcb => 1,
            Cipher::AesCtr => 2,
            Cipher::AesCbc => 3,
            Cipher::AesGcm => 4,
            Cipher::Other(other) => other,
        }
    }
}

/// The length of each stream encrypting key and of the KEK (§3.2.2, KLen; §6.1.4).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum KeyLength {
    /// 16 bytes, AES-128 (libsrt's default).
    Aes128,
    /// 24 bytes, AES-192.
    Aes192,
    /// 32 bytes, AES-256.
    Aes256,
}

impl KeyLength {
    /// The key length for a length in bytes; `None` unless 16, 24 or 32.
    pub fn from_bytes(len: usize) -> Option<Self> {
        match len {
            16 => Some(KeyLength::Aes128),
            24 => Some(KeyLength::Aes192),
            32 => Some(KeyLength::Aes256),
            _ => None,
        }
    }

    /// The length in bytes.
    pub fn bytes(self) -> usize {
        match self {
            KeyLength::Aes128 => 16,
            KeyLength::Aes192 => 24,
            KeyLength::Aes256 => 32,
        }
    }
}

/// One Key Material message; see the [module docs](self).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyMaterial {
    /// Which keys `wrapped` holds.
    pub keys: KeyFlags,
    /// The key encrypting key index; 0 is the default KEK, the only one libsrt uses.
    pub keki: u32,
    /// The cipher the keys are for.
    pub cipher: Cipher,
    /// The Auth field: 0 (none) for AES-CTR.
    pub auth: u8,
    /// The SE field: 2 for MPEG-TS over SRT (libsrt's value), 1 for MPEG-TS over UDP, 0
    /// unspecified.
    pub stream_encapsulation: u8,
    /// The salt (16 bytes from every known sender).
    pub salt: Bytes,
    /// The length of each key.
    pub key_length: KeyLength,
    /// The RFC 3394 wrap of the key(s): the ICV, then the even key and/or the odd key;
    /// `8 + keys.count() * key_length.bytes()` bytes.
    pub wrapped: Bytes,
}

impl KeyMaterial {
    /// Parses a message, tolerating what it can carry on past (see [`parse_checked`]).
    ///
    /// [`parse_checked`]: Self::parse_checked
    pub fn parse(input: &[u8]) -> Result<KeyMaterial, Error> {
        Self::parse_checked(input, &mut Vec::new())
    }

    /// Parses a message: broken fixed fields the layout does not depend on (the S bit and
    /// reserved fields, KEKI, cipher, auth, SE, the salt length, trailing bytes) are pushed to
    /// `violations`; a short message, a wrong signature, version or packet type, no key flags
    /// or a key length other than 16/24/32 are an error. Offsets are bytes into `input`.
    pub fn parse_checked(
        input: &[u8],
        violations: &mut Vec<Violation>,
    ) -> Result<KeyMaterial, Error> {
        let mut r = Reader::new(input, &KM_LENGTH);
        let first = r.u8("S/V/PT")?;
        let sign = r.u16("Sign")?;
        if sign != SIGNATURE {
            return Err(Error::rule(
                &KM_SIGNATURE,
                1,
                format!("Sign is {sign:#06x}, not {SIGNATURE:#06x}"),
            ));
        }
        let version = (first >> 4) & 0b111;
        if version != VERSION {
            return Err(Error::rule(
                &KM_VERSION,
                0,
                format!("V is {version}, not {VERSION}"),
            ));
        }
        let packet_type = first & 0x0f;
        if packet_type != PACKET_TYPE_KM {
            return Err(Error::rule(
                &KM_PACKET_TYPE,
                0,
                format!("PT is {packet_type}, not {PACKET_TYPE_KM} (Key Material)"),
            ));
        }
        if first & 0x80 != 0 {
            violations.push(Violation::new(&KM_RESERVED, 0, "S bit is 1"));
        }
        let kk_byte = r.u8("Resv1/KK")?;
        if kk_byte & 0xfc != 0 {
            violations.push(Violation::new(
                &KM_RESERVED,
                3,
                format!("Resv1 is {:#x}", kk_byte >> 2),
            ));
        }
        let keys = KeyFlags::from_bits(kk_byte).ok_or_else(|| {
            Error::rule(&KM_KEY_FLAGS, 3, "KK is 0: the message announces no key")
        })?;
        let keki = r.u32("KEKI")?;
        if keki != 0 {
            violations.push(Violation::new(
                &KM_KEKI,
                4,
                format!("KEKI is {keki}, not 0 (the default KEK)"),
            ));
        }
        let cipher = Cipher::from_u8(r.u8("Cipher")?);
        match cipher {
            Cipher::AesCtr | Cipher::AesGcm => {}
            other => violations.push(Violation::new(
                &KM_CIPHER,
                8,
                format!("Cipher is {} ({other:?})", other.to_u8()),
            )),
        }
        let auth = r.u8("Auth")?;
        let auth_ok = match cipher {
            Cipher::AesGcm => auth == 1,
            _ => auth == 0,
        };
        if !auth_ok {
            violations.push(Violation::new(
                &KM_AUTH,
                9,
                format!("Auth is {auth} with cipher {cipher:?}"),
            ));
        }
        let stream_encapsulation = r.u8("SE")?;
        if stream_encapsulation != 2 {
            violations.push(Violation::new(
                &KM_STREAM_ENCAPSULATION,
                10,
                format!("SE is {stream_encapsulation}, not 2 (MPEG-TS/SRT)"),
            ));
        }
        let resv2 = r.u8("Resv2")?;
        let resv3 = r.u16("Resv3")?;
        if resv2 != 0 || resv3 != 0 {
            violations.push(Violation::new(
                &KM_RESERVED,
                11,
                format!("Resv2 is {resv2:#x}, Resv3 is {resv3:#x}"),
            ));
        }
        let salt_len = usize::from(r.u8("SLen/4")?) * 4;
        if salt_len != SALT_LEN {
            violations.push(Violation::new(
                &KM_SALT_LENGTH,
                14,
                format!("the salt is {salt_len} bytes, not {SALT_LEN}"),
            ));
        }
        let key_bytes = usize::from(r.u8("KLen/4")?) * 4;
        let key_length = KeyLength::from_bytes(key_bytes).ok_or_else(|| {
            Error::rule(
                &KM_KEY_LENGTH,
                15,
                format!("KLen is {key_bytes} bytes, not 16, 24 or 32"),
            )
        })?;
        let salt = Bytes::copy_from_slice(r.bytes(salt_len, "Salt")?);
        let wrap_len = ICV_LEN + keys.count() * key_length.bytes();
        let wrapped = Bytes::copy_from_slice(r.bytes(wrap_len, "Wrap")?);
        if !r.is_empty() {
            violations.push(Violation::new(
                &KM_LENGTH,
                r.position() as u64,
                format!("{} bytes after the wrapped keys", r.remaining()),
            ));
        }
        Ok(KeyMaterial {
            keys,
            keki,
            cipher,
            auth,
            stream_encapsulation,
            salt,
            key_length,
            wrapped,
        })
    }

    /// The message's length on the wire.
    pub fn len(&self) -> usize {
        HEADER_LEN + self.salt.len() + self.wrapped.len()
    }

    /// Always false: a message has at least its header.
    pub fn is_empty(&self) -> bool {
        false
    }

    /// Appends the message to `out`. The salt is written in whole 4-byte words (padded with
    /// zeros, cut at 1020 bytes) as SLen/4 demands; every message [`parse`](Self::parse)
    /// returns writes back byte for byte.
    pub fn write(&self, out: &mut BytesMut) {
        let salt_words = self.salt.len().div_ceil(4).min(255);
        out.put_u8((VERSION << 4) | PACKET_TYPE_KM);
        out.put_u16(SIGNATURE);
        out.put_u8(self.keys.bits());
        out.put_u32(self.keki);
        out.put_u8(self.cipher.to_u8());
        out.put_u8(self.auth);
        out.put_u8(self.stream_encapsulation);
        out.put_u8(0);
        out.put_u16(0);
        out.put_u8(salt_words as u8);
        out.put_u8((self.key_length.bytes() / 4) as u8);
        let salt = &self.salt[..self.salt.len().min(salt_words * 4)];
        out.put_slice(salt);
        out.put_bytes(0, salt_words * 4 - salt.len());
        out.put_slice(&self.wrapped);
    }

    /// The message as bytes.
    pub fn to_bytes(&self) -> Bytes {
        let mut out = BytesMut::with_capacity(self.len());
        self.write(&mut out);
        out.freeze()
    }
}

/// The state a KMRSP reports when it refuses the keys (libsrt's `SRT_KM_STATE`, sent as one
/// 32-bit word in place of the Key Material message; draft §3.2.1.2 calls it a "KM State").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum KmState {
    /// 0: the responder has no encryption and the stream goes unencrypted.
    Unsecured,
    /// 1: securing, not yet done (never seen on the wire from libsrt 1.5).
    Securing,
    /// 2: secured (a refusal never carries it).
    Secured,
    /// 3: the responder has no passphrase.
    NoSecret,
    /// 4: the responder's passphrase does not unwrap the keys ("bad secret").
    BadSecret,
    /// Any other value.
    Other(u32),
}

impl KmState {
    /// The state for a 32-bit value.
    pub fn from_u32(value: u32) -> Self {
        match value {
            0 => KmState::Unsecured,
            1 => KmState::Securing,
            2 => KmState::Secured,
            3 => KmState::NoSecret,
            4 => KmState::BadSecret,
            other => KmState::Other(other),
        }
    }

    /// The 32-bit value.
    pub fn to_u32(self) -> u32 {
        match self {
            KmState::Unsecured => 0,
            KmState::Securing => 1,
            KmState::Secured => 2,
            KmState::NoSecret => 3,
            KmState::BadSecret => 4,
            KmState::Other(other) => other,
        }
    }

    /// The KMRSP body that reports this state.
    pub fn to_bytes(self) -> Bytes {
        Bytes::copy_from_slice(&self.to_u32().to_be_bytes())
    }
}

/// A KMRSP body: the echoed Key Material on success, one state word on refusal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KmResponse {
    /// The responder accepted the keys and echoes the message it got.
    Accepted(KeyMaterial),
    /// The responder refused; why.
    Refused(KmState),
}

impl KmResponse {
    /// Parses a KMRSP body: 4 bytes are a state (an unknown one is a violation), anything else
    /// a Key Material message.
    pub fn parse_checked(
        input: &[u8],
        violations: &mut Vec<Violation>,
    ) -> Result<KmResponse, Error> {
        if let [a, b, c, d] = *input {
            let state = KmState::from_u32(u32::from_be_bytes([a, b, c, d]));
            if !matches!(
                state,
                KmState::Unsecured | KmState::NoSecret | KmState::BadSecret
            ) {
                violations.push(Violation::new(
                    &KM_RESPONSE_STATE,
                    0,
                    format!("KMRSP state is {state:?}"),
                ));
            }
            return Ok(KmResponse::Refused(state));
        }
        KeyMaterial::parse_checked(input, violations).map(KmResponse::Accepted)
    }

    /// The body as bytes.
    pub fn to_bytes(&self) -> Bytes {
        match self {
            KmResponse::Accepted(km) => km.to_bytes(),
            KmResponse::Refused(state) => state.to_bytes(),
        }
    }
}
