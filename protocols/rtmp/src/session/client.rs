//! The client role: connects, then publishes or plays one stream, sending the commands in the
//! order FFmpeg and OBS send them (RTMP 1.0 §7.2; releaseStream/FCPublish as FMLE added them).
//! Probes, the load generator and forwarding drive it; its escape hatch
//! [`ClientSession::send_message`] lets a probe send what no well-behaved client would.

use crate::Error;
use crate::chunk::RawMessage;
use crate::handshake::{ClientHandshake, ClientKind, DigestScheme, HandshakeInfo};
use crate::message::{self, Command, Data, Message, UserControl};
use crate::rules;
use crate::session::connection::{Connection, Header, Incoming};
use crate::session::status::Status;
use crate::session::{PublishKind, SessionConfig, StreamData, Timeline, csid};
use bytes::Bytes;
use rand_core::RngCore;
use std::collections::{HashMap, VecDeque};
use std::time::Instant;
use weir_amf0::Value;
use weir_flv::media as flv_media;
use weir_media::MediaPacket;
use weir_media::{Machine, Output, Timestamp, Violation};

/// What the client says about itself in connect.
#[derive(Debug, Clone)]
pub struct ClientOptions {
    /// The application, e.g. `live` for rtmp://host/live/stream.
    pub app: String,
    /// The URL of the application, e.g. `rtmp://127.0.0.1:1935/live`.
    pub tc_url: String,
    /// `flashVer` sent in connect, e.g. `FMLE/3.0 (compatible; ...)`.
    pub flash_ver: String,
    /// Which handshake to send: simple, or complex with a digest scheme.
    pub handshake: ClientKind,
    /// Send releaseStream and FCPublish before publishing, as FMLE, FFmpeg and OBS do.
    pub fmle_publish: bool,
    /// The buffer length a player announces after play (SetBufferLength), in ms.
    pub buffer_ms: u32,
    /// How connect is written; every form is legal (probes try them all on a server).
    pub connect_form: ConnectForm,
}

/// The legal shapes of the connect command (RTMP 1.0 §7.2.1.1, AMF0 §2.10, RTMP §7.1.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ConnectForm {
    /// An AMF0 command message (type 20) with an anonymous object, as FFmpeg and OBS send.
    #[default]
    Object,
    /// The command object as an ECMA array, which AMF0 readers must accept in its place.
    EcmaArray,
    /// An AMF3 command message (type 17): a 0x00 format byte, then the same AMF0 values.
    Amf3,
}

impl ClientOptions {
    /// Options for `rtmp://host[:port]/app`, with FFmpeg's defaults otherwise.
    pub fn new(tc_url: &str, app: &str) -> Self {
        ClientOptions {
            app: app.into(),
            tc_url: tc_url.into(),
            flash_ver: "FMLE/3.0 (compatible; Weir)".into(),
            handshake: ClientKind::Complex {
                scheme: DigestScheme::Scheme0,
            },
            fmle_publish: true,
            buffer_ms: 3000,
            connect_form: ConnectForm::Object,
        }
    }
}

/// What a [`ClientSession`] reports as it connects, creates its stream, publishes or plays.
#[derive(Debug, Clone, PartialEq)]
pub enum ClientEvent {
    /// The handshake completed; connect is sent next (unless driven by hand).
    Handshake(HandshakeInfo),
    /// The server accepted connect: its properties and status object.
    Connected {
        /// The command object of `_result`: the server's properties (`fmsVer`, `capabilities`, ...).
        properties: Value,
        /// The information object of `_result`: `NetConnection.Connect.Success`, ...
        status: Status,
    },
    /// The server refused connect (`_error`).
    ConnectRejected(Status),
    /// createStream answered: the message stream the publish or play goes on.
    StreamCreated {
        /// The message stream id the server allocated.
        stream_id: u32,
    },
    /// `NetStream.Publish.Start` on the stream this client publishes on: media may flow.
    Publishing {
        /// The message stream published on.
        stream_id: u32,
    },
    /// `NetStream.Play.Start` on the stream this client plays.
    Playing {
        /// The message stream played on.
        stream_id: u32,
    },
    /// Every onStatus, including the two above and errors such as `NetStream.Publish.BadName`.
    Status {
        /// The message stream the onStatus came on.
        stream_id: u32,
        /// The information object: level, code, description.
        status: Status,
    },
    /// Media, metadata or data sent to a player.
    Data {
        /// The message stream the data came on.
        stream_id: u32,
        /// The message's timestamp as sent (milliseconds, modulo 2^32).
        timestamp: u32,
        /// The same on the stream's timeline: unwrapped, on the media clock.
        time: Timestamp,
        /// What the message carried: media, metadata or another data message.
        data: StreamData,
    },
    /// Stream Begin, Stream EOF, Stream Dry and other user control events from the server.
    UserControl(UserControl),
    /// A protocol control message from the server (Set Chunk Size, Abort, Acknowledgement,
    /// Window Acknowledgement Size, Set Peer Bandwidth; RTMP 1.0 §5.4), after the connection
    /// layer has applied it; or a shared object message (§7.1.3), which it does not read.
    Control(Message),
    /// Any other command: onBWDone, onFCPublish, answers to `send_command`...
    Command {
        /// The message stream the command came on (0: the connection).
        stream_id: u32,
        /// The command, as decoded.
        command: Command,
    },
}

#[derive(Debug, Clone, PartialEq)]
enum Intent {
    Publish { name: String, kind: PublishKind },
    Play { name: String, start: f64 },
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Transaction {
    Connect,
    CreateStream,
    /// releaseStream, FCPublish, FCUnpublish, or a caller's own command: answers come out as
    /// [`ClientEvent::Command`].
    Other,
}

/// The client side of one RTMP connection.
pub struct ClientSession {
    conn: Connection,
    options: ClientOptions,
    rng: Box<dyn RngCore + Send>,
    outputs: VecDeque<Output<ClientEvent>>,
    connected: bool,
    intent: Option<Intent>,
    /// The message stream createStream gave us.
    stream_id: Option<u32>,
    transactions: HashMap<u64, Transaction>,
    next_transaction: f64,
    timeline: Timeline,
    /// Message streams media arrived on that were not the played one (reported once each).
    stray_streams: std::collections::HashSet<u32>,
    incoming: Vec<Incoming>,
    /// Sends no connect of its own (see [`ClientSession::manual`]).
    manual: bool,
}

impl ClientSession {
    /// A client that starts its handshake at once (C0C1 is the first output).
    pub fn new(
        config: SessionConfig,
        options: ClientOptions,
        _now: Instant,
        rng: Box<dyn RngCore + Send>,
    ) -> Self {
        Self::with_connection(config, options, false, rng)
    }

    /// A client that does the handshake, acknowledges and answers pings, but sends no command
    /// of its own: the caller sends every message ([`ClientSession::send_message`]) and says
    /// what it asked with [`ClientSession::note_request`], so that answers are read as what
    /// they answer. `weir replay` re-sends a captured client this way.
    pub fn manual(
        config: SessionConfig,
        options: ClientOptions,
        _now: Instant,
        rng: Box<dyn RngCore + Send>,
    ) -> Self {
        let mut session = Self::with_connection(config, options, false, rng);
        session.manual = true;
        session
    }

    /// A client machine that reads a recorded server stream: it sends no commands of its own,
    /// learns what the recorded client asked from [`ClientSession::note_request`] (or, when not
    /// told, from the shape of each answer), and does not check the server's handshake replies
    /// against packets the server never saw.
    pub fn observer(config: SessionConfig, rng: Box<dyn RngCore + Send>) -> Self {
        Self::with_connection(config, ClientOptions::new("", ""), true, rng)
    }

    fn with_connection(
        config: SessionConfig,
        options: ClientOptions,
        observer: bool,
        mut rng: Box<dyn RngCore + Send>,
    ) -> Self {
        let handshake = if observer {
            ClientHandshake::observer()
        } else {
            ClientHandshake::new(options.handshake, 0, &mut *rng)
        };
        ClientSession {
            conn: Connection::client(config, handshake, observer),
            options,
            rng,
            outputs: VecDeque::new(),
            connected: false,
            intent: None,
            stream_id: None,
            transactions: HashMap::new(),
            next_transaction: 1.0,
            timeline: Timeline::default(),
            stray_streams: Default::default(),
            incoming: Vec::new(),
            manual: false,
        }
    }

    /// The message stream of the publish or play, once created.
    pub fn stream_id(&self) -> Option<u32> {
        self.stream_id
    }

    /// Bytes received and sent, and the peer's last acknowledgement.
    pub fn counters(&self) -> (u64, u64, u32) {
        self.conn.counters()
    }

    /// Stops (`true`) or resumes acknowledging what the server sends. Resuming acknowledges at
    /// once everything received meanwhile. Probes use it to see whether a server honours the
    /// window it was given with Set Peer Bandwidth (RTMP 1.0 §5.4.5).
    pub fn hold_acknowledgements(&mut self, hold: bool) {
        self.conn.hold_acknowledgements(hold);
    }

    /// Publishes `name` (which may carry `?query`): releaseStream, FCPublish, createStream,
    /// then publish once the stream exists. Starts when connected.
    pub fn publish(&mut self, name: &str, kind: PublishKind) -> Result<(), Error> {
        self.start(Intent::Publish {
            name: name.into(),
            kind,
        })
    }

    /// Plays `name` from `start` seconds (-2: live or recorded, -1: live only).
    pub fn play(&mut self, name: &str, start: f64) -> Result<(), Error> {
        self.start(Intent::Play {
            name: name.into(),
            start,
        })
    }

    fn start(&mut self, intent: Intent) -> Result<(), Error> {
        if self.intent.is_some() {
            return Err(Error::usage(
                "this session already publishes or plays a stream",
            ));
        }
        self.intent = Some(intent);
        if self.connected {
            self.begin_intent()?;
        }
        Ok(())
    }

    /// Sends an audio or video tag body on the publishing stream.
    pub fn send_media(&mut self, timestamp: u32, video: bool, body: Bytes) -> Result<(), Error> {
        let stream_id = self.publishing_stream()?;
        self.conn.send_media(stream_id, timestamp, video, body)?;
        Ok(())
    }

    /// Sends a decoder configuration, frame or end of sequence as an FLV tag body with the
    /// message timestamp `timestamp`.
    pub fn send_packet(&mut self, timestamp: u32, packet: &MediaPacket) -> Result<(), Error> {
        let body = flv_media::write_packet(packet)?;
        self.send_media(timestamp, super::is_video(packet), body)
    }

    /// Sends `@setDataFrame("onMetaData", metadata)`, as FFmpeg and OBS do.
    pub fn send_metadata(&mut self, metadata: Value) -> Result<(), Error> {
        let stream_id = self.publishing_stream()?;
        let values = vec![
            Value::string("@setDataFrame"),
            Value::string("onMetaData"),
            metadata,
        ];
        self.conn.send_data(stream_id, 0, values)?;
        Ok(())
    }

    /// Stops publishing or playing: FCUnpublish (for FMLE-style publishers) and deleteStream.
    pub fn stop(&mut self) -> Result<(), Error> {
        let Some(stream_id) = self.stream_id.take() else {
            return Ok(());
        };
        if let Some(Intent::Publish { name, .. }) = &self.intent
            && self.options.fmle_publish
        {
            let name = Value::string(name.clone());
            self.command_on(0, "FCUnpublish", Transaction::Other, vec![name])?;
        }
        let id = Value::Number(f64::from(stream_id));
        self.command_on(0, "deleteStream", Transaction::Other, vec![id])?;
        self.intent = None;
        Ok(())
    }

    /// Tells an observer that the recorded client sent command `name` with `transaction_id`, so
    /// that the answer is read as what it answers.
    pub fn note_request(&mut self, name: &str, transaction_id: f64) {
        let kind = match name {
            "connect" => Transaction::Connect,
            "createStream" => Transaction::CreateStream,
            _ => Transaction::Other,
        };
        if transaction_id > 0.0 && transaction_id.fract() == 0.0 {
            self.transactions.insert(transaction_id as u64, kind);
        }
    }

    /// Sends any command; an answer comes out as [`ClientEvent::Command`]. Returns the
    /// transaction id used; fails for a command RTMP cannot carry (16 MiB or more).
    pub fn send_command(
        &mut self,
        stream_id: u32,
        name: &str,
        args: Vec<Value>,
    ) -> Result<f64, Error> {
        self.command_on(stream_id, name, Transaction::Other, args)
    }

    /// Sends any message as it is, for probes that test how a server copes.
    pub fn send_message(
        &mut self,
        csid: u32,
        timestamp: u32,
        stream_id: u32,
        message: &Message,
    ) -> Result<(), Error> {
        self.conn.send(csid, timestamp, stream_id, message)?;
        Ok(())
    }

    /// Sends raw bytes as they are (after the handshake), for probes.
    pub fn send_raw(&mut self, raw: &RawMessage) -> Result<(), Error> {
        self.conn.send_raw(raw)?;
        Ok(())
    }

    fn publishing_stream(&self) -> Result<u32, Error> {
        match (&self.intent, self.stream_id) {
            (Some(Intent::Publish { .. }), Some(id)) => Ok(id),
            _ => Err(Error::usage(
                "not publishing: call publish and wait for Publishing",
            )),
        }
    }

    /// Whether a start status on `stream_id` answers this client's publish (or play): a
    /// server's unasked `Publish.Start` must not tell the user media may flow. An observer
    /// of a capture asked nothing itself and takes the status as the capture's client did.
    fn asked(&self, stream_id: u32, publish: bool) -> bool {
        let intent = match &self.intent {
            Some(Intent::Publish { .. }) => publish,
            Some(Intent::Play { .. }) => !publish,
            None => false,
        };
        self.conn.is_observer() || (intent && self.stream_id == Some(stream_id))
    }

    fn emit(&mut self, event: ClientEvent) {
        self.outputs.push_back(Output::Event(event));
    }

    fn send_connect(&mut self) -> Result<(), Error> {
        let chunk_size = self.conn.config.chunk_size;
        self.conn.set_chunk_size(chunk_size);
        let o = &self.options;
        let object = Value::object([
            ("app", Value::string(o.app.clone())),
            ("type", Value::string("nonprivate")),
            ("flashVer", Value::string(o.flash_ver.clone())),
            ("tcUrl", Value::string(o.tc_url.clone())),
            ("fpad", Value::Boolean(false)),
            ("capabilities", Value::Number(15.0)),
            ("audioCodecs", Value::Number(4071.0)),
            ("videoCodecs", Value::Number(252.0)),
            ("videoFunction", Value::Number(1.0)),
            ("objectEncoding", Value::Number(0.0)),
        ]);
        let object = match (o.connect_form, object) {
            (ConnectForm::EcmaArray, Value::Object(fields)) => Value::EcmaArray(fields),
            (_, object) => object,
        };
        let amf3 = o.connect_form == ConnectForm::Amf3;
        let transaction_id = self.take_transaction(Transaction::Connect);
        let command = Command {
            name: "connect".into(),
            transaction_id,
            object,
            args: vec![],
            amf3,
        };
        self.conn
            .send(csid::CONNECTION, 0, 0, &Message::Command(command))?;
        Ok(())
    }

    fn begin_intent(&mut self) -> Result<(), Error> {
        if let Some(Intent::Publish { name, .. }) = &self.intent
            && self.options.fmle_publish
        {
            let name = Value::string(name.clone());
            self.command_on(0, "releaseStream", Transaction::Other, vec![name.clone()])?;
            self.command_on(0, "FCPublish", Transaction::Other, vec![name])?;
        }
        if self.intent.is_some() {
            self.command_on(0, "createStream", Transaction::CreateStream, vec![])?;
        }
        Ok(())
    }

    fn take_transaction(&mut self, kind: Transaction) -> f64 {
        let txn = self.next_transaction;
        self.next_transaction += 1.0;
        self.transactions.insert(txn as u64, kind);
        txn
    }

    fn command_on(
        &mut self,
        stream_id: u32,
        name: &str,
        kind: Transaction,
        args: Vec<Value>,
    ) -> Result<f64, Error> {
        let transaction_id = self.take_transaction(kind);
        self.conn
            .send_command(stream_id, name, transaction_id, Value::Null, args)?;
        Ok(transaction_id)
    }

    fn receive(&mut self, header: Header, message: Message) -> Result<(), Error> {
        match message {
            Message::Command(command) => self.command(header, command)?,
            Message::UserControl(event) => {
                if let UserControl::StreamBegin(stream_id) = event {
                    self.timeline.restart(stream_id);
                }
                self.emit(ClientEvent::UserControl(event))
            }
            Message::Audio(body) | Message::Video(body) if body.is_empty() => {}
            Message::Audio(body) => self.media(header, message::AUDIO, body),
            Message::Video(body) => self.media(header, message::VIDEO, body),
            Message::Data(data) => self.data(header, data),
            Message::SetChunkSize(_)
            | Message::Abort { .. }
            | Message::Acknowledgement { .. }
            | Message::WindowAckSize(_)
            | Message::SetPeerBandwidth { .. }
            | Message::SharedObject { .. } => self.emit(ClientEvent::Control(message)),
            _ => {}
        }
        Ok(())
    }

    fn command(&mut self, header: Header, command: Command) -> Result<(), Error> {
        let stream_id = header.stream_id;
        match command.name.as_str() {
            "_result" | "_error" => self.answer(header, command)?,
            "onStatus" => {
                let status = Status::from_value(command.args.first().unwrap_or(&Value::Null));
                if matches!(
                    status.code.as_str(),
                    "NetStream.Seek.Notify" | "NetStream.Play.Reset"
                ) {
                    // Media starts again from the seek point or the playlist's start.
                    self.timeline.restart(stream_id);
                }
                match status.code.as_str() {
                    "NetStream.Publish.Start" if self.asked(stream_id, true) => {
                        self.emit(ClientEvent::Publishing { stream_id })
                    }
                    "NetStream.Play.Start" if self.asked(stream_id, false) => {
                        self.emit(ClientEvent::Playing { stream_id })
                    }
                    _ => {}
                }
                self.emit(ClientEvent::Status { stream_id, status });
            }
            _ => self.emit(ClientEvent::Command { stream_id, command }),
        }
        Ok(())
    }

    fn answer(&mut self, header: Header, command: Command) -> Result<(), Error> {
        let txn = command.transaction_id;
        let known =
            (txn >= 0.0 && txn.fract() == 0.0).then(|| self.transactions.remove(&(txn as u64)));
        let kind = match known {
            Some(Some(kind)) => Some(kind),
            _ if self.conn.is_observer() => Some(guess_transaction(&command)),
            _ => None,
        };
        let Some(kind) = kind else {
            let detail = format!(
                "{} for transaction {txn}, which was not asked",
                command.name
            );
            let v = Violation::new(&rules::COMMAND_TRANSACTION_ID, header.offset, detail);
            self.outputs.push_back(Output::Violation(v));
            self.emit(ClientEvent::Command {
                stream_id: header.stream_id,
                command,
            });
            return Ok(());
        };
        let ok = command.name == "_result";
        match kind {
            Transaction::Connect => {
                let status = Status::from_value(command.args.first().unwrap_or(&Value::Null));
                if ok && !status.is_error() {
                    self.connected = true;
                    self.emit(ClientEvent::Connected {
                        properties: command.object,
                        status,
                    });
                    self.begin_intent()?;
                } else {
                    self.emit(ClientEvent::ConnectRejected(status));
                }
            }
            Transaction::CreateStream if ok => {
                let id = command.args.first().and_then(Value::as_f64).unwrap_or(-1.0);
                if !(1.0..=f64::from(u32::MAX)).contains(&id) {
                    let detail = format!("createStream answered with stream id {id}");
                    let v = Violation::new(&rules::COMMAND_CREATE_STREAM_ID, header.offset, detail);
                    self.outputs.push_back(Output::Violation(v));
                    return Ok(());
                }
                let stream_id = id as u32;
                self.stream_id = Some(stream_id);
                self.emit(ClientEvent::StreamCreated { stream_id });
                self.begin_stream(stream_id)?;
            }
            _ => self.emit(ClientEvent::Command {
                stream_id: header.stream_id,
                command,
            }),
        }
        Ok(())
    }

    /// publish or play on the stream createStream gave us.
    fn begin_stream(&mut self, stream_id: u32) -> Result<(), Error> {
        let (name, args) = match &self.intent {
            Some(Intent::Publish { name, kind }) => (
                "publish",
                vec![Value::string(name.clone()), Value::string(kind.as_str())],
            ),
            Some(Intent::Play { name, start }) => (
                "play",
                vec![Value::string(name.clone()), Value::Number(*start)],
            ),
            None => return Ok(()),
        };
        // publish and play expect no _result: transaction id 0 (RTMP 1.0 §7.2.2).
        self.conn
            .send_command(stream_id, name, 0.0, Value::Null, args)?;
        if name == "play" {
            let millis = self.options.buffer_ms;
            let event = UserControl::SetBufferLength { stream_id, millis };
            self.conn
                .send(csid::CONTROL, 0, 0, &Message::UserControl(event))?;
        }
        Ok(())
    }

    /// Media should arrive on the played stream; reported once per wrong stream id.
    fn check_stream(&mut self, header: Header, what: &str) {
        if Some(header.stream_id) != self.stream_id && self.stray_streams.insert(header.stream_id) {
            let played = match self.stream_id {
                Some(id) => format!("the played stream {id}"),
                None => "no stream: none was created".to_owned(),
            };
            let detail = format!(
                "{what} on message stream {}, not {played}",
                header.stream_id
            );
            let v = Violation::new(&rules::MEDIA_STREAM_ID, header.offset, detail);
            self.outputs.push_back(Output::Violation(v));
        }
    }

    fn media(&mut self, header: Header, type_id: u8, body: Bytes) {
        let what = if type_id == message::AUDIO {
            "audio"
        } else {
            "video"
        };
        self.check_stream(header, what);
        let (stream_id, timestamp) = (header.stream_id, header.timestamp);
        let outputs = &mut self.outputs;
        let time = self.timeline.time(header);
        super::receive_media(
            &mut self.timeline,
            time,
            header,
            type_id,
            body,
            self.conn.is_observer(),
            &mut |item| {
                outputs.push_back(match item {
                    Ok(data) => Output::Event(ClientEvent::Data {
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
        let (stream_id, timestamp) = (header.stream_id, header.timestamp);
        let time = self.timeline.time(header);
        // Without a handler name there is nothing to deliver; `Message::decode` has already
        // reported the message (rtmp.data.amf), once.
        if let Ok(data) = StreamData::from_data(data) {
            self.emit(ClientEvent::Data {
                stream_id,
                timestamp,
                time,
                data,
            })
        }
    }
}

impl Machine for ClientSession {
    type Event = ClientEvent;

    /// Takes bytes from the server.
    fn handle_input(&mut self, _now: Instant, data: &[u8]) -> Result<(), Error> {
        let mut data = data;
        loop {
            let mut incoming = std::mem::take(&mut self.incoming);
            let result = self.conn.receive(data, &mut *self.rng, &mut incoming);
            for item in incoming.drain(..) {
                match item {
                    Incoming::HandshakeDone(info) => {
                        self.emit(ClientEvent::Handshake(info));
                        if !self.conn.is_observer() && !self.manual {
                            self.send_connect()?;
                        }
                    }
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

    /// The server closed the connection (end of stream). An error says what was cut short.
    fn handle_end(&mut self, _now: Instant) -> Result<(), Error> {
        self.conn.close()
    }

    /// RTMP needs no timers of its own: timeouts belong to the driver.
    fn poll_timeout(&self) -> Option<Instant> {
        None
    }

    fn handle_timeout(&mut self, _now: Instant) {}

    fn poll_output(&mut self) -> Option<Output<ClientEvent>> {
        if let Some(bytes) = self.conn.take_transmit() {
            return Some(Output::Transmit(bytes));
        }
        self.outputs.pop_front()
    }
}

/// What an answer most likely answers, for an observer that was not told: connect's answer
/// carries a `NetConnection.Connect.*` status, createStream's a stream id — never 0, the
/// NetConnection's own id, which is what getStreamLength answers for a live stream.
fn guess_transaction(answer: &Command) -> Transaction {
    match answer.args.first() {
        Some(Value::Number(n)) if *n >= 1.0 => Transaction::CreateStream,
        Some(info)
            if Status::from_value(info)
                .code
                .starts_with("NetConnection.Connect.") =>
        {
            Transaction::Connect
        }
        _ => Transaction::Other,
    }
}
