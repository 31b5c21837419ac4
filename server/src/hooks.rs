//! HTTP callbacks compatible with SRS's `http_hooks`: the server POSTs a JSON body describing
//! the event to each URL configured for it, in order.
//!
//! `on_connect`, `on_publish` and `on_play` decide: the client goes on only if every URL
//! answers HTTP 200 with a body of `0` or a JSON object whose `code` is 0; any other status,
//! body, error or a timeout denies. `on_unpublish`, `on_stop` and `on_close` only inform: they
//! are sent from a task of their own, so media never waits for them.
//!
//! The bodies carry SRS's field names, event by event as SRS 5/6 sends them: every body has
//! `server_id`, `service_id`, `action`, `client_id`, `ip`, `vhost` and `app`; `on_connect`
//! adds `tcUrl`, `pageUrl`, `stream`, `param`; the stream events add `tcUrl`, `stream`,
//! `param`, `stream_url` and `stream_id` (and `pageUrl` for `on_play`); `on_close` adds
//! `send_bytes` and `recv_bytes`; `on_hls` (notify only) adds the segment's `duration`, `cwd`,
//! `file`, `url`, `m3u8`, `m3u8_url` and `seq_no`; `on_dvr` (notify only) adds `cwd` and
//! `file`.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr};
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use bytes::Bytes;
use serde::Serialize;
use tokio::sync::Notify;
use tracing::{debug, warn};

use crate::config::HooksConfig;

/// The events a callback can be configured for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum HookEvent {
    Connect,
    Publish,
    Unpublish,
    Play,
    Stop,
    Close,
    Hls,
    /// A recording's file is complete (`crate::dvr`).
    Dvr,
    /// SRS's forward backend: asked which servers a new publish goes to (`[forward]
    /// backend`).
    Forward,
}

impl HookEvent {
    pub const ALL: [HookEvent; 9] = [
        HookEvent::Connect,
        HookEvent::Publish,
        HookEvent::Unpublish,
        HookEvent::Play,
        HookEvent::Stop,
        HookEvent::Close,
        HookEvent::Hls,
        HookEvent::Dvr,
        HookEvent::Forward,
    ];

    /// The `action` of the body, which is also the config key: `on_connect`, ...
    pub fn action(self) -> &'static str {
        match self {
            HookEvent::Connect => "on_connect",
            HookEvent::Publish => "on_publish",
            HookEvent::Unpublish => "on_unpublish",
            HookEvent::Play => "on_play",
            HookEvent::Stop => "on_stop",
            HookEvent::Close => "on_close",
            HookEvent::Hls => "on_hls",
            HookEvent::Dvr => "on_dvr",
            HookEvent::Forward => "on_forward",
        }
    }
}

impl fmt::Display for HookEvent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.action())
    }
}

impl HooksConfig {
    /// The URLs configured for `event`, in the order they are asked.
    pub fn urls(&self, event: HookEvent) -> &[String] {
        match event {
            HookEvent::Connect => &self.on_connect,
            HookEvent::Publish => &self.on_publish,
            HookEvent::Unpublish => &self.on_unpublish,
            HookEvent::Play => &self.on_play,
            HookEvent::Stop => &self.on_stop,
            HookEvent::Close => &self.on_close,
            HookEvent::Hls => &self.on_hls,
            HookEvent::Dvr => &self.on_dvr,
            // The backend's URL is `[forward] backend`: see `crate::forward`.
            HookEvent::Forward => &[],
        }
    }
}

/// What the server knows about the client and its stream when an event happens.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HookContext {
    /// The client's id, the one the HTTP API lists.
    pub client_id: String,
    pub ip: IpAddr,
    pub vhost: String,
    pub app: String,
    pub tc_url: String,
    pub page_url: String,
    pub stream: String,
    /// The query string as SRS sends it, with its leading `?` (empty when there is none).
    pub param: String,
    /// The stream's id in the HTTP API (SRS sends its `streams[].id`); left out when empty.
    pub stream_id: String,
    pub send_bytes: u64,
    pub recv_bytes: u64,
    /// The segment an `on_hls` callback is about.
    pub hls: Option<HlsSegment>,
    /// The file an `on_dvr` callback is about.
    pub dvr: Option<DvrFile>,
}

/// A recording's finished file, as SRS's `on_dvr` describes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DvrFile {
    /// The directory a relative `file` is relative to (the server's working directory).
    pub cwd: String,
    /// The file, as the configured path names it.
    pub file: String,
}

/// A finished HLS segment, as SRS's `on_hls` describes it.
#[derive(Debug, Clone, PartialEq)]
pub struct HlsSegment {
    /// Seconds of media.
    pub duration: f64,
    /// The directory paths are relative to (the server's working directory).
    pub cwd: String,
    /// The segment's file, as written (or as it would be, when HLS is kept in memory).
    pub file: String,
    /// The segment's URL path on the HTTP server.
    pub url: String,
    pub m3u8: String,
    pub m3u8_url: String,
    pub seq_no: u64,
}

impl Eq for HlsSegment {}

impl Default for HookContext {
    fn default() -> Self {
        HookContext {
            client_id: String::new(),
            ip: IpAddr::V4(Ipv4Addr::UNSPECIFIED),
            vhost: String::new(),
            app: String::new(),
            tc_url: String::new(),
            page_url: String::new(),
            stream: String::new(),
            param: String::new(),
            stream_id: String::new(),
            send_bytes: 0,
            recv_bytes: 0,
            hls: None,
            dvr: None,
        }
    }
}

/// The vhost SRS leaves out of `stream_url`.
use crate::DEFAULT_VHOST;

/// The largest answer read from a callback; a longer one denies.
const MAX_ANSWER_BYTES: usize = 64 * 1024;

/// The JSON body of one callback; absent fields are the ones SRS does not send for the event.
#[derive(Serialize)]
struct Body<'a> {
    server_id: &'a str,
    service_id: &'a str,
    action: &'static str,
    client_id: &'a str,
    ip: String,
    vhost: &'a str,
    app: &'a str,
    #[serde(rename = "tcUrl", skip_serializing_if = "Option::is_none")]
    tc_url: Option<&'a str>,
    #[serde(rename = "pageUrl", skip_serializing_if = "Option::is_none")]
    page_url: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    stream: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    param: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    stream_url: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    stream_id: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    send_bytes: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    recv_bytes: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    duration: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    cwd: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    file: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    url: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    m3u8: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    m3u8_url: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    seq_no: Option<u64>,
}

impl<'a> Body<'a> {
    fn new(
        server_id: &'a str,
        service_id: &'a str,
        event: HookEvent,
        ctx: &'a HookContext,
    ) -> Self {
        use HookEvent::*;
        let stream_event = matches!(event, Publish | Unpublish | Play | Stop | Hls | Dvr);
        let hls = ctx.hls.as_ref().filter(|_| event == Hls);
        let dvr = ctx.dvr.as_ref().filter(|_| event == Dvr);
        let when = |yes: bool, value: &'a str| yes.then_some(value);
        Body {
            server_id,
            service_id,
            action: event.action(),
            client_id: &ctx.client_id,
            // A dual-stack socket reports IPv4 peers as ::ffff:a.b.c.d; SRS shows a.b.c.d.
            ip: ctx.ip.to_canonical().to_string(),
            vhost: &ctx.vhost,
            app: &ctx.app,
            tc_url: when(event != Close, &ctx.tc_url),
            page_url: when(matches!(event, Connect | Play), &ctx.page_url),
            stream: when(event != Close, &ctx.stream),
            param: when(event != Close, &ctx.param),
            stream_url: stream_event.then(|| stream_url(&ctx.vhost, &ctx.app, &ctx.stream)),
            stream_id: when(stream_event && !ctx.stream_id.is_empty(), &ctx.stream_id),
            send_bytes: (event == Close).then_some(ctx.send_bytes),
            recv_bytes: (event == Close).then_some(ctx.recv_bytes),
            duration: hls.map(|h| h.duration),
            cwd: hls.map(|h| h.cwd.as_str()).or(dvr.map(|d| d.cwd.as_str())),
            file: hls
                .map(|h| h.file.as_str())
                .or(dvr.map(|d| d.file.as_str())),
            url: hls.map(|h| h.url.as_str()),
            m3u8: hls.map(|h| h.m3u8.as_str()),
            m3u8_url: hls.map(|h| h.m3u8_url.as_str()),
            seq_no: hls.map(|h| h.seq_no),
        }
    }
}

/// SRS's stream key: `/app/stream` on the default vhost, `vhost/app/stream` on others, the
/// stream name without an extension (`livestream.flv` is `livestream`).
fn stream_url(vhost: &str, app: &str, stream: &str) -> String {
    let stream = stream.rsplit_once('.').map_or(stream, |(name, _)| name);
    let vhost = if vhost == DEFAULT_VHOST { "" } else { vhost };
    format!("{vhost}/{app}/{stream}")
}

/// Why a callback did not allow.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// An HTTP status other than 200, with the start of the body.
    Status { status: u16, body: String },
    /// A JSON object answer whose `code` is not 0.
    Code(i64),
    /// A 200 answer that is neither `0` nor a JSON object with a `code` (its start).
    Answer(String),
    /// An answer longer than the server reads.
    TooLong,
    /// No answer: connection refused, reset, bad HTTP...
    Failed(String),
    /// No complete answer within the configured timeout.
    Timeout(Duration),
}

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Refusal::Status { status, body } if body.is_empty() => write!(f, "HTTP {status}"),
            Refusal::Status { status, body } => write!(f, "HTTP {status} {body:?}"),
            Refusal::Code(code) => write!(f, "answered code {code}"),
            Refusal::Answer(body) => {
                write!(f, "answered {body:?}, neither 0 nor an object with a code")
            }
            Refusal::TooLong => write!(f, "answered more than {MAX_ANSWER_BYTES} bytes"),
            Refusal::Failed(reason) => write!(f, "request failed: {reason}"),
            Refusal::Timeout(timeout) => write!(f, "no answer within {timeout:?}"),
        }
    }
}

/// A callback that did not allow the event. Its Display names the event and the reason but
/// not the URL, since it may go to the client in an onStatus description.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{event} callback denied: {reason}")]
pub struct HookDenied {
    pub event: HookEvent,
    /// The URL that denied, for the log.
    pub url: String,
    pub reason: Refusal,
}

/// Counts for one event since start-up, for `/metrics`.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct HookEventStats {
    /// Requests sent (one per URL).
    pub count: u64,
    /// Total time those requests took, until the answer or the timeout.
    pub sum_seconds: f64,
    /// Requests whose outcome was anything but an allowing answer.
    pub failures: u64,
}

/// Counts per event, for `/metrics` (a Prometheus summary: `_count`, `_sum`, and failures).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct HookStats {
    events: [HookEventStats; HookEvent::ALL.len()],
}

impl HookStats {
    pub fn event(&self, event: HookEvent) -> HookEventStats {
        self.events[event as usize]
    }

    pub fn iter(&self) -> impl Iterator<Item = (HookEvent, HookEventStats)> + '_ {
        HookEvent::ALL.into_iter().zip(self.events.iter().copied())
    }

    /// Prometheus text format 0.0.4.
    pub fn render(&self, out: &mut String) {
        use std::fmt::Write as _;
        out.push_str(
            "# HELP weir_hook_duration_seconds HTTP callback requests, until the answer or the timeout.\n\
             # TYPE weir_hook_duration_seconds summary\n",
        );
        for (event, stats) in self.iter() {
            let _ = writeln!(
                out,
                "weir_hook_duration_seconds_sum{{action=\"{event}\"}} {}\n\
                 weir_hook_duration_seconds_count{{action=\"{event}\"}} {}",
                stats.sum_seconds, stats.count
            );
        }
        out.push_str(
            "# HELP weir_hook_failures_total HTTP callback requests that did not allow: errors, timeouts, denials.\n\
             # TYPE weir_hook_failures_total counter\n",
        );
        for (event, stats) in self.iter() {
            let _ = writeln!(
                out,
                "weir_hook_failures_total{{action=\"{event}\"}} {}",
                stats.failures
            );
        }
    }
}

#[derive(Default)]
struct Counters {
    count: AtomicU64,
    nanos: AtomicU64,
    failures: AtomicU64,
}

/// Sends callbacks. Cheap to clone: everything is shared.
#[derive(Clone)]
pub struct Hooks {
    inner: Arc<Inner>,
}

struct Inner {
    client: reqwest::Client,
    server_id: String,
    service_id: String,
    counters: [Counters; HookEvent::ALL.len()],
    /// Notifications sent but not answered yet, and a wake-up for [`Hooks::idle`].
    in_flight: AtomicUsize,
    settled: Notify,
}

impl Hooks {
    /// `server_id` and `service_id` go in every body, as SRS's (the same ids the API shows);
    /// `https://` URLs are verified against the system's roots.
    pub fn new(server_id: String, service_id: String) -> Self {
        let tls = crate::tls::client_config(Path::new("")).ok();
        Hooks::with_tls(server_id, service_id, tls)
    }

    /// As [`Hooks::new`], with `https://` URLs also verified against the CA certificates of
    /// `ca` (a PEM file; `hooks.ca`): an error when it cannot be read.
    pub fn with_ca(
        server_id: String,
        service_id: String,
        ca: &Path,
    ) -> Result<Self, crate::tls::Error> {
        let tls = crate::tls::client_config(ca)?;
        Ok(Hooks::with_tls(server_id, service_id, Some(tls)))
    }

    fn with_tls(server_id: String, service_id: String, tls: Option<rustls::ClientConfig>) -> Self {
        let mut builder = reqwest::Client::builder()
            // A redirect would turn the POST into a GET elsewhere: a 3xx denies instead.
            .redirect(reqwest::redirect::Policy::none())
            // Callbacks go where the config says, not through a proxy from the environment.
            .no_proxy()
            .user_agent(concat!("weir/", env!("CARGO_PKG_VERSION")));
        if let Some(tls) = tls {
            builder = builder.use_preconfigured_tls(tls);
        }
        let client = builder.build().unwrap_or_default();
        Hooks {
            inner: Arc::new(Inner {
                client,
                server_id,
                service_id,
                counters: Default::default(),
                in_flight: AtomicUsize::new(0),
                settled: Notify::new(),
            }),
        }
    }

    /// Asks every URL configured for the event, in order; allows only when each answered
    /// HTTP 200 with a body of `0` or a JSON object with `"code": 0`. Anything else, an error
    /// or the timeout (per request) denies, with the reason. Allows at once when callbacks
    /// are disabled or no URL is configured for the event.
    pub async fn authorize(
        &self,
        config: &HooksConfig,
        event: HookEvent,
        ctx: &HookContext,
    ) -> Result<(), HookDenied> {
        let urls = config.urls(event);
        if !config.enabled || urls.is_empty() {
            return Ok(());
        }
        let body = self.body(event, ctx);
        for url in urls {
            if let Err(reason) = self.call(url, event, body.clone(), config.timeout).await {
                return Err(HookDenied {
                    event,
                    url: url.clone(),
                    reason,
                });
            }
            debug!(client = %ctx.client_id, %url, "{event} callback allowed");
        }
        Ok(())
    }

    /// Sends the event to every URL configured for it from a task of its own, never awaited
    /// by the caller; failures are logged. For the notify-only events (`on_unpublish`,
    /// `on_stop`, `on_close`). Outside a tokio runtime (a drop during shutdown) it only logs.
    pub fn notify(&self, config: &HooksConfig, event: HookEvent, ctx: HookContext) {
        let urls = config.urls(event);
        if !config.enabled || urls.is_empty() {
            return;
        }
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            warn!(client = %ctx.client_id, "{event} callback not sent: no runtime");
            return;
        };
        let (hooks, urls, timeout) = (self.clone(), urls.to_vec(), config.timeout);
        let body = self.body(event, &ctx);
        self.inner.in_flight.fetch_add(1, Ordering::AcqRel);
        runtime.spawn(async move {
            for url in &urls {
                if let Err(reason) = hooks.call(url, event, body.clone(), timeout).await {
                    warn!(client = %ctx.client_id, %url, %reason, "{event} callback failed");
                }
            }
            if hooks.inner.in_flight.fetch_sub(1, Ordering::AcqRel) == 1 {
                hooks.inner.settled.notify_waiters();
            }
        });
    }

    /// Resolves when no notification is on its way: for a graceful shutdown, under a timeout.
    pub async fn idle(&self) {
        loop {
            let settled = self.inner.settled.notified();
            tokio::pin!(settled);
            settled.as_mut().enable();
            if self.inner.in_flight.load(Ordering::Acquire) == 0 {
                return;
            }
            settled.await;
        }
    }

    /// Requests, time taken and failures per event since start-up.
    pub fn stats(&self) -> HookStats {
        let mut stats = HookStats::default();
        for (stats, counters) in stats.events.iter_mut().zip(&self.inner.counters) {
            *stats = HookEventStats {
                count: counters.count.load(Ordering::Relaxed),
                sum_seconds: counters.nanos.load(Ordering::Relaxed) as f64 / 1e9,
                failures: counters.failures.load(Ordering::Relaxed),
            };
        }
        stats
    }

    /// Appends the callback metrics to a Prometheus text exposition: a summary of request
    /// durations and a failure counter, each labelled with the event's `action`.
    pub fn render_metrics(&self, out: &mut String) {
        self.stats().render(out);
    }

    fn body(&self, event: HookEvent, ctx: &HookContext) -> Bytes {
        let body = Body::new(&self.inner.server_id, &self.inner.service_id, event, ctx);
        // A struct of strings and integers always serialises.
        Bytes::from(serde_json::to_vec(&body).unwrap_or_default())
    }

    /// One request, timed and counted.
    async fn call(
        &self,
        url: &str,
        event: HookEvent,
        body: Bytes,
        timeout: Duration,
    ) -> Result<Vec<u8>, Refusal> {
        let started = Instant::now();
        let outcome = tokio::time::timeout(timeout, self.post(url, body))
            .await
            .unwrap_or(Err(Refusal::Timeout(timeout)));
        let counters = &self.inner.counters[event as usize];
        counters.count.fetch_add(1, Ordering::Relaxed);
        let nanos = u64::try_from(started.elapsed().as_nanos()).unwrap_or(u64::MAX);
        counters.nanos.fetch_add(nanos, Ordering::Relaxed);
        if outcome.is_err() {
            counters.failures.fetch_add(1, Ordering::Relaxed);
        }
        outcome
    }

    async fn post(&self, url: &str, body: Bytes) -> Result<Vec<u8>, Refusal> {
        let mut response = self
            .inner
            .client
            .post(url)
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .body(body)
            .send()
            .await
            .map_err(failed)?;
        let status = response.status().as_u16();
        let mut answer = Vec::new();
        while let Some(chunk) = response.chunk().await.map_err(failed)? {
            if answer.len() + chunk.len() > MAX_ANSWER_BYTES {
                return Err(Refusal::TooLong);
            }
            answer.extend_from_slice(&chunk);
        }
        if status != 200 {
            return Err(Refusal::Status {
                status,
                body: excerpt(&answer),
            });
        }
        verdict(&answer).map(|()| answer)
    }

    /// SRS's forward backend: `on_forward` with the publisher's body to `url`; the RTMP URLs
    /// of its answer's `data.urls` (`{"code": 0, "data": {"urls": [...]}}`; none is none).
    pub async fn forward_targets(
        &self,
        url: &str,
        ctx: &HookContext,
        timeout: Duration,
    ) -> Result<Vec<String>, Refusal> {
        let body = self.body(HookEvent::Forward, ctx);
        let answer = self.call(url, HookEvent::Forward, body, timeout).await?;
        let value: serde_json::Value =
            serde_json::from_slice(&answer).map_err(|_| Refusal::Answer(excerpt(&answer)))?;
        Ok(value["data"]["urls"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|u| u.as_str().map(str::to_owned))
            .collect())
    }
}

/// SRS's rule for a 200 answer: `0`, or a JSON object whose `code` is 0.
fn verdict(answer: &[u8]) -> Result<(), Refusal> {
    if answer.trim_ascii() == b"0" {
        return Ok(());
    }
    let code = serde_json::from_slice::<serde_json::Value>(answer)
        .ok()
        .and_then(|value| value.get("code").and_then(serde_json::Value::as_i64));
    match code {
        Some(0) => Ok(()),
        Some(code) => Err(Refusal::Code(code)),
        None => Err(Refusal::Answer(excerpt(answer))),
    }
}

/// The start of an answer, for messages: at most 100 characters.
fn excerpt(answer: &[u8]) -> String {
    String::from_utf8_lossy(answer)
        .trim()
        .chars()
        .take(100)
        .collect()
}

/// A transport error with its causes, which reqwest's own message leaves out, and without the
/// URL, which the denial's Display must not show.
fn failed(error: reqwest::Error) -> Refusal {
    let error = error.without_url();
    let mut reason = error.to_string();
    let mut source = std::error::Error::source(&error);
    while let Some(cause) = source {
        reason = format!("{reason}: {cause}");
        source = cause.source();
    }
    Refusal::Failed(reason)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_that_allow_and_deny() {
        assert_eq!(verdict(b"0"), Ok(()));
        assert_eq!(verdict(b" 0\n"), Ok(()));
        assert_eq!(verdict(br#"{"code":0}"#), Ok(()));
        assert_eq!(verdict(br#"{"code": 0, "data": "ok"}"#), Ok(()));
        assert_eq!(verdict(br#"{"code":1}"#), Err(Refusal::Code(1)));
        assert_eq!(verdict(br#"{"code":-3}"#), Err(Refusal::Code(-3)));
        assert_eq!(verdict(b""), Err(Refusal::Answer(String::new())));
        assert_eq!(verdict(b"1"), Err(Refusal::Answer("1".into())));
        assert_eq!(verdict(b"00"), Err(Refusal::Answer("00".into())));
        assert_eq!(
            verdict(br#"{"code":"0"}"#),
            Err(Refusal::Answer(r#"{"code":"0"}"#.into()))
        );
        assert_eq!(verdict(b"ok"), Err(Refusal::Answer("ok".into())));
        assert_eq!(
            verdict(&[0xff, 0xfe]),
            Err(Refusal::Answer("\u{fffd}\u{fffd}".into()))
        );
    }

    #[test]
    fn metrics_text() {
        let mut stats = HookStats::default();
        stats.events[HookEvent::Publish as usize] = HookEventStats {
            count: 3,
            sum_seconds: 0.25,
            failures: 1,
        };
        let mut out = String::new();
        stats.render(&mut out);
        let lines: Vec<&str> = out.lines().collect();
        let events = HookEvent::ALL.len();
        assert_eq!(lines.len(), 2 + 2 * events + 2 + events);
        assert!(lines.contains(&"weir_hook_duration_seconds_sum{action=\"on_publish\"} 0.25"));
        assert!(lines.contains(&"weir_hook_duration_seconds_count{action=\"on_publish\"} 3"));
        assert!(lines.contains(&"weir_hook_failures_total{action=\"on_publish\"} 1"));
        assert!(lines.contains(&"weir_hook_failures_total{action=\"on_close\"} 0"));
        assert!(lines.contains(&"# TYPE weir_hook_duration_seconds summary"));
    }

    #[test]
    fn stream_url_as_srs() {
        assert_eq!(stream_url(DEFAULT_VHOST, "live", "cam"), "/live/cam");
        assert_eq!(stream_url("v.example", "live", "cam"), "v.example/live/cam");
        assert_eq!(stream_url(DEFAULT_VHOST, "live", "cam.flv"), "/live/cam");
    }

    #[test]
    fn denial_names_event_and_reason_but_not_the_url() {
        let denied = HookDenied {
            event: HookEvent::Publish,
            url: "http://10.0.0.1:8085/secret".into(),
            reason: Refusal::Status {
                status: 403,
                body: "no".into(),
            },
        };
        assert_eq!(
            denied.to_string(),
            "on_publish callback denied: HTTP 403 \"no\""
        );
    }

    #[test]
    fn urls_per_event() {
        let config = HooksConfig {
            on_play: vec!["http://a/play".into()],
            on_close: vec!["http://a/close".into(), "http://b/close".into()],
            ..HooksConfig::default()
        };
        assert_eq!(config.urls(HookEvent::Play), ["http://a/play"]);
        assert_eq!(config.urls(HookEvent::Close).len(), 2);
        assert!(config.urls(HookEvent::Publish).is_empty());
        let actions: Vec<_> = HookEvent::ALL.iter().map(|e| e.action()).collect();
        assert_eq!(
            actions,
            [
                "on_connect",
                "on_publish",
                "on_unpublish",
                "on_play",
                "on_stop",
                "on_close",
                "on_hls",
                "on_dvr",
                "on_forward"
            ]
        );
    }
}
