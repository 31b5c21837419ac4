//! The HTTP API on port 1985, compatible in paths and JSON shape with SRS's `/api/v1`, so that
//! dashboards and scripts written for SRS keep working; and Prometheus text at `/metrics`.
//!
//! Every reply carries `code` (0 on success, SRS's error codes otherwise), `server` and
//! `service` (ids fixed for the life of the process) and `pid`. Around every route:
//! `auth` (HTTP basic authentication, when `api.username`/`api.password` are set) and
//! `jsonp` (`?callback=fn` wraps a JSON reply as `fn(...)`).
//!
//! Files: this one (router, envelope, streams and clients), `summaries` (`/api/v1/summaries`
//! from [`crate::system`]), `vhosts` (`/api/v1/vhosts` and the `/api/`, `/api/v1/` indexes);
//! `/metrics` is rendered by [`crate::metrics`].

mod auth;
mod jsonp;
mod summaries;
mod vhosts;

use crate::Context;
use crate::clients::ClientInfo;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde::Deserialize;
use serde_json::{Value, json};
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
        .route("/api/", get(vhosts::api_index))
        .route("/api", get(vhosts::api_index))
        .route("/api/v1/", get(vhosts::v1_index))
        .route("/api/v1", get(vhosts::v1_index))
        .route("/api/v1/versions", get(versions))
        .route("/api/v1/summaries", get(summaries::summaries))
        .route("/api/v1/vhosts", get(vhosts::vhosts))
        .route("/api/v1/vhosts/", get(vhosts::vhosts))
        .route("/api/v1/vhosts/{id}", get(vhosts::vhost))
        .route("/api/v1/streams", get(streams))
        .route("/api/v1/streams/", get(streams))
        .route("/api/v1/streams/{id}", get(stream))
        .route("/api/v1/clients", get(clients))
        .route("/api/v1/clients/", get(clients))
        .route("/api/v1/clients/{id}", get(client).delete(kick))
        .route("/api/v1/raw", get(raw))
        .route("/api/v1/cluster", get(cluster))
        .route("/metrics", get(metrics))
        .route(
            "/gb/v1/publish/",
            axum::routing::post(crate::gb28181::publish_api),
        )
        .merge(crate::rtc::signal::routes(Router::new()))
        .layer(axum::middleware::from_fn_with_state(
            ctx.clone(),
            auth::require,
        ))
        .layer(axum::middleware::from_fn_with_state(
            ctx.clone(),
            jsonp::wrap,
        ))
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

pub(crate) fn ok(ctx: &Context, fields: Value) -> Response {
    reply(ctx, StatusCode::OK, 0, fields)
}

pub(crate) fn now_ms() -> u64 {
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

/// `/api/v1/cluster`: this node's view of the origin cluster's registry (its entry, whether
/// Redis answers, the streams it keeps claimed), `{"registry": null}` without one.
async fn cluster(State(ctx): State<Arc<Context>>) -> Response {
    let registry = ctx.registry.as_ref().map(|r| r.view());
    ok(&ctx, json!({"registry": registry}))
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

/// A page of streams, and how many there are in all (`total`, as SRS 5 adds for paging).
async fn streams(State(ctx): State<Arc<Context>>, Query(page): Query<Page>) -> Response {
    let streams = ctx.hub.streams();
    let all: Vec<Value> = streams
        .iter()
        .skip(page.start)
        .take(page.count)
        .map(|s| stream_json(&ctx, s))
        .collect();
    ok(&ctx, json!({"total": streams.len(), "streams": all}))
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

/// A page of clients, and how many there are in all (`total`).
async fn clients(State(ctx): State<Arc<Context>>, Query(page): Query<Page>) -> Response {
    let now = ctx.hub.now_ms();
    let clients = ctx.clients.all();
    let all: Vec<Value> = clients
        .iter()
        .skip(page.start)
        .take(page.count)
        .map(|c| client_json(&ctx, &c.info(now)))
        .collect();
    ok(&ctx, json!({"total": clients.len(), "clients": all}))
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

/// Prometheus text exposition format 0.0.4, rendered by [`crate::metrics::render`].
async fn metrics(State(ctx): State<Arc<Context>>) -> Response {
    (
        [(header::CONTENT_TYPE, "text/plain; version=0.0.4")],
        crate::metrics::render(&ctx),
    )
        .into_response()
}
