//! JSONP, as SRS answers every API request: `?callback=fn` wraps a JSON reply as `fn(...)`,
//! served as `application/javascript`, for pages that load the API with a `<script>` tag.
//!
//! The name is checked before anything runs, since it is written into a script the page
//! executes: letters, digits, `_`, `.` and `$` only, at most [`MAX_CALLBACK`] bytes, else 400.

use super::reply;
use crate::Context;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::Response;
use serde_json::json;
use std::sync::Arc;

/// The longest callback name taken.
const MAX_CALLBACK: usize = 128;

/// The largest JSON reply wrapped; API replies are a few KiB (a page of clients or streams).
const MAX_BODY: usize = 16 * 1024 * 1024;

/// Wraps the reply when the query names a callback.
pub(super) async fn wrap(
    State(ctx): State<Arc<Context>>,
    request: Request,
    next: Next,
) -> Response {
    let callback = match callback(request.uri().query().unwrap_or("")) {
        Ok(None) => return next.run(request).await,
        Ok(Some(name)) => name,
        Err(()) => {
            return reply(
                &ctx,
                StatusCode::BAD_REQUEST,
                StatusCode::BAD_REQUEST.as_u16().into(),
                json!({"error": "callback: letters, digits, _, . and $ only"}),
            );
        }
    };
    let response = next.run(request).await;
    let json = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"));
    if !json {
        return response;
    }
    let (mut parts, body) = response.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, MAX_BODY).await else {
        return reply(&ctx, StatusCode::INTERNAL_SERVER_ERROR, 500, json!({}));
    };
    let mut wrapped = Vec::with_capacity(callback.len() + bytes.len() + 2);
    wrapped.extend_from_slice(callback.as_bytes());
    wrapped.push(b'(');
    wrapped.extend_from_slice(&bytes);
    wrapped.push(b')');
    parts.headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/javascript"),
    );
    parts.headers.remove(header::CONTENT_LENGTH);
    Response::from_parts(parts, Body::from(wrapped))
}

/// The `callback` of a query string, decoded as forms are (`application/x-www-form-urlencoded`)
/// and checked: `Ok(None)` when absent or empty (no JSONP, as SRS), `Err` when it holds
/// anything but the allowed characters or is too long.
pub(crate) fn callback(query: &str) -> Result<Option<String>, ()> {
    let Some((_, name)) = form_urlencoded::parse(query.as_bytes()).find(|(k, _)| k == "callback")
    else {
        return Ok(None);
    };
    if name.is_empty() {
        return Ok(None);
    }
    let allowed = |c: char| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '$');
    if name.len() > MAX_CALLBACK || !name.chars().all(allowed) {
        return Err(());
    }
    Ok(Some(name.into_owned()))
}

#[cfg(test)]
mod tests {
    use super::callback;

    #[test]
    fn callback_names_are_checked() {
        assert_eq!(callback("callback=fn"), Ok(Some("fn".into())));
        assert_eq!(
            callback("start=0&callback=jQuery.cb_1%24x"),
            Ok(Some("jQuery.cb_1$x".into()))
        );
        assert_eq!(callback("start=0"), Ok(None));
        assert_eq!(callback("callback="), Ok(None));
        for bad in [
            "callback=a(b",
            "callback=alert(1)//",
            "callback=a%28",
            "callback=a%2",
            "callback=a%zz",
            "callback=a+b",
            "callback=%3Cscript%3E",
        ] {
            assert_eq!(callback(bad), Err(()), "{bad}");
        }
        assert_eq!(
            callback(&format!("callback={}", "a".repeat(128))).map(|n| n.map(|n| n.len())),
            Ok(Some(128))
        );
        assert_eq!(callback(&format!("callback={}", "a".repeat(129))), Err(()));
    }

    #[test]
    fn every_short_query_gives_an_allowed_name_or_an_error() {
        // Every string of up to 4 characters over an alphabet with the escapes' pieces, the
        // allowed classes and script characters: no panic, and nothing else gets through.
        let alphabet = [
            '%', '2', '4', '8', 'a', 'G', '$', '.', '_', '(', '<', '&', '=', 'é',
        ];
        let mut inputs = vec![String::new()];
        for _ in 0..4 {
            let longer: Vec<String> = inputs
                .iter()
                .flat_map(|s| alphabet.iter().map(move |c| format!("{s}{c}")))
                .collect();
            inputs.extend(longer);
        }
        for input in inputs {
            if let Ok(Some(name)) = callback(&format!("callback={input}")) {
                assert!(
                    name.bytes()
                        .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'_' | b'.' | b'$')),
                    "{input:?} gave {name:?}"
                );
            }
        }
    }
}
