//! The AMF rule catalog: everything the AMF0 and AMF3 decoders check.
//!
//! Spec references: "AMF0" is Adobe's "Action Message Format -- AMF 0" (2007); "AMF3" is
//! Adobe's "Action Message Format -- AMF 3" (2013 edition). Limits that are not in the specs
//! (depth, items per container) are the receiver's own bounds against hostile input.

weir_media::rules! {
    MARKER_UNKNOWN = "amf0.marker.unknown", Must, "AMF0 §2.1",
        "Every AMF0 value starts with one of the type markers 0x00-0x11.";
    MARKER_RESERVED = "amf0.marker.reserved", Must, "AMF0 §2.6, §2.15",
        "The movieclip (0x04) and recordset (0x0E) markers are reserved and are not sent.";
    STRING_UTF8 = "amf0.string.utf8", Must, "AMF0 §1.3",
        "Strings, long strings, XML documents, property names and class names are UTF-8; a byte sequence that is not valid UTF-8 is rejected rather than repaired.";
    LENGTH_TRUNCATED = "amf0.length.truncated", Must, "AMF0 §2.1",
        "A value is complete: every fixed field and every length-prefixed string or container is present in full within the message.";
    NESTING_DEPTH = "amf0.nesting.depth", Must, "AMF0 §2.1 (receiver limit)",
        "Objects and arrays (AMF0 and AMF3 alike) nest no deeper than the receiver's depth limit.";
    OBJECT_END = "amf0.object.end", Must, "AMF0 §2.11",
        "The object-end marker 0x09 appears only after an empty property name, closing an object, ECMA array or typed object.";
    REFERENCE_RANGE = "amf0.reference.range", Must, "AMF0 §2.9",
        "A reference index points to a complex value (object, typed object, ECMA array, strict array) that began earlier in the same message.";
    CONTAINER_ITEMS = "amf0.container.items", Must, "AMF0 §2.10, §2.12 (receiver limit)",
        "An object, ECMA array or strict array holds (and, for arrays, announces) no more items than the receiver's per-container limit.";

    AMF3_MARKER_UNKNOWN = "amf3.marker.unknown", Must, "AMF3 §3.1",
        "Every AMF3 value starts with one of the type markers 0x00-0x11.";
    AMF3_STRING_UTF8 = "amf3.string.utf8", Must, "AMF3 §1.3.1",
        "AMF3 strings, XML, class names and member names are UTF-8; invalid UTF-8 is rejected rather than repaired.";
    AMF3_LENGTH_TRUNCATED = "amf3.length.truncated", Must, "AMF3 §1.3",
        "An AMF3 value is complete: every U29, double and length-prefixed body is present in full within the message.";
    AMF3_STRING_REFERENCE = "amf3.reference.string", Must, "AMF3 §1.3.3, §3.8",
        "A string reference points to a non-empty string sent earlier in the same message.";
    AMF3_OBJECT_REFERENCE = "amf3.reference.object", Must, "AMF3 §3.1, §2.2",
        "An object reference points to a complex value sent earlier in the same message with the same type marker.";
    AMF3_TRAIT_REFERENCE = "amf3.reference.traits", Must, "AMF3 §3.12",
        "A traits reference points to traits sent earlier in the same message.";
    AMF3_REFERENCE_BUDGET = "amf3.reference.budget", Must, "AMF3 §1.3.3 (receiver limit)",
        "Strings and traits copied out of the reference tables stay within a budget proportional to the message size, so that references cannot amplify memory use.";
    AMF3_EXTERNALIZABLE = "amf3.object.externalizable", Should, "AMF3 §3.12",
        "Externalizable objects carry a class-defined body that a generic decoder cannot delimit; they are rejected, but for Flex's ArrayCollection, ArrayList and ObjectProxy, whose body is one AMF3 value.";
    AMF3_CONTAINER_ITEMS = "amf3.container.items", Must, "AMF3 §3.11-3.12, §3.15-3.16 (receiver limit)",
        "An AMF3 array, object, vector or dictionary holds (and announces) no more items than the receiver's per-container limit.";
}
