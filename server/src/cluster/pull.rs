//! One pull of a stream from an origin: our RTMP client machine playing it (over the link
//! forward uses, `crate::forward::Link`), or our FLV reader over an HTTP GET (HTTP-FLV). Each
//! hands what it receives, as RTMP messages' [`StreamData`], to the caller, which puts it
//! into the edge's hub as RTMP publishers do (`crate::rtmp::push_data`).
//!
//! Redirects are followed up to the edge's `max_redirects`: RTMP's, as SRS's origin cluster
//! sends them (connect refused, `NetConnection.Connect.Rejected`, with `ex.code` 302 and the
//! new tcUrl in `ex.redirect`; SRS's `SrsRtmpServer::redirect`), and HTTP 302s.
//!
//! A pull ends (and the edge tries the next origin) when the origin refuses, fails, closes,
//! or sends no media for [`MEDIA_IDLE`]: an origin that lacks the stream accepts a play and
//! waits (as Weir and SRS do), so silence is how "not here" is known.

use crate::clients::Client;
use crate::forward::Link;
use crate::metrics::Metrics;
use std::time::Duration;
use tokio::time::Instant;
use tracing::info;
use weir_flv::{FlvReader, ScriptData, Tag, TagType};
use weir_media::{Machine, Output, Timestamp};
use weir_rtmp::session::{ClientEvent, StreamData};
use weir_rtmp::url::RtmpUrl;

/// How long connecting and reaching `NetStream.Play.Start` (or HTTP's answer) may take.
const START_TIMEOUT: Duration = Duration::from_secs(5);
/// How long a pull may receive no media before the edge looks elsewhere.
pub const MEDIA_IDLE: Duration = Duration::from_secs(2);

/// What a pull gives its caller: each message's time and data.
pub type Sink<'a> = &'a mut (dyn FnMut(Timestamp, StreamData) + Send);

/// Counts what a pull receives: on its client (the API's `edge-pull`) and the server's.
pub struct Counting<'a> {
    pub client: &'a Client,
    pub metrics: &'a Metrics,
}

impl Counting<'_> {
    fn add(&self, n: usize) {
        self.client.add_recv(n as u64);
        self.metrics.add_recv(n as u64);
    }
}

/// Plays `url` (`rtmp://host[:port]/app/stream`) until it ends; why it ended.
pub async fn rtmp(url: &str, max_redirects: u32, count: Counting<'_>, sink: Sink<'_>) -> String {
    let mut url = url.to_owned();
    for hop in 0..=max_redirects {
        let target = match RtmpUrl::parse(&url) {
            Ok(target) => target,
            Err(e) => return e,
        };
        match play(&target, &count, sink).await {
            Ended::Redirect(to) => {
                url = to;
                info!(%url, hop = hop + 1, "origin redirected the pull");
            }
            Ended::Failed(why) => return why,
        }
    }
    format!("more than {max_redirects} redirects")
}

enum Ended {
    Redirect(String),
    Failed(String),
}

/// What a play has heard so far.
#[derive(Default)]
struct Heard {
    /// The stream played, for a redirect that names only an application.
    stream: String,
    redirect: Option<String>,
    playing: bool,
    /// Media since the last look.
    media: bool,
}

impl Heard {
    fn event(&mut self, event: ClientEvent, sink: Sink<'_>) -> Result<(), String> {
        match event {
            // SRS's RTMP 302, in either place it comes: the connect refused, or (an origin
            // of a cluster whose registry places the stream elsewhere) the play answered by
            // an error status; both carry `ex.code` 302 and `ex.redirect`.
            ClientEvent::ConnectRejected(status) => {
                self.redirect = status.redirect(&self.stream);
                Err(format!(
                    "connect refused: {} {}",
                    status.code, status.description
                ))
            }
            ClientEvent::Playing { .. } => {
                self.playing = true;
                Ok(())
            }
            ClientEvent::Status { status, .. } if status.is_error() => {
                self.redirect = status.redirect(&self.stream);
                Err(format!(
                    "play refused: {} {}",
                    status.code, status.description
                ))
            }
            ClientEvent::Data { time, data, .. } => {
                self.media |= matches!(data, StreamData::Media(_));
                sink(time, data);
                Ok(())
            }
            _ => Ok(()),
        }
    }
}

async fn play(target: &RtmpUrl, count: &Counting<'_>, sink: Sink<'_>) -> Ended {
    let mut heard = Heard {
        stream: target.stream.clone(),
        ..Heard::default()
    };
    let started = Instant::now();
    let mut link = match tokio::time::timeout(START_TIMEOUT, Link::connect(target)).await {
        Ok(Ok(link)) => link,
        Ok(Err(e)) => return Ended::Failed(e),
        Err(_) => return Ended::Failed(format!("no connection within {START_TIMEOUT:?}")),
    };
    if let Err(e) = link.session.play(&target.stream, -1.0) {
        return Ended::Failed(e.to_string());
    }
    // Until Play.Start, within START_TIMEOUT; then until media stops for MEDIA_IDLE.
    let mut last_media = started + START_TIMEOUT - MEDIA_IDLE;
    loop {
        if let Err(e) = link.flush(|event| heard.event(event, sink)).await {
            return match heard.redirect.take() {
                Some(to) => Ended::Redirect(to),
                None => Ended::Failed(e),
            };
        }
        if std::mem::take(&mut heard.media) {
            last_media = Instant::now();
        }
        match tokio::time::timeout_at(last_media + MEDIA_IDLE, link.receive()).await {
            Ok(Ok(n)) => count.add(n),
            Ok(Err(e)) => return Ended::Failed(e),
            Err(_) if !heard.playing => return Ended::Failed("no NetStream.Play.Start".into()),
            Err(_) => return Ended::Failed(format!("no media for {MEDIA_IDLE:?}")),
        }
    }
}

/// GETs `url` (`http://host[:port]/app/stream.flv`) and reads it as FLV until it ends; why it
/// ended. `http` follows the redirects (see [`client`]).
pub async fn flv(http: &reqwest::Client, url: &str, count: Counting<'_>, sink: Sink<'_>) -> String {
    let response = match tokio::time::timeout(START_TIMEOUT, http.get(url).send()).await {
        Ok(Ok(response)) => response,
        Ok(Err(e)) => return format!("GET {url}: {e}"),
        Err(_) => return format!("GET {url}: no answer within {START_TIMEOUT:?}"),
    };
    if !response.status().is_success() {
        return format!("GET {url}: {}", response.status());
    }
    let mut response = response;
    let mut reader = FlvReader::new();
    let mut last_media = Instant::now() + START_TIMEOUT - MEDIA_IDLE;
    loop {
        let chunk = match tokio::time::timeout_at(last_media + MEDIA_IDLE, response.chunk()).await {
            Ok(Ok(Some(chunk))) => chunk,
            Ok(Ok(None)) => return "the origin ended the stream".into(),
            Ok(Err(e)) => return format!("read: {e}"),
            Err(_) => return format!("no media for {MEDIA_IDLE:?}"),
        };
        count.add(chunk.len());
        if let Err(e) = reader.handle_input(std::time::Instant::now(), &chunk) {
            return format!("the origin's FLV: {e}");
        }
        while let Some(output) = reader.poll_output() {
            if let Output::Event(tag) = output
                && tag_data(tag, sink)
            {
                last_media = Instant::now();
            }
        }
    }
}

/// The HTTP client of HTTP-FLV pulls: HTTP redirects followed up to `max_redirects`.
pub fn client(max_redirects: u32) -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::limited(max_redirects as usize))
        .connect_timeout(START_TIMEOUT)
        .build()
        .expect("a client without TLS settings builds")
}

/// One FLV tag as the RTMP message it stands for (FLV 10.1 §E.4: the same bodies); whether
/// it was media.
fn tag_data(tag: Tag, sink: Sink<'_>) -> bool {
    let time = Timestamp::from_millis(tag.header.timestamp.into());
    let mut media = false;
    let mut out = |packet| {
        media = true;
        sink(time, StreamData::Media(packet));
    };
    let read = match tag.header.tag_type {
        TagType::Audio => weir_flv::media::read_audio(time, tag.body, &mut out),
        TagType::Video => weir_flv::media::read_video(time, tag.body, &mut out),
        TagType::Script => {
            let script = ScriptData::parse(&tag.body, &weir_amf0::Limits::default());
            if let Some(value) = script.ok().as_ref().and_then(ScriptData::metadata) {
                sink(time, StreamData::Metadata(value.clone()));
            }
            Ok(())
        }
        TagType::Other(_) => Ok(()),
    };
    if let Err(e) = read {
        tracing::debug!(error = %e, "unreadable FLV tag dropped");
    }
    media
}
