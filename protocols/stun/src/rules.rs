//! The STUN rule catalog: everything the message parser, the integrity and fingerprint checks,
//! the ICE checks and the transaction matcher report.
//!
//! "RFC 8489" is STUN; "RFC 8445" is ICE (its STUN usage in §7 and attributes in §16.1);
//! "RFC 3489" is classic STUN, whose messages have no magic cookie.

weir_media::rules! {
    HEADER_ZERO_BITS = "stun.header.zero-bits", Must, "RFC 8489 §5",
        "The two most significant bits of a STUN message are zero; a datagram whose first byte is 4 or more is not STUN.";
    HEADER_LENGTH = "stun.header.length", Must, "RFC 8489 §5",
        "A message is a 20-byte header followed by exactly the number of attribute bytes its length field gives, a multiple of 4.";
    HEADER_MAGIC_COOKIE = "stun.header.magic-cookie", Must, "RFC 8489 §5, §12",
        "Bytes 4 to 7 of a message are the magic cookie 0x2112A442; a message without it is a classic RFC 3489 message.";
    HEADER_METHOD = "stun.header.method", Should, "RFC 8489 §18.2, RFC 8656 §17",
        "A message uses a method registered for STUN or its usages: Binding, or TURN's Allocate, Refresh, Send, Data, CreatePermission, ChannelBind and the TCP allocation methods.";

    ATTRIBUTE_TRUNCATED = "stun.attribute.truncated", Must, "RFC 8489 §14",
        "Each attribute's 4-byte header and value of the announced length lie within the message.";
    ATTRIBUTE_PADDING = "stun.attribute.padding", Must, "RFC 8489 §14",
        "Each attribute value is followed by padding to the next multiple of 4 bytes, counted in the message length but not in the attribute length.";
    ATTRIBUTE_LENGTH = "stun.attribute.value", Must, "RFC 8489 §14.1-§14.16, RFC 8445 §16.1",
        "An attribute's value has the size and syntax its type defines (PRIORITY 4 bytes, ICE-CONTROLLING 8, USE-CANDIDATE empty, MESSAGE-INTEGRITY 20, FINGERPRINT 4, text in UTF-8, ...).";
    ATTRIBUTE_UNKNOWN_REQUIRED = "stun.attribute.unknown-comprehension-required", Should, "RFC 8489 §14, §6.3.1",
        "A message carries comprehension-required attributes (types 0x0000-0x7FFF) only of registered types, since a receiver rejects a request or discards a response with one it does not understand.";
    ADDRESS_FAMILY = "stun.address.family", Must, "RFC 8489 §14.1, §14.2",
        "An address attribute's family is 0x01 with a 4-byte IPv4 address or 0x02 with a 16-byte IPv6 address.";
    USERNAME_LENGTH = "stun.username.length", Must, "RFC 8489 §14.3",
        "USERNAME is UTF-8 of fewer than 509 bytes.";
    TEXT_LENGTH = "stun.text.length", Must, "RFC 8489 §14.8, §14.9, §14.10, §14.14",
        "REALM, NONCE, SOFTWARE and an error reason phrase are UTF-8 of fewer than 128 characters (763 bytes at most).";
    ERROR_CODE_RANGE = "stun.error-code.range", Must, "RFC 8489 §14.8",
        "ERROR-CODE's class is 3 to 6 and its number 0 to 99, so the code is 300 to 699.";
    ERROR_RESPONSE_CODE = "stun.error-code.present", Must, "RFC 8489 §6.3.1.1, §14.8, §14.9",
        "An error response carries ERROR-CODE, and a 420 response lists the attributes it did not understand in UNKNOWN-ATTRIBUTES.";

    INTEGRITY_POSITION = "stun.integrity.position", Must, "RFC 8489 §14.5, §14.6",
        "Only MESSAGE-INTEGRITY-SHA256 and FINGERPRINT follow MESSAGE-INTEGRITY, and only FINGERPRINT follows MESSAGE-INTEGRITY-SHA256: anything else is not covered and is ignored.";
    INTEGRITY_VALUE = "stun.integrity.value", Must, "RFC 8489 §9.1.3, §9.2.4, §14.5, §14.6",
        "MESSAGE-INTEGRITY (HMAC-SHA1) and MESSAGE-INTEGRITY-SHA256 (HMAC-SHA256) are computed with the credentials' key over the message up to the attribute, with the length field counting up to and including it.";
    FINGERPRINT_LAST = "stun.fingerprint.last", Must, "RFC 8489 §14.7",
        "FINGERPRINT, when present, is the last attribute of the message.";
    FINGERPRINT_VALUE = "stun.fingerprint.value", Must, "RFC 8489 §14.7",
        "FINGERPRINT is the CRC-32 of the message up to it (with the length field counting it) XOR 0x5354554E.";

    ICE_PRIORITY = "stun.ice.priority", Must, "RFC 8445 §7.1.1",
        "An ICE connectivity check (a Binding request) carries PRIORITY.";
    ICE_ROLE = "stun.ice.role", Must, "RFC 8445 §7.1.3",
        "An ICE connectivity check carries exactly one of ICE-CONTROLLED and ICE-CONTROLLING.";
    ICE_USE_CANDIDATE = "stun.ice.use-candidate", Must, "RFC 8445 §7.1.2",
        "Only the controlling agent sends USE-CANDIDATE: a check with USE-CANDIDATE carries ICE-CONTROLLING, not ICE-CONTROLLED.";
    ICE_CREDENTIALS = "stun.ice.credentials", Must, "RFC 8445 §7.2.2, RFC 8489 §9.1",
        "An ICE connectivity check uses short-term credentials: it carries USERNAME (remote:local fragments) and MESSAGE-INTEGRITY.";

    TRANSACTION_MATCH = "stun.transaction.match", Must, "RFC 8489 §6.3",
        "A response carries the transaction id and method of a request its receiver sent.";
}
