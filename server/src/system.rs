//! The process's and the machine's numbers for `/api/v1/summaries` and `/metrics`: CPU, memory,
//! load, uptime, network and socket counts, read from Linux's `/proc` (see proc(5)).
//!
//! CPU percentages and disk rates are differences between two readings, so
//! [`System::sample_if_due`] reads everything every [`SAMPLE_EVERY`] from the server's
//! once-a-second housekeeping, and a request only copies the last [`Snapshot`]: no request
//! reads `/proc` or waits. SRS does the same from its own timer; the field names follow its
//! `srs_api_dump_summaries` (trunk/src/app/srs_app_utility.cpp), the values are computed here.
//!
//! Elsewhere than Linux every file is missing: the numbers stay 0 and `ok` is false.

use std::sync::Mutex;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// How often `/proc` is read: CPU percentages are averages over this long.
pub const SAMPLE_EVERY: Duration = Duration::from_secs(2);

/// Clock ticks per second in `/proc/*/stat` times: Linux reports them in USER_HZ, which its
/// user-space ABI fixes at 100 (`sysconf(_SC_CLK_TCK)`).
const USER_HZ: f64 = 100.0;

/// What `/api/v1/summaries` shows, as of the last sample.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Snapshot {
    /// Every file was read and parsed.
    pub ok: bool,
    /// When this was sampled, in ms since the Unix epoch.
    pub sample_ms: u64,
    /// The parent's pid.
    pub ppid: u32,
    /// This process's CPU time over wall time since the previous sample: 1.0 is one core busy.
    pub self_cpu: f64,
    /// Resident memory of this process, KiB (`VmRSS`).
    pub rss_kbyte: u64,
    /// The machine's busy share of all its CPUs since the previous sample, 0..=1.
    pub system_cpu: f64,
    /// KiB/s paged in and out (`pgpgin`, `pgpgout` of `/proc/vmstat`).
    pub disk_read_kbps: u64,
    pub disk_write_kbps: u64,
    pub mem: MemInfo,
    /// CPUs present and online (`/sys/devices/system/cpu/{present,online}`).
    pub cpus: u32,
    pub cpus_online: u32,
    /// Seconds since boot and seconds all CPUs spent idle (`/proc/uptime`).
    pub uptime: f64,
    pub idle_time: f64,
    /// Load averages over 1, 5 and 15 minutes.
    pub load: [f64; 3],
    pub net: NetBytes,
    pub sockets: Sockets,
}

/// `/proc/meminfo`, KiB.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct MemInfo {
    pub total: u64,
    pub free: u64,
    pub buffers: u64,
    pub cached: u64,
    pub swap_total: u64,
    pub swap_free: u64,
}

impl MemInfo {
    /// The share of RAM in use by programs (not free, buffers or page cache), 0..=1.
    pub fn ram_used(&self) -> f64 {
        let used = self
            .total
            .saturating_sub(self.free + self.buffers + self.cached);
        ratio(used, self.total)
    }

    /// The share of swap in use, 0..=1.
    pub fn swap_used(&self) -> f64 {
        ratio(
            self.swap_total.saturating_sub(self.swap_free),
            self.swap_total,
        )
    }
}

/// Bytes through the network interfaces since boot (`/proc/net/dev`): those with a public
/// address, and the intranet ones (loopback, or only private, link-local or loopback
/// addresses), as SRS splits them.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct NetBytes {
    pub recv: u64,
    pub send: u64,
    pub recv_intranet: u64,
    pub send_intranet: u64,
}

/// The machine's sockets (`/proc/net/sockstat`, `/proc/net/snmp`).
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Sockets {
    /// TCP sockets allocated plus those in TIME_WAIT (what `ss -s` sums).
    pub tcp: u64,
    pub tcp_established: u64,
    pub tcp_time_wait: u64,
    pub udp: u64,
}

fn ratio(part: u64, whole: u64) -> f64 {
    if whole == 0 {
        0.0
    } else {
        part as f64 / whole as f64
    }
}

/// The counters a percentage or rate is the difference of.
#[derive(Debug, Clone, Copy)]
struct Counters {
    at: Instant,
    /// This process's user + system ticks.
    self_ticks: Option<u64>,
    /// The machine's (busy + idle, idle) ticks.
    cpu: Option<(u64, u64)>,
    /// KiB paged (in, out).
    paged: Option<(u64, u64)>,
}

/// uname(2)'s fields, as Linux also publishes them under `/proc/sys/kernel`: read once.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Uname {
    pub sysname: String,
    pub nodename: String,
    pub release: String,
    pub version: String,
}

impl Uname {
    fn read() -> Uname {
        let kernel = |name: &str| {
            std::fs::read_to_string(format!("/proc/sys/kernel/{name}"))
                .map(|s| s.trim().to_owned())
                .unwrap_or_default()
        };
        Uname {
            sysname: kernel("ostype"),
            nodename: kernel("hostname"),
            release: kernel("osrelease"),
            version: kernel("version"),
        }
    }
}

/// The sampler: the last counters and the snapshot made from them.
pub struct System {
    state: Mutex<(Option<Counters>, Snapshot)>,
    uname: Uname,
}

impl Default for System {
    fn default() -> Self {
        System::new()
    }
}

impl System {
    /// Takes a first sample (percentages stay 0 until the second).
    pub fn new() -> System {
        let system = System {
            state: Mutex::new((None, Snapshot::default())),
            uname: Uname::read(),
        };
        system.sample(Instant::now());
        system
    }

    /// The operating system and host, as at start.
    pub fn uname(&self) -> &Uname {
        &self.uname
    }

    /// The last snapshot.
    pub fn snapshot(&self) -> Snapshot {
        self.state.lock().unwrap().1.clone()
    }

    /// Samples if the last sample is [`SAMPLE_EVERY`] old.
    pub fn sample_if_due(&self, now: Instant) {
        let due = self
            .state
            .lock()
            .unwrap()
            .0
            .is_none_or(|last| now.duration_since(last.at) >= SAMPLE_EVERY);
        if due {
            self.sample(now);
        }
    }

    fn sample(&self, now: Instant) {
        let read = |path: &str| std::fs::read_to_string(path).ok();
        let self_stat = read("/proc/self/stat").and_then(|t| parse_self_stat(&t));
        let cpu = read("/proc/stat").and_then(|t| parse_cpu_times(&t));
        let paged = read("/proc/vmstat").and_then(|t| parse_vmstat(&t));
        let mem = read("/proc/meminfo").map(|t| parse_meminfo(&t));
        let rss = read("/proc/self/status").and_then(|t| parse_vm_rss(&t));
        let uptime = read("/proc/uptime").and_then(|t| parse_uptime(&t));
        let load = read("/proc/loadavg").and_then(|t| parse_loadavg(&t));
        let net = read("/proc/net/dev").map(|t| parse_net_dev(&t, &intranet_interfaces()));
        let sockstat = read("/proc/net/sockstat").and_then(|t| parse_sockstat(&t));
        let established = read("/proc/net/snmp").and_then(|t| parse_tcp_established(&t));
        let cpus = read("/sys/devices/system/cpu/present").and_then(|t| count_cpu_list(&t));
        let online = read("/sys/devices/system/cpu/online").and_then(|t| count_cpu_list(&t));
        let counters = Counters {
            at: now,
            self_ticks: self_stat.map(|(_, ticks)| ticks),
            cpu,
            paged,
        };
        let mut state = self.state.lock().unwrap();
        let (previous, snapshot) = &mut *state;
        let mut next = Snapshot {
            ok: [
                self_stat.is_some(),
                cpu.is_some(),
                paged.is_some(),
                mem.is_some(),
                rss.is_some(),
                uptime.is_some(),
                load.is_some(),
                net.is_some(),
                sockstat.is_some(),
                established.is_some(),
            ]
            .iter()
            .all(|ok| *ok),
            sample_ms: SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .map_or(0, |d| d.as_millis() as u64),
            ppid: self_stat.map_or(0, |(ppid, _)| ppid),
            rss_kbyte: rss.unwrap_or(0),
            mem: mem.unwrap_or_default(),
            cpus: cpus.unwrap_or_else(fallback_cpus),
            cpus_online: online.unwrap_or_else(fallback_cpus),
            uptime: uptime.map_or(0.0, |u| u.0),
            idle_time: uptime.map_or(0.0, |u| u.1),
            load: load.unwrap_or_default(),
            net: net.unwrap_or_default(),
            sockets: Sockets {
                tcp_established: established.unwrap_or(0),
                ..sockstat.unwrap_or_default()
            },
            ..Snapshot::default()
        };
        if let Some(previous) = previous {
            let (self_cpu, system_cpu, read_kbps, write_kbps) = rates(previous, &counters);
            next.self_cpu = self_cpu;
            next.system_cpu = system_cpu;
            next.disk_read_kbps = read_kbps;
            next.disk_write_kbps = write_kbps;
        }
        *previous = Some(counters);
        *snapshot = next;
    }
}

/// Self CPU, system CPU and disk KiB/s in and out between two readings.
fn rates(old: &Counters, new: &Counters) -> (f64, f64, u64, u64) {
    let seconds = new.at.duration_since(old.at).as_secs_f64();
    if seconds <= 0.0 {
        return (0.0, 0.0, 0, 0);
    }
    let self_cpu = match (old.self_ticks, new.self_ticks) {
        (Some(a), Some(b)) => b.saturating_sub(a) as f64 / USER_HZ / seconds,
        _ => 0.0,
    };
    let system_cpu = match (old.cpu, new.cpu) {
        (Some((total_a, idle_a)), Some((total_b, idle_b))) => {
            let total = total_b.saturating_sub(total_a);
            let idle = idle_b.saturating_sub(idle_a);
            match total {
                0 => 0.0,
                _ => 1.0 - ratio(idle.min(total), total),
            }
        }
        _ => 0.0,
    };
    let (read, write) = match (old.paged, new.paged) {
        (Some((in_a, out_a)), Some((in_b, out_b))) => (
            (in_b.saturating_sub(in_a) as f64 / seconds) as u64,
            (out_b.saturating_sub(out_a) as f64 / seconds) as u64,
        ),
        _ => (0, 0),
    };
    (self_cpu, system_cpu, read, write)
}

fn fallback_cpus() -> u32 {
    std::thread::available_parallelism().map_or(1, |n| n.get() as u32)
}

/// Names of the interfaces whose addresses are all loopback, private or link-local.
fn intranet_interfaces() -> Vec<String> {
    let Ok(interfaces) = if_addrs::get_if_addrs() else {
        return vec!["lo".to_owned()];
    };
    let mut public = std::collections::BTreeSet::new();
    let mut all = std::collections::BTreeSet::new();
    for interface in &interfaces {
        all.insert(interface.name.clone());
        let internet = match interface.ip() {
            std::net::IpAddr::V4(ip) => {
                !(ip.is_loopback() || ip.is_private() || ip.is_link_local() || ip.is_unspecified())
            }
            std::net::IpAddr::V6(ip) => {
                let first = ip.segments()[0];
                // Not loopback, unique-local (fc00::/7) or link-local (fe80::/10).
                !(ip.is_loopback() || first & 0xfe00 == 0xfc00 || first & 0xffc0 == 0xfe80)
            }
        };
        if internet {
            public.insert(interface.name.clone());
        }
    }
    let mut intranet: Vec<String> = all.difference(&public).cloned().collect();
    if !intranet.iter().any(|n| n == "lo") {
        intranet.push("lo".to_owned());
    }
    intranet
}

/// `/proc/self/stat`: (ppid, utime + stime). The command name, in parentheses, may hold spaces
/// and parentheses itself, so the fields are counted from the last `)`.
pub(crate) fn parse_self_stat(text: &str) -> Option<(u32, u64)> {
    let (_, rest) = text.rsplit_once(')')?;
    let fields: Vec<&str> = rest.split_whitespace().collect();
    // After the name: state (field 3), ppid (4), ..., utime (14), stime (15).
    let ppid = fields.get(1)?.parse().ok()?;
    let utime: u64 = fields.get(11)?.parse().ok()?;
    let stime: u64 = fields.get(12)?.parse().ok()?;
    Some((ppid, utime.saturating_add(stime)))
}

/// `/proc/stat`'s `cpu` line: (user + nice + system + idle + iowait + irq + softirq + steal,
/// idle + iowait).
pub(crate) fn parse_cpu_times(text: &str) -> Option<(u64, u64)> {
    let line = text.lines().find(|l| l.starts_with("cpu "))?;
    let values: Vec<u64> = line
        .split_whitespace()
        .skip(1)
        .take(8)
        .map(|v| v.parse().ok())
        .collect::<Option<_>>()?;
    if values.len() < 4 {
        return None;
    }
    let total = values.iter().fold(0u64, |sum, v| sum.saturating_add(*v));
    let idle = values[3].saturating_add(values.get(4).copied().unwrap_or(0));
    Some((total, idle))
}

/// `/proc/vmstat`: (pgpgin, pgpgout), KiB paged in and out since boot.
pub(crate) fn parse_vmstat(text: &str) -> Option<(u64, u64)> {
    let value = |name: &str| {
        text.lines().find_map(|l| {
            let (key, value) = l.split_once(' ')?;
            (key == name).then(|| value.trim().parse().ok())?
        })
    };
    Some((value("pgpgin")?, value("pgpgout")?))
}

/// `/proc/meminfo`; absent keys are 0.
pub(crate) fn parse_meminfo(text: &str) -> MemInfo {
    let value = |name: &str| {
        text.lines()
            .find_map(|l| {
                let (key, value) = l.split_once(':')?;
                (key == name).then(|| value.trim().trim_end_matches("kB").trim().parse().ok())?
            })
            .unwrap_or(0)
    };
    MemInfo {
        total: value("MemTotal"),
        free: value("MemFree"),
        buffers: value("Buffers"),
        cached: value("Cached"),
        swap_total: value("SwapTotal"),
        swap_free: value("SwapFree"),
    }
}

/// `/proc/self/status`'s `VmRSS`, KiB.
pub(crate) fn parse_vm_rss(text: &str) -> Option<u64> {
    text.lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
}

/// `/proc/uptime`: (seconds up, seconds idle summed over CPUs).
pub(crate) fn parse_uptime(text: &str) -> Option<(f64, f64)> {
    let mut values = text.split_whitespace().map(|v| v.parse::<f64>().ok());
    Some((values.next()??, values.next()??))
}

/// `/proc/loadavg`: the 1, 5 and 15 minute load averages.
pub(crate) fn parse_loadavg(text: &str) -> Option<[f64; 3]> {
    let mut values = text.split_whitespace().map(|v| v.parse::<f64>().ok());
    Some([values.next()??, values.next()??, values.next()??])
}

/// `/proc/net/dev`: bytes received and sent, summed over internet and intranet interfaces.
pub(crate) fn parse_net_dev(text: &str, intranet: &[String]) -> NetBytes {
    let mut net = NetBytes::default();
    // Two header lines, then `name: rx_bytes rx_packets ... (8 receive fields) tx_bytes ...`.
    for line in text.lines().skip(2) {
        let Some((name, values)) = line.split_once(':') else {
            continue;
        };
        let values: Vec<u64> = values
            .split_whitespace()
            .map_while(|v| v.parse().ok())
            .collect();
        let (Some(recv), Some(send)) = (values.first(), values.get(8)) else {
            continue;
        };
        if intranet.iter().any(|n| n == name.trim()) {
            net.recv_intranet = net.recv_intranet.saturating_add(*recv);
            net.send_intranet = net.send_intranet.saturating_add(*send);
        } else {
            net.recv = net.recv.saturating_add(*recv);
            net.send = net.send.saturating_add(*send);
        }
    }
    net
}

/// `/proc/net/sockstat`: TCP (allocated + TIME_WAIT), TIME_WAIT and UDP in use; established
/// comes from [`parse_tcp_established`].
pub(crate) fn parse_sockstat(text: &str) -> Option<Sockets> {
    // `TCP: inuse 5 orphan 0 tw 2 alloc 7 mem 1`: names and values alternate.
    let field = |protocol: &str, name: &str| -> Option<u64> {
        let line = text.lines().find_map(|l| l.strip_prefix(protocol))?;
        let words: Vec<&str> = line.split_whitespace().collect();
        let at = words.chunks(2).position(|pair| pair[0] == name)?;
        words.get(at * 2 + 1)?.parse().ok()
    };
    let tw = field("TCP:", "tw")?;
    Some(Sockets {
        tcp: field("TCP:", "alloc")?.saturating_add(tw),
        tcp_established: 0,
        tcp_time_wait: tw,
        udp: field("UDP:", "inuse").unwrap_or(0),
    })
}

/// `/proc/net/snmp`: `CurrEstab`, found by its name in the `Tcp:` header line.
pub(crate) fn parse_tcp_established(text: &str) -> Option<u64> {
    let mut tcp = text.lines().filter(|l| l.starts_with("Tcp:"));
    let (names, values) = (tcp.next()?, tcp.next()?);
    let at = names.split_whitespace().position(|n| n == "CurrEstab")?;
    values.split_whitespace().nth(at)?.parse().ok()
}

/// A CPU list such as `0-3,6,8-9` (sysfs): how many CPUs it names.
pub(crate) fn count_cpu_list(text: &str) -> Option<u32> {
    let mut count = 0u32;
    for part in text.trim().split(',').filter(|p| !p.is_empty()) {
        let (first, last) = match part.split_once('-') {
            Some((a, b)) => (a.parse::<u32>().ok()?, b.parse::<u32>().ok()?),
            None => {
                let n = part.parse::<u32>().ok()?;
                (n, n)
            }
        };
        count = count.checked_add(last.checked_sub(first)?.checked_add(1)?)?;
    }
    (count > 0).then_some(count)
}

#[cfg(test)]
mod tests {
    use super::*;

    // The texts below are written after proc(5)'s description of each file.

    #[test]
    fn self_stat_counts_fields_after_the_last_parenthesis() {
        let text = "4242 (we ir) (x)) S 17 4242 4242 0 -1 4194560 900 0 0 0 250 125 0 0 20 0 9 0 \
                    1000 100000 2000 18446744073709551615";
        assert_eq!(parse_self_stat(text), Some((17, 375)));
        assert_eq!(parse_self_stat("4242 (weir) S 17"), None);
        assert_eq!(parse_self_stat("no parenthesis"), None);
    }

    #[test]
    fn cpu_times_sum_the_first_eight_columns() {
        let text = "cpu  10 1 5 80 4 0 0 0 0 0\ncpu0 5 0 2 40 2 0 0 0 0 0\nintr 1\n";
        assert_eq!(parse_cpu_times(text), Some((100, 84)));
        assert_eq!(parse_cpu_times("cpu  1 2\n"), None);
        assert_eq!(parse_cpu_times("cpu  x 1 2 3\n"), None);
    }

    #[test]
    fn rates_are_differences_over_time() {
        let t0 = Instant::now();
        let old = Counters {
            at: t0,
            self_ticks: Some(100),
            cpu: Some((1000, 800)),
            paged: Some((1000, 2000)),
        };
        let new = Counters {
            at: t0 + Duration::from_secs(2),
            self_ticks: Some(200),
            cpu: Some((1400, 1100)),
            paged: Some((1200, 2600)),
        };
        let (self_cpu, system_cpu, read, write) = rates(&old, &new);
        assert!((self_cpu - 0.5).abs() < 1e-9, "{self_cpu}");
        assert!((system_cpu - 0.25).abs() < 1e-9, "{system_cpu}");
        assert_eq!((read, write), (100, 300));
        // Counters that went back (a wrapped or reset counter) give 0, never a huge number.
        let (self_cpu, system_cpu, read, _) = rates(
            &new,
            &Counters {
                at: t0 + Duration::from_secs(4),
                ..old
            },
        );
        assert_eq!((self_cpu, read), (0.0, 0));
        assert!((0.0..=1.0).contains(&system_cpu));
    }

    #[test]
    fn meminfo_and_its_percentages() {
        let text = "MemTotal:       1000 kB\nMemFree:         200 kB\nBuffers:          50 kB\n\
                    Cached:          150 kB\nSwapCached:        0 kB\nSwapTotal:       400 kB\n\
                    SwapFree:        300 kB\n";
        let mem = parse_meminfo(text);
        assert_eq!(mem.total, 1000);
        assert_eq!(mem.cached, 150, "SwapCached is another key");
        assert!((mem.ram_used() - 0.6).abs() < 1e-9);
        assert!((mem.swap_used() - 0.25).abs() < 1e-9);
        assert_eq!(parse_meminfo("").ram_used(), 0.0);
        assert_eq!(
            parse_vm_rss("Name:\tweir\nVmRSS:\t   12345 kB\n"),
            Some(12345)
        );
    }

    #[test]
    fn uptime_loadavg_vmstat() {
        assert_eq!(
            parse_uptime("350735.47 234388.90\n"),
            Some((350735.47, 234388.90))
        );
        assert_eq!(
            parse_loadavg("0.50 0.25 0.10 1/123 4567\n"),
            Some([0.5, 0.25, 0.1])
        );
        assert_eq!(parse_loadavg("0.50\n"), None);
        assert_eq!(
            parse_vmstat("nr_free_pages 1\npgpgin 1234\npgpgout 5678\npgpgin_x 9\n"),
            Some((1234, 5678))
        );
    }

    #[test]
    fn net_dev_splits_intranet_from_internet() {
        let text = "Inter-|   Receive |  Transmit\n face |bytes packets\n\
                    \x20   lo:  100 1 0 0 0 0 0 0  100 1 0 0 0 0 0 0\n\
                    \x20 eth0: 5000 9 0 0 0 0 0 0 7000 8 0 0 0 0 0 0\n\
                    \x20 eth1: 10 1 0 0 0 0 0 0 20 1 0 0 0 0 0 0\n";
        let net = parse_net_dev(text, &["lo".to_owned(), "eth1".to_owned()]);
        assert_eq!(
            net,
            NetBytes {
                recv: 5000,
                send: 7000,
                recv_intranet: 110,
                send_intranet: 120
            }
        );
    }

    #[test]
    fn sockets_from_sockstat_and_snmp() {
        let sockstat = "sockets: used 300\nTCP: inuse 12 orphan 0 tw 3 alloc 15 mem 2\n\
                        UDP: inuse 4 mem 1\nUDPLITE: inuse 0\n";
        assert_eq!(
            parse_sockstat(sockstat),
            Some(Sockets {
                tcp: 18,
                tcp_established: 0,
                tcp_time_wait: 3,
                udp: 4
            })
        );
        let snmp = "Ip: Forwarding DefaultTTL\nIp: 1 64\nTcp: RtoAlgorithm RtoMin RtoMax MaxConn \
                    ActiveOpens PassiveOpens AttemptFails EstabResets CurrEstab InSegs\n\
                    Tcp: 1 200 120000 -1 10 20 0 1 7 999\n";
        assert_eq!(parse_tcp_established(snmp), Some(7));
        assert_eq!(parse_tcp_established("Tcp: CurrEstab\n"), None);
    }

    #[test]
    fn cpu_lists() {
        assert_eq!(count_cpu_list("0-3,6,8-9\n"), Some(7));
        assert_eq!(count_cpu_list("0\n"), Some(1));
        assert_eq!(count_cpu_list("3-1"), None);
        assert_eq!(count_cpu_list(""), None);
    }

    #[test]
    fn a_live_sample_is_plausible_on_linux() {
        let system = System::new();
        system.sample(Instant::now() + SAMPLE_EVERY);
        let s = system.snapshot();
        if cfg!(target_os = "linux") {
            assert!(s.ok, "{s:?}");
            assert!(s.rss_kbyte > 0 && s.mem.total > s.rss_kbyte, "{s:?}");
            assert!(s.cpus >= 1 && s.cpus_online >= 1 && s.uptime > 0.0, "{s:?}");
            assert!((0.0..=1.0).contains(&s.system_cpu), "{s:?}");
        }
    }
}
