//! Connection data (RFC 8866 §5.7, `c=`), also the address part of `o=` and `a=rtcp`.

use crate::text::{fields, is_token};
use std::fmt;

/// `<nettype> <addrtype> <connection-address>`: where media goes (RFC 8866 §5.7).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Connection {
    /// Network type, `IN` for the Internet.
    pub net_type: String,
    /// Address type, `IP4` or `IP6`.
    pub addr_type: String,
    /// The address as written, with any `/ttl` and `/count` suffixes of multicast.
    pub address: String,
}

impl Connection {
    /// Parses three fields; `None` if the count or a token is wrong.
    pub(crate) fn parse(value: &str) -> Option<Connection> {
        match fields(value)?.as_slice() {
            [net, addr_type, address] if is_token(net) && is_token(addr_type) => Some(Connection {
                net_type: net.to_string(),
                addr_type: addr_type.to_string(),
                address: address.to_string(),
            }),
            _ => None,
        }
    }

    /// The address without multicast `/ttl` or `/count` suffixes.
    pub fn host(&self) -> &str {
        self.address.split('/').next().unwrap_or("")
    }
}

impl fmt::Display for Connection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {} {}", self.net_type, self.addr_type, self.address)
    }
}
