//! The HTTP/1.x rule catalog (DESIGN.md, "Rules and violations"): what the
//! [`MessageReader`](crate::MessageReader) finds wrong in the messages of one direction of a
//! connection. Spec references are to RFC 9112 (HTTP/1.1) and, for field semantics, RFC 9110;
//! "receiver limit" marks bounds this reader sets so that hostile input cannot cost unbounded
//! memory.

weir_media::rules! {
    START_LINE = "http.message.start-line", Must, "RFC 9112 §2.3, §3, §4",
        "A request starts with method SP request-target SP HTTP-version CRLF, a response with HTTP-version SP three-digit status-code SP reason-phrase CRLF; the version is HTTP/1.0 or HTTP/1.1.";
    FIELD_LINE = "http.message.field-line", Must, "RFC 9112 §5, §5.1, §5.2",
        "Each field line is a token field name, a colon with no whitespace before it and a field value without control characters, ended by CRLF; no obsolete line folding.";
    LIMITS = "http.message.limits", Must, "RFC 9112 §3, §5, §7.1 (receiver limit)",
        "A message head or trailer section stays within 64 KiB and 128 field lines, and a chunk size line within 4 KiB: the reader's limits.";
    HOST = "http.request.host", Must, "RFC 9112 §3.2",
        "Every HTTP/1.1 request carries exactly one Host header field.";
    CONTENT_LENGTH = "http.framing.content-length", Must, "RFC 9112 §6.3; RFC 9110 §8.6",
        "Content-Length is a decimal number of octets; repeated, it carries the same number each time.";
    TRANSFER_ENCODING = "http.framing.transfer-encoding", Must, "RFC 9112 §6.1, §6.3",
        "chunked is applied at most once and is the final transfer coding of a request (otherwise its length cannot be known).";
    BOTH_LENGTHS = "http.framing.content-length-with-transfer-encoding", Must, "RFC 9112 §6.2",
        "A message with Transfer-Encoding carries no Content-Length.";
    CHUNK_SIZE = "http.chunked.size-line", Must, "RFC 9112 §7.1, §7.1.1",
        "Each chunk starts with its size in hexadecimal digits (fitting 64 bits), then optional chunk extensions (';' name[=value]), then CRLF.";
    CHUNK_DATA_END = "http.chunked.data-crlf", Must, "RFC 9112 §7.1",
        "The data of every chunk is followed by CRLF.";
}
