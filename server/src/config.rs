//! The configuration of `weir serve`: defaults < TOML file < `WEIR_<SECTION>_<KEY>` environment
//! variables < command-line flags.
//!
//! No file at all is a complete configuration: RTMP on 1935, HTTP server on 8080 and HTTP API
//! on 1985, as SRS, so that its users' habits carry over. Every value is checked while it is
//! deserialised (types, ranges, addresses, hook URLs, security rules), and every error says
//! where the bad value came from: the file and line, the environment variable or the flag.
//!
//! How the layers merge: the file is parsed into a `toml::Table`, each environment variable and
//! flag sets one key of that table (its text read as a TOML value, or as a comma-separated list
//! for list keys, or kept as a string for string keys), and the table is deserialised after each
//! layer, so a type error is reported once, by serde, and blamed on the layer that brought it.

use std::collections::BTreeMap;
use std::fmt;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::de::{self, Deserializer, IgnoredAny, MapAccess, Unexpected, Visitor};
use serde::{Deserialize, Serialize};
use toml::{Table, Value};

/// `[security]`: the section is the checker itself, rules parsed when loaded.
pub use crate::security::Security as SecurityConfig;

/// Everything `weir serve` reads at start-up.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    pub rtmp: RtmpConfig,
    /// RTMP over TLS: the same sessions as `[rtmp]`, on their own port.
    pub rtmps: RtmpsConfig,
    pub http: HttpConfig,
    /// The HTTP server's routes (HTTP-FLV, HTTP-TS, HLS) over TLS, on their own port.
    pub https: HttpsConfig,
    pub api: ApiConfig,
    pub hub: HubConfig,
    pub hls: HlsConfig,
    pub mpegts: MpegtsConfig,
    pub rtc: RtcConfig,
    pub srt: SrtConfig,
    pub gb28181: Gb28181Config,
    pub hooks: HooksConfig,
    pub security: SecurityConfig,
    pub forward: ForwardConfig,
    pub dvr: DvrConfig,
    /// Edges and the origin cluster (see `crate::cluster`).
    pub cluster: ClusterConfig,
    pub log: LogConfig,
    /// Per-vhost sections; each one present replaces the global section of that name.
    pub vhosts: BTreeMap<String, VhostConfig>,
}

/// `[rtmp]`: the RTMP listener and the limits every RTMP connection runs under.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RtmpConfig {
    #[serde(deserialize_with = "socket_address")]
    pub listen: SocketAddr,
    /// The chunk size the server sends with (RTMP 1.0 §5.4.1 allows 1..=2^31-1; SRS accepts
    /// 128..=65536, and so do we).
    #[serde(deserialize_with = "bounded::<128, 65536, _, _>")]
    pub chunk_size: u32,
    #[serde(with = "seconds")]
    pub handshake_timeout: Duration,
    /// How long a connection may send nothing at all before it is closed.
    #[serde(with = "seconds")]
    pub idle_timeout: Duration,
    /// The largest message a peer may announce; the 24-bit length field caps it at 16 MiB.
    #[serde(deserialize_with = "bounded::<128, 16_777_216, _, _>")]
    pub max_message_size: u32,
    #[serde(deserialize_with = "bounded::<1, 1_000_000, _, _>")]
    pub max_connections: usize,
    /// TCP_NODELAY on its connections. Off by default, as nginx-rtmp and SRS have it: the
    /// kernel then holds a player's next small write while earlier data is unacknowledged and
    /// sends them together, which costs far less CPU per delivered bit; on sends every write
    /// at once, for the last milliseconds of latency.
    pub tcp_nodelay: bool,
}

impl Default for RtmpConfig {
    fn default() -> Self {
        RtmpConfig {
            listen: SocketAddr::from(([0, 0, 0, 0], 1935)),
            chunk_size: 4096,
            handshake_timeout: Duration::from_secs(10),
            idle_timeout: Duration::from_secs(30),
            max_message_size: 16 * 1024 * 1024,
            max_connections: 10_000,
            tcp_nodelay: false,
        }
    }
}

/// `[http]`: the HTTP server (HTTP-FLV).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct HttpConfig {
    pub enabled: bool,
    #[serde(deserialize_with = "socket_address")]
    pub listen: SocketAddr,
    /// TCP_NODELAY on its connections. Off by default, as nginx-rtmp and SRS have it: the
    /// kernel then holds a player's next small write while earlier data is unacknowledged and
    /// sends them together, which costs far less CPU per delivered bit; on sends every write
    /// at once, for the last milliseconds of latency.
    pub tcp_nodelay: bool,
}

impl Default for HttpConfig {
    fn default() -> Self {
        HttpConfig {
            enabled: true,
            listen: SocketAddr::from(([0, 0, 0, 0], 8080)),
            tcp_nodelay: false,
        }
    }
}

/// A TLS listener's section, as SRS's `rtmps` and `https`: off by default; when on, `cert`
/// and `key` must name PEM files (see `crate::tls`).
macro_rules! tls_listen_config {
    ($(#[$doc:meta])* $name:ident, $port:literal) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
        #[serde(default, deny_unknown_fields)]
        pub struct $name {
            pub enabled: bool,
            #[serde(deserialize_with = "socket_address")]
            pub listen: SocketAddr,
            /// The certificate chain, PEM, leaf first.
            pub cert: PathBuf,
            /// The private key, PEM (PKCS#8, PKCS#1 or SEC1).
            pub key: PathBuf,
        }

        impl Default for $name {
            fn default() -> Self {
                $name {
                    enabled: false,
                    listen: SocketAddr::from(([0, 0, 0, 0], $port)),
                    cert: PathBuf::new(),
                    key: PathBuf::new(),
                }
            }
        }
    };
}

tls_listen_config!(
    /// `[rtmps]`: RTMP over TLS, on 1443 when enabled.
    RtmpsConfig,
    1443
);

tls_listen_config!(
    /// `[https]`: the HTTP server's routes over TLS, on 8088 when enabled.
    HttpsConfig,
    8088
);

/// `[api]`: the SRS-compatible HTTP API and `/metrics`; also over TLS, on a port of its own,
/// with the `https_*` keys.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ApiConfig {
    pub enabled: bool,
    #[serde(deserialize_with = "socket_address")]
    pub listen: SocketAddr,
    /// The API over HTTPS too (SRS's `http_api.https`).
    pub https_enabled: bool,
    #[serde(deserialize_with = "socket_address")]
    pub https_listen: SocketAddr,
    /// The certificate chain, PEM, leaf first.
    pub https_cert: PathBuf,
    /// The private key, PEM.
    pub https_key: PathBuf,
    /// HTTP basic authentication (RFC 7617) of every API request, as SRS's
    /// `http_api.auth.username` and `.password`: on as soon as either is set, and then a
    /// request without them is answered 401.
    pub username: String,
    pub password: String,
    /// Whether `/metrics` asks for the same credentials (on by default); off lets a
    /// Prometheus that has none scrape it while the rest of the API stays closed.
    pub metrics_auth: bool,
    /// How many streams get their own `weir_stream_*` series in `/metrics`, those with the
    /// most players first; the rest are counted in `weir_streams_omitted`.
    #[serde(deserialize_with = "bounded::<0, 100_000, _, _>")]
    pub metrics_streams: usize,
    /// SRS's raw API (`/api/v1/raw`): off by default, as SRS's.
    pub raw_api: bool,
    /// Whether the raw API may reload the configuration (`?rpc=reload`), as SRS's
    /// `raw_api.allow_reload`.
    pub allow_reload: bool,
}

impl Default for ApiConfig {
    fn default() -> Self {
        ApiConfig {
            enabled: true,
            listen: SocketAddr::from(([0, 0, 0, 0], 1985)),
            https_enabled: false,
            https_listen: SocketAddr::from(([0, 0, 0, 0], 1990)),
            https_cert: PathBuf::new(),
            https_key: PathBuf::new(),
            username: String::new(),
            password: String::new(),
            metrics_auth: true,
            metrics_streams: 100,
            raw_api: false,
            allow_reload: false,
        }
    }
}

impl ApiConfig {
    /// Whether requests must carry credentials.
    pub fn auth_enabled(&self) -> bool {
        !self.username.is_empty() || !self.password.is_empty()
    }
}

/// `[hub]`: what the hub keeps per stream and per subscriber, the bounds on its memory.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct HubConfig {
    /// Whether late joiners get the current GOP (they start at its keyframe either way).
    pub gop_cache: bool,
    #[serde(deserialize_with = "bounded::<1, 1_000_000, _, _>")]
    pub gop_cache_max_frames: usize,
    #[serde(deserialize_with = "bounded::<1024, 4_294_967_296, _, _>")]
    pub gop_cache_max_bytes: usize,
    /// Frames a subscriber's queue holds before it skips to the next keyframe.
    #[serde(deserialize_with = "bounded::<1, 1_000_000, _, _>")]
    pub queue_frames: usize,
    /// How long a subscriber may take nothing from its queue before it is dropped.
    #[serde(with = "seconds")]
    pub stall_timeout: Duration,
    /// Merged writes, as SRS's `mw_latency`: a player's delivery waits this many milliseconds
    /// after a frame for the frames behind it, and writes them together — fewer, larger writes
    /// for that much more latency. 0 (the default) sends each frame as it arrives.
    #[serde(deserialize_with = "bounded::<0, 2000, _, _>")]
    pub merged_write_ms: u64,
}

impl Default for HubConfig {
    fn default() -> Self {
        HubConfig {
            gop_cache: true,
            gop_cache_max_frames: 4096,
            gop_cache_max_bytes: 64 * 1024 * 1024,
            queue_frames: 1024,
            stall_timeout: Duration::from_secs(20),
            merged_write_ms: 0,
        }
    }
}

/// `[hls]`: HLS of every published stream (RFC 8216), at `/{app}/{stream}.m3u8` on the HTTP
/// server, as SRS's `hls` section.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct HlsConfig {
    pub enabled: bool,
    /// A segment ends at the first keyframe this long after its start (SRS's `hls_fragment`).
    #[serde(with = "seconds")]
    pub fragment: Duration,
    /// How much media the playlist lists (SRS's `hls_window`).
    #[serde(with = "seconds")]
    pub window: Duration,
    /// Where segments and playlists are also written (`{path}/{app}/{stream}.m3u8` and
    /// `{stream}-{n}.ts`); empty keeps them in memory only.
    pub path: PathBuf,
    /// How long an ended stream's playlist and segments stay available.
    #[serde(with = "seconds")]
    pub dispose: Duration,
    /// EXT-X-PROGRAM-DATE-TIME on every segment: the server's wall clock when its first frame
    /// arrived (RFC 8216 §4.3.2.6), for players that align streams or show the time.
    pub program_date_time: bool,
}

impl Default for HlsConfig {
    fn default() -> Self {
        HlsConfig {
            enabled: true,
            fragment: Duration::from_secs(10),
            window: Duration::from_secs(60),
            path: PathBuf::new(),
            dispose: Duration::from_secs(120),
            program_date_time: false,
        }
    }
}

/// `[mpegts]`: MPEG-TS over UDP in, as SRS's `stream_caster` of type `mpegts_over_udp`: the
/// datagrams that reach `listen` publish the stream `stream` (`app/stream`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct MpegtsConfig {
    pub enabled: bool,
    #[serde(deserialize_with = "socket_address")]
    pub listen: SocketAddr,
    /// The stream the datagrams publish, as `app/stream` (a vhost is given with `?vhost=`).
    pub stream: String,
    /// A sender that sends nothing for this long has stopped: its stream is unpublished.
    #[serde(with = "seconds")]
    pub timeout: Duration,
}

impl Default for MpegtsConfig {
    fn default() -> Self {
        MpegtsConfig {
            enabled: true,
            listen: SocketAddr::from(([0, 0, 0, 0], 8935)),
            stream: "live/livestream".into(),
            timeout: Duration::from_secs(5),
        }
    }
}

/// `[gb28181]`: GB28181 media, as SRS's `stream_caster` of type `gb28181`: cameras send PS
/// over RTP to one port, over TCP (RFC 4571 framing) or UDP; each is bound by its SSRC, through
/// the API (`POST /gb/v1/publish/`, what an external SIP server calls) or `devices`, and
/// publishes `app/<device id>`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Gb28181Config {
    pub enabled: bool,
    /// TCP and UDP, the same port number (SRS's `listen 9000`, TCP only).
    #[serde(deserialize_with = "socket_address")]
    pub listen: SocketAddr,
    /// The app of every device's stream: `live/34020000001320000001`.
    pub app: String,
    /// A device that sends nothing this long has stopped: its stream is unpublished.
    #[serde(with = "seconds")]
    pub timeout: Duration,
    /// Devices bound without the API: device id = SSRC.
    pub devices: BTreeMap<String, u32>,
}

impl Default for Gb28181Config {
    fn default() -> Self {
        Gb28181Config {
            enabled: true,
            listen: SocketAddr::from(([0, 0, 0, 0], 9000)),
            app: "live".into(),
            timeout: Duration::from_secs(10),
            devices: BTreeMap::new(),
        }
    }
}

/// `[rtc]`: WebRTC, as SRS's `rtc_server`: media of every session on one UDP port (ICE-lite),
/// signalling (WHIP, WHEP, SRS's `/rtc/v1/publish/` and `/rtc/v1/play/`) on the HTTP API.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RtcConfig {
    pub enabled: bool,
    /// The UDP address of every session's media (SRS's `listen 8000`).
    #[serde(deserialize_with = "socket_address")]
    pub listen: SocketAddr,
    /// The addresses offered as ICE candidates, comma-separated IPs (SRS's `candidate`); empty:
    /// the `CANDIDATE` environment variable, else every address of the machine's interfaces. A
    /// request's `?eip=` adds one for its session.
    pub candidate: String,
    /// A session that has not completed ICE and DTLS this long after its offer is freed.
    #[serde(with = "seconds")]
    pub handshake_timeout: Duration,
    /// A connected session that hears nothing from its peer this long is closed (ICE consent,
    /// RFC 7675 §5.1, allows 30 s).
    #[serde(with = "seconds")]
    pub idle_timeout: Duration,
    /// At most this many sessions from one client address (0: no limit).
    #[serde(deserialize_with = "bounded::<0, 1_000_000, _, _>")]
    pub max_sessions_per_ip: usize,
    /// The largest SDP offer accepted, in bytes.
    #[serde(deserialize_with = "bounded::<1024, 1_048_576, _, _>")]
    pub max_sdp_bytes: usize,
    /// The most m-lines an offer may have.
    #[serde(deserialize_with = "bounded::<1, 64, _, _>")]
    pub max_media: usize,
    /// A bearer token WHIP/WHEP requests must carry (RFC 9725 §4.5); empty: none required
    /// (the hooks still see any token sent).
    pub token: String,
    /// Ask a WebRTC publisher for a keyframe this often, in seconds (0: only when a player
    /// needs one), as SRS's `pli_for_rtmp`: browsers send keyframes only when asked, and HLS
    /// segments and RTMP joiners start at keyframes.
    #[serde(with = "seconds")]
    pub keyframe_interval: Duration,
    /// Append each session's SRTP master keys to this file (see `weir check --keylog`);
    /// empty: off. Whoever reads the file can decrypt the media.
    pub keylog: String,
    /// Cut each frame of an H.264 (or audio-only) stream into RTP packets once for all its
    /// WebRTC players, which then only add their headers and encrypt (str0m's RTP mode); off:
    /// every player's session cuts every frame itself (str0m's frame API), as other codecs do.
    /// A player that joins before the stream has video gets RTP mode only if it offered no
    /// video codec but H.264 (the mode is fixed for the session's life).
    pub packetize_once: bool,
}

impl Default for RtcConfig {
    fn default() -> Self {
        RtcConfig {
            enabled: true,
            listen: SocketAddr::from(([0, 0, 0, 0], 8000)),
            candidate: String::new(),
            handshake_timeout: Duration::from_secs(10),
            idle_timeout: Duration::from_secs(30),
            max_sessions_per_ip: 64,
            max_sdp_bytes: 64 << 10,
            max_media: 16,
            token: String::new(),
            keyframe_interval: Duration::from_secs(6),
            keylog: String::new(),
            packetize_once: true,
        }
    }
}

/// `[srt]`: SRT (live mode) on one UDP port, as SRS's `srt_server`: a caller whose stream id
/// says `m=publish` publishes (MPEG-TS in), any other plays any stream as MPEG-TS, whatever
/// published it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SrtConfig {
    pub enabled: bool,
    /// The UDP address of every SRT connection (SRS's `listen 10080`).
    #[serde(deserialize_with = "socket_address")]
    pub listen: SocketAddr,
    /// The TSBPD latency we apply as receiver, in milliseconds (SRS's `recvlatency`); each
    /// direction uses the larger of both sides' wishes.
    #[serde(deserialize_with = "bounded::<0, 65535, _, _>")]
    pub latency: u16,
    /// The least latency a caller applies as receiver of what we send, in milliseconds
    /// (SRS's `peerlatency`).
    #[serde(deserialize_with = "bounded::<0, 65535, _, _>")]
    pub peer_latency: u16,
    /// Too-late packet drop: a packet that misses its play time is skipped, so the stream
    /// keeps its latency (SRS's `tlpktdrop`).
    pub tlpktdrop: bool,
    /// The passphrase every connection must use (10 to 79 bytes; empty: none), unless
    /// `passphrases` names its app; a caller without it, or with another, is refused.
    pub passphrase: String,
    /// The key length an encrypted caller must use, in bytes (16, 24 or 32; 0: any), as
    /// libsrt's and SRS's `pbkeylen`; a caller with another is refused as UNSECURE.
    #[serde(deserialize_with = "key_length")]
    pub pbkeylen: u8,
    /// Passphrases by `app` or `vhost/app`, over `passphrase`: per-stream secrets, each a
    /// string or `{ passphrase = "...", pbkeylen = 32 }`.
    pub passphrases: BTreeMap<String, StreamSecret>,
    /// What a connection sends at most, in bytes a second, retransmissions included
    /// (libsrt's and SRS's `maxbw`); 0: no limit.
    pub max_bw: u64,
    /// How long a caller may take from its conclusion to our answer (the hooks' time).
    #[serde(with = "seconds")]
    pub connect_timeout: Duration,
    /// A connection whose peer sends nothing this long is closed (SRS's `peer_idle_timeout`).
    #[serde(with = "seconds")]
    pub idle_timeout: Duration,
    /// Packets a connection keeps to receive in order, and to retransmit (the flow window).
    #[serde(deserialize_with = "bounded::<32, 1_000_000, _, _>")]
    pub buffer_packets: usize,
    /// Connections and handshakes in progress one caller address may hold (0: no limit); one
    /// more is refused with SRT_REJX_OVERLOAD (1402).
    pub max_connections_per_ip: usize,
}

impl Default for SrtConfig {
    fn default() -> Self {
        SrtConfig {
            enabled: true,
            listen: SocketAddr::from(([0, 0, 0, 0], 10080)),
            latency: 120,
            peer_latency: 120,
            tlpktdrop: true,
            passphrase: String::new(),
            pbkeylen: 0,
            passphrases: BTreeMap::new(),
            max_bw: 0,
            connect_timeout: Duration::from_secs(3),
            idle_timeout: Duration::from_secs(10),
            buffer_packets: 8192,
            max_connections_per_ip: 64,
        }
    }
}

/// A per-app SRT secret: a passphrase alone, or with the key length it requires.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum StreamSecret {
    Passphrase(String),
    With {
        passphrase: String,
        #[serde(default, deserialize_with = "key_length")]
        pbkeylen: u8,
    },
}

impl StreamSecret {
    pub fn passphrase(&self) -> &str {
        match self {
            StreamSecret::Passphrase(p) | StreamSecret::With { passphrase: p, .. } => p,
        }
    }
}

/// What protects a stream: its passphrase and the key length it requires (0: any).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Secret<'a> {
    pub passphrase: &'a str,
    pub pbkeylen: u8,
}

impl SrtConfig {
    /// What protects a stream of `vhost`/`app`, if anything: its own entry in
    /// `passphrases` (by `vhost/app`, then `app`), else the server's passphrase.
    pub fn secret_for(&self, vhost: &str, app: &str) -> Option<Secret<'_>> {
        let own = self
            .passphrases
            .get(&format!("{vhost}/{app}"))
            .or_else(|| self.passphrases.get(app));
        let secret = match own {
            Some(StreamSecret::Passphrase(passphrase)) => Secret {
                passphrase,
                pbkeylen: self.pbkeylen,
            },
            Some(StreamSecret::With {
                passphrase,
                pbkeylen,
            }) => Secret {
                passphrase,
                pbkeylen: *pbkeylen,
            },
            None => Secret {
                passphrase: &self.passphrase,
                pbkeylen: self.pbkeylen,
            },
        };
        (!secret.passphrase.is_empty()).then_some(secret)
    }
}

/// 0, 16, 24 or 32: an AES key length in bytes, or any.
fn key_length<'de, D: serde::Deserializer<'de>>(d: D) -> Result<u8, D::Error> {
    let n = u8::deserialize(d)?;
    match n {
        0 | 16 | 24 | 32 => Ok(n),
        _ => Err(serde::de::Error::custom(format!(
            "pbkeylen {n}: 16, 24 or 32 bytes (AES-128/192/256), or 0 for any"
        ))),
    }
}

/// `[hooks]`: SRS-compatible HTTP callbacks; each event has a list of URLs, asked in order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct HooksConfig {
    pub enabled: bool,
    /// How long one callback request may take; a callback that times out denies.
    #[serde(with = "seconds")]
    pub timeout: Duration,
    #[serde(deserialize_with = "hook_urls")]
    pub on_connect: Vec<String>,
    #[serde(deserialize_with = "hook_urls")]
    pub on_publish: Vec<String>,
    #[serde(deserialize_with = "hook_urls")]
    pub on_unpublish: Vec<String>,
    #[serde(deserialize_with = "hook_urls")]
    pub on_play: Vec<String>,
    #[serde(deserialize_with = "hook_urls")]
    pub on_stop: Vec<String>,
    #[serde(deserialize_with = "hook_urls")]
    pub on_close: Vec<String>,
    /// After each HLS segment is complete (notify only).
    #[serde(deserialize_with = "hook_urls")]
    pub on_hls: Vec<String>,
    /// After each recording's file is complete (`[dvr]`; notify only).
    #[serde(deserialize_with = "hook_urls")]
    pub on_dvr: Vec<String>,
    /// A PEM file of CA certificates `https://` callbacks are also verified against (besides
    /// the system's roots); empty: the system's only. Read at start, from `[hooks]` (a vhost's
    /// section cannot change it).
    pub ca: PathBuf,
}

impl Default for HooksConfig {
    fn default() -> Self {
        HooksConfig {
            enabled: false,
            timeout: Duration::from_secs(5),
            on_connect: Vec::new(),
            on_publish: Vec::new(),
            on_unpublish: Vec::new(),
            on_play: Vec::new(),
            on_stop: Vec::new(),
            on_close: Vec::new(),
            on_hls: Vec::new(),
            on_dvr: Vec::new(),
            ca: PathBuf::new(),
        }
    }
}

/// `[forward]`: every stream published here is also published to other RTMP servers, as
/// SRS's `forward` (see `crate::forward`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ForwardConfig {
    pub enabled: bool,
    /// Where to: `host:port` (SRS's form: the same app and stream there), or an `rtmp://` URL
    /// in which `[vhost]`, `[app]` and `[stream]` stand for the published stream's (a URL
    /// naming only an app gets the stream's name).
    #[serde(deserialize_with = "forward_destinations")]
    pub destinations: Vec<String>,
    /// SRS's dynamic forward: an `http://` URL asked at each publish (`on_forward`), whose
    /// answer's `data.urls` are more RTMP URLs; "" = none.
    pub backend: String,
}

/// `[dvr]`: recording each published stream to FLV or MP4 files, as SRS's `dvr` (see
/// `crate::dvr`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DvrConfig {
    pub enabled: bool,
    /// The streams recorded, as `app/stream` (SRS's `dvr_apply`); empty, or SRS's `"all"`,
    /// records every stream. A string is split at spaces, as SRS writes it.
    #[serde(deserialize_with = "dvr_apply")]
    pub apply: Vec<String>,
    /// One file per publish, or a file per `duration` (SRS's `dvr_plan`).
    pub plan: DvrPlan,
    /// The file name template (SRS's `dvr_path`): `.flv` or `.mp4` chooses the container;
    /// `[vhost]`, `[app]`, `[stream]`, `[2006]`, `[01]`, `[02]`, `[15]`, `[04]`, `[05]`,
    /// `[999]` (local time) and `[timestamp]` (Unix ms) are the stream's and the file's start;
    /// a path without either extension is a directory, under which
    /// `[app]/[stream].[timestamp].flv` goes (SRS 1's rule).
    pub path: String,
    /// With `plan = "segment"`: a file ends at the first keyframe this long after its start
    /// (SRS's `dvr_duration`).
    #[serde(with = "seconds")]
    pub duration: Duration,
    /// With `plan = "segment"`: wait for a video keyframe to cut, so that each file starts
    /// decodable (SRS's `dvr_wait_keyframe`); off cuts at the first frame past `duration`.
    pub wait_keyframe: bool,
}

/// When a recording's file ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DvrPlan {
    /// When the publisher stops.
    Session,
    /// Every `duration`, and when the publisher stops.
    Segment,
}

impl Default for DvrConfig {
    fn default() -> Self {
        DvrConfig {
            enabled: false,
            apply: Vec::new(),
            plan: DvrPlan::Session,
            path: "./dvr/[app]/[stream].[timestamp].flv".to_owned(),
            duration: Duration::from_secs(30),
            wait_keyframe: true,
        }
    }
}

impl DvrConfig {
    /// Whether the stream `app`/`stream` is recorded.
    pub fn applies_to(&self, app: &str, stream: &str) -> bool {
        self.enabled
            && (self.apply.is_empty()
                || self
                    .apply
                    .iter()
                    .any(|a| a.split_once('/') == Some((app, stream))))
    }
}

/// `[cluster]`: this server as an edge that pulls from origins, or as an origin (the
/// default: a standalone server) that may share a stream registry with other origins in
/// Redis (see `crate::cluster`). Bound at start: a reload keeps the running section.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ClusterConfig {
    pub mode: ClusterMode,
    /// An edge's origins, tried round-robin with failover: `host:port` or `rtmp://host[:port]`
    /// to pull and publish by RTMP, `http://host[:port]` to pull by HTTP-FLV. An edge asks the
    /// registry first when `redis` is set.
    #[serde(deserialize_with = "cluster_origins")]
    pub origins: Vec<String>,
    /// How long an edge keeps an upstream after its last player has left.
    #[serde(with = "seconds")]
    pub grace: Duration,
    /// How many RTMP or HTTP redirects an edge follows to reach a stream.
    pub max_redirects: u32,
    /// The registry: a Redis URL (`redis://[user:password@]host:port/db`, no TLS); "" = none.
    /// Its key layout is in `crate::cluster::registry`.
    pub redis: String,
    /// Prefix of every registry key.
    pub prefix: String,
    /// This node's name in the registry; "" = `host:rtmp-port` of `advertise`.
    pub node: String,
    /// The host (name or address) other nodes and redirected players reach this node by; its
    /// ports are this node's listeners. "" = the RTMP listener's address when it is not the
    /// unspecified one.
    pub advertise: String,
    /// How often this node refreshes its registry entries, and how long they live without a
    /// refresh (a dead node's streams disappear within `expiry`, which must exceed
    /// `heartbeat`: checked at start). One registry call waits at most min(heartbeat, 1 s).
    #[serde(with = "seconds")]
    pub heartbeat: Duration,
    #[serde(with = "seconds")]
    pub expiry: Duration,
    /// What an origin does with a play of a stream another origin holds (see
    /// `crate::session::Session::play`).
    pub on_miss: OnMiss,
}

/// What this server is in a cluster.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ClusterMode {
    /// Streams are published here (a standalone server, or an origin of a cluster).
    #[default]
    Origin,
    /// Streams are pulled from origins when players ask, and publishes are forwarded there.
    Edge,
}

/// An origin's answer to a play of a stream the registry places on another origin.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum OnMiss {
    /// RTMP 302 (`NetConnection.Connect.Rejected` with `ex.redirect`) or HTTP 302.
    #[default]
    Redirect,
    /// Pull the stream from that origin, as an edge does.
    Pull,
}

impl Default for ClusterConfig {
    fn default() -> Self {
        ClusterConfig {
            mode: ClusterMode::Origin,
            origins: Vec::new(),
            grace: Duration::from_secs(5),
            max_redirects: 3,
            redis: String::new(),
            prefix: "weir".to_owned(),
            node: String::new(),
            advertise: String::new(),
            heartbeat: Duration::from_secs(2),
            expiry: Duration::from_secs(6),
            on_miss: OnMiss::Redirect,
        }
    }
}

/// `[log]`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LogConfig {
    /// A `tracing_subscriber::EnvFilter` directive, e.g. `info` or `weir_server=debug,info`;
    /// checked, since a word that is not a level would filter every log line out.
    #[serde(deserialize_with = "log_filter")]
    pub level: String,
}

impl Default for LogConfig {
    fn default() -> Self {
        LogConfig {
            level: "info".to_owned(),
        }
    }
}

/// `[vhosts."name"]`: sections that replace the global ones for one vhost.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct VhostConfig {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub security: Option<SecurityConfig>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hooks: Option<HooksConfig>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub forward: Option<ForwardConfig>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dvr: Option<DvrConfig>,
}

impl Config {
    /// Loads the configuration: defaults, then `file` (if any), then the `WEIR_*` variables
    /// of `env`, then `overrides` (command-line flags as `("rtmp.listen", "127.0.0.1:19350")`).
    ///
    /// Environment variables starting with `WEIR_` whose next word is not a section
    /// (`WEIR_CORPUS`, used by tests) are not ours and are skipped; `WEIR_<SECTION>_<KEY>`
    /// with an unknown key is an error, so that a typo does not pass silently.
    pub fn load(
        file: Option<&Path>,
        env: impl Iterator<Item = (String, String)>,
        overrides: &[(String, String)],
    ) -> Result<Config, ConfigError> {
        let (mut table, mut config) = match file {
            Some(path) => read_file(path)?,
            None => (Table::new(), Config::default()),
        };
        let schema = Config::default().schema();
        let mut env: Vec<(String, String)> = env.collect();
        env.sort();
        let env_layers = env.iter().filter_map(|(name, text)| {
            let (section, key) = name.strip_prefix("WEIR_")?.split_once('_')?;
            let section = section.to_ascii_lowercase();
            schema.contains_key(&section).then(|| {
                let key = format!("{section}.{}", key.to_ascii_lowercase());
                (Origin::Environment(name.clone()), key, text.as_str())
            })
        });
        let flag_layers = overrides.iter().map(|(key, text)| {
            let flag = format!("--{}", key.replace(['.', '_'], "-"));
            (Origin::Flag(flag), key.clone(), text.as_str())
        });
        for (origin, key, text) in env_layers.chain(flag_layers) {
            let fail = |message: String| ConfigError {
                origin: origin.clone(),
                key: Some(key.clone()),
                message,
            };
            let (section, name) = key.split_once('.').unwrap_or((&key, ""));
            let like = schema
                .get(section)
                .and_then(Value::as_table)
                .filter(|_| section != "vhosts")
                .ok_or_else(|| fail(settable_sections(&schema)))?
                .get(name)
                .ok_or_else(|| fail(unknown_key(&schema, section)))?;
            let section_table = table
                .entry(section)
                .or_insert_with(|| Value::Table(Table::new()));
            // The file deserialised, so every section in it is a table.
            if let Some(section_table) = section_table.as_table_mut() {
                section_table.insert(name.to_owned(), value_like(text, like));
            }
            config = Config::deserialize(Value::Table(table.clone()))
                .map_err(|error| fail(error.message().to_owned()))?;
        }
        Ok(config)
    }

    /// The security rules for `vhost`: its own `[vhosts."vhost".security]`, or the global one.
    pub fn vhost_security(&self, vhost: &str) -> &SecurityConfig {
        self.vhosts
            .get(vhost)
            .and_then(|v| v.security.as_ref())
            .unwrap_or(&self.security)
    }

    /// The callbacks for `vhost`: its own `[vhosts."vhost".hooks]`, or the global one.
    pub fn vhost_hooks(&self, vhost: &str) -> &HooksConfig {
        self.vhosts
            .get(vhost)
            .and_then(|v| v.hooks.as_ref())
            .unwrap_or(&self.hooks)
    }

    /// The forward section for `vhost`: its own `[vhosts."vhost".forward]`, or the global one.
    pub fn vhost_forward(&self, vhost: &str) -> &ForwardConfig {
        self.vhosts
            .get(vhost)
            .and_then(|v| v.forward.as_ref())
            .unwrap_or(&self.forward)
    }

    /// The recording section for `vhost`: its own `[vhosts."vhost".dvr]`, or the global one.
    pub fn vhost_dvr(&self, vhost: &str) -> &DvrConfig {
        self.vhosts
            .get(vhost)
            .and_then(|v| v.dvr.as_ref())
            .unwrap_or(&self.dvr)
    }

    /// The defaults as a table: which sections and keys exist, and the TOML type of each.
    fn schema(&self) -> Table {
        // Plain data: it always serialises.
        match Value::try_from(self) {
            Ok(Value::Table(table)) => table,
            _ => Table::new(),
        }
    }
}

/// Where a bad value came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Origin {
    /// The config file; the line is 1-based, absent when the file could not be read at all.
    File { path: PathBuf, line: Option<usize> },
    /// An environment variable, by name.
    Environment(String),
    /// A command-line flag, as `--rtmp-listen`.
    Flag(String),
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Origin::File { path, line: None } => write!(f, "file {}", path.display()),
            Origin::File {
                path,
                line: Some(line),
            } => write!(f, "file {}, line {line}", path.display()),
            Origin::Environment(name) => write!(f, "environment {name}"),
            Origin::Flag(flag) => write!(f, "flag {flag}"),
        }
    }
}

/// A configuration that cannot be used, with where and why: `file weir.toml, line 3, key
/// rtmp.chunk_size: invalid value: integer `100`, expected an integer in 128..=65536`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct ConfigError {
    pub origin: Origin,
    /// The dotted key, when the error is about one.
    pub key: Option<String>,
    pub message: String,
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.origin)?;
        if let Some(key) = &self.key {
            write!(f, ", key {key}")?;
        }
        write!(f, ": {}", self.message)
    }
}

/// Reads and checks the file: its table (to merge later layers into) and its configuration.
fn read_file(path: &Path) -> Result<(Table, Config), ConfigError> {
    let text = std::fs::read_to_string(path).map_err(|error| ConfigError {
        origin: Origin::File {
            path: path.to_owned(),
            line: None,
        },
        key: None,
        message: format!("cannot read it: {error}"),
    })?;
    let fail = |error: toml::de::Error| {
        let at = error.span().map(|span| span.start);
        ConfigError {
            origin: Origin::File {
                path: path.to_owned(),
                line: at.map(|at| line_of(&text, at)),
            },
            key: at.and_then(|at| key_at(&text, at)),
            message: error.message().trim_end().to_owned(),
        }
    };
    let table: Table = toml::from_str(&text).map_err(|error| match looks_like_srs(&text) {
        true => ConfigError {
            origin: Origin::File {
                path: path.to_owned(),
                line: None,
            },
            key: None,
            message: "this looks like an SRS configuration (nginx style); Weir reads TOML: \
                      docs/migrating-from-srs.md maps SRS's directives to Weir's keys"
                .to_owned(),
        },
        false => fail(error),
    })?;
    let config: Config = toml::from_str(&text).map_err(fail)?;
    Ok((table, config))
}

/// Whether `text` reads as an SRS (nginx-style) configuration: directives ending in `;` or
/// blocks opened with `{` on lines that TOML would not take.
fn looks_like_srs(text: &str) -> bool {
    let lines = text
        .lines()
        .map(|line| line.split('#').next().unwrap_or("").trim())
        .filter(|line| !line.is_empty());
    let nginx = lines
        .clone()
        .filter(|line| {
            (line.ends_with(';') || line.ends_with('{') || *line == "}") && !line.contains('=')
        })
        .count();
    nginx > 0 && nginx * 2 >= lines.count()
}

/// The 1-based line holding byte `at` of `text`.
fn line_of(text: &str, at: usize) -> usize {
    1 + text
        .as_bytes()
        .iter()
        .take(at)
        .filter(|&&byte| byte == b'\n')
        .count()
}

/// The dotted key whose text starts last at or before byte `at`: the key an error there is
/// about (the error points at the key itself or at its value).
fn key_at(text: &str, at: usize) -> Option<String> {
    let keys = toml::from_str::<KeyPositions>(text).ok()?;
    keys.0
        .into_iter()
        .filter(|(start, _)| *start <= at)
        .max_by_key(|(start, _)| *start)
        .map(|(_, key)| key)
}

/// Where each key of a TOML document starts, with its dotted path.
struct KeyPositions(Vec<(usize, String)>);

impl<'de> Deserialize<'de> for KeyPositions {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let mut keys = Vec::new();
        deserializer.deserialize_map(TableKeys {
            prefix: None,
            keys: &mut keys,
        })?;
        Ok(KeyPositions(keys))
    }
}

/// Collects the keys of one table and, recursively, of the tables inside it.
struct TableKeys<'a> {
    prefix: Option<&'a str>,
    keys: &'a mut Vec<(usize, String)>,
}

impl<'de> Visitor<'de> for TableKeys<'_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a table")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        while let Some(key) = map.next_key::<toml::Spanned<String>>()? {
            let path = match self.prefix {
                Some(prefix) => format!("{prefix}.{}", key.get_ref()),
                None => key.get_ref().clone(),
            };
            self.keys.push((key.span().start, path.clone()));
            map.next_value_seed(ValueKeys {
                path: &path,
                keys: self.keys,
            })?;
        }
        Ok(())
    }
}

/// A value: a table's keys are collected, anything else is skipped.
struct ValueKeys<'a> {
    path: &'a str,
    keys: &'a mut Vec<(usize, String)>,
}

impl<'de> de::DeserializeSeed<'de> for ValueKeys<'_> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for ValueKeys<'_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any value")
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<(), A::Error> {
        TableKeys {
            prefix: Some(self.path),
            keys: self.keys,
        }
        .visit_map(map)
    }

    fn visit_seq<A: de::SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(())
    }

    fn visit_bool<E>(self, _: bool) -> Result<(), E> {
        Ok(())
    }
    fn visit_i64<E>(self, _: i64) -> Result<(), E> {
        Ok(())
    }
    fn visit_u64<E>(self, _: u64) -> Result<(), E> {
        Ok(())
    }
    fn visit_f64<E>(self, _: f64) -> Result<(), E> {
        Ok(())
    }
    fn visit_str<E>(self, _: &str) -> Result<(), E> {
        Ok(())
    }
}

/// An environment or flag value as the TOML value the key expects: string keys take the text
/// as it is, list keys split it at commas, other keys read it as a TOML value (`false`, `4096`,
/// `2.5`) — or, when it is none, keep the text so that deserialising names the type mismatch.
fn value_like(text: &str, like: &Value) -> Value {
    match like {
        Value::String(_) => Value::String(text.to_owned()),
        Value::Array(_) => Value::Array(
            text.split(',')
                .map(str::trim)
                .filter(|item| !item.is_empty())
                .map(|item| Value::String(item.to_owned()))
                .collect(),
        ),
        _ => Value::deserialize(toml::de::ValueDeserializer::new(text))
            .ok()
            .filter(|value| !value.is_table() && !value.is_array())
            .unwrap_or_else(|| Value::String(text.to_owned())),
    }
}

fn settable_sections(schema: &Table) -> String {
    let sections: Vec<&str> = schema
        .keys()
        .map(String::as_str)
        .filter(|&section| section != "vhosts")
        .collect();
    format!(
        "unknown section; environment variables and flags can set keys of: {}",
        sections.join(", ")
    )
}

fn unknown_key(schema: &Table, section: &str) -> String {
    let keys: Vec<&str> = schema
        .get(section)
        .and_then(Value::as_table)
        .map(|table| table.keys().map(String::as_str).collect())
        .unwrap_or_default();
    format!("unknown key; [{section}] has: {}", keys.join(", "))
}

/// An integer in `MIN..=MAX`, for any integer field type.
fn bounded<'de, const MIN: u64, const MAX: u64, D, T>(deserializer: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: TryFrom<u64>,
{
    struct Bounded<const MIN: u64, const MAX: u64>;

    impl<const MIN: u64, const MAX: u64> Visitor<'_> for Bounded<MIN, MAX> {
        type Value = u64;

        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            write!(f, "an integer in {MIN}..={MAX}")
        }

        fn visit_u64<E: de::Error>(self, value: u64) -> Result<u64, E> {
            if (MIN..=MAX).contains(&value) {
                Ok(value)
            } else {
                Err(E::invalid_value(Unexpected::Unsigned(value), &self))
            }
        }

        fn visit_i64<E: de::Error>(self, value: i64) -> Result<u64, E> {
            match u64::try_from(value) {
                Ok(value) => self.visit_u64(value),
                Err(_) => Err(E::invalid_value(Unexpected::Signed(value), &self)),
            }
        }
    }

    let value = deserializer.deserialize_any(Bounded::<MIN, MAX>)?;
    T::try_from(value).map_err(|_| {
        de::Error::custom(format!("{value} does not fit this platform's integer size"))
    })
}

/// A log filter whose every directive names a level: `level` or `target=level`, comma
/// separated. (tracing's own syntax takes a bare word as a target, so `level = "infos"` would
/// log nothing at all: a value that silently disables something is an error here.)
fn log_filter<'de, D: Deserializer<'de>>(deserializer: D) -> Result<String, D::Error> {
    const LEVELS: [&str; 6] = ["off", "error", "warn", "info", "debug", "trace"];
    let text = String::deserialize(deserializer)?;
    for directive in text.split(',').map(str::trim) {
        let level = directive
            .rsplit_once('=')
            .map_or(directive, |(_, level)| level);
        if !LEVELS.iter().any(|l| l.eq_ignore_ascii_case(level)) {
            return Err(de::Error::custom(format!(
                "{directive:?} names no level: write one of {} (for one module, module=level)",
                LEVELS.join(", ")
            )));
        }
    }
    Ok(text)
}

/// Forward destinations: `host:port` or `rtmp://host[:port]/app[/stream]`, checked here so that
/// a typo is a config error, not a forward that never connects.
fn forward_destinations<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<Vec<String>, D::Error> {
    let list = Vec::<String>::deserialize(deserializer)?;
    for destination in &list {
        crate::forward::check_destination(destination).map_err(de::Error::custom)?;
    }
    Ok(list)
}

/// An edge's origins: `host:port`, `rtmp://host[:port]` or `http://host[:port]`, checked here
/// so that a typo is a config error, not an edge that never pulls.
fn cluster_origins<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Vec<String>, D::Error> {
    let list = Vec::<String>::deserialize(deserializer)?;
    for origin in &list {
        crate::cluster::edge::check_origin(origin).map_err(de::Error::custom)?;
    }
    Ok(list)
}

/// `[dvr] apply`: a list, or SRS's space-separated string; `all` is every stream (empty).
/// Each entry is `app/stream`.
fn dvr_apply<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Vec<String>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Apply {
        Words(String),
        List(Vec<String>),
    }
    let list = match Apply::deserialize(deserializer)? {
        Apply::Words(words) => words.split_whitespace().map(str::to_owned).collect(),
        Apply::List(list) => list,
    };
    if list.iter().any(|a| a == "all") {
        return Ok(Vec::new());
    }
    for entry in &list {
        match entry.split_once('/') {
            Some((app, stream))
                if !app.is_empty() && !stream.is_empty() && !stream.contains('/') => {}
            _ => {
                return Err(de::Error::custom(format!(
                    "{entry:?} is not app/stream (or \"all\")"
                )));
            }
        }
    }
    Ok(list)
}

/// A listen address, `IP:PORT`.
fn socket_address<'de, D: Deserializer<'de>>(deserializer: D) -> Result<SocketAddr, D::Error> {
    struct Address;

    impl Visitor<'_> for Address {
        type Value = SocketAddr;

        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("an IP address and port such as \"0.0.0.0:1935\" or \"[::]:1935\"")
        }

        fn visit_str<E: de::Error>(self, text: &str) -> Result<SocketAddr, E> {
            text.parse()
                .map_err(|_| E::invalid_value(Unexpected::Str(text), &self))
        }
    }

    deserializer.deserialize_str(Address)
}

/// Callback URLs: `http://` only (the server is built without TLS), with a host.
fn hook_urls<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Vec<String>, D::Error> {
    /// One URL, checked inside the deserializer so that an error points at its own line.
    struct HookUrl(String);

    impl<'de> Deserialize<'de> for HookUrl {
        fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<HookUrl, D::Error> {
            deserializer.deserialize_str(HookUrlText)
        }
    }

    struct HookUrlText;

    impl Visitor<'_> for HookUrlText {
        type Value = HookUrl;

        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("an http:// or https:// URL with a host")
        }

        fn visit_str<E: de::Error>(self, url: &str) -> Result<HookUrl, E> {
            match reqwest::Url::parse(url) {
                Ok(parsed)
                    if matches!(parsed.scheme(), "http" | "https") && parsed.host().is_some() =>
                {
                    Ok(HookUrl(url.to_owned()))
                }
                _ => Err(E::invalid_value(Unexpected::Str(url), &self)),
            }
        }
    }

    let urls = Vec::<HookUrl>::deserialize(deserializer)?;
    Ok(urls.into_iter().map(|HookUrl(url)| url).collect())
}

/// Durations as seconds, integer or float, greater than 0 and at most a day; written back as
/// float seconds.
mod seconds {
    use super::*;
    use serde::Serializer;

    /// No timeout here has a reason to be longer than a day.
    const MAX_SECONDS: f64 = 86_400.0;

    pub fn serialize<S: Serializer>(duration: &Duration, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_f64(duration.as_secs_f64())
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Duration, D::Error> {
        deserializer.deserialize_any(Seconds)
    }

    struct Seconds;

    impl Visitor<'_> for Seconds {
        type Value = Duration;

        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            write!(
                f,
                "a number of seconds greater than 0 and at most {MAX_SECONDS}"
            )
        }

        fn visit_f64<E: de::Error>(self, seconds: f64) -> Result<Duration, E> {
            if seconds > 0.0 && seconds <= MAX_SECONDS {
                Ok(Duration::from_secs_f64(seconds))
            } else {
                Err(E::invalid_value(Unexpected::Float(seconds), &self))
            }
        }

        fn visit_i64<E: de::Error>(self, seconds: i64) -> Result<Duration, E> {
            if seconds > 0 && seconds as f64 <= MAX_SECONDS {
                Ok(Duration::from_secs(seconds.unsigned_abs()))
            } else {
                Err(E::invalid_value(Unexpected::Signed(seconds), &self))
            }
        }

        fn visit_u64<E: de::Error>(self, seconds: u64) -> Result<Duration, E> {
            match i64::try_from(seconds) {
                Ok(seconds) => self.visit_i64(seconds),
                Err(_) => Err(E::invalid_value(Unexpected::Unsigned(seconds), &self)),
            }
        }
    }
}
