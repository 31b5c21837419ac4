//! WebRTC signalling on the HTTP API port, with SRS's paths so that its users' pages keep
//! working:
//!
//! - WHIP (RFC 9725): `POST /rtc/v1/whip/?app=&stream=` with an `application/sdp` offer →
//!   `201 Created`, the answer, `Location` (the session's resource) and `ETag`;
//! - WHEP (draft-ietf-wish-whep): the same at `/rtc/v1/whep/`, to play (`&layer=rid`: one
//!   layer of a simulcast publisher);
//! - on the resource: `DELETE` ends the session (RFC 9725 §4.3), `PATCH` with
//!   `application/trickle-ice-sdpfrag` (RFC 8840) trickles candidates (RFC 9725 §4.4.1),
//!   `If-Match` against the ETag when given (§4.4.1: 412 otherwise), and restarts ICE when the
//!   fragment carries new credentials (§4.4.2: 200 with Weir's new ones and the candidates);
//! - `OPTIONS` on all of them (CORS preflight, RFC 9725 §4.8 for browsers);
//! - SRS's JSON API: `POST /rtc/v1/publish/` and `/rtc/v1/play/` with `{"streamurl":
//!   "webrtc://host/app/stream", "sdp": ...}` → `{"code": 0, "sdp": ..., "sessionid": ...}`.
//!
//! A bearer token (RFC 9725 §4.5) reaches the callbacks in the request's `param` as `token=`;
//! with `rtc.token` set, a request without it is refused (401).

use super::peer::{self, Offer, Refused};
use super::{Endpoint, Inbound};
use crate::Context;
use crate::clients::ClientRequest;
use crate::http::Connection;
use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{any, post};
use serde_json::json;
use std::net::IpAddr;
use std::sync::Arc;
use tracing::info;

/// Where a session's resource lives (its `Location`).
const RESOURCE: &str = "/rtc/v1/resource/";

/// The signalling routes, for the API's router.
pub fn routes(router: Router<Arc<Context>>) -> Router<Arc<Context>> {
    router
        .route("/rtc/v1/whip/", any(offer))
        .route("/rtc/v1/whip", any(offer))
        .route("/rtc/v1/whep/", any(offer))
        .route("/rtc/v1/whep", any(offer))
        .route("/rtc/v1/resource/{id}", any(resource))
        .route("/rtc/v1/publish/", post(srs).options(preflight))
        .route("/rtc/v1/play/", post(srs).options(preflight))
}

/// A WHIP offer (to publish) or a WHEP one (to play), by the path.
async fn offer(
    State(ctx): State<Arc<Context>>,
    RawQuery(query): RawQuery,
    uri: axum::http::Uri,
    method: Method,
    headers: HeaderMap,
    axum::Extension(connection): axum::Extension<Connection>,
    body: Bytes,
) -> Response {
    let publish = uri.path().starts_with("/rtc/v1/whip");
    match method {
        Method::OPTIONS => return preflight().await,
        Method::POST => {}
        _ => return text(StatusCode::METHOD_NOT_ALLOWED, "POST an SDP offer here\n"),
    }
    let Some(endpoint) = ctx.rtc.clone() else {
        return text(
            StatusCode::SERVICE_UNAVAILABLE,
            "WebRTC is disabled (rtc.enabled)\n",
        );
    };
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    if !content_type
        .split(';')
        .next()
        .is_some_and(|t| t.trim().eq_ignore_ascii_case("application/sdp"))
    {
        return text(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "an offer is application/sdp (RFC 9725 §4.2)\n",
        );
    }
    let query = query.unwrap_or_default();
    let token = match bearer(&ctx, &headers) {
        Ok(token) => token,
        Err(response) => return response,
    };
    let field = |name: &str| field(&query, name);
    let (Some(app), Some(stream)) = (field("app"), field("stream")) else {
        return text(
            StatusCode::BAD_REQUEST,
            "name the stream: ?app=live&stream=livestream\n",
        );
    };
    // A player of a simulcast stream picks its layer: `{stream}@{rid}` (see rtc::ingest).
    let stream = match field("layer").filter(|_| !publish) {
        Some(layer) => format!("{stream}@{layer}"),
        None => stream,
    };
    let host = crate::http::host(&headers).to_owned();
    let vhost = crate::http::vhost(&ctx, &query, &headers);
    let request = request(vhost, &host, &app, &stream, &query, token.as_deref());
    let sdp = String::from_utf8_lossy(&body).into_owned();
    let eip = field("eip").and_then(|ip| ip.parse().ok());
    match start(&ctx, &endpoint, sdp, request, publish, &connection, eip).await {
        Ok(answer) => {
            let mut response = (StatusCode::CREATED, answer.sdp).into_response();
            let headers = response.headers_mut();
            cors(headers);
            headers.insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/sdp"),
            );
            if let Ok(location) = HeaderValue::from_str(&format!("{RESOURCE}{}", answer.id)) {
                headers.insert(header::LOCATION, location);
            }
            if let Some(etag) = endpoint
                .etag(&answer.id)
                .and_then(|e| HeaderValue::from_str(&e).ok())
            {
                headers.insert(header::ETAG, etag);
            }
            response
        }
        Err(refused) => refusal(refused),
    }
}

/// The status and text of a refused offer.
fn refusal(refused: Refused) -> Response {
    let status = match &refused {
        Refused::BadOffer(_) => StatusCode::BAD_REQUEST,
        // RFC 9725 asks for a 4xx; 406 says the offer's media cannot be had here.
        Refused::Unsupported(_) => StatusCode::NOT_ACCEPTABLE,
        Refused::Denied(denied) if denied.is_busy() => StatusCode::CONFLICT,
        Refused::Denied(_) => StatusCode::FORBIDDEN,
        Refused::TooMany(_) => StatusCode::SERVICE_UNAVAILABLE,
    };
    text(status, &format!("{refused}\n"))
}

/// Admits and answers an offer.
async fn start(
    ctx: &Arc<Context>,
    endpoint: &Arc<Endpoint>,
    sdp: String,
    request: ClientRequest,
    publish: bool,
    connection: &Connection,
    eip: Option<IpAddr>,
) -> Result<peer::Answer, Refused> {
    info!(peer = %connection.peer, publish, stream = %crate::session::key(&request), "rtc offer");
    peer::start(
        ctx,
        endpoint,
        Offer {
            sdp,
            request,
            publish,
            peer: connection.peer,
            eip,
        },
    )
    .await
}

/// `DELETE` and `PATCH` on a session's resource.
async fn resource(
    State(ctx): State<Arc<Context>>,
    Path(id): Path<String>,
    method: Method,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let Some(endpoint) = ctx.rtc.clone() else {
        return text(StatusCode::NOT_FOUND, "no such session\n");
    };
    if method == Method::OPTIONS {
        return preflight().await;
    }
    if let Err(response) = bearer(&ctx, &headers) {
        return response;
    }
    let Some(current) = endpoint.etag(&id) else {
        return text(StatusCode::NOT_FOUND, "no such session\n");
    };
    match method {
        Method::DELETE if endpoint.close(&id) => ok(StatusCode::OK),
        Method::DELETE => text(StatusCode::NOT_FOUND, "no such session\n"),
        Method::PATCH => {
            let content_type = headers
                .get(header::CONTENT_TYPE)
                .and_then(|v| v.to_str().ok())
                .unwrap_or("");
            if !content_type.starts_with("application/trickle-ice-sdpfrag") {
                return text(
                    StatusCode::UNSUPPORTED_MEDIA_TYPE,
                    "a PATCH is application/trickle-ice-sdpfrag (RFC 9725 §4.4)\n",
                );
            }
            let wanted = headers.get(header::IF_MATCH).and_then(|v| v.to_str().ok());
            if wanted.is_some_and(|w| w.trim() != "*" && w.trim() != current) {
                return text(
                    StatusCode::PRECONDITION_FAILED,
                    "If-Match names another ICE session (RFC 9725 §4.4.1)\n",
                );
            }
            let limits = weir_sdp::Limits {
                max_bytes: ctx.config().rtc.max_sdp_bytes,
                max_lines: 4096,
            };
            let (fragment, violations) = match weir_sdp::parse_fragment(&body, &limits) {
                Ok(parsed) => parsed,
                Err(e) => return text(StatusCode::BAD_REQUEST, &format!("{e}\n")),
            };
            if let Some(v) = violations.first() {
                return text(
                    StatusCode::BAD_REQUEST,
                    &format!("{}: {} ({})\n", v.rule.id, v.detail, v.rule.spec),
                );
            }
            // A fragment names the ICE session it belongs to (RFC 8840 §4.4): the current
            // credentials trickle, new ones restart.
            if let (Some(ufrag), Some(pass)) = (fragment.ufrag.clone(), fragment.pwd.clone())
                && endpoint.is_new_ufrag(&id, &ufrag)
            {
                return restart(&endpoint, &id, str0m::IceCreds { ufrag, pass });
            }
            let candidates: Vec<String> = fragment
                .candidates()
                .map(|(_, c)| weir_sdp::Attribute::Candidate(c.clone()).to_string())
                .collect();
            if !candidates.is_empty() {
                endpoint.command(&id, Inbound::Candidates(candidates));
            }
            ok(StatusCode::NO_CONTENT)
        }
        _ => text(
            StatusCode::METHOD_NOT_ALLOWED,
            "DELETE or PATCH a session\n",
        ),
    }
}

/// SRS's JSON signalling, `POST /rtc/v1/publish/` or `/rtc/v1/play/`: `{"streamurl":
/// "webrtc://host/app/stream?k=v", "sdp": offer}`.
async fn srs(
    State(ctx): State<Arc<Context>>,
    uri: axum::http::Uri,
    axum::Extension(connection): axum::Extension<Connection>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let publish = uri.path().starts_with("/rtc/v1/publish");
    /// SRS's error code for a request it cannot read (`ERROR_RTC_API_BODY`).
    const ERROR_BODY: u32 = 5012;
    /// SRS's error code for an offer it refused (`ERROR_RTC_SDP_EXCHANGE`).
    const ERROR_SDP: u32 = 5032;
    let reply = |status: StatusCode, fields: serde_json::Value| {
        let mut body = json!({"server": ctx.server_id, "service": ctx.service_id, "pid": std::process::id().to_string()});
        if let (Some(body), serde_json::Value::Object(fields)) = (body.as_object_mut(), fields) {
            body.extend(fields);
        }
        let mut response = (status, axum::Json(body)).into_response();
        cors(response.headers_mut());
        response
    };
    let Some(endpoint) = ctx.rtc.clone() else {
        return reply(
            StatusCode::SERVICE_UNAVAILABLE,
            json!({"code": ERROR_SDP, "msg": "WebRTC is disabled"}),
        );
    };
    let parsed: Option<(String, String)> = serde_json::from_slice::<serde_json::Value>(&body)
        .ok()
        .and_then(|v| {
            Some((
                v.get("streamurl")?.as_str()?.to_owned(),
                v.get("sdp")?.as_str()?.to_owned(),
            ))
        });
    let Some((url, sdp)) = parsed else {
        return reply(
            StatusCode::BAD_REQUEST,
            json!({"code": ERROR_BODY, "msg": "the body is JSON with streamurl and sdp"}),
        );
    };
    let Some((host, app, stream, query)) = stream_url(&url) else {
        return reply(
            StatusCode::BAD_REQUEST,
            json!({"code": ERROR_BODY, "msg": format!("{url}: a streamurl is webrtc://host/app/stream")}),
        );
    };
    let vhost = crate::http::vhost(&ctx, &query, &headers);
    let request = request(vhost, &host, &app, &stream, &query, None);
    let eip = field(&query, "eip").and_then(|ip| ip.parse().ok());
    match start(&ctx, &endpoint, sdp, request, publish, &connection, eip).await {
        Ok(answer) => reply(
            StatusCode::OK,
            json!({"code": 0, "sdp": answer.sdp, "sessionid": answer.id, "simulator": ""}),
        ),
        Err(refused) => reply(
            StatusCode::OK,
            json!({"code": ERROR_SDP, "msg": refused.to_string()}),
        ),
    }
}

/// `webrtc://host[:port]/app/stream[?query]` as (host, app, stream, query).
fn stream_url(url: &str) -> Option<(String, String, String, String)> {
    let rest = url.split_once("://").map_or(url, |(_, rest)| rest);
    let (path, query) = rest.split_once('?').unwrap_or((rest, ""));
    let (host, path) = path.split_once('/')?;
    let (app, stream) = path.rsplit_once('/')?;
    (!app.is_empty() && !stream.is_empty()).then(|| {
        (
            host.split(':').next().unwrap_or("").to_owned(),
            app.to_owned(),
            stream.to_owned(),
            query.to_owned(),
        )
    })
}

/// The request a WebRTC session makes, as every other protocol's (the callbacks see it).
fn request(
    vhost: String,
    host: &str,
    app: &str,
    stream: &str,
    query: &str,
    token: Option<&str>,
) -> ClientRequest {
    let mut param = query.to_owned();
    if let Some(token) = token.filter(|_| field(query, "token").is_none()) {
        if !param.is_empty() {
            param.push('&');
        }
        param.push_str("token=");
        param.push_str(token);
    }
    ClientRequest {
        vhost,
        app: app.to_owned(),
        stream: stream.to_owned(),
        param: if param.is_empty() {
            String::new()
        } else {
            format!("?{param}")
        },
        tc_url: format!("webrtc://{host}/{app}"),
        ..ClientRequest::default()
    }
}

/// A query field's value (`app`, `stream`, `eip`...).
fn field(query: &str, name: &str) -> Option<String> {
    query
        .split('&')
        .filter_map(|kv| kv.split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_owned())
        .filter(|v| !v.is_empty())
}

/// The request's bearer token (RFC 6750 §2.1), or the refusal when `rtc.token` requires one
/// that is missing or wrong.
#[allow(clippy::result_large_err)]
fn bearer(ctx: &Context, headers: &HeaderMap) -> Result<Option<String>, Response> {
    let given = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            v.split_once(' ')
                .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
        })
        .map(|(_, token)| token.trim().to_owned());
    let required = &ctx.config().rtc.token;
    if required.is_empty() {
        return Ok(given);
    }
    let challenge = match &given {
        None => "Bearer",
        Some(token) if token == required => return Ok(given),
        Some(_) => "Bearer error=\"invalid_token\"",
    };
    let mut response = text(
        StatusCode::UNAUTHORIZED,
        "a bearer token is required (RFC 9725 §4.5)\n",
    );
    response.headers_mut().insert(
        header::WWW_AUTHENTICATE,
        HeaderValue::from_static(challenge),
    );
    Err(response)
}

/// An ICE restart (RFC 9725 §4.4.2): the answer is a fragment with the new credentials and
/// the candidates, under the new ICE session's ETag.
fn restart(endpoint: &Endpoint, id: &str, remote: str0m::IceCreds) -> Response {
    let Some((local, candidates)) = endpoint.restart_ice(id, remote) else {
        return text(StatusCode::NOT_FOUND, "no such session\n");
    };
    let mut frag = format!(
        "a=ice-lite\r\na=ice-ufrag:{}\r\na=ice-pwd:{}\r\n",
        local.ufrag, local.pass
    );
    for addr in candidates {
        if let Ok(c) = str0m::Candidate::host(addr, "udp") {
            frag.push_str(&format!("a={}\r\n", c.to_sdp_string()));
        }
    }
    let mut response = (StatusCode::OK, frag).into_response();
    let headers = response.headers_mut();
    cors(headers);
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/trickle-ice-sdpfrag"),
    );
    if let Some(etag) = endpoint
        .etag(id)
        .and_then(|e| HeaderValue::from_str(&e).ok())
    {
        headers.insert(header::ETAG, etag);
    }
    response
}

/// The CORS preflight answer.
async fn preflight() -> Response {
    ok(StatusCode::NO_CONTENT)
}

fn ok(status: StatusCode) -> Response {
    let mut response = status.into_response();
    cors(response.headers_mut());
    response
}

fn text(status: StatusCode, message: &str) -> Response {
    let mut response = (status, message.to_owned()).into_response();
    cors(response.headers_mut());
    response
}

/// What lets a page from anywhere publish and play (RFC 9725 §4.8 leaves CORS to the
/// endpoint; a browser needs these to read `Location` and `ETag`).
fn cors(headers: &mut HeaderMap) {
    for (name, value) in [
        (header::ACCESS_CONTROL_ALLOW_ORIGIN, "*"),
        (
            header::ACCESS_CONTROL_ALLOW_METHODS,
            "GET, POST, PATCH, DELETE, OPTIONS",
        ),
        (
            header::ACCESS_CONTROL_ALLOW_HEADERS,
            "Authorization, Content-Type, If-Match",
        ),
        (
            header::ACCESS_CONTROL_EXPOSE_HEADERS,
            "Location, ETag, Link, Accept-Patch",
        ),
    ] {
        headers.insert(name, HeaderValue::from_static(value));
    }
    headers.insert(
        header::HeaderName::from_static("accept-patch"),
        HeaderValue::from_static("application/trickle-ice-sdpfrag"),
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_stream_url_names_host_app_stream_and_query() {
        assert_eq!(
            stream_url("webrtc://example.com:1985/live/cam?k=1"),
            Some((
                "example.com".into(),
                "live".into(),
                "cam".into(),
                "k=1".into()
            ))
        );
        assert_eq!(stream_url("webrtc://host/live"), None);
    }

    #[test]
    fn a_bearer_token_reaches_the_callbacks_as_the_token_field() {
        let r = request("v".into(), "h", "live", "s", "a=1", Some("secret"));
        assert_eq!(r.param, "?a=1&token=secret");
        let r = request("v".into(), "h", "live", "s", "token=q", Some("secret"));
        assert_eq!(r.param, "?token=q");
    }
}
