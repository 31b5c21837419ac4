//! Rules only a live SRT listener can be judged on: how it answers handshakes we shape on
//! purpose, what it does with the data we send it and what it relays to a player. `weir probe
//! srt://` binds its cases to these; `weir check` leaves them out.

weir_media::rules! {
    INDUCTION = "srt.server.induction", Must, "draft-sharabayko-srt-01 §4.3.1.1",
        "A listener answers a version 4 induction with an induction of version 5 that carries the SRT magic 0x4A17 in its extension field and a SYN cookie for the caller to return.";
    CONCLUSION = "srt.server.conclusion", Must, "draft-sharabayko-srt-01 §4.3.1.2",
        "A listener answers a version 5 conclusion that returns its cookie and carries an HSREQ with a conclusion carrying an HSRSP, with or without a stream id extension.";
    COOKIE = "srt.server.cookie", Must, "draft-sharabayko-srt-01 §4.3.1.1, §4.3.1.2",
        "A conclusion whose SYN cookie is not the one the listener handed out is ignored or rejected, never accepted.";
    BAD_SECRET = "srt.server.bad-secret", Must, "draft-sharabayko-srt-01 §3.2.1.2, §6.1.5; libsrt SRT_REJ_BADSECRET",
        "An encrypting listener refuses a caller whose key material does not unwrap with its passphrase, with rejection reason BADSECRET (1010).";
    UNSECURE = "srt.server.unsecure", Should, "draft-sharabayko-srt-01 §6.1.5; libsrt SRT_REJ_UNSECURE",
        "An encrypting listener refuses a caller that sends no key material, with rejection reason UNSECURE (1011) or another rejection, rather than exchanging data in the clear.";
    BAD_STREAM_ID = "srt.server.bad-stream-id", Should, "draft-sharabayko-srt-01 §3.2.1.3; libsrt access control",
        "A listener that reads stream ids refuses one it cannot read with a rejection reason, rather than accepting it.";
    UNKNOWN_EXTENSION = "srt.server.unknown-extension", Must, "draft-sharabayko-srt-01 §3.2.1",
        "A listener skips a handshake extension of a type it does not know and still accepts the conclusion.";
    ACK = "srt.server.ack", Must, "draft-sharabayko-srt-01 §4.8.1",
        "A receiver acknowledges the data it got with a full ACK every 10 ms (the SYN interval) while new data arrives.";
    KEEPALIVE = "srt.server.keepalive", Should, "draft-sharabayko-srt-01 §3.2.3",
        "A peer that has had nothing to send for a second sends a keep-alive, so that a quiet connection stays up.";
    NAK = "srt.server.nak", Must, "draft-sharabayko-srt-01 §4.8.2, §3.2.5",
        "A receiver reports every packet missing from the sequence in a NAK, so that the sender retransmits it.";
    SHUTDOWN = "srt.server.shutdown", Should, "draft-sharabayko-srt-01 §3.2.7",
        "A peer that receives a shutdown closes the connection: it stops sending on it.";
    RELAY = "srt.server.relay", Must, "draft-sharabayko-srt-01 §4.5, §4.6",
        "Every TS packet a publisher sends, lost ones recovered included, reaches a player of the same stream unchanged and in order from the player's join point on.";
}
