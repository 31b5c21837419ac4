//! The RTMP rule catalog: everything the handshake, chunk stream and session machines check.
//!
//! Spec references: "RTMP 1.0" is Adobe's Real-Time Messaging Protocol specification (December
//! 2012); "E-RTMP v2" is the Enhanced RTMP v2 specification (Veovera, 2024); "FMS" marks
//! behaviour that is not in the spec but that Flash Media Server established and every client
//! expects.

weir_media::rules! {
    HANDSHAKE_VERSION = "rtmp.handshake.version", Must, "RTMP 1.0 §5.2.2",
        "C0 and S0 carry RTMP version 3; a server that does not recognise the client's version (6 is RTMPE) closes the connection.";
    HANDSHAKE_S0_VERSION = "rtmp.handshake.s0-version", Must, "RTMP 1.0 §5.2.2",
        "A server answers with version 3 in S0.";
    HANDSHAKE_ECHO = "rtmp.handshake.echo", Should, "RTMP 1.0 §5.2.4",
        "C2 echoes the random data of S1, and S2 echoes C1 (or, in the complex handshake, carries a valid digest).";
    HANDSHAKE_DIGEST = "rtmp.handshake.digest", Should, "FMS complex handshake",
        "A C1 or S1 that announces a complex handshake (non-zero version field) carries a valid HMAC-SHA256 digest in scheme 0 or 1.";
    HANDSHAKE_INCOMPLETE = "rtmp.handshake.incomplete", Must, "RTMP 1.0 §5.2.1",
        "A peer that opens a connection sends its whole handshake (C0, C1 and C2, 3073 bytes) before it closes.";

    CHUNK_FMT3_WITHOUT_PREVIOUS = "rtmp.chunk.fmt3-without-previous-header", Must, "RTMP 1.0 §5.3.1.2.4",
        "A chunk of type 1, 2 or 3 follows an earlier chunk with a full header on the same chunk stream.";
    CHUNK_CSID_RANGE = "rtmp.chunk.csid-range", Should, "RTMP 1.0 §5.3.1.1",
        "Chunk stream id 2 is reserved for low-level protocol control messages and commands: media and data travel on other chunk streams.";
    CHUNK_STREAM_LIMIT = "rtmp.chunk.stream-limit", Must, "RTMP 1.0 §5.3.1.1",
        "A peer uses no more concurrent chunk streams than the receiver's configured limit (implementations bound their per-stream state).";
    CHUNK_MESSAGE_LENGTH = "rtmp.chunk.message-length", Must, "RTMP 1.0 §5.3.1.2",
        "A message length is within the receiver's configured maximum message size.";
    CHUNK_LENGTH_CHANGE = "rtmp.chunk.length-change-mid-message", Must, "RTMP 1.0 §5.3.1.2.2",
        "A type 1 or type 2 header starts a new message: it does not arrive while a message on the same chunk stream is incomplete.";
    CHUNK_EXTENDED_TIMESTAMP = "rtmp.chunk.extended-timestamp", Must, "RTMP 1.0 §5.3.1.3",
        "The extended timestamp field is present exactly when the 3-byte timestamp field is 0xFFFFFF, and carries a value of at least 0xFFFFFF.";
    CHUNK_BACKWARD_DELTA = "rtmp.chunk.backward-delta", Must, "RTMP 1.0 §5.3.1.2.1, §4",
        "A timestamp that goes backward is sent in a type 0 header: a type 1 or 2 header does not carry a delta of 2^31 or more, which serial number arithmetic reads as a step back.";
    CHUNK_MESSAGE_STREAM_ID = "rtmp.chunk.message-stream-id", Should, "RTMP 1.0 §5.4",
        "Protocol control messages (types 1, 2, 3, 5, 6) use message stream id 0 and chunk stream id 2.";

    CONTROL_SET_CHUNK_SIZE = "rtmp.control.set-chunk-size", Must, "RTMP 1.0 §5.4.1",
        "Set Chunk Size carries a size from 1 to 2147483647 (0x7FFFFFFF) with the high bit zero.";
    CONTROL_PAYLOAD_LENGTH = "rtmp.control.payload-length", Must, "RTMP 1.0 §5.4",
        "A protocol control or user control message has the payload length its type defines.";
    CONTROL_ABORT_CSID = "rtmp.control.abort", Should, "RTMP 1.0 §5.4.2",
        "Abort names a chunk stream that has a partially received message.";
    CONTROL_WINDOW_SIZE = "rtmp.control.window-ack-size", Must, "RTMP 1.0 §5.4.4",
        "Window Acknowledgement Size is not zero.";
    CONTROL_PEER_BANDWIDTH = "rtmp.control.set-peer-bandwidth", Must, "RTMP 1.0 §5.4.5",
        "Set Peer Bandwidth carries a limit type of 0 (hard), 1 (soft) or 2 (dynamic).";
    CONTROL_UNKNOWN_TYPE = "rtmp.message.type", Should, "RTMP 1.0 §6.1",
        "Message type ids are those the spec defines (1-6, 8, 9, 15-20, 22).";
    USER_CONTROL_EVENT = "rtmp.user-control.event", Should, "RTMP 1.0 §7.1.7",
        "User control events are those the spec defines (0-4, 6, 7) or the known FMS extensions (26-27 SWF verification, 31-32 buffer events).";
    AGGREGATE_FORMAT = "rtmp.message.aggregate", Must, "RTMP 1.0 §7.1.6",
        "An aggregate message is a sequence of sub-messages, each an 11-byte header, a body of the length it announces and a 4-byte back pointer.";

    COMMAND_AMF = "rtmp.command.amf", Must, "RTMP 1.0 §7.1.1",
        "A command message is a command name string, a transaction id number and a command object, encoded in AMF0 (type 20) or AMF3 (type 17).";
    COMMAND_CONNECT_FIRST = "rtmp.command.connect-first", Must, "RTMP 1.0 §7.2.1.1",
        "The client sends connect before any other command.";
    COMMAND_CONNECT_TRANSACTION = "rtmp.command.connect-transaction-id", Should, "RTMP 1.0 §7.2.1.1",
        "The transaction id of connect is 1.";
    COMMAND_CONNECT_APP = "rtmp.command.connect-app", Must, "RTMP 1.0 §7.2.1.1",
        "The connect command object carries the application name in its app property.";
    COMMAND_STREAM_BEFORE_CREATE = "rtmp.command.stream-before-create", Must, "RTMP 1.0 §7.2.2",
        "publish, play, pause, seek and their kin are sent on a message stream the server created with createStream.";
    COMMAND_TRANSACTION_ID = "rtmp.command.transaction-id", Should, "RTMP 1.0 §7.2.1",
        "A _result or _error answers a transaction id the peer sent and has not been answered yet.";
    COMMAND_PUBLISH_TYPE = "rtmp.command.publish-type", Should, "RTMP 1.0 §7.2.2.6",
        "The publishing type of publish is live, record or append.";
    COMMAND_STREAM_NAME = "rtmp.command.stream-name", Must, "RTMP 1.0 §7.2.2.1",
        "publish and play name a stream (a non-empty string).";
    COMMAND_DUPLICATE_CONNECT = "rtmp.command.single-connect", Should, "RTMP 1.0 §7.2.1.1",
        "A client connects once per connection.";
    COMMAND_CREATE_STREAM_ID = "rtmp.command.create-stream-id", Must, "RTMP 1.0 §7.2.1.3, §5.4",
        "createStream's _result carries the new message stream's id: a whole number from 1 (stream 0 is the NetConnection's own).";
    MEDIA_BEFORE_PUBLISH = "rtmp.media.before-publish", Must, "RTMP 1.0 §7.2.2.6",
        "A client sends audio, video and data messages only on a message stream it publishes on.";
    MEDIA_STREAM_ID = "rtmp.media.message-stream-id", Should, "RTMP 1.0 §7.1",
        "Media from a server to a player travels on the message stream id the player's play was sent on.";
    MEDIA_TIMESTAMP = "rtmp.media.timestamp-monotonic", Should, "RTMP 1.0 §5.3.1",
        "Timestamps of audio and of video messages on one message stream do not decrease.";
    MEDIA_TAG = "rtmp.media.tag", Must, "E-RTMP v2 / FLV 10.1 §E.4.2-E.4.3",
        "Audio and video message bodies are well-formed FLV audio and video tag bodies.";
    DATA_MESSAGE = "rtmp.data.amf", Must, "RTMP 1.0 §7.1.2",
        "A data message (types 18 and 15) is a handler name followed by AMF values.";
}
