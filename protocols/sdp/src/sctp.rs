//! SCTP over DTLS attributes (RFC 8841 §5 `sctp-port`, §6 `max-message-size`) of a data
//! channel's m= line.

use crate::rules;
use crate::text::{Problem, decimal, problem};

/// Parses `a=sctp-port:` (RFC 8841 §5): the SCTP port, 0-65535.
pub(crate) fn parse_port(value: &str) -> Result<u16, Problem> {
    decimal(value).ok_or_else(|| problem(&rules::SCTP_SYNTAX, format!("sctp-port {value:?}")))
}

/// Parses `a=max-message-size:` (RFC 8841 §6): the largest message in bytes, 0 for no limit.
pub(crate) fn parse_max_message_size(value: &str) -> Result<u64, Problem> {
    decimal(value)
        .ok_or_else(|| problem(&rules::SCTP_SYNTAX, format!("max-message-size {value:?}")))
}
