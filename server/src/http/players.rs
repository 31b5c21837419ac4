//! The pages a browser gets from the stream server, built into the binary (nothing loads from
//! the internet): `/` lists the live streams (from the API) and plays any of them by HLS
//! (hls.js), HTTP-FLV or WebSocket-FLV (mpegts.js) or WebRTC (WHEP); `/players/whip.html`
//! publishes the camera by WHIP. SRS's player URLs land on the same pages
//! (`/players/srs_player.html`, `/players/whep.html`, `/players/whip.html`), with SRS's query
//! (`?app=&stream=`, `?url=`). The vendored libraries, their versions and licences are in
//! `server/players/vendor/`.

use super::cors;
use crate::Context;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

const INDEX: &str = include_str!("../../players/index.html");
const WHIP: &str = include_str!("../../players/whip.html");
/// What the pages share: the API's address, the WHIP/WHEP exchange.
const SCRIPT: &str = include_str!("../../players/weir.js");

/// The vendored files: path under `/players/`, content type, bytes.
const FILES: &[(&str, &str, &[u8])] = &[
    (
        "vendor/hls.light.min.js",
        "text/javascript",
        include_bytes!("../../players/vendor/hls.light.min.js"),
    ),
    (
        "vendor/mpegts.js",
        "text/javascript",
        include_bytes!("../../players/vendor/mpegts.js"),
    ),
    (
        "vendor/hls.js.LICENSE",
        "text/plain; charset=utf-8",
        include_bytes!("../../players/vendor/hls.js.LICENSE"),
    ),
    (
        "vendor/mpegts.js.LICENSE",
        "text/plain; charset=utf-8",
        include_bytes!("../../players/vendor/mpegts.js.LICENSE"),
    ),
    (
        "vendor/mpegts.js.LICENSE.txt",
        "text/plain; charset=utf-8",
        include_bytes!("../../players/vendor/mpegts.js.LICENSE.txt"),
    ),
];

/// The page or file at `path` (without its leading `/`), if it is one of ours.
pub fn serve(ctx: &Context, path: &str) -> Option<Response> {
    const HTML: &str = "text/html; charset=utf-8";
    let (content_type, text) = match path {
        ""
        | "players"
        | "players/"
        | "players/index.html"
        | "players/srs_player.html"
        | "players/whep.html" => (HTML, INDEX),
        "players/whip.html" => (HTML, WHIP),
        "players/weir.js" => ("text/javascript", SCRIPT),
        _ => {
            let (_, content_type, bytes) = FILES
                .iter()
                .find(|(name, ..)| path.strip_prefix("players/") == Some(*name))?;
            return Some(answer(content_type, "max-age=86400", bytes.to_vec()));
        }
    };
    // The pages call the API, on its own port: the one this server bound.
    let port = ctx.api_port().to_string();
    let text = text.replace("__WEIR_API_PORT__", &port);
    Some(answer(content_type, "no-cache", text.into_bytes()))
}

fn answer(content_type: &'static str, cache: &'static str, body: Vec<u8>) -> Response {
    let mut response = (StatusCode::OK, body).into_response();
    let headers = response.headers_mut();
    cors(headers);
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
    response
}
