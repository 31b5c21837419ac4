//! The MPEG-PS rule catalog: ISO/IEC 13818-1 §2.5 (program streams) and GB/T 28181-2016
//! Annex C (how GB28181 devices must pack their media into a program stream), where it
//! narrows 13818-1.

weir_media::rules! {
    GARBAGE = "mpegps.stream.garbage", Must, "13818-1 §2.5.3.1",
        "A program stream is packs, one after another: every packet begins with a start code prefix 0x000001, with no other bytes between packets.";
    ZERO_STUFFING = "mpegps.stream.zero-stuffing", Should, "13818-1 §2.5.3.1",
        "No zero bytes come between the packets of a program stream (cameras insert some before start codes).";
    START_CODE = "mpegps.stream.start-code", Must, "13818-1 §2.5.3.1, Table 2-33",
        "Where a packet begins, the start code is a pack, system header, program end or PES start code (0xB9 and up), not a video start code.";
    TRUNCATED = "mpegps.stream.truncated", Must, "13818-1 §2.5.3.1",
        "A program stream ends after a whole packet, not inside one.";
    UNRECOVERABLE = "mpegps.stream.unrecoverable", Must, "13818-1 §2.5.3.1",
        "A stream gives a readable pack again within a bounded number of attempts to resynchronise on pack_start_code.";
    PACK_MARKER = "mpegps.pack.marker", Must, "13818-1 §2.5.3.3-§2.5.3.4",
        "The marker bits of a pack header (around the SCR fields and after program_mux_rate) are 1.";
    PACK_MPEG1 = "mpegps.pack.mpeg1", Must, "13818-1 §2.5.3.3; GB/T 28181-2016 Annex C.2",
        "A pack header is the MPEG-2 form ('01' after the start code), not the MPEG-1 (11172-1) form ('0010').";
    PES_MPEG1 = "mpegps.pes.mpeg1", Must, "13818-1 §2.4.3.7; 11172-1 §2.4.3.3; GB/T 28181-2016 Annex C.2",
        "A packet of a program stream has the MPEG-2 PES header ('10' after PES_packet_length), not the MPEG-1 packet header (stuffing, STD buffer, time stamps).";
    MUX_RATE = "mpegps.pack.mux-rate", Must, "13818-1 §2.5.3.4",
        "program_mux_rate is not 0.";
    SCR_EXTENSION = "mpegps.pack.scr-extension", Must, "13818-1 §2.5.3.4",
        "system_clock_reference_extension counts 27 MHz ticks from 0 to 299.";
    PACK_STUFFING = "mpegps.pack.stuffing", Must, "13818-1 §2.5.3.4",
        "Pack stuffing bytes are 0xFF.";
    SCR_MONOTONIC = "mpegps.pack.scr-monotonic", Should, "13818-1 §2.5.2.1, §2.5.3.4",
        "The SCR of each pack is later than the one before it (modulo the 2^33 wrap).";
    SYSTEM_HEADER_LENGTH = "mpegps.system-header.length", Must, "13818-1 §2.5.3.5",
        "header_length covers the six fixed bytes and whole three-byte stream entries, each beginning with '11'.";
    SYSTEM_HEADER_MARKER = "mpegps.system-header.marker", Must, "13818-1 §2.5.3.6",
        "The marker bits of a system header (around rate_bound and after audio_bound flags) are 1.";
    SYSTEM_HEADER_POSITION = "mpegps.system-header.position", Must, "13818-1 §2.5.3.5",
        "A system header comes right after a pack header.";
    SYSTEM_HEADER_STREAM_ID = "mpegps.system-header.stream-id", Must, "13818-1 §2.5.3.6",
        "A stream entry's stream_id is 0xB8, 0xB9 or 0xBC and up.";
    PSM_LENGTH = "mpegps.psm.length", Must, "13818-1 §2.5.4.2",
        "program_stream_map_length is at most 0x3FA and its PES packet holds the whole map.";
    PSM_MAP_LENGTH = "mpegps.psm.map-length", Must, "13818-1 §2.5.4.2",
        "program_stream_info_length, elementary_stream_map_length and every elementary_stream_info_length fit inside the map and add up to it.";
    PSM_CRC = "mpegps.psm.crc", Must, "13818-1 §2.5.4.2, Annex A",
        "The CRC_32 of a program stream map gives a zero remainder over the whole map (CRC-32/MPEG-2).";
    PSM_MARKER = "mpegps.psm.marker", Must, "13818-1 §2.5.4.2",
        "The marker bit after program_stream_map_version is 1.";
    PSM_VERSION = "mpegps.psm.version", Must, "13818-1 §2.5.4.2",
        "program_stream_map_version changes whenever the map's content changes.";
    PSM_STREAM_TYPE = "mpegps.psm.stream-type", Should, "GB/T 28181-2016 Annex C.2; 13818-1 Table 2-34",
        "A map names each stream with a stream type GB28181 assigns (0x1B H.264, 0x24 H.265, 0x0F AAC, 0x90/0x91 G.711, ...); others are skipped.";
    KEYFRAME_PSM = "mpegps.keyframe.psm", Should, "GB/T 28181-2016 Annex C.2",
        "A program stream map comes before each video I-frame (in the pack that carries it).";
    KEYFRAME_SYSTEM_HEADER = "mpegps.keyframe.system-header", Should, "GB/T 28181-2016 Annex C.2",
        "A system header comes before each video I-frame (in the pack that carries it).";
    PES_LENGTH_ZERO = "mpegps.pes.length-zero", Must, "13818-1 §2.4.3.7",
        "PES_packet_length is not 0 in a program stream (unbounded PES packets belong to transport streams).";
    PES_UNMAPPED = "mpegps.pes.unmapped", Should, "13818-1 §2.5.4.1; GB/T 28181-2016 Annex C.2",
        "Every elementary stream a PES packet carries is listed in the program stream map.";
    PES_UNKNOWN = "mpegps.pes.unknown-stream", Must, "13818-1 §2.5.4.1",
        "The codec of each elementary stream can be told, from the map or from the stream itself.";
    SNIFFED = "mpegps.es.sniffed", Should, "GB/T 28181-2016 Annex C.2",
        "A program stream map names each stream's type before its first PES packet, so its codec need not be guessed from its bytes.";
    LIMIT = "mpegps.demux.limit", Must, "13818-1 §2.5.2 (the P-STD bounds what a conforming stream needs)",
        "A stream fits the demuxer's bounds on PES packet size, access unit size and elementary streams, all far above what the P-STD lets a conforming stream use.";
}
