//! Rules only a live WHIP (RFC 9725) or WHEP (draft-ietf-wish-whep) server can be judged on:
//! how its HTTP resources answer, and what it does with the media of the session it set up.
//! `weir probe` binds its WHIP/WHEP cases to these and to `weir-sdp`'s offer/answer rules;
//! `weir check` leaves them out.

weir_media::rules! {
    CREATED = "whip.server.created", Must, "RFC 9725 §4.2",
        "An endpoint that accepts an offer answers the POST with 201 Created, an application/sdp body holding the answer, and a Location header naming the session's resource.";
    NO_COMMON_CODEC = "whip.server.no-common-codec", Must, "RFC 9725 §4.2, §6",
        "An offer the endpoint cannot answer, such as one with no codec it supports, is refused with an HTTP error status rather than a 201 with an unusable answer.";
    H264_MODE = "whip.server.h264-packetization-mode", Must, "RFC 6184 §8.2.2",
        "An answer keeps the packetization-mode of the H.264 format it accepts from the offer (mode 0 when the offer names only mode 0).";
    DELETE = "whip.server.delete", Must, "RFC 9725 §4.3",
        "A DELETE of the session's resource ends the session and is answered with 200 OK.";
    DELETE_GONE = "whip.server.delete-gone", Should, "RFC 9725 §4.3, RFC 9110 §15.5.5",
        "Once deleted, the session's resource is gone: a second DELETE is answered with 404 Not Found.";
    TRICKLE = "whip.server.trickle", Must, "RFC 9725 §4.4, RFC 8840 §4.4",
        "A PATCH of application/trickle-ice-sdpfrag to the session's resource is answered with 204 No Content when trickle ICE is supported, and with 405 or 501 when it is not.";
    IF_MATCH = "whip.server.if-match", Must, "RFC 9725 §4.4.1, RFC 9110 §13.1.1",
        "A session that gave an ETag refuses a PATCH whose If-Match names another entity tag with 412 Precondition Failed.";
    MALFORMED_OFFER = "whip.server.malformed-offer", Should, "RFC 9725 §4.2, RFC 9110 §15.5.1",
        "A POST whose body is not a session description is refused with 400 Bad Request.";
    CONTENT_TYPE = "whip.server.content-type", Should, "RFC 9725 §4.2, RFC 9110 §15.5.16",
        "A POST whose Content-Type is not application/sdp is refused with 415 Unsupported Media Type.";
    OPTIONS = "whip.server.options", Should, "RFC 9725 §4.1, Fetch (CORS preflight)",
        "An endpoint that answers OPTIONS (a CORS preflight) answers it with a 2xx that allows POST.";
    AUTH = "whip.server.auth", Must, "RFC 9725 §4.5, RFC 6750 §3.1",
        "An endpoint that requires a bearer token refuses a POST without one with 401, and one with a wrong token with 401 or 403.";
    DTLS_ROLE = "whip.server.dtls-role", Must, "RFC 8842 §5.3, §6",
        "The answerer takes the DTLS role its setup attribute names: with active it sends the ClientHello, with passive it waits for ours.";
    FINGERPRINT = "whip.server.fingerprint", Must, "RFC 8842 §5, RFC 5763 §5, RFC 8827 §6.5",
        "The server carries no media for a peer whose certificate does not match the fingerprint of that peer's offer: it refuses the DTLS handshake, or checks the fingerprint after it and sends nothing.";
    CONSENT = "whip.server.consent", Must, "RFC 7675 §5.1, RFC 8445 §7.3",
        "After the connection is up the server keeps answering STUN Binding requests that carry its ICE credentials, so that the peer's consent to send stays fresh.";
    RELAY = "whip.server.relay", Must, "RFC 9725 §1, draft-ietf-wish-whep §1",
        "Every frame a WHIP client publishes reaches a WHEP player of the same stream unchanged, per track in order.";
}
