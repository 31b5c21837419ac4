//! DVR: each published stream recorded to FLV or MP4 files, as SRS's `dvr` (`[dvr]`, per
//! vhost `[vhosts."name".dvr]`).
//!
//! A recorder per stream reads it as the server's own subscriber (as HLS and forward do: no
//! client of the API), from the publish to the unpublish. A file starts at the stream's first
//! keyframe (its first frame when it has no video) and ends when the publisher stops
//! (`plan = "session"`) or, with `plan = "segment"`, also at the first keyframe `duration`
//! after its start. A publisher that comes back starts a new recorder, so a new file.
//!
//! Files are written whole or not at all: under `{name}.tmp` beside the final name, which a
//! complete file takes by a link that never replaces an existing file (a taken name gets
//! `-1`, `-2`... before its extension), then `on_dvr` tells the callbacks. A directory that
//! cannot be made or a write that fails (disk full, no permission) abandons that file, is
//! logged and counted (`weir_dvr_errors_total`), and the recorder tries a new file at a
//! keyframe [`RETRY`] later; the stream and its players never wait for the disk: a recorder
//! that falls a ring behind loses items as a slow player does.

mod flv;
mod mp4;
mod path;

use crate::Context;
use crate::config::{DvrConfig, DvrPlan};
use crate::hooks::{DvrFile, HookContext, HookEvent};
use bytes::Bytes;
use path::Format;
use std::io::SeekFrom;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::Ordering::Relaxed;
use std::time::{Duration, Instant};
use tokio::io::{AsyncSeekExt, AsyncWriteExt, BufWriter};
use tracing::{Instrument, info, warn};
use weir_hub::{Entry, Item, Stream, StreamKey, Subscriber};
use weir_media::{MediaKind, MediaPacket, Metadata, Timestamp};

/// How long a recorder waits after a failed file before it tries another.
pub const RETRY: Duration = Duration::from_secs(5);
/// Bytes gathered before a write reaches the file system.
const BUFFER: usize = 256 * 1024;

/// A container a recording is written in: bytes to append as items come, and at the end the
/// last bytes to append and the writes back over earlier ones.
trait Container: Send {
    /// The file's first bytes, with the stream's metadata if it has some.
    fn start(&mut self, metadata: Option<&Metadata>, out: &mut Vec<Bytes>);
    /// The publisher announced new metadata.
    fn metadata(&mut self, metadata: &Metadata, out: &mut Vec<Bytes>);
    fn media(&mut self, stream: &Stream, entry: &Arc<Entry<MediaPacket>>, out: &mut Vec<Bytes>);
    fn finish(&mut self, out: &mut Vec<Bytes>) -> Vec<Fixup>;
}

/// Bytes to write over the file at `offset` once it is complete (a size, a duration).
pub struct Fixup {
    offset: u64,
    bytes: Vec<u8>,
}

/// Starts recording the stream `key` (just published), if its vhost records it.
pub fn spawn(ctx: &Arc<Context>, key: &StreamKey) {
    let config = ctx.config();
    let dvr = config.vhost_dvr(&key.vhost);
    if !dvr.applies_to(&key.app, &key.stream) {
        return;
    }
    if !crate::hls::safe_for_disk(&key.app, &key.stream) {
        warn!(stream = %key, "the stream's name is not a safe file name: not recorded");
        return;
    }
    let template = path::template(&dvr.path);
    let format = path::format(&template).unwrap_or(Format::Flv);
    let recorder = Recorder {
        ctx: ctx.clone(),
        key: key.clone(),
        dvr: dvr.clone(),
        template,
        format,
        configs: Vec::new(),
        metadata: None,
        file: None,
        paused_until: None,
    };
    let subscriber = ctx.hub.subscribe_internal(key);
    let span = tracing::info_span!("dvr", stream = %key);
    tokio::spawn(recorder.run(subscriber).instrument(span));
}

struct Recorder {
    ctx: Arc<Context>,
    key: StreamKey,
    dvr: DvrConfig,
    template: String,
    format: Format,
    /// Each track's latest configuration: every file starts with them.
    configs: Vec<Arc<Entry<MediaPacket>>>,
    metadata: Option<Metadata>,
    file: Option<File>,
    /// After a failed file: no new one before this.
    paused_until: Option<Instant>,
}

/// One file being written.
struct File {
    path: PathBuf,
    tmp: PathBuf,
    out: BufWriter<tokio::fs::File>,
    container: Box<dyn Container>,
    /// The time of its first frame.
    start: Option<Timestamp>,
    bytes: u64,
    /// The publisher as the file started, for `on_dvr`.
    hook: HookContext,
}

/// A file that could not be written: where and why.
struct Failed {
    path: PathBuf,
    error: std::io::Error,
}

impl Recorder {
    async fn run(mut self, mut subscriber: Subscriber) {
        let stream = subscriber.stream().clone();
        info!(path = %self.template, "recording");
        while let Some(item) = subscriber.recv().await {
            let result = match item {
                Item::Publisher(false) => break,
                Item::Publisher(true) => Ok(()),
                Item::Metadata(metadata) => self.metadata(&metadata.value).await,
                Item::Media(media) => self.media(&stream, &media).await,
            };
            if let Err(failed) = result {
                self.failed(failed).await;
            }
        }
        drop(subscriber);
        if let Err(failed) = self.close().await {
            self.failed(failed).await;
        }
        info!("recording ended");
    }

    async fn metadata(&mut self, metadata: &Metadata) -> Result<(), Failed> {
        self.metadata = Some(metadata.clone());
        let mut out = Vec::new();
        if let Some(file) = &mut self.file {
            file.container.metadata(metadata, &mut out);
        }
        self.write(out).await
    }

    async fn media(
        &mut self,
        stream: &Stream,
        media: &Arc<Entry<MediaPacket>>,
    ) -> Result<(), Failed> {
        if let MediaPacket::Config(config) = &media.value {
            self.configs.retain(|c| c.value.track() != config.track);
            self.configs.push(media.clone());
        }
        if media.is_frame() {
            let has_video = media.is_video()
                || self
                    .configs
                    .iter()
                    .any(|c| c.value.track().kind == MediaKind::Video);
            // A place a file may start: a keyframe, or any frame of a stream without video.
            let cut_here = media.is_keyframe() || !has_video;
            if let Some(start) = self.file.as_ref().and_then(|f| f.start)
                && self.dvr.plan == DvrPlan::Segment
                && media.time.0 - start.0 >= Timestamp::from_duration(self.dvr.duration).0
                && (cut_here || !self.dvr.wait_keyframe)
            {
                self.close().await?;
            }
            if self.file.is_none() {
                if !cut_here || self.paused_until.is_some_and(|t| Instant::now() < t) {
                    return Ok(());
                }
                self.open(stream).await?;
            }
        }
        let Some(file) = &mut self.file else {
            return Ok(());
        };
        if media.is_frame() {
            file.start.get_or_insert(media.time);
        }
        let mut out = Vec::new();
        file.container.media(stream, media, &mut out);
        self.write(out).await
    }

    /// A new file, begun with the stream's metadata and configurations.
    async fn open(&mut self, stream: &Stream) -> Result<(), Failed> {
        let path = path::expand(&self.template, &self.key, chrono::Local::now());
        let tmp = path::temporary(&path);
        let fail = |error| Failed {
            path: tmp.clone(),
            error,
        };
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            tokio::fs::create_dir_all(dir).await.map_err(fail)?;
        }
        let handle = tokio::fs::File::create(&tmp).await.map_err(fail)?;
        let mut container: Box<dyn Container> = match self.format {
            Format::Flv => Box::new(flv::FlvFile::new()),
            Format::Mp4 => Box::new(mp4::Mp4File::new()),
        };
        let mut out = Vec::new();
        container.start(self.metadata.as_ref(), &mut out);
        for config in &self.configs {
            container.media(stream, config, &mut out);
        }
        info!(file = %path.display(), "file started");
        self.file = Some(File {
            path,
            tmp,
            out: BufWriter::with_capacity(BUFFER, handle),
            container,
            start: None,
            bytes: 0,
            hook: self.ctx.publisher_hook_context(&self.key),
        });
        self.paused_until = None;
        self.write(out).await
    }

    async fn write(&mut self, out: Vec<Bytes>) -> Result<(), Failed> {
        let Some(file) = &mut self.file else {
            return Ok(());
        };
        for bytes in out {
            file.out.write_all(&bytes).await.map_err(|error| Failed {
                path: file.tmp.clone(),
                error,
            })?;
            file.bytes += bytes.len() as u64;
        }
        Ok(())
    }

    /// Ends the file: its last bytes and write-backs, to disk, under its own name; then
    /// `on_dvr`.
    async fn close(&mut self) -> Result<(), Failed> {
        let Some(mut file) = self.file.take() else {
            return Ok(());
        };
        let mut out = Vec::new();
        let fixups = file.container.finish(&mut out);
        let tmp = file.tmp.clone();
        let fail = |error| Failed {
            path: tmp.clone(),
            error,
        };
        for bytes in out {
            file.out.write_all(&bytes).await.map_err(fail)?;
            file.bytes += bytes.len() as u64;
        }
        file.out.flush().await.map_err(fail)?;
        let handle = file.out.get_mut();
        for fixup in fixups {
            handle
                .seek(SeekFrom::Start(fixup.offset))
                .await
                .map_err(fail)?;
            handle.write_all(&fixup.bytes).await.map_err(fail)?;
        }
        handle.flush().await.map_err(fail)?;
        handle.sync_data().await.map_err(fail)?;
        drop(file.out);
        let (tmp, wanted) = (file.tmp.clone(), file.path.clone());
        let path = tokio::task::spawn_blocking(move || settle(&tmp, &wanted))
            .await
            .unwrap_or_else(|e| Err(std::io::Error::other(e)))
            .map_err(fail)?;
        info!(file = %path.display(), bytes = file.bytes, "file complete");
        self.ctx.metrics.dvr_files.fetch_add(1, Relaxed);
        self.ctx.metrics.dvr_bytes.fetch_add(file.bytes, Relaxed);
        self.notify(file.hook, &path);
        Ok(())
    }

    /// A file abandoned: said, counted, its temporary removed; the next keyframe after
    /// [`RETRY`] starts another.
    async fn failed(&mut self, failed: Failed) {
        warn!(file = %failed.path.display(), error = %failed.error, retry_in = ?RETRY, "recording failed: file abandoned");
        self.ctx.metrics.dvr_errors.fetch_add(1, Relaxed);
        if let Some(file) = self.file.take() {
            drop(file.out);
            let _ = tokio::fs::remove_file(&file.tmp).await;
        }
        self.paused_until = Some(Instant::now() + RETRY);
    }

    /// `on_dvr`, with the publisher as the file started and the file, as SRS sends it.
    fn notify(&self, hook: HookContext, path: &Path) {
        let config = self.ctx.config();
        let hooks = config.vhost_hooks(&self.key.vhost);
        if !hooks.enabled || hooks.on_dvr.is_empty() {
            return;
        }
        let cwd = std::env::current_dir()
            .map(|d| d.display().to_string())
            .unwrap_or_default();
        let context = HookContext {
            dvr: Some(DvrFile {
                cwd,
                file: path.display().to_string(),
            }),
            ..hook
        };
        self.ctx.hooks.notify(hooks, HookEvent::Dvr, context);
    }
}

/// Gives the complete file `tmp` its name, `wanted` or, when a file already has that, the
/// first free numbered one: a hard link never replaces a file (a rename would); where the
/// file system has no hard links, a rename to a name that was free a moment ago.
fn settle(tmp: &Path, wanted: &Path) -> std::io::Result<PathBuf> {
    for n in 0..10_000 {
        let path = match n {
            0 => wanted.to_owned(),
            n => path::numbered(wanted, n),
        };
        match std::fs::hard_link(tmp, &path) {
            Ok(()) => {
                std::fs::remove_file(tmp)?;
                return Ok(path);
            }
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
            Err(_) if !path.exists() => {
                std::fs::rename(tmp, &path)?;
                return Ok(path);
            }
            Err(e) => return Err(e),
        }
    }
    Err(std::io::Error::other(format!(
        "{} and 10,000 numbered names are taken",
        wanted.display()
    )))
}
