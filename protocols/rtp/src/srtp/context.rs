//! A receiver's SRTP and SRTCP context for one direction of a session (one master key): the
//! per-SSRC rollover counter and replay windows, and the decryption and authentication of each
//! packet (RFC 3711 §3.3, §3.4; RFC 7714 §8, §9).
//!
//! ```text
//! SRTP  (RFC 3711 §3.1)   header (clear) | encrypted payload | tag (HMAC-SHA1: 10 or 4 octets)
//!       (RFC 7714 §8)     header (clear, the AAD) | ciphertext | tag (16 octets)
//! SRTCP (RFC 3711 §3.4)   first 8 octets (clear) | encrypted rest | E + 31-bit index | tag (10)
//!       (RFC 7714 §9)     first 8 octets (clear) | ciphertext | tag (16) | E + 31-bit index
//! ```
//!
//! An SRTP packet's 48-bit index is its rollover counter (ROC) times 65536 plus its sequence
//! number; the receiver guesses the ROC from the highest sequence number it has accepted
//! (RFC 3711 §3.3.1, Appendix A) and adopts a new one only once the packet authenticates.
//! Header extensions stay in the clear (no RFC 6904), and the MKI is not used (DTLS-SRTP
//! sends none, RFC 5764 §4.1.2). The context is sans-IO: bytes in, clear packets out.

use std::collections::HashMap;

use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes128Gcm, Aes256Gcm};
use bytes::Bytes;
use hmac::{Hmac, Mac};
use sha1::Sha1;

use super::kdf::{MasterKey, Profile, SessionKeys, aes_cm};
use crate::packet::RtpPacket;
use crate::rules::{SRTP_AUTH_TAG, SRTP_REPLAY, SRTP_STREAM_LIMIT, SRTP_TOO_SHORT};
use weir_media::Error;

/// The SSRCs a context keeps state for (receiver limit): a WebRTC session has a few.
pub const MAX_STREAMS: usize = 256;
/// The replay window's width in packets (RFC 3711 §3.3.2 asks for at least 64).
pub const REPLAY_WINDOW: u64 = 64;
/// The length of SRTCP's E flag and index word.
const SRTCP_INDEX_LEN: usize = 4;
/// The clear part of an SRTCP packet: the first RTCP header and its SSRC.
const SRTCP_HEADER_LEN: usize = 8;

/// A sliding window over the indices accepted so far (RFC 3711 §3.3.2).
#[derive(Debug, Clone, Default)]
struct ReplayWindow {
    /// The highest index accepted.
    top: u64,
    /// Bit `i` set: index `top - i` was accepted.
    seen: u64,
}

impl ReplayWindow {
    /// Whether `index` is new: above the window, or inside it and not seen yet.
    fn is_fresh(&self, index: u64) -> Result<(), String> {
        if index > self.top {
            return Ok(());
        }
        let behind = self.top - index;
        if behind >= REPLAY_WINDOW {
            Err(format!(
                "index {index} is {behind} behind the highest accepted, {}: older than the {REPLAY_WINDOW}-packet window",
                self.top
            ))
        } else if self.seen & (1 << behind) != 0 {
            Err(format!("index {index} was already received"))
        } else {
            Ok(())
        }
    }

    fn accept(&mut self, index: u64) {
        if index > self.top {
            let ahead = index - self.top;
            self.seen = if ahead >= REPLAY_WINDOW {
                0
            } else {
                self.seen << ahead
            };
            self.seen |= 1;
            self.top = index;
        } else {
            self.seen |= 1 << (self.top - index);
        }
    }

    fn starting_at(index: u64) -> ReplayWindow {
        ReplayWindow {
            top: index,
            seen: 1,
        }
    }
}

/// One SSRC's SRTP receive state (RFC 3711 §3.2.1, §3.3.1).
#[derive(Debug, Clone)]
struct RtpStream {
    /// The rollover counter.
    roc: u32,
    /// The highest sequence number accepted under `roc` (s_l).
    highest: u16,
    window: ReplayWindow,
}

impl RtpStream {
    /// The ROC guessed for `seq` (RFC 3711 Appendix A): one back, the same, or one ahead,
    /// whichever puts the index nearest the highest accepted. `None`: the packet is from
    /// before ROC 0.
    fn guess_roc(&self, seq: u16) -> Option<u32> {
        let (s_l, seq) = (i32::from(self.highest), i32::from(seq));
        if s_l < 32768 {
            if seq - s_l > 32768 {
                self.roc.checked_sub(1)
            } else {
                Some(self.roc)
            }
        } else if s_l - 32768 > seq {
            Some(self.roc.wrapping_add(1))
        } else {
            Some(self.roc)
        }
    }

    fn accept(&mut self, roc: u32, seq: u16, index: u64) {
        if roc == self.roc.wrapping_add(1) {
            self.roc = roc;
            self.highest = seq;
        } else if roc == self.roc && seq > self.highest {
            self.highest = seq;
        }
        self.window.accept(index);
    }
}

/// The 48-bit packet index of a sequence number under a ROC (RFC 3711 §3.3.1).
fn packet_index(roc: u32, seq: u16) -> u64 {
    (u64::from(roc) << 16) | u64::from(seq)
}

/// What a receiver knows of one direction of an SRTP session: the session keys of SRTP and
/// SRTCP, and per SSRC the rollover counter and replay windows.
#[derive(Debug, Clone)]
pub struct Context {
    profile: Profile,
    rtp_keys: SessionKeys,
    rtcp_keys: SessionKeys,
    rtp: HashMap<u32, RtpStream>,
    rtcp: HashMap<u32, ReplayWindow>,
}

impl Context {
    /// A context decrypting what the holder of `master` sends (RFC 3711 §4.3: the session keys
    /// are derived here, once).
    pub fn new(master: &MasterKey) -> Context {
        Context::with_session_keys(
            master.profile(),
            SessionKeys::srtp(master),
            SessionKeys::srtcp(master),
        )
    }

    /// A context with session keys given directly (as RFC 7714's test vectors give them).
    pub fn with_session_keys(profile: Profile, rtp: SessionKeys, rtcp: SessionKeys) -> Context {
        Context {
            profile,
            rtp_keys: rtp,
            rtcp_keys: rtcp,
            rtp: HashMap::new(),
            rtcp: HashMap::new(),
        }
    }

    /// The profile the context decrypts.
    pub fn profile(&self) -> Profile {
        self.profile
    }

    /// The rollover counter of `ssrc`'s stream, once a packet of it has been accepted.
    pub fn roc(&self, ssrc: u32) -> Option<u32> {
        self.rtp.get(&ssrc).map(|s| s.roc)
    }

    /// Checks, authenticates and decrypts one SRTP packet (RFC 3711 §3.3; RFC 7714 §8) and
    /// parses the clear packet. The stream's state moves on only for a packet that
    /// authenticates. Errors: `rtp.srtp.too-short`, `rtp.srtp.replay`, `rtp.srtp.auth-tag`,
    /// `rtp.srtp.stream-limit`, and the header rules of [`RtpPacket::parse`].
    pub fn decrypt_rtp(&mut self, datagram: &Bytes) -> Result<RtpPacket, Error> {
        let header = RtpPacket::parse_srtp(datagram)?;
        let header_len = header.header_len();
        let tag_len = self.profile.rtp_tag_len();
        if datagram.len() < header_len + tag_len {
            return Err(Error::rule(
                &SRTP_TOO_SHORT,
                datagram.len() as u64,
                format!(
                    "{} octets: a {header_len}-octet header and a {tag_len}-octet tag do not fit",
                    datagram.len()
                ),
            ));
        }
        let (ssrc, seq) = (header.ssrc, header.sequence);
        let stream = self.rtp.get(&ssrc);
        let roc = match stream {
            None => 0,
            Some(stream) => stream.guess_roc(seq).ok_or_else(|| {
                Error::rule(
                    &SRTP_REPLAY,
                    2,
                    format!("sequence number {seq} would be from before the stream's first packet"),
                )
            })?,
        };
        let index = packet_index(roc, seq);
        if let Some(stream) = stream {
            stream.window.is_fresh(index).map_err(|detail| {
                Error::rule(&SRTP_REPLAY, 2, format!("SSRC {ssrc:#010x}: {detail}"))
            })?;
        } else if self.rtp.len() >= MAX_STREAMS {
            return Err(stream_limit(ssrc));
        }

        let payload = match self.profile.is_aead() {
            false => {
                let tag_at = datagram.len() - tag_len;
                let mut mac = hmac(&self.rtp_keys.authentication);
                mac.update(&datagram[..tag_at]);
                mac.update(&roc.to_be_bytes());
                mac.verify_truncated_left(&datagram[tag_at..])
                    .map_err(|_| auth_failed(tag_at, "HMAC-SHA1", ssrc, index))?;
                let mut payload = datagram[header_len..tag_at].to_vec();
                aes_cm(
                    &self.rtp_keys.encryption,
                    &cm_iv(&self.rtp_keys.salt, ssrc, index),
                    &mut payload,
                );
                payload
            }
            true => {
                let mut iv = [0u8; 12];
                iv[2..6].copy_from_slice(&ssrc.to_be_bytes());
                iv[6..10].copy_from_slice(&roc.to_be_bytes());
                iv[10..12].copy_from_slice(&seq.to_be_bytes());
                gcm_open(
                    self.profile,
                    &self.rtp_keys,
                    iv,
                    &datagram[..header_len],
                    &datagram[header_len..],
                )
                .ok_or_else(|| auth_failed(datagram.len() - tag_len, "AES-GCM", ssrc, index))?
            }
        };

        match self.rtp.get_mut(&ssrc) {
            Some(stream) => stream.accept(roc, seq, index),
            None => {
                self.rtp.insert(
                    ssrc,
                    RtpStream {
                        roc,
                        highest: seq,
                        window: ReplayWindow::starting_at(index),
                    },
                );
            }
        }
        let mut clear = Vec::with_capacity(header_len + payload.len());
        clear.extend_from_slice(&datagram[..header_len]);
        clear.extend_from_slice(&payload);
        RtpPacket::parse(&Bytes::from(clear))
    }

    /// Checks, authenticates and decrypts one SRTCP packet (RFC 3711 §3.4; RFC 7714 §9),
    /// encrypted (E set) or only authenticated, and returns the clear compound RTCP packet
    /// for [`crate::rtcp::parse`]. Errors: `rtp.srtp.too-short`, `rtp.srtp.replay`,
    /// `rtp.srtp.auth-tag`, `rtp.srtp.stream-limit`.
    pub fn decrypt_rtcp(&mut self, datagram: &[u8]) -> Result<Bytes, Error> {
        let tag_len = self.profile.rtcp_tag_len();
        let min = SRTCP_HEADER_LEN + SRTCP_INDEX_LEN + tag_len;
        if datagram.len() < min {
            return Err(Error::rule(
                &SRTP_TOO_SHORT,
                datagram.len() as u64,
                format!(
                    "{} octets: SRTCP needs at least {min} (8-octet header, E and index, {tag_len}-octet tag)",
                    datagram.len()
                ),
            ));
        }
        let ssrc = u32::from_be_bytes(datagram[4..8].try_into().expect("4 octets"));
        // Where the E flag and index word sits: before the HMAC tag, after the GCM one.
        let (index_at, tag_at) = match self.profile.is_aead() {
            false => (
                datagram.len() - tag_len - SRTCP_INDEX_LEN,
                datagram.len() - tag_len,
            ),
            true => (
                datagram.len() - SRTCP_INDEX_LEN,
                datagram.len() - SRTCP_INDEX_LEN - tag_len,
            ),
        };
        let word: [u8; 4] = datagram[index_at..index_at + 4]
            .try_into()
            .expect("4 octets");
        let encrypted = word[0] & 0x80 != 0;
        let index = u32::from_be_bytes(word) & 0x7fff_ffff;
        match self.rtcp.get(&ssrc) {
            Some(window) => window.is_fresh(u64::from(index)).map_err(|detail| {
                Error::rule(
                    &SRTP_REPLAY,
                    index_at as u64,
                    format!("SRTCP of SSRC {ssrc:#010x}: {detail}"),
                )
            })?,
            None if self.rtcp.len() >= MAX_STREAMS => return Err(stream_limit(ssrc)),
            None => {}
        }

        let clear = match self.profile.is_aead() {
            false => {
                let mut mac = hmac(&self.rtcp_keys.authentication);
                mac.update(&datagram[..tag_at]);
                mac.verify_truncated_left(&datagram[tag_at..])
                    .map_err(|_| auth_failed(tag_at, "HMAC-SHA1", ssrc, u64::from(index)))?;
                let mut clear = datagram[..index_at].to_vec();
                if encrypted {
                    let iv = cm_iv(&self.rtcp_keys.salt, ssrc, u64::from(index));
                    aes_cm(
                        &self.rtcp_keys.encryption,
                        &iv,
                        &mut clear[SRTCP_HEADER_LEN..],
                    );
                }
                clear
            }
            true => {
                let mut iv = [0u8; 12];
                iv[2..6].copy_from_slice(&ssrc.to_be_bytes());
                iv[8..12].copy_from_slice(&index.to_be_bytes());
                let fail = || auth_failed(tag_at, "AES-GCM", ssrc, u64::from(index));
                if encrypted {
                    let aad = [&datagram[..SRTCP_HEADER_LEN], &word].concat();
                    let plain = gcm_open(
                        self.profile,
                        &self.rtcp_keys,
                        iv,
                        &aad,
                        &datagram[SRTCP_HEADER_LEN..index_at],
                    )
                    .ok_or_else(fail)?;
                    [&datagram[..SRTCP_HEADER_LEN], &plain].concat()
                } else {
                    // Authenticated only: the whole packet and the index word are the AAD,
                    // the "ciphertext" is the tag alone (RFC 7714 §9.2).
                    let aad = [&datagram[..tag_at], &word].concat();
                    gcm_open(
                        self.profile,
                        &self.rtcp_keys,
                        iv,
                        &aad,
                        &datagram[tag_at..index_at],
                    )
                    .ok_or_else(fail)?;
                    datagram[..tag_at].to_vec()
                }
            }
        };
        self.rtcp
            .entry(ssrc)
            .and_modify(|w| w.accept(u64::from(index)))
            .or_insert_with(|| ReplayWindow::starting_at(u64::from(index)));
        Ok(Bytes::from(clear))
    }
}

/// HMAC-SHA1 keyed with a session authentication key (RFC 3711 §4.2.1).
fn hmac(key: &[u8]) -> Hmac<Sha1> {
    Hmac::<Sha1>::new_from_slice(key).expect("HMAC takes any key length")
}

/// The AES-CM counter block of a packet (RFC 3711 §4.1.1): the session salt, the SSRC XORed
/// into octets 4..8 and the index into octets 8..14, the block counter from 0.
pub(crate) fn cm_iv(salt: &[u8], ssrc: u32, index: u64) -> [u8; 16] {
    let mut iv = [0u8; 16];
    iv[..salt.len()].copy_from_slice(salt);
    for (b, s) in iv[4..8].iter_mut().zip(ssrc.to_be_bytes()) {
        *b ^= s;
    }
    for (b, s) in iv[8..14].iter_mut().zip(&index.to_be_bytes()[2..]) {
        *b ^= s;
    }
    iv
}

/// AES-GCM decryption and tag check (RFC 7714 §8.1, §9.1: the 12-octet IV is the packet's
/// fields XORed with the session salt); `None` when the tag does not verify.
pub(crate) fn gcm_open(
    profile: Profile,
    keys: &SessionKeys,
    mut iv: [u8; 12],
    aad: &[u8],
    sealed: &[u8],
) -> Option<Vec<u8>> {
    for (b, s) in iv.iter_mut().zip(&keys.salt) {
        *b ^= s;
    }
    let nonce = aes_gcm::Nonce::from(iv);
    let payload = Payload { msg: sealed, aad };
    match profile {
        Profile::AeadAes256Gcm => Aes256Gcm::new_from_slice(&keys.encryption)
            .ok()?
            .decrypt(&nonce, payload)
            .ok(),
        _ => Aes128Gcm::new_from_slice(&keys.encryption)
            .ok()?
            .decrypt(&nonce, payload)
            .ok(),
    }
}

fn auth_failed(tag_at: usize, what: &str, ssrc: u32, index: u64) -> Error {
    Error::rule(
        &SRTP_AUTH_TAG,
        tag_at as u64,
        format!("the {what} tag of SSRC {ssrc:#010x}'s packet {index} does not verify"),
    )
}

fn stream_limit(ssrc: u32) -> Error {
    Error::rule(
        &SRTP_STREAM_LIMIT,
        4,
        format!(
            "SSRC {ssrc:#010x} would be stream {} of a context that keeps {MAX_STREAMS}",
            MAX_STREAMS + 1
        ),
    )
}
