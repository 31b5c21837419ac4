//! The RTP rule catalog (DESIGN.md, "Rules and violations").
//!
//! Spec references: RFC 3550 (RTP), RFC 3551 (the audio/video profile), RFC 8285 (header
//! extensions), RFC 4571 (RTP over connection-oriented transport), RFC 5761 (RTP and RTCP on one
//! port), RFC 4585 and RFC 5104 (feedback), and each payload format's RFC as named by its rules.

weir_media::rules! {
    // The RTP header (RFC 3550 §5.1, A.1)
    VERSION = "rtp.header.version", Must, "RFC 3550 §5.1, A.1",
        "The version field of every RTP packet is 2.";
    HEADER_LENGTH = "rtp.header.length", Must, "RFC 3550 §5.1, A.1",
        "A packet is at least as long as its 12-byte fixed header.";
    CSRC_COUNT = "rtp.header.csrc-count", Must, "RFC 3550 §5.1, A.1",
        "The CSRC list the CC field announces fits in the packet.";
    EXTENSION_LENGTH = "rtp.header.extension-length", Must, "RFC 3550 §5.3.1, A.1",
        "The header extension the X bit announces, its 4-byte header and the words its length field counts, fits in the packet.";
    PADDING = "rtp.header.padding", Must, "RFC 3550 §5.1, A.1",
        "With the P bit set, the last octet counts the padding octets including itself: at least 1 and no more than follow the header.";
}
