//! Alerts (RFC 5246 §7.2, RFC 8446 §6): a level and a description, readable in epoch 0.
//!
//! ```text
//! level (8: 1 warning, 2 fatal) | description (8)
//! ```

use crate::rules;
use weir_media::{Error, Reader};

/// One alert.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Alert {
    /// 1 (warning) or 2 (fatal).
    pub level: u8,
    /// What happened (e.g. 0 close_notify, 10 unexpected_message, 40 handshake_failure).
    pub description: u8,
}

impl Alert {
    /// Reads an alert record's fragment; anything but two bytes with level 1 or 2 is
    /// `dtls.alert.syntax`.
    pub fn parse(fragment: &[u8]) -> Result<Alert, Error> {
        let mut r = Reader::new(fragment, &rules::ALERT_SYNTAX);
        let level = r.u8("alert level")?;
        let description = r.u8("alert description")?;
        if !r.is_empty() {
            return Err(r.error(format!("an alert of {} bytes", fragment.len())));
        }
        if !matches!(level, 1 | 2) {
            return Err(r.error_at(0, format!("alert level {level}")));
        }
        Ok(Alert { level, description })
    }

    /// The description's name.
    pub fn description_name(&self) -> &'static str {
        match self.description {
            0 => "close_notify",
            10 => "unexpected_message",
            20 => "bad_record_mac",
            22 => "record_overflow",
            40 => "handshake_failure",
            42 => "bad_certificate",
            43 => "unsupported_certificate",
            46 => "certificate_unknown",
            47 => "illegal_parameter",
            50 => "decode_error",
            51 => "decrypt_error",
            70 => "protocol_version",
            71 => "insufficient_security",
            80 => "internal_error",
            90 => "user_canceled",
            109 => "missing_extension",
            110 => "unsupported_extension",
            _ => "unknown",
        }
    }
}
