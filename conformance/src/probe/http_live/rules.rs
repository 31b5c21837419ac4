//! Rules only a live HTTP-FLV or HTTP-TS server can be judged on: how it answers a player
//! and how the endless body it sends behaves over time. `weir probe` binds its HTTP live
//! cases to these and to the `flv.*` and `mpegts.*` catalogs; `weir check` leaves them out.

weir_media::rules! {
    AVAILABLE = "http.live.available", Must, "RFC 9110 §15.3.1",
        "A live stream's URL is answered with 200 (OK) and a body that keeps coming while the stream lasts.";
    CONTENT_TYPE = "http.live.content-type", Should, "RFC 9110 §8.3; FLV 10.1 Annex E; RFC 3555 §4.2.9",
        "The answer says what its content is: Content-Type video/x-flv for FLV, video/mp2t for a transport stream.";
    FRAMING = "http.live.framing", Should, "RFC 9112 §6.1, §6.3",
        "An endless body is chunked (HTTP/1.1) or ends with the connection: a Content-Length would announce an end the live body never reaches.";
    CORS = "http.live.cors", Should, "Fetch Standard §3.2.3 (CORS protocol)",
        "A request with an Origin is answered with an Access-Control-Allow-Origin that allows it, so that browser players (flv.js, mpegts.js) can read the body.";
    CONFIG_FIRST = "http.live.config-first", Must, "ISO/IEC 14496-15 §5.3.3; ISO/IEC 14496-3 §1.6.2.1; FLV 10.1 §E.4.2.2, §E.4.3.2",
        "Each track's decoder configuration (AVC/HEVC decoder configuration record, AudioSpecificConfig) comes before the track's first frame.";
    KEYFRAME_FIRST = "http.live.keyframe-first", Should, "ISO/IEC 14496-10 §3.69; ISO/IEC 23008-2 §3.67",
        "The first video frame a joining player gets is a random access point (an IDR or IRAP picture), so that it decodes at once.";
    TIMESTAMPS = "http.live.timestamps", Must, "FLV 10.1 §E.4.1; ISO/IEC 13818-1 §2.4.3.7",
        "Within each track, decode timestamps never go back.";
    PACING = "http.live.pacing", Should, "RFC 9110 §15.3.1 (a live representation)",
        "Media comes at the rate it plays: after the first burst (the server's cache of the current group of pictures), the media time received keeps within a few seconds of the time elapsed.";
    UNKNOWN_STREAM = "http.live.unknown-stream", Should, "RFC 9110 §15.5.5, §15.6",
        "A request for a stream nobody publishes is answered at once: 404 (Not Found), or a 200 whose body waits for a publisher (the server's choice); never a server error or silence.";
}
