//! The SRT rule catalog: everything the packet parsers, the handshake, the connection machine
//! and the encryption report. "The draft" is draft-sharabayko-srt-01.

weir_media::rules! {
    // Stream id (streamid.rs): "SRT AC" is libsrt's SRT Access Control guideline
    // (docs/features/access-control.md); "SRS" marks forms SRS accepts (srs_app_srt_utility.cpp).
    STREAMID_TOO_LONG = "srt.streamid.too-long", Must, "draft-sharabayko-srt-01 §3.2.1.3",
        "A stream id is at most 512 bytes long.";
    STREAMID_TOO_MANY_KEYS = "srt.streamid.too-many-keys", Must, "SRT AC (receiver limit)",
        "A stream id carries no more key=value items than the receiver's limit (32).";
    STREAMID_SYNTAX = "srt.streamid.syntax", Must, "SRT AC §Standard Keys",
        "After the flat #!:: prefix, a stream id is a list of key=value items with non-empty keys, and names no characters that separate items inside a name or value.";
    STREAMID_DUPLICATE_KEY = "srt.streamid.duplicate-key", Must, "SRT AC §Standard Keys",
        "Each key appears at most once in a stream id.";
    STREAMID_MODE = "srt.streamid.mode", Must, "SRT AC §Standard Keys",
        "The m key is request or publish (bidirectional is standard, but a live server has neither side to give it).";
    STREAMID_RESOURCE = "srt.streamid.resource", Must, "SRT AC §Standard Keys; SRS",
        "A stream id names one resource (r=, or SRS's h=app/stream) whose app and stream parts are not empty.";
    STREAMID_TYPE = "srt.streamid.type", Should, "SRT AC §Standard Keys",
        "The t key is stream, file or auth.";
    STREAMID_EMPTY_ITEM = "srt.streamid.empty-item", Should, "SRT AC §Standard Keys",
        "A stream id has no empty items (two separators in a row, or one at the end).";
    STREAMID_PERCENT_ENCODED = "srt.streamid.percent-encoded", Should, "SRT AC §General Syntax",
        "The #!:: prefix is sent as is, not URL-encoded as %23!:: (FFmpeg 5.1 sends the query value of its URL undecoded).";
}
