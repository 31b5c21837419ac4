//! The one way into the server and out of it. Every session — an RTMP connection, an
//! MPEG-TS/UDP sender, an HTTP-FLV or HTTP-TS player, and every protocol to come — opens a
//! [`Session`], which lists it in the client registry; each publish or play it asks for goes
//! through the same steps, in the same order:
//!
//! 1. the vhost's security rules for the client's address,
//! 2. the HTTP callback (`on_publish`, `on_play`),
//! 3. the client registry (what the API lists: the request, the stream),
//! 4. with `[cluster] redis`, the origin cluster's registry ([`crate::cluster::registry`]): a
//!    publish claims its stream there, refused when another origin holds it; a play of a
//!    stream another origin holds is redirected there ([`Denied::Redirect`]),
//! 5. the hub (publish, which a second publisher of the stream is refused; or subscribe —
//!    on an edge, after asking for the stream's upstream: `crate::cluster::edge::wanted`).
//!
//! When a publish or play ends, its `on_unpublish`/`on_stop` callback goes out; when the
//! session ends (closed, failed, kicked, shut down), those of what is still active, then
//! `on_close`. The callbacks' body is built here only ([`Session::hook_context`]).
//!
//! HLS requests are no sessions (a player fetches many files over many connections): they
//! pass the security rules through [`check_play`] alone, and are not asked of `on_play`; on an
//! edge, each playlist request asks for the stream's upstream.

use crate::Context;
use crate::clients::{ClientGuard, ClientKind, ClientRequest};
use crate::cluster::registry::{Claim, Node};
use crate::config::OnMiss;
use crate::hooks::{HookContext, HookEvent};
use crate::security::Action;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use tracing::info;
use weir_hub::{Publisher, StreamKey, Subscriber};

/// Why a request was refused; its text is what the client and the log are told.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Denied {
    /// A security rule of the vhost.
    #[error("{0}")]
    Security(String),
    /// An HTTP callback.
    #[error("{0}")]
    Hook(String),
    /// Another client publishes the stream.
    #[error("{} is already being published.", .0.url())]
    Busy(StreamKey),
    /// Another node of the origin cluster publishes the stream (its name; see
    /// [`crate::cluster::registry`]).
    #[error("{} is already being published at node {}.", .0.url(), .1)]
    BusyAt(StreamKey, String),
    /// Another node of the origin cluster publishes the stream and `cluster.on_miss` is
    /// `redirect`: each protocol sends the player there (RTMP 302, HTTP 302).
    #[error("{} is published at node {}.", .0.url(), .1.node)]
    Redirect(StreamKey, Box<Node>),
}

impl Denied {
    /// Whether the stream has a publisher already, here or at another node: what clients are
    /// told as "busy" (RTMP's `NetStream.Publish.BadName`, HTTP 409).
    pub fn is_busy(&self) -> bool {
        matches!(self, Denied::Busy(_) | Denied::BusyAt(..))
    }
}

/// A publish or play a session holds, named for [`Session::end`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RoleId(u32);

#[derive(Debug)]
struct Role {
    id: RoleId,
    publish: bool,
    request: ClientRequest,
    /// A publish's claim of its stream in the origin cluster's registry, released with it.
    claim: Option<Claim>,
}

/// One client session; see the [module docs](self).
pub struct Session {
    ctx: Arc<Context>,
    client: ClientGuard,
    /// The connection's own request (RTMP's connect), once allowed.
    connected: Option<ClientRequest>,
    roles: Vec<Role>,
    next_role: u32,
    /// Whether a publish or play was ever admitted (then `on_close` goes out at the end).
    admitted: bool,
    /// The session's span, in which its end is logged (it may end outside its task).
    span: tracing::Span,
}

impl Session {
    /// Lists a new client of `kind` at `peer` (the API shows it, and can kick it, from now).
    pub fn open(ctx: &Arc<Context>, peer: SocketAddr, kind: ClientKind) -> Session {
        Session {
            client: ctx.clients.register(peer, kind),
            ctx: ctx.clone(),
            connected: None,
            roles: Vec::new(),
            next_role: 0,
            admitted: false,
            span: tracing::Span::none(),
        }
    }

    /// Logs the session's end in `span` (the adapter's span of the session).
    pub fn set_span(&mut self, span: tracing::Span) {
        self.span = span;
    }

    /// The client as the registry lists it (id, counters, kick).
    pub fn client(&self) -> &ClientGuard {
        &self.client
    }

    /// The server the session belongs to.
    pub fn context(&self) -> &Arc<Context> {
        &self.ctx
    }

    /// The connection's request, once its connect was allowed.
    pub fn connected(&self) -> Option<&ClientRequest> {
        self.connected.as_ref()
    }

    /// What a callback about `request` tells of this client.
    pub fn hook_context(&self, request: &ClientRequest) -> HookContext {
        let info = self.client.info(self.ctx.hub.now_ms());
        HookContext {
            client_id: self.client.id.clone(),
            ip: self.client.peer.ip(),
            vhost: request.vhost.clone(),
            app: request.app.clone(),
            tc_url: request.tc_url.clone(),
            page_url: request.page_url.clone(),
            stream: request.stream.clone(),
            param: request.param.clone(),
            stream_id: info.stream_id.unwrap_or_default(),
            send_bytes: info.send_bytes,
            recv_bytes: info.recv_bytes,
            hls: None,
            dvr: None,
        }
    }

    /// A connection's own request (RTMP's connect): `on_connect` decides.
    pub async fn connect(&mut self, request: ClientRequest) -> Result<(), Denied> {
        self.client
            .set_request(ClientKind::RtmpConnect, request.clone());
        self.hook(HookEvent::Connect, &request).await?;
        self.connected = Some(request);
        Ok(())
    }

    /// Publishes `request`'s stream as a client of `kind`.
    pub async fn publish(
        &mut self,
        request: ClientRequest,
        kind: ClientKind,
    ) -> Result<(RoleId, Publisher), Denied> {
        self.allow(Action::Publish, HookEvent::Publish, &request)
            .await?;
        let key = key(&request);
        // The cluster first: a stream another origin holds is refused as a local one is. A
        // claim refused here by the hub below was this node's already (its publisher holds it).
        if let Some(registry) = &self.ctx.registry {
            registry.claim(&key).await.map_err(|node| {
                info!(stream = %key, %node, "publish refused: stream published at another node");
                Denied::BusyAt(key.clone(), node)
            })?;
        }
        let publisher = self.ctx.publish(&key, &self.client.id).map_err(|busy| {
            info!(stream = %key, publisher = %busy.publisher, "publish refused: stream busy");
            Denied::Busy(key.clone())
        })?;
        let claim = self.ctx.registry.as_ref().map(|r| r.hold(&key));
        self.client.set_request(kind, request.clone());
        self.client.attach(Some(publisher.stream().clone()), None);
        crate::forward::spawn(&self.ctx, &key, self.hook_context(&request));
        let role = self.admit(true, request);
        if let Some(role) = self.roles.last_mut() {
            role.claim = claim;
        }
        Ok((role, publisher))
    }

    /// Plays `request`'s stream as a client of `kind` (the stream need not have a publisher
    /// yet).
    pub async fn play(
        &mut self,
        request: ClientRequest,
        kind: ClientKind,
    ) -> Result<(RoleId, Subscriber), Denied> {
        self.allow(Action::Play, HookEvent::Play, &request).await?;
        self.elsewhere(&request, kind).await?;
        crate::cluster::edge::wanted(&self.ctx, &key(&request));
        let subscriber = self.ctx.hub.subscribe(&key(&request));
        self.client.set_request(kind, request.clone());
        self.client.attach(
            Some(subscriber.stream().clone()),
            Some(subscriber.progress()),
        );
        Ok((self.admit(false, request), subscriber))
    }

    /// A play of a stream nobody publishes here but another origin does, by the registry:
    /// with `cluster.on_miss = "redirect"`, the player is sent there when its protocol can be
    /// (RTMP, HTTP); otherwise it waits here as on a standalone server.
    async fn elsewhere(&self, request: &ClientRequest, kind: ClientKind) -> Result<(), Denied> {
        let config = self.ctx.config();
        let on_miss = config.cluster.on_miss;
        if self.ctx.registry.is_none() || (on_miss == OnMiss::Redirect && !kind.redirects()) {
            return Ok(());
        }
        let key = key(request);
        let Some(node) = crate::cluster::registry::locate(&self.ctx, &key).await else {
            return Ok(());
        };
        // An HTTP player goes to the node's HTTP server, if it has one.
        let reachable = kind == ClientKind::RtmpPlay || node.http.is_some();
        match on_miss {
            OnMiss::Redirect if !reachable => Ok(()),
            OnMiss::Redirect => Err(Denied::Redirect(key, Box::new(node))),
            // Pulled from the node that holds it, as an edge pulls, for as long as players
            // want it; the player subscribes here as to any stream.
            OnMiss::Pull => {
                info!(stream = %key, node = %node.node, "stream is at another node: pulling it");
                crate::cluster::edge::pull_from(&self.ctx, &key, &node.rtmp_url(&key, ""));
                Ok(())
            }
        }
    }

    /// A publish or play ended before the session: its `on_unpublish` or `on_stop` goes out.
    pub fn end(&mut self, id: RoleId) {
        if let Some(at) = self.roles.iter().position(|r| r.id == id) {
            let role = self.roles.remove(at);
            self.stopped(&role);
            if !role.publish {
                self.client.attach(None, None);
            }
        }
    }

    /// Security rules, then the callback.
    async fn allow(
        &self,
        action: Action,
        event: HookEvent,
        request: &ClientRequest,
    ) -> Result<(), Denied> {
        check(&self.ctx, action, self.client.peer.ip(), &request.vhost)?;
        self.hook(event, request).await
    }

    async fn hook(&self, event: HookEvent, request: &ClientRequest) -> Result<(), Denied> {
        let config = self.ctx.config();
        let hooks = config.vhost_hooks(&request.vhost);
        let context = self.hook_context(request);
        self.ctx
            .hooks
            .authorize(hooks, event, &context)
            .await
            .map_err(|denied| Denied::Hook(denied.to_string()))
    }

    fn admit(&mut self, publish: bool, request: ClientRequest) -> RoleId {
        let id = RoleId(self.next_role);
        self.next_role += 1;
        self.admitted = true;
        self.roles.push(Role {
            id,
            publish,
            request,
            claim: None,
        });
        id
    }

    fn stopped(&self, role: &Role) {
        let (event, what) = match role.publish {
            true => (HookEvent::Unpublish, "unpublish"),
            false => (HookEvent::Stop, "stop"),
        };
        self.span
            .in_scope(|| info!(what, stream = %key(&role.request), "stream ended"));
        self.notify(event, &role.request);
    }

    fn notify(&self, event: HookEvent, request: &ClientRequest) {
        let config = self.ctx.config();
        let hooks = config.vhost_hooks(&request.vhost);
        self.ctx
            .hooks
            .notify(hooks, event, self.hook_context(request));
    }
}

impl Drop for Session {
    /// However the session ends, the callbacks go out: what was still active ends, then the
    /// connection closes.
    fn drop(&mut self) {
        for role in std::mem::take(&mut self.roles) {
            self.stopped(&role);
        }
        let closing = self.connected.take().or_else(|| {
            let info = self.client.info(self.ctx.hub.now_ms());
            self.admitted.then_some(info.request)
        });
        if let Some(request) = closing {
            self.notify(HookEvent::Close, &request);
        }
    }
}

/// The hub's name of the stream a request names.
pub fn key(request: &ClientRequest) -> StreamKey {
    StreamKey::new(&request.vhost, &request.app, &request.stream)
}

/// The vhost's security rules for `action` from `ip`: every session's first step, and all an
/// HLS request passes.
pub fn check(ctx: &Context, action: Action, ip: IpAddr, vhost: &str) -> Result<(), Denied> {
    ctx.config()
        .vhost_security(vhost)
        .check(action, ip)
        .map_err(|denied| Denied::Security(denied.to_string()))
}

/// [`check`] for a player.
pub fn check_play(ctx: &Context, ip: IpAddr, vhost: &str) -> Result<(), Denied> {
    check(ctx, Action::Play, ip, vhost)
}
