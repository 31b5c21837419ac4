//! Rules only a live HLS server can be judged on: what it serves over time (playlists and
//! segments while they are listed, segments that continue one another). `weir probe` binds
//! its HLS cases to these and to the `hls.*` and `mpegts.*` catalogs; `weir check` leaves
//! them out.

weir_media::rules! {
    PLAYLIST_AVAILABLE = "hls.server.playlist-available", Must, "RFC 8216 §6.2.1",
        "A server answers every request for a live playlist with the playlist (HTTP 200) while the presentation lasts.";
    LIVE_UPDATES = "hls.server.live-updates", Should, "RFC 8216 §6.2.1, §6.3.4",
        "A live playlist (no EXT-X-ENDLIST) gains a new segment at least every one and a half target durations, the pace at which §6.3.4 has clients reload it.";
    SEGMENT_AVAILABLE = "hls.server.segment-available", Must, "RFC 8216 §6.2.1, §6.2.2",
        "Every media segment a playlist lists can be fetched (HTTP 200, a non-empty body) while it is listed, and for a while after it leaves.";
    SEGMENT_PAT_PMT = "hls.server.segment-pat-pmt", Must, "RFC 8216 §3.2",
        "A transport stream segment without EXT-X-MAP holds a PAT and a PMT.";
    SEGMENT_STARTS_WITH_PAT_PMT = "hls.server.segment-starts-with-pat-pmt", Should, "RFC 8216 §3.2",
        "The first two transport packets of a segment without EXT-X-MAP are a PAT and a PMT.";
    SEGMENT_KEYFRAME = "hls.server.segment-keyframe", Should, "RFC 8216 §4.3.5.1",
        "A segment with video starts with a keyframe, so that a client can start decoding at any segment (with EXT-X-INDEPENDENT-SEGMENTS this is a MUST).";
    CONTINUITY = "hls.server.continuity", Must, "RFC 8216 §3, §4.3.2.3",
        "Each segment continues the one with the previous media sequence number: continuity counters and timestamps go on uninterrupted unless EXT-X-DISCONTINUITY marks the boundary.";
    SEGMENT_DURATION = "hls.server.segment-duration", Should, "RFC 8216 §4.3.2.1",
        "A segment lasts what its EXTINF says, within 10 % or 100 ms, whichever is larger.";
}
