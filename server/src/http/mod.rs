//! The HTTP servers (HTTP-FLV on 8080, the API on 1985): one task per connection, so that a
//! connection can be kicked (its task aborted) and the whole server shut down.

pub mod flv;

use crate::Context;
use axum::Router;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use std::net::SocketAddr;
use std::sync::{Arc, OnceLock};
use std::time::Duration;
use tokio::net::TcpListener;
use tokio::task::AbortHandle;
use tracing::{Instrument, debug};

/// Who is on the other end of an HTTP request, and how to end their connection.
#[derive(Clone)]
pub struct Connection {
    pub peer: SocketAddr,
    pub abort: Arc<OnceLock<AbortHandle>>,
}

/// Serves `router` on every connection `listener` accepts, until shutdown.
pub async fn serve(ctx: Arc<Context>, listener: TcpListener, router: Router, nodelay: bool) {
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
        let service = router.clone().layer(axum::Extension(connection));
        let mut shutdown = ctx.shutdown();
        let task = tokio::spawn(
            async move {
                let conn = hyper::server::conn::http1::Builder::new()
                    .timer(TokioTimer::new())
                    .header_read_timeout(Duration::from_secs(10))
                    .serve_connection(TokioIo::new(socket), TowerToHyperService::new(service));
                tokio::pin!(conn);
                tokio::select! {
                    result = conn.as_mut() => if let Err(e) = result {
                        debug!(error = %e, "http connection ended");
                    },
                    _ = shutdown.changed() => {}
                }
            }
            .instrument(tracing::debug_span!("http", %peer)),
        );
        let _ = abort.set(task.abort_handle());
    }
}
