//! The DTLS rule catalog: what the record parser, the handshake reassembly, the hello
//! decoders and the [`Flow`](crate::Flow) machine check, all on bytes sent in the clear.
//!
//! "RFC 6347" is DTLS 1.2, "RFC 9147" DTLS 1.3, "RFC 5246" TLS 1.2 (whose handshake DTLS 1.2
//! reuses), "RFC 8446" TLS 1.3, "RFC 5764" DTLS-SRTP.

weir_media::rules! {
    RECORD_VERSION = "dtls.record.version", Must, "RFC 6347 §4.1, RFC 9147 §4",
        "A DTLSPlaintext record's version is DTLS 1.0 (0xFEFF) or DTLS 1.2 (0xFEFD); DTLS 1.3 keeps 0xFEFD there.";
    RECORD_LENGTH = "dtls.record.length", Must, "RFC 6347 §4.1, RFC 9147 §4",
        "A record's header and the fragment of the length it announces lie within the datagram: records never span datagrams.";
    RECORD_LENGTH_LIMIT = "dtls.record.length-limit", Must, "RFC 6347 §4.1, RFC 5246 §6.2.1, §6.2.3",
        "A plaintext record's fragment is at most 2^14 bytes, a protected one at most 2^14 + 2048.";
    RECORD_CONTENT_TYPE = "dtls.record.content-type", Must, "RFC 6347 §4.1, RFC 5246 §6.2.1",
        "A record's content type is one of change_cipher_spec (20), alert (21), handshake (22), application_data (23), heartbeat (24) or tls12_cid (25); a receiver answers others with unexpected_message.";
    RECORD_EPOCH = "dtls.record.epoch", Must, "RFC 6347 §4.1",
        "A DTLS 1.2 side that handshakes in epoch 0 sends a ChangeCipherSpec before its records of a later epoch (judged at the end of the input, since datagrams may arrive reordered).";
    RECORD_CCS = "dtls.record.change-cipher-spec", Must, "RFC 5246 §7.1, RFC 6347 §4.1",
        "A ChangeCipherSpec message is the one byte 1.";
    ALERT_SYNTAX = "dtls.alert.syntax", Must, "RFC 5246 §7.2",
        "An alert is two bytes: a level, warning (1) or fatal (2), and a description.";

    HANDSHAKE_FRAGMENT = "dtls.handshake.fragment", Must, "RFC 6347 §4.2.3",
        "A handshake fragment's 12-byte header and fragment_length bytes lie within the record, and fragment_offset + fragment_length is at most the message length.";
    HANDSHAKE_FRAGMENTS_AGREE = "dtls.handshake.fragments-agree", Must, "RFC 6347 §4.2.3",
        "Every fragment of one message (one message_seq) carries the same msg_type and length, and overlapping fragments the same bytes.";
    HANDSHAKE_MESSAGE_SEQ = "dtls.handshake.message-seq", Must, "RFC 6347 §4.2.2",
        "Each side numbers its handshake messages from 0 up by one per new message (a retransmission keeps its number), so a message_seq never skips ahead.";

    HELLO_SYNTAX = "dtls.hello.syntax", Must, "RFC 6347 §4.2.1, RFC 5246 §7.4.1.2, §7.4.1.3",
        "A ClientHello, ServerHello or HelloVerifyRequest body holds exactly the fields of its structure, each vector within its bounds.";
    HELLO_VERSION = "dtls.hello.version", Must, "RFC 6347 §4.2.1, RFC 9147 §5.3",
        "A hello's version is DTLS 1.0 (0xFEFF) or DTLS 1.2 (0xFEFD) (DTLS 1.3 negotiates in supported_versions and keeps 0xFEFD).";
    HELLO_COMPRESSION = "dtls.hello.compression", Must, "RFC 5246 §7.4.1.2, §7.4.1.3",
        "A ClientHello's compression methods include null (0), and a ServerHello picks one the client offered.";
    HELLO_CIPHER_SUITE = "dtls.hello.cipher-suite", Must, "RFC 5246 §7.4.1.3, RFC 8446 §4.1.3",
        "A ServerHello picks a cipher suite from the ClientHello's list.";
    HELLO_COOKIE_ECHO = "dtls.hello.cookie-echo", Must, "RFC 6347 §4.2.1",
        "After a HelloVerifyRequest the client sends its ClientHello again with the server's cookie.";
    EXTENSION_DUPLICATE = "dtls.extension.duplicate", Must, "RFC 5246 §7.4.1.4",
        "A hello carries at most one extension of each type.";
    EXTENSION_UNSOLICITED = "dtls.extension.unsolicited", Must, "RFC 5246 §7.4.1.4, RFC 5746 §3.6",
        "A ServerHello carries only extensions the ClientHello offered (renegotiation_info also when the client sent the SCSV cipher suite).";
    USE_SRTP_SYNTAX = "dtls.use-srtp.syntax", Must, "RFC 5764 §4.1.1",
        "use_srtp holds a list of 2-byte protection profiles (at least one) and an MKI of at most 255 bytes, and nothing else.";
    USE_SRTP_PROFILE = "dtls.use-srtp.profile", Must, "RFC 5764 §4.1.1",
        "A server's use_srtp names exactly one protection profile, one the client offered, and is sent only when the client offered use_srtp.";
}
