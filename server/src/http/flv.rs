//! HTTP-FLV: `GET /{app}/{stream}.flv` answers with a live FLV file — the header, metadata,
//! sequence headers and the cached GOP from a keyframe, then the live edge — for as long as
//! the client reads. CORS headers let browser players (flv.js, mpegts.js) use it.

use super::Connection;
use crate::Context;
use crate::clients::{ClientGuard, ClientKind, ClientRequest};
use crate::hooks::{HookContext, HookEvent};
use crate::hub::{Item, StreamKey, Subscriber};
use crate::security::Action;
use axum::Router;
use axum::body::Body;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::any;
use bytes::{Bytes, BytesMut};
use std::sync::Arc;
use tracing::{Instrument, info, warn};
use weir_flv::{FlvWriter, TagType};

pub fn router(ctx: Arc<Context>) -> Router {
    Router::new().route("/{*path}", any(serve)).with_state(ctx)
}

fn cors(headers: &mut HeaderMap) {
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

fn status(code: StatusCode, text: &str) -> Response {
    let mut response = (code, text.to_owned()).into_response();
    cors(response.headers_mut());
    response
}

async fn serve(
    State(ctx): State<Arc<Context>>,
    Path(path): Path<String>,
    RawQuery(query): RawQuery,
    method: Method,
    headers: HeaderMap,
    axum::Extension(connection): axum::Extension<Connection>,
) -> Response {
    let Some((app, stream)) = path
        .strip_suffix(".flv")
        .and_then(|p| p.rsplit_once('/'))
        .filter(|(app, stream)| !app.is_empty() && !stream.is_empty())
    else {
        return status(
            StatusCode::NOT_FOUND,
            "not found: only /{app}/{stream}.flv is served here\n",
        );
    };
    let mut ok = StatusCode::OK.into_response();
    cors(ok.headers_mut());
    ok.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("video/x-flv"),
    );
    ok.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    match method {
        Method::OPTIONS | Method::HEAD => return ok,
        Method::GET => {}
        _ => return status(StatusCode::METHOD_NOT_ALLOWED, "method not allowed\n"),
    }
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .and_then(|h| h.split(':').next())
        .unwrap_or("");
    let query = query.unwrap_or_default();
    let named = query
        .split('&')
        .find_map(|kv| kv.strip_prefix("vhost="))
        .unwrap_or(host);
    let vhost = ctx.vhost_or_default(named);
    let param = if query.is_empty() {
        String::new()
    } else {
        format!("?{query}")
    };
    let request = ClientRequest {
        vhost,
        app: app.to_owned(),
        stream: stream.to_owned(),
        param,
        tc_url: format!("http://{host}/{app}"),
        ..ClientRequest::default()
    };
    let key = StreamKey::new(&request.vhost, &request.app, &request.stream);
    let client = ctx.clients.register(connection.peer, ClientKind::FlvPlay);
    if let Some(abort) = connection.abort.get() {
        client.set_abort(abort.clone());
    }
    client.set_request(ClientKind::FlvPlay, request.clone());
    let span = tracing::info_span!("flv", id = %client.id, peer = %connection.peer);
    async move {
        info!(stream = %key, "play");
        if let Err(denied) = ctx
            .security(&request.vhost)
            .check(Action::Play, connection.peer.ip())
        {
            warn!(reason = %denied, "play denied");
            return status(StatusCode::FORBIDDEN, &format!("{denied}\n"));
        }
        let hook = hook_context(&client, &request, connection.peer);
        let hooks = ctx.config.vhost_hooks(&request.vhost);
        if let Err(denied) = ctx.hooks.authorize(hooks, HookEvent::Play, &hook).await {
            warn!(reason = %denied, "play denied by on_play");
            return status(StatusCode::FORBIDDEN, &format!("{denied}\n"));
        }
        let subscriber = ctx.hub.subscribe(&key, &client.id);
        client.attach(
            Some(subscriber.stream().clone()),
            Some(subscriber.progress()),
        );
        let player = Player {
            ctx: ctx.clone(),
            client,
            request,
            subscriber,
            writer: FlvWriter::new(true, true),
            started: false,
        };
        let body = futures_util::stream::unfold(player, |mut player| async move {
            let chunk = player.next_chunk().await?;
            Some((Ok::<_, std::convert::Infallible>(chunk), player))
        });
        let (parts, _) = ok.into_parts();
        Response::from_parts(parts, Body::from_stream(body))
    }
    .instrument(span)
    .await
}

fn hook_context(
    client: &ClientGuard,
    request: &ClientRequest,
    peer: std::net::SocketAddr,
) -> HookContext {
    HookContext {
        client_id: client.id.clone(),
        ip: peer.ip(),
        vhost: request.vhost.clone(),
        app: request.app.clone(),
        tc_url: request.tc_url.clone(),
        stream: request.stream.clone(),
        param: request.param.clone(),
        ..HookContext::default()
    }
}

/// One HTTP-FLV response body in progress.
struct Player {
    ctx: Arc<Context>,
    client: ClientGuard,
    request: ClientRequest,
    subscriber: Subscriber,
    writer: FlvWriter,
    started: bool,
}

impl Player {
    /// The next piece of the FLV file: every item already waiting, as tags.
    async fn next_chunk(&mut self) -> Option<Bytes> {
        let mut out = BytesMut::new();
        if !self.started {
            self.started = true;
            out.extend_from_slice(&self.writer.header_bytes());
        }
        let first = self.subscriber.recv().await?;
        self.subscriber.merge_wait().await;
        let (subscriber, writer) = (&mut self.subscriber, &mut self.writer);
        subscriber.batch(first, |item| write(writer, item, &mut out));
        let n = out.len() as u64;
        self.client.add_sent(n);
        self.ctx.metrics.add_sent(n);
        self.subscriber.stream().add_sent(n);
        Some(out.freeze())
    }
}

/// Appends an item to the FLV file as a tag (nothing for notices).
fn write(writer: &mut FlvWriter, item: Item, out: &mut BytesMut) {
    let tag = match item {
        Item::Media(media) => {
            let Some(body) = media.flv_body() else { return };
            let tag_type = if media.is_video() {
                TagType::Video
            } else {
                TagType::Audio
            };
            writer.write_tag(tag_type, media.timestamp, body.payload())
        }
        Item::Metadata { timestamp, value } => {
            let mut body = Vec::new();
            let values = [weir_amf0::Value::string("onMetaData"), (*value).clone()];
            weir_amf0::encode_all(&values, &mut body);
            writer.write_tag(TagType::Script, timestamp, &body)
        }
        Item::Publisher(_) => return,
    };
    match tag {
        Ok(tag) => out.extend_from_slice(&tag),
        Err(e) => warn!(error = %e, "tag not written"),
    }
}

impl Drop for Player {
    fn drop(&mut self) {
        let hooks = self.ctx.config.vhost_hooks(&self.request.vhost);
        let ctx = hook_context(&self.client, &self.request, self.client.peer);
        self.ctx.hooks.notify(hooks, HookEvent::Stop, ctx.clone());
        self.ctx.hooks.notify(hooks, HookEvent::Close, ctx);
    }
}
