//! The MPEG-TS rule catalog (DESIGN.md, "Rules and violations").
//!
//! Spec references: "13818-1" is ISO/IEC 13818-1 (MPEG-2 Systems); "TR 101 290" is ETSI TR
//! 101 290, whose priority 1 and 2 checks are the industry's TS health measures (1.1 TS_sync_loss,
//! 1.2 Sync_byte_error, 1.3 PAT_error, 1.4 Continuity_count_error, 1.5 PMT_error, 2.1
//! Transport_error, 2.2 CRC_error, 2.3a/b PCR repetition and discontinuity, 2.4 PCR_accuracy,
//! 2.5 PTS_error); "11172-3" and "13818-3" are MPEG-1 and MPEG-2 audio; "Opus-in-TS" is the
//! ETSI draft "Opus Interactive Audio Codec; Transport Multiplexing" (2013): private data with
//! registration descriptor "Opus", the DVB extension descriptor 0x80 (`opus_audio_descriptor`)
//! and access units behind an `opus_control_header`.

weir_media::rules! {
    SYNC_LOSS = "mpegts.packet.sync-loss", Must, "13818-1 §2.4.3.2; TR 101 290 1.1",
        "Transport packets follow each other at one fixed size (188 bytes, or 192/204 with a timestamp or parity bytes), with no bytes lost or inserted between them.";
    SYNC_BYTE = "mpegts.packet.sync-byte", Must, "13818-1 §2.4.3.3; TR 101 290 1.2",
        "The sync_byte of every transport packet is 0x47.";
    TRUNCATED = "mpegts.packet.truncated", Must, "13818-1 §2.4.3.2",
        "A transport stream ends on a packet boundary: its last packet is complete.";
    TRANSPORT_ERROR = "mpegts.packet.transport-error", Should, "13818-1 §2.4.3.3; TR 101 290 2.1",
        "A packet's transport_error_indicator is 0: the packet has no uncorrectable bit error.";
    CONTINUITY = "mpegts.packet.continuity", Must, "13818-1 §2.4.3.3; TR 101 290 1.4",
        "The continuity_counter of a PID increments by one (mod 16) with each packet carrying a payload, stays put on packets without one, a packet may be repeated once, and a jump needs the discontinuity_indicator.";
    SCRAMBLED = "mpegts.packet.scrambled", Should, "13818-1 §2.4.3.3",
        "A packet the demuxer must read is not scrambled (transport_scrambling_control 00).";
    ADAPTATION_LENGTH = "mpegts.adaptation.length", Must, "13818-1 §2.4.3.5",
        "adaptation_field_length is 183 with no payload and at most 182 with a payload, and covers the fields its flags announce.";
    PCR_INTERVAL = "mpegts.pcr.interval", Must, "13818-1 §2.7.2; TR 101 290 2.3b",
        "Consecutive PCRs of a program are at most 100 ms apart, unless the later one's packet sets the discontinuity_indicator.";
    PCR_REPETITION = "mpegts.pcr.repetition", Should, "TR 101 290 2.3a",
        "Consecutive PCRs of a program are at most 40 ms apart.";
    PCR_DISCONTINUITY = "mpegts.pcr.discontinuity", Must, "13818-1 §2.4.3.5; TR 101 290 2.3b",
        "The PCR never goes back unless the packet's discontinuity_indicator is set (a jump forward is a gap between PCRs: mpegts.pcr.interval).";
    PCR_ACCURACY = "mpegts.pcr.accuracy", Should, "13818-1 §2.4.2.1-§2.4.2.2; TR 101 290 2.4",
        "In a constant-rate stream (one padded with null packets) every PCR is within 500 ns of the value the transport rate and its byte position give.";
    PSI_CRC = "mpegts.psi.crc", Must, "13818-1 §2.4.4.3, §2.4.4.8, Annex A; TR 101 290 2.2",
        "The CRC_32 of a PAT or PMT section gives a zero remainder over the whole section (CRC-32/MPEG-2).";
    PSI_SYNTAX = "mpegts.psi.syntax", Must, "13818-1 §2.4.4.1-§2.4.4.2",
        "A PSI section has a valid pointer_field, section_syntax_indicator 1 and a section_length (at most 1021) that fits its table's fields.";
    PAT = "mpegts.pat.error", Must, "13818-1 §2.4.4.3; TR 101 290 1.3",
        "PID 0x0000 carries only unscrambled program_association_sections (table_id 0x00).";
    PAT_REPETITION = "mpegts.pat.repetition", Should, "TR 101 290 1.3a",
        "A PAT section occurs at least every 0.5 s.";
    PMT = "mpegts.pmt.error", Must, "13818-1 §2.4.4.8; TR 101 290 1.5",
        "A PMT PID carries unscrambled TS_program_map_sections (table_id 0x02) whose descriptors and elementary stream entries fit the section.";
    PMT_REPETITION = "mpegts.pmt.repetition", Should, "TR 101 290 1.5a",
        "Each program's PMT section occurs at least every 0.5 s.";
    PES_START_CODE = "mpegts.pes.start-code", Must, "13818-1 §2.4.3.6",
        "A PES packet starts, in the payload of a packet with payload_unit_start_indicator, with the prefix 0x000001.";
    PES_HEADER = "mpegts.pes.header", Must, "13818-1 §2.4.3.7",
        "A PES header's PES_header_data_length covers its optional fields, PTS_DTS_flags is not 01, and PTS/DTS carry their prefix and marker bits.";
    PES_LENGTH = "mpegts.pes.length", Must, "13818-1 §2.4.3.7",
        "A non-zero PES_packet_length equals the bytes that follow it up to the next payload unit start; 0 is allowed for video only.";
    DTS_MONOTONIC = "mpegts.pes.dts-monotonic", Should, "13818-1 §2.4.3.7, §2.7.5",
        "The decoding timestamps of a PID never go back (after 2^33 wrap-around is unwrapped).";
    PTS_REPETITION = "mpegts.pes.pts-repetition", Should, "13818-1 §2.7.4; TR 101 290 2.5",
        "The PTSs of an elementary stream are at most 0.7 s apart.";
    LIMIT = "mpegts.demux.limit", Must, "13818-1 §2.4.2 (the T-STD bounds what a conforming stream needs)",
        "A stream fits the demuxer's bounds on PES packet size, buffered bytes, programs and elementary streams, all far above what the T-STD lets a conforming stream use.";
    ANNEX_B = "mpegts.es.annex-b", Must, "13818-1 §2.4.3.7, §2.14.1 (AVC), §2.17.1 (HEVC); H.264/H.265 Annex B",
        "An AVC or HEVC PES payload is an Annex-B byte stream of whole NAL units; one whose header sets data_alignment_indicator starts with a start code.";
    MPEG_AUDIO = "mpegts.es.mpeg-audio", Must, "11172-3 §2.4.1.3; 13818-3 §2.4.1.3",
        "MPEG audio PES payloads are consecutive frames, each starting with a valid header (syncword, layer not reserved, bitrate index not 15, sampling index not 3).";
    OPUS_CONTROL = "mpegts.opus.control-header", Must, "Opus-in-TS, opus_access_unit",
        "Each Opus access unit in a PES starts with an opus_control_header (prefix 0x3ff) whose au_size and trim fields fit the PES.";
    OPUS_DESCRIPTOR = "mpegts.opus.descriptor", Must, "Opus-in-TS, opus_audio_descriptor",
        "An Opus stream's ES info carries the Opus audio descriptor with a channel_config_code Weir can map (0x00-0x08).";
}
