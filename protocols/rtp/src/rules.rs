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

    // Header extensions, statistics, RFC 4571 framing
    EXTENSION_RESERVED_ID = "rtp.extension.reserved-id", Must, "RFC 8285 §4.2",
        "A one-byte header element never carries ID 15, which is reserved; a receiver stops reading the extension where it appears.";
    EXTENSION_PADDING = "rtp.extension.padding", Must, "RFC 8285 §4.1, §4.2",
        "A padding byte between or after elements is zero as a whole: in the one-byte form ID 0 marks padding, and its length bits are zero too.";
    EXTENSION_ELEMENT_LENGTH = "rtp.extension.element-length", Must, "RFC 8285 §4.1",
        "Every element, its ID and length fields and the data bytes its length announces, lies inside the header extension.";
    EXTENSION_VALUE_SIZE = "rtp.extension.value-size", Must, "RFC 6464 §3, RFC 5450 §2, 3GPP TS 26.114 §7.4.5, draft-holmer-rmcat-transport-wide-cc-extensions-01 §2, webrtc.org abs-send-time and playout-delay",
        "An element of a kind its URI names carries the data size that kind defines: 3 bytes for abs-send-time, toffset and playout-delay, 2 for the transport-wide sequence number, 1 for the audio level and the video orientation.";
    EXTENSION_SDES_VALUE = "rtp.extension.sdes-value", Must, "RFC 8843 §15, RFC 8852 §3, RFC 8851 §10, RFC 8866 §9",
        "A MID element carries an SDP token and an RtpStreamId or RepairedRtpStreamId element a rid-id (letters, digits, '-' and '_'), each at least one US-ASCII character.";
    STREAM_SEQUENCE_RESTART = "rtp.stream.sequence-restart", Should, "RFC 3550 §5.1, A.1",
        "A source numbers its packets one up from the last under one SSRC: its sequence does not jump 3000 or more ahead or 100 or more back and go on from there, which a receiver can only take for a restart.";
    TCP_TRUNCATED = "rtp.tcp.truncated", Must, "RFC 4571 §2",
        "A framed stream ends between frames: never inside a 16-bit LENGTH field or before the LENGTH octets of the packet it announces.";

    // Depacketizing (RFC 3550 §5.1, RFC 3551 §4.1, the payload formats)
    MARKER = "rtp.payload.marker", Must, "RFC 3551 §4.1; RFC 6184 §5.1; RFC 7798 §4.1; RFC 7741 §4.1; RFC 9628 §4.1",
        "In a video stream the marker bit is set on the last packet of each frame, and only there.";
    FRAME_LIMIT = "rtp.payload.frame-limit", Must, "RFC 3550 §5.1 (receiver limit)",
        "A frame fits in the receiver's limits on packets and bytes per frame.";

    // H.264 (RFC 6184)
    H264_MODE = "rtp.h264.packetization-mode", Must, "RFC 6184 §6.2-§6.3, Table 3, §8.1",
        "packetization-mode is 0, 1 or 2; mode 0 carries only single NAL unit packets, mode 1 adds STAP-A and FU-A, and STAP-B, MTAPs and FU-B belong to mode 2 alone.";
    H264_NAL_TYPE = "rtp.h264.nal-type", Must, "RFC 6184 §5.2, Table 1",
        "A packet's NAL unit type is not 0, 30 or 31, which are reserved or left undefined for RTP.";
    H264_FORBIDDEN_BIT = "rtp.h264.forbidden-bit", Should, "RFC 6184 §5.3; H.264 §7.4.1",
        "The F bit of a NAL unit header is 0 (1 only where a network element flags bit errors).";
    H264_STAP_SIZE = "rtp.h264.stap-size", Must, "RFC 6184 §5.7.1",
        "A STAP-A holds at least one aggregation unit, each a 16-bit size and a non-empty NAL unit of that size inside the packet, none of them an aggregation or fragmentation unit.";
    H264_FU = "rtp.h264.fu", Must, "RFC 6184 §5.8",
        "The fragments of a NAL unit are sent in order in consecutive FU-As, the first with S set, the last with E set, never both in one FU-A, and a fragment is of a single NAL unit, not of another FU or aggregate.";
    H264_FU_RESERVED = "rtp.h264.fu-reserved", Must, "RFC 6184 §5.8",
        "The R bit of an FU header is 0.";
    H264_SPROP = "rtp.h264.sprop-parameter-sets", Must, "RFC 6184 §8.1",
        "sprop-parameter-sets is a comma-separated list of base64-encoded parameter set NAL units.";

    // H.265 (RFC 7798)
    H265_NAL_TYPE = "rtp.h265.nal-type", Should, "RFC 7798 §4.4",
        "A packet's type is an H.265 NAL unit type (0-47) or one of the payload format's 48 (AP), 49 (FU) and 50 (PACI); 51-63 are not used.";
    H265_FORBIDDEN_BIT = "rtp.h265.forbidden-bit", Must, "RFC 7798 §1.1.4, §4.4; H.265 §7.4.2.2",
        "The F bit of a NAL unit and payload header is 0.";
    H265_AGGREGATION = "rtp.h265.aggregation", Must, "RFC 7798 §4.4.2",
        "An aggregation packet holds aggregation units, each a 16-bit size and a NAL unit of that size (header included) inside the packet, none of them an AP, FU or PACI.";
    H265_FU = "rtp.h265.fu", Must, "RFC 7798 §4.4.3",
        "The fragments of a NAL unit come in consecutive FUs, the first with S set, the last with E set, never both in one FU, each of a single NAL unit, not of an AP, FU or PACI.";
    H265_SPROP = "rtp.h265.sprop", Must, "RFC 7798 §7.1",
        "sprop-vps, sprop-sps and sprop-pps are comma-separated lists of base64-encoded NAL units of their kind.";

    // VP8 (RFC 7741), VP9 (RFC 9628), AV1 (AOMedia RTP payload format v1.0.0)
    VP8_DESCRIPTOR = "rtp.vp8.descriptor", Must, "RFC 7741 §4.2",
        "The payload descriptor, with every extension field its X, I, L, T and K bits announce, fits in the packet before a non-empty VP8 payload.";
    VP8_RESERVED = "rtp.vp8.reserved", Must, "RFC 7741 §4.2",
        "The descriptor's reserved bits (R in the first byte, RSV in the extension byte) are 0.";
    VP8_FRAME_START = "rtp.vp8.frame-start", Must, "RFC 7741 §4.2, §4.4",
        "A frame's first packet, and only it, has S set with partition index 0.";
    VP8_PICTURE_ID = "rtp.vp8.picture-id", Must, "RFC 7741 §4.2",
        "Every packet of a frame carries the same PictureID.";
    VP9_DESCRIPTOR = "rtp.vp9.descriptor", Must, "RFC 9628 §4.2, §4.2.1",
        "The payload descriptor, with every field its I, L, F, P and V bits announce (at most three reference indices), fits in the packet before a non-empty VP9 payload.";
    VP9_BEGIN_END = "rtp.vp9.begin-end", Must, "RFC 9628 §4.2",
        "B is set on the first packet of each layer frame and E on its last, so that a picture's packets are whole layer frames one after another.";
    VP9_PICTURE_ID = "rtp.vp9.picture-id", Must, "RFC 9628 §4.2",
        "Every packet of a picture carries the same PictureID.";
    AV1_OBU_ELEMENTS = "rtp.av1.obu-elements", Must, "AV1 RTP payload format §4.3, §4.4",
        "A packet holds the number of OBU elements its W field gives (any number for W 0), each length-prefixed one inside the packet.";
    AV1_FRAGMENT = "rtp.av1.fragment", Must, "AV1 RTP payload format §4.4",
        "Z is set exactly when the packet's first element continues the previous packet's last, which set Y; a temporal unit does not end with Y set.";
    AV1_OBU_HEADER = "rtp.av1.obu-header", Must, "AV1 §5.3.1, §6.2.1; AV1 RTP payload format §4.3",
        "An OBU's forbidden bit is 0, and an OBU with a size field is exactly as long as it says.";
    AV1_OBU_TYPE = "rtp.av1.obu-type", Should, "AV1 RTP payload format §5",
        "Temporal delimiter and tile list OBUs are not sent: a receiver ignores them.";

    // AAC (RFC 3640)
    AAC_CONFIG = "rtp.aac.config", Must, "RFC 3640 §3.3.6, §4.1",
        "An AAC-hbr session gives sizeLength 13, indexLength 3, indexDeltaLength 3 and its AudioSpecificConfig as config in hex.";
    AAC_AU_HEADERS = "rtp.aac.au-headers", Must, "RFC 3640 §3.2.1, §3.3.6",
        "A payload begins with AU-headers-length, in bits, a non-zero multiple of the 16-bit AAC-hbr AU header, and the headers it counts fit in the packet.";
    AAC_AU_SIZE = "rtp.aac.au-size", Must, "RFC 3640 §3.2.1, §3.2.3",
        "The AU sizes add up to the packet's AU data; an AU fragmented over packets is alone in each, with the same AU-size, which its fragments add up to.";

    // Opus (RFC 7587)
    OPUS_RTPMAP = "rtp.opus.rtpmap", Must, "RFC 7587 §7",
        "Opus is declared with a 48000 Hz clock and 2 channels (opus/48000/2), whatever the stream carries.";
    OPUS_PACKET = "rtp.opus.packet", Must, "RFC 7587 §4.2; RFC 6716 §3",
        "Each payload is exactly one well-formed Opus packet.";

    // MPEG-TS (RFC 2250) and MPEG-PS as GB28181 carries it
    MP2T_PACKETS = "rtp.mp2t.packets", Must, "RFC 2250 §2",
        "A payload is a whole number of 188-byte transport stream packets, each starting with the sync byte 0x47.";
    PS_START = "rtp.ps.frame-start", Should, "GB/T 28181-2016 Annex C.2",
        "The first packet of a frame begins with an MPEG-PS start code: the frame's pack header, or a PES packet.";
}
