//! Key derivation, key wrap and payload encryption against published vectors, and the
//! initiator/responder exchange and key refresh end to end.

use proptest::prelude::*;
use rand::SeedableRng;
use rand::rngs::StdRng;
use weir_srt::SeqNumber;
use weir_srt::cipher::{Aes, counter_block};
use weir_srt::crypto::{CryptoContext, KeyIndex, Refresh, RefreshStep, Schedule};
use weir_srt::kdf::{Kek, Passphrase, pbkdf2_hmac_sha1};
use weir_srt::keywrap;
use weir_srt::km::{KeyFlags, KeyLength, KmResponse};

fn hex(s: &str) -> Vec<u8> {
    let s: String = s.split_whitespace().collect();
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

/// RFC 3394 §4.1 to §4.6: (KEK, key data, ciphertext).
const RFC3394: &[(&str, &str, &str)] = &[
    (
        "000102030405060708090A0B0C0D0E0F",
        "00112233445566778899AABBCCDDEEFF",
        "1FA68B0A8112B447 AEF34BD8FB5A7B82 9D3E862371D2CFE5",
    ),
    (
        "000102030405060708090A0B0C0D0E0F1011121314151617",
        "00112233445566778899AABBCCDDEEFF",
        "96778B25AE6CA435 F92B5B97C050AED2 468AB8A17AD84E5D",
    ),
    (
        "000102030405060708090A0B0C0D0E0F101112131415161718191A1B1C1D1E1F",
        "00112233445566778899AABBCCDDEEFF",
        "64E8C3F9CE0F5BA2 63E9777905818A2A 93C8191E7D6E8AE7",
    ),
    (
        "000102030405060708090A0B0C0D0E0F1011121314151617",
        "00112233445566778899AABBCCDDEEFF0001020304050607",
        "031D33264E15D332 68F24EC260743EDC E1C6C7DDEE725A93 6BA814915C6762D2",
    ),
    (
        "000102030405060708090A0B0C0D0E0F101112131415161718191A1B1C1D1E1F",
        "00112233445566778899AABBCCDDEEFF0001020304050607",
        "A8F9BC1612C68B3F F6E6F4FBE30E71E4 769C8B80A32CB895 8CD5D17D6B254DA1",
    ),
    (
        "000102030405060708090A0B0C0D0E0F101112131415161718191A1B1C1D1E1F",
        "00112233445566778899AABBCCDDEEFF000102030405060708090A0B0C0D0E0F",
        "28C9F404C4B810F4 CBCCB35CFB87F826 3F5786E2D80ED326 CBC7F0E71A99F43B FB988B9B7A02DD21",
    ),
];

#[test]
fn key_wrap_matches_the_rfc_3394_vectors_both_ways() {
    for (kek, data, wrapped) in RFC3394 {
        let kek = Kek::from_bytes(&hex(kek)).unwrap();
        let (data, wrapped) = (hex(data), hex(wrapped));
        assert_eq!(keywrap::wrap(&kek, &data).unwrap(), wrapped);
        assert_eq!(keywrap::unwrap(&kek, &wrapped).unwrap(), data);
    }
}

#[test]
fn unwrapping_a_tampered_block_fails_the_integrity_check() {
    let (kek, _, wrapped) = RFC3394[0];
    let kek = Kek::from_bytes(&hex(kek)).unwrap();
    let mut wrapped = hex(wrapped);
    wrapped[20] ^= 1;
    let e = keywrap::unwrap(&kek, &wrapped).unwrap_err();
    assert_eq!(e.rule_id(), "srt.crypto.unwrap-integrity");
    assert_eq!(
        keywrap::unwrap(&kek, &wrapped[..20]).unwrap_err().rule_id(),
        "srt.km.length"
    );
    assert_eq!(keywrap::wrap(&kek, &[0; 12]), None);
}

/// RFC 6070 §2: (password, salt, iterations, derived key).
const RFC6070: &[(&[u8], &[u8], u32, &str)] = &[
    (
        b"password",
        b"salt",
        1,
        "0c60c80f961f0e71f3a9b524af6012062fe037a6",
    ),
    (
        b"password",
        b"salt",
        2,
        "ea6c014dc72d6f8ccd1ed92ace1d41f0d8de8957",
    ),
    (
        b"password",
        b"salt",
        4096,
        "4b007901b765489abead49d926f721d065a429c1",
    ),
    (
        b"passwordPASSWORDpassword",
        b"saltSALTsaltSALTsaltSALTsaltSALTsalt",
        4096,
        "3d2eec4fe41c849b80c8d83662c0e44a8b291a964cf2f07038",
    ),
    (
        b"pass\0word",
        b"sa\0lt",
        4096,
        "56fa6aa75548099dcc37d7f03425e0c3",
    ),
];

#[test]
fn pbkdf2_hmac_sha1_matches_the_rfc_6070_vectors() {
    for (password, salt, iterations, expected) in RFC6070 {
        let expected = hex(expected);
        let mut out = vec![0; expected.len()];
        pbkdf2_hmac_sha1(password, salt, *iterations, &mut out);
        assert_eq!(out, expected, "{iterations} iterations");
    }
}

#[test]
fn the_kek_is_pbkdf2_of_the_last_8_salt_bytes_with_2048_iterations() {
    let salt: Vec<u8> = (0..16).collect();
    let passphrase = Passphrase::new("testpassphrase123").unwrap();
    for key_length in [KeyLength::Aes128, KeyLength::Aes192, KeyLength::Aes256] {
        let mut expected = vec![0; key_length.bytes()];
        pbkdf2_hmac_sha1(b"testpassphrase123", &salt[8..], 2048, &mut expected);
        let kek = passphrase.kek(&salt, key_length);
        assert_eq!(kek.as_bytes(), expected);
    }
    // The first 8 salt bytes play no part.
    let mut other = salt.clone();
    other[..8].fill(0xff);
    assert_eq!(
        passphrase.kek(&salt, KeyLength::Aes128),
        passphrase.kek(&other, KeyLength::Aes128)
    );
}

#[test]
fn the_counter_block_xors_the_salt_over_the_sequence_number_at_bytes_10_to_13() {
    let salt = [0x11; 16];
    let block = counter_block(&salt, SeqNumber::new(0x0df7_d4c6));
    let mut expected = [0x11; 16];
    expected[10..14]
        .iter_mut()
        .zip([0x0d, 0xf7, 0xd4, 0xc6])
        .for_each(|(b, s)| *b ^= s);
    expected[14..].fill(0);
    assert_eq!(block, expected);
}

#[test]
fn aes_ctr_keystream_follows_the_counter_block() {
    // The keystream of a packet is AES(counter block), AES(counter block + 1), ...
    let key = [7; 32];
    let aes = Aes::new(&key).unwrap();
    let salt = [3; 16];
    let seq = SeqNumber::new(42);
    let mut payload = [0; 40];
    aes.apply_ctr(&salt, seq, &mut payload);
    let mut expected = Vec::new();
    for i in 0..3u8 {
        let mut block = counter_block(&salt, seq);
        block[15] += i;
        aes.encrypt_block(&mut block);
        expected.extend_from_slice(&block);
    }
    assert_eq!(&payload[..], &expected[..40]);
}

fn rng(seed: u64) -> StdRng {
    StdRng::seed_from_u64(seed)
}

fn pair(key_length: KeyLength, refresh: Refresh) -> (CryptoContext, CryptoContext) {
    let passphrase = Passphrase::new("a shared passphrase").unwrap();
    let initiator = CryptoContext::initiator(passphrase.clone(), key_length, refresh, &mut rng(9));
    let kmreq = initiator.km_request().to_bytes();
    let mut violations = Vec::new();
    let (responder, kmrsp) = CryptoContext::responder(passphrase, &kmreq, &mut violations).unwrap();
    assert_eq!(violations, vec![]);
    let response = initiator.check_response(&kmrsp, &mut violations).unwrap();
    assert!(matches!(response, KmResponse::Accepted(_)));
    (initiator, responder)
}

#[test]
fn a_kmreq_built_from_an_rng_parses_back_and_carries_the_even_key() {
    for key_length in [KeyLength::Aes128, KeyLength::Aes192, KeyLength::Aes256] {
        let (initiator, _) = pair(key_length, Refresh::default());
        let km = initiator.km_request();
        assert_eq!(km.keys, KeyFlags::Even);
        assert_eq!(km.key_length, key_length);
        assert_eq!(km.wrapped.len(), 8 + key_length.bytes());
        let parsed = weir_srt::km::KeyMaterial::parse(&km.to_bytes()).unwrap();
        assert_eq!(&parsed, km);
    }
}

#[test]
fn both_directions_share_the_initiators_key_after_the_exchange() {
    let (mut initiator, mut responder) = pair(KeyLength::Aes256, Refresh::default());
    let plain: Vec<u8> = (0..=255).cycle().take(1316).collect();
    let mut payload = plain.clone();
    let sent = initiator
        .encrypt(&mut rng(1), SeqNumber::new(5), &mut payload)
        .unwrap();
    assert_eq!(sent.key, KeyIndex::Even);
    assert_ne!(payload, plain);
    responder
        .decrypt(sent.key.kk(), SeqNumber::new(5), &mut payload)
        .unwrap();
    assert_eq!(payload, plain);
    let mut payload = plain.clone();
    let sent = responder
        .encrypt(&mut rng(1), SeqNumber::new(6), &mut payload)
        .unwrap();
    initiator
        .decrypt(sent.key.kk(), SeqNumber::new(6), &mut payload)
        .unwrap();
    assert_eq!(payload, plain);
}

#[test]
fn the_schedule_announces_switches_and_retires_at_libsrts_packet_counts() {
    let refresh = Refresh::default();
    assert_eq!((refresh.rate(), refresh.pre_announce()), (1 << 24, 1 << 12));
    assert!(Refresh::new(10, 5).is_none());
    assert!(Refresh::new(10, 0).is_none());
    let mut schedule = Schedule::new(Refresh::new(10, 3).unwrap());
    let steps: Vec<RefreshStep> = (0..20).map(|_| schedule.on_packet()).collect();
    use RefreshStep::*;
    // Packet 3: retire (nothing to retire yet); 7: announce; 10: switch; then 13 and 17.
    let expected = [
        None, None, Retire, None, None, None, Announce, None, None, Switch, None, None, Retire,
        None, None, None, Announce, None, None, Switch,
    ];
    assert_eq!(steps, expected);
}

#[test]
fn a_key_refresh_reaches_the_receiver_and_every_packet_still_decrypts() {
    let refresh = Refresh::new(10, 3).unwrap();
    let (mut sender, mut receiver) = pair(KeyLength::Aes128, refresh);
    let mut rng = rng(3);
    let mut announced = Vec::new();
    let mut keys_used = Vec::new();
    for n in 0..35u32 {
        let seq = SeqNumber::new(n);
        let plain = vec![n as u8; 188];
        let mut payload = plain.clone();
        let sent = sender.encrypt(&mut rng, seq, &mut payload).unwrap();
        keys_used.push(sent.key);
        receiver.decrypt(sent.key.kk(), seq, &mut payload).unwrap();
        assert_eq!(payload, plain, "packet {n}");
        if let Some(km) = sent.announce {
            announced.push((n, km.keys));
            let kmreq = km.to_bytes();
            let kmrsp = receiver.update(&kmreq, &mut Vec::new()).unwrap();
            assert!(matches!(
                sender.check_response(&kmrsp, &mut Vec::new()).unwrap(),
                KmResponse::Accepted(_)
            ));
        }
    }
    // Announce both keys 3 packets before each switch, then the new key alone 3 after it.
    assert_eq!(
        announced,
        [
            (6, KeyFlags::Both),
            (12, KeyFlags::Odd),
            (16, KeyFlags::Both),
            (22, KeyFlags::Even),
            (26, KeyFlags::Both),
            (32, KeyFlags::Odd)
        ]
    );
    let odd = keys_used.iter().filter(|k| **k == KeyIndex::Odd).count();
    assert_eq!(
        (keys_used[9], keys_used[10], odd),
        (KeyIndex::Even, KeyIndex::Odd, 15)
    );
}

#[test]
fn a_responder_without_the_passphrase_cannot_read_a_payload() {
    let (mut initiator, _) = pair(KeyLength::Aes128, Refresh::default());
    let kmreq = initiator.km_request().to_bytes();
    let other = Passphrase::new("not the shared one").unwrap();
    let e = CryptoContext::responder(other, &kmreq, &mut Vec::new()).unwrap_err();
    assert_eq!(e.rule_id(), "srt.crypto.unwrap-integrity");
    let mut payload = [0x47; 188];
    initiator
        .encrypt(&mut rng(1), SeqNumber::new(1), &mut payload)
        .unwrap();
    assert_ne!(payload[0], 0x47);
}

proptest! {
    // Each case derives a KEK (2048 PBKDF2 rounds): fewer cases keep the test quick.
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn encrypt_then_decrypt_gives_back_the_payload(
        key in prop_oneof![Just(16usize), Just(24), Just(32)],
        seed in any::<u64>(),
        seq in any::<u32>(),
        plain in proptest::collection::vec(any::<u8>(), 0..1500),
    ) {
        let key_length = KeyLength::from_bytes(key).unwrap();
        let passphrase = Passphrase::new("proptest passphrase").unwrap();
        let mut sender = CryptoContext::initiator(passphrase, key_length, Refresh::default(), &mut rng(seed));
        let seq = SeqNumber::new(seq);
        let mut payload = plain.clone();
        let sent = sender.encrypt(&mut rng(seed), seq, &mut payload).unwrap();
        sender.decrypt(sent.key.kk(), seq, &mut payload).unwrap();
        prop_assert_eq!(payload, plain);
    }

    #[test]
    fn wrap_then_unwrap_gives_back_the_keys(
        kek in prop_oneof![Just(16usize), Just(24), Just(32)],
        seed in any::<u8>(),
        blocks in 2usize..9,
    ) {
        let kek = Kek::from_bytes(&vec![seed; kek]).unwrap();
        let keys: Vec<u8> = (0..blocks * 8).map(|i| i as u8 ^ seed).collect();
        let wrapped = keywrap::wrap(&kek, &keys).unwrap();
        prop_assert_eq!(wrapped.len(), keys.len() + 8);
        prop_assert_eq!(keywrap::unwrap(&kek, &wrapped).unwrap(), keys);
    }
}
