//! The transcoding rule catalog: what the decoders need of the publisher's audio before they
//! can turn it into the other codec.
//!
//! Spec references: "ISO/IEC 14496-3" is MPEG-4 Audio (AAC), "RFC 7845" the Ogg Opus
//! encapsulation whose identification header (`OpusHead`) is also the Opus track
//! configuration, "RFC 6716" the Opus codec.

weir_media::rules! {
    AAC_CONFIG = "transcode.aac.config", Must, "ISO/IEC 14496-3 §1.6.2.1",
        "An AAC track's AudioSpecificConfig parses and names a profile the decoder can decode (AAC LC, HE-AAC or HE-AACv2).";
    AAC_FRAME_BEFORE_CONFIG = "transcode.aac.frame-before-config", Must, "ISO/IEC 14496-3 §1.6.2.1",
        "Raw AAC access units come after the AudioSpecificConfig that sets up their decoder: without it they cannot be decoded.";
    AAC_FRAME = "transcode.aac.frame", Must, "ISO/IEC 14496-3 §4.5.2.1",
        "A raw AAC access unit is one whole raw_data_block that decodes under its track's configuration.";
    OPUS_HEAD = "transcode.opus.head", Must, "RFC 7845 §5.1.1",
        "An Opus track's identification header parses and uses channel mapping family 0 (one mono or stereo stream), the only family one Opus decoder plays.";
    OPUS_PACKET = "transcode.opus.packet", Must, "RFC 6716 §3.4",
        "An Opus packet is well formed (TOC byte, frame count and frame lengths) and decodes.";
}
