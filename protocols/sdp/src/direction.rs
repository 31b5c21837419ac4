//! Media direction attributes (RFC 8866 §6.7): sendrecv, sendonly, recvonly, inactive.

use std::fmt;

/// Which way media flows, from the point of view of the description's author
/// (RFC 8866 §6.7.1-§6.7.4). Without any attribute, a session is `SendRecv`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Direction {
    /// `sendrecv`: both ways (the default).
    #[default]
    SendRecv,
    /// `sendonly`: the author only sends.
    SendOnly,
    /// `recvonly`: the author only receives.
    RecvOnly,
    /// `inactive`: no media either way.
    Inactive,
}

impl Direction {
    /// The direction named by an attribute name, if it is one of the four.
    pub fn from_name(name: &str) -> Option<Direction> {
        Some(match name {
            "sendrecv" => Direction::SendRecv,
            "sendonly" => Direction::SendOnly,
            "recvonly" => Direction::RecvOnly,
            "inactive" => Direction::Inactive,
            _ => return None,
        })
    }

    /// The attribute name.
    pub fn name(self) -> &'static str {
        match self {
            Direction::SendRecv => "sendrecv",
            Direction::SendOnly => "sendonly",
            Direction::RecvOnly => "recvonly",
            Direction::Inactive => "inactive",
        }
    }

    /// Whether the author sends media.
    pub fn sends(self) -> bool {
        matches!(self, Direction::SendRecv | Direction::SendOnly)
    }

    /// Whether the author receives media.
    pub fn receives(self) -> bool {
        matches!(self, Direction::SendRecv | Direction::RecvOnly)
    }

    /// Whether an answer with direction `answer` fits an offer with this direction
    /// (RFC 3264 §6.1): the answer sends only if the offer receives, and receives only if
    /// the offer sends.
    pub fn allows_answer(self, answer: Direction) -> bool {
        (!answer.sends() || self.receives()) && (!answer.receives() || self.sends())
    }
}

impl fmt::Display for Direction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}
