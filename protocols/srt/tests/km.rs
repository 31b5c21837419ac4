//! The Key Material message: every rule of the key material and encryption areas fires on an
//! input made for it, and messages round-trip through write and parse.

use bytes::{Bytes, BytesMut};
use proptest::prelude::*;
use rand::SeedableRng;
use rand::rngs::StdRng;
use weir_media::{Error, Violation};
use weir_srt::SeqNumber;
use weir_srt::crypto::{CryptoContext, KeyIndex, Refresh};
use weir_srt::kdf::Passphrase;
use weir_srt::km::{Cipher, KeyFlags, KeyLength, KeyMaterial, KmResponse, KmState};
use weir_srt::rules::CATALOG;

const PASSPHRASE: &str = "a passphrase of ours";

fn passphrase() -> Passphrase {
    Passphrase::new(PASSPHRASE).unwrap()
}

fn initiator(seed: u64) -> CryptoContext {
    let mut rng = StdRng::seed_from_u64(seed);
    CryptoContext::initiator(
        passphrase(),
        KeyLength::Aes128,
        Refresh::default(),
        &mut rng,
    )
}

/// A valid KMREQ body (AES-128, even key) with `edit` applied.
fn kmreq(edit: impl FnOnce(&mut Vec<u8>)) -> Vec<u8> {
    let mut bytes = initiator(1).km_request().to_bytes().to_vec();
    edit(&mut bytes);
    bytes
}

fn parse(bytes: &[u8]) -> (Result<KeyMaterial, Error>, Vec<Violation>) {
    let mut violations = Vec::new();
    let km = KeyMaterial::parse_checked(bytes, &mut violations);
    (km, violations)
}

/// The rule ids an input broke: the error's, or else the violations'.
fn broken(result: Result<(), Error>, violations: Vec<Violation>) -> Vec<&'static str> {
    match result {
        Err(e) => vec![e.rule_id()],
        Ok(()) => violations.iter().map(|v| v.rule.id).collect(),
    }
}

fn km_broken(bytes: &[u8]) -> Vec<&'static str> {
    let (km, violations) = parse(bytes);
    broken(km.map(drop), violations)
}

#[test]
fn every_key_material_and_crypto_rule_fires_on_its_input() {
    let table: Vec<(&str, Vec<&str>)> = vec![
        ("srt.km.length", km_broken(&kmreq(|b| b.truncate(30)))),
        ("srt.km.length", km_broken(&kmreq(|b| b.extend([0; 4])))),
        ("srt.km.signature", km_broken(&kmreq(|b| b[2] = 0x30))),
        ("srt.km.version", km_broken(&kmreq(|b| b[0] = 0x22))),
        ("srt.km.packet-type", km_broken(&kmreq(|b| b[0] = 0x11))),
        ("srt.km.reserved", km_broken(&kmreq(|b| b[0] |= 0x80))),
        ("srt.km.reserved", km_broken(&kmreq(|b| b[3] |= 0x04))),
        ("srt.km.reserved", km_broken(&kmreq(|b| b[12] = 1))),
        ("srt.km.key-flags", km_broken(&kmreq(|b| b[3] = 0))),
        ("srt.km.keki", km_broken(&kmreq(|b| b[7] = 1))),
        ("srt.km.cipher", km_broken(&kmreq(|b| b[8] = 3))),
        ("srt.km.auth", km_broken(&kmreq(|b| b[9] = 1))),
        (
            "srt.km.stream-encapsulation",
            km_broken(&kmreq(|b| b[10] = 1)),
        ),
        (
            "srt.km.salt-length",
            km_broken(&kmreq(|b| {
                b[14] = 2;
                b.drain(16..24);
            })),
        ),
        ("srt.km.key-length", km_broken(&kmreq(|b| b[15] = 5))),
        ("srt.km.response-state", {
            let mut violations = Vec::new();
            let r = KmResponse::parse_checked(&[0, 0, 0, 9], &mut violations);
            broken(r.map(drop), violations)
        }),
        ("srt.km.response-echo", {
            let other = initiator(2).km_request().to_bytes();
            broken(
                initiator(1)
                    .check_response(&other, &mut Vec::new())
                    .map(drop),
                vec![],
            )
        }),
        (
            "srt.crypto.passphrase-length",
            broken(Passphrase::new("too short").map(drop), vec![]),
        ),
        (
            "srt.crypto.passphrase-length",
            broken(Passphrase::new([b'x'; 80]).map(drop), vec![]),
        ),
        ("srt.crypto.unwrap-integrity", {
            let wrong = Passphrase::new("another passphrase").unwrap();
            broken(
                CryptoContext::responder(wrong, &kmreq(|_| {}), &mut Vec::new()).map(drop),
                vec![],
            )
        }),
        ("srt.crypto.key-index", {
            let context = initiator(1);
            broken(context.decrypt(2, SeqNumber::new(1), &mut [0; 188]), vec![])
        }),
        (
            "srt.crypto.data-kk",
            broken(KeyIndex::from_kk(3).map(drop), vec![]),
        ),
    ];
    for (rule, got) in &table {
        assert_eq!(got, &vec![*rule], "expected {rule}");
    }
    // Every rule of these two areas is in the table.
    let ours = weir_testkit::rule_table::area(CATALOG, &["srt.km.", "srt.crypto."]);
    weir_testkit::rule_table::check(&ours, &table);
}

#[test]
fn an_aes_gcm_message_parses_but_its_keys_are_refused_as_unsupported() {
    // libsrt 1.5.2+ announces AES-GCM as cipher 4 with auth 1.
    let bytes = kmreq(|b| {
        b[8] = 4;
        b[9] = 1;
    });
    let (km, violations) = parse(&bytes);
    assert_eq!(violations, vec![]);
    assert_eq!(km.unwrap().cipher, Cipher::AesGcm);
    let e = CryptoContext::responder(passphrase(), &bytes, &mut Vec::new()).unwrap_err();
    assert_eq!(e.rule_id(), "srt.km.cipher");
}

#[test]
fn a_refusing_kmrsp_is_one_state_word() {
    let mut violations = Vec::new();
    let bad = KmResponse::parse_checked(&KmState::BadSecret.to_bytes(), &mut violations);
    assert_eq!(bad.unwrap(), KmResponse::Refused(KmState::BadSecret));
    assert_eq!(&KmState::NoSecret.to_bytes()[..], &[0, 0, 0, 3]);
    assert_eq!(violations, vec![]);
}

#[test]
fn a_message_shorter_than_its_header_is_an_error_at_the_field_that_runs_out() {
    let e = KeyMaterial::parse(&[0x12, 0x20, 0x29, 0x01, 0, 0]).unwrap_err();
    assert_eq!((e.rule_id(), e.offset), ("srt.km.length", 4));
}

fn key_material() -> impl Strategy<Value = KeyMaterial> {
    (
        prop_oneof![
            Just(KeyFlags::Even),
            Just(KeyFlags::Odd),
            Just(KeyFlags::Both)
        ],
        any::<u32>(),
        any::<u8>(),
        any::<u8>(),
        any::<u8>(),
        (0usize..=16).prop_map(|words| words * 4),
        prop_oneof![
            Just(KeyLength::Aes128),
            Just(KeyLength::Aes192),
            Just(KeyLength::Aes256)
        ],
        any::<[u8; 72]>(),
    )
        .prop_map(
            |(keys, keki, cipher, auth, se, salt_len, key_length, bytes)| {
                let salt: Vec<u8> = bytes.iter().cycle().take(salt_len).copied().collect();
                let wrap_len = 8 + keys.count() * key_length.bytes();
                KeyMaterial {
                    keys,
                    keki,
                    cipher: Cipher::from_u8(cipher),
                    auth,
                    stream_encapsulation: se,
                    salt: Bytes::from(salt),
                    key_length,
                    wrapped: Bytes::copy_from_slice(&bytes[..wrap_len]),
                }
            },
        )
}

proptest! {
    #[test]
    fn write_then_parse_gives_back_the_message(km in key_material()) {
        let bytes = km.to_bytes();
        prop_assert_eq!(bytes.len(), km.len());
        prop_assert_eq!(KeyMaterial::parse(&bytes).unwrap(), km);
    }

    #[test]
    fn parse_then_write_gives_back_the_bytes_of_a_canonical_message(km in key_material()) {
        let bytes = km.to_bytes();
        let mut out = BytesMut::new();
        KeyMaterial::parse(&bytes).unwrap().write(&mut out);
        prop_assert_eq!(out.freeze(), bytes);
    }

    #[test]
    fn parsing_any_bytes_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..200)) {
        let _ = KeyMaterial::parse_checked(&bytes, &mut Vec::new());
        let _ = KmResponse::parse_checked(&bytes, &mut Vec::new());
        let _ = CryptoContext::responder(passphrase(), &bytes, &mut Vec::new());
    }
}
