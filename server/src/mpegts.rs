//! MPEG-TS over UDP in (as SRS's `stream_caster` of type `mpegts_over_udp`): the datagrams that
//! reach `mpegts.listen` publish the stream `mpegts.stream`, demuxed by our TS machine into
//! the hub's frames, so that the stream plays over RTMP, HTTP-FLV, HTTP-TS and HLS.
//!
//! One sender at a time: the first source to send publishes; datagrams from others are
//! dropped until it has been silent for `mpegts.timeout`, when its stream ends. The socket's
//! loop only routes datagrams; each sender's session (security, callbacks, demuxing) runs in a
//! task of its own, behind a bounded queue, so that nothing a sender does blocks the socket.

use crate::Context;
use crate::clients::{ClientKind, ClientRequest};
use crate::ingest::TsIngest;
use crate::session::Session;
use bytes::Bytes;
use std::net::SocketAddr;
use std::sync::Arc;
use tokio::net::UdpSocket;
use tokio::sync::mpsc;
use tracing::{Instrument, debug, info, warn};

/// Datagrams queued for a session before more are dropped (the demuxer then reports the
/// continuity errors).
const QUEUE: usize = 1024;

/// Receives datagrams until shutdown.
pub async fn listen(ctx: Arc<Context>, socket: UdpSocket) {
    let local = socket.local_addr().unwrap_or(ctx.config().mpegts.listen);
    let mut shutdown = ctx.shutdown();
    let mut buf = vec![0u8; 65_536];
    let mut current: Option<(SocketAddr, mpsc::Sender<Bytes>)> = None;
    let mut ignored: Option<SocketAddr> = None;
    loop {
        let (n, from) = tokio::select! {
            received = socket.recv_from(&mut buf) => match received {
                Ok(received) => received,
                Err(e) => {
                    debug!(error = %e, "mpegts receive failed");
                    continue;
                }
            },
            _ = shutdown.changed() => return,
        };
        let datagram = Bytes::copy_from_slice(&buf[..n]);
        if current.as_ref().is_some_and(|(_, tx)| tx.is_closed()) {
            current = None;
        }
        let (source, tx) = current.get_or_insert_with(|| {
            let (tx, rx) = mpsc::channel(QUEUE);
            ctx.metrics.connections.add("mpegts", 1);
            // Listed (and kickable, through the API or at shutdown) from its first datagram.
            let session = Session::open(&ctx, from, ClientKind::MpegtsPublish);
            let client = Arc::clone(session.client());
            let task = tokio::spawn(sender(session, local, rx));
            client.set_abort(task.abort_handle());
            (from, tx)
        });
        if *source != from {
            if ignored != Some(from) {
                warn!(%from, publishing = %source, "mpegts datagrams from a second sender ignored");
                ignored = Some(from);
            }
            continue;
        }
        if tx.try_send(datagram).is_err() {
            debug!(%from, "mpegts datagram dropped: the session is behind");
        }
    }
}

/// `mpegts.stream` as vhost, app, stream and param (`live/cam?vhost=v&k=1`).
fn request(ctx: &Context, listen: SocketAddr) -> ClientRequest {
    let configured = &ctx.config().mpegts.stream;
    let (path, query) = configured.split_once('?').unwrap_or((configured, ""));
    let (app, stream) = path.rsplit_once('/').unwrap_or(("live", path));
    let named = query
        .split('&')
        .find_map(|kv| kv.strip_prefix("vhost="))
        .unwrap_or("");
    ClientRequest {
        vhost: ctx.vhost_or_default(named),
        app: app.to_owned(),
        stream: stream.to_owned(),
        param: if query.is_empty() {
            String::new()
        } else {
            format!("?{query}")
        },
        tc_url: format!("udp://{listen}/{app}"),
        ..ClientRequest::default()
    }
}

/// One sender: admitted, published, demuxed, until it is silent for the timeout.
async fn sender(mut session: Session, local: SocketAddr, mut rx: mpsc::Receiver<Bytes>) {
    let ctx = session.context().clone();
    let request = request(&ctx, local);
    let key = crate::session::key(&request);
    let client = Arc::clone(session.client());
    let span = tracing::info_span!("mpegts", id = %client.id, peer = %client.peer);
    session.set_span(span.clone());
    let timeout = ctx.config().mpegts.timeout;
    async move {
        info!(stream = %key, "publish");
        let publisher = match session.publish(request, ClientKind::MpegtsPublish).await {
            Ok((_, publisher)) => publisher,
            Err(denied) => {
                warn!(stream = %key, reason = %denied, "publish denied");
                // Refused: drop what the sender sends until it stops, rather than asking again
                // for every datagram.
                while let Ok(Some(_)) = tokio::time::timeout(timeout, rx.recv()).await {}
                return;
            }
        };
        let mut ingest = TsIngest::ts(ctx.clone(), publisher);
        while let Ok(Some(datagram)) = tokio::time::timeout(timeout, rx.recv()).await {
            client.add_recv(datagram.len() as u64);
            ctx.metrics.add_recv(datagram.len() as u64);
            ingest.input(&datagram);
        }
        info!(stream = %key, "the sender stopped; unpublished");
        ingest.end();
        drop(ingest);
        drop(session);
    }
    .instrument(span)
    .await
}
