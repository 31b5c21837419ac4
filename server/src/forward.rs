//! Forward: each stream published on a vhost also published to other RTMP servers, as SRS's
//! `forward` — to the `[forward] destinations`, and to what SRS's dynamic forward `backend`
//! answers (`on_forward`, see [`crate::hooks::Hooks::forward_targets`]).
//!
//! One task per destination reads the stream as the server's own subscriber (as the HLS
//! packager does: no client of the API) and drives our RTMP client machine over TCP: connect,
//! publish, then each item as its FLV tag body (the one `crate::flv` makes once for every RTMP
//! player). A lost or refused connection is tried again, 1 s later and doubling up to 30 s,
//! from the stream's next keyframe (a fresh subscriber: sequence headers and the GOP first);
//! the task ends with its publisher.
//!
//! On an edge (`[cluster] mode = "edge"`), every publish is forwarded so to its origins, as
//! SRS's edge publishes to its origin: to the first RTMP origin in the round-robin order, to
//! the next when one fails (see [`crate::cluster::edge`]).

use crate::Context;
use crate::config::ClusterMode;
use crate::hooks::HookContext;
use rand::SeedableRng;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tracing::{Instrument, debug, info, warn};
use weir_hub::{Item, Stream, StreamKey, Subscriber};
use weir_media::{Machine, Output};
use weir_rtmp::session::{ClientEvent, ClientOptions, ClientSession, PublishKind, SessionConfig};
use weir_rtmp::url::RtmpUrl;
use weir_transcode::{Want, each_as};

/// The first wait before trying a destination again, and the longest.
const RETRY_FIRST: Duration = Duration::from_secs(1);
const RETRY_MOST: Duration = Duration::from_secs(30);
/// How long connecting and reaching `NetStream.Publish.Start` may take.
const START_TIMEOUT: Duration = Duration::from_secs(10);
/// How long the backend may take to answer.
const BACKEND_TIMEOUT: Duration = Duration::from_secs(3);

/// Starts forwarding the stream `key` that `publisher` (its hook context) has just
/// published, if its vhost forwards.
pub fn spawn(ctx: &Arc<Context>, key: &StreamKey, publisher: HookContext) {
    let config = ctx.config();
    if config.cluster.mode == ClusterMode::Edge {
        let (ctx, key, publisher) = (ctx.clone(), key.clone(), publisher.client_id.clone());
        let span = tracing::info_span!("edge-publish", stream = %key);
        tokio::spawn(
            async move {
                let targets = crate::cluster::edge::publish_targets(&ctx, &key).await;
                match targets.is_empty() {
                    true => warn!("no RTMP origin to forward an edge's publish to"),
                    false => forward_to(ctx, key, publisher, targets).await,
                }
            }
            .instrument(span),
        );
    }
    let forward = config.vhost_forward(&key.vhost);
    if !forward.enabled {
        return;
    }
    let (ctx, key, forward) = (ctx.clone(), key.clone(), forward.clone());
    let span = tracing::info_span!("forward", stream = %key);
    tokio::spawn(
        async move {
            let mut urls: Vec<String> = forward
                .destinations
                .iter()
                .map(|d| destination_url(d, &key))
                .collect();
            if !forward.backend.is_empty() {
                match ctx
                    .hooks
                    .forward_targets(&forward.backend, &publisher, BACKEND_TIMEOUT)
                    .await
                {
                    Ok(more) => urls.extend(more),
                    Err(e) => warn!(backend = %forward.backend, error = %e, "forward backend did not answer"),
                }
            }
            for url in urls {
                match RtmpUrl::parse(&url) {
                    Ok(target) => {
                        let span = tracing::info_span!("to", url = %url);
                        let task = forward_to(ctx.clone(), key.clone(), publisher.client_id.clone(), vec![target]);
                        tokio::spawn(task.instrument(span));
                    }
                    Err(e) => warn!(%url, error = %e, "not forwarded"),
                }
            }
        }
        .instrument(span),
    );
}

/// Whether `destination` is one forward can go to, for the config to say so where it is
/// written: the URL it makes for a stream must be an RTMP URL.
pub(crate) fn check_destination(destination: &str) -> Result<(), String> {
    let key = StreamKey::new(crate::DEFAULT_VHOST, "app", "stream");
    RtmpUrl::parse(&destination_url(destination, &key))
        .map(drop)
        .map_err(|e| {
            format!("{destination:?} is not host:port nor rtmp://host[:port]/app[/stream]: {e}")
        })
}

/// A destination of the config as an RTMP URL for `key`: `host:port` keeps the app and
/// stream; in a URL, `[vhost]`, `[app]` and `[stream]` are the stream's, and a URL that names
/// only an app gets the stream's name.
fn destination_url(destination: &str, key: &StreamKey) -> String {
    let url = match destination.contains("://") {
        true => destination.to_owned(),
        false => format!("rtmp://{destination}/[app]/[stream]"),
    };
    let url = match url.trim_end_matches('/').splitn(5, '/').count() {
        // rtmp: "" host app: no stream.
        4 => format!("{}/[stream]", url.trim_end_matches('/')),
        _ => url,
    };
    url.replace("[vhost]", &key.vhost)
        .replace("[app]", &key.app)
        .replace("[stream]", &key.stream)
}

/// Why one connection to a destination ended.
enum Ended {
    /// The publisher stopped: nothing more to forward.
    Unpublished,
    /// Lost or refused: try again.
    Failed(String),
}

/// Forwards the stream to the first of `targets` for as long as `publisher` publishes it;
/// when one fails, to the next (an edge's origins, see `crate::cluster::edge`).
async fn forward_to(ctx: Arc<Context>, key: StreamKey, publisher: String, targets: Vec<RtmpUrl>) {
    let mut shutdown = ctx.shutdown();
    let mut wait = RETRY_FIRST;
    for target in targets.iter().cycle() {
        let still = ctx
            .hub
            .streams()
            .into_iter()
            .any(|s| *s.key() == key && s.info().publisher.as_deref() == Some(&publisher));
        if !still {
            return;
        }
        let started = Instant::now();
        let subscriber = ctx.hub.subscribe_internal(&key);
        let ended = tokio::select! {
            ended = connection(target, subscriber) => ended,
            _ = shutdown.changed() => return,
        };
        match ended {
            Ended::Unpublished => {
                info!("publisher gone: forward ended");
                return;
            }
            Ended::Failed(reason) => {
                // A connection that lasted is a fresh start.
                if started.elapsed() > RETRY_MOST {
                    wait = RETRY_FIRST;
                }
                warn!(%reason, to = %target.tc_url, retry_in = ?wait, "forward lost");
                ctx.metrics.errors.add("forward", 1);
                tokio::select! {
                    _ = tokio::time::sleep(wait) => {}
                    _ = shutdown.changed() => return,
                }
                wait = (wait * 2).min(RETRY_MOST);
            }
        }
    }
}

/// One connection: connect and publish, then the stream's items until the publisher stops.
async fn connection(target: &RtmpUrl, mut subscriber: Subscriber) -> Ended {
    let fail = Ended::Failed;
    let start = async {
        let mut link = Link::connect(target).await?;
        link.session
            .publish(&target.stream, PublishKind::Live)
            .map_err(|e| e.to_string())?;
        let mut publishing = false;
        while !publishing {
            link.flush(|event| match event {
                ClientEvent::Publishing { .. } => {
                    publishing = true;
                    Ok(())
                }
                ClientEvent::ConnectRejected(status) => Err(format!(
                    "connect refused: {} {}",
                    status.code, status.description
                )),
                ClientEvent::Status { status, .. } if status.is_error() => Err(format!(
                    "publish refused: {} {}",
                    status.code, status.description
                )),
                _ => Ok(()),
            })
            .await?;
            if !publishing {
                link.receive().await?;
            }
        }
        Ok::<_, String>(link)
    };
    let mut link = match tokio::time::timeout(START_TIMEOUT, start).await {
        Ok(Ok(link)) => link,
        Ok(Err(e)) => return fail(e),
        Err(_) => {
            return fail(format!(
                "no NetStream.Publish.Start within {START_TIMEOUT:?}"
            ));
        }
    };
    info!("forwarding");
    loop {
        tokio::select! {
            item = subscriber.recv() => {
                let Some(item) = item else { return Ended::Unpublished };
                if let Err(e) = link.send(subscriber.stream(), item) {
                    return match e {
                        None => Ended::Unpublished,
                        Some(e) => fail(e),
                    };
                }
                if let Err(e) = link.flush(ignore).await {
                    return fail(e);
                }
            }
            read = link.receive() => if let Err(e) = read {
                return fail(e);
            } else if let Err(e) = link.flush(ignore).await {
                return fail(e);
            },
        }
    }
}

/// What a link's caller does with the events it does not wait for.
fn ignore(_: ClientEvent) -> Result<(), String> {
    Ok(())
}

/// Our RTMP client machine on a TCP connection: forward's publishes and the edge's pulls
/// (`crate::cluster::pull`).
pub(crate) struct Link {
    tcp: TcpStream,
    pub(crate) session: ClientSession,
    buffer: Vec<u8>,
}

impl Link {
    /// Connects to `target`'s server; the handshake and `connect` go out with the first
    /// [`Link::flush`].
    pub(crate) async fn connect(target: &RtmpUrl) -> Result<Link, String> {
        let tcp = TcpStream::connect(&target.addr)
            .await
            .map_err(|e| format!("connect to {}: {e}", target.addr))?;
        let _ = tcp.set_nodelay(true);
        let rng = Box::new(rand::rngs::SmallRng::from_rng(&mut rand::rng()));
        let options = ClientOptions::new(&target.tc_url, &target.app);
        Ok(Link {
            tcp,
            session: ClientSession::new(SessionConfig::default(), options, Instant::now(), rng),
            buffer: vec![0; 16 * 1024],
        })
    }

    /// Feeds the machine what one read returns (how many bytes); the server closing is an
    /// error.
    pub(crate) async fn receive(&mut self) -> Result<usize, String> {
        let n = self
            .tcp
            .read(&mut self.buffer)
            .await
            .map_err(|e| format!("read: {e}"))?;
        if n == 0 {
            return Err("the server closed the connection".into());
        }
        self.session
            .handle_input(Instant::now(), &self.buffer[..n])
            .map_err(|e| format!("the server's bytes: {e}"))?;
        Ok(n)
    }

    /// Writes what the machine has to send and hands every event to `on_event`, whose error
    /// ends the connection.
    pub(crate) async fn flush(
        &mut self,
        mut on_event: impl FnMut(ClientEvent) -> Result<(), String>,
    ) -> Result<(), String> {
        while let Some(output) = self.session.poll_output() {
            match output {
                Output::Transmit(bytes) => self
                    .tcp
                    .write_all(&bytes)
                    .await
                    .map_err(|e| format!("write: {e}"))?,
                Output::Event(event) => on_event(event)?,
                Output::Violation(v) => debug!(violation = %v, "the server broke a rule"),
            }
        }
        Ok(())
    }

    /// Hands one item of `stream` to the machine: media as its shared FLV body (Opus as the
    /// stream's AAC, transcoded once, as for RTMP players), metadata as `@setDataFrame`.
    /// `Err(None)`: the publisher stopped.
    fn send(&mut self, stream: &Stream, item: Item) -> Result<(), Option<String>> {
        match item {
            Item::Media(media) => {
                let mut sent = Ok(());
                each_as(stream, &media, Want::Aac, |media| {
                    let Some(body) = crate::flv::body(media).filter(|_| sent.is_ok()) else {
                        return;
                    };
                    let timestamp = crate::flv::timestamp(media.time);
                    sent = self
                        .session
                        .send_media(timestamp, media.is_video(), body.payload().clone())
                        .map_err(|e| Some(e.to_string()));
                });
                sent
            }
            Item::Metadata(metadata) => self
                .session
                .send_metadata(weir_flv::metadata_value(&metadata.value))
                .map_err(|e| Some(e.to_string())),
            Item::Publisher(false) => Err(None),
            Item::Publisher(true) => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn destinations_become_urls_for_the_stream() {
        let key = StreamKey::new("__defaultVhost__", "live", "cam");
        let url = |d| destination_url(d, &key);
        assert_eq!(url("10.0.0.1:1936"), "rtmp://10.0.0.1:1936/live/cam");
        assert_eq!(
            url("rtmp://b.example/backup"),
            "rtmp://b.example/backup/cam"
        );
        assert_eq!(
            url("rtmp://b.example/backup/"),
            "rtmp://b.example/backup/cam"
        );
        assert_eq!(
            url("rtmp://b.example:19350/[app]/[stream]-copy?k=1"),
            "rtmp://b.example:19350/live/cam-copy?k=1"
        );
    }
}
