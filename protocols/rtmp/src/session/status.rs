//! NetConnection and NetStream status objects (RTMP 1.0 §7.2.1.1, §7.2.2) with the codes and
//! descriptions FMS established and SRS, nginx-rtmp and every client follow.

use weir_amf0::Value;

/// `level` of a status object.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StatusLevel {
    Status,
    Error,
    Warning,
}

impl StatusLevel {
    pub fn as_str(self) -> &'static str {
        match self {
            StatusLevel::Status => "status",
            StatusLevel::Error => "error",
            StatusLevel::Warning => "warning",
        }
    }
}

/// The status codes Weir sends, with their level.
pub mod code {
    use super::StatusLevel::{self, *};

    pub const CONNECT_SUCCESS: (StatusLevel, &str) = (Status, "NetConnection.Connect.Success");
    pub const CONNECT_REJECTED: (StatusLevel, &str) = (Error, "NetConnection.Connect.Rejected");
    pub const CALL_FAILED: (StatusLevel, &str) = (Error, "NetConnection.Call.Failed");
    pub const PUBLISH_START: (StatusLevel, &str) = (Status, "NetStream.Publish.Start");
    pub const PUBLISH_BAD_NAME: (StatusLevel, &str) = (Error, "NetStream.Publish.BadName");
    pub const PUBLISH_DENIED: (StatusLevel, &str) = (Error, "NetStream.Publish.Denied");
    pub const UNPUBLISH_SUCCESS: (StatusLevel, &str) = (Status, "NetStream.Unpublish.Success");
    pub const PLAY_RESET: (StatusLevel, &str) = (Status, "NetStream.Play.Reset");
    pub const PLAY_START: (StatusLevel, &str) = (Status, "NetStream.Play.Start");
    pub const PLAY_STOP: (StatusLevel, &str) = (Status, "NetStream.Play.Stop");
    pub const PLAY_FAILED: (StatusLevel, &str) = (Error, "NetStream.Play.Failed");
    pub const PLAY_STREAM_NOT_FOUND: (StatusLevel, &str) = (Error, "NetStream.Play.StreamNotFound");
    pub const PLAY_PUBLISH_NOTIFY: (StatusLevel, &str) = (Status, "NetStream.Play.PublishNotify");
    pub const PLAY_UNPUBLISH_NOTIFY: (StatusLevel, &str) =
        (Status, "NetStream.Play.UnpublishNotify");
    pub const DATA_START: (StatusLevel, &str) = (Status, "NetStream.Data.Start");
    pub const PAUSE_NOTIFY: (StatusLevel, &str) = (Status, "NetStream.Pause.Notify");
    pub const UNPAUSE_NOTIFY: (StatusLevel, &str) = (Status, "NetStream.Unpause.Notify");
}

/// A status information object: `{level, code, description, ...extra}`.
pub fn info(
    (level, code): (StatusLevel, &str),
    description: &str,
    extra: impl IntoIterator<Item = (&'static str, Value)>,
) -> Value {
    let mut props = vec![
        ("level", Value::string(level.as_str())),
        ("code", Value::string(code)),
        ("description", Value::string(description)),
    ];
    props.extend(extra);
    Value::object(props)
}

/// The parts of a received status object a client acts on.
#[derive(Debug, Clone, PartialEq)]
pub struct Status {
    pub level: String,
    pub code: String,
    pub description: String,
    /// The whole object, for anything else it carries.
    pub info: Value,
}

impl Status {
    /// Reads a status object; absent fields become empty strings (peers omit description).
    pub fn from_value(info: &Value) -> Status {
        let field = |k: &str| {
            info.get(k)
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_owned()
        };
        Status {
            level: field("level"),
            code: field("code"),
            description: field("description"),
            info: info.clone(),
        }
    }

    pub fn is_error(&self) -> bool {
        self.level == "error"
    }
}
