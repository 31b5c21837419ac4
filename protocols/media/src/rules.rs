//! The rule catalog of this crate (DESIGN.md, "Rules and violations"): what the codec
//! configuration and bitstream parsers check.
//!
//! Spec references: "H.264" is ITU-T H.264 (08/2021), "H.265" is ITU-T H.265 (08/2021),
//! ISO/IEC 14496-15 is the NAL-unit file format (decoder configuration records), ISO/IEC
//! 14496-3 the MPEG-4 audio standard, ISO/IEC 13818-7 MPEG-2 AAC (ADTS), "AV1" the AV1
//! Bitstream & Decoding Process Specification 1.0.0 with Errata 1.

crate::rules! {
    AVC_CONFIG_VERSION = "media.avc.config-version", Must, "ISO/IEC 14496-15 §5.3.3.1",
        "An AVCDecoderConfigurationRecord has configurationVersion 1.";
    AVC_CONFIG_SYNTAX = "media.avc.config-syntax", Must, "ISO/IEC 14496-15 §5.3.3.1",
        "An AVCDecoderConfigurationRecord holds every field and every parameter set its counts announce.";
    AVC_LENGTH_SIZE = "media.avc.length-size", Must, "ISO/IEC 14496-15 §5.3.3.1",
        "lengthSizeMinusOne is 0, 1 or 3 (NAL unit lengths of 1, 2 or 4 bytes).";
    AVC_SPS = "media.avc.sps", Must, "H.264 §7.3.2.1.1",
        "A sequence parameter set is a complete, well-formed seq_parameter_set_rbsp with values in their ranges.";
    AVC_SPS_CROPPING = "media.avc.sps-cropping", Must, "H.264 §7.4.2.1.1",
        "The frame cropping rectangle lies inside the decoded frame.";

    HEVC_CONFIG_VERSION = "media.hevc.config-version", Must, "ISO/IEC 14496-15 §8.3.3.1",
        "An HEVCDecoderConfigurationRecord has configurationVersion 1.";
    HEVC_CONFIG_SYNTAX = "media.hevc.config-syntax", Must, "ISO/IEC 14496-15 §8.3.3.1",
        "An HEVCDecoderConfigurationRecord holds every field, array and NAL unit its counts announce.";
    HEVC_LENGTH_SIZE = "media.hevc.length-size", Must, "ISO/IEC 14496-15 §8.3.3.1",
        "lengthSizeMinusOne is 0, 1 or 3 (NAL unit lengths of 1, 2 or 4 bytes).";
    HEVC_SPS = "media.hevc.sps", Must, "H.265 §7.3.2.2.1",
        "A sequence parameter set is a complete, well-formed seq_parameter_set_rbsp with values in their ranges.";
    HEVC_SPS_CONFORMANCE_WINDOW = "media.hevc.sps-conformance-window", Must, "H.265 §7.4.3.2.1",
        "The conformance cropping window lies inside the decoded picture.";

    AV1_SEQUENCE_HEADER = "media.av1.sequence-header", Must, "AV1 §5.5.1",
        "A sequence header OBU is a complete sequence_header_obu with no reserved seq_profile.";

    AAC_CONFIG_SYNTAX = "media.aac.config-syntax", Must, "ISO/IEC 14496-3 §1.6.2.1",
        "An AudioSpecificConfig holds every field its object type and flags announce.";
    AAC_OBJECT_TYPE = "media.aac.object-type", Must, "ISO/IEC 14496-3 §1.5.1.1",
        "The audio object type is not 0 (the null object).";
    AAC_SAMPLING_INDEX = "media.aac.sampling-index", Must, "ISO/IEC 14496-3 §1.6.3.4",
        "samplingFrequencyIndex is not one of the reserved values 0xD and 0xE.";

    ADTS_SYNCWORD = "media.adts.syncword", Must, "ISO/IEC 13818-7 §6.2.1",
        "Every ADTS frame starts with the 12-bit syncword 0xFFF, directly after the previous frame.";
    ADTS_LAYER = "media.adts.layer", Must, "ISO/IEC 13818-7 §6.2.1",
        "The layer field of an ADTS header is 0.";
    ADTS_FRAME_LENGTH = "media.adts.frame-length", Must, "ISO/IEC 13818-7 §6.2.1",
        "aac_frame_length counts the header and payload, so it is at least the header length.";
    ADTS_TRUNCATED = "media.adts.truncated", Must, "ISO/IEC 13818-7 §6.2.1",
        "An ADTS frame is complete: the input holds all aac_frame_length bytes.";
    ADTS_PROFILE = "media.adts.profile", Must, "ISO/IEC 14496-3 §1.A.3.2.1",
        "ADTS carries only object types 1-4 (Main, LC, SSR, LTP), a table sampling frequency and channel configurations 0-7.";

    MPA_HEADER = "media.mpa.header", Must, "ISO/IEC 11172-3 §2.4.1.3; ISO/IEC 13818-3 §2.4.1.3",
        "An MPEG audio frame starts with a 4-byte header: the sync bits, then an ID, layer, bitrate index and sampling frequency none of which is a reserved or forbidden value.";

    OPUS_MAGIC = "media.opus.magic", Must, "RFC 7845 §5.1",
        "The identification header starts with the magic signature \"OpusHead\".";
    OPUS_VERSION = "media.opus.version", Must, "RFC 7845 §5.1",
        "The major version (upper four bits of the version field) is 0.";
    OPUS_SYNTAX = "media.opus.syntax", Must, "RFC 7845 §5.1",
        "The identification header holds every field its mapping family requires.";
    OPUS_CHANNELS = "media.opus.channels", Must, "RFC 7845 §5.1.1",
        "The output channel count is not 0; mapping family 0 has 1 or 2 channels and family 1 at most 8.";
    OPUS_MAPPING = "media.opus.mapping", Must, "RFC 7845 §5.1.1",
        "A channel mapping table has at least one stream, no more coupled streams than streams, and entries below the stream count plus coupled count, or 255.";
    OPUS_PACKET = "media.opus.packet", Must, "RFC 6716 §3.2.5",
        "An Opus packet has a TOC byte, a code-3 packet has a frame count byte with a count of at least 1, and a packet lasts at most 120 ms.";

    NAL_LENGTH_SIZE = "media.nal.length-size", Must, "ISO/IEC 14496-15 §5.3.3.1",
        "NAL unit length fields are 1, 2 or 4 bytes long.";
    NAL_LENGTH_OVERFLOW = "media.nal.length-overflow", Must, "ISO/IEC 14496-15 §5.3.2",
        "A NAL unit length field does not announce more bytes than the sample holds.";
}
