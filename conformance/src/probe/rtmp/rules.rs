//! Rules only a live peer can check: what a server does with what it receives (acknowledges it,
//! reassembles it, relays it). `weir probe` binds its cases to these and to the protocol
//! crates' own rules; `weir check` leaves them out, since a capture alone cannot judge them.

weir_media::rules! {
    STREAM_BOUNDARIES = "rtmp.server.stream-boundaries", Must, "RTMP 1.0 §5.2.1, §5.3.1",
        "A receiver reads the handshake and the chunk stream however TCP splits the bytes.";
    CHUNK_SIZE = "rtmp.server.chunk-size", Must, "RTMP 1.0 §5.4.1",
        "A receiver reads chunks at the size the sender last set with Set Chunk Size, for every legal size.";
    INTERLEAVED_CHUNKS = "rtmp.server.interleaved-chunks", Must, "RTMP 1.0 §5.3.1, §5.3.2.2",
        "A receiver reassembles each message from the chunks of its own chunk stream, however chunks of different chunk streams interleave.";
    ABORT = "rtmp.server.abort", Must, "RTMP 1.0 §5.4.2",
        "A receiver of Abort discards the partly received message on the chunk stream it names and reads the next message there afresh.";
    ACKNOWLEDGEMENT = "rtmp.server.acknowledgement", Must, "RTMP 1.0 §5.4.3",
        "A peer sends an Acknowledgement once it has received as many bytes as the window the other side announced with Window Acknowledgement Size.";
    PEER_BANDWIDTH = "rtmp.server.peer-bandwidth", Should, "RTMP 1.0 §5.4.5",
        "A peer given Set Peer Bandwidth limits the data it has sent and not yet seen acknowledged to that window.";
    EXTENDED_TIMESTAMP = "rtmp.server.extended-timestamp", Must, "RTMP 1.0 §5.3.1.3",
        "A receiver reads the extended timestamp whenever the timestamp field is 0xFFFFFF: media timestamps past 16777215 ms keep their spacing.";
    TIMESTAMP_WRAP = "rtmp.server.timestamp-wrap", Should, "RTMP 1.0 §5.3.1.2.1",
        "Timestamps are modulo 2^32: media that crosses the wrap keeps its spacing and its order.";
    COMMAND_FLOW = "rtmp.server.command-flow", Must, "RTMP 1.0 §7.2.1.1, §7.2.1.3, §7.2.2.1, §7.2.2.6",
        "A server answers connect with _result (NetConnection.Connect.Success), createStream with _result and a stream id, publish with onStatus NetStream.Publish.Start and play with onStatus NetStream.Play.Start.";
    FMLE_COMMANDS = "rtmp.server.fmle-commands", Should, "FMS (releaseStream, FCPublish, FCUnpublish)",
        "A server answers or ignores the FMLE commands releaseStream, FCPublish and FCUnpublish, and lets the publish that follows them succeed.";
    UNKNOWN_COMMAND = "rtmp.server.unknown-command", Should, "RTMP 1.0 §7.2.1 (_error)",
        "A server answers a command it does not implement with _error, or ignores it, and keeps the connection usable.";
    RELAY = "rtmp.server.relay", Must, "RTMP 1.0 §7.1.5, §7.2.2.1",
        "A server delivers to a player every audio and video message a publisher sent, with the same bodies, in the same order per track and with the same timestamp spacing.";
    INVALID_INPUT = "rtmp.server.invalid-input", Must, "RTMP 1.0 §5.2.2, §5.3.1",
        "A server closes a connection whose input breaks the protocol beyond repair, and keeps serving its other connections.";
    CONNECT_SEQUENCE = "rtmp.server.connect-sequence", Should, "RTMP 1.0 §7.2.1.1, §5.4.4, §5.4.5",
        "A server answers connect with Window Acknowledgement Size and Set Peer Bandwidth as well as _result, as the connect message flow shows.";
    STREAM_BEGIN = "rtmp.server.stream-begin", Should, "RTMP 1.0 §7.1.7, §7.2.2.1",
        "A server sends User Control Stream Begin for the played message stream before play's onStatus NetStream.Play.Start.";
    CHUNK_STREAM_IDS = "rtmp.server.chunk-stream-ids", Must, "RTMP 1.0 §5.3.1.1",
        "A receiver reads the basic header in its 1-, 2- and 3-byte forms: chunk stream ids 3-63, 64-319 and 320-65599.";
    STREAM_IDS = "rtmp.server.stream-ids", Must, "RTMP 1.0 §7.1, §7.2.1.3",
        "createStream answers with a message stream id that is not 0 (the NetConnection's own) and not one it already gave on the connection.";
    STREAM_RELEASE = "rtmp.server.stream-release", Should, "RTMP 1.0 §7.2.2 (closeStream), §7.2.2.3 (deleteStream)",
        "A publication ends when its publisher sends closeStream or deleteStream or its connection closes: another publisher may then publish the name.";
    LATE_JOIN = "rtmp.server.late-join", Should, "FLV 10.1 §E.4.3.1; ISO/IEC 14496-10 §3.69",
        "A player that joins a running stream gets the AVC decoder configuration before its first video frame, and that frame is a keyframe (an IDR picture) it can decode from.";
    ACK_SEQUENCE = "rtmp.server.ack-sequence", Must, "RTMP 1.0 §5.4.3",
        "The sequence number of an Acknowledgement is the number of bytes received so far: never more than the peer sent.";
}
