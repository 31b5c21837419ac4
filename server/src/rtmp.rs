//! RTMP: one task per connection drives one [`ServerSession`]. Connect, publish and play are
//! decided here (vhost, security rules, HTTP callbacks, the hub); everything on the wire is the
//! machine's.

use crate::Context;
use crate::clients::{ClientKind, ClientRequest};
use crate::direct::{Counters, DirectSink, Framing};
use crate::flv;
use crate::session::{Denied, RoleId, Session};
use crate::tls::Tls;
use crate::wire::{self, Incoming, Outgoing};
use bytes::Bytes;
use rand::SeedableRng;
use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::Ordering::Relaxed;
use std::time::Instant;
use tokio::net::{TcpListener, TcpStream};
use tracing::{Instrument, debug, info, warn};
use weir_hub::{Item, Publisher, Stream, Subscriber};
use weir_media::Machine;
use weir_media::{Output, Timestamp};
use weir_rtmp::session::server::ConnectRequest;
use weir_rtmp::session::server::split_query;
use weir_rtmp::session::{
    PlayRequest, PublishRequest, ServerEvent, ServerSession, SessionConfig, SharedWriter,
    StreamData,
};
use weir_transcode::{Want, each_as};

const READ_BUFFER: usize = 64 * 1024;

/// Accepts RTMP connections until shutdown; RTMPS ones, each with the certificate current
/// when it arrives, when `tls` is given: the same sessions after the TLS handshake.
pub async fn listen(ctx: Arc<Context>, listener: TcpListener, tls: Option<Arc<Tls>>) {
    let mut shutdown = ctx.shutdown();
    loop {
        let Some((socket, peer)) = crate::accept(&listener, &mut shutdown, "rtmp").await else {
            break;
        };
        if ctx.clients.len() >= ctx.config().rtmp.max_connections {
            warn!(%peer, "refusing connection: max_connections reached");
            continue;
        }
        ctx.metrics.connections.add("rtmp", 1);
        let session = Session::open(&ctx, peer, ClientKind::RtmpConnect);
        let client = Arc::clone(session.client());
        let acceptor = tls.as_ref().map(|tls| tls.acceptor());
        let task = tokio::spawn(serve(session, socket, peer, acceptor));
        client.set_abort(task.abort_handle());
    }
}

async fn serve(
    mut session: Session,
    socket: TcpStream,
    peer: SocketAddr,
    tls: Option<tokio_rustls::TlsAcceptor>,
) {
    let ctx = session.context().clone();
    let _ = socket.set_nodelay(ctx.config().rtmp.tcp_nodelay);
    // The session's span: entered where the connection logs (commands, violations, its end),
    // not around every poll — a player's task is polled for every frame it sends.
    let span = tracing::info_span!("rtmp", id = %session.client().id, %peer);
    session.set_span(span.clone());
    let (reader, writer) = match tls {
        None => wire::tcp(socket),
        Some(acceptor) => {
            let limit = ctx.config().rtmp.handshake_timeout;
            match tokio::time::timeout(limit, acceptor.accept(socket)).await {
                Ok(Ok(stream)) => wire::tls(stream),
                Ok(Err(e)) => {
                    span.in_scope(|| info!(error = %e, "TLS handshake failed; closed"));
                    return;
                }
                Err(_) => {
                    span.in_scope(|| info!("TLS handshake timed out; closed"));
                    return;
                }
            }
        }
    };
    let mut conn = Connection::new(session, writer, span.clone());
    let result = conn.run(reader).await;
    let _entered = span.enter();
    match result {
        Ok(()) => debug!("closed"),
        Err(e) => {
            ctx.metrics.errors.add("rtmp", 1);
            if let Close::Protocol(weir_rtmp::Error {
                rule: Some(rule), ..
            }) = &e
            {
                ctx.metrics.violations.add(rule.id, 1);
            }
            info!(error = %e, "closed");
        }
    }
}

/// What a connection does on a message stream.
enum Role {
    Publishing {
        stream_id: u32,
        role: RoleId,
        publisher: Publisher,
        /// Configurations of codecs FLV sends no sequence header for (MP3, G.711), made from
        /// their frames for the hub, its muxers and the API.
        configs: weir_media::Announcer,
    },
    Playing {
        stream_id: u32,
        role: RoleId,
    },
}

/// Why a connection ends.
#[derive(Debug, thiserror::Error)]
enum Close {
    #[error("{0}")]
    Io(#[from] io::Error),
    #[error("{0}")]
    Protocol(#[from] weir_rtmp::Error),
    #[error("{0}")]
    Refused(String),
    #[error("timed out: {0}")]
    Timeout(&'static str),
}

struct Connection {
    ctx: Arc<Context>,
    /// The client's way in and out: the registry, the callbacks, the hub.
    session: Session,
    span: tracing::Span,
    machine: ServerSession,
    /// Shared with the stream's direct writes while the player is caught up (plain TCP).
    writer: Outgoing,
    tx: Vec<Bytes>,
    roles: Vec<Role>,
    /// The player's subscription (one per connection).
    subscriber: Option<Subscriber>,
    /// While the player is caught up: the sink its stream writes to directly.
    direct: Option<Arc<DirectSink<RtmpFraming>>>,
    /// Whether the played stream's publisher is known to be present.
    publisher_present: bool,
    /// Set when an answer requires closing once it is flushed.
    close_after_flush: Option<String>,
    last_input: Instant,
}

impl Connection {
    fn new(session: Session, writer: Outgoing, span: tracing::Span) -> Self {
        let ctx = session.context().clone();
        let rtmp = &ctx.config().rtmp;
        let mut config = SessionConfig {
            chunk_size: rtmp.chunk_size,
            ..SessionConfig::default()
        };
        config.chunk_limits.max_message_size = rtmp.max_message_size;
        // The handshake's random bytes need no cryptographic strength; a small generator keeps
        // each connection small.
        let rng = Box::new(rand::rngs::SmallRng::from_rng(&mut rand::rng()));
        Connection {
            machine: ServerSession::new(config, Instant::now(), rng),
            ctx,
            session,
            span,
            writer,
            tx: Vec::new(),
            roles: Vec::new(),
            subscriber: None,
            direct: None,
            publisher_present: false,
            close_after_flush: None,
            last_input: Instant::now(),
        }
    }

    /// The connection's loop. Shutdown ends it from outside (the server kicks every client;
    /// `Drop` still sends the callbacks), so that a player's loop, which turns once per frame,
    /// waits on nothing but its socket and its stream; the socket's readiness future lives
    /// across turns for the same reason.
    async fn run(&mut self, reader: Incoming) -> Result<(), Close> {
        let mut readable = std::pin::pin!(reader.readable());
        loop {
            let deadline = self.deadline();
            tokio::select! {
                ready = &mut readable => {
                    ready?;
                    readable.set(reader.readable());
                    match self.read(&reader)? {
                        Read::Closed => {
                            self.machine.handle_end(Instant::now())?;
                            self.drain().await?;
                            return Ok(());
                        }
                        Read::Bytes => self.drain().await?,
                        Read::Nothing => {}
                    }
                }
                // A client's Set Peer Bandwidth window, when full, holds media back until it
                // acknowledges; meanwhile the ring moves on (and the stall watchdog watches).
                item = next_item(&mut self.subscriber),
                    if self.direct.is_none() && self.machine.output_window_open() => {
                    if let Some(subscriber) = &self.subscriber {
                        subscriber.merge_wait().await;
                    }
                    self.deliver(item);
                    self.drain().await?;
                }
                // The stream wrote to the socket itself until now; the player's turn.
                () = parked(&self.direct) => {
                    self.take_over();
                    self.drain().await?;
                }
                what = expire(deadline) => return Err(Close::Timeout(what)),
            }
            if let Some(reason) = self.close_after_flush.take() {
                return Err(Close::Refused(reason));
            }
            self.try_direct();
        }
    }

    /// Hands a player to its stream's direct writes once everything it had to write is written
    /// and it plays everything as it comes (what still waits in the ring goes to the sink
    /// first). Never over TLS: the sink writes plain bytes to the socket.
    fn try_direct(&mut self) {
        if self.direct.is_some() || !self.tx.is_empty() {
            return;
        }
        let Some(subscriber) = self.subscriber.as_mut() else {
            return;
        };
        let Some(stream_id) = self.roles.iter().find_map(Role::playing) else {
            return;
        };
        let Some(writer) = self.machine.shared_writer(stream_id) else {
            return;
        };
        let Some(socket) = self.writer.direct() else {
            return;
        };
        let counters = Counters {
            ctx: self.ctx.clone(),
            client: Arc::clone(self.session.client()),
            stream: subscriber.stream().clone(),
            progress: subscriber.progress(),
        };
        let framing = RtmpFraming {
            writer,
            stream: subscriber.stream().clone(),
        };
        let last = subscriber.last_seq();
        let sink = Arc::new(DirectSink::new(socket, framing, counters, last));
        let added = subscriber.go_direct(sink.clone());
        self.direct = Some(sink);
        if !added {
            // Not now; the sink may have taken part of what waited in the ring: from there.
            self.take_over();
        }
    }

    /// Takes the player back from its stream's direct writes: what the stream could not write
    /// goes first, the machine counts what it wrote, and the ring resumes after its last item.
    fn take_over(&mut self) {
        let Some(sink) = self.direct.take() else {
            return;
        };
        let handover = sink.take_over();
        self.ctx.metrics.direct_handovers.fetch_add(1, Relaxed);
        self.machine.note_written(handover.written);
        self.tx.splice(0..0, handover.pending);
        if let Some(subscriber) = &mut self.subscriber {
            subscriber.resume_after(handover.last_seq);
        }
    }

    /// Reads what the socket has into the thread's scratch buffer and hands it to the machine
    /// at once: a connection owns no read buffer of its own, which keeps idle players small.
    fn read(&mut self, reader: &Incoming) -> Result<Read, Close> {
        thread_local! {
            static SCRATCH: std::cell::RefCell<Box<[u8]>> =
                std::cell::RefCell::new(vec![0; READ_BUFFER].into_boxed_slice());
        }
        SCRATCH.with(|scratch| {
            let mut scratch = scratch.borrow_mut();
            let n = match reader.try_read(&mut scratch) {
                Ok(0) => return Ok(Read::Closed),
                Ok(n) => n,
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return Ok(Read::Nothing),
                Err(e) => return Err(e.into()),
            };
            self.last_input = Instant::now();
            self.session.client().add_recv(n as u64);
            self.ctx.metrics.add_recv(n as u64);
            self.machine.handle_input(self.last_input, &scratch[..n])?;
            Ok(Read::Bytes)
        })
    }

    /// Until it publishes or plays, a client must keep the handshake and commands moving; a
    /// publisher must keep sending; a player may stay silent (the stall watchdog watches it).
    fn deadline(&self) -> Option<(Instant, &'static str)> {
        let rtmp = &self.ctx.config().rtmp;
        if self.roles.is_empty() {
            Some((
                self.last_input + rtmp.handshake_timeout,
                "no publish or play",
            ))
        } else if self
            .roles
            .iter()
            .any(|r| matches!(r, Role::Publishing { .. }))
        {
            Some((
                self.last_input + rtmp.idle_timeout,
                "publisher sent nothing",
            ))
        } else {
            None
        }
    }

    /// Handles every output of the machine, then writes what it produced. A player written to
    /// directly is taken back first when the machine has something to say, or no longer plays
    /// everything as it comes (paused, a kind of media off, a Set Peer Bandwidth window).
    async fn drain(&mut self) -> Result<(), Close> {
        let playing = self.roles.iter().find_map(Role::playing);
        if playing.is_some_and(|id| self.machine.shared_writer(id).is_none()) {
            self.take_over();
        }
        while let Some(output) = self.machine.poll_output() {
            // What the machine only reports (a violation, a control message it has applied, a
            // command it has answered: its answer is a Transmit) leaves the player's writer
            // alone: a player's every acknowledgement would otherwise bounce it off the ring.
            let informational = matches!(
                output,
                Output::Violation(_)
                    | Output::Event(ServerEvent::Control(_) | ServerEvent::Handled { .. })
            );
            if !informational {
                self.take_over();
            }
            match output {
                Output::Transmit(bytes) => self.tx.push(bytes),
                Output::Event(event) => {
                    // Boxed: the callbacks' HTTP futures are large, and a task is as large as
                    // its largest state — every player would carry them.
                    let span = self.span.clone();
                    Box::pin(self.on_event(event).instrument(span)).await?
                }
                Output::Violation(v) => {
                    self.ctx.metrics.violations.add(v.rule.id, 1);
                    self.span.in_scope(|| {
                        warn!(rule = v.rule.id, offset = v.offset, detail = %v.detail, "peer broke a rule")
                    });
                }
            }
        }
        self.flush().await
    }

    async fn flush(&mut self) -> Result<(), Close> {
        let sent = self.writer.write_all(&mut self.tx).await?;
        self.session.client().add_sent(sent);
        self.ctx.metrics.add_sent(sent);
        if let Some(stream) = self.subscriber.as_ref().map(|s| s.stream()) {
            stream.add_sent(sent);
        }
        Ok(())
    }

    async fn on_event(&mut self, event: ServerEvent) -> Result<(), Close> {
        match event {
            ServerEvent::Connect(request) => self.on_connect(request).await?,
            ServerEvent::Publish(request) => self.on_publish(request).await?,
            ServerEvent::Play(request) => self.on_play(request).await?,
            ServerEvent::Unpublish { stream_id } => self.stop(stream_id),
            ServerEvent::PlayStop { stream_id } => self.stop(stream_id),
            ServerEvent::Data {
                stream_id,
                time,
                data,
                ..
            } => {
                self.on_data(stream_id, time, data);
                // A stream's fan-out to thousands of players takes a while: let the other
                // sessions (and the accept loop) run between two items of one input.
                tokio::task::yield_now().await;
            }
            ServerEvent::Handshake(info) => debug!(kind = ?info.kind, "handshake done"),
            other => debug!(event = ?other, "event"),
        }
        Ok(())
    }

    async fn on_connect(&mut self, request: ConnectRequest) -> Result<(), Close> {
        let (app, app_query) = split_query(&request.app);
        let tc_url = request.tc_url.clone().unwrap_or_default();
        let vhost = self.ctx.resolve_vhost(&tc_url, app_query);
        let info = ClientRequest {
            vhost,
            app: app.trim_end_matches('/').to_owned(),
            tc_url,
            page_url: request.page_url.clone().unwrap_or_default(),
            swf_url: request.swf_url.clone().unwrap_or_default(),
            ..ClientRequest::default()
        };
        info!(vhost = %info.vhost, app = %info.app, tc_url = %info.tc_url, "connect");
        match self.session.connect(info).await {
            Ok(()) => self.machine.accept_connect(request.id)?,
            Err(denied) => {
                warn!(reason = %denied, "connect denied by on_connect");
                self.machine
                    .reject_connect(request.id, &denied.to_string())?;
                self.close_after_flush = Some(format!("connect denied: {denied}"));
            }
        }
        Ok(())
    }

    /// The vhost, app, stream and the hooks' context of a publish or play.
    fn stream_request(&self, name: &str, query: &str) -> ClientRequest {
        let mut request = self.session.connected().cloned().unwrap_or_default();
        request.stream = name.to_owned();
        request.param = if query.is_empty() {
            String::new()
        } else {
            format!("?{query}")
        };
        request
    }

    async fn on_publish(&mut self, request: PublishRequest) -> Result<(), Close> {
        let info = self.stream_request(&request.name, &request.query);
        let key = crate::session::key(&info);
        info!(stream = %key, "publish");
        match self.session.publish(info, ClientKind::FmlePublish).await {
            Ok((role, publisher)) => {
                self.roles.push(Role::Publishing {
                    stream_id: request.stream_id,
                    role,
                    publisher,
                    configs: weir_media::Announcer::default(),
                });
                self.machine.accept_publish(request.id)?;
            }
            Err(denied) => {
                let busy = denied.is_busy();
                warn!(stream = %key, reason = %denied, "publish denied");
                self.machine
                    .reject_publish(request.id, busy, &denied.to_string())?;
                self.close_after_flush = Some(match busy {
                    true => "stream busy".into(),
                    false => format!("publish denied: {denied}"),
                });
            }
        }
        Ok(())
    }

    async fn on_play(&mut self, request: PlayRequest) -> Result<(), Close> {
        let info = self.stream_request(&request.name, &request.query);
        let key = crate::session::key(&info);
        info!(stream = %key, "play");
        if self.subscriber.is_some() {
            let reason = "one play per connection";
            self.machine.reject_play(request.id, false, reason)?;
            return Ok(());
        }
        let param = info.param.clone();
        match self.session.play(info, ClientKind::RtmpPlay).await {
            Ok((role, subscriber)) => {
                self.publisher_present = subscriber.stream().has_publisher();
                self.subscriber = Some(subscriber);
                self.roles.push(Role::Playing {
                    stream_id: request.stream_id,
                    role,
                });
                self.machine.accept_play(request.id)?;
            }
            Err(Denied::Redirect(key, node)) => {
                let url = node.rtmp_url(&key, &param);
                info!(stream = %key, %url, "play redirected (RTMP 302)");
                self.ctx.metrics.redirects.add("rtmp", 1);
                self.machine.redirect_play(request.id, &url)?;
                self.close_after_flush = Some(format!("play redirected to {url}"));
            }
            Err(denied) => {
                warn!(stream = %key, reason = %denied, "play denied");
                self.machine
                    .reject_play(request.id, false, &denied.to_string())?;
                self.close_after_flush = Some(format!("play denied: {denied}"));
            }
        }
        Ok(())
    }

    /// Ends a publish or a play on `stream_id` (its callback goes out).
    fn stop(&mut self, stream_id: u32) {
        let Some(at) = self.roles.iter().position(|r| r.stream_id() == stream_id) else {
            return;
        };
        let role = self.roles.remove(at);
        let (Role::Publishing { role: id, .. } | Role::Playing { role: id, .. }) = role;
        if matches!(role, Role::Playing { .. }) {
            self.take_over();
            self.subscriber = None;
        }
        drop(role);
        self.session.end(id);
    }

    fn on_data(&mut self, stream_id: u32, time: Timestamp, data: StreamData) {
        let Some((publisher, configs)) = self.roles.iter_mut().find_map(|r| match r {
            Role::Publishing {
                stream_id: id,
                publisher,
                configs,
                ..
            } if *id == stream_id => Some((publisher, configs)),
            _ => None,
        }) else {
            return;
        };
        push_data(configs, time, data, &mut |item| publisher.push(item));
    }

    /// Sends an item to the player, with whatever else is already waiting.
    fn deliver(&mut self, first: Option<Item>) {
        let Some(first) = first else {
            self.subscriber = None;
            return;
        };
        let Some(stream_id) = self.roles.iter().find_map(Role::playing) else {
            return;
        };
        let Some(subscriber) = self.subscriber.as_mut() else {
            return;
        };
        let (session, present) = (&mut self.machine, &mut self.publisher_present);
        let stream = subscriber.stream().clone();
        subscriber.batch(first, |item| {
            send_item(session, present, &stream, stream_id, item)
        });
    }
}

/// What an RTMP (or FLV) message of a published stream carries, as hub items: RTMP
/// publishers' and the edge's pulls (`crate::cluster::pull`) share it.
pub(crate) fn push_data(
    configs: &mut weir_media::Announcer,
    time: Timestamp,
    data: StreamData,
    push: &mut impl FnMut(Item),
) {
    match data {
        // A frame of a codec without a sequence header comes after the configuration it
        // implies, the first time and when it changes.
        StreamData::Media(packet) => configs.packet(packet, &mut |p| push(Item::media(time, p))),
        StreamData::Metadata(value) => match weir_flv::metadata_of(&value) {
            Some(metadata) => push(Item::metadata(time, metadata)),
            None => debug!("onMetaData without properties ignored"),
        },
        StreamData::Data { handler, .. } => debug!(%handler, "data message ignored"),
        StreamData::Unreadable { type_id, .. } => {
            debug!(type_id, "unreadable media message dropped")
        }
    }
}

/// Queues an item on the player's session (Opus audio as AAC, transcoded once for the
/// stream); `present` remembers whether the player was last told the publisher is there, so it
/// hears of each change once.
fn send_item(
    session: &mut ServerSession,
    present: &mut bool,
    stream: &Stream,
    stream_id: u32,
    item: Item,
) {
    match item {
        Item::Media(media) => each_as(stream, &media, Want::Aac, |media| {
            if let Some(body) = flv::body(media) {
                let timestamp = flv::timestamp(media.time);
                if let Err(e) = session.send_shared(stream_id, timestamp, media.is_video(), body) {
                    debug!(error = %e, "media not sent");
                }
            }
        }),
        Item::Metadata(metadata) => {
            let value = weir_flv::metadata_value(&metadata.value);
            let timestamp = flv::timestamp(metadata.time);
            if let Err(e) = session.send_metadata(stream_id, timestamp, value) {
                debug!(error = %e, "metadata not sent");
            }
        }
        Item::Publisher(now) => {
            if now != *present {
                *present = now;
                if let Err(e) = session.notify_publisher(stream_id, now) {
                    debug!(error = %e, "publisher notice not sent");
                }
            }
        }
    }
}

/// RTMP's framing of a stream's items for a player written to directly: the media messages
/// every player of the stream shares (see `weir_rtmp::chunk::SharedBody`), Opus audio as the
/// stream's AAC; anything else is for the player's task.
struct RtmpFraming {
    writer: SharedWriter,
    stream: Arc<Stream>,
}

impl Framing for RtmpFraming {
    fn frame(&self, item: &Item, out: &mut Vec<Bytes>) -> bool {
        let Item::Media(media) = item else {
            return false;
        };
        each_as(&self.stream, media, Want::Aac, |media| {
            let timestamp = flv::timestamp(media.time);
            let message =
                flv::body(media).map(|b| self.writer.message(timestamp, media.is_video(), b));
            if let Some(Ok(message)) = message {
                out.push(message);
            }
        });
        true
    }
}

/// Ready when the stream hands a player written to directly back to its task; never without.
async fn parked(direct: &Option<Arc<DirectSink<RtmpFraming>>>) {
    match direct {
        Some(sink) => sink.parked().await,
        None => std::future::pending().await,
    }
}

impl Role {
    /// The message stream of a play.
    fn playing(&self) -> Option<u32> {
        match self {
            Role::Playing { stream_id, .. } => Some(*stream_id),
            Role::Publishing { .. } => None,
        }
    }

    fn stream_id(&self) -> u32 {
        match self {
            Role::Publishing { stream_id, .. } | Role::Playing { stream_id, .. } => *stream_id,
        }
    }
}

/// What one read from the socket gave.
enum Read {
    Closed,
    Bytes,
    /// A spurious readiness: nothing to read after all.
    Nothing,
}

/// Ready when the deadline passes, with its reason; never without a deadline.
async fn expire(deadline: Option<(Instant, &'static str)>) -> &'static str {
    match deadline {
        Some((at, what)) => {
            tokio::time::sleep_until(at.into()).await;
            what
        }
        None => std::future::pending().await,
    }
}

/// The played stream's next item; never ready when nothing is played.
async fn next_item(subscriber: &mut Option<Subscriber>) -> Option<Item> {
    match subscriber {
        Some(s) => s.recv().await,
        None => std::future::pending().await,
    }
}
