//! The encryption state of one SRT connection (draft-sharabayko-srt-01 §6): the salt and the
//! stream encrypting keys (SEKs) in each direction, the key material exchange that announces
//! them (KMREQ/KMRSP, §6.1.5), the choice of even or odd key by a data packet's KK bits (§3.1),
//! and the key refresh schedule (§6.1.6).
//!
//! ```text
//! // The initiator (the caller, in HSv5) makes the keys and announces them in its conclusion:
//! let mut tx = CryptoContext::initiator(passphrase, KeyLength::Aes128, Refresh::default(), &mut rng);
//! let kmreq = tx.km_request().to_bytes();                // the KMREQ extension's body
//! // The responder unwraps them with its own passphrase and echoes them back:
//! let (mut rx, kmrsp) = CryptoContext::responder(passphrase, &kmreq, &mut violations)?;
//! //   on Err (a bad secret): reject the conclusion (libsrt 1.5: handshake type 1010,
//! //   SRT_REJ_BADSECRET), or, without enforced encryption, answer KmState::BadSecret
//! tx.check_response(&kmrsp, &mut violations)?;           // KmResponse::Accepted or Refused
//! // Data: encrypt in place, put the KK bits in the packet, send any KMREQ it asks for.
//! let sent = tx.encrypt(&mut rng, seq, &mut payload)?;   // sent.key.kk(), sent.announce
//! rx.decrypt(kk, seq, &mut payload)?;                    // kk from the data packet
//! rx.update(&kmreq_from_peer, &mut violations)?;         // a refresh: returns the KMRSP
//! ```
//!
//! Both directions start with the initiator's keys (HSv5 carries one KMREQ); afterwards each
//! sender refreshes its own keys, so a context keeps sending keys and receiving keys apart.

use bytes::Bytes;
use rand_core::RngCore;
use weir_media::{Error, Violation};

use crate::cipher::Aes;
use crate::kdf::{Kek, Passphrase};
use crate::keywrap;
use crate::km::{Cipher, KeyFlags, KeyLength, KeyMaterial, KmResponse, SALT_LEN};
use crate::rules::{CRYPTO_DATA_KK, CRYPTO_KEY_INDEX, KM_CIPHER, KM_RESPONSE_ECHO};
use crate::seq::SeqNumber;

/// Which stream encrypting key a data packet uses (draft §3.1, KK: 1 even, 2 odd).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum KeyIndex {
    /// KK = 1.
    Even,
    /// KK = 2.
    Odd,
}

impl KeyIndex {
    /// The key a data packet's two KK bits name: `None` for 0 (a clear payload); an error
    /// naming `srt.crypto.data-kk` for 3.
    pub fn from_kk(kk: u8) -> Result<Option<KeyIndex>, Error> {
        match kk & 0b11 {
            0 => Ok(None),
            1 => Ok(Some(KeyIndex::Even)),
            2 => Ok(Some(KeyIndex::Odd)),
            _ => Err(Error::rule(
                &CRYPTO_DATA_KK,
                0,
                "a data packet's KK is 3, which names no single key",
            )),
        }
    }

    /// The KK bits of a data packet encrypted with this key.
    pub fn kk(self) -> u8 {
        match self {
            KeyIndex::Even => 1,
            KeyIndex::Odd => 2,
        }
    }

    /// The other key.
    pub fn other(self) -> KeyIndex {
        match self {
            KeyIndex::Even => KeyIndex::Odd,
            KeyIndex::Odd => KeyIndex::Even,
        }
    }
}

/// One stream encrypting key: its bytes (to wrap it) and its expanded AES key.
#[derive(Clone)]
struct Sek {
    bytes: Vec<u8>,
    aes: Aes,
}

impl Sek {
    fn new(bytes: &[u8]) -> Option<Sek> {
        Some(Sek {
            aes: Aes::new(bytes)?,
            bytes: bytes.to_vec(),
        })
    }

    fn generate(key_length: KeyLength, rng: &mut impl RngCore) -> Sek {
        let mut bytes = [0; 32];
        let bytes = &mut bytes[..key_length.bytes()];
        rng.fill_bytes(bytes);
        Sek::new(bytes).expect("16, 24 or 32 bytes make an AES key")
    }
}

/// The salt and the even and/or odd key of one direction: what a Key Material message carries
/// once unwrapped. Key bytes never appear in `Debug` output.
#[derive(Clone)]
pub struct Keys {
    salt: Bytes,
    key_length: KeyLength,
    even: Option<Sek>,
    odd: Option<Sek>,
}

impl std::fmt::Debug for Keys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Keys")
            .field("salt", &self.salt)
            .field("key_length", &self.key_length)
            .field("even", &self.even.is_some())
            .field("odd", &self.odd.is_some())
            .finish()
    }
}

impl Keys {
    /// A fresh 128-bit salt and even key from `rng` (draft §6.2.1): the first keys of a
    /// connection are always the even ones, as libsrt makes them.
    pub fn generate(key_length: KeyLength, rng: &mut impl RngCore) -> Keys {
        let mut salt = [0; SALT_LEN];
        rng.fill_bytes(&mut salt);
        Keys {
            salt: Bytes::copy_from_slice(&salt),
            key_length,
            even: Some(Sek::generate(key_length, rng)),
            odd: None,
        }
    }

    /// The keys a message carries, unwrapped with `kek` (draft §6.3.1). A wrong KEK fails the
    /// integrity check (`srt.crypto.unwrap-integrity`); a cipher other than AES-CTR is
    /// refused (`srt.km.cipher`).
    pub fn from_km(km: &KeyMaterial, kek: &Kek) -> Result<Keys, Error> {
        if km.cipher != Cipher::AesCtr {
            return Err(Error::rule(
                &KM_CIPHER,
                8,
                format!("cipher {:?} is not supported: only AES-CTR", km.cipher),
            ));
        }
        let kek = if kek.key_length() == km.key_length {
            kek
        } else {
            return Err(Error::usage("the KEK's length differs from the keys'"));
        };
        let plain = keywrap::unwrap(kek, &km.wrapped).map_err(|e| e.shifted(km_wrap_offset(km)))?;
        let n = km.key_length.bytes();
        let mut keys = Keys {
            salt: km.salt.clone(),
            key_length: km.key_length,
            even: None,
            odd: None,
        };
        let sek = |i: usize| {
            plain
                .get(i * n..(i + 1) * n)
                .and_then(Sek::new)
                .ok_or_else(|| Error::usage("unwrapped keys of the announced length"))
        };
        match km.keys {
            KeyFlags::Even => keys.even = Some(sek(0)?),
            KeyFlags::Odd => keys.odd = Some(sek(0)?),
            KeyFlags::Both => {
                keys.even = Some(sek(0)?);
                keys.odd = Some(sek(1)?);
            }
        }
        Ok(keys)
    }

    /// The Key Material message announcing these keys, wrapped with `kek` (draft §6.2.1):
    /// AES-CTR, KEKI 0, SE 2, as libsrt sends it.
    pub fn to_km(&self, kek: &Kek) -> KeyMaterial {
        let (keys, plain) = match (&self.even, &self.odd) {
            (Some(even), Some(odd)) => (KeyFlags::Both, [&even.bytes[..], &odd.bytes].concat()),
            (None, Some(odd)) => (KeyFlags::Odd, odd.bytes.clone()),
            (Some(even), None) => (KeyFlags::Even, even.bytes.clone()),
            (None, None) => unreachable!("a Keys holds at least one key"),
        };
        let wrapped = keywrap::wrap(kek, &plain).expect("keys of 16, 24 or 32 bytes wrap");
        KeyMaterial {
            keys,
            keki: 0,
            cipher: Cipher::AesCtr,
            auth: 0,
            stream_encapsulation: 2,
            salt: self.salt.clone(),
            key_length: self.key_length,
            wrapped: Bytes::from(wrapped),
        }
    }

    /// The salt.
    pub fn salt(&self) -> &[u8] {
        &self.salt
    }

    /// The length of each key.
    pub fn key_length(&self) -> KeyLength {
        self.key_length
    }

    /// Whether the key `index` is there.
    pub fn has(&self, index: KeyIndex) -> bool {
        self.slot(index).is_some()
    }

    fn slot(&self, index: KeyIndex) -> Option<&Sek> {
        match index {
            KeyIndex::Even => self.even.as_ref(),
            KeyIndex::Odd => self.odd.as_ref(),
        }
    }

    fn slot_mut(&mut self, index: KeyIndex) -> &mut Option<Sek> {
        match index {
            KeyIndex::Even => &mut self.even,
            KeyIndex::Odd => &mut self.odd,
        }
    }

    /// Encrypts or decrypts (AES-CTR: the same) the payload of data packet `seq` in place
    /// with key `index`; an error naming `srt.crypto.key-index` when that key is not there.
    pub fn apply(&self, index: KeyIndex, seq: SeqNumber, payload: &mut [u8]) -> Result<(), Error> {
        let sek = self.slot(index).ok_or_else(|| {
            Error::rule(
                &CRYPTO_KEY_INDEX,
                0,
                format!("packet {seq} uses the {index:?} key, which was never announced"),
            )
        })?;
        sek.aes.apply_ctr(&self.salt, seq, payload);
        Ok(())
    }
}

/// Where the wrapped keys start in a message.
fn km_wrap_offset(km: &KeyMaterial) -> u64 {
    (crate::km::HEADER_LEN + km.salt.len()) as u64
}

/// When keys are replaced (draft §6.1.6), in packets encrypted with the active key; libsrt's
/// defaults are a refresh every 2^24 packets, announced 2^12 packets ahead.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Refresh {
    rate: u64,
    pre_announce: u64,
}

impl Default for Refresh {
    fn default() -> Self {
        Refresh {
            rate: 1 << 24,
            pre_announce: 1 << 12,
        }
    }
}

impl Refresh {
    /// A schedule switching keys every `rate` packets, announcing the next key `pre_announce`
    /// packets before the switch and retiring the old one `pre_announce` packets after it;
    /// `None` unless `0 < pre_announce` and `2 * pre_announce < rate`.
    pub fn new(rate: u64, pre_announce: u64) -> Option<Refresh> {
        (pre_announce > 0 && pre_announce.checked_mul(2)? < rate)
            .then_some(Refresh { rate, pre_announce })
    }

    /// Packets per key.
    pub fn rate(&self) -> u64 {
        self.rate
    }

    /// Packets between an announcement and the switch, and between the switch and the
    /// retirement.
    pub fn pre_announce(&self) -> u64 {
        self.pre_announce
    }
}

/// What the refresh schedule asks for after a packet (see [`Schedule::on_packet`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RefreshStep {
    /// Nothing.
    None,
    /// Make the next key and announce both keys.
    Announce,
    /// Encrypt with the next key from the next packet on.
    Switch,
    /// Drop the old key and announce the active one alone.
    Retire,
}

/// The key refresh state machine of a sender, driven by packet counts alone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Schedule {
    refresh: Refresh,
    /// Packets encrypted with the active key.
    count: u64,
}

impl Schedule {
    /// A schedule at the start of a key's life.
    pub fn new(refresh: Refresh) -> Schedule {
        Schedule { refresh, count: 0 }
    }

    /// Counts one packet encrypted with the active key and says what is due.
    pub fn on_packet(&mut self) -> RefreshStep {
        self.count += 1;
        let Refresh { rate, pre_announce } = self.refresh;
        if self.count == rate {
            self.count = 0;
            RefreshStep::Switch
        } else if self.count == rate - pre_announce {
            RefreshStep::Announce
        } else if self.count == pre_announce {
            // Only a key that took over from another has an old key to retire; a
            // connection's first key has none, and retiring an absent key is a no-op.
            RefreshStep::Retire
        } else {
            RefreshStep::None
        }
    }

    /// Packets encrypted with the active key so far.
    pub fn count(&self) -> u64 {
        self.count
    }
}

/// What [`CryptoContext::encrypt`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Encrypted {
    /// The key used: put `key.kk()` in the data packet's KK bits.
    pub key: KeyIndex,
    /// A Key Material message to send to the peer now as a KMREQ (a refresh).
    pub announce: Option<KeyMaterial>,
}

/// One connection's encryption; see the [module docs](self).
#[derive(Debug, Clone)]
pub struct CryptoContext {
    passphrase: Passphrase,
    tx_kek: Kek,
    tx: Keys,
    active: KeyIndex,
    schedule: Schedule,
    rx_kek: Kek,
    rx: Keys,
    /// The last Key Material message we announced, which a KMRSP echoes.
    announced: KeyMaterial,
}

impl CryptoContext {
    /// The initiator's context: a fresh salt and even key from `rng`, used both ways.
    pub fn initiator(
        passphrase: Passphrase,
        key_length: KeyLength,
        refresh: Refresh,
        rng: &mut impl RngCore,
    ) -> CryptoContext {
        let keys = Keys::generate(key_length, rng);
        let kek = passphrase.kek(keys.salt(), key_length);
        let announced = keys.to_km(&kek);
        CryptoContext {
            passphrase,
            tx_kek: kek.clone(),
            tx: keys.clone(),
            active: KeyIndex::Even,
            schedule: Schedule::new(refresh),
            rx_kek: kek,
            rx: keys,
            announced,
        }
    }

    /// The responder's context from the initiator's KMREQ body, and the KMRSP body to send
    /// back (the KMREQ echoed, as libsrt answers). On an error (a wrong passphrase fails
    /// with `srt.crypto.unwrap-integrity`) libsrt 1.5.1 as listener rejects the conclusion
    /// with handshake type 1010 (SRT_REJ_BADSECRET, see `captures/ffmpeg-slt-srt-badsecret`);
    /// with enforced encryption off it answers a KMRSP of `KmState::BadSecret` instead.
    pub fn responder(
        passphrase: Passphrase,
        kmreq: &[u8],
        violations: &mut Vec<Violation>,
    ) -> Result<(CryptoContext, Bytes), Error> {
        let km = KeyMaterial::parse_checked(kmreq, violations)?;
        let kek = passphrase.kek(&km.salt, km.key_length);
        let keys = Keys::from_km(&km, &kek)?;
        let active = if keys.has(KeyIndex::Even) {
            KeyIndex::Even
        } else {
            KeyIndex::Odd
        };
        let context = CryptoContext {
            passphrase,
            tx_kek: kek.clone(),
            tx: keys.clone(),
            active,
            schedule: Schedule::new(Refresh::default()),
            rx_kek: kek,
            rx: keys,
            announced: km,
        };
        Ok((context, Bytes::copy_from_slice(kmreq)))
    }

    /// The length of the keys the connection uses (the initiator chose it).
    pub fn key_length(&self) -> KeyLength {
        self.rx.key_length()
    }

    /// Sets the sender's refresh schedule (a responder starts with libsrt's defaults).
    pub fn set_refresh(&mut self, refresh: Refresh) {
        self.schedule = Schedule::new(refresh);
    }

    /// The Key Material message we last announced: the KMREQ to send.
    pub fn km_request(&self) -> &KeyMaterial {
        &self.announced
    }

    /// Checks the peer's KMRSP body against what we announced: a refusal is returned as it
    /// is (the caller decides: libsrt closes on a bad secret); an acceptance that does not
    /// echo our message breaks `srt.km.response-echo`.
    pub fn check_response(
        &self,
        kmrsp: &[u8],
        violations: &mut Vec<Violation>,
    ) -> Result<KmResponse, Error> {
        let response = KmResponse::parse_checked(kmrsp, violations)?;
        if let KmResponse::Accepted(km) = &response
            && *km != self.announced
        {
            return Err(Error::rule(
                &KM_RESPONSE_ECHO,
                0,
                "the KMRSP carries other key material than the KMREQ it answers",
            ));
        }
        Ok(response)
    }

    /// Takes the peer's refresh KMREQ body (draft §6.1.6): the keys it carries replace ours
    /// for receiving, the others stay until replaced. Returns the KMRSP body (the echo).
    pub fn update(
        &mut self,
        kmreq: &[u8],
        violations: &mut Vec<Violation>,
    ) -> Result<Bytes, Error> {
        let km = KeyMaterial::parse_checked(kmreq, violations)?;
        if km.salt != self.rx.salt || km.key_length != self.rx.key_length {
            // libsrt derives a new KEK when the salt or key length changes; so do we.
            self.rx_kek = self.passphrase.kek(&km.salt, km.key_length);
        }
        let keys = Keys::from_km(&km, &self.rx_kek)?;
        if keys.salt != self.rx.salt || keys.key_length != self.rx.key_length {
            self.rx = keys;
        } else {
            for index in [KeyIndex::Even, KeyIndex::Odd] {
                if let Some(sek) = keys.slot(index) {
                    *self.rx.slot_mut(index) = Some(sek.clone());
                }
            }
        }
        Ok(Bytes::copy_from_slice(kmreq))
    }

    /// Encrypts the payload of data packet `seq` in place with the active key and counts it
    /// towards the refresh; `rng` makes the next key when it is due.
    pub fn encrypt(
        &mut self,
        rng: &mut impl RngCore,
        seq: SeqNumber,
        payload: &mut [u8],
    ) -> Result<Encrypted, Error> {
        let key = self.active;
        self.tx.apply(key, seq, payload)?;
        let announce = match self.schedule.on_packet() {
            RefreshStep::None => None,
            RefreshStep::Announce => {
                let next = Sek::generate(self.tx.key_length, rng);
                *self.tx.slot_mut(key.other()) = Some(next);
                Some(self.announce())
            }
            RefreshStep::Switch => {
                if self.tx.has(key.other()) {
                    self.active = key.other();
                }
                None
            }
            RefreshStep::Retire => {
                let old = self.active.other();
                self.tx.slot_mut(old).take().map(|_| self.announce())
            }
        };
        Ok(Encrypted { key, announce })
    }

    fn announce(&mut self) -> KeyMaterial {
        self.announced = self.tx.to_km(&self.tx_kek);
        self.announced.clone()
    }

    /// Decrypts the payload of a received data packet in place, by its KK bits (0: clear,
    /// left as it is). Errors: `srt.crypto.data-kk` for KK 3, `srt.crypto.key-index` for a
    /// key the peer never announced.
    pub fn decrypt(&self, kk: u8, seq: SeqNumber, payload: &mut [u8]) -> Result<(), Error> {
        match KeyIndex::from_kk(kk)? {
            None => Ok(()),
            Some(index) => self.rx.apply(index, seq, payload),
        }
    }

    /// The key the next packet will be encrypted with.
    pub fn active_key(&self) -> KeyIndex {
        self.active
    }

    /// The sending keys.
    pub fn tx_keys(&self) -> &Keys {
        &self.tx
    }

    /// The receiving keys.
    pub fn rx_keys(&self) -> &Keys {
        &self.rx
    }

    /// The sender's refresh state.
    pub fn schedule(&self) -> &Schedule {
        &self.schedule
    }
}
