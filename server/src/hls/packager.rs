//! One stream's packager: a hub subscriber that muxes the stream into TS segments, cut where
//! the segmenter says (RFC 8216 §3, §6.2.1), and lists them in the stream's live playlist.

use super::{HlsStream, segment_name};
use crate::Context;
use crate::hooks::{HlsSegment, HookContext, HookEvent};
use bytes::{Bytes, BytesMut};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Instant;
use tracing::{Instrument, debug, info, warn};
use weir_hls::{
    LivePlaylist, LivePlaylistConfig, Placement, PlaylistEntry, SegmentSpan, Segmenter,
    SegmenterConfig,
};
use weir_hub::{Item, StreamKey, Subscriber};
use weir_media::MediaPacket;
use weir_media::{Frame, MediaKind, Output, Timestamp, TrackConfig};
use weir_mpegts::{Muxer, MuxerConfig};
use weir_transcode::{Want, each_as};

/// Starts packaging the stream `key` (just published), unless HLS is off.
pub fn spawn(ctx: &Arc<Context>, key: &StreamKey) {
    if !ctx.config().hls.enabled {
        return;
    }
    let segmenter = segmenter_config(ctx, true);
    let window = Timestamp::from_duration(ctx.config().hls.window);
    let hls = ctx.hls.open(key, || {
        LivePlaylist::new(LivePlaylistConfig::for_segmenter(&segmenter, window))
    });
    {
        let mut state = hls.lock().unwrap();
        if state.live {
            return; // a packager from the last publish is still finishing
        }
        state.live = true;
        state.touched = Instant::now();
    }
    let subscriber = ctx.hub.subscribe_internal(key);
    let packager = Packager {
        ctx: ctx.clone(),
        key: key.clone(),
        hls,
        configs: Vec::new(),
        muxer: None,
        segmenter: None,
        segment: BytesMut::new(),
        started_ms: None,
    };
    let span = tracing::info_span!("hls", stream = %key);
    tokio::spawn(packager.run(subscriber).instrument(span));
}

/// The segmenter for this server's fragment length; whether a stream has video is known at
/// its first frame.
fn segmenter_config(ctx: &Context, has_video: bool) -> SegmenterConfig {
    SegmenterConfig::new(
        Timestamp::from_duration(ctx.config().hls.fragment),
        has_video,
    )
}

struct Packager {
    ctx: Arc<Context>,
    key: StreamKey,
    hls: Arc<Mutex<HlsStream>>,
    /// The latest configuration of each track.
    configs: Vec<TrackConfig>,
    muxer: Option<Muxer>,
    segmenter: Option<Segmenter>,
    /// The TS of the segment being cut.
    segment: BytesMut,
    /// When the current segment's first frame arrived, in Unix milliseconds.
    started_ms: Option<i64>,
}

impl Packager {
    async fn run(mut self, mut subscriber: Subscriber) {
        info!("packaging");
        let stream = subscriber.stream().clone();
        let mut entries = Vec::new();
        while let Some(item) = subscriber.recv().await {
            match item {
                Item::Publisher(false) => break,
                Item::Media(media) => {
                    // Opus audio as the stream's AAC, transcoded once for every delivery.
                    each_as(&stream, &media, Want::Aac, |e| entries.push(e.clone()));
                    for media in entries.drain(..) {
                        match &media.value {
                            MediaPacket::Config(config) => self.config(config),
                            MediaPacket::Frame(frame) => self.frame(frame).await,
                            MediaPacket::EndOfSequence { .. } => {}
                        }
                    }
                }
                Item::Metadata(_) | Item::Publisher(true) => {}
            }
        }
        drop(subscriber);
        if let Some(span) = self.segmenter.as_mut().and_then(Segmenter::finish) {
            self.close(span).await;
        }
        let text = {
            let mut hls = self.hls.lock().unwrap();
            hls.playlist.end();
            hls.live = false;
            hls.touched = Instant::now();
            hls.playlist.render()
        };
        self.write_playlist(text).await;
        info!("ended");
    }

    fn config(&mut self, config: &TrackConfig) {
        self.configs.retain(|c| c.track != config.track);
        self.configs.push(config.clone());
        if let Some(muxer) = &mut self.muxer
            && let Err(e) = muxer.handle_config(config)
        {
            warn!(error = %e, codec = %config.codec, "track left out of HLS");
        }
    }

    async fn frame(&mut self, frame: &Frame) {
        let has_video = frame.track.kind == MediaKind::Video
            || self
                .configs
                .iter()
                .any(|c| c.track.kind == MediaKind::Video);
        let ctx = &self.ctx;
        let segmenter = self
            .segmenter
            .get_or_insert_with(|| Segmenter::new(segmenter_config(ctx, has_video)));
        let placement = segmenter.push(frame);
        match placement {
            Placement::Skip => return,
            Placement::Append => {}
            Placement::NewSegment { closed } => {
                if let Some(span) = closed {
                    self.close(span).await;
                }
                self.started_ms = std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .ok()
                    .and_then(|d| i64::try_from(d.as_millis()).ok());
                self.muxer().start_segment();
            }
        }
        if let Err(e) = self.muxer().handle_frame(frame) {
            debug!(error = %e, "frame left out of HLS");
        }
        let muxer = self.muxer.as_mut().expect("made above");
        while let Some(Output::Transmit(bytes)) = muxer.poll_output() {
            self.segment.extend_from_slice(&bytes);
        }
    }

    /// The muxer, made with the tracks configured so far.
    fn muxer(&mut self) -> &mut Muxer {
        let configs = &self.configs;
        self.muxer.get_or_insert_with(|| {
            let mut muxer = Muxer::new(MuxerConfig::default());
            for config in configs {
                if let Err(e) = muxer.handle_config(config) {
                    warn!(error = %e, codec = %config.codec, "track left out of HLS");
                }
            }
            muxer
        })
    }

    /// Lists the segment just cut, stores it, and tells whoever asked (on_hls, disk).
    async fn close(&mut self, span: SegmentSpan) {
        let data: Bytes = std::mem::take(&mut self.segment).freeze();
        if data.is_empty() {
            return;
        }
        let (number, removed, text) = {
            let mut hls = self.hls.lock().unwrap();
            let number = hls.next;
            let entry = PlaylistEntry {
                uri: segment_name(&self.key.stream, number),
                duration: span.duration(),
                discontinuity: span.discontinuity,
                program_date_time: self
                    .started_ms
                    .filter(|_| self.ctx.config().hls.program_date_time),
            };
            let removed = match hls.playlist.push(entry) {
                Ok(removed) => removed,
                Err(e) => {
                    warn!(error = %e, "segment dropped");
                    return;
                }
            };
            hls.next += 1;
            hls.segments.insert(number, data.clone());
            let now = Instant::now();
            for entry in &removed {
                if let Some((_, n)) =
                    super::parse_segment_name(entry.uri.strip_suffix(".ts").unwrap_or(&entry.uri))
                {
                    hls.leaving.push_back((now, n));
                }
            }
            hls.touched = now;
            (number, removed.len(), hls.playlist.render())
        };
        debug!(
            number,
            seconds = span.duration().as_secs_f64(),
            bytes = data.len(),
            removed,
            "segment"
        );
        self.write_segment(number, &data).await;
        self.write_playlist(text).await;
        self.notify(number, span);
    }

    /// `{hls.path}/{app}`, when segments go to disk too. Names come from peers: a name that
    /// could leave `hls.path` (`..`, an absolute path, a backslash) keeps its HLS in memory.
    fn dir(&self) -> Option<PathBuf> {
        let path = &self.ctx.config().hls.path;
        if path.as_os_str().is_empty() {
            return None;
        }
        if !super::safe_for_disk(&self.key.app, &self.key.stream) {
            debug!("the stream's name is not a safe file name: HLS stays in memory");
            return None;
        }
        Some(path.join(&self.key.app))
    }

    async fn write_segment(&self, number: u64, data: &[u8]) {
        if let Some(dir) = self.dir() {
            let file = dir.join(segment_name(&self.key.stream, number));
            write_atomically(&dir, &file, data).await;
        }
    }

    async fn write_playlist(&self, text: String) {
        if let Some(dir) = self.dir() {
            let file = dir.join(format!("{}.m3u8", self.key.stream));
            write_atomically(&dir, &file, text.as_bytes()).await;
        }
    }

    /// on_hls, with the publisher's client and the segment, as SRS sends it.
    fn notify(&self, number: u64, span: SegmentSpan) {
        let config = self.ctx.config();
        let hooks = config.vhost_hooks(&self.key.vhost);
        if !hooks.enabled || hooks.on_hls.is_empty() {
            return;
        }
        let (app, name) = (&self.key.app, &self.key.stream);
        let cwd = std::env::current_dir()
            .map(|d| d.display().to_string())
            .unwrap_or_default();
        let base = match self.dir() {
            Some(dir) => dir.display().to_string(),
            None => format!("./{app}"),
        };
        let context = HookContext {
            hls: Some(HlsSegment {
                duration: span.duration().as_secs_f64(),
                cwd,
                file: format!("{base}/{}", segment_name(name, number)),
                url: format!("{app}/{}", segment_name(name, number)),
                m3u8: format!("{base}/{name}.m3u8"),
                m3u8_url: format!("{app}/{name}.m3u8"),
                seq_no: number,
            }),
            ..self.ctx.publisher_hook_context(&self.key)
        };
        self.ctx.hooks.notify(hooks, HookEvent::Hls, context);
    }
}

/// Writes `file` whole or not at all (a temporary file renamed over it), so that a reader of
/// the directory never sees half a segment or playlist.
async fn write_atomically(dir: &std::path::Path, file: &std::path::Path, data: &[u8]) {
    let tmp = file.with_extension("tmp");
    let result = async {
        tokio::fs::create_dir_all(dir).await?;
        tokio::fs::write(&tmp, data).await?;
        tokio::fs::rename(&tmp, file).await
    }
    .await;
    if let Err(e) = result {
        warn!(file = %file.display(), error = %e, "HLS file not written");
    }
}
