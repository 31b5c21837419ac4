//! The application-defined packet (RFC 3550 §6.7): a subtype in the count field, an SSRC/CSRC,
//! a four-character ASCII name and application data in whole 32-bit words.

use super::header::APP;
use super::packet::Body;
use crate::Error;
use crate::rules::{RTCP_APP_LENGTH, RTCP_APP_NAME};
use bytes::Bytes;
use weir_media::{Reader, Violation};

/// One APP packet.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct App {
    /// The 5-bit subtype, the application's own.
    pub subtype: u8,
    /// The SSRC or CSRC sending it.
    pub ssrc: u32,
    /// The application's four-character name (case matters).
    pub name: [u8; 4],
    /// The application-dependent data (whole 32-bit words).
    pub data: Bytes,
}

impl App {
    /// Parses the body after the header, with `subtype` from the count field; offsets are
    /// within `body`.
    pub(crate) fn parse(
        subtype: u8,
        body: &Bytes,
        violations: &mut Vec<Violation>,
    ) -> Result<Self, Error> {
        let mut r = Reader::of(body, &RTCP_APP_LENGTH);
        let ssrc = r.u32("SSRC/CSRC")?;
        let name: [u8; 4] = r.array("name")?;
        if !name.iter().all(|b| b.is_ascii_graphic() || *b == b' ') {
            violations.push(Violation::new(
                &RTCP_APP_NAME,
                4,
                format!("name {name:02x?} is not four printable ASCII characters"),
            ));
        }
        Ok(App {
            subtype,
            ssrc,
            name,
            data: r.view_rest(),
        })
    }
}

impl Body for App {
    fn count(&self) -> Result<u8, Error> {
        if self.subtype > 31 {
            return Err(Error::usage(format!(
                "APP subtype {} does not fit 5 bits",
                self.subtype
            )));
        }
        Ok(self.subtype)
    }

    fn packet_type(&self) -> u8 {
        APP
    }

    fn write_body(&self, out: &mut Vec<u8>) -> Result<(), Error> {
        out.extend_from_slice(&self.ssrc.to_be_bytes());
        out.extend_from_slice(&self.name);
        out.extend_from_slice(&self.data);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_app_packet_keeps_its_name_and_data() {
        let app = App {
            subtype: 3,
            ssrc: 9,
            name: *b"weir",
            data: Bytes::from_static(&[1, 2, 3, 4]),
        };
        let mut body = Vec::new();
        app.write_body(&mut body).unwrap();
        let mut v = Vec::new();
        assert_eq!(App::parse(3, &Bytes::from(body), &mut v), Ok(app));
        assert_eq!(v, []);
    }

    #[test]
    fn a_short_body_or_an_odd_name_is_reported() {
        let mut v = Vec::new();
        let e = App::parse(0, &Bytes::from_static(&[0, 0, 0, 1]), &mut v).unwrap_err();
        assert_eq!((e.rule_id(), e.offset), ("rtp.rtcp.app-length", 4));
        App::parse(
            0,
            &Bytes::from_static(&[0, 0, 0, 1, b'a', 0, b'c', b'd']),
            &mut v,
        )
        .unwrap();
        assert_eq!((v[0].rule.id, v[0].offset), ("rtp.rtcp.app-name", 4));
    }
}
