//! Live streams over HTTP: `GET /{app}/{stream}.flv` (HTTP-FLV) and `/{app}/{stream}.ts`
//! (HTTP-TS) answer with a live file in that container — what a late joiner needs (metadata,
//! sequence headers, the cached GOP from a keyframe), then the live edge — for as long as the
//! client reads, or until the publisher stops: then the response ends (its chunked terminator),
//! as SRS's do since 6.0.152, so that players see the end and can reconnect to the next
//! publisher. One request path serves both; a [`Format`] writes the container.
//!
//! The same file goes over a WebSocket when the request asks to upgrade (RFC 6455):
//! `ws://host:8080/{app}/{stream}.flv`, as SRS serves flv.js and mpegts.js — each piece of the
//! file a binary message, and a Close frame when the publisher stops.

use super::{Connection, cors, status};
use crate::Context;
use crate::clients::{ClientKind, ClientRequest};
use crate::session::{Denied, Session};
use axum::body::Body;
use axum::extract::ws::{Message, WebSocket, WebSocketUpgrade};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use std::collections::VecDeque;
use std::sync::Arc;
use tracing::{Instrument, info, warn};
use weir_hub::{Item, Stream, Subscriber};

/// A container a live stream is delivered in.
pub trait Format: Send + 'static {
    const CONTENT_TYPE: &'static str;
    /// The client's `type` in the API.
    const KIND: ClientKind;
    /// The request path's extension (`flv`, `ts`, ...), for a redirect to another node.
    const EXTENSION: &'static str;
    /// A player's writer for `stream`.
    fn new(stream: &Arc<Stream>) -> Self;
    /// Why the stream cannot be served in this format (audio-only formats of a stream whose
    /// audio is another codec); answered with 415 before any byte of the body.
    fn refuse(_stream: &Stream) -> Option<String> {
        None
    }
    /// What goes before the first item (a file header).
    fn start(&mut self, out: &mut Vec<Bytes>);
    /// Appends an item's bytes: shared with the format's other players where they can be.
    fn write(&mut self, item: Item, out: &mut Vec<Bytes>);
}

/// A live request: the server, `(app, stream)`, the query, and the request's method, headers
/// and connection.
pub type Request<'a> = (
    Arc<Context>,
    (&'a str, &'a str),
    Option<String>,
    Method,
    HeaderMap,
    Connection,
);

/// Serves stream `app`/`stream` live in format `F`, over a WebSocket when the request upgrades.
pub async fn serve<F: Format>(
    (ctx, (app, stream), query, method, headers, connection): Request<'_>,
    websocket: Option<WebSocketUpgrade>,
) -> Response {
    let mut ok = StatusCode::OK.into_response();
    cors(ok.headers_mut());
    ok.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(F::CONTENT_TYPE),
    );
    ok.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    match method {
        Method::OPTIONS | Method::HEAD => return ok,
        Method::GET => {}
        _ => return status(StatusCode::METHOD_NOT_ALLOWED, "method not allowed\n"),
    }
    let host = super::host(&headers);
    let query = query.unwrap_or_default();
    let vhost = super::vhost(&ctx, &query, &headers);
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
    let key = crate::session::key(&request);
    let mut session = Session::open(&ctx, connection.peer, F::KIND);
    if let Some(abort) = connection.abort.get() {
        session.client().set_abort(abort.clone());
    }
    let span = tracing::info_span!("http", id = %session.client().id, peer = %connection.peer, kind = F::KIND.as_str());
    session.set_span(span.clone());
    async move {
        info!(stream = %key, "play");
        let subscriber = match session.play(request, F::KIND).await {
            Ok((_, subscriber)) => subscriber,
            Err(Denied::Redirect(key, node)) => {
                let path = format!("{app}/{stream}.{}", F::EXTENSION);
                return super::redirect(&ctx, &node, &key, &path, &query, "http");
            }
            Err(denied) => {
                warn!(reason = %denied, "play denied");
                return status(StatusCode::FORBIDDEN, &format!("{denied}\n"));
            }
        };
        if let Some(why) = F::refuse(subscriber.stream()) {
            warn!(reason = %why, "play refused");
            return status(StatusCode::UNSUPPORTED_MEDIA_TYPE, &format!("{why}\n"));
        }
        let player = Player {
            ctx: ctx.clone(),
            session,
            format: F::new(subscriber.stream()),
            subscriber,
            started: false,
            ended: false,
            pending: VecDeque::new(),
        };
        if let Some(websocket) = websocket {
            return websocket.on_upgrade(|socket| player.over_websocket(socket).in_current_span());
        }
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

/// One live response body in progress.
struct Player<F: Format> {
    ctx: Arc<Context>,
    /// Ends (with `on_stop` and `on_close`) when the response body is dropped.
    session: Session,
    subscriber: Subscriber,
    format: F,
    started: bool,
    /// The publisher has stopped: the body ends once `pending` is out.
    ended: bool,
    /// The pieces of the last batch not handed to the body yet: each is a frame of its own,
    /// so that shared bytes reach the socket without a copy per player.
    pending: VecDeque<Bytes>,
}

impl<F: Format> Player<F> {
    /// Sends the file over `socket`, a piece a binary message, until the publisher stops (then
    /// a Close frame, 1000) or the client goes (a Close, an error). What the client sends is
    /// read only while waiting for the stream's next item (`Subscriber::recv` is cancel-safe;
    /// a batch, once begun, is finished before the socket is read again).
    async fn over_websocket(mut self, mut socket: WebSocket) {
        enum Woke {
            Item(Option<Item>),
            Client(Option<Result<Message, axum::Error>>),
        }
        loop {
            let piece = match self.pending.pop_front() {
                Some(piece) => Some(piece),
                None if self.ended => None,
                None => {
                    let woke = tokio::select! {
                        item = self.subscriber.recv() => Woke::Item(item),
                        message = socket.recv() => Woke::Client(message),
                    };
                    match woke {
                        Woke::Item(Some(first)) => Some(self.batch(first).await),
                        Woke::Item(None) => None,
                        Woke::Client(Some(Ok(Message::Close(_)) | Err(_)) | None) => return,
                        Woke::Client(Some(Ok(_))) => continue,
                    }
                }
            };
            match piece {
                Some(piece) if piece.is_empty() => {}
                Some(piece) => {
                    if socket.send(Message::Binary(piece)).await.is_err() {
                        return;
                    }
                }
                None => {
                    let close = axum::extract::ws::CloseFrame {
                        code: 1000,
                        reason: "the publisher stopped".into(),
                    };
                    let _ = socket.send(Message::Close(Some(close))).await;
                    return;
                }
            }
        }
    }

    /// The next piece of the file: what waits, else the next batch; `None` once the
    /// publisher has stopped (or the stream is gone).
    async fn next_chunk(&mut self) -> Option<Bytes> {
        if let Some(piece) = self.pending.pop_front() {
            return Some(piece);
        }
        if self.ended {
            return None;
        }
        let first = self.subscriber.recv().await?;
        Some(self.batch(first).await)
    }

    /// The pieces of the batch `first` begins (every item already waiting; the file's header
    /// before the first batch): the first returned, the others kept in `pending`, each a frame
    /// of its own so that shared bytes reach the socket without a copy per player.
    async fn batch(&mut self, first: Item) -> Bytes {
        self.subscriber.merge_wait().await;
        let mut out = Vec::new();
        if !self.started {
            self.started = true;
            self.format.start(&mut out);
        }
        let (subscriber, format, ended) = (&mut self.subscriber, &mut self.format, &mut self.ended);
        subscriber.batch(first, |item| {
            if matches!(item, Item::Publisher(false)) {
                *ended = true;
            }
            // What follows the end in this batch is the next publisher's, for the next request.
            if !*ended {
                format.write(item, &mut out)
            }
        });
        let n = out.iter().map(|b| b.len() as u64).sum();
        self.session.client().add_sent(n);
        self.ctx.metrics.add_sent(n);
        self.subscriber.stream().add_sent(n);
        self.pending
            .extend(out.into_iter().filter(|b| !b.is_empty()));
        // An empty batch (items this format leaves out) is an empty frame.
        self.pending.pop_front().unwrap_or_default()
    }
}

/// Why an audio-only format cannot serve `stream`: its audio is known and none of `codecs`
/// (a stream whose audio is not known yet is served, and gets what it has).
pub fn audio_not(stream: &Stream, codecs: &[weir_media::Codec]) -> Option<String> {
    let audio = stream.info().audio?;
    (!codecs.contains(&audio.codec)).then(|| {
        let names: Vec<String> = codecs.iter().map(|c| c.to_string()).collect();
        format!(
            "the stream's audio is {}: this format carries {} only",
            audio.codec,
            names.join(" or ")
        )
    })
}
