//! RTMP sessions: the server and client machines (RTMP 1.0 §7.2, and the command flows FMS
//! established and FFmpeg, OBS, FMLE and SRS follow).
//!
//! Both roles share `connection::Connection`, which owns the handshake, the chunk stream in
//! both directions, acknowledgements and user control pings; the role files hold only the
//! command flows.

pub mod client;
mod connection;
pub mod server;
pub mod status;

use crate::chunk::ChunkLimits;
use bytes::Bytes;
use weir_amf0::Value;
use weir_media::{MediaPacket, Timestamp, Unwrapper};

pub use client::{ClientEvent, ClientOptions, ClientSession, ConnectForm};
pub use server::{
    PlayRequest, PublishRequest, RequestId, ServerEvent, ServerSession, SharedWriter,
};

/// Chunk stream ids Weir sends on, as SRS does: control on 2 (required by §5.4), commands of
/// the connection on 3, commands and data of a stream on 5, video on 6, audio on 7.
pub(crate) mod csid {
    pub const CONTROL: u32 = 2;
    pub const CONNECTION: u32 = 3;
    pub const STREAM: u32 = 5;
    pub const VIDEO: u32 = 6;
    pub const AUDIO: u32 = 7;
}

/// Limits and parameters shared by both roles.
#[derive(Debug, Clone)]
pub struct SessionConfig {
    /// Bounds on the peer's chunk stream: message size and chunk streams in use.
    pub chunk_limits: ChunkLimits,
    /// Bounds on the AMF values of commands and data messages.
    pub amf_limits: weir_amf0::Limits,
    /// The chunk size this side sends with after the connection is up (announced with Set
    /// Chunk Size). 4096 as nginx-rtmp and FFmpeg use; 128 keeps the spec's default.
    pub chunk_size: u32,
    /// The Window Acknowledgement Size this side announces: the peer acknowledges every so
    /// many bytes. 2.5 MB as FMS and SRS announce.
    pub window_ack_size: u32,
    /// The bandwidth announced with Set Peer Bandwidth (dynamic limit), as FMS and SRS do.
    pub peer_bandwidth: u32,
    /// How many message streams a client may create on one connection.
    pub max_streams: u32,
}

impl Default for SessionConfig {
    fn default() -> Self {
        SessionConfig {
            chunk_limits: ChunkLimits::default(),
            amf_limits: weir_amf0::Limits::default(),
            chunk_size: 4096,
            window_ack_size: 2_500_000,
            peer_bandwidth: 2_500_000,
            max_streams: 16,
        }
    }
}

/// How a publisher asked to publish (RTMP 1.0 §7.2.2.6).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PublishKind {
    /// `live`: published without recording.
    Live,
    /// `record`: published and recorded into a new file.
    Record,
    /// `append`: published and appended to a file, created if there is none.
    Append,
}

impl PublishKind {
    /// The publishing type as the `publish` command names it.
    pub fn as_str(self) -> &'static str {
        match self {
            PublishKind::Live => "live",
            PublishKind::Record => "record",
            PublishKind::Append => "append",
        }
    }

    /// Parses the publishing type argument; FMLE and some encoders omit it (live).
    pub fn parse(s: Option<&str>) -> Option<PublishKind> {
        match s {
            None | Some("live") | Some("") => Some(PublishKind::Live),
            Some("record") => Some(PublishKind::Record),
            Some("append") => Some(PublishKind::Append),
            Some(_) => None,
        }
    }
}

/// Media and data that arrive on a message stream, in the same shape for both roles.
#[derive(Debug, Clone, PartialEq)]
pub enum StreamData {
    /// `onMetaData`, whether sent bare or wrapped in `@setDataFrame`: the metadata object.
    Metadata(Value),
    /// A decoder configuration or a frame, from an audio or video message.
    Media(MediaPacket),
    /// Any other data message: the handler name and its values.
    Data {
        /// The handler name: the data message's first value.
        handler: String,
        /// The values after the handler name.
        values: Vec<Value>,
    },
    /// An audio or video message whose body could not be read (a violation was reported).
    Unreadable {
        /// The message type id: 8 (audio) or 9 (video).
        type_id: u8,
        /// The message body, as received.
        body: Bytes,
    },
}

impl StreamData {
    /// Reads a data message: `@setDataFrame`/`onMetaData` become [`StreamData::Metadata`], the
    /// rest [`StreamData::Data`]. Fails when the first value is not a handler name.
    pub fn from_data(data: crate::message::Data) -> Result<StreamData, String> {
        let mut values = data.values.into_iter();
        let handler = match values.next() {
            Some(v) => v
                .as_str()
                .map(str::to_owned)
                .ok_or_else(|| format!("data message handler is {v:?}, not a string"))?,
            None => return Err("empty data message".into()),
        };
        let mut rest: Vec<Value> = values.collect();
        let metadata_at = match (handler.as_str(), rest.first().and_then(Value::as_str)) {
            ("@setDataFrame", Some("onMetaData")) => Some(1),
            ("onMetaData", _) => Some(0),
            _ => None,
        };
        match metadata_at {
            Some(i) if rest.len() > i => Ok(StreamData::Metadata(rest.swap_remove(i))),
            _ => Ok(StreamData::Data {
                handler,
                values: rest,
            }),
        }
    }
}

/// Each message stream's timeline: RTMP's 32-bit millisecond timestamps (RTMP 1.0 §5.3.1.3,
/// which wrap every 49.7 days) extended to one 64-bit timeline on the media clock, and the
/// check that audio and video timestamps do not go backwards (§5.3.1), allowing the wrap.
///
/// Both maps are looked up per audio and video message: they hash with foldhash (seeded per
/// process, so a peer's stream ids cannot choose collisions), not SipHash, which cost `weir
/// check` about 1.5 % of its time here.
#[derive(Debug, Default)]
pub(crate) struct Timeline {
    last: foldhash::HashMap<(u32, u8), u32>,
    clocks: foldhash::HashMap<u32, Unwrapper>,
}

impl Timeline {
    /// A violation when an audio or video timestamp goes back on its stream.
    pub fn check(
        &mut self,
        header: connection::Header,
        type_id: u8,
    ) -> Option<weir_media::Violation> {
        let last = self
            .last
            .insert((header.stream_id, type_id), header.timestamp)?;
        let back = last.wrapping_sub(header.timestamp);
        // A step back of less than half the clock is a regression; more is a wrap forward.
        (back > 0 && back < 1 << 31).then(|| {
            let kind = if type_id == 8 { "audio" } else { "video" };
            let detail = format!("{kind} timestamp {} after {last}", header.timestamp);
            weir_media::Violation::new(&crate::rules::MEDIA_TIMESTAMP, header.offset, detail)
        })
    }

    /// A stream starts over (a new publish, Stream Begin after a seek, §7.1.7): its media
    /// may legally begin again at an earlier timestamp, which is no regression.
    pub fn restart(&mut self, stream_id: u32) {
        self.last.retain(|(stream, _), _| *stream != stream_id);
    }

    /// The message's time on its stream's timeline (audio, video and data share one clock).
    pub fn time(&mut self, header: connection::Header) -> Timestamp {
        let clock = self
            .clocks
            .entry(header.stream_id)
            .or_insert(Unwrapper::new(32));
        Timestamp::from_millis(clock.unwrap(header.timestamp.into()))
    }
}

/// Whether a packet travels in a video message (type 9) rather than an audio one (type 8).
pub(crate) fn is_video(packet: &MediaPacket) -> bool {
    packet.track().kind == weir_media::MediaKind::Video
}

/// Reads an audio or video message body: the timestamp check, then each packet as it is read
/// (no buffer per message). An unreadable body is reported and passed on as
/// [`StreamData::Unreadable`]. Both roles receive media through here. An observer (`checked`)
/// also judges what a readable body breaks of the `flv.*` tag rules, at the message's offset;
/// a server reads on without the checks.
pub(crate) fn receive_media(
    timeline: &mut Timeline,
    time: Timestamp,
    header: connection::Header,
    type_id: u8,
    body: Bytes,
    checked: bool,
    out: &mut impl FnMut(Result<StreamData, weir_media::Violation>),
) {
    use weir_flv::media::{read_audio_checked, read_video_checked};
    if let Some(v) = timeline.check(header, type_id) {
        out(Err(v));
    }
    let mut packet = |p| out(Ok(StreamData::Media(p)));
    let mut violations = Vec::new();
    let read = match (type_id == crate::message::AUDIO, checked) {
        (true, true) => read_audio_checked(time, body.clone(), &mut packet, &mut violations),
        (false, true) => read_video_checked(time, body.clone(), &mut packet, &mut violations),
        (true, false) => weir_flv::media::read_audio(time, body.clone(), &mut packet),
        (false, false) => weir_flv::media::read_video(time, body.clone(), &mut packet),
    };
    for v in violations {
        out(Err(weir_media::Violation {
            offset: header.offset,
            ..v
        }));
    }
    if let Err(err) = read {
        let v =
            weir_media::Violation::new(&crate::rules::MEDIA_TAG, header.offset, err.to_string());
        out(Err(v));
        out(Ok(StreamData::Unreadable { type_id, body }));
    }
}
