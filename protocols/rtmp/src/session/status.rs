//! NetConnection and NetStream status objects (RTMP 1.0 §7.2.1.1, §7.2.2) with the codes and
//! descriptions FMS established and SRS, nginx-rtmp and every client follow.

use weir_amf0::Value;

/// `level` of a status object.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StatusLevel {
    /// `status`: the operation went as asked.
    Status,
    /// `error`: the operation failed.
    Error,
    /// `warning`: something to know that is not a failure.
    Warning,
}

impl StatusLevel {
    /// The `level` string of the status object.
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

    /// The server accepted connect (in `_result`).
    pub const CONNECT_SUCCESS: (StatusLevel, &str) = (Status, "NetConnection.Connect.Success");
    /// The server refused connect (in `_error`).
    pub const CONNECT_REJECTED: (StatusLevel, &str) = (Error, "NetConnection.Connect.Rejected");
    /// A call failed: an unknown method, or no more streams to create.
    pub const CALL_FAILED: (StatusLevel, &str) = (Error, "NetConnection.Call.Failed");
    /// Publishing started: media may flow.
    pub const PUBLISH_START: (StatusLevel, &str) = (Status, "NetStream.Publish.Start");
    /// Publishing refused because the stream is already published.
    pub const PUBLISH_BAD_NAME: (StatusLevel, &str) = (Error, "NetStream.Publish.BadName");
    /// Publishing refused for any other reason.
    pub const PUBLISH_DENIED: (StatusLevel, &str) = (Error, "NetStream.Publish.Denied");
    /// Publishing stopped (in onFCUnpublish, answering FCUnpublish).
    pub const UNPUBLISH_SUCCESS: (StatusLevel, &str) = (Status, "NetStream.Unpublish.Success");
    /// Play with the reset flag: sent before Play.Start.
    pub const PLAY_RESET: (StatusLevel, &str) = (Status, "NetStream.Play.Reset");
    /// Playback started.
    pub const PLAY_START: (StatusLevel, &str) = (Status, "NetStream.Play.Start");
    /// Playback stopped.
    pub const PLAY_STOP: (StatusLevel, &str) = (Status, "NetStream.Play.Stop");
    /// Playback refused for a reason other than a missing stream.
    pub const PLAY_FAILED: (StatusLevel, &str) = (Error, "NetStream.Play.Failed");
    /// Playback refused: no such stream.
    pub const PLAY_STREAM_NOT_FOUND: (StatusLevel, &str) = (Error, "NetStream.Play.StreamNotFound");
    /// To a player: the stream it plays is published (again).
    pub const PLAY_PUBLISH_NOTIFY: (StatusLevel, &str) = (Status, "NetStream.Play.PublishNotify");
    /// To a player: the stream it plays was unpublished.
    pub const PLAY_UNPUBLISH_NOTIFY: (StatusLevel, &str) =
        (Status, "NetStream.Play.UnpublishNotify");
    /// To a player, after Play.Start: data messages follow.
    pub const DATA_START: (StatusLevel, &str) = (Status, "NetStream.Data.Start");
    /// Playback paused.
    pub const PAUSE_NOTIFY: (StatusLevel, &str) = (Status, "NetStream.Pause.Notify");
    /// Playback resumed.
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
    /// `level`: `status`, `error` or `warning`.
    pub level: String,
    /// `code`, e.g. `NetStream.Publish.Start`.
    pub code: String,
    /// `description`: free text for people.
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

    /// Whether `level` is `error`.
    pub fn is_error(&self) -> bool {
        self.level == "error"
    }

    /// Where an RTMP 302 sends a player of `stream` (SRS's form: `ex.code` 302 with
    /// `ex.redirect2`, the stream's URL, or `ex.redirect`, a tcUrl the stream name is appended
    /// to), if this status is one.
    pub fn redirect(&self, stream: &str) -> Option<String> {
        let ex = self.info.get("ex")?;
        if ex.get("code").and_then(Value::as_f64) != Some(302.0) {
            return None;
        }
        let text = |k: &str| ex.get(k).and_then(Value::as_str).filter(|s| !s.is_empty());
        text("redirect2")
            .map(str::to_owned)
            .or_else(|| text("redirect").map(|tc_url| format!("{tc_url}/{stream}")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn redirect_status(ex: Value) -> Status {
        let info = Value::object([("level", Value::string("error")), ("ex", ex)]);
        Status::from_value(&info)
    }

    #[test]
    fn a_redirect_to_a_tc_url_keeps_the_stream() {
        let tc_url_only = redirect_status(Value::object([
            ("code", Value::Number(302.0)),
            ("redirect", Value::string("rtmp://10.0.0.2:19350/live")),
        ]));
        assert_eq!(
            tc_url_only.redirect("cam").as_deref(),
            Some("rtmp://10.0.0.2:19350/live/cam")
        );
        let with_stream = redirect_status(Value::object([
            ("code", Value::Number(302.0)),
            ("redirect", Value::string("rtmp://10.0.0.2/live")),
            ("redirect2", Value::string("rtmp://10.0.0.2/live/other")),
        ]));
        assert_eq!(
            with_stream.redirect("cam").as_deref(),
            Some("rtmp://10.0.0.2/live/other")
        );
    }
}
