//! Server-wide counters for `/metrics` (connections, bytes, rule violations per rule id) and
//! the rendering of `/metrics` in Prometheus's text format 0.0.4. Streams and clients are
//! counted from the hub and the client list when rendered; hook latency comes from
//! [`crate::hooks`]; CPU and memory from [`crate::system`].
//!
//! Three groups of families, all in one answer:
//! - `weir_*`: this server's own;
//! - `srs_*`: the names SRS's exporter uses (`SrsGoApiMetrics` in SRS's
//!   trunk/src/app/srs_app_http_api.cpp, and its Prometheus exporter documentation), so that
//!   dashboards built for SRS work unchanged; each is filled with the same meaning;
//! - `weir_stream_*`: one series per stream, labelled `vhost`, `app`, `stream`, for at most
//!   `api.metrics_streams` streams (those with the most players) so that a server with many
//!   streams cannot grow Prometheus's series without bound; `weir_streams_omitted` says how
//!   many were left out.

use crate::Context;
use std::collections::BTreeMap;
use std::fmt::{Display, Write};
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};

#[derive(Default)]
pub struct Metrics {
    /// Connections accepted, per protocol ("rtmp", "http").
    pub connections: Counters,
    pub recv_bytes: AtomicU64,
    pub send_bytes: AtomicU64,
    /// Peers' rule violations, per rule id.
    pub violations: Counters,
    /// Connections closed with an error, per protocol.
    pub errors: Counters,
    /// Packets dropped unread, per reason ("gb28181-unknown-ssrc", ...).
    pub dropped: Counters,
    /// Connections refused before any session, per reason ("srt-per-ip").
    pub refused: Counters,
    /// Players dropped for not reading.
    pub stalled_players: AtomicU64,
    /// Times a player written to directly by its stream was handed back to its own task
    /// (its socket was full, it had something to say, or an item needed it).
    pub direct_handovers: AtomicU64,
    /// Times a WebRTC player was handed to its stream's direct writes (`rtc::direct`).
    pub rtc_direct_players: AtomicU64,
    /// Recordings' files completed, their bytes, and files lost to a write that failed.
    pub dvr_files: AtomicU64,
    pub dvr_bytes: AtomicU64,
    pub dvr_errors: AtomicU64,
    /// Players sent to another node of the origin cluster, per protocol ("rtmp", "http",
    /// "hls").
    pub redirects: Counters,
    /// An edge's pulls from origins started, and those that ended (failed, refused, lost).
    pub edge_pulls: AtomicU64,
    pub edge_pull_failures: AtomicU64,
}

/// Counters keyed by a static name.
#[derive(Default)]
pub struct Counters(Mutex<BTreeMap<&'static str, u64>>);

impl Counters {
    pub fn add(&self, key: &'static str, n: u64) {
        *self.0.lock().unwrap().entry(key).or_default() += n;
    }

    pub fn snapshot(&self) -> Vec<(&'static str, u64)> {
        self.0
            .lock()
            .unwrap()
            .iter()
            .map(|(k, v)| (*k, *v))
            .collect()
    }

    pub fn get(&self, key: &str) -> u64 {
        self.0.lock().unwrap().get(key).copied().unwrap_or(0)
    }
}

impl Metrics {
    pub fn add_recv(&self, n: u64) {
        self.recv_bytes.fetch_add(n, Relaxed);
    }

    pub fn add_sent(&self, n: u64) {
        self.send_bytes.fetch_add(n, Relaxed);
    }
}

/// `/metrics`: every family, in Prometheus's text format 0.0.4.
pub fn render(ctx: &Context) -> String {
    let mut out = String::new();
    render_weir(ctx, &mut out);
    render_srs(ctx, &mut out);
    render_streams(ctx, &mut out);
    ctx.hooks.render_metrics(&mut out);
    out
}

/// One family: its HELP and TYPE lines, then a line per sample (`labels` already rendered by
/// [`labels`], empty for none).
pub(crate) fn write_family<T: Display>(
    out: &mut String,
    name: &str,
    kind: &str,
    help: &str,
    samples: &[(String, T)],
) {
    let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} {kind}");
    for (labels, value) in samples {
        let _ = writeln!(out, "{name}{labels} {value}");
    }
}

/// `{name="value",...}` with each value escaped as the text format requires (backslash,
/// double quote and line feed): stream names and client ids come from peers.
pub(crate) fn labels(pairs: &[(&str, &str)]) -> String {
    let mut out = String::from("{");
    for (i, (name, value)) in pairs.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        let _ = write!(out, "{name}=\"");
        for c in value.chars() {
            match c {
                '\\' => out.push_str("\\\\"),
                '"' => out.push_str("\\\""),
                '\n' => out.push_str("\\n"),
                c => out.push(c),
            }
        }
        out.push('"');
    }
    out.push('}');
    out
}

fn load(counter: &AtomicU64) -> u64 {
    counter.load(Relaxed)
}

/// The `weir_*` families.
fn render_weir(ctx: &Context, out: &mut String) {
    let m = &ctx.metrics;
    let mut family = |name: &str, kind: &str, help: &str, samples: &[(String, u64)]| {
        write_family(out, name, kind, help, samples)
    };
    let labelled = |label: &str, pairs: Vec<(&'static str, u64)>| -> Vec<(String, u64)> {
        pairs
            .into_iter()
            .map(|(k, v)| (labels(&[(label, k)]), v))
            .collect()
    };
    family(
        "weir_connections_total",
        "counter",
        "Connections accepted, per protocol.",
        &labelled("protocol", m.connections.snapshot()),
    );
    family(
        "weir_clients",
        "gauge",
        "Clients connected now.",
        &[(String::new(), ctx.clients.len() as u64)],
    );
    let streams = ctx.hub.streams();
    let published = streams.iter().filter(|s| s.has_publisher()).count();
    family(
        "weir_streams",
        "gauge",
        "Streams with a publisher now.",
        &[(String::new(), published as u64)],
    );
    family(
        "weir_player_skipped_items_total",
        "counter",
        "Items players lost by falling a whole ring behind (each then waits for a keyframe).",
        &[(String::new(), ctx.hub.skipped_items())],
    );
    family(
        "weir_received_bytes_total",
        "counter",
        "Bytes received from peers.",
        &[(String::new(), load(&m.recv_bytes))],
    );
    family(
        "weir_sent_bytes_total",
        "counter",
        "Bytes sent to peers.",
        &[(String::new(), load(&m.send_bytes))],
    );
    family(
        "weir_connection_errors_total",
        "counter",
        "Connections closed on an error, per protocol.",
        &labelled("protocol", m.errors.snapshot()),
    );
    family(
        "weir_stalled_players_total",
        "counter",
        "Players disconnected for not reading.",
        &[(String::new(), load(&m.stalled_players))],
    );
    family(
        "weir_direct_handovers_total",
        "counter",
        "Players the stream wrote to directly that went back to their own task.",
        &[(String::new(), load(&m.direct_handovers))],
    );
    family(
        "weir_rtc_direct_players_total",
        "counter",
        "WebRTC players handed to their stream's direct writes.",
        &[(String::new(), load(&m.rtc_direct_players))],
    );
    family(
        "weir_dvr_files_total",
        "counter",
        "Recordings' files completed ([dvr]).",
        &[(String::new(), load(&m.dvr_files))],
    );
    family(
        "weir_dvr_bytes_total",
        "counter",
        "Bytes of the recordings' completed files.",
        &[(String::new(), load(&m.dvr_bytes))],
    );
    family(
        "weir_dvr_errors_total",
        "counter",
        "Recordings' files abandoned because a directory or write failed (disk full, no permission).",
        &[(String::new(), load(&m.dvr_errors))],
    );
    if let Some(registry) = &ctx.registry {
        family(
            "weir_cluster_registry_up",
            "gauge",
            "Whether the origin cluster's registry (Redis) answered the last call.",
            &[(String::new(), u64::from(registry.reachable()))],
        );
        family(
            "weir_cluster_registry_errors_total",
            "counter",
            "Registry calls that failed (Redis unreachable, slow or refusing).",
            &[(String::new(), registry.errors())],
        );
        family(
            "weir_cluster_redirects_total",
            "counter",
            "Players redirected to the origin that holds their stream, per protocol.",
            &labelled("protocol", m.redirects.snapshot()),
        );
    }
    family(
        "weir_edge_upstreams",
        "gauge",
        "Streams an edge pulls from origins now ([cluster] mode = \"edge\").",
        &[(String::new(), ctx.edges.len() as u64)],
    );
    family(
        "weir_edge_pulls_total",
        "counter",
        "Pulls from an origin an edge started.",
        &[(String::new(), load(&m.edge_pulls))],
    );
    family(
        "weir_edge_pull_failures_total",
        "counter",
        "An edge's pulls that ended: the origin refused, failed, closed or sent no media.",
        &[(String::new(), load(&m.edge_pull_failures))],
    );
    let (hls_streams, hls_bytes) = ctx.hls.usage();
    family(
        "weir_hls_streams",
        "gauge",
        "Streams with an HLS playlist (live or recently ended).",
        &[(String::new(), hls_streams as u64)],
    );
    family(
        "weir_hls_segment_bytes",
        "gauge",
        "Bytes of HLS segments held in memory.",
        &[(String::new(), hls_bytes as u64)],
    );
    // Each SRT connection's transport, labelled by client id (the API's `srt` object).
    let srt = ctx
        .srt
        .as_ref()
        .map(|srt| srt.all_stats())
        .unwrap_or_default();
    let per_connection = |value: fn(&crate::srt::SrtStats) -> u64| -> Vec<(String, u64)> {
        srt.iter()
            .map(|(id, s)| (labels(&[("client", id)]), value(s)))
            .collect()
    };
    for (name, kind, help, value) in [
        (
            "weir_srt_rtt_microseconds",
            "gauge",
            "An SRT connection's smoothed round-trip time.",
            (|s| (s.rtt_ms * 1000.0) as u64) as fn(&crate::srt::SrtStats) -> u64,
        ),
        (
            "weir_srt_latency_milliseconds",
            "gauge",
            "An SRT connection's receive latency (TSBPD delay).",
            |s| u64::from(s.latency_ms),
        ),
        (
            "weir_srt_packets_lost_total",
            "counter",
            "Packets an SRT connection found missing.",
            |s| s.packets_lost,
        ),
        (
            "weir_srt_packets_retransmitted_total",
            "counter",
            "Packets an SRT connection sent again.",
            |s| s.packets_retransmitted,
        ),
        (
            "weir_srt_packets_dropped_total",
            "counter",
            "Packets an SRT connection skipped as too late, received or sent.",
            |s| s.packets_dropped + s.packets_send_dropped,
        ),
    ] {
        family(name, kind, help, &per_connection(value));
    }
    family(
        "weir_rule_violations_total",
        "counter",
        "Rule violations by peers, per rule id.",
        &labelled("rule", m.violations.snapshot()),
    );
    family(
        "weir_dropped_packets_total",
        "counter",
        "Packets dropped unread, per reason.",
        &labelled("reason", m.dropped.snapshot()),
    );
    family(
        "weir_refused_connections_total",
        "counter",
        "Connections refused before they became clients, per reason.",
        &labelled("reason", m.refused.snapshot()),
    );
}

/// The families SRS's exporter serves, by the same names, types and meanings.
fn render_srs(ctx: &Context, out: &mut String) {
    let m = &ctx.metrics;
    let system = ctx.system.snapshot();
    let one = |value: u64| [(String::new(), value)];
    let uname = ctx.system.uname();
    write_family(
        out,
        "srs_node_uname_info",
        "gauge",
        "The operating system, host name and machine, as uname(2) reports them.",
        &[(
            labels(&[
                ("sysname", &uname.sysname),
                ("nodename", &uname.nodename),
                ("release", &uname.release),
                ("version", &uname.version),
                ("machine", std::env::consts::ARCH),
            ]),
            1,
        )],
    );
    let pid = std::process::id().to_string();
    let version = env!("CARGO_PKG_VERSION");
    let major = version.split('.').next().unwrap_or("0");
    write_family(
        out,
        "srs_build_info",
        "gauge",
        "Always 1, labelled with this server's ids, pid and version.",
        &[(
            labels(&[
                ("server", &ctx.server_id),
                ("service", &ctx.service_id),
                ("pid", &pid),
                ("major", major),
                ("version", version),
            ]),
            1,
        )],
    );
    write_family(
        out,
        "srs_cpu_percent",
        "gauge",
        "CPU this process used over the last sample, percent of one core.",
        &[(String::new(), system.self_cpu * 100.0)],
    );
    write_family(
        out,
        "srs_memory",
        "gauge",
        "Resident memory of this process, KiB.",
        &one(system.rss_kbyte),
    );
    write_family(
        out,
        "srs_send_bytes_total",
        "counter",
        "Bytes sent to peers.",
        &one(load(&m.send_bytes)),
    );
    write_family(
        out,
        "srs_receive_bytes_total",
        "counter",
        "Bytes received from peers.",
        &one(load(&m.recv_bytes)),
    );
    write_family(
        out,
        "srs_streams",
        "gauge",
        "Streams now, published or waited for by players.",
        &one(ctx.hub.streams().len() as u64),
    );
    write_family(
        out,
        "srs_clients",
        "gauge",
        "Clients connected now.",
        &one(ctx.clients.len() as u64),
    );
    write_family(
        out,
        "srs_clients_total",
        "counter",
        "Clients connected since start.",
        &one(ctx.clients.registered()),
    );
    let errors: u64 = m.errors.snapshot().iter().map(|(_, n)| n).sum();
    write_family(
        out,
        "srs_clients_errs_total",
        "counter",
        "Connections closed on an error since start.",
        &one(errors),
    );
}

/// One stream's series.
struct StreamSample {
    labels: String,
    players: u64,
    recv_kbps: u64,
    send_kbps: u64,
    recv_bytes: u64,
    send_bytes: u64,
    frames: u64,
}

/// The `weir_stream_*` families, for the `api.metrics_streams` streams with the most players.
fn render_streams(ctx: &Context, out: &mut String) {
    let now = ctx.hub.now_ms();
    let mut streams: Vec<StreamSample> = ctx
        .hub
        .streams()
        .iter()
        .map(|stream| {
            let info = stream.info();
            let (recv_kbps, send_kbps) = stream.kbps(now);
            StreamSample {
                labels: labels(&[
                    ("vhost", &info.key.vhost),
                    ("app", &info.key.app),
                    ("stream", &info.key.stream),
                ]),
                players: info.subscribers as u64,
                recv_kbps,
                send_kbps,
                recv_bytes: stream.recv_bytes(),
                send_bytes: stream.send_bytes(),
                frames: stream.frames(),
            }
        })
        .collect();
    // Most players first; the labels order equal counts, so the choice is stable.
    streams.sort_by(|a, b| b.players.cmp(&a.players).then(a.labels.cmp(&b.labels)));
    let total = streams.len();
    streams.truncate(ctx.config().api.metrics_streams);
    write_family(
        out,
        "weir_streams_omitted",
        "gauge",
        "Streams left out of the weir_stream_* families (api.metrics_streams).",
        &[(String::new(), total - streams.len())],
    );
    let series = |value: fn(&StreamSample) -> u64| -> Vec<(String, u64)> {
        streams
            .iter()
            .map(|s| (s.labels.clone(), value(s)))
            .collect()
    };
    write_family(
        out,
        "weir_stream_players",
        "gauge",
        "Players of a stream now.",
        &series(|s| s.players),
    );
    write_family(
        out,
        "weir_stream_bitrate_in_kbps",
        "gauge",
        "A stream's bitrate from its publisher, kbit/s over the last 30 s.",
        &series(|s| s.recv_kbps),
    );
    write_family(
        out,
        "weir_stream_bitrate_out_kbps",
        "gauge",
        "A stream's bitrate to its players, kbit/s over the last 30 s.",
        &series(|s| s.send_kbps),
    );
    write_family(
        out,
        "weir_stream_received_bytes_total",
        "counter",
        "Bytes a stream received from its publisher.",
        &series(|s| s.recv_bytes),
    );
    write_family(
        out,
        "weir_stream_sent_bytes_total",
        "counter",
        "Bytes a stream sent to its players.",
        &series(|s| s.send_bytes),
    );
    write_family(
        out,
        "weir_stream_frames_total",
        "counter",
        "Frames a stream received from its publisher.",
        &series(|s| s.frames),
    );
}

#[cfg(test)]
mod tests {
    use super::{labels, write_family};

    #[test]
    fn label_values_are_escaped() {
        assert_eq!(labels(&[]), "{}");
        assert_eq!(
            labels(&[("app", "live"), ("stream", "a\"b\\c\nd")]),
            r#"{app="live",stream="a\"b\\c\nd"}"#
        );
    }

    #[test]
    fn a_family_is_help_type_then_samples() {
        let mut out = String::new();
        write_family(
            &mut out,
            "srs_cpu_percent",
            "gauge",
            "CPU.",
            &[(String::new(), 12.5)],
        );
        write_family(
            &mut out,
            "weir_stream_players",
            "gauge",
            "Players.",
            &[(labels(&[("stream", "s")]), 3)],
        );
        assert_eq!(
            out,
            "# HELP srs_cpu_percent CPU.\n# TYPE srs_cpu_percent gauge\nsrs_cpu_percent 12.5\n\
             # HELP weir_stream_players Players.\n# TYPE weir_stream_players gauge\n\
             weir_stream_players{stream=\"s\"} 3\n"
        );
    }
}
