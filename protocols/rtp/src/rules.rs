//! The RTP rule catalog (DESIGN.md, "Rules and violations").
//!
//! Spec references: RFC 3550 (RTP), RFC 3551 (the audio/video profile), RFC 8285 (header
//! extensions), RFC 4571 (RTP over connection-oriented transport), RFC 5761 (RTP and RTCP on one
//! port), RFC 4585 and RFC 5104 (feedback), and each payload format's RFC as named by its rules.
//! REMB is draft-alvestrand-rmcat-remb-03 and transport-wide congestion control feedback
//! draft-holmer-rmcat-transport-wide-cc-extensions-01. "(receiver limit)" marks a bound of
//! Weir's own, which the spec leaves to the receiver.

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

    // RTCP (RFC 3550 §6, RFC 4585, RFC 5104, REMB and transport-wide CC drafts)
    RTCP_VERSION = "rtp.rtcp.version", Must, "RFC 3550 §6.4.1, §A.2",
        "Every RTCP packet of a compound packet carries version 2 in its first two bits.";
    RTCP_LENGTH = "rtp.rtcp.length", Must, "RFC 3550 §6.4.1, §A.2",
        "Each packet's length field (32-bit words minus one) stays inside the datagram, and the packets' lengths add up to exactly the datagram's size.";
    RTCP_PADDING = "rtp.rtcp.padding", Must, "RFC 3550 §6.4.1",
        "A packet with the padding bit set ends in a count of its padding octets, from 1 up to all the octets after the header, and what the padding leaves is a whole number of 32-bit words (transport-wide CC feedback aside, whose content its senders pad this way).";
    RTCP_PADDING_LAST = "rtp.rtcp.padding-last", Must, "RFC 3550 §6.4.1, §A.2",
        "Only the last packet of a compound packet carries padding and sets the padding bit.";
    RTCP_FIRST_PACKET = "rtp.rtcp.first-packet", Must, "RFC 3550 §6.1, §A.2",
        "A compound packet starts with a sender or receiver report (unless reduced-size RTCP, RFC 5506, was negotiated).";
    RTCP_CNAME = "rtp.rtcp.cname", Must, "RFC 3550 §6.1, §6.5.1",
        "Every compound packet holds an SDES packet with a CNAME item (unless reduced-size RTCP, RFC 5506, was negotiated).";
    RTCP_REPORT_COUNT = "rtp.rtcp.report-count", Must, "RFC 3550 §6.4.1, §6.4.2",
        "An SR holds its sender's SSRC and 20-byte sender info, an RR its sender's SSRC, and each then as many 24-byte report blocks as its report count says, within its length.";
    RTCP_REPORT_LOSS = "rtp.rtcp.report-loss", Should, "RFC 3550 §6.4.1, §A.3",
        "A report block's cumulative number of packets lost is no more than the packets expected up to its extended highest sequence number.";
    RTCP_SOURCE_COUNT = "rtp.rtcp.source-count", Must, "RFC 3550 §6.5, §6.6",
        "An SDES or BYE packet holds exactly as many chunks or SSRC/CSRC identifiers as its source count says.";
    RTCP_SDES_CHUNK = "rtp.rtcp.sdes-chunk", Must, "RFC 3550 §6.5",
        "An SDES chunk's item list ends with a null octet, and null octets pad the chunk to the next 32-bit boundary.";
    RTCP_SDES_ITEM_LENGTH = "rtp.rtcp.sdes-item-length", Must, "RFC 3550 §6.5",
        "An SDES item's length octet counts only text that is inside the packet.";
    RTCP_SDES_PRIV = "rtp.rtcp.sdes-priv", Must, "RFC 3550 §6.5.8",
        "A PRIV item starts with a prefix length octet whose prefix fits inside the item.";
    RTCP_SDES_TEXT = "rtp.rtcp.sdes-text", Should, "RFC 3550 §6.5",
        "SDES item text (all items but PRIV) is UTF-8.";
    RTCP_BYE_REASON = "rtp.rtcp.bye-reason", Must, "RFC 3550 §6.6",
        "A BYE's optional reason is a length octet and that much text inside the packet, followed only by null octets up to the next 32-bit boundary.";
    RTCP_BYE_LAST = "rtp.rtcp.bye-last", Should, "RFC 3550 §6.1",
        "No packet of a compound packet comes from an SSRC after a BYE for that SSRC.";
    RTCP_APP_LENGTH = "rtp.rtcp.app-length", Must, "RFC 3550 §6.7",
        "An APP packet holds an SSRC/CSRC and a four-octet name before its application data.";
    RTCP_APP_NAME = "rtp.rtcp.app-name", Should, "RFC 3550 §6.7",
        "An APP packet's name is four printable ASCII characters.";
    RTCP_FEEDBACK_LENGTH = "rtp.rtcp.feedback-length", Must, "RFC 4585 §6.1",
        "A transport-layer or payload-specific feedback packet holds the packet sender's and the media source's SSRCs (a length of at least 2).";
    RTCP_FEEDBACK_FMT = "rtp.rtcp.feedback-fmt", Should, "RFC 4585 §6.1, §6.2, §6.3",
        "A feedback packet's FMT is one registered for its packet type (RTPFB or PSFB), or the transport-wide CC value 15.";
    RTCP_NACK_FCI = "rtp.rtcp.nack-fci", Must, "RFC 4585 §6.2.1",
        "A generic NACK carries at least one 4-byte PID and BLP entry, and only whole entries.";
    RTCP_PLI_FCI = "rtp.rtcp.pli-fci", Must, "RFC 4585 §6.3.1",
        "A picture loss indication carries no feedback control information (its length is 2).";
    RTCP_FIR_FCI = "rtp.rtcp.fir-fci", Must, "RFC 5104 §4.3.1.1",
        "A full intra request carries one or more whole 8-byte entries.";
    RTCP_FIR_MEDIA_SSRC = "rtp.rtcp.fir-media-ssrc", Must, "RFC 5104 §4.3.1.2",
        "A full intra request sets the media source SSRC of its common header to 0 (its entries name the sources).";
    RTCP_FIR_RESERVED = "rtp.rtcp.fir-reserved", Must, "RFC 5104 §4.3.1.1",
        "The 24 reserved bits of each full intra request entry are 0.";
    RTCP_REMB = "rtp.rtcp.remb", Must, "draft-alvestrand-rmcat-remb-03 §2.2",
        "A REMB carries the 'REMB' identifier, an SSRC count, a 6-bit exponent and 18-bit mantissa bitrate, and exactly as many SSRCs as its count says.";
    RTCP_REMB_MEDIA_SSRC = "rtp.rtcp.remb-media-ssrc", Should, "draft-alvestrand-rmcat-remb-03 §2.2",
        "A REMB sets the media source SSRC of its common header to 0 (its SSRC list names the sources).";
    RTCP_TWCC_STATUS_COUNT = "rtp.rtcp.twcc-status-count", Must, "draft-holmer-rmcat-transport-wide-cc-extensions-01 §3.1, §3.1.2",
        "Transport-wide CC feedback has packet status chunks covering every packet its status count announces.";
    RTCP_TWCC_SYMBOL = "rtp.rtcp.twcc-symbol", Must, "draft-holmer-rmcat-transport-wide-cc-extensions-01 §3.1.1",
        "No transport-wide CC packet status is the reserved symbol 11.";
    RTCP_TWCC_DELTAS = "rtp.rtcp.twcc-deltas", Must, "draft-holmer-rmcat-transport-wide-cc-extensions-01 §3.1, §3.1.5",
        "Transport-wide CC feedback carries one receive delta per received packet, 1 byte for a small delta and 2 for a large one, followed only by zero padding to the 32-bit boundary.";
    RTCP_LIMITS = "rtp.rtcp.limits", Must, "draft-holmer-rmcat-transport-wide-cc-extensions-01 §3.1 (receiver limit)",
        "The transport-wide CC feedback of one datagram reports no more packet statuses in all than the receiver's limit.";

    // Feedback behaviour across both directions of a session (weir_rtp::behaviour)
    BEHAVIOUR_NACK_RETRANSMIT = "rtp.behaviour.nack-retransmit", Should, "RFC 4585 §6.2.1; RFC 4588 §4",
        "A sender that receives a Generic NACK for a packet it sent sends that packet again, with its own SSRC and sequence number or as RTX carrying it as the original sequence number, within a bound (1 s).";
    BEHAVIOUR_PLI_KEYFRAME = "rtp.behaviour.pli-keyframe", Should, "RFC 4585 §6.3.1",
        "A video sender that receives a picture loss indication for a source it sends follows it with a keyframe of that source within a bound (5 s).";
    BEHAVIOUR_FIR_KEYFRAME = "rtp.behaviour.fir-keyframe", Must, "RFC 5104 §4.3.1.2",
        "A video sender that receives a full intra request naming a source it sends sends a decoder refresh point (a keyframe) of that source as soon as it can: within a bound (5 s).";
    BEHAVIOUR_TWCC_UNSENT = "rtp.behaviour.twcc-unsent", Must, "draft-holmer-rmcat-transport-wide-cc-extensions-01 §3.1",
        "Transport-wide CC feedback reports as received only transport-wide sequence numbers that the media sender put on packets it sent.";
    BEHAVIOUR_TWCC_COUNT = "rtp.behaviour.twcc-count", Must, "draft-holmer-rmcat-transport-wide-cc-extensions-01 §3.1",
        "Each transport-wide CC feedback packet from one sender carries a feedback packet count one more (mod 256) than its previous one.";
    BEHAVIOUR_TWCC_GAP = "rtp.behaviour.twcc-gap", Should, "draft-holmer-rmcat-transport-wide-cc-extensions-01 §3.1",
        "Successive transport-wide CC feedback packets report the transport-wide sequence numbers in order, each starting no later than where the previous one ended, so no number the sender used goes unreported.";
    BEHAVIOUR_FEEDBACK_SSRC = "rtp.behaviour.feedback-ssrc", Should, "RFC 4585 §6.1; RFC 5104 §4.3.1.1",
        "A NACK, PLI or FIR names as its media source an SSRC the other end of the session sends.";

    // SRTP and SRTCP (RFC 3711, RFC 7714), and Weir's SRTP key log
    SRTP_TOO_SHORT = "rtp.srtp.too-short", Must, "RFC 3711 §3.1, §3.4; RFC 7714 §8, §9",
        "An SRTP packet holds its RTP header and the profile's whole authentication tag; an SRTCP packet its 8-octet header, the E flag and SRTCP index word and the tag.";
    SRTP_AUTH_TAG = "rtp.srtp.auth-tag", Must, "RFC 3711 §3.3, §3.4; RFC 7714 §5.3, §8, §9",
        "The authentication tag of an SRTP or SRTCP packet verifies under the session keys of its direction; a packet whose tag fails is dropped.";
    SRTP_REPLAY = "rtp.srtp.replay", Must, "RFC 3711 §3.3.2, §3.4",
        "A packet is received once: its index is neither one already accepted nor older than the 64-packet replay window behind the highest accepted.";
    SRTP_STREAM_LIMIT = "rtp.srtp.stream-limit", Must, "RFC 3711 §3.2.3 (receiver limit)",
        "One direction of a session sends no more SSRCs than the receiver keeps SRTP state for.";
    SRTP_KEYLOG = "rtp.srtp.keylog", Must, "Weir SRTP key log (weir_rtp::srtp::keylog)",
        "Each line of a key log is blank, a # comment, or SRTP, a profile name, two ip:port addresses and the client's and server's master key and salt in hex of the profile's lengths.";
}
