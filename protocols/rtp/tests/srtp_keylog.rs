//! The SRTP key log (weir_rtp::srtp::keylog): what it reads, what it refuses (with the line),
//! what it writes, and which key a datagram's addresses pick.

use proptest::prelude::*;
use std::net::SocketAddr;
use weir_rtp::srtp::keylog::{Entry, KeyLog};
use weir_rtp::srtp::{MasterKey, Profile};

const CLIENT_KEY: &str = "00112233445566778899aabbccddeeff";
const CLIENT_SALT: &str = "0102030405060708090a0b0c0d0e";
const SERVER_KEY: &str = "8899aabbccddeeff0011223344556677";
const SERVER_SALT: &str = "1112131415161718191a1b1c1d1e";

fn line(profile: &str, client: &str, server: &str) -> String {
    format!(
        "SRTP {profile} {client} {server} {CLIENT_KEY} {CLIENT_SALT} {SERVER_KEY} {SERVER_SALT}"
    )
}

fn addr(s: &str) -> SocketAddr {
    s.parse().unwrap()
}

#[test]
fn reads_lines_skipping_blanks_and_comments_and_picks_the_key_by_direction() {
    let text = format!(
        "# weir serve key log\n\n{}\r\n{}\n",
        line(
            "AES_CM_128_HMAC_SHA1_80",
            "192.0.2.7:50412",
            "198.51.100.1:8000"
        ),
        line(
            "AES_CM_128_HMAC_SHA1_32",
            "[2001:db8::7]:4000",
            "[2001:db8::1]:8000"
        ),
    );
    let log = KeyLog::parse(&text).unwrap();
    assert_eq!(log.entries.len(), 2);
    assert_eq!(log.entries[0].profile(), Profile::AesCm128HmacSha1_80);
    assert_eq!(log.entries[1].profile(), Profile::AesCm128HmacSha1_32);
    let (client, server) = (addr("192.0.2.7:50412"), addr("198.51.100.1:8000"));
    let up = log.lookup(client, server).unwrap();
    let down = log.lookup(server, client).unwrap();
    assert_eq!(up, &log.entries[0].client_key);
    assert_eq!(down, &log.entries[0].server_key);
    assert_eq!(up.key()[0], 0x00);
    assert_eq!(down.key()[0], 0x88);
    assert_eq!(log.lookup(client, addr("198.51.100.1:8001")), None);
    assert!(
        log.lookup(addr("[2001:db8::1]:8000"), addr("[2001:db8::7]:4000"))
            .is_some()
    );
}

#[test]
fn a_later_line_for_the_same_addresses_wins_and_hex_reads_in_either_case() {
    let first = line("AES_CM_128_HMAC_SHA1_80", "10.0.0.1:1", "10.0.0.2:2");
    let second = first.replace(CLIENT_KEY, &"AB".repeat(16));
    let log = KeyLog::parse(&format!("{first}\n{second}")).unwrap();
    let key = log.lookup(addr("10.0.0.1:1"), addr("10.0.0.2:2")).unwrap();
    assert_eq!(key.key(), [0xab; 16]);
}

#[test]
fn every_mistake_is_refused_with_its_line_number() {
    let good = line("AEAD_AES_128_GCM", "10.0.0.1:1", "10.0.0.2:2")
        .replace(CLIENT_SALT, "0102030405060708090a0b0c")
        .replace(SERVER_SALT, "1112131415161718191a1b1c");
    assert!(KeyLog::parse(&good).is_ok());
    let bad = [
        (good.replacen("SRTP", "SRTCP", 1), "not SRTP"),
        (
            good.replace("AEAD_AES_128_GCM", "AES_CM_256_HMAC_SHA1_80"),
            "no profile",
        ),
        (good.replace("10.0.0.1:1", "10.0.0.1"), "client address"),
        (good.replace("10.0.0.2:2", "host:2"), "server address"),
        (
            good.replace(CLIENT_KEY, &CLIENT_KEY[2..]),
            "client master key is 15 octets",
        ),
        (
            good.replace(CLIENT_KEY, &format!("{}zz", &CLIENT_KEY[2..])),
            "client master key is not hex",
        ),
        (
            good.replace("0102030405060708090a0b0c", CLIENT_SALT),
            "client master salt is 14 octets",
        ),
        (
            good.replace(SERVER_KEY, &format!("{SERVER_KEY}0")),
            "server master key is not hex",
        ),
        (
            good.replace("1112131415161718191a1b1c", ""),
            "server master salt is not hex",
        ),
        (good.replace(' ', "  "), "fields"),
        (format!("{good} extra"), "9 space-separated fields"),
    ];
    for (text, says) in bad {
        let text = format!("# comment\n{good}\n{text}\n");
        let err = KeyLog::parse(&text).unwrap_err();
        assert_eq!(err.rule_id(), "rtp.srtp.keylog", "{text}");
        assert!(err.detail.starts_with("line 3: "), "{}", err.detail);
        assert!(err.detail.contains(says), "{} lacks {says:?}", err.detail);
        assert_eq!(err.offset, (good.len() + 11) as u64, "the line's offset");
    }
}

/// An address as the key log writes it: no IPv6 flow label or scope, which `SocketAddr`'s
/// text leaves out.
fn address() -> impl Strategy<Value = SocketAddr> {
    (any::<std::net::IpAddr>(), any::<u16>()).prop_map(|(ip, port)| SocketAddr::new(ip, port))
}

fn entry() -> impl Strategy<Value = Entry> {
    (
        proptest::sample::select(Profile::ALL.to_vec()),
        address(),
        address(),
        any::<[u8; 32]>(),
        any::<[u8; 14]>(),
        any::<u8>(),
    )
        .prop_map(|(profile, client, server, key, salt, flip)| {
            let (k, s) = (profile.key_len(), profile.salt_len());
            let server_key: Vec<u8> = key.iter().map(|b| b ^ flip).collect();
            Entry {
                client,
                server,
                client_key: MasterKey::new(profile, &key[..k], &salt[..s]).unwrap(),
                server_key: MasterKey::new(profile, &server_key[..k], &salt[..s]).unwrap(),
            }
        })
}

proptest! {
    #[test]
    fn write_then_parse_gives_back_the_log(entries in proptest::collection::vec(entry(), 0..5)) {
        let log = KeyLog { entries };
        let text = log.write();
        let parsed = KeyLog::parse(&text).unwrap();
        prop_assert_eq!(&parsed, &log);
        prop_assert_eq!(parsed.write(), text);
    }

    #[test]
    fn arbitrary_text_never_panics(text in ".{0,300}") {
        let _ = KeyLog::parse(&text);
    }
}
