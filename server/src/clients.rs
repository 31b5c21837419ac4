//! Connected clients, as the API lists and kicks them. The client id is also the id of the
//! session's tracing span.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::sync::{Arc, Mutex};
use std::time::Instant;
use tokio::task::AbortHandle;
use weir_hub::Stream;

/// What a client does, in SRS's words (`type` in the API).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClientKind {
    /// Connected over RTMP, not yet publishing or playing.
    RtmpConnect,
    /// Publishing over RTMP with FMLE's FCPublish/releaseStream sequence.
    FmlePublish,
    /// Publishing over RTMP without it (Flash-style).
    FlashPublish,
    RtmpPlay,
    FlvPlay,
    /// Playing HTTP-TS.
    TsPlay,
    /// Playing the audio alone as HTTP-MP3.
    Mp3Play,
    /// Playing the audio alone as HTTP-AAC (ADTS).
    AacPlay,
    /// Publishing MPEG-TS over UDP.
    MpegtsPublish,
    /// Publishing over WebRTC (WHIP or SRS's `/rtc/v1/publish/`).
    RtcPublish,
    /// Playing over WebRTC (WHEP or SRS's `/rtc/v1/play/`).
    RtcPlay,
    /// Publishing over SRT (`m=publish`).
    SrtPublish,
    /// Playing over SRT.
    SrtPlay,
    /// A GB28181 device publishing PS over RTP.
    Gb28181Publish,
    /// An edge's pull of a stream from an origin, publishing it into the edge's hub (see
    /// `crate::cluster::edge`).
    EdgePull,
}

impl ClientKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ClientKind::RtmpConnect => "rtmp-connect",
            ClientKind::FmlePublish => "fmle-publish",
            ClientKind::FlashPublish => "flash-publish",
            ClientKind::RtmpPlay => "rtmp-play",
            ClientKind::FlvPlay => "flv-play",
            ClientKind::TsPlay => "ts-play",
            ClientKind::Mp3Play => "mp3-play",
            ClientKind::AacPlay => "aac-play",
            ClientKind::MpegtsPublish => "mpegts-publish",
            ClientKind::RtcPublish => "rtc-publish",
            ClientKind::RtcPlay => "rtc-play",
            ClientKind::SrtPublish => "srt-publish",
            ClientKind::SrtPlay => "srt-play",
            ClientKind::Gb28181Publish => "gb28181-publish",
            ClientKind::EdgePull => "edge-pull",
        }
    }

    /// Whether a player of this kind can be redirected to another node: RTMP (302 in
    /// `onStatus`) and the HTTP players (302 and `Location`).
    pub fn redirects(self) -> bool {
        matches!(
            self,
            ClientKind::RtmpPlay
                | ClientKind::FlvPlay
                | ClientKind::TsPlay
                | ClientKind::Mp3Play
                | ClientKind::AacPlay
        )
    }

    pub fn is_publish(self) -> bool {
        matches!(
            self,
            ClientKind::FmlePublish
                | ClientKind::FlashPublish
                | ClientKind::MpegtsPublish
                | ClientKind::RtcPublish
                | ClientKind::SrtPublish
                | ClientKind::Gb28181Publish
                | ClientKind::EdgePull
        )
    }
}

/// What a client asked for, once it said (connect, publish or play).
#[derive(Debug, Clone, Default)]
pub struct ClientRequest {
    pub vhost: String,
    pub app: String,
    pub stream: String,
    pub param: String,
    pub tc_url: String,
    pub page_url: String,
    pub swf_url: String,
}

pub struct Client {
    pub id: String,
    pub peer: SocketAddr,
    pub since: Instant,
    pub recv_bytes: AtomicU64,
    pub send_bytes: AtomicU64,
    recv_rate: weir_hub::rate::Rate,
    send_rate: weir_hub::rate::Rate,
    state: Mutex<ClientState>,
}

struct ClientState {
    kind: ClientKind,
    request: ClientRequest,
    stream: Option<Arc<Stream>>,
    /// The subscriber's progress clock, for the stall watchdog.
    progress: Option<Arc<AtomicU64>>,
    abort: Option<AbortHandle>,
}

/// A snapshot of one client for the API.
#[derive(Debug, Clone)]
pub struct ClientInfo {
    pub id: String,
    pub peer: SocketAddr,
    pub alive_ms: u64,
    pub kind: ClientKind,
    pub request: ClientRequest,
    pub stream_id: Option<String>,
    pub recv_bytes: u64,
    pub send_bytes: u64,
    pub kbps: (u64, u64),
}

impl Client {
    pub fn info(&self, now_ms: u64) -> ClientInfo {
        let state = self.state.lock().unwrap();
        let (recv, send) = (self.recv_bytes.load(Relaxed), self.send_bytes.load(Relaxed));
        ClientInfo {
            id: self.id.clone(),
            peer: self.peer,
            alive_ms: self.since.elapsed().as_millis() as u64,
            kind: state.kind,
            request: state.request.clone(),
            stream_id: state.stream.as_ref().map(|s| s.id().to_owned()),
            recv_bytes: recv,
            send_bytes: send,
            kbps: (
                self.recv_rate.kbps(now_ms, recv),
                self.send_rate.kbps(now_ms, send),
            ),
        }
    }

    pub fn set_request(&self, kind: ClientKind, request: ClientRequest) {
        let mut state = self.state.lock().unwrap();
        state.kind = kind;
        state.request = request;
    }

    /// Ties the client to the stream it publishes or plays (`progress` for a player).
    pub fn attach(&self, stream: Option<Arc<Stream>>, progress: Option<Arc<AtomicU64>>) {
        let mut state = self.state.lock().unwrap();
        state.stream = stream;
        state.progress = progress;
    }

    pub fn set_abort(&self, abort: AbortHandle) {
        self.state.lock().unwrap().abort = Some(abort);
    }

    /// Ends the client's connection task (its guards then clean up).
    pub fn kick(&self) -> bool {
        let abort = self.state.lock().unwrap().abort.clone();
        abort.map(|a| a.abort()).is_some()
    }

    pub fn add_recv(&self, n: u64) {
        self.recv_bytes.fetch_add(n, Relaxed);
    }

    pub fn add_sent(&self, n: u64) {
        self.send_bytes.fetch_add(n, Relaxed);
    }

    /// How long a player has left items in its ring while the publisher kept pushing, in ms.
    fn stalled_ms(&self) -> Option<u64> {
        let state = self.state.lock().unwrap();
        let (stream, progress) = (state.stream.as_ref()?, state.progress.as_ref()?);
        Some(stream.last_push_ms().saturating_sub(progress.load(Relaxed)))
    }
}

/// Every connected client.
#[derive(Default)]
pub struct Clients {
    clients: Mutex<HashMap<String, Arc<Client>>>,
    /// Clients registered since start (SRS's `srs_clients_total`).
    registered: AtomicU64,
}

impl Clients {
    /// Registers a new connection; it stays listed while the guard lives.
    pub fn register(self: &Arc<Self>, peer: SocketAddr, kind: ClientKind) -> ClientGuard {
        let client = Arc::new(Client {
            id: weir_hub::random_id("", 8),
            peer,
            since: Instant::now(),
            recv_bytes: AtomicU64::new(0),
            send_bytes: AtomicU64::new(0),
            recv_rate: Default::default(),
            send_rate: Default::default(),
            state: Mutex::new(ClientState {
                kind,
                request: ClientRequest::default(),
                stream: None,
                progress: None,
                abort: None,
            }),
        });
        self.clients
            .lock()
            .unwrap()
            .insert(client.id.clone(), client.clone());
        self.registered.fetch_add(1, Relaxed);
        ClientGuard {
            clients: self.clone(),
            client,
        }
    }

    pub fn get(&self, id: &str) -> Option<Arc<Client>> {
        self.clients.lock().unwrap().get(id).cloned()
    }

    /// Every client, oldest first.
    pub fn all(&self) -> Vec<Arc<Client>> {
        let mut all: Vec<_> = self.clients.lock().unwrap().values().cloned().collect();
        all.sort_by_key(|c| c.since);
        all
    }

    pub fn len(&self) -> usize {
        self.clients.lock().unwrap().len()
    }

    /// How many clients connected since start.
    pub fn registered(&self) -> u64 {
        self.registered.load(Relaxed)
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Records byte counters for the rate windows; called once a second.
    pub fn sample(&self, now_ms: u64) {
        for client in self.all() {
            client
                .recv_rate
                .sample(now_ms, client.recv_bytes.load(Relaxed));
            client
                .send_rate
                .sample(now_ms, client.send_bytes.load(Relaxed));
        }
    }

    /// Disconnects every player that has taken nothing for `stall_ms` while its stream went
    /// on; returns their ids.
    pub fn kick_stalled(&self, stall_ms: u64) -> Vec<String> {
        let mut kicked = Vec::new();
        for client in self.all() {
            if client.stalled_ms().is_some_and(|ms| ms > stall_ms) && client.kick() {
                kicked.push(client.id.clone());
            }
        }
        kicked
    }
}

/// Keeps a client listed; dropping it (the connection ended) removes it.
pub struct ClientGuard {
    clients: Arc<Clients>,
    client: Arc<Client>,
}

impl std::ops::Deref for ClientGuard {
    type Target = Arc<Client>;
    fn deref(&self) -> &Arc<Client> {
        &self.client
    }
}

impl Drop for ClientGuard {
    fn drop(&mut self) {
        self.clients.clients.lock().unwrap().remove(&self.client.id);
    }
}
