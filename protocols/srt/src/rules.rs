//! The SRT rule catalog: everything the packet parsers, the handshake, the connection machine
//! and the encryption report. "The draft" is draft-sharabayko-srt-01.

weir_media::rules! {
    // Key material and encryption (km.rs, kdf.rs, keywrap.rs, cipher.rs, crypto.rs).
    KM_LENGTH = "srt.km.length", Must, "draft-sharabayko-srt-01 §3.2.2",
        "A Key Material message is its 16-byte header, then exactly the salt and the wrapped keys its SLen, KLen and KK fields announce.";
    KM_SIGNATURE = "srt.km.signature", Must, "draft-sharabayko-srt-01 §3.2.2",
        "The Sign field of a Key Material message holds the vendor signature 0x2029.";
    KM_VERSION = "srt.km.version", Must, "draft-sharabayko-srt-01 §3.2.2",
        "The V field of a Key Material message is 1, the only version defined.";
    KM_PACKET_TYPE = "srt.km.packet-type", Must, "draft-sharabayko-srt-01 §3.2.2",
        "The PT field of a Key Material message is 2 (keying material).";
    KM_RESERVED = "srt.km.reserved", Must, "draft-sharabayko-srt-01 §3.2.2",
        "The S bit and the Resv1, Resv2 and Resv3 fields of a Key Material message are zero.";
    KM_KEY_FLAGS = "srt.km.key-flags", Must, "draft-sharabayko-srt-01 §3.2.2",
        "The KK field of a Key Material message names the even key (1), the odd key (2) or both (3), never none.";
    KM_KEKI = "srt.km.keki", Should, "draft-sharabayko-srt-01 §3.2.2",
        "The KEKI field is 0, the default key encrypting key derived from the passphrase (the only one libsrt uses).";
    KM_CIPHER = "srt.km.cipher", Must, "draft-sharabayko-srt-01 §3.2.2, §6.1.2",
        "Keys are announced for AES-CTR (Cipher 2); ECB and CBC are reserved, and AES-GCM (4, libsrt 1.5.2+) is not supported here.";
    KM_AUTH = "srt.km.auth", Must, "draft-sharabayko-srt-01 §3.2.2",
        "The Auth field is 0 (no authentication) with AES-CTR (and 1 only with libsrt's AES-GCM).";
    KM_STREAM_ENCAPSULATION = "srt.km.stream-encapsulation", Should, "draft-sharabayko-srt-01 §3.2.2",
        "The SE field is 2 (MPEG-TS over SRT), the value SRT peers send.";
    KM_SALT_LENGTH = "srt.km.salt-length", Must, "draft-sharabayko-srt-01 §3.2.2",
        "The salt is 128 bits (SLen/4 is 4).";
    KM_KEY_LENGTH = "srt.km.key-length", Must, "draft-sharabayko-srt-01 §3.2.2",
        "Each stream encrypting key is 16, 24 or 32 bytes (KLen/4 is 4, 6 or 8).";
    KM_RESPONSE_STATE = "srt.km.response-state", Must, "draft-sharabayko-srt-01 §3.2.1.2; libsrt SRT_KM_STATE",
        "A KMRSP that refuses the keys carries one known state word: unsecured (0), no secret (3) or bad secret (4).";
    KM_RESPONSE_ECHO = "srt.km.response-echo", Must, "draft-sharabayko-srt-01 §3.2.1.2, §6.1.5",
        "A KMRSP that accepts the keys repeats the Key Material message of the KMREQ it answers.";
    CRYPTO_PASSPHRASE_LENGTH = "srt.crypto.passphrase-length", Must, "draft-sharabayko-srt-01 §6.1.4; libsrt SRTO_PASSPHRASE",
        "A passphrase is 10 to 79 bytes long (libsrt refuses any other).";
    CRYPTO_UNWRAP = "srt.crypto.unwrap-integrity", Must, "RFC 3394 §2.2.3, draft-sharabayko-srt-01 §6.3.1",
        "Unwrapping the keys with the KEK from the passphrase gives back the integrity check value A6A6A6A6A6A6A6A6; otherwise the passphrase is wrong (libsrt's bad secret).";
    CRYPTO_KEY_INDEX = "srt.crypto.key-index", Must, "draft-sharabayko-srt-01 §3.1, §6.3.2",
        "An encrypted data packet names (KK 1 even, 2 odd) a key that the key material exchange announced.";
    CRYPTO_DATA_KK = "srt.crypto.data-kk", Must, "draft-sharabayko-srt-01 §3.1",
        "The KK field of a data packet is 0 (clear), 1 (even key) or 2 (odd key); 3 is not a key.";
}
