//! The HTTP servers (live streams and HLS on 8080, the API on 1985): one task per connection,
//! so that a connection can be kicked (its task aborted) and the whole server shut down.
//!
//! The stream server answers, by the path's ending: `/{app}/{stream}.flv` (HTTP-FLV),
//! `/{app}/{stream}.m3u8` (HLS playlist), `/{app}/{stream}-{n}.ts` (HLS segment, when one by
//! that name exists), `/{app}/{stream}.ts` (HTTP-TS), and the audio alone as
//! `/{app}/{stream}.mp3` and `/{app}/{stream}.aac` (ADTS); the FLV and TS ones over a WebSocket
//! too (`ws://`, WebSocket-FLV and -TS as SRS serves them); CORS headers on every answer let
//! browser players use them.

pub mod aac;
pub mod flv;
pub mod hls;
pub mod live;
pub mod mp3;
pub mod players;
pub mod ts;

use crate::Context;
use crate::cluster::registry::Node;
use axum::Router;
use axum::extract::ws::rejection::WebSocketUpgradeRejection;
use axum::extract::{Path, RawQuery, State, WebSocketUpgrade};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::any;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use std::net::SocketAddr;
use std::sync::{Arc, OnceLock};
use std::time::Duration;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::AbortHandle;
use tracing::{Instrument, debug};
use weir_hub::StreamKey;

/// Who is on the other end of an HTTP request, and how to end their connection.
#[derive(Clone)]
pub struct Connection {
    pub peer: SocketAddr,
    pub abort: Arc<OnceLock<AbortHandle>>,
}

/// The stream server's routes.
pub fn router(ctx: Arc<Context>) -> Router {
    Router::new()
        .route("/", any(root))
        .route("/{*path}", any(dispatch))
        .with_state(ctx)
}

/// `/`: the streams page.
async fn root(State(ctx): State<Arc<Context>>) -> Response {
    players::serve(&ctx, "").unwrap_or_else(not_found)
}

async fn dispatch(
    State(ctx): State<Arc<Context>>,
    Path(path): Path<String>,
    RawQuery(query): RawQuery,
    method: Method,
    headers: HeaderMap,
    axum::Extension(connection): axum::Extension<Connection>,
    websocket: Result<WebSocketUpgrade, WebSocketUpgradeRejection>,
) -> Response {
    // A request that does not upgrade is plain HTTP.
    let websocket = websocket.ok();
    if let Some(page) = players::serve(&ctx, &path) {
        return page;
    }
    let Some((stem, extension)) = path.rsplit_once('.') else {
        return not_found();
    };
    let Some((app, stream)) = stem
        .rsplit_once('/')
        .filter(|(app, stream)| !app.is_empty() && !stream.is_empty())
    else {
        return not_found();
    };
    if !matches!(method, Method::GET | Method::HEAD | Method::OPTIONS) {
        return status(StatusCode::METHOD_NOT_ALLOWED, "method not allowed\n");
    }
    let key = |name: &str| {
        StreamKey::new(
            vhost(&ctx, query.as_deref().unwrap_or(""), &headers),
            app,
            name,
        )
    };
    match extension {
        "flv" => {
            let request = (ctx, (app, stream), query, method, headers, connection);
            live::serve::<flv::Flv>(request, websocket).await
        }
        // Plain HTTP only: SRS serves its audio streams without a WebSocket.
        "mp3" => {
            let request = (ctx, (app, stream), query, method, headers, connection);
            live::serve::<mp3::Mp3>(request, None).await
        }
        "aac" => {
            let request = (ctx, (app, stream), query, method, headers, connection);
            live::serve::<aac::Aac>(request, None).await
        }
        "m3u8" if method == Method::OPTIONS => ok_options(),
        "m3u8" => match play_denied(&ctx, &key(stream), connection.peer) {
            Some(denied) => denied,
            None => match hls_elsewhere(&ctx, &key(stream)).await {
                Some(node) => redirect(
                    &ctx,
                    &node,
                    &key(stream),
                    &path,
                    query.as_deref().unwrap_or(""),
                    "hls",
                ),
                None => {
                    crate::cluster::edge::wanted(&ctx, &key(stream));
                    hls::playlist(&ctx, &key(stream), &method)
                }
            },
        },
        "ts" => {
            // `{stream}-{n}.ts` of a stream that has HLS is a segment (404 once it is gone);
            // anything else is HTTP-TS.
            let segment = crate::hls::parse_segment_name(stream)
                .filter(|(name, _)| ctx.hls.get(&key(name)).is_some());
            match segment {
                Some((name, number)) => play_denied(&ctx, &key(name), connection.peer)
                    .or_else(|| hls::segment(&ctx, &key(name), number, &method))
                    .unwrap_or_else(|| status(StatusCode::NOT_FOUND, "no such segment\n")),
                None => {
                    let request = (ctx, (app, stream), query, method, headers, connection);
                    live::serve::<ts::Ts>(request, websocket).await
                }
            }
        }
        _ => not_found(),
    }
}

/// The vhost's security rules for playing, as for RTMP and HTTP-FLV players: HLS requests are
/// no exception (see [`crate::session`]).
fn play_denied(ctx: &Context, key: &StreamKey, peer: std::net::SocketAddr) -> Option<Response> {
    let denied = crate::session::check_play(ctx, peer.ip(), &key.vhost).err()?;
    Some(status(StatusCode::FORBIDDEN, &format!("{denied}\n")))
}

/// The node an HLS player of `key` is sent to: HLS has no session (see [`crate::session`]), so
/// its playlist asks the registry here, as [`crate::session::Session::play`] does for the
/// others. Segments need no question: their URIs are relative to the playlist's.
async fn hls_elsewhere(ctx: &Arc<Context>, key: &StreamKey) -> Option<Node> {
    let node = crate::cluster::registry::locate(ctx, key).await?;
    match ctx.config().cluster.on_miss {
        crate::config::OnMiss::Redirect => node.http.is_some().then_some(node),
        // Pulled here instead, as a play of it over any other protocol is.
        crate::config::OnMiss::Pull => {
            crate::cluster::edge::pull_from(ctx, key, &node.rtmp_url(key, ""));
            None
        }
    }
}

/// 302 (RFC 9110 §15.4.3) to `path` and `query` on `node`'s HTTP server, where the registry
/// says stream `key` is published; players follow it (FFmpeg, hls.js, browsers). A vhost the
/// request named by its Host header rides in `?vhost=`, since the new URL names an address.
pub(crate) fn redirect(
    ctx: &Context,
    node: &Node,
    key: &StreamKey,
    path: &str,
    query: &str,
    protocol: &'static str,
) -> Response {
    let Some(base) = node.http_base() else {
        return status(
            StatusCode::NOT_FOUND,
            "stream is at a node without HTTP
",
        );
    };
    let mut query = query.to_owned();
    if key.vhost != crate::DEFAULT_VHOST && !query.split('&').any(|kv| kv.starts_with("vhost=")) {
        let sep = if query.is_empty() { "" } else { "&" };
        query = format!("{query}{sep}vhost={}", key.vhost);
    }
    let location = match query.is_empty() {
        true => format!("{base}/{path}"),
        false => format!("{base}/{path}?{query}"),
    };
    debug!(stream = %key, %location, "play redirected (HTTP 302)");
    ctx.metrics.redirects.add(protocol, 1);
    let mut response = status(StatusCode::FOUND, &format!("{location}\n"));
    match HeaderValue::from_str(&location) {
        Ok(value) => {
            response.headers_mut().insert(header::LOCATION, value);
            response
        }
        Err(_) => status(
            StatusCode::NOT_FOUND,
            "stream is at a node this URL cannot name\n",
        ),
    }
}

fn not_found() -> Response {
    status(
        StatusCode::NOT_FOUND,
        "not found: /{app}/{stream}.flv, .ts, .mp3, .aac, .m3u8 and HLS segments are served \
         here, and the streams page at /\n",
    )
}

fn ok_options() -> Response {
    let mut ok = StatusCode::OK.into_response();
    cors(ok.headers_mut());
    ok
}

/// The headers that let a page from anywhere play what this server serves.
pub(crate) fn cors(headers: &mut HeaderMap) {
    headers.insert(
        header::ACCESS_CONTROL_ALLOW_ORIGIN,
        HeaderValue::from_static("*"),
    );
    headers.insert(
        header::ACCESS_CONTROL_ALLOW_METHODS,
        HeaderValue::from_static("GET, HEAD, OPTIONS"),
    );
    headers.insert(
        header::ACCESS_CONTROL_ALLOW_HEADERS,
        HeaderValue::from_static("*"),
    );
    headers.insert(
        header::ACCESS_CONTROL_EXPOSE_HEADERS,
        HeaderValue::from_static("Server, Content-Length, Content-Type"),
    );
}

/// A short text answer with CORS headers.
pub(crate) fn status(code: StatusCode, text: &str) -> Response {
    let mut response = (code, text.to_owned()).into_response();
    cors(response.headers_mut());
    response
}

/// The request's host, without a port.
pub(crate) fn host(headers: &HeaderMap) -> &str {
    headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .and_then(|h| h.split(':').next())
        .unwrap_or("")
}

/// The vhost a request names: `?vhost=`, else the Host header, if the config defines it.
pub(crate) fn vhost(ctx: &Context, query: &str, headers: &HeaderMap) -> String {
    let named = query
        .split('&')
        .find_map(|kv| kv.strip_prefix("vhost="))
        .unwrap_or(host(headers));
    ctx.vhost_or_default(named)
}

/// Serves `router` on every connection `listener` accepts, until shutdown; over TLS (with the
/// certificate current when each connection arrives) when `tls` is given.
pub async fn serve(
    ctx: Arc<Context>,
    listener: TcpListener,
    router: Router,
    nodelay: bool,
    tls: Option<Arc<crate::tls::Tls>>,
) {
    let mut shutdown = ctx.shutdown();
    loop {
        let Some((socket, peer)) = crate::accept(&listener, &mut shutdown, "http").await else {
            break;
        };
        ctx.metrics.connections.add("http", 1);
        let _ = socket.set_nodelay(nodelay);
        let connection = Connection {
            peer,
            abort: Arc::new(OnceLock::new()),
        };
        let abort = connection.abort.clone();
        let service = TowerToHyperService::new(router.clone().layer(axum::Extension(connection)));
        let shutdown = ctx.shutdown();
        let acceptor = tls.as_ref().map(|tls| tls.acceptor());
        let task = tokio::spawn(
            async move {
                let Some(acceptor) = acceptor else {
                    return serve_connection(TokioIo::new(socket), service, shutdown).await;
                };
                match tokio::time::timeout(HEADER_READ_TIMEOUT, acceptor.accept(socket)).await {
                    Ok(Ok(stream)) => {
                        serve_connection(TokioIo::new(stream), service, shutdown).await
                    }
                    Ok(Err(e)) => debug!(error = %e, "TLS handshake failed"),
                    Err(_) => debug!("TLS handshake timed out"),
                }
            }
            .instrument(tracing::debug_span!("http", %peer)),
        );
        let _ = abort.set(task.abort_handle());
    }
}

/// How long a client has to send its request's headers (and, over TLS, to finish the
/// handshake before that).
const HEADER_READ_TIMEOUT: Duration = Duration::from_secs(10);

/// Serves HTTP/1.1 on one connection, plain or TLS, until it ends or the server shuts down.
async fn serve_connection<I, S>(io: TokioIo<I>, service: S, mut shutdown: watch::Receiver<bool>)
where
    I: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
    S: hyper::service::Service<
            hyper::Request<hyper::body::Incoming>,
            Response = Response,
            Error = std::convert::Infallible,
        > + Send
        + 'static,
    S::Future: Send + 'static,
{
    let conn = hyper::server::conn::http1::Builder::new()
        .timer(TokioTimer::new())
        .header_read_timeout(HEADER_READ_TIMEOUT)
        .serve_connection(io, service)
        // WebSocket players take the connection over after the 101.
        .with_upgrades();
    tokio::pin!(conn);
    tokio::select! {
        result = conn.as_mut() => if let Err(e) = result {
            debug!(error = %e, "http connection ended");
        },
        _ = shutdown.changed() => {}
    }
}
