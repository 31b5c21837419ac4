//! The captured client's side: its messages after the handshake, with the capture time each
//! was complete at, and how they are rewritten for another server (the application, tcUrl and
//! stream names of the target; the message stream ids the target creates).

use super::flows::Timed;
use std::collections::HashMap;
use std::time::Duration;
use weir_amf0::Value;
use weir_rtmp::chunk::{ChunkDecoder, ChunkLimits, RawMessage};
use weir_rtmp::message::{self, Command, Message};
use weir_rtmp::url::RtmpUrl as Target;

/// C0, C1 and C2: what the client sends before its first chunk.
const HANDSHAKE_LEN: usize = 1 + 1536 + 1536;

/// One message the captured client sent.
#[derive(Debug, Clone)]
pub struct Sent {
    /// When its last byte was captured.
    pub time: Duration,
    pub raw: RawMessage,
}

/// The client's messages, in order; the second value says why reading stopped early, if it
/// did (a gap in the capture, or bytes the chunk decoder could not read).
pub fn messages(timed: &Timed) -> (Vec<Sent>, Option<String>) {
    let mut decoder = ChunkDecoder::new(ChunkLimits::default(), HANDSHAKE_LEN as u64);
    let mut out = Vec::new();
    let mut skip = HANDSHAKE_LEN;
    let mut violations = Vec::new();
    for (time, piece) in &timed.pieces {
        let taken = skip.min(piece.len());
        skip -= taken;
        let rest = &piece[taken..];
        if rest.is_empty() {
            continue;
        }
        decoder.push(rest);
        loop {
            match decoder.next_message(&mut violations) {
                Ok(Some(raw)) => out.push(Sent { time: *time, raw }),
                Ok(None) => break,
                Err(e) => return (out, Some(format!("the client's chunk stream: {e}"))),
            }
        }
    }
    let stopped = timed
        .gap
        .map(|at| format!("the capture misses client bytes from offset {at}"));
    (out, stopped)
}

/// Commands whose first argument names a stream.
const NAMING: [&str; 9] = [
    "publish",
    "play",
    "play2",
    "releaseStream",
    "FCPublish",
    "FCUnpublish",
    "FCSubscribe",
    "FCUnsubscribe",
    "getStreamLength",
];

/// Rewrites the captured client's commands for the target: its application and tcUrl in
/// connect, its stream names (each distinct captured name becomes the target's name, or the
/// target's name with `-2`, `-3`... for further names), and message stream ids.
#[derive(Debug, Default)]
pub struct Rewrite {
    names: HashMap<String, String>,
}

impl Rewrite {
    /// The target name for a captured stream name (its query dropped; the target's kept).
    pub fn name(&mut self, target: &Target, captured: &str) -> String {
        let bare = captured.split('?').next().unwrap_or_default().to_owned();
        let n = self.names.len();
        self.names
            .entry(bare)
            .or_insert_with(|| {
                let (base, query) = match target.stream.split_once('?') {
                    Some((base, query)) => (base, Some(query)),
                    None => (target.stream.as_str(), None),
                };
                let base = if n == 0 {
                    base.to_owned()
                } else {
                    format!("{base}-{}", n + 1)
                };
                match query {
                    Some(query) => format!("{base}?{query}"),
                    None => base,
                }
            })
            .clone()
    }

    /// The command, changed for the target; `stream` maps a captured message stream id.
    pub fn command(
        &mut self,
        target: &Target,
        mut command: Command,
        stream: impl Fn(u32) -> u32,
    ) -> Command {
        match command.name.as_str() {
            "connect" => {
                let set = |fields: &mut Vec<(String, Value)>| {
                    for (key, value) in fields.iter_mut() {
                        match key.as_str() {
                            "app" => *value = Value::string(target.app.clone()),
                            "tcUrl" => *value = Value::string(target.tc_url.clone()),
                            _ => {}
                        }
                    }
                };
                match &mut command.object {
                    Value::Object(fields) | Value::EcmaArray(fields) => set(fields),
                    _ => {}
                }
            }
            "deleteStream" | "closeStream" => {
                if let Some(Value::Number(id)) = command.args.first_mut()
                    && *id >= 1.0
                    && *id <= f64::from(u32::MAX)
                {
                    *id = f64::from(stream(*id as u32));
                }
            }
            name if NAMING.contains(&name) => {
                if let Some(Value::String(captured)) = command.args.first() {
                    let renamed = self.name(target, captured);
                    command.args[0] = Value::string(renamed);
                }
            }
            _ => {}
        }
        command
    }
}

/// What replay does with a captured client message.
#[derive(Debug)]
pub enum Plan {
    /// A command, decoded (to rewrite and to wait for its answer).
    Command(Command),
    /// Sent as captured (media, data, control messages of the client's own).
    AsIs,
    /// Not sent: acknowledgements and ping answers, which our machine makes for the live
    /// server itself.
    Skip,
}

/// Decides what to do with a captured message.
pub fn plan(raw: &RawMessage) -> Plan {
    match raw.type_id {
        message::ACKNOWLEDGEMENT => Plan::Skip,
        message::USER_CONTROL if raw.payload.get(..2) == Some(&[0, 7]) => Plan::Skip,
        message::COMMAND_AMF0 | message::COMMAND_AMF3 => {
            match Message::decode(raw, &weir_amf0::Limits::default(), &mut Vec::new()) {
                Ok(Message::Command(command)) => Plan::Command(command),
                _ => Plan::AsIs,
            }
        }
        _ => Plan::AsIs,
    }
}

/// A command as a message on the captured chunk stream, message stream and timestamp.
pub fn encode(command: Command, raw: &RawMessage, stream_id: u32) -> RawMessage {
    Message::Command(command).to_raw(raw.csid, raw.timestamp, stream_id)
}
