//! `/api/v1/vhosts` (SRS's `SrsGoApiVhosts` and `SrsStatisticVhost::dumps`: id, name, enabled,
//! clients, streams, bytes, kbps, hls) and the index documents of `/api/` and `/api/v1/`,
//! which list, as SRS's do, what each path serves (only what this server serves).
//!
//! The vhosts are the configured ones: SRS's default vhost and each `[vhosts."name"]`. A
//! vhost's id is derived from its name, so it is the same in every run. Its bytes and kbps
//! are those of its current streams (SRS also keeps what ended streams carried).

use super::{ok, reply};
use crate::Context;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use serde_json::{Value, json};
use std::sync::Arc;

/// SRS's error code for a vhost that does not exist (`ERROR_RTMP_VHOST_NOT_FOUND`).
const ERROR_VHOST_NOT_FOUND: u32 = 2014;

/// `/api/`: the API's versions and the WebRTC signalling paths.
pub(super) async fn api_index(State(ctx): State<Arc<Context>>) -> Response {
    ok(
        &ctx,
        json!({"urls": {
            "api": "this index",
            "v1": "the API, version 1: /api/v1/",
            "rtc": {"v1": {
                "publish": "publish over WebRTC: POST an SDP offer in JSON",
                "play": "play over WebRTC: POST an SDP offer in JSON",
                "whip": "publish over WebRTC: WHIP (RFC 9725)",
                "whep": "play over WebRTC: WHEP",
            }},
        }}),
    )
}

/// `/api/v1/`: what each path under it serves.
pub(super) async fn v1_index(State(ctx): State<Arc<Context>>) -> Response {
    ok(
        &ctx,
        json!({"urls": {
            "versions": "this server's version",
            "summaries": "this process and the machine: pid, argv, cwd, CPU, memory, load, sockets",
            "vhosts": "the configured vhosts, or one by id: /api/v1/vhosts/{id}",
            "streams": "streams (?start=0&count=10), or one by id; kbps, codecs, publisher",
            "clients": "clients (?start=0&count=10), or one by id; DELETE kicks it",
            "raw": "?rpc=reload reloads the configuration (with api.raw_api and api.allow_reload)",
            "cluster": "the origin cluster's registry as this node sees it ([cluster] redis)",
        }}),
    )
}

pub(super) async fn vhosts(State(ctx): State<Arc<Context>>) -> Response {
    let all: Vec<Value> = names(&ctx).iter().map(|n| vhost_json(&ctx, n)).collect();
    ok(&ctx, json!({"vhosts": all}))
}

/// One vhost, by id (or by name, for people typing the URL).
pub(super) async fn vhost(State(ctx): State<Arc<Context>>, Path(id): Path<String>) -> Response {
    match names(&ctx).iter().find(|n| vhost_id(n) == id || **n == id) {
        Some(name) => ok(&ctx, json!({"vhost": vhost_json(&ctx, name)})),
        None => reply(
            &ctx,
            StatusCode::NOT_FOUND,
            ERROR_VHOST_NOT_FOUND,
            json!({}),
        ),
    }
}

/// The default vhost, then the configured ones by name.
fn names(ctx: &Context) -> Vec<String> {
    let mut names = vec![crate::DEFAULT_VHOST.to_owned()];
    names.extend(
        ctx.config()
            .vhosts
            .keys()
            .filter(|n| *n != crate::DEFAULT_VHOST)
            .cloned(),
    );
    names
}

/// `vid-` and 7 base-36 digits of the name's 64-bit FNV-1a hash: SRS's id shape, stable
/// across runs.
pub(crate) fn vhost_id(name: &str) -> String {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in name.bytes() {
        hash ^= u64::from(byte);
        hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
    let digits = b"0123456789abcdefghijklmnopqrstuvwxyz";
    let id: String = (0..7)
        .map(|i| char::from(digits[((hash >> (i * 9)) % 36) as usize]))
        .collect();
    format!("vid-{id}")
}

fn vhost_json(ctx: &Context, name: &str) -> Value {
    let now = ctx.hub.now_ms();
    let streams: Vec<_> = ctx
        .hub
        .streams()
        .into_iter()
        .filter(|s| s.info().key.vhost == name)
        .collect();
    let clients = ctx
        .clients
        .all()
        .iter()
        .filter(|c| c.info(now).request.vhost == name)
        .count();
    let sum = |value: &dyn Fn(&weir_hub::Stream) -> u64| -> u64 {
        streams.iter().map(|s| value(s)).sum()
    };
    let config = ctx.config();
    let hls = &config.hls;
    let mut hls_json = json!({"enabled": hls.enabled});
    if hls.enabled {
        hls_json["fragment"] = json!(hls.fragment.as_secs_f64());
    }
    json!({
        "id": vhost_id(name),
        "name": name,
        "enabled": true,
        "clients": clients,
        "streams": streams.iter().filter(|s| s.has_publisher()).count(),
        "send_bytes": sum(&|s| s.send_bytes()),
        "recv_bytes": sum(&|s| s.recv_bytes()),
        "kbps": {
            "recv_30s": sum(&|s| s.kbps(now).0),
            "send_30s": sum(&|s| s.kbps(now).1),
        },
        "hls": hls_json,
    })
}

#[cfg(test)]
mod tests {
    use super::vhost_id;

    #[test]
    fn vhost_ids_are_stable_and_distinct() {
        let id = vhost_id("__defaultVhost__");
        assert_eq!(id, vhost_id("__defaultVhost__"));
        assert!(id.starts_with("vid-") && id.len() == 11, "{id}");
        assert_ne!(id, vhost_id("studio.example"));
    }
}
