//! `/api/v1/summaries`: this process and the machine it runs on, with the field names of SRS's
//! `srs_api_dump_summaries` (trunk/src/app/srs_app_utility.cpp) and the same units: percentages
//! as fractions (0.25 is 25 %; a process's `cpu_percent` of 1.0 is one core), memory in KiB,
//! times in seconds, `*_sample_time` and `now_ms` in ms since the Unix epoch.
//!
//! Numbers come from the last [`crate::system`] sample (at most two seconds old) and the
//! server's own counters; a request reads no file. Left out: `disk_busy_percent`, which needs
//! a list of disks to watch (SRS's `stats.disk`).

use super::{now_ms, ok};
use crate::Context;
use axum::extract::State;
use axum::response::Response;
use serde_json::json;
use std::sync::Arc;
use std::sync::atomic::Ordering::Relaxed;

pub(super) async fn summaries(State(ctx): State<Arc<Context>>) -> Response {
    let s = ctx.system.snapshot();
    let now = now_ms();
    let mem_percent = match s.mem.total {
        0 => 0.0,
        total => s.rss_kbyte as f64 / total as f64,
    };
    let (recv, send) = (
        ctx.metrics.recv_bytes.load(Relaxed),
        ctx.metrics.send_bytes.load(Relaxed),
    );
    ok(
        &ctx,
        json!({"data": {
            "ok": s.ok,
            "now_ms": now,
            "self": {
                "version": env!("CARGO_PKG_VERSION"),
                "pid": std::process::id(),
                "ppid": s.ppid,
                "argv": std::env::args().collect::<Vec<_>>().join(" "),
                "cwd": std::env::current_dir().map(|d| d.display().to_string()).unwrap_or_default(),
                "mem_kbyte": s.rss_kbyte,
                "mem_percent": mem_percent,
                "cpu_percent": s.self_cpu,
                "srs_uptime": ctx.started.elapsed().as_secs(),
            },
            "system": {
                "cpu_percent": s.system_cpu,
                "disk_read_KBps": s.disk_read_kbps,
                "disk_write_KBps": s.disk_write_kbps,
                "mem_ram_kbyte": s.mem.total,
                "mem_ram_percent": s.mem.ram_used(),
                "mem_swap_kbyte": s.mem.swap_total,
                "mem_swap_percent": s.mem.swap_used(),
                "cpus": s.cpus,
                "cpus_online": s.cpus_online,
                "uptime": s.uptime,
                // SRS's spelling, kept so that its clients find it.
                "ilde_time": s.idle_time,
                "load_1m": s.load[0],
                "load_5m": s.load[1],
                "load_15m": s.load[2],
                "net_sample_time": s.sample_ms,
                "net_recv_bytes": s.net.recv,
                "net_send_bytes": s.net.send,
                "net_recvi_bytes": s.net.recv_intranet,
                "net_sendi_bytes": s.net.send_intranet,
                "srs_sample_time": now,
                "srs_recv_bytes": recv,
                "srs_send_bytes": send,
                "conn_sys": s.sockets.tcp,
                "conn_sys_et": s.sockets.tcp_established,
                "conn_sys_tw": s.sockets.tcp_time_wait,
                "conn_sys_udp": s.sockets.udp,
                "conn_srs": ctx.clients.len(),
                // Weir's own, kept from before the SRS fields.
                "streams": ctx.hub.streams().len(),
                "recv_bytes": recv,
                "send_bytes": send,
            },
        }}),
    )
}
