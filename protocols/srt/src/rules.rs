//! The SRT rule catalog: everything the packet parsers, the handshake, the connection machine
//! and the encryption report. "The draft" is draft-sharabayko-srt-01.

weir_media::rules! {
    // --- packets (srtwire): packet.rs, data.rs, control.rs and the control bodies ---
    PACKET_TRUNCATED = "srt.packet.truncated", Must, "draft-sharabayko-srt-01 §3",
        "Every SRT datagram starts with the full 16-byte header: two words of type-dependent fields, a timestamp and a destination socket id.";
    DATA_KEY_FLAGS = "srt.data.key-flags", Must, "draft-sharabayko-srt-01 §3.1",
        "A data packet names at most one key (even, odd or none): both key bits set is only meaningful inside key material.";
    DATA_EMPTY = "srt.data.empty", Should, "draft-sharabayko-srt-01 §3.1",
        "A data packet carries at least one byte of payload after its header.";
    CONTROL_TYPE = "srt.control.type", Must, "draft-sharabayko-srt-01 §3.2",
        "The control type of a control packet is one the draft defines (0 to 8) or the user-defined type 0x7FFF.";
    CONTROL_SUBTYPE = "srt.control.subtype", Should, "draft-sharabayko-srt-01 §3.2",
        "Only a user-defined control packet uses the subtype field; every other control type sends it as zero.";
    HANDSHAKE_TRUNCATED = "srt.handshake.truncated", Must, "draft-sharabayko-srt-01 §3.2.1",
        "A handshake control packet carries the whole 48-byte handshake body before any extension.";
    HANDSHAKE_VERSION = "srt.handshake.version", Must, "draft-sharabayko-srt-01 §3.2.1",
        "The handshake version is 4 (the caller's induction, legacy peers) or 5.";
    HANDSHAKE_ENCRYPTION = "srt.handshake.encryption", Must, "draft-sharabayko-srt-01 §3.2.1",
        "The encryption field is 0 (none or not announced) or 2, 3 or 4 for AES keys of 128, 192 or 256 bits.";
    HANDSHAKE_TYPE = "srt.handshake.type", Must, "draft-sharabayko-srt-01 §3.2.1",
        "The handshake type is wavehand, induction, conclusion, agreement, done or a rejection code of 1000 or more.";
    HANDSHAKE_INDUCTION_MAGIC = "srt.handshake.induction-magic", Must, "draft-sharabayko-srt-01 §4.3.1.1",
        "A version-5 induction answer puts the SRT magic 0x4A17 in the extension field.";
    HANDSHAKE_INDUCTION_REQUEST = "srt.handshake.induction-request", Must, "draft-sharabayko-srt-01 §4.3.1.1",
        "The caller's version-4 induction request announces the datagram socket type (2) in the extension field and no encryption.";
    HANDSHAKE_SEQUENCE = "srt.handshake.sequence", Must, "draft-sharabayko-srt-01 §3.2.1",
        "The initial packet sequence number fits in 31 bits, as every sequence number does.";
    HANDSHAKE_MTU = "srt.handshake.mtu", Must, "draft-sharabayko-srt-01 §3.2.1",
        "The maximum transmission unit offered is large enough for the IP, UDP and SRT headers and some payload (76 bytes or more).";
    HANDSHAKE_FLOW_WINDOW = "srt.handshake.flow-window", Must, "draft-sharabayko-srt-01 §3.2.1",
        "The maximum flow window size offered is at least one packet.";
    HANDSHAKE_EXTENSION_TRUNCATED = "srt.handshake.extension-truncated", Must, "draft-sharabayko-srt-01 §3.2.1",
        "Each handshake extension's header (type and length in 4-byte words) and its whole body fit in the packet.";
    HANDSHAKE_EXTENSION_FLAGS = "srt.handshake.extension-flags", Must, "draft-sharabayko-srt-01 §3.2.1",
        "In a version-5 conclusion the extension field's HSREQ, KMREQ and CONFIG bits say exactly which kinds of extension follow.";
    HANDSHAKE_EXTENSION_PLACEMENT = "srt.handshake.extension-placement", Must, "draft-sharabayko-srt-01 §3.2.1",
        "Handshake extensions follow only a version-5 conclusion (or agreement) handshake.";
    EXTENSION_DUPLICATE = "srt.extension.duplicate", Must, "draft-sharabayko-srt-01 §3.2.1",
        "A handshake carries each kind of extension (HSREQ/HSRSP, KMREQ/KMRSP, stream id, congestion, filter, group) at most once.";
    HSREQ_LENGTH = "srt.hsreq.length", Must, "draft-sharabayko-srt-01 §3.2.1.1",
        "An HSREQ or HSRSP extension body is three words: SRT version, flags and the two TSBPD delays.";
    HSREQ_FLAGS = "srt.hsreq.flags", Should, "draft-sharabayko-srt-01 §3.2.1.1.1",
        "An HSREQ or HSRSP sets no flag bit beyond the eight the draft defines.";
    KM_EMPTY = "srt.extension.km-empty", Must, "draft-sharabayko-srt-01 §3.2.1.2",
        "A KMREQ or KMRSP extension carries a body (key material, or a one-word key material state).";
    SID_LENGTH = "srt.sid.length", Must, "draft-sharabayko-srt-01 §3.2.1.3",
        "A stream id is at most 512 bytes long.";
    SID_UTF8 = "srt.sid.utf8", Should, "draft-sharabayko-srt-01 §3.2.1.3",
        "A stream id (and a congestion or filter name) is UTF-8 text.";
    SID_PADDING = "srt.sid.padding", Must, "draft-sharabayko-srt-01 §3.2.1.3",
        "A stream id is padded to whole words with zero bytes at its end only, never with a zero inside the text.";
    CONGESTION_NAME = "srt.congestion.name", Should, "draft-sharabayko-srt-01 §3.2.1.4",
        "The congestion control extension names a controller the peers know: \"live\" or \"file\".";
    ACK_LENGTH = "srt.ack.length", Must, "draft-sharabayko-srt-01 §3.2.4",
        "An ACK body is a light ACK (one word), a small ACK (four words) or a full ACK (six or seven words).";
    ACK_SEQUENCE = "srt.ack.sequence", Must, "draft-sharabayko-srt-01 §3.2.4",
        "The last acknowledged packet sequence number of an ACK fits in 31 bits.";
    NAK_LENGTH = "srt.nak.length", Must, "draft-sharabayko-srt-01 §3.2.5",
        "A loss report carries at least one loss list entry and a whole number of 4-byte words.";
    NAK_DANGLING_RANGE = "srt.nak.dangling-range", Must, "draft-sharabayko-srt-01 Appendix A",
        "A loss list word with the top bit set starts a range and is followed by the range's last sequence number, with the top bit clear.";
    NAK_RANGE_ORDER = "srt.nak.range-order", Must, "draft-sharabayko-srt-01 Appendix A",
        "A loss list range ends at or after its start (in circular sequence order).";
    DROPREQ_LENGTH = "srt.dropreq.length", Must, "draft-sharabayko-srt-01 §3.2.9",
        "A drop request body is two words: the first and the last sequence number of the message to drop.";
    DROPREQ_RANGE_ORDER = "srt.dropreq.range-order", Must, "draft-sharabayko-srt-01 §3.2.9",
        "A drop request's last sequence number is at or after its first.";
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

    // The connection (connection.rs).
    CONNECTION_SOCKET_ID = "srt.connection.socket-id", Must, "draft-sharabayko-srt-01 §3, §4.3",
        "Every packet after the handshake carries the destination socket id the peer was given in it.";
    CONNECTION_FLOW_WINDOW = "srt.connection.flow-window", Must, "draft-sharabayko-srt-01 §3.2.1, §4.8.1",
        "A sender keeps its packets in flight within the flow window the receiver announced (handshake, then the ACK's available buffer size).";
    CONNECTION_ACK_RANGE = "srt.connection.ack-range", Must, "draft-sharabayko-srt-01 §3.2.4",
        "An ACK acknowledges only packets that were sent: its sequence number is at most one past the last one.";
    CONNECTION_NAK_RANGE = "srt.connection.nak-range", Must, "draft-sharabayko-srt-01 §3.2.5",
        "A NAK reports as lost only packets that were sent, each range from its first to its last.";
    CONNECTION_UNENCRYPTED = "srt.connection.unencrypted", Must, "draft-sharabayko-srt-01 §3.1, §6",
        "A data packet is encrypted (KK not 0) only on a connection whose handshake exchanged keys.";
}
