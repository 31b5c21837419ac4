//! The FLV rule catalog (DESIGN.md, "Rules and violations").
//!
//! Spec references: "FLV 10.1" is Adobe's Video File Format Specification version 10.1, Annex
//! E (the FLV file format); "E-RTMP v2" is Veovera's Enhanced RTMP v2 specification, whose
//! ExAudioTagHeader/ExVideoTagHeader extend FLV audio and video tags with FourCC codecs,
//! multitrack and ModEx.

weir_media::rules! {
    HEADER_SIGNATURE = "flv.header.signature", Must, "FLV 10.1 §E.2",
        "An FLV file starts with the signature bytes 'F', 'L', 'V' followed by version 1.";
    HEADER_VERSION = "flv.header.version", Must, "FLV 10.1 §E.2",
        "The FLV header version is 1.";
    HEADER_RESERVED = "flv.header.reserved", Must, "FLV 10.1 §E.2",
        "The reserved bits of the FLV header type flags (all but bit 0 audio and bit 2 video) are zero.";
    HEADER_DATA_OFFSET = "flv.header.data-offset", Must, "FLV 10.1 §E.2",
        "The data offset is the length of the header, at least 9 bytes.";
    PREVIOUS_TAG_SIZE_0 = "flv.body.previous-tag-size-0", Must, "FLV 10.1 §E.3",
        "PreviousTagSize0, the first field after the header, is always 0.";
    PREVIOUS_TAG_SIZE = "flv.tag.previous-tag-size", Must, "FLV 10.1 §E.3",
        "Each PreviousTagSize equals the size of the tag before it: 11 plus its DataSize.";
    TAG_RESERVED = "flv.tag.reserved", Should, "FLV 10.1 §E.4.1",
        "The two reserved bits at the start of a tag header are zero (\"Reserved for FMS, should be 0\").";
    TAG_TYPE = "flv.tag.type", Must, "FLV 10.1 §E.4.1",
        "A tag's type is 8 (audio), 9 (video) or 18 (script data).";
    TAG_STREAM_ID = "flv.tag.stream-id", Must, "FLV 10.1 §E.4.1",
        "A tag's StreamID is always 0.";
    TAG_SIZE = "flv.tag.size", Must, "FLV 10.1 §E.4.1",
        "A tag's DataSize is within the reader's configured maximum tag size.";
    TAG_TRUNCATED = "flv.tag.truncated", Must, "FLV 10.1 §E.3",
        "A file ends after a complete tag and its PreviousTagSize, never inside one.";

    AUDIO_HEADER = "flv.audio.header", Must, "FLV 10.1 §E.4.2.1",
        "An audio tag body starts with a complete AudioTagHeader (one byte, two for AAC).";
    AUDIO_SOUND_FORMAT = "flv.audio.sound-format", Must, "FLV 10.1 §E.4.2.1",
        "SoundFormat is one of the defined values (0-11, 14, 15), or 9 announcing an ExAudioTagHeader.";
    AAC_PACKET_TYPE = "flv.audio.aac-packet-type", Must, "FLV 10.1 §E.4.2.1",
        "AACPacketType is 0 (AudioSpecificConfig) or 1 (raw AAC frame data).";
    AAC_FLAGS = "flv.audio.aac-flags", Should, "FLV 10.1 §E.4.2.1",
        "For AAC, SoundRate is 3 (44 kHz) and SoundType 1 (stereo); decoders take the real values from the AudioSpecificConfig. (SoundSize pertains only to uncompressed formats, so AAC may carry either value.)";
    AUDIO_PACKET_TYPE = "flv.audio.packet-type", Must, "E-RTMP v2 §ExAudioTagHeader",
        "AudioPacketType is SequenceStart 0, CodedFrames 1, SequenceEnd 2, MultichannelConfig 4, Multitrack 5 or ModEx 7.";
    AUDIO_FOURCC = "flv.audio.fourcc", Must, "E-RTMP v2 §ExAudioTagHeader",
        "An enhanced audio FourCC is one of 'ac-3', 'ec-3', 'Opus', '.mp3', 'fLaC' or 'mp4a'.";
    AUDIO_MULTICHANNEL = "flv.audio.multichannel-config", Must, "E-RTMP v2 §ExAudioTagBody",
        "A MultichannelConfig body is a channel order, a channel count and then a mapping of that many bytes (custom order) or 32 flag bits (native order).";

    VIDEO_HEADER = "flv.video.header", Must, "FLV 10.1 §E.4.3.1",
        "A video tag body starts with a complete VideoTagHeader (one byte, five for AVC).";
    VIDEO_FRAME_TYPE = "flv.video.frame-type", Must, "FLV 10.1 §E.4.3.1",
        "FrameType is 1 (key), 2 (inter), 3 (disposable inter), 4 (generated key) or 5 (video info/command).";
    VIDEO_CODEC_ID = "flv.video.codec-id", Must, "FLV 10.1 §E.4.3.1",
        "A legacy CodecID is 2 (Sorenson H.263), 3 (screen video), 4 (VP6), 5 (VP6 alpha), 6 (screen video v2) or 7 (AVC).";
    AVC_PACKET_TYPE = "flv.video.avc-packet-type", Must, "FLV 10.1 §E.4.3.1",
        "AVCPacketType is 0 (sequence header), 1 (NALUs) or 2 (end of sequence).";
    COMPOSITION_TIME = "flv.video.composition-time", Should, "FLV 10.1 §E.4.3.1",
        "CompositionTime is 0 unless the packet carries coded frames (AVCPacketType 1, or an enhanced CodedFrames packet).";
    VIDEO_PACKET_TYPE = "flv.video.packet-type", Must, "E-RTMP v2 §ExVideoTagHeader",
        "VideoPacketType is SequenceStart 0, CodedFrames 1, SequenceEnd 2, CodedFramesX 3, Metadata 4, MPEG2TSSequenceStart 5, Multitrack 6 or ModEx 7.";
    VIDEO_FOURCC = "flv.video.fourcc", Must, "E-RTMP v2 §ExVideoTagHeader",
        "An enhanced video FourCC is one of 'avc1', 'hvc1', 'vp08', 'vp09' or 'av01'.";
    VIDEO_COMMAND = "flv.video.command", Must, "FLV 10.1 §E.4.3.1 / E-RTMP v2 §ExVideoTagBody",
        "A video command frame (FrameType 5) carries a one-byte command.";

    MULTITRACK = "flv.av.multitrack", Must, "E-RTMP v2 §Multitrack",
        "A multitrack packet has AvMultitrackType OneTrack 0, ManyTracks 1 or ManyTracksManyCodecs 2, wraps a packet type other than Multitrack, and each track's size fits in the body.";
    MOD_EX = "flv.av.mod-ex", Must, "E-RTMP v2 §ModEx",
        "A ModEx packet carries its data size and that many bytes, followed by the ModEx type and the next packet type; a TimestampOffsetNano ModEx carries 3 bytes below 1,000,000.";
    TRACK_COUNT = "flv.av.track-count", Must, "E-RTMP v2 §Multitrack (receiver limit)",
        "A multitrack packet lists at most 256 tracks (track ids are 8 bits), so that a body of tiny tracks cannot cost a receiver far more memory than its size.";
    MOD_EX_COUNT = "flv.av.mod-ex-count", Must, "E-RTMP v2 §ModEx (receiver limit)",
        "A packet chains at most 16 ModEx records (the spec defines one ModEx type), so that a chain of tiny records cannot cost a receiver far more memory than its size.";
    TRACK_SIZE = "flv.av.track-size", Must, "E-RTMP v2 §Multitrack",
        "Each track of a ManyTracks packet announces a size that fits in what remains of the body.";

    SCRIPT_NAME = "flv.script.name", Must, "FLV 10.1 §E.4.4.1",
        "A script data tag is an AMF0 string (the method or object name, e.g. onMetaData) followed by AMF0 values (whose own rules are in the amf0 catalog).";
}
