//! The server role: answers a client's handshake and NetConnection/NetStream commands
//! (RTMP 1.0 §7.2), hands publish and play requests to the application as events, and carries
//! media both ways.
//!
//! The machine answers what needs no decision itself (createStream, releaseStream, FCPublish,
//! getStreamLength, pings, acknowledgements); connect, publish and play wait for the
//! application's `accept_*` or `reject_*`. While one is pending, later messages from the peer
//! are held (bounded) and replayed after the answer, so that the application sees them in
//! order, never before the request they depend on, and in the same order however the input was
//! split and however late the application answers. (Control messages still act at once in the
//! connection layer: acknowledgements and pings cannot wait for an application.)

use crate::chunk::SharedBody;
use crate::message::{self, Command, Data, Message, UserControl};
use crate::rules;
use crate::session::connection::{Connection, Header, Incoming};
use crate::session::status::{self, StatusLevel, code};
use crate::session::{PublishKind, SessionConfig, StreamData, Timeline, csid};
use crate::{Error, handshake::HandshakeInfo};
use bytes::Bytes;
use rand_core::RngCore;
use std::collections::{HashMap, VecDeque};
use std::time::Instant;
use weir_amf0::Value;
use weir_flv::media as flv_media;
use weir_media::MediaPacket;
use weir_media::{Machine, Output, Timestamp, Violation};

/// The version string Weir announces as `fmsVer`, in the form clients parse.
const FMS_VERSION: &str = "FMS/3,5,3,888";
/// Messages held while a request waits for the application, at most.
const MAX_HELD_MESSAGES: usize = 1024;
const MAX_HELD_BYTES: usize = 16 << 20;

/// Names a request waiting for the application's answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct RequestId(u32);

/// A client's `connect` (RTMP 1.0 §7.2.1.1).
#[derive(Debug, Clone, PartialEq)]
pub struct ConnectRequest {
    /// Answer with [`ServerSession::accept_connect`] or [`ServerSession::reject_connect`].
    pub id: RequestId,
    /// `app`: the application name (empty, with a violation, when missing).
    pub app: String,
    /// `tcUrl`: the URL the client connected to, e.g. `rtmp://host/live`.
    pub tc_url: Option<String>,
    /// `pageUrl`: the web page the SWF was loaded from.
    pub page_url: Option<String>,
    /// `swfUrl`: the URL of the SWF that connects.
    pub swf_url: Option<String>,
    /// `flashVer`: the client's name and version, e.g. `FMLE/3.0 (compatible; FMSc/1.0)`.
    pub flash_ver: Option<String>,
    /// `objectEncoding`: 0 for AMF0, 3 for AMF3 (0 when absent); echoed in the answer.
    pub object_encoding: f64,
    /// The whole command object, for anything else a client sends (E-RTMP `fourCcList`...).
    pub object: Value,
    /// Optional user arguments after the command object.
    pub args: Vec<Value>,
}

/// A client's `publish` (RTMP 1.0 §7.2.2.6).
#[derive(Debug, Clone, PartialEq)]
pub struct PublishRequest {
    /// Answer with [`ServerSession::accept_publish`] or [`ServerSession::reject_publish`].
    pub id: RequestId,
    /// The message stream the publish came on; media will come on it too.
    pub stream_id: u32,
    /// The stream name before any `?`.
    pub name: String,
    /// What followed `?` in the stream name (e.g. `key=secret`), without the `?`.
    pub query: String,
    /// Publishing type: live, record or append.
    pub kind: PublishKind,
}

/// A client's `play` (RTMP 1.0 §7.2.2.1).
#[derive(Debug, Clone, PartialEq)]
pub struct PlayRequest {
    /// Answer with [`ServerSession::accept_play`] or [`ServerSession::reject_play`].
    pub id: RequestId,
    /// The message stream the play came on; media is sent on it.
    pub stream_id: u32,
    /// The stream name before any `?`.
    pub name: String,
    /// What followed `?` in the stream name, without the `?`.
    pub query: String,
    /// Seconds; -2 (the default) live or recorded, -1 live only, >= 0 recorded from there.
    pub start: f64,
    /// Seconds; -1 (the default) until the end.
    pub duration: f64,
    /// `reset` (true when absent): accepting sends `NetStream.Play.Reset` before Play.Start.
    pub reset: bool,
}

/// What a [`ServerSession`] reports: requests to answer, stream changes, media and commands.
#[derive(Debug, Clone, PartialEq)]
pub enum ServerEvent {
    /// The handshake completed.
    Handshake(HandshakeInfo),
    /// A client connects: answer with `accept_connect` or `reject_connect`.
    Connect(ConnectRequest),
    /// A client wants to publish: answer with `accept_publish` or `reject_publish`.
    Publish(PublishRequest),
    /// A client wants to play: answer with `accept_play` or `reject_play`.
    Play(PlayRequest),
    /// The publisher on `stream_id` stopped (FCUnpublish, closeStream or deleteStream).
    Unpublish {
        /// The message stream that was published.
        stream_id: u32,
    },
    /// The player on `stream_id` stopped (closeStream or deleteStream).
    PlayStop {
        /// The message stream that was played.
        stream_id: u32,
    },
    /// pause, or Flash Player's pauseRaw; answered with Pause/Unpause.Notify.
    Pause {
        /// The message stream played on.
        stream_id: u32,
        /// True for pause, false for unpause; the session stops or resumes sending media.
        paused: bool,
        /// The stream position the client gives, in milliseconds.
        position_ms: f64,
    },
    /// seek (RTMP 1.0 §7.2.2.7); live streams cannot seek, so it is only reported.
    Seek {
        /// The message stream played on.
        stream_id: u32,
        /// The position asked for, in milliseconds.
        position_ms: f64,
    },
    /// receiveAudio (RTMP 1.0 §7.2.2.4): the player wants audio or not; the session sends
    /// audio to it accordingly.
    ReceiveAudio {
        /// The message stream played on.
        stream_id: u32,
        /// Whether the player wants audio.
        enabled: bool,
    },
    /// receiveVideo (RTMP 1.0 §7.2.2.5): the player wants video or not; the session sends
    /// video to it accordingly.
    ReceiveVideo {
        /// The message stream played on.
        stream_id: u32,
        /// Whether the player wants video.
        enabled: bool,
    },
    /// The client's Set Buffer Length user control event (RTMP 1.0 §7.1.7).
    BufferLength {
        /// The message stream the buffer is for.
        stream_id: u32,
        /// Buffer length in milliseconds.
        millis: u32,
    },
    /// Media, metadata or data from a publisher.
    Data {
        /// The message stream published on.
        stream_id: u32,
        /// The message's timestamp as sent (milliseconds, modulo 2^32).
        timestamp: u32,
        /// The same on the stream's timeline: unwrapped, on the media clock. Frames' own
        /// times are on this timeline too.
        time: Timestamp,
        /// What the message carried: media, metadata or another data message.
        data: StreamData,
    },
    /// A protocol control message (Set Chunk Size, Abort, Acknowledgement, Window
    /// Acknowledgement Size, Set Peer Bandwidth; RTMP 1.0 §5.4), a user control event other
    /// than Set Buffer Length, or a shared object message, after the connection layer has
    /// applied it: for a transcript of every message.
    Control(Message),
    /// A command this machine answered by itself (createStream, releaseStream, FCPublish,
    /// FCUnpublish, deleteStream, closeStream, getStreamLength, _checkbw...), after acting on
    /// it: for a transcript of every command.
    Handled {
        /// The message stream the command came on (0: the connection).
        stream_id: u32,
        /// The command, as decoded.
        command: Command,
    },
    /// A command this machine does not handle; it was answered with `_error` when the client
    /// expected an answer (transaction id other than 0).
    Command {
        /// The message stream the command came on (0: the connection).
        stream_id: u32,
        /// The command, as decoded.
        command: Command,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ConnState {
    AwaitingConnect,
    ConnectPending,
    Connected,
}

#[derive(Debug, Clone, PartialEq)]
enum StreamState {
    Idle,
    PublishPending,
    /// Publishing under this name (FCUnpublish names it).
    Publishing(String),
    PlayPending,
    Playing(PlayerState),
}

#[derive(Debug, Clone, Copy, PartialEq)]
struct PlayerState {
    audio: bool,
    video: bool,
    paused: bool,
}

#[derive(Debug, Clone)]
enum Pending {
    Connect {
        transaction_id: f64,
        object_encoding: f64,
    },
    Publish {
        stream_id: u32,
        name: String,
    },
    Play {
        stream_id: u32,
        name: String,
        reset: bool,
    },
}

/// The server side of one RTMP connection.
pub struct ServerSession {
    conn: Connection,
    rng: Box<dyn RngCore + Send>,
    outputs: VecDeque<Output<ServerEvent>>,
    state: ConnState,
    streams: HashMap<u32, StreamState>,
    next_stream_id: u32,
    pending: HashMap<RequestId, Pending>,
    next_request: u32,
    held: VecDeque<(Header, Message)>,
    held_bytes: usize,
    /// Names announced with FCPublish, answered with onFCPublish when publishing starts.
    fc_published: Vec<String>,
    timeline: Timeline,
    incoming: Vec<Incoming>,
}

impl ServerSession {
    /// A server session that waits for the client's C0 and C1; `rng` makes the handshake bytes.
    pub fn new(config: SessionConfig, _now: Instant, rng: Box<dyn RngCore + Send>) -> Self {
        Self::with_connection(Connection::server(config, 0, false), rng)
    }

    /// A server machine that reads a recorded client stream: what it transmits goes nowhere,
    /// and checks that compare the client's handshake replies with our own packets are off.
    pub fn observer(config: SessionConfig, rng: Box<dyn RngCore + Send>) -> Self {
        Self::with_connection(Connection::server(config, 0, true), rng)
    }

    fn with_connection(conn: Connection, rng: Box<dyn RngCore + Send>) -> Self {
        ServerSession {
            conn,
            rng,
            outputs: VecDeque::new(),
            state: ConnState::AwaitingConnect,
            streams: HashMap::new(),
            next_stream_id: 1,
            pending: HashMap::new(),
            next_request: 1,
            held: VecDeque::new(),
            held_bytes: 0,
            fc_published: Vec::new(),
            timeline: Timeline::default(),
            incoming: Vec::new(),
        }
    }

    /// Bytes received and sent, and the peer's last acknowledgement.
    pub fn counters(&self) -> (u64, u64, u32) {
        self.conn.counters()
    }

    /// Whether more media may go out now: false while the bytes sent and not yet acknowledged
    /// fill the window the client set with Set Peer Bandwidth (RTMP 1.0 §5.4.5). The
    /// application stops feeding media until the client acknowledges.
    pub fn output_window_open(&self) -> bool {
        self.conn.output_window_open()
    }

    /// Gives back what the command phase allocated once it is over: a server keeps thousands
    /// of idle players, each holding these for hours otherwise.
    fn idle(&mut self) {
        if self.outputs.capacity() > 0 {
            self.outputs = VecDeque::new();
        }
        if self.pending.is_empty() && self.pending.capacity() > 0 {
            self.pending = HashMap::new();
        }
        if self.held.is_empty() && self.held.capacity() > 0 {
            self.held = VecDeque::new();
        }
        self.incoming = Vec::new();
    }

    fn emit(&mut self, event: ServerEvent) {
        self.outputs.push_back(Output::Event(event));
    }

    fn violation(&mut self, rule: &'static weir_media::Rule, offset: u64, detail: String) {
        self.outputs
            .push_back(Output::Violation(Violation::new(rule, offset, detail)));
    }

    fn new_request(&mut self, pending: Pending) -> RequestId {
        let id = RequestId(self.next_request);
        self.next_request += 1;
        self.pending.insert(id, pending);
        id
    }

    fn receive(&mut self, header: Header, message: Message) -> Result<(), Error> {
        if !self.pending.is_empty() {
            self.held_bytes += message_size(&message);
            if self.held.len() >= MAX_HELD_MESSAGES || self.held_bytes > MAX_HELD_BYTES {
                return Err(Error {
                    rule: None,
                    offset: header.offset,
                    detail: format!(
                        "the client sent {} messages ({} bytes) while a request waited for an answer",
                        self.held.len() + 1,
                        self.held_bytes
                    ),
                });
            }
            self.held.push_back((header, message));
            return Ok(());
        }
        match message {
            Message::Command(command) => self.command(header, command)?,
            Message::Audio(body) | Message::Video(body) if body.is_empty() => {} // keep-alive
            Message::Audio(body) => self.media(header, message::AUDIO, body),
            Message::Video(body) => self.media(header, message::VIDEO, body),
            Message::Data(data) => self.data(header, data),
            Message::UserControl(UserControl::SetBufferLength { stream_id, millis }) => {
                self.emit(ServerEvent::BufferLength { stream_id, millis });
            }
            // The connection layer has acted on these.
            control @ (Message::SetChunkSize(_)
            | Message::Abort { .. }
            | Message::Acknowledgement { .. }
            | Message::WindowAckSize(_)
            | Message::SetPeerBandwidth { .. }
            | Message::UserControl(_)
            | Message::SharedObject { .. }) => self.emit(ServerEvent::Control(control)),
            _ => {}
        }
        Ok(())
    }

    /// Replays what was held while requests were pending, once none is.
    fn release_held(&mut self) -> Result<(), Error> {
        while self.pending.is_empty() {
            let Some((header, message)) = self.held.pop_front() else {
                break;
            };
            self.held_bytes -= message_size(&message);
            self.receive(header, message)?;
        }
        Ok(())
    }

    fn command(&mut self, header: Header, command: Command) -> Result<(), Error> {
        let offset = header.offset;
        if command.name != "connect" && self.state == ConnState::AwaitingConnect {
            self.violation(
                &rules::COMMAND_CONNECT_FIRST,
                offset,
                format!("{} before connect", command.name),
            );
        }
        match command.name.as_str() {
            "connect" => {
                self.connect(offset, command);
                return Ok(());
            }
            "createStream" => self.create_stream(&command)?,
            "releaseStream" | "FCPublish" => {
                if command.name == "FCPublish"
                    && let Some(name) = command.args.first().and_then(Value::as_str)
                {
                    self.fc_published.push(split_query(name).0.to_owned());
                }
                self.result(
                    header.stream_id,
                    command.transaction_id,
                    Value::Undefined,
                    vec![],
                )?;
            }
            "FCUnpublish" => {
                self.result(
                    header.stream_id,
                    command.transaction_id,
                    Value::Undefined,
                    vec![],
                )?;
                let name = command
                    .args
                    .first()
                    .and_then(Value::as_str)
                    .unwrap_or_default();
                let name = split_query(name).0.to_owned();
                let fc = status::info(code::UNPUBLISH_SUCCESS, &name, []);
                self.conn
                    .send_command(0, "onFCUnpublish", 0.0, Value::Null, vec![fc])?;
                self.fc_published.retain(|n| *n != name);
                // The stream published under that name stops here; deleteStream follows.
                let published =
                    |s: &StreamState| matches!(s, StreamState::Publishing(n) if *n == name);
                if let Some(stream_id) = self
                    .streams
                    .iter()
                    .find(|(_, s)| published(s))
                    .map(|(id, _)| *id)
                {
                    self.stop_stream(stream_id, false);
                }
            }
            "publish" => self.publish(header, &command)?,
            "play" => self.play(header, &command),
            "pause" | "pauseRaw" => self.pause(header, &command)?,
            "seek" => {
                let position_ms = command.args.first().and_then(Value::as_f64).unwrap_or(0.0);
                self.emit(ServerEvent::Seek {
                    stream_id: header.stream_id,
                    position_ms,
                });
            }
            "receiveAudio" | "receiveVideo" => self.receive_toggle(header, &command),
            "closeStream" => self.stop_stream(header.stream_id, false),
            "deleteStream" => {
                let stream_id = command.args.first().and_then(Value::as_f64).unwrap_or(-1.0);
                if stream_id >= 0.0 && stream_id <= f64::from(u32::MAX) {
                    self.stop_stream(stream_id as u32, true);
                }
            }
            "getStreamLength" => {
                // Live streams have no length; FMS answers 0 for them.
                let txn = command.transaction_id;
                self.result(header.stream_id, txn, Value::Null, vec![Value::Number(0.0)])?;
            }
            "_result" | "_error" | "_checkbw" | "onBWDone" => {}
            _ => {
                if command.transaction_id != 0.0 {
                    let info = status::info(
                        code::CALL_FAILED,
                        &format!("Method not found ({})", command.name),
                        [],
                    );
                    let txn = command.transaction_id;
                    self.conn.send_command(
                        header.stream_id,
                        "_error",
                        txn,
                        Value::Null,
                        vec![info],
                    )?;
                }
                self.emit(ServerEvent::Command {
                    stream_id: header.stream_id,
                    command,
                });
                return Ok(());
            }
        }
        let own_event = matches!(
            command.name.as_str(),
            "publish" | "play" | "pause" | "pauseRaw" | "seek" | "receiveAudio" | "receiveVideo"
        );
        if !own_event {
            self.emit(ServerEvent::Handled {
                stream_id: header.stream_id,
                command,
            });
        }
        Ok(())
    }

    fn connect(&mut self, offset: u64, command: Command) {
        if self.state != ConnState::AwaitingConnect {
            self.violation(
                &rules::COMMAND_DUPLICATE_CONNECT,
                offset,
                "a second connect".into(),
            );
            return;
        }
        if command.transaction_id != 1.0 {
            let detail = format!("connect with transaction id {}", command.transaction_id);
            self.violation(&rules::COMMAND_CONNECT_TRANSACTION, offset, detail);
        }
        let text = |key: &str| {
            command
                .object
                .get(key)
                .and_then(Value::as_str)
                .map(str::to_owned)
        };
        let app = text("app").unwrap_or_else(|| {
            self.violation(
                &rules::COMMAND_CONNECT_APP,
                offset,
                "connect without app".into(),
            );
            String::new()
        });
        let object_encoding = command
            .object
            .get("objectEncoding")
            .and_then(Value::as_f64)
            .unwrap_or(0.0);
        let id = self.new_request(Pending::Connect {
            transaction_id: command.transaction_id,
            object_encoding,
        });
        self.state = ConnState::ConnectPending;
        let request = ConnectRequest {
            id,
            app,
            tc_url: text("tcUrl"),
            page_url: text("pageUrl"),
            swf_url: text("swfUrl"),
            flash_ver: text("flashVer"),
            object_encoding,
            object: command.object,
            args: command.args,
        };
        self.emit(ServerEvent::Connect(request));
    }

    /// createStream, answered at once; beyond `max_streams` live streams (our limit, not the
    /// spec's) with `_error`.
    fn create_stream(&mut self, command: &Command) -> Result<(), Error> {
        let txn = command.transaction_id;
        if self.streams.len() >= self.conn.config.max_streams as usize {
            let info = status::info(code::CALL_FAILED, "too many streams", []);
            self.conn
                .send_command(0, "_error", txn, Value::Null, vec![info])?;
            return Ok(());
        }
        let stream_id = self.next_stream_id;
        self.next_stream_id += 1;
        self.streams.insert(stream_id, StreamState::Idle);
        let id = Value::Number(f64::from(stream_id));
        self.result(0, txn, Value::Null, vec![id])?;
        Ok(())
    }

    /// The state of a stream the client created, or a violation when it never did.
    fn created_stream(&mut self, header: Header, command: &str) -> Option<StreamState> {
        match self.streams.get(&header.stream_id) {
            Some(state) => Some(state.clone()),
            None => {
                let detail = format!(
                    "{command} on message stream {} that createStream never made",
                    header.stream_id
                );
                self.violation(&rules::COMMAND_STREAM_BEFORE_CREATE, header.offset, detail);
                None
            }
        }
    }

    /// The stream name argument split at `?`. An absent or empty name is reported; the request
    /// still reaches the application, which decides (FFmpeg plays with an empty name when the
    /// URL has no stream part, and `ffmpeg -listen` accepts it).
    fn stream_name(&mut self, header: Header, command: &Command) -> (String, String) {
        let name = command
            .args
            .first()
            .and_then(Value::as_str)
            .unwrap_or_default();
        if name.is_empty() {
            let detail = format!("{} without a stream name", command.name);
            self.violation(&rules::COMMAND_STREAM_NAME, header.offset, detail);
        }
        let (name, query) = split_query(name);
        (name.to_owned(), query.to_owned())
    }

    fn publish(&mut self, header: Header, command: &Command) -> Result<(), Error> {
        if self.created_stream(header, "publish") != Some(StreamState::Idle) {
            if self.streams.contains_key(&header.stream_id) {
                self.status(header.stream_id, code::PUBLISH_BAD_NAME, "stream is busy")?;
            }
            return Ok(());
        }
        let (name, query) = self.stream_name(header, command);
        let kind_arg = command.args.get(1).and_then(Value::as_str);
        let kind = PublishKind::parse(kind_arg).unwrap_or_else(|| {
            let detail = format!("publishing type {kind_arg:?}");
            self.violation(&rules::COMMAND_PUBLISH_TYPE, header.offset, detail);
            PublishKind::Live
        });
        let stream_id = header.stream_id;
        self.streams.insert(stream_id, StreamState::PublishPending);
        let id = self.new_request(Pending::Publish {
            stream_id,
            name: name.clone(),
        });
        self.emit(ServerEvent::Publish(PublishRequest {
            id,
            stream_id,
            name,
            query,
            kind,
        }));
        Ok(())
    }

    fn play(&mut self, header: Header, command: &Command) {
        if self.created_stream(header, "play") != Some(StreamState::Idle) {
            return;
        }
        let (name, query) = self.stream_name(header, command);
        let number = |i: usize, default: f64| {
            command
                .args
                .get(i)
                .and_then(Value::as_f64)
                .unwrap_or(default)
        };
        let (start, duration) = (number(1, -2.0), number(2, -1.0));
        let reset = command.args.get(3).and_then(Value::as_bool).unwrap_or(true);
        let stream_id = header.stream_id;
        self.streams.insert(stream_id, StreamState::PlayPending);
        let id = self.new_request(Pending::Play {
            stream_id,
            name: name.clone(),
            reset,
        });
        let request = PlayRequest {
            id,
            stream_id,
            name,
            query,
            start,
            duration,
            reset,
        };
        self.emit(ServerEvent::Play(request));
    }

    fn pause(&mut self, header: Header, command: &Command) -> Result<(), Error> {
        let paused = command
            .args
            .first()
            .and_then(Value::as_bool)
            .unwrap_or(true);
        let position_ms = command.args.get(1).and_then(Value::as_f64).unwrap_or(0.0);
        let stream_id = header.stream_id;
        let Some(StreamState::Playing(player)) = self.streams.get_mut(&stream_id) else {
            self.created_stream(header, "pause");
            return Ok(());
        };
        player.paused = paused;
        let code = if paused {
            code::PAUSE_NOTIFY
        } else {
            code::UNPAUSE_NOTIFY
        };
        self.status(
            stream_id,
            code,
            if paused { "Paused." } else { "Unpaused." },
        )?;
        self.emit(ServerEvent::Pause {
            stream_id,
            paused,
            position_ms,
        });
        Ok(())
    }

    fn receive_toggle(&mut self, header: Header, command: &Command) {
        let enabled = command
            .args
            .first()
            .and_then(Value::as_bool)
            .unwrap_or(true);
        let stream_id = header.stream_id;
        if let Some(StreamState::Playing(player)) = self.streams.get_mut(&stream_id) {
            if command.name == "receiveAudio" {
                player.audio = enabled;
            } else {
                player.video = enabled;
            }
        } else {
            self.created_stream(header, &command.name);
        }
        self.emit(if command.name == "receiveAudio" {
            ServerEvent::ReceiveAudio { stream_id, enabled }
        } else {
            ServerEvent::ReceiveVideo { stream_id, enabled }
        });
    }

    /// closeStream, deleteStream (which also forgets the stream) and FCUnpublish.
    fn stop_stream(&mut self, stream_id: u32, delete: bool) {
        let state = if delete {
            self.streams.remove(&stream_id)
        } else {
            self.streams
                .get_mut(&stream_id)
                .map(|s| std::mem::replace(s, StreamState::Idle))
        };
        match state {
            Some(StreamState::Publishing(_)) => self.emit(ServerEvent::Unpublish { stream_id }),
            Some(StreamState::Playing(_)) => self.emit(ServerEvent::PlayStop { stream_id }),
            _ => {}
        }
    }

    fn is_publishing(&self, stream_id: u32) -> bool {
        matches!(
            self.streams.get(&stream_id),
            Some(StreamState::Publishing(_))
        )
    }

    fn media(&mut self, header: Header, type_id: u8, body: Bytes) {
        let stream_id = header.stream_id;
        if !self.is_publishing(stream_id) {
            let kind = if type_id == message::AUDIO {
                "audio"
            } else {
                "video"
            };
            let detail = format!("{kind} on message stream {stream_id}, which is not publishing");
            self.violation(&rules::MEDIA_BEFORE_PUBLISH, header.offset, detail);
            return;
        }
        let timestamp = header.timestamp;
        let time = self.timeline.time(header);
        let outputs = &mut self.outputs;
        super::receive_media(
            &mut self.timeline,
            time,
            header,
            type_id,
            body,
            self.conn.is_observer(),
            &mut |item| {
                outputs.push_back(match item {
                    Ok(data) => Output::Event(ServerEvent::Data {
                        stream_id,
                        timestamp,
                        time,
                        data,
                    }),
                    Err(violation) => Output::Violation(violation),
                });
            },
        );
    }

    fn data(&mut self, header: Header, data: Data) {
        let stream_id = header.stream_id;
        if !self.is_publishing(stream_id) {
            let detail =
                format!("data message on message stream {stream_id}, which is not publishing");
            self.violation(&rules::MEDIA_BEFORE_PUBLISH, header.offset, detail);
            return;
        }
        // Without a handler name there is nothing to deliver; `Message::decode` has already
        // reported the message (rtmp.data.amf), once.
        if let Ok(data) = StreamData::from_data(data) {
            let time = self.timeline.time(header);
            self.emit(ServerEvent::Data {
                stream_id,
                timestamp: header.timestamp,
                time,
                data,
            })
        }
    }

    // ---- the application's answers ----

    fn take_pending(&mut self, id: RequestId) -> Result<Pending, Error> {
        self.pending
            .remove(&id)
            .ok_or_else(|| Error::usage(format!("no pending request {id:?}")))
    }

    /// Accepts a connect: announces window, bandwidth and chunk size, then answers `_result`
    /// with `NetConnection.Connect.Success`, in the order FMS and SRS send them.
    pub fn accept_connect(&mut self, id: RequestId) -> Result<(), Error> {
        let Pending::Connect {
            transaction_id,
            object_encoding,
        } = self.take_pending(id)?
        else {
            return Err(Error::usage("not a connect request"));
        };
        let config = &self.conn.config;
        let (window, bandwidth, chunk_size) = (
            config.window_ack_size,
            config.peer_bandwidth,
            config.chunk_size,
        );
        self.conn.announce_window(window);
        let limit = crate::message::BandwidthLimit::Dynamic;
        self.conn.send(
            csid::CONTROL,
            0,
            0,
            &Message::SetPeerBandwidth {
                size: bandwidth,
                limit,
            },
        )?;
        self.conn.set_chunk_size(chunk_size);
        let properties = Value::object([
            ("fmsVer", Value::string(FMS_VERSION)),
            ("capabilities", Value::Number(127.0)),
            ("mode", Value::Number(1.0)),
        ]);
        let info = status::info(
            code::CONNECT_SUCCESS,
            "Connection succeeded.",
            [("objectEncoding", Value::Number(object_encoding))],
        );
        self.conn
            .send_command(0, "_result", transaction_id, properties, vec![info])?;
        self.state = ConnState::Connected;
        self.release_held()
    }

    /// Rejects a connect with `_error` / `NetConnection.Connect.Rejected`; the driver then
    /// flushes the output and closes the connection.
    pub fn reject_connect(&mut self, id: RequestId, description: &str) -> Result<(), Error> {
        let Pending::Connect { transaction_id, .. } = self.take_pending(id)? else {
            return Err(Error::usage("not a connect request"));
        };
        let info = status::info(code::CONNECT_REJECTED, description, []);
        self.conn
            .send_command(0, "_error", transaction_id, Value::Null, vec![info])?;
        self.state = ConnState::AwaitingConnect;
        Ok(())
    }

    /// Rejects connect with a redirect to `tc_url` (`rtmp://host[:port]/app`), as SRS's origin
    /// cluster does (`SrsRtmpServer::redirect`): `NetConnection.Connect.Rejected` with
    /// `ex: {code: 302, redirect: tc_url}`, which SRS's edges (and ours, through
    /// [`Status::redirect`](super::status::Status::redirect)) follow with the stream they play.
    pub fn redirect_connect(&mut self, id: RequestId, tc_url: &str) -> Result<(), Error> {
        let Pending::Connect { transaction_id, .. } = self.take_pending(id)? else {
            return Err(Error::usage("not a connect request"));
        };
        let ex = Value::object([
            ("code", Value::Number(302.0)),
            ("redirect", Value::string(tc_url)),
        ]);
        let description = format!("RTMP 302 Redirect to {tc_url}");
        let info = status::info(code::CONNECT_REJECTED, &description, [("ex", ex)]);
        self.conn
            .send_command(0, "_error", transaction_id, Value::Null, vec![info])?;
        self.state = ConnState::AwaitingConnect;
        Ok(())
    }

    /// Accepts a publish: `onFCPublish` (when the client sent FCPublish) and
    /// `NetStream.Publish.Start`; media on the stream now comes out as events.
    pub fn accept_publish(&mut self, id: RequestId) -> Result<(), Error> {
        let Pending::Publish { stream_id, name } = self.take_pending(id)? else {
            return Err(Error::usage("not a publish request"));
        };
        self.streams
            .insert(stream_id, StreamState::Publishing(name.clone()));
        // A publish on a stream used before starts a new timeline.
        self.timeline.restart(stream_id);
        let description = format!("{name} is now published.");
        if self.fc_published.contains(&name) {
            let info = status::info(code::PUBLISH_START, &description, []);
            self.conn
                .send_command(0, "onFCPublish", 0.0, Value::Null, vec![info])?;
        }
        self.user_control(UserControl::StreamBegin(stream_id));
        self.status(stream_id, code::PUBLISH_START, &description)?;
        self.release_held()
    }

    /// Rejects a publish. `NetStream.Publish.BadName` when the stream is taken (what FFmpeg and
    /// OBS report as "already publishing"), `NetStream.Publish.Denied` otherwise.
    pub fn reject_publish(
        &mut self,
        id: RequestId,
        busy: bool,
        description: &str,
    ) -> Result<(), Error> {
        let Pending::Publish { stream_id, .. } = self.take_pending(id)? else {
            return Err(Error::usage("not a publish request"));
        };
        self.streams.insert(stream_id, StreamState::Idle);
        let code = if busy {
            code::PUBLISH_BAD_NAME
        } else {
            code::PUBLISH_DENIED
        };
        self.status(stream_id, code, description)?;
        self.release_held()
    }

    /// Accepts a play: Stream Begin, `NetStream.Play.Reset` (when asked), `NetStream.Play.Start`,
    /// `|RtmpSampleAccess` and `NetStream.Data.Start`, as FMS and SRS send them.
    pub fn accept_play(&mut self, id: RequestId) -> Result<(), Error> {
        let Pending::Play {
            stream_id,
            name,
            reset,
        } = self.take_pending(id)?
        else {
            return Err(Error::usage("not a play request"));
        };
        let player = PlayerState {
            audio: true,
            video: true,
            paused: false,
        };
        self.streams.insert(stream_id, StreamState::Playing(player));
        self.user_control(UserControl::StreamBegin(stream_id));
        if reset {
            self.status(
                stream_id,
                code::PLAY_RESET,
                &format!("Playing and resetting {name}."),
            )?;
        }
        self.status(
            stream_id,
            code::PLAY_START,
            &format!("Started playing {name}."),
        )?;
        let access = vec![
            Value::string("|RtmpSampleAccess"),
            Value::Boolean(true),
            Value::Boolean(true),
        ];
        self.conn.send_data(stream_id, 0, access)?;
        let data_start = status::info(code::DATA_START, "Started playing.", []);
        let values = vec![Value::string("onStatus"), data_start];
        self.conn.send_data(stream_id, 0, values)?;
        self.release_held()
    }

    /// Rejects a play with `NetStream.Play.StreamNotFound` (`not_found`) or
    /// `NetStream.Play.Failed`.
    pub fn reject_play(
        &mut self,
        id: RequestId,
        not_found: bool,
        description: &str,
    ) -> Result<(), Error> {
        let Pending::Play { stream_id, .. } = self.take_pending(id)? else {
            return Err(Error::usage("not a play request"));
        };
        self.streams.insert(stream_id, StreamState::Idle);
        let code = if not_found {
            code::PLAY_STREAM_NOT_FOUND
        } else {
            code::PLAY_FAILED
        };
        self.status(stream_id, code, description)?;
        self.release_held()
    }

    /// Answers a play with SRS's RTMP 302 (its `SrsRtmpServer::redirect`, ossrs/srs#1575): an
    /// `onStatus` on the connection's stream 0 with level `error`, code
    /// `NetConnection.Connect.Rejected`, description `RTMP 302 Redirect` and
    /// `ex: {code: 302, redirect: <tcUrl of url>, redirect2: url}`, so that a client that follows
    /// redirects connects to the tcUrl and plays the stream there. The driver then closes the
    /// connection, as SRS does once the client has had the answer.
    pub fn redirect_play(&mut self, id: RequestId, url: &str) -> Result<(), Error> {
        let Pending::Play { stream_id, .. } = self.take_pending(id)? else {
            return Err(Error::usage("not a play request"));
        };
        self.streams.insert(stream_id, StreamState::Idle);
        let tc_url = url.rsplit_once('/').map_or(url, |(tc_url, _)| tc_url);
        let ex = Value::object([
            ("code", Value::Number(302.0)),
            ("redirect", Value::string(tc_url)),
            ("redirect2", Value::string(url)),
        ]);
        let info = status::info(code::CONNECT_REJECTED, "RTMP 302 Redirect", [("ex", ex)]);
        self.conn
            .send_command(0, "onStatus", 0.0, Value::Null, vec![info])?;
        self.release_held()
    }

    // ---- sending to a player ----

    fn player(&self, stream_id: u32) -> Option<PlayerState> {
        match self.streams.get(&stream_id) {
            Some(StreamState::Playing(p)) if !p.paused => Some(*p),
            _ => None,
        }
    }

    /// Sends an audio or video message body (an FLV tag body) to a player. Returns false, and
    /// sends nothing, when the stream is not playing, is paused, or the player turned that
    /// kind of media off.
    pub fn send_media(
        &mut self,
        stream_id: u32,
        timestamp: u32,
        video: bool,
        body: Bytes,
    ) -> Result<bool, Error> {
        if !self.plays(stream_id, video) {
            return Ok(false);
        }
        self.conn.send_media(stream_id, timestamp, video, body)?;
        Ok(true)
    }

    /// Sends a message shared with other players (see [`SharedBody`]): the same bytes for all,
    /// made once. The same conditions as [`Self::send_media`]; fails when the body does not fit
    /// RTMP's 24-bit message length.
    pub fn send_shared(
        &mut self,
        stream_id: u32,
        timestamp: u32,
        video: bool,
        body: &SharedBody,
    ) -> Result<bool, Error> {
        if !self.plays(stream_id, video) {
            return Ok(false);
        }
        self.conn.send_shared(stream_id, timestamp, video, body)?;
        Ok(true)
    }

    /// How to make this player's shared messages, for an application that writes them to the
    /// socket itself (then it tells [`Self::note_written`] how many bytes it wrote): `Some`
    /// while `stream_id` plays everything as it comes — unpaused, audio and video on, and no
    /// Set Peer Bandwidth window to hold media back. Anything else (commands, notices,
    /// metadata) still goes through this machine.
    pub fn shared_writer(&self, stream_id: u32) -> Option<SharedWriter> {
        let open = self.player(stream_id).is_some_and(|p| p.audio && p.video);
        (open && !self.conn.output_limited()).then(|| SharedWriter {
            chunk_size: self.conn.chunk_size(),
            stream_id,
        })
    }

    /// The application wrote `bytes` of [`SharedWriter::message`]s to the player itself.
    pub fn note_written(&mut self, bytes: u64) {
        self.conn.note_written(bytes);
    }

    /// Whether `stream_id` plays, unpaused, with that kind of media on.
    fn plays(&self, stream_id: u32, video: bool) -> bool {
        self.player(stream_id)
            .is_some_and(|p| if video { p.video } else { p.audio })
    }

    /// Sends a decoder configuration, frame or end of sequence, written as an FLV tag body, with
    /// the message timestamp `timestamp` (the publisher's, for a relay).
    pub fn send_packet(
        &mut self,
        stream_id: u32,
        timestamp: u32,
        packet: &MediaPacket,
    ) -> Result<bool, Error> {
        let body = flv_media::write_packet(packet)?;
        self.send_media(stream_id, timestamp, super::is_video(packet), body)
    }

    /// Sends `onMetaData` to a player.
    pub fn send_metadata(
        &mut self,
        stream_id: u32,
        timestamp: u32,
        metadata: Value,
    ) -> Result<bool, Error> {
        if self.player(stream_id).is_none() {
            return Ok(false);
        }
        let values = vec![Value::string("onMetaData"), metadata];
        self.conn.send_data(stream_id, timestamp, values)?;
        Ok(true)
    }

    /// Tells a player the stream's publisher went away (`NetStream.Play.UnpublishNotify`
    /// and Stream EOF), or came back (`NetStream.Play.PublishNotify` and Stream Begin).
    pub fn notify_publisher(&mut self, stream_id: u32, present: bool) -> Result<(), Error> {
        if present {
            self.user_control(UserControl::StreamBegin(stream_id));
            self.status(
                stream_id,
                code::PLAY_PUBLISH_NOTIFY,
                "The stream is published.",
            )?;
        } else {
            self.status(
                stream_id,
                code::PLAY_UNPUBLISH_NOTIFY,
                "The stream is unpublished.",
            )?;
            self.user_control(UserControl::StreamEof(stream_id));
        }
        Ok(())
    }

    // ---- helpers ----

    fn user_control(&mut self, event: UserControl) {
        self.conn.send_control(&Message::UserControl(event));
    }

    fn status(
        &mut self,
        stream_id: u32,
        code: (StatusLevel, &str),
        description: &str,
    ) -> Result<(), Error> {
        let info = status::info(code, description, []);
        self.conn
            .send_command(stream_id, "onStatus", 0.0, Value::Null, vec![info])
    }

    fn result(
        &mut self,
        stream_id: u32,
        transaction_id: f64,
        object: Value,
        args: Vec<Value>,
    ) -> Result<(), Error> {
        self.conn
            .send_command(stream_id, "_result", transaction_id, object, args)
    }
}

impl Machine for ServerSession {
    type Event = ServerEvent;

    /// Takes bytes from the client. An error closes the session: the driver should flush
    /// `poll_output` and close the connection.
    fn handle_input(&mut self, _now: Instant, data: &[u8]) -> Result<(), Error> {
        let mut data = data;
        loop {
            let mut incoming = std::mem::take(&mut self.incoming);
            let result = self.conn.receive(data, &mut *self.rng, &mut incoming);
            for item in incoming.drain(..) {
                match item {
                    Incoming::HandshakeDone(info) => self.emit(ServerEvent::Handshake(info)),
                    Incoming::Violation(v) => self.outputs.push_back(Output::Violation(v)),
                    Incoming::Message { header, message } => self.receive(header, message)?,
                }
            }
            self.incoming = incoming;
            let used = result?;
            if used == data.len() {
                return Ok(());
            }
            data = &data[used..];
        }
    }

    /// The client closed the connection (end of stream). An error says what was cut short.
    fn handle_end(&mut self, _now: Instant) -> Result<(), Error> {
        self.conn.close()
    }

    fn poll_output(&mut self) -> Option<Output<ServerEvent>> {
        if let Some(bytes) = self.conn.take_transmit() {
            return Some(Output::Transmit(bytes));
        }
        let next = self.outputs.pop_front();
        if next.is_none() {
            self.idle();
        }
        next
    }

    /// RTMP needs no timers of its own: timeouts (handshake, idle peers) belong to the driver.
    fn poll_timeout(&self) -> Option<Instant> {
        None
    }

    fn handle_timeout(&mut self, _now: Instant) {}
}

fn message_size(message: &Message) -> usize {
    match message {
        Message::Audio(b) | Message::Video(b) => b.len(),
        _ => 64, // others: a nominal size; their count is bounded separately
    }
}

/// `name?query` → (`name`, `query`).
pub fn split_query(name: &str) -> (&str, &str) {
    name.split_once('?').unwrap_or((name, ""))
}

/// Makes a player's shared audio and video messages (see [`ServerSession::shared_writer`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SharedWriter {
    chunk_size: u32,
    stream_id: u32,
}

impl SharedWriter {
    /// The whole message, the same bytes [`ServerSession::send_shared`] queues.
    pub fn message(&self, timestamp: u32, video: bool, body: &SharedBody) -> Result<Bytes, Error> {
        let (csid, type_id) = super::connection::media_csid(video);
        body.message(crate::chunk::MessageKey {
            chunk_size: self.chunk_size,
            csid,
            type_id,
            stream_id: self.stream_id,
            timestamp,
        })
    }
}
