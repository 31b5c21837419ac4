//! SRT key material from hostile bytes: a Key Material message (KMREQ/KMRSP body) that
//! parses writes back to bytes that parse to the same message; its keys unwrap (or fail the
//! integrity check) with a fixed passphrase, and what unwraps decrypts a payload by any KK.
#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use weir_srt::SeqNumber;
use weir_srt::crypto::{KeyIndex, Keys};
use weir_srt::kdf::{Kek, Passphrase};
use weir_srt::km::{KeyLength, KeyMaterial, KmResponse};

/// The KEK of the fixed passphrase for each key length, over a zero salt (the libsrt seed's
/// keys fail its integrity check): derived once, so an input costs an unwrap, not PBKDF2.
fn keks() -> &'static [Kek; 3] {
    static KEKS: OnceLock<[Kek; 3]> = OnceLock::new();
    KEKS.get_or_init(|| {
        let passphrase = Passphrase::new("testpassphrase123").unwrap();
        let salt = [0; 16];
        [KeyLength::Aes128, KeyLength::Aes192, KeyLength::Aes256].map(|k| passphrase.kek(&salt, k))
    })
}

fuzz_target!(|data: &[u8]| {
    let mut violations = Vec::new();
    let _ = KmResponse::parse_checked(data, &mut violations);
    let Ok(km) = KeyMaterial::parse_checked(data, &mut violations) else {
        return;
    };
    let bytes = km.to_bytes();
    assert_eq!(bytes.len(), km.len());
    assert_eq!(KeyMaterial::parse(&bytes).as_ref(), Ok(&km));
    let kek = keks()
        .iter()
        .find(|k| k.key_length() == km.key_length)
        .unwrap();
    if let Ok(keys) = Keys::from_km(&km, kek) {
        let mut payload = data.to_vec();
        for kk in 0..4 {
            if let Ok(Some(index)) = KeyIndex::from_kk(kk) {
                let _ = keys.apply(index, SeqNumber::new(kk.into()), &mut payload);
            }
        }
        assert_eq!(keys.to_km(kek).keys, km.keys);
    }
});
