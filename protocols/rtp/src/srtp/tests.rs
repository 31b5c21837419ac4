//! SRTP decryption against the RFC vectors, and against a small encryptor (test-only, below)
//! for what the vectors do not cover: AES-CM SRTCP, the rollover counter across a wrap,
//! reordering, replays, bad tags; and arbitrary bytes, which must never panic.

use super::context::{Context, MAX_STREAMS, cm_iv};
use super::kdf::{MasterKey, Profile, SessionKeys, aes_cm, prf};
use crate::packet::RtpPacket;
use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes128Gcm, Aes256Gcm};
use bytes::Bytes;
use hmac::{Hmac, Mac};
use proptest::prelude::*;
use sha1::Sha1;

/// Hex with white space between groups, as the RFCs print it.
fn hex(s: &str) -> Vec<u8> {
    super::keylog::hex(&s.split_whitespace().collect::<String>()).unwrap()
}

// ---- A test-only encryptor: the sender side of RFC 3711 §3.3 / §3.4 and RFC 7714 §8 / §9 ----

fn gcm_seal(
    profile: Profile,
    keys: &SessionKeys,
    mut iv: [u8; 12],
    aad: &[u8],
    plain: &[u8],
) -> Vec<u8> {
    for (b, s) in iv.iter_mut().zip(&keys.salt) {
        *b ^= s;
    }
    let nonce = aes_gcm::Nonce::from(iv);
    let payload = Payload { msg: plain, aad };
    match profile {
        Profile::AeadAes256Gcm => Aes256Gcm::new_from_slice(&keys.encryption)
            .unwrap()
            .encrypt(&nonce, payload),
        _ => Aes128Gcm::new_from_slice(&keys.encryption)
            .unwrap()
            .encrypt(&nonce, payload),
    }
    .unwrap()
}

fn hmac_tag(key: &[u8], parts: &[&[u8]], len: usize) -> Vec<u8> {
    let mut mac = Hmac::<Sha1>::new_from_slice(key).unwrap();
    for part in parts {
        mac.update(part);
    }
    mac.finalize().into_bytes()[..len].to_vec()
}

/// Protects the clear RTP packet `plain` under `roc`.
fn protect_rtp(profile: Profile, keys: &SessionKeys, roc: u32, plain: &[u8]) -> Vec<u8> {
    let packet = RtpPacket::parse(&Bytes::copy_from_slice(plain)).unwrap();
    let header_len = packet.header_len();
    let index = (u64::from(roc) << 16) | u64::from(packet.sequence);
    let (header, payload) = plain.split_at(header_len);
    if profile.is_aead() {
        let mut iv = [0u8; 12];
        iv[2..6].copy_from_slice(&packet.ssrc.to_be_bytes());
        iv[6..10].copy_from_slice(&roc.to_be_bytes());
        iv[10..12].copy_from_slice(&packet.sequence.to_be_bytes());
        [header, &gcm_seal(profile, keys, iv, header, payload)].concat()
    } else {
        let mut out = plain.to_vec();
        aes_cm(
            &keys.encryption,
            &cm_iv(&keys.salt, packet.ssrc, index),
            &mut out[header_len..],
        );
        let tag = hmac_tag(
            &keys.authentication,
            &[&out, &roc.to_be_bytes()],
            profile.rtp_tag_len(),
        );
        out.extend_from_slice(&tag);
        out
    }
}

/// Protects the clear compound RTCP packet `plain` with SRTCP index `index`, encrypted or not.
fn protect_rtcp(
    profile: Profile,
    keys: &SessionKeys,
    index: u32,
    encrypt: bool,
    plain: &[u8],
) -> Vec<u8> {
    let ssrc = u32::from_be_bytes(plain[4..8].try_into().unwrap());
    let word = (index | if encrypt { 0x8000_0000 } else { 0 }).to_be_bytes();
    if profile.is_aead() {
        let mut iv = [0u8; 12];
        iv[2..6].copy_from_slice(&ssrc.to_be_bytes());
        iv[8..12].copy_from_slice(&index.to_be_bytes());
        let sealed = if encrypt {
            let aad = [&plain[..8], &word].concat();
            [&plain[..8], &gcm_seal(profile, keys, iv, &aad, &plain[8..])].concat()
        } else {
            let aad = [plain, &word].concat();
            [plain, &gcm_seal(profile, keys, iv, &aad, &[])].concat()
        };
        [&sealed[..], &word].concat()
    } else {
        let mut out = plain.to_vec();
        if encrypt {
            aes_cm(
                &keys.encryption,
                &cm_iv(&keys.salt, ssrc, u64::from(index)),
                &mut out[8..],
            );
        }
        out.extend_from_slice(&word);
        let tag = hmac_tag(&keys.authentication, &[&out], 10);
        out.extend_from_slice(&tag);
        out
    }
}

fn master(profile: Profile, fill: u8) -> MasterKey {
    MasterKey::new(
        profile,
        &vec![fill; profile.key_len()],
        &vec![fill ^ 0x5a; profile.salt_len()],
    )
    .unwrap()
}

/// A clear RTP packet: V=2, PT 96, `seq`, SSRC `ssrc`, a payload naming both.
fn rtp(ssrc: u32, seq: u16) -> Vec<u8> {
    let mut p = vec![0x80, 96];
    p.extend_from_slice(&seq.to_be_bytes());
    p.extend_from_slice(&(u32::from(seq) * 3000).to_be_bytes());
    p.extend_from_slice(&ssrc.to_be_bytes());
    p.extend_from_slice(format!("payload {ssrc} {seq}").as_bytes());
    p
}

/// A clear receiver report from `ssrc` with no blocks.
fn rr(ssrc: u32) -> Vec<u8> {
    [&[0x80, 201, 0, 1][..], &ssrc.to_be_bytes()].concat()
}

// ---- Vectors ----

/// AES_CM_128_HMAC_SHA1_80 from the master key of RFC 3711 B.3 (E1F97A0D..., 0EC675AD...):
/// the packet libsrtp's test/srtp_driver.c protects (SSRC 0xcafebabe, sequence 0x1234, 16
/// octets of 0xab), which covers the KDF, AES-CM and HMAC-SHA1 together.
#[test]
fn decrypts_the_libsrtp_aes_cm_hmac_sha1_80_packet() {
    let master = MasterKey::new(
        Profile::AesCm128HmacSha1_80,
        &hex("e1f97a0d3e018be0d64fa32c06de4139"),
        &hex("0ec675ad498afeebb6960b3aabe6"),
    )
    .unwrap();
    let plain = hex("800f1234decafbadcafebabe abababababababababababababababab");
    let protected =
        hex("800f1234decafbadcafebabe 4e55dc4ce79978d88ca4d215949d2402 b78d6acc99ea179b8dbb");
    let packet = Context::new(&master)
        .decrypt_rtp(&Bytes::from(protected.clone()))
        .unwrap();
    assert_eq!(packet.sequence, 0x1234);
    assert_eq!(packet.ssrc, 0xcafe_babe);
    assert_eq!(packet.payload[..], [0xab; 16]);
    // The test encryptor agrees, byte for byte.
    assert_eq!(
        protect_rtp(
            Profile::AesCm128HmacSha1_80,
            &SessionKeys::srtp(&master),
            0,
            &plain
        ),
        protected
    );
}

/// RFC 6188 §7.2: the AES-256 PRF (AEAD_AES_256_GCM's KDF) from master key F0F04914... and
/// master salt 3B04803D...
#[test]
fn derives_the_rfc6188_aes256_session_keys() {
    let key = hex("F0F04914B513F2763A1B1FA130F10E2998F6F6E43E4309D1E622A0E332B9F1B6");
    let salt = hex("3B04803DE51EE7C96423AB5B78D2");
    assert_eq!(
        prf(&key, &salt, 0, 32),
        hex("5BA1064E30EC51613CAD926C5A28EF731EC7FB397F70A960653CAF06554CD8C4")
    );
    assert_eq!(prf(&key, &salt, 2, 14), hex("FA31791685CA444A9E07C6C64E93"));
}

/// RFC 7714 has no KDF vector: these session salts for a 12-octet master salt (zero-padded to
/// 14, the label at octet 7) are what libsrtp and webrtc-rs derive, as recorded by other
/// projects' test suites (master key 00..0f, salts 40..4b and a0..ab).
#[test]
fn derives_aead_session_keys_as_libsrtp_does() {
    let key: Vec<u8> = (0..16).collect();
    let salt: Vec<u8> = (0x40..0x4c).collect();
    let keys = SessionKeys::srtp(&MasterKey::new(Profile::AeadAes128Gcm, &key, &salt).unwrap());
    assert_eq!(keys.salt, hex("1fcd5d561e66dc49ec1c3ccb"));
    assert!(keys.authentication.is_empty());
    let salt = hex("a0a1a2a3a4a5a6a7a8a9aaab");
    let master = MasterKey::new(Profile::AeadAes128Gcm, &key, &salt).unwrap();
    let (srtp, srtcp) = (SessionKeys::srtp(&master), SessionKeys::srtcp(&master));
    assert_eq!(srtp.encryption, hex("077c6143cb221bc355ff23d5f984a16e"));
    assert_eq!(srtp.salt, hex("9af3e95364ebac9c99c5a7c4"));
    assert_eq!(srtcp.encryption, hex("615dcd9042600666f6fd4d9e4fe4519f"));
    assert_eq!(srtcp.salt, hex("fcca937b9112a500dac72269"));
    let key: Vec<u8> = (0..32).collect();
    let master = MasterKey::new(Profile::AeadAes256Gcm, &key, &salt).unwrap();
    assert_eq!(
        SessionKeys::srtp(&master).encryption,
        hex("b7a435ce454463b760dc82c838468a115c699625af4b93a0f8220a2a6119c5d0")
    );
    assert_eq!(
        SessionKeys::srtcp(&master).salt,
        hex("258c540cf38ddd40848ceaed")
    );
}

/// RFC 7714 §16-17 use session keys directly: key 00..0f (or 00..1f), salt "Quid pro quo".
fn rfc7714_context(profile: Profile) -> Context {
    let key: Vec<u8> = (0..profile.key_len() as u8).collect();
    let keys = SessionKeys {
        encryption: key,
        authentication: Vec::new(),
        salt: hex("517569642070726f2071756f"),
    };
    Context::with_session_keys(profile, keys.clone(), keys)
}

/// RFC 7714 §16's RTP packet: "Gallia est omnis divisa in partes tres".
const RFC7714_RTP: &str = "8040f17b 8041f8d3 5501a0b2 47616c6c 69612065 7374206f 6d6e6973
                           20646976 69736120 696e2070 61727465 73207472 6573";
/// RFC 7714 §17's RTCP packet: a sender report and an SDES from SSRC "Mars".
const RFC7714_RTCP: &str = "81c8000d 4d617273 4e545031 4e545032 52545020 0000042a 0000e930
                            4c756e61 deadbeef deadbeef deadbeef deadbeef deadbeef";

/// RFC 7714 §16.1.2 (AEAD_AES_128_GCM) and §16.2.2 (AEAD_AES_256_GCM): SRTP decryption.
#[test]
fn decrypts_the_rfc7714_16_rtp_packets() {
    let cases = [
        (
            Profile::AeadAes128Gcm,
            "8040f17b 8041f8d3 5501a0b2 f24de3a3 fb34de6c acba861c 9d7e4bca be633bd5 0d294e6f
             42a5f47a 51c7d19b 36de3adf 8833899d 7f27beb1 6a9152cf 765ee439 0cce",
        ),
        (
            Profile::AeadAes256Gcm,
            "8040f17b 8041f8d3 5501a0b2 32b1de78 a822fe12 ef9f78fa 332e33aa b1801238 9a58e2f3
             b50b2a02 76ffae0f 1ba63799 b87b7aa3 db36dfff d6b0f9bb 7878d7a7 6c13",
        ),
    ];
    for (profile, protected) in cases {
        let mut context = rfc7714_context(profile);
        let packet = context.decrypt_rtp(&Bytes::from(hex(protected))).unwrap();
        assert_eq!(
            packet.to_bytes().unwrap()[..],
            hex(RFC7714_RTP),
            "{profile:?}"
        );
        assert_eq!(
            &packet.payload[..],
            b"Gallia est omnis divisa in partes tres"
        );
        let keys = SessionKeys {
            encryption: (0..profile.key_len() as u8).collect(),
            authentication: vec![],
            salt: hex("517569642070726f2071756f"),
        };
        assert_eq!(
            protect_rtp(profile, &keys, 0, &hex(RFC7714_RTP)),
            hex(protected)
        );
    }
}

/// RFC 7714 §17.1-§17.4: SRTCP with AES-GCM, encrypted (E set) and authenticated only, index
/// 0x5d4, both key sizes.
#[test]
fn decrypts_the_rfc7714_17_rtcp_packets() {
    let cases = [
        (
            Profile::AeadAes128Gcm,
            "81c8000d 4d617273 63e94885 dcdab67c a727d766 2f6b7e99 7ff5c0f7 6c06f32d c676a5f1
             730d6fda 4ce09b46 86303ded 0bb9275b c84aa458 96cf4d2f c5abf872 45d9eade 800005d4",
        ),
        (
            Profile::AeadAes256Gcm,
            "81c8000d 4d617273 d50ae4d1 f5ce5d30 4ba297e4 7d470c28 2c3ece5d bffe0a50 a2eaa5c1
             110555be 8415f658 c61de047 6f1b6fad 1d1eb30c 4446839f 57ff6f6c b26ac3be 800005d4",
        ),
        (
            Profile::AeadAes128Gcm,
            "81c8000d 4d617273 4e545031 4e545032 52545020 0000042a 0000e930 4c756e61 deadbeef
             deadbeef deadbeef deadbeef deadbeef 841dd968 3dd78ec9 2ae58790 125f62b3 000005d4",
        ),
        (
            Profile::AeadAes256Gcm,
            "81c8000d 4d617273 4e545031 4e545032 52545020 0000042a 0000e930 4c756e61 deadbeef
             deadbeef deadbeef deadbeef deadbeef 91db4afb feee5a97 8fab4393 ed2615fe 000005d4",
        ),
    ];
    for (profile, protected) in cases {
        let clear = rfc7714_context(profile)
            .decrypt_rtcp(&hex(protected))
            .unwrap();
        assert_eq!(clear[..], hex(RFC7714_RTCP), "{profile:?} {protected}");
    }
}

// ---- Round trips, the rollover counter, replays, tags ----

#[test]
fn every_profile_round_trips_rtp_and_rtcp() {
    for profile in Profile::ALL {
        let master = master(profile, 7);
        let (srtp, srtcp) = (SessionKeys::srtp(&master), SessionKeys::srtcp(&master));
        let mut context = Context::new(&master);
        for seq in [1u16, 2, 3] {
            let plain = rtp(0x1234, seq);
            let packet = context
                .decrypt_rtp(&Bytes::from(protect_rtp(profile, &srtp, 0, &plain)))
                .unwrap();
            assert_eq!(packet.to_bytes().unwrap()[..], plain[..], "{profile:?}");
        }
        for (index, encrypt) in [(0, true), (1, false), (2, true)] {
            let plain = rr(0x1234);
            let protected = protect_rtcp(profile, &srtcp, index, encrypt, &plain);
            assert_eq!(
                context.decrypt_rtcp(&protected).unwrap()[..],
                plain[..],
                "{profile:?}"
            );
        }
    }
}

#[test]
fn a_stream_decrypts_across_the_sequence_wrap_with_the_right_roc() {
    for profile in Profile::ALL {
        let master = master(profile, 1);
        let keys = SessionKeys::srtp(&master);
        let mut context = Context::new(&master);
        let send = |context: &mut Context, seq: u16, roc: u32| {
            let protected = protect_rtp(profile, &keys, roc, &rtp(9, seq));
            context
                .decrypt_rtp(&Bytes::from(protected))
                .map(|p| p.sequence)
        };
        // Up to the wrap and over it, with a packet from before it arriving after it.
        for (seq, roc) in [(65530, 0), (65531, 0), (65533, 0), (65535, 0), (0, 1)] {
            assert_eq!(send(&mut context, seq, roc), Ok(seq), "{profile:?} {seq}");
        }
        assert_eq!(send(&mut context, 65534, 0), Ok(65534), "late, from ROC 0");
        assert_eq!(send(&mut context, 1, 1), Ok(1));
        assert_eq!(send(&mut context, 65532, 0), Ok(65532), "late, from ROC 0");
        assert_eq!(context.roc(9), Some(1));
        // A whole cycle in steps the receiver can follow, then the next wrap.
        for seq in (2..65535u16).step_by(1000).chain([65535]) {
            assert_eq!(send(&mut context, seq, 1), Ok(seq));
        }
        assert_eq!(send(&mut context, 3, 2), Ok(3));
        assert_eq!(context.roc(9), Some(2));
        // Late packets of ROC 1: one inside the window is taken, with ROC 1; one already seen
        // and one 539 packets back are replays.
        assert_eq!(send(&mut context, 65530, 1), Ok(65530));
        for late in [65535, 65000] {
            let refused = send(&mut context, late, 1).unwrap_err();
            assert_eq!(refused.rule_id(), "rtp.srtp.replay", "{profile:?} {late}");
        }
    }
}

#[test]
fn a_replayed_packet_is_refused_and_a_reordered_one_inside_the_window_accepted() {
    let master = master(Profile::AesCm128HmacSha1_80, 3);
    let keys = SessionKeys::srtp(&master);
    let mut context = Context::new(&master);
    let packet = |seq| {
        Bytes::from(protect_rtp(
            Profile::AesCm128HmacSha1_80,
            &keys,
            0,
            &rtp(5, seq),
        ))
    };
    assert!(context.decrypt_rtp(&packet(100)).is_ok());
    assert!(context.decrypt_rtp(&packet(103)).is_ok());
    assert!(context.decrypt_rtp(&packet(101)).is_ok());
    for seq in [100, 101, 103] {
        assert_eq!(
            context.decrypt_rtp(&packet(seq)).unwrap_err().rule_id(),
            "rtp.srtp.replay"
        );
    }
    assert!(context.decrypt_rtp(&packet(102)).is_ok());
    assert!(context.decrypt_rtp(&packet(200)).is_ok());
    assert!(
        context.decrypt_rtp(&packet(137)).is_ok(),
        "63 behind: inside the window"
    );
    assert_eq!(
        context.decrypt_rtp(&packet(136)).unwrap_err().rule_id(),
        "rtp.srtp.replay"
    );
}

#[test]
fn a_packet_with_a_bad_tag_is_refused_and_changes_nothing() {
    for profile in Profile::ALL {
        let master = master(profile, 4);
        let keys = SessionKeys::srtp(&master);
        let mut context = Context::new(&master);
        let good = protect_rtp(profile, &keys, 0, &rtp(5, 10));
        for flip in [0, 13, good.len() - 1] {
            let mut bad = good.clone();
            bad[flip] ^= 0x01;
            let err = context.decrypt_rtp(&Bytes::from(bad)).unwrap_err();
            assert_eq!(
                err.rule_id(),
                "rtp.srtp.auth-tag",
                "{profile:?} flip {flip}"
            );
        }
        // A wrong key fails too; the true packet still decrypts afterwards.
        let mut other = Context::new(&self::master(profile, 5));
        assert_eq!(
            other
                .decrypt_rtp(&Bytes::from(good.clone()))
                .unwrap_err()
                .rule_id(),
            "rtp.srtp.auth-tag"
        );
        assert!(context.decrypt_rtp(&Bytes::from(good)).is_ok());
        let rtcp = protect_rtcp(profile, &SessionKeys::srtcp(&master), 0, true, &rr(5));
        let mut bad = rtcp.clone();
        bad[9] ^= 0x80;
        assert_eq!(
            context.decrypt_rtcp(&bad).unwrap_err().rule_id(),
            "rtp.srtp.auth-tag"
        );
        assert!(context.decrypt_rtcp(&rtcp).is_ok());
        assert_eq!(
            context.decrypt_rtcp(&rtcp).unwrap_err().rule_id(),
            "rtp.srtp.replay"
        );
    }
}

// ---- The rule table: every rtp.srtp rule, fired ----

fn fired<T>(result: Result<T, weir_media::Error>) -> Vec<&'static str> {
    result.err().map(|e| e.rule_id()).into_iter().collect()
}

#[test]
fn the_table_fires_every_srtp_rule() {
    let profile = Profile::AesCm128HmacSha1_80;
    let master = master(profile, 9);
    let keys = SessionKeys::srtp(&master);
    let packet = protect_rtp(profile, &keys, 0, &rtp(1, 1));
    let too_short =
        || fired(Context::new(&master).decrypt_rtp(&Bytes::from(packet[..14].to_vec())));
    let too_short_rtcp = || fired(Context::new(&master).decrypt_rtcp(&rr(1)));
    let bad_tag = || {
        let mut bad = packet.clone();
        *bad.last_mut().unwrap() ^= 1;
        fired(Context::new(&master).decrypt_rtp(&Bytes::from(bad)))
    };
    let replay = || {
        let mut context = Context::new(&master);
        context.decrypt_rtp(&Bytes::from(packet.clone())).unwrap();
        fired(context.decrypt_rtp(&Bytes::from(packet.clone())))
    };
    let limit = || {
        let mut context = Context::new(&master);
        for ssrc in 0..MAX_STREAMS as u32 {
            context
                .decrypt_rtp(&Bytes::from(protect_rtp(profile, &keys, 0, &rtp(ssrc, 1))))
                .unwrap();
        }
        fired(context.decrypt_rtp(&Bytes::from(protect_rtp(
            profile,
            &keys,
            0,
            &rtp(MAX_STREAMS as u32, 1),
        ))))
    };
    let keylog = || {
        fired(super::KeyLog::parse(
            "SRTP AES_CM_128_HMAC_SHA1_80 1.2.3.4:5\n",
        ))
    };
    let table: Vec<(&str, Vec<&str>)> = vec![
        ("rtp.srtp.too-short", too_short()),
        ("rtp.srtp.too-short", too_short_rtcp()),
        ("rtp.srtp.auth-tag", bad_tag()),
        ("rtp.srtp.replay", replay()),
        ("rtp.srtp.stream-limit", limit()),
        ("rtp.srtp.keylog", keylog()),
    ];
    for (id, fired) in &table {
        assert_eq!(fired, &[*id]);
    }
    let rules: Vec<_> = crate::rules::CATALOG
        .iter()
        .copied()
        .filter(|r| r.id.starts_with("rtp.srtp."))
        .collect();
    weir_testkit::rule_table::check(&rules, &table);
}

// ---- Hostile input ----

proptest! {
    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..200)) {
        for profile in Profile::ALL {
            let mut context = Context::new(&master(profile, 2));
            let _ = context.decrypt_rtp(&Bytes::from(bytes.clone()));
            let _ = context.decrypt_rtcp(&bytes);
        }
    }

    #[test]
    fn truncated_protected_packets_are_errors_never_panics(cut in 0usize..80, seq: u16, ssrc: u32) {
        for profile in Profile::ALL {
            let master = master(profile, 6);
            let packet = protect_rtp(profile, &SessionKeys::srtp(&master), 0, &rtp(ssrc, seq));
            let rtcp = protect_rtcp(profile, &SessionKeys::srtcp(&master), 7, true, &rr(ssrc));
            let mut context = Context::new(&master);
            if cut < packet.len() {
                prop_assert!(context.decrypt_rtp(&Bytes::from(packet[..cut].to_vec())).is_err());
            }
            if cut < rtcp.len() {
                prop_assert!(context.decrypt_rtcp(&rtcp[..cut]).is_err());
            }
        }
    }

    #[test]
    fn any_packet_round_trips(seq: u16, ssrc: u32, roc in 0u32..3, payload in proptest::collection::vec(any::<u8>(), 0..100)) {
        for profile in Profile::ALL {
            let master = master(profile, 8);
            let mut plain = rtp(ssrc, seq)[..12].to_vec();
            plain.extend_from_slice(&payload);
            let protected = protect_rtp(profile, &SessionKeys::srtp(&master), roc, &plain);
            let mut context = Context::new(&master);
            // A fresh context assumes ROC 0: only then does the packet authenticate.
            let result = context.decrypt_rtp(&Bytes::from(protected));
            if roc == 0 {
                prop_assert_eq!(result.unwrap().to_bytes().unwrap().to_vec(), plain);
            } else {
                prop_assert_eq!(result.unwrap_err().rule_id(), "rtp.srtp.auth-tag");
            }
        }
    }
}
