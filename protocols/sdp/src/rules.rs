//! The SDP rule catalog (DESIGN.md, "Rules and violations"): what parsing a session
//! description and checking an answer against its offer verify.
//!
//! Spec references: RFC 8866 (SDP), RFC 3264 (offer/answer), RFC 8829 (JSEP), RFC 8839 (ICE
//! in SDP), RFC 8842 and RFC 8122 (DTLS in SDP), RFC 9143 (BUNDLE), RFC 5888 (grouping),
//! RFC 4585 (rtcp-fb), RFC 3605 (rtcp), RFC 5576 (ssrc), RFC 8830 (msid), RFC 8285 (extmap),
//! RFC 8851 (rid), RFC 8853 (simulcast), RFC 7826 (RTSP 2.0), GB/T 28181-2016 Annex F.

weir_media::rules! {
    TEXT_SIZE = "sdp.limits.size", Must, "RFC 8866 §5 / receiver limit",
        "A session description is no larger than the receiver's configured maximum size.";
    TEXT_LINES = "sdp.limits.lines", Must, "RFC 8866 §5 / receiver limit",
        "A session description has no more lines than the receiver's configured maximum.";
    TEXT_ENCODING = "sdp.text.encoding", Must, "RFC 8866 §5",
        "The text of a session description is UTF-8 (ISO 10646), without NUL bytes.";
    LINE_CRLF = "sdp.line.crlf", Should, "RFC 8866 §5",
        "Every line ends with CRLF; a bare LF is tolerated by parsers but is not what a writer sends.";
    LINE_SYNTAX = "sdp.line.syntax", Must, "RFC 8866 §5",
        "Every line is one type letter, an equals sign and a value, with no blank lines.";
    LINE_WHITESPACE = "sdp.line.whitespace", Must, "RFC 8866 §5",
        "No whitespace follows the equals sign of a line (the `s= ` placeholder excepted).";
    LINE_FIRST_VERSION = "sdp.line.first-version", Must, "RFC 8866 §5.1",
        "A session description starts with the v= line.";
    LINE_ORDER = "sdp.line.order", Must, "RFC 8866 §5",
        "Lines appear in the order the grammar gives: v o s i u e p c b t r z k a at session level, then m i c b k a per media.";
    LINE_UNKNOWN_TYPE = "sdp.line.unknown-type", Must, "RFC 8866 §5",
        "Only the type letters RFC 8866 defines are used (GB28181's y= and f= are known to this parser).";
    LINE_DUPLICATE = "sdp.line.duplicate", Must, "RFC 8866 §5",
        "Lines the grammar allows once per level (v, o, s, i, u, c, z, k and GB28181 y, f at session level; i, k, y, f per media) appear at most once there.";
    VERSION_VALUE = "sdp.version.value", Must, "RFC 8866 §5.1",
        "The protocol version is 0.";
    ORIGIN_SYNTAX = "sdp.origin.syntax", Must, "RFC 8866 §5.2",
        "o= carries exactly six fields: username, numeric session id and version, network type, address type and address.";
    ORIGIN_MISSING = "sdp.origin.missing", Must, "RFC 8866 §5.2",
        "A session description has an o= line, before any m= line (RFC 8866 puts it second).";
    SESSION_NAME = "sdp.session-name.missing", Must, "RFC 8866 §5.3",
        "A session description has exactly one s= line with a non-empty name.";
    CONNECTION_SYNTAX = "sdp.connection.syntax", Must, "RFC 8866 §5.7",
        "c= carries a network type, an address type and a connection address.";
    CONNECTION_MISSING = "sdp.connection.missing", Must, "RFC 8866 §5.7",
        "Every media description has a c= line, its own or the session's.";
    BANDWIDTH_SYNTAX = "sdp.bandwidth.syntax", Must, "RFC 8866 §5.8",
        "b= carries a bandwidth type token, a colon and a decimal number of kilobits per second.";
    TIMING_SYNTAX = "sdp.timing.syntax", Must, "RFC 8866 §5.9",
        "t= carries two decimal NTP times, start and stop.";
    TIMING_MISSING = "sdp.timing.missing", Must, "RFC 8866 §5.9",
        "A session description has at least one t= line.";
    MEDIA_SYNTAX = "sdp.media.syntax", Must, "RFC 8866 §5.14",
        "m= carries a media type, a port (with an optional port count), a transport protocol and at least one format.";
    MEDIA_PORT = "sdp.media.port", Must, "RFC 8866 §5.14",
        "The port of an m= line (and its optional count) is a decimal number from 0 to 65535.";
    MEDIA_FORMAT = "sdp.media.format", Must, "RFC 8866 §5.14",
        "For an RTP/AVP-family transport the formats of an m= line are RTP payload types from 0 to 127.";
    ATTRIBUTE_SYNTAX = "sdp.attribute.syntax", Must, "RFC 8866 §5.13",
        "An attribute name is a token, followed by nothing or a colon and its value.";
    ATTRIBUTE_LEVEL = "sdp.attribute.level", Must, "RFC 8866 §6",
        "An attribute appears only at the level (session or media) its definition allows.";
    DIRECTION_DUPLICATE = "sdp.direction.duplicate", Must, "RFC 8866 §6.7",
        "At most one of sendrecv, sendonly, recvonly and inactive appears at session level and in each media description.";
    RTPMAP_SYNTAX = "sdp.rtpmap.syntax", Must, "RFC 8866 §6.6",
        "rtpmap carries a payload type, an encoding name, a slash and a clock rate, then optional encoding parameters.";
    RTPMAP_PAYLOAD_TYPE = "sdp.rtpmap.payload-type", Must, "RFC 8866 §6.6",
        "rtpmap maps a payload type (0-127) that its m= line lists.";
    FMTP_SYNTAX = "sdp.fmtp.syntax", Must, "RFC 8866 §6.15",
        "fmtp carries a format, a space and its format-specific parameters.";
    FMTP_FORMAT = "sdp.fmtp.format", Must, "RFC 8866 §6.15",
        "fmtp names a format that its m= line lists.";
    PTIME_SYNTAX = "sdp.ptime.syntax", Must, "RFC 8866 §6.4, §6.5",
        "ptime and maxptime are a positive number of milliseconds, whole or decimal.";
    SCTP_SYNTAX = "sdp.sctp.syntax", Must, "RFC 8841 §5, §6",
        "sctp-port is a port number and max-message-size a decimal number of bytes.";
    RTCP_FB_SYNTAX = "sdp.rtcp-fb.syntax", Must, "RFC 4585 §4.2",
        "rtcp-fb carries a payload type or `*`, then a feedback type (trr-int with a decimal interval).";
    RTCP_FB_PAYLOAD_TYPE = "sdp.rtcp-fb.payload-type", Must, "RFC 4585 §4.2",
        "rtcp-fb names `*` or a payload type that its m= line lists.";
    RTCP_SYNTAX = "sdp.rtcp.syntax", Must, "RFC 3605 §2.1",
        "rtcp carries a port, optionally followed by a network type, address type and address.";
    ICE_UFRAG = "sdp.ice.ufrag-length", Must, "RFC 8839 §5.4",
        "ice-ufrag is 4 to 256 ice-chars (letters, digits, `+` and `/`).";
    ICE_PWD = "sdp.ice.pwd-length", Must, "RFC 8839 §5.4",
        "ice-pwd is 22 to 256 ice-chars (letters, digits, `+` and `/`).";
    ICE_CREDENTIALS = "sdp.ice.credentials-missing", Must, "RFC 8839 §5.4",
        "Every media description of an ICE agent has ice-ufrag and ice-pwd, its own or the session's.";
    ICE_CANDIDATE = "sdp.ice.candidate-syntax", Must, "RFC 8839 §5.1",
        "candidate carries foundation, component, transport, priority, address, port and `typ` with a type, then optional raddr, rport and name/value extensions.";
    ICE_FOUNDATION = "sdp.ice.candidate-foundation", Must, "RFC 8839 §5.1",
        "A candidate foundation is 1 to 32 ice-chars.";
    ICE_COMPONENT = "sdp.ice.candidate-component", Must, "RFC 8839 §5.1",
        "A candidate component id is from 1 to 256.";
    ICE_PRIORITY = "sdp.ice.candidate-priority", Must, "RFC 8445 §5.1.2",
        "A candidate priority is from 1 to 2^31-1.";
    ICE_REMOTE_CANDIDATES = "sdp.ice.remote-candidates-syntax", Must, "RFC 8839 §5.2",
        "remote-candidates is one or more triples of component id, connection address and port.";
    ICE_OPTIONS = "sdp.ice.options-syntax", Must, "RFC 8839 §5.6",
        "ice-options is one or more option tags separated by single spaces.";
    DTLS_FINGERPRINT = "sdp.dtls.fingerprint-syntax", Must, "RFC 8122 §5",
        "fingerprint carries a hash function name and the digest as uppercase hex byte pairs separated by colons.";
    DTLS_FINGERPRINT_HASH = "sdp.dtls.fingerprint-hash", Must, "RFC 8122 §5",
        "The fingerprint hash function is one RFC 8122 names (sha-1, sha-224, sha-256, sha-384, sha-512, md5, md2).";
    DTLS_FINGERPRINT_LENGTH = "sdp.dtls.fingerprint-length", Must, "RFC 8122 §5",
        "The fingerprint digest has the length of its hash function's output.";
    DTLS_FINGERPRINT_MISSING = "sdp.dtls.fingerprint-missing", Must, "RFC 8842 §5",
        "An accepted m= line of a DTLS transport has a fingerprint, its own or the session's.";
    DTLS_SETUP = "sdp.dtls.setup-value", Must, "RFC 4145 §4",
        "setup is active, passive, actpass or holdconn.";
    DTLS_SETUP_OFFER = "sdp.dtls.setup-offer", Must, "RFC 8842 §5.2",
        "An initial offer's setup is actpass, leaving the role to the answerer.";
    DTLS_SETUP_ANSWER = "sdp.dtls.setup-answer", Must, "RFC 8842 §5.3",
        "The answer's setup role is one the offer allows: active or passive to actpass, passive to active, active to passive; never actpass.";
    GROUP_SYNTAX = "sdp.group.syntax", Must, "RFC 5888 §5",
        "group carries a semantics token followed by identification tags.";
    MID_DUPLICATE = "sdp.mid.duplicate", Must, "RFC 5888 §4",
        "The mid of every media description is unique within the session description.";
    BUNDLE_MID_UNKNOWN = "sdp.bundle.mid-unknown", Must, "RFC 9143 §7.1 / RFC 5888 §5",
        "Every identification tag of a group names a media description's mid.";
    EXTMAP_SYNTAX = "sdp.extmap.syntax", Must, "RFC 8285 §5",
        "extmap carries an id (1-255, or 4096-4351 in offers), an optional direction, a URI and optional attributes.";
    EXTMAP_DUPLICATE = "sdp.extmap.duplicate-id", Must, "RFC 8285 §5",
        "One extmap id maps one extension URI in a media description.";
    SSRC_SYNTAX = "sdp.ssrc.syntax", Must, "RFC 5576 §4.1",
        "ssrc carries a 32-bit decimal SSRC and an attribute name, with an optional colon and value.";
    SSRC_GROUP_SYNTAX = "sdp.ssrc-group.syntax", Must, "RFC 5576 §4.2",
        "ssrc-group carries a semantics token and one or more 32-bit decimal SSRCs.";
    MSID_SYNTAX = "sdp.msid.syntax", Must, "RFC 8830 §2",
        "msid carries an identifier of 1 to 64 token characters and an optional application data token.";
    RID_SYNTAX = "sdp.rid.syntax", Must, "RFC 8851 §10",
        "rid carries an identifier of letters, digits, `-` and `_`, a direction (send or recv) and optional restrictions.";
    SIMULCAST_SYNTAX = "sdp.simulcast.syntax", Must, "RFC 8853 §5.1",
        "simulcast carries send and/or recv, each once, with ;-separated alternatives of ,-separated rid ids (each optionally ~paused).";
    SIMULCAST_RID_UNKNOWN = "sdp.simulcast.rid-unknown", Must, "RFC 8853 §5.1",
        "Every rid id a simulcast attribute names is defined by an a=rid of the same media description and direction.";
    RTSP_RANGE = "sdp.rtsp.range-syntax", Must, "RFC 7826 §22.15 / RFC 2326 C.1.5",
        "range is npt=, clock= or smpte(-30-drop|-25)= followed by a range.";
    GB_SSRC = "sdp.gb28181.y-syntax", Must, "GB/T 28181-2016 Annex F",
        "The y= line is 10 decimal digits: a realtime (0) or history (1) flag, then the SSRC digits.";
    GB_FORMAT = "sdp.gb28181.f-syntax", Must, "GB/T 28181-2016 Annex F",
        "The f= line is v/ with five /-separated video fields then a/ with three audio fields, each empty or decimal.";
    OA_M_LINE_COUNT = "sdp.offer-answer.m-line-count", Must, "RFC 3264 §6",
        "An answer has as many m= lines as its offer.";
    OA_MEDIA_TYPE = "sdp.offer-answer.media-type", Must, "RFC 3264 §6",
        "Each m= line of an answer has the media type of the offer's m= line at the same position.";
    OA_PAYLOAD_TYPE = "sdp.offer-answer.payload-type", Must, "RFC 8829 §5.3.1 / RFC 3264 §6.1",
        "An accepted m= line of an answer lists only formats the offer's m= line listed.";
    OA_MID = "sdp.offer-answer.mid", Must, "RFC 5888 §9.1 / RFC 8829 §5.3.1",
        "Each m= line of an answer carries the mid of the offer's m= line at the same position.";
    OA_BUNDLE_SUBSET = "sdp.offer-answer.bundle-subset", Must, "RFC 9143 §7.3",
        "A BUNDLE group in an answer names only mids that one BUNDLE group of the offer names.";
    OA_BUNDLE_TAG = "sdp.offer-answer.bundle-tag", Must, "RFC 9143 §7.3.1",
        "The first mid of an answer's BUNDLE group (its tag) names an m= line the answer accepts.";
    OA_RTCP_MUX = "sdp.offer-answer.rtcp-mux", Must, "RFC 5761 §5.1.1",
        "An answer has rtcp-mux on an m= line only if the offer had it there.";
    OA_DIRECTION = "sdp.offer-answer.direction", Must, "RFC 3264 §6.1",
        "The answer's direction fits the offer's: sendonly answers recvonly or inactive, recvonly answers sendonly or inactive, inactive answers inactive.";
    FRAGMENT_LINE = "sdp.fragment.line", Must, "RFC 8840 §9",
        "A trickle ICE fragment holds only attribute lines and the m= lines that open media sections.";
    FRAGMENT_CREDENTIALS = "sdp.fragment.credentials", Must, "RFC 9725 §4.4.2",
        "A fragment that restarts ICE carries both the new ice-ufrag and the new ice-pwd.";
}
