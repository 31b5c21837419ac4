//! GTP-U (3GPP TS 29.281 §5): the user-plane tunnel of mobile networks, on UDP port 2152.
//!
//! A G-PDU (message type 255) carries one user IP packet after an 8-byte header, 4 more
//! bytes when any of the E, S or PN flags is set, and a chain of extension headers when E is.
//! The harness opens it so that a stream recorded inside an operator's network is seen as the
//! user's own flow.

use bytes::Bytes;

use super::{Header, Unopened};

/// The registered GTP-U port (TS 29.281 §4.4.2.3).
pub const PORT: u16 = 2152;
const G_PDU: u8 = 255;
/// Extension headers followed in one message before it is called malformed.
const MAX_EXTENSIONS: usize = 16;

/// The user IP packet inside a GTP-U message.
pub fn inner_packet(data: &Bytes) -> Result<Bytes, Unopened> {
    let mut h = Header::new(data, "GTP-U header");
    h.need(8)?;
    let flags = h.u8()?;
    if flags >> 5 != 1 || flags & 0x10 == 0 {
        return Err(Unopened::Encapsulation("GTP' or GTPv2 (not GTP-U v1)"));
    }
    let message_type = h.u8()?;
    if message_type != G_PDU {
        return Err(Unopened::Malformed {
            layer: "GTP-U",
            detail: format!("message type {message_type} is signalling, not a user packet"),
        });
    }
    // The length counts the bytes after the mandatory 8-byte header: the TEID and on.
    let length = usize::from(h.u16()?);
    let end = 8 + length;
    h.set_layer("GTP-U message");
    // From here (byte 4): the TEID, then the `length` bytes after the 8-byte header.
    h.need(4 + length)?;
    h.skip(4)?;
    if flags & 0x07 != 0 {
        // Sequence number and N-PDU number, then the first extension header's type.
        h.set_layer("GTP-U optional fields");
        h.need(4)?;
        h.skip(3)?;
        let mut next = h.u8()?;
        if flags & 0x04 != 0 {
            h.set_layer("GTP-U extension header");
            let mut count = 0;
            while next != 0 {
                count += 1;
                if count > MAX_EXTENSIONS {
                    return Err(Unopened::Malformed {
                        layer: "GTP-U",
                        detail: format!("more than {MAX_EXTENSIONS} extension headers"),
                    });
                }
                // Its length in 4-byte words, its content, the next header's type last.
                let len = usize::from(h.u8()?) * 4;
                if len == 0 {
                    return Err(Unopened::Malformed {
                        layer: "GTP-U",
                        detail: "extension header of length 0".into(),
                    });
                }
                h.need(len - 1)?;
                h.skip(len - 2)?;
                next = h.u8()?;
            }
        }
    }
    let at = h.position();
    if at > end {
        return Err(Unopened::Malformed {
            layer: "GTP-U",
            detail: format!("headers end at byte {at}, past the message length {end}"),
        });
    }
    Ok(data.slice(at..end))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_message_shorter_than_its_length_is_truncated_not_a_panic() {
        // Length 8 announced, 4 bytes after the header captured (found by the capture_reader
        // fuzz target).
        let short = Bytes::from_static(&[0x30, 0xff, 0, 8, 0, 0, 0, 1, 0x45, 0, 0, 20]);
        assert!(matches!(
            inner_packet(&short),
            Err(Unopened::Truncated { .. })
        ));
    }

    #[test]
    fn plain_and_extended_headers() {
        let inner = [0x45u8, 0, 0, 20];
        let mut plain = vec![0x30, 0xff, 0, 4, 0, 0, 0, 1];
        plain.extend_from_slice(&inner);
        assert_eq!(inner_packet(&Bytes::from(plain)).unwrap().as_ref(), &inner);
        // E flag, one PDU session container extension (4 bytes), then the packet.
        let mut ext = vec![0x34, 0xff, 0, 12, 0, 0, 0, 1, 0, 0, 0, 0x85, 1, 0x10, 9, 0];
        ext.extend_from_slice(&inner);
        assert_eq!(inner_packet(&Bytes::from(ext)).unwrap().as_ref(), &inner);
    }

    #[test]
    fn signalling_and_bad_lengths() {
        let echo = Bytes::from_static(&[0x32, 1, 0, 4, 0, 0, 0, 0, 0, 1, 0, 0]);
        assert!(matches!(
            inner_packet(&echo),
            Err(Unopened::Malformed { .. })
        ));
        let long = Bytes::from_static(&[0x30, 0xff, 0, 40, 0, 0, 0, 1, 0x45]);
        assert!(matches!(
            inner_packet(&long),
            Err(Unopened::Truncated { .. })
        ));
        let zero_ext =
            Bytes::from_static(&[0x34, 0xff, 0, 8, 0, 0, 0, 1, 0, 0, 0, 0x85, 0, 0, 0, 0]);
        assert!(inner_packet(&zero_ext).is_err());
    }
}
