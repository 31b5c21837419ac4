//! UDP headers (RFC 768); the checksum is not verified.

use bytes::Bytes;

use super::{Header, Unopened};

/// One UDP datagram.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Datagram {
    pub src_port: u16,
    pub dst_port: u16,
    pub payload: Bytes,
}

impl Datagram {
    /// Parses the 8-byte header; the payload is what its length field announces (a length of
    /// 0, as in IPv6 jumbograms, or one past the captured bytes is reported).
    pub fn parse(data: &Bytes) -> Result<Datagram, Unopened> {
        let mut h = Header::new(data, "UDP header");
        h.need(8)?;
        let src_port = h.u16()?;
        let dst_port = h.u16()?;
        let len = usize::from(h.u16()?);
        if len < 8 {
            return Err(Unopened::Malformed {
                layer: "UDP header",
                detail: format!("length {len}, under 8"),
            });
        }
        // The checksum, then the payload the length counts.
        h.skip(2)?;
        h.set_layer("UDP datagram");
        h.need(len - 8)?;
        Ok(Datagram {
            src_port,
            dst_port,
            payload: data.slice(8..len),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_and_bounds() {
        let d = Datagram::parse(&Bytes::from_static(&[
            0x08, 0x68, 0x08, 0x68, 0, 10, 0, 0, 1, 2, 9,
        ]))
        .unwrap();
        assert_eq!((d.src_port, d.dst_port), (2152, 2152));
        assert_eq!(d.payload.as_ref(), &[1, 2]);
        assert!(Datagram::parse(&Bytes::from_static(&[0, 1, 0, 2, 0, 4, 0, 0])).is_err());
        assert!(Datagram::parse(&Bytes::from_static(&[0, 1, 0, 2, 0, 20, 0, 0])).is_err());
    }
}
