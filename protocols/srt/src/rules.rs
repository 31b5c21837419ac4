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
    KM_EMPTY = "srt.km.empty", Must, "draft-sharabayko-srt-01 §3.2.1.2",
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

    // --- handshake machines (srtwire): caller.rs, listener.rs ---
    HANDSHAKE_INDUCTION_COOKIE = "srt.handshake.induction-cookie", Must, "draft-sharabayko-srt-01 §4.3.1.1",
        "The caller's first induction request carries a SYN cookie of 0: it has no cookie yet.";
    HANDSHAKE_COOKIE = "srt.handshake.cookie", Must, "draft-sharabayko-srt-01 §4.3.1.2",
        "A conclusion request carries the SYN cookie the listener gave that caller's address in its induction answer.";
    HANDSHAKE_CONCLUSION_VERSION = "srt.handshake.conclusion-version", Must, "draft-sharabayko-srt-01 §4.3.1.2",
        "After a version-5 induction answer the caller concludes with version 5 (the HSv5 handshake live mode is negotiated in).";
    HANDSHAKE_HSREQ_MISSING = "srt.handshake.hsreq-missing", Must, "draft-sharabayko-srt-01 §4.3.1.2",
        "A version-5 conclusion request carries an HSREQ extension with the caller's SRT options and latency.";
    HANDSHAKE_HSRSP_MISSING = "srt.handshake.hsrsp-missing", Must, "draft-sharabayko-srt-01 §4.3.1.2",
        "The listener's version-5 conclusion answer carries an HSRSP extension with its SRT options and the agreed latency.";
    HANDSHAKE_LATENCY = "srt.handshake.latency", Must, "draft-sharabayko-srt-01 §4.3.1.2",
        "The latency agreed in HSRSP is, each way, at least what the caller asked for: the larger of both sides' wishes.";
    HANDSHAKE_CONGESTION = "srt.handshake.congestion", Must, "draft-sharabayko-srt-01 §4.3.1.2",
        "Both peers use the same congestion controller; a live listener refuses a caller that asks for another.";
    HANDSHAKE_LISTENER_TYPE = "srt.handshake.listener-type", Must, "draft-sharabayko-srt-01 §4.3.1",
        "A caller sends a listener only induction and conclusion handshakes (wavehand, agreement and done belong to rendezvous).";
}
