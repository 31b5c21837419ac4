//! HTTP basic authentication of the API (RFC 7617), SRS's `http_api.auth`: with
//! `api.username` or `api.password` set, a request without those credentials is answered 401
//! with a `WWW-Authenticate: Basic` challenge (RFC 7235 §3.1).
//!
//! Left open: WebRTC signalling under `/rtc/` (browsers call it, with its own bearer token,
//! `rtc.token`), and `/metrics` when `api.metrics_auth = false`.

use super::reply;
use crate::Context;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::Response;
use base64::Engine;
use serde_json::json;
use std::sync::Arc;

/// The challenge: the protection space (RFC 7235 §2.2) and the charset credentials are
/// encoded in (RFC 7617 §2.1).
const CHALLENGE: &str = "Basic realm=\"weir\", charset=\"UTF-8\"";

/// Passes the request on if it needs no credentials or carries the right ones.
pub(super) async fn require(
    State(ctx): State<Arc<Context>>,
    request: Request,
    next: Next,
) -> Response {
    let config = ctx.config();
    let api = &config.api;
    let path = request.uri().path();
    let open = !api.auth_enabled()
        || path.starts_with("/rtc/")
        || (path == "/metrics" && !api.metrics_auth);
    if open || authorized(request.headers(), &api.username, &api.password) {
        return next.run(request).await;
    }
    tracing::debug!(path, "API request without valid credentials");
    let mut response = reply(
        &ctx,
        StatusCode::UNAUTHORIZED,
        StatusCode::UNAUTHORIZED.as_u16().into(),
        json!({}),
    );
    response.headers_mut().insert(
        header::WWW_AUTHENTICATE,
        HeaderValue::from_static(CHALLENGE),
    );
    response
}

/// Whether `headers` carry `Authorization: Basic base64(username ":" password)` with these
/// credentials. The scheme name is case-insensitive (RFC 7235 §2.1); the user-id ends at the
/// first colon (RFC 7617 §2).
pub(crate) fn authorized(headers: &HeaderMap, username: &str, password: &str) -> bool {
    let Some(value) = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
    else {
        return false;
    };
    let Some((scheme, encoded)) = value.trim().split_once(' ') else {
        return false;
    };
    if !scheme.eq_ignore_ascii_case("basic") {
        return false;
    }
    let Ok(decoded) = base64::engine::general_purpose::STANDARD.decode(encoded.trim()) else {
        return false;
    };
    let Some(colon) = decoded.iter().position(|b| *b == b':') else {
        return false;
    };
    let (user, pass) = (&decoded[..colon], &decoded[colon + 1..]);
    // Both compared in full whatever the first gives, so that timing tells nothing.
    let user_ok = constant_time_eq(user, username.as_bytes());
    let pass_ok = constant_time_eq(pass, password.as_bytes());
    user_ok & pass_ok
}

/// Equality whose time depends on the lengths only, never on where the bytes differ.
pub(crate) fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    let mut differ = u8::from(a.len() != b.len());
    for i in 0..a.len().max(b.len()) {
        let x = a.get(i).copied().unwrap_or(0);
        let y = b.get(i).copied().unwrap_or(0);
        differ |= std::hint::black_box(x ^ y);
    }
    differ == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with(value: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(header::AUTHORIZATION, HeaderValue::from_str(value).unwrap());
        headers
    }

    #[test]
    fn basic_credentials_are_checked() {
        // "admin:s3cret:x" in base64: the password holds a colon.
        let good = with("Basic YWRtaW46czNjcmV0Ong=");
        assert!(authorized(&good, "admin", "s3cret:x"));
        assert!(authorized(
            &with("basic YWRtaW46czNjcmV0Ong="),
            "admin",
            "s3cret:x"
        ));
        assert!(!authorized(&good, "admin", "s3cret"));
        assert!(!authorized(&good, "root", "s3cret:x"));
        assert!(!authorized(&HeaderMap::new(), "admin", "s3cret:x"));
        assert!(!authorized(
            &with("Bearer YWRtaW46czNjcmV0Ong="),
            "admin",
            "s3cret:x"
        ));
        assert!(!authorized(&with("Basic !!!"), "admin", "s3cret:x"));
        // "admin" alone: no colon.
        assert!(!authorized(&with("Basic YWRtaW4="), "admin", ""));
    }

    #[test]
    fn constant_time_eq_is_equality() {
        assert!(constant_time_eq(b"abc", b"abc"));
        assert!(constant_time_eq(b"", b""));
        assert!(!constant_time_eq(b"abc", b"abd"));
        assert!(!constant_time_eq(b"abc", b"abcd"));
        assert!(!constant_time_eq(b"abc\0", b"abc"));
    }
}
