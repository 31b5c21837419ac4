//! UDP headers (RFC 768); the checksum is not verified.

use bytes::Bytes;

use super::{Unopened, be16, need};

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
        need(data, 0, 8, "UDP header")?;
        let len = usize::from(be16(data, 4));
        if len < 8 {
            return Err(Unopened::Malformed {
                layer: "UDP header",
                detail: format!("length {len}, under 8"),
            });
        }
        need(data, 0, len, "UDP datagram")?;
        Ok(Datagram {
            src_port: be16(data, 0),
            dst_port: be16(data, 2),
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
