//! The HTTP API on port 1985, compatible in paths and JSON shape with SRS's `/api/v1`, so that
//! dashboards and scripts written for SRS keep working; and Prometheus text at `/metrics`.
//!
//! Every reply carries `code` (0 on success, SRS's error codes otherwise), `server` and
//! `service` (ids fixed for the life of the process) and `pid`.

use crate::Context;
use crate::clients::ClientInfo;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde::Deserialize;
use serde_json::{Value, json};
use std::fmt::Write;
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};
use weir_hub::{Stream, TrackInfo};

/// SRS's error code for a stream that does not exist.
const ERROR_STREAM_NOT_FOUND: u32 = 2048;
/// SRS's error codes for its raw API: disabled, the rpc not allowed, bad parameters.
const ERROR_RAW_DISABLED: u32 = 1061;
const ERROR_RAW_NOT_ALLOWED: u32 = 1062;
const ERROR_RAW_PARAMS: u32 = 1063;
/// SRS's error code for a client that does not exist.
const ERROR_CLIENT_NOT_FOUND: u32 = 2049;

pub fn router(ctx: Arc<Context>) -> Router {
    Router::new()
        .route("/api/v1/versions", get(versions))
        .route("/api/v1/summaries", get(summaries))
        .route("/api/v1/streams", get(streams))
        .route("/api/v1/streams/", get(streams))
        .route("/api/v1/streams/{id}", get(stream))
        .route("/api/v1/clients", get(clients))
        .route("/api/v1/clients/", get(clients))
        .route("/api/v1/clients/{id}", get(client).delete(kick))
        .route("/api/v1/raw", get(raw))
        .route("/metrics", get(metrics))
        .route(
            "/gb/v1/publish/",
            axum::routing::post(crate::gb28181::publish_api),
        )
        .merge(crate::rtc::signal::routes(Router::new()))
        .with_state(ctx)
}

/// A reply: SRS's envelope around `fields`, with CORS for browser dashboards.
pub(crate) fn reply(ctx: &Context, status: StatusCode, code: u32, fields: Value) -> Response {
    let mut body = json!({
        "code": code,
        "server": ctx.server_id,
        "service": ctx.service_id,
        "pid": std::process::id().to_string(),
    });
    if let (Some(body), Value::Object(fields)) = (body.as_object_mut(), fields) {
        body.extend(fields);
    }
    let mut response = (status, axum::Json(body)).into_response();
    response.headers_mut().insert(
        header::ACCESS_CONTROL_ALLOW_ORIGIN,
        header::HeaderValue::from_static("*"),
    );
    response
}

fn ok(ctx: &Context, fields: Value) -> Response {
    reply(ctx, StatusCode::OK, 0, fields)
}

fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64)
}

async fn versions(State(ctx): State<Arc<Context>>) -> Response {
    let version = env!("CARGO_PKG_VERSION");
    let mut parts = version.split('.').map(|p| p.parse::<u32>().unwrap_or(0));
    let (major, minor, revision) = (
        parts.next().unwrap_or(0),
        parts.next().unwrap_or(0),
        parts.next().unwrap_or(0),
    );
    ok(
        &ctx,
        json!({"data": {"major": major, "minor": minor, "revision": revision, "version": version}}),
    )
}

async fn summaries(State(ctx): State<Arc<Context>>) -> Response {
    let uptime = ctx.started.elapsed().as_secs_f64();
    ok(
        &ctx,
        json!({"data": {
            "ok": true,
            "now_ms": now_ms(),
            "self": {
                "version": env!("CARGO_PKG_VERSION"),
                "pid": std::process::id(),
                "argv": std::env::args().collect::<Vec<_>>().join(" "),
                "cwd": std::env::current_dir().map(|d| d.display().to_string()).unwrap_or_default(),
                "mem_kbyte": resident_kbytes(),
                "srs_uptime": uptime as u64,
            },
            "system": {
                "cpus": std::thread::available_parallelism().map_or(1, |n| n.get()),
                "conn_srs": ctx.clients.len(),
                "streams": ctx.hub.streams().len(),
                "recv_bytes": ctx.metrics.recv_bytes.load(std::sync::atomic::Ordering::Relaxed),
                "send_bytes": ctx.metrics.send_bytes.load(std::sync::atomic::Ordering::Relaxed),
            },
        }}),
    )
}

/// SRS's raw API: `?rpc=reload` reloads the configuration as `SIGHUP` does (see
/// [`crate::reload`]), when `api.raw_api` and `api.allow_reload` are on. The reply says which
/// sections now apply and which changed but take a restart.
async fn raw(State(ctx): State<Arc<Context>>, Query(query): Query<RawQuery>) -> Response {
    let config = ctx.config();
    let refuse = |status, code, message: &str| reply(&ctx, status, code, json!({"error": message}));
    if !config.api.raw_api {
        return refuse(
            StatusCode::FORBIDDEN,
            ERROR_RAW_DISABLED,
            "the raw API is off (api.raw_api)",
        );
    }
    match query.rpc.as_deref() {
        Some("reload") if config.api.allow_reload => match ctx.reload() {
            Ok(outcome) => ok(
                &ctx,
                json!({"data": {"applied": outcome.applied, "restart_needed": outcome.kept}}),
            ),
            Err(e) => refuse(
                StatusCode::BAD_REQUEST,
                ERROR_RAW_PARAMS,
                &format!("reload refused: {e}"),
            ),
        },
        Some("reload") => refuse(
            StatusCode::FORBIDDEN,
            ERROR_RAW_NOT_ALLOWED,
            "reloading is not allowed (api.allow_reload)",
        ),
        _ => refuse(
            StatusCode::BAD_REQUEST,
            ERROR_RAW_PARAMS,
            "rpc=reload is the one rpc served",
        ),
    }
}

#[derive(Deserialize)]
struct RawQuery {
    rpc: Option<String>,
}

/// The resident set size of this process in KiB (Linux), 0 where unknown.
fn resident_kbytes() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("VmRSS:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        })
        .unwrap_or(0)
}

/// SRS's paging: `?start=0&count=10` (its defaults).
#[derive(Deserialize)]
struct Page {
    #[serde(default)]
    start: usize,
    #[serde(default = "default_count")]
    count: usize,
}

fn default_count() -> usize {
    10
}

fn track_json(track: &Option<TrackInfo>, video: bool) -> Value {
    let Some(t) = track else { return Value::Null };
    if video {
        json!({
            "codec": codec_name(t.codec),
            "profile": t.profile.unwrap_or(""),
            "level": t.level.clone().unwrap_or_default(),
            "width": t.width.unwrap_or(0),
            "height": t.height.unwrap_or(0),
        })
    } else {
        json!({
            "codec": codec_name(t.codec),
            "sample_rate": t.sample_rate.unwrap_or(0),
            "channel": t.channels.unwrap_or(0),
            "profile": t.profile.unwrap_or(""),
        })
    }
}

/// Codec names as SRS prints them.
fn codec_name(codec: weir_media::Codec) -> String {
    use weir_media::Codec;
    match codec {
        Codec::H264 => "H264".into(),
        Codec::H265 => "H265".into(),
        Codec::Av1 => "AV1".into(),
        Codec::Aac => "AAC".into(),
        Codec::Mp3 => "MP3".into(),
        Codec::Opus => "Opus".into(),
        other => other.name().to_ascii_uppercase(),
    }
}

fn stream_json(ctx: &Context, stream: &Stream) -> Value {
    let info = stream.info();
    let (recv, send) = stream.kbps(ctx.hub.now_ms());
    json!({
        "id": info.id,
        "name": info.key.stream,
        "vhost": info.key.vhost,
        "app": info.key.app,
        "tcUrl": format!("rtmp://{}/{}", info.key.vhost, info.key.app),
        "url": info.key.url(),
        "live_ms": now_ms(),
        "clients": info.subscribers + usize::from(info.publisher.is_some()),
        "frames": stream.frames(),
        "send_bytes": stream.send_bytes(),
        "recv_bytes": stream.recv_bytes(),
        "kbps": {"recv_30s": recv, "send_30s": send},
        "publish": {"active": info.publisher.is_some(), "cid": info.publisher.unwrap_or_default()},
        "video": track_json(&info.video, true),
        "audio": track_json(&info.audio, false),
    })
}

async fn streams(State(ctx): State<Arc<Context>>, Query(page): Query<Page>) -> Response {
    let all: Vec<Value> = ctx
        .hub
        .streams()
        .iter()
        .skip(page.start)
        .take(page.count)
        .map(|s| stream_json(&ctx, s))
        .collect();
    ok(&ctx, json!({"streams": all}))
}

async fn stream(State(ctx): State<Arc<Context>>, Path(id): Path<String>) -> Response {
    match ctx.hub.streams().iter().find(|s| s.id() == id) {
        Some(s) => ok(&ctx, json!({"stream": stream_json(&ctx, s)})),
        None => reply(
            &ctx,
            StatusCode::NOT_FOUND,
            ERROR_STREAM_NOT_FOUND,
            json!({}),
        ),
    }
}

fn client_json(ctx: &Context, info: &ClientInfo) -> Value {
    let r = &info.request;
    let mut client = json!({
        "id": info.id,
        "vhost": r.vhost,
        "stream": info.stream_id.clone().unwrap_or_default(),
        "ip": info.peer.ip().to_string(),
        "pageUrl": r.page_url,
        "swfUrl": r.swf_url,
        "tcUrl": r.tc_url,
        "url": if r.stream.is_empty() { format!("/{}", r.app) } else { format!("/{}/{}", r.app, r.stream) },
        "name": r.stream,
        "type": info.kind.as_str(),
        "publish": info.kind.is_publish(),
        "alive": info.alive_ms as f64 / 1000.0,
        "send_bytes": info.send_bytes,
        "recv_bytes": info.recv_bytes,
        "kbps": {"recv_30s": info.kbps.0, "send_30s": info.kbps.1},
    });
    // A WebRTC session's transport: RTT, loss, NACKs, PLIs, FIRs, bandwidth estimate.
    if let Some(stats) = ctx.rtc.as_ref().and_then(|rtc| rtc.stats(&info.id)) {
        client["rtc"] = json!(stats);
    }
    // An SRT connection's transport: RTT, loss, retransmissions, drops, latency.
    if let Some(stats) = ctx.srt.as_ref().and_then(|srt| srt.stats(&info.id)) {
        client["srt"] = json!(stats);
    }
    client
}

async fn clients(State(ctx): State<Arc<Context>>, Query(page): Query<Page>) -> Response {
    let now = ctx.hub.now_ms();
    let all: Vec<Value> = ctx
        .clients
        .all()
        .iter()
        .skip(page.start)
        .take(page.count)
        .map(|c| client_json(&ctx, &c.info(now)))
        .collect();
    ok(&ctx, json!({"clients": all}))
}

async fn client(State(ctx): State<Arc<Context>>, Path(id): Path<String>) -> Response {
    match ctx.clients.get(&id) {
        Some(c) => ok(
            &ctx,
            json!({"client": client_json(&ctx, &c.info(ctx.hub.now_ms()))}),
        ),
        None => reply(
            &ctx,
            StatusCode::NOT_FOUND,
            ERROR_CLIENT_NOT_FOUND,
            json!({}),
        ),
    }
}

/// `DELETE /api/v1/clients/{id}`: disconnects the client.
async fn kick(State(ctx): State<Arc<Context>>, Path(id): Path<String>) -> Response {
    match ctx.clients.get(&id) {
        Some(c) => {
            tracing::info!(client = %id, "kicked through the API");
            c.kick();
            ok(&ctx, json!({}))
        }
        None => reply(
            &ctx,
            StatusCode::NOT_FOUND,
            ERROR_CLIENT_NOT_FOUND,
            json!({}),
        ),
    }
}

/// Prometheus text exposition format 0.0.4.
async fn metrics(State(ctx): State<Arc<Context>>) -> Response {
    let mut out = String::new();
    let m = &ctx.metrics;
    let load = |a: &std::sync::atomic::AtomicU64| a.load(std::sync::atomic::Ordering::Relaxed);
    let mut family = |name: &str, kind: &str, help: &str, samples: &[(String, u64)]| {
        let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} {kind}");
        for (labels, value) in samples {
            let _ = writeln!(out, "{name}{labels} {value}");
        }
    };
    let labelled = |label: &str, pairs: Vec<(&'static str, u64)>| -> Vec<(String, u64)> {
        pairs
            .into_iter()
            .map(|(k, v)| (format!("{{{label}=\"{k}\"}}"), v))
            .collect()
    };
    family(
        "weir_connections_total",
        "counter",
        "Connections accepted, per protocol.",
        &labelled("protocol", m.connections.snapshot()),
    );
    family(
        "weir_clients",
        "gauge",
        "Clients connected now.",
        &[(String::new(), ctx.clients.len() as u64)],
    );
    let streams = ctx.hub.streams();
    let published = streams.iter().filter(|s| s.has_publisher()).count();
    family(
        "weir_streams",
        "gauge",
        "Streams with a publisher now.",
        &[(String::new(), published as u64)],
    );
    family(
        "weir_player_skipped_items_total",
        "counter",
        "Items players lost by falling a whole ring behind (each then waits for a keyframe).",
        &[(String::new(), ctx.hub.skipped_items())],
    );
    family(
        "weir_received_bytes_total",
        "counter",
        "Bytes received from peers.",
        &[(String::new(), load(&m.recv_bytes))],
    );
    family(
        "weir_sent_bytes_total",
        "counter",
        "Bytes sent to peers.",
        &[(String::new(), load(&m.send_bytes))],
    );
    family(
        "weir_connection_errors_total",
        "counter",
        "Connections closed on an error, per protocol.",
        &labelled("protocol", m.errors.snapshot()),
    );
    family(
        "weir_stalled_players_total",
        "counter",
        "Players disconnected for not reading.",
        &[(String::new(), load(&m.stalled_players))],
    );
    family(
        "weir_direct_handovers_total",
        "counter",
        "Players the stream wrote to directly that went back to their own task.",
        &[(String::new(), load(&m.direct_handovers))],
    );
    let (hls_streams, hls_bytes) = ctx.hls.usage();
    family(
        "weir_hls_streams",
        "gauge",
        "Streams with an HLS playlist (live or recently ended).",
        &[(String::new(), hls_streams as u64)],
    );
    family(
        "weir_hls_segment_bytes",
        "gauge",
        "Bytes of HLS segments held in memory.",
        &[(String::new(), hls_bytes as u64)],
    );
    // Each SRT connection's transport, labelled by client id (the API's `srt` object).
    let srt = ctx
        .srt
        .as_ref()
        .map(|srt| srt.all_stats())
        .unwrap_or_default();
    let per_connection = |value: fn(&crate::srt::SrtStats) -> u64| -> Vec<(String, u64)> {
        srt.iter()
            .map(|(id, s)| (format!("{{client=\"{id}\"}}"), value(s)))
            .collect()
    };
    for (name, kind, help, value) in [
        (
            "weir_srt_rtt_microseconds",
            "gauge",
            "An SRT connection's smoothed round-trip time.",
            (|s| (s.rtt_ms * 1000.0) as u64) as fn(&crate::srt::SrtStats) -> u64,
        ),
        (
            "weir_srt_latency_milliseconds",
            "gauge",
            "An SRT connection's receive latency (TSBPD delay).",
            |s| u64::from(s.latency_ms),
        ),
        (
            "weir_srt_packets_lost_total",
            "counter",
            "Packets an SRT connection found missing.",
            |s| s.packets_lost,
        ),
        (
            "weir_srt_packets_retransmitted_total",
            "counter",
            "Packets an SRT connection sent again.",
            |s| s.packets_retransmitted,
        ),
        (
            "weir_srt_packets_dropped_total",
            "counter",
            "Packets an SRT connection skipped as too late, received or sent.",
            |s| s.packets_dropped + s.packets_send_dropped,
        ),
    ] {
        family(name, kind, help, &per_connection(value));
    }
    family(
        "weir_rule_violations_total",
        "counter",
        "Rule violations by peers, per rule id.",
        &labelled("rule", m.violations.snapshot()),
    );
    family(
        "weir_dropped_packets_total",
        "counter",
        "Packets dropped unread, per reason.",
        &labelled("reason", m.dropped.snapshot()),
    );
    ctx.hooks.render_metrics(&mut out);
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], out).into_response()
}
