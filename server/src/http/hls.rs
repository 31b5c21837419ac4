//! HLS over HTTP: the live playlist and its segments, from the packagers' store (RFC 8216
//! §4, §6.2). A playlist is never cached by the client (it changes with every segment); a
//! segment never changes, so it may be.

use super::{cors, status};
use crate::Context;
use axum::body::Body;
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use weir_hub::StreamKey;

/// `/{app}/{stream}.m3u8`.
pub fn playlist(ctx: &Context, key: &StreamKey, method: &Method) -> Response {
    let Some(hls) = ctx.hls.get(key) else {
        return status(StatusCode::NOT_FOUND, "no such HLS stream\n");
    };
    let text = {
        let hls = hls.lock().unwrap();
        if hls.playlist.segments().next().is_none() {
            // Not one segment yet: a playlist without segments is of no use to a client.
            return status(StatusCode::NOT_FOUND, "no segment yet\n");
        }
        hls.playlist.render()
    };
    respond(
        Bytes::from(text),
        "application/vnd.apple.mpegurl",
        "no-cache",
        method,
    )
}

/// `/{app}/{stream}-{n}.ts`, if the store has it.
pub fn segment(ctx: &Context, key: &StreamKey, number: u64, method: &Method) -> Option<Response> {
    let data = ctx.hls.get(key)?.lock().unwrap().segment(number)?;
    Some(respond(data, "video/MP2T", "max-age=3600", method))
}

fn respond(
    data: Bytes,
    content_type: &'static str,
    cache: &'static str,
    method: &Method,
) -> Response {
    let length = data.len();
    let body = match *method {
        Method::HEAD => Body::empty(),
        _ => Body::from(data),
    };
    let mut response = (StatusCode::OK, body).into_response();
    cors(response.headers_mut());
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
    headers.insert(header::CONTENT_LENGTH, HeaderValue::from(length));
    response
}
