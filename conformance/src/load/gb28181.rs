//! `weir load --gb28181`: simulated GB28181 devices (issue 14, "A device simulator"). Each
//! registers through SRS's API (`api.rs`), then streams a file (`source.rs`) in real time and
//! in a loop as PS over RTP (`stream.rs`), over TCP with RFC 4571 framing or over UDP, N
//! devices at once on one thread. [`write_pcap`] writes what one device would send as a
//! capture instead, clean or with a fault made on purpose ([`Mangle`]), for `weir check` and
//! the server's tests.
//!
//! ```text
//! let media = Media::read(path)?;                         // FLV or TS, read once
//! let pcap = write_pcap(&media, &PcapOptions { .. })?;    // or:
//! let summary = run(&GbOptions { .. }, &mut stdout)?;    // register, stream, report each second
//! ```

mod api;
mod source;
mod stream;

pub use api::{Registered, answer, endpoint, register};
pub use source::Media;
pub use stream::{DeviceStream, MAX_PAYLOAD, Mangle, PAYLOAD_TYPE};

use super::stats::FirstOf;
use std::fmt;
use std::io::Write;
use std::net::SocketAddrV4;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering::Relaxed};
use std::time::Duration;
use tokio::io::AsyncWriteExt;
use tokio::time::Instant;
use weir_capture::write::PcapWriter;
use weir_media::Timestamp;

/// How the RTP goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transport {
    /// RFC 4571 framing over one TCP connection the device opens.
    Tcp,
    /// One RTP packet a datagram.
    Udp,
}

impl Transport {
    /// `tcp` or `udp`.
    pub fn parse(name: &str) -> Result<Transport, String> {
        match name {
            "tcp" => Ok(Transport::Tcp),
            "udp" => Ok(Transport::Udp),
            _ => Err(format!("--transport {name}: tcp or udp")),
        }
    }
}

/// The id of simulated device `n`: 20 digits like a GB28181 camera's (centre 34020000,
/// industry 00, type 132 "IP camera", then the serial).
pub fn device_id(n: u32) -> String {
    format!("34020000001320{:06}", n % 1_000_000)
}

/// The SSRC of simulated device `n`: distinct per device.
pub fn device_ssrc(n: u32) -> u32 {
    100_000_000 + n
}

/// What [`write_pcap`] writes.
#[derive(Debug, Clone)]
pub struct PcapOptions {
    pub transport: Transport,
    pub mangle: Option<Mangle>,
    pub ssrc: u32,
    /// How much of the stream: whole loops of the file, at least one, covering this long.
    pub duration: Option<Duration>,
}

/// The device's end and the server's in the captures.
pub const PCAP_DEVICE: &str = "192.168.1.64:15060";
pub const PCAP_SERVER: &str = "192.168.1.10:9000";

/// What one device would send for `options`, as a pcap file (Ethernet, IPv4), each packet at
/// the time its frame is due (from 2023-11-14, a fixed epoch).
pub fn write_pcap(media: &Media, options: &PcapOptions) -> Result<Vec<u8>, String> {
    let device: SocketAddrV4 = PCAP_DEVICE.parse().expect("address");
    let server: SocketAddrV4 = PCAP_SERVER.parse().expect("address");
    let epoch = Duration::from_secs(1_700_000_000);
    let at = |dts: Timestamp| epoch + Duration::from_micros((dts.0.max(0) as u64) * 100 / 9);
    let rounds = match options.duration {
        Some(d) => {
            let period = Duration::from_micros((media.period.0.max(1) as u64) * 100 / 9);
            (d.as_micros() / period.as_micros().max(1) + 1) as u64
        }
        None => 1,
    };
    let mut stream = DeviceStream::new(options.ssrc, &media.configs, options.mangle)?;
    let mut pcap = PcapWriter::new();
    let mut tcp = match options.transport {
        Transport::Tcp => Some(pcap.tcp_open(epoch, device, server)),
        Transport::Udp => None,
    };
    let mut last = epoch;
    for frame in (0..rounds).flat_map(|r| media.round(r)) {
        last = at(frame.dts);
        for packet in stream.frame(&frame)? {
            let bytes = packet.to_bytes().map_err(|e| e.to_string())?;
            match &mut tcp {
                Some(c) => {
                    let framed = weir_rtp::framing::frame(&bytes).map_err(|e| e.to_string())?;
                    pcap.tcp_send(last, c, &framed);
                }
                None => pcap.udp(last, device, server, &bytes),
            }
        }
    }
    if let Some(c) = &mut tcp {
        pcap.tcp_close(last, c);
    }
    Ok(pcap.into_bytes())
}

/// A load run of simulated devices.
#[derive(Debug, Clone)]
pub struct GbOptions {
    /// The server's HTTP API, `http://host:port`; the media goes to the same host.
    pub api: String,
    pub devices: u32,
    /// The file each device streams in a loop.
    pub publish: PathBuf,
    /// `None`: what the API answered.
    pub transport: Option<Transport>,
    pub mangle: Option<Mangle>,
    /// How long to stream; `None` runs until SIGINT or SIGTERM.
    pub duration: Option<Duration>,
    /// After a lost connection (the server closed or kicked it, or went away), wait this
    /// long, register again and reconnect, as cameras do; `None`: the device stops (an
    /// error).
    pub reconnect: Option<Duration>,
}

/// One device's counters.
#[derive(Debug, Default)]
struct DeviceSlot {
    streaming: AtomicBool,
    reconnects: AtomicU64,
    frames: AtomicU64,
    packets: AtomicU64,
    bytes: AtomicU64,
}

/// What a run of devices did.
#[derive(Debug, Clone, PartialEq)]
pub struct GbSummary {
    pub api: String,
    pub devices: u32,
    /// Devices still streaming at the end.
    pub streaming: usize,
    pub transport: String,
    pub frames: u64,
    pub packets: u64,
    /// RTP bytes sent (RFC 4571 length fields included).
    pub bytes: u64,
    pub errors: u64,
    pub first_error: Option<String>,
    /// Connections lost and made again (with [`GbOptions::reconnect`]).
    pub reconnects: u64,
    pub elapsed: Duration,
}

impl GbSummary {
    /// Every device registered and streamed to the end, without an error.
    pub fn passed(&self) -> bool {
        self.streaming == self.devices as usize && self.errors == 0
    }

    pub fn to_json(&self) -> serde_json::Value {
        serde_json::json!({
            "api": self.api,
            "devices": self.devices,
            "streaming": self.streaming,
            "transport": self.transport,
            "passed": self.passed(),
            "frames": self.frames,
            "packets": self.packets,
            "bytes": self.bytes,
            "mbps": super::summary::mbps(self.bytes, self.elapsed),
            "errors": self.errors,
            "first_error": self.first_error,
            "reconnects": self.reconnects,
            "elapsed_s": self.elapsed.as_secs_f64(),
        })
    }
}

impl fmt::Display for GbSummary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let verdict = if self.passed() { "passed" } else { "FAILED" };
        writeln!(
            f,
            "{verdict}: {}/{} GB28181 devices streaming PS over RTP/{}, {} errors, {} reconnects ({})",
            self.streaming, self.devices, self.transport, self.errors, self.reconnects, self.api
        )?;
        writeln!(
            f,
            "sent {:.2} Mbit/s: {} frames in {} RTP packets ({} bytes) in {:.1} s",
            super::summary::mbps(self.bytes, self.elapsed),
            self.frames,
            self.packets,
            self.bytes,
            self.elapsed.as_secs_f64()
        )?;
        if let Some(e) = &self.first_error {
            writeln!(f, "first error: {e}")?;
        }
        Ok(())
    }
}

/// Registers the devices, then streams until the duration ends or a signal comes, writing
/// one line a second to `progress`. Fails before streaming when the file, the API URL or a
/// registration is refused.
pub fn run(options: &GbOptions, progress: &mut dyn Write) -> Result<GbSummary, String> {
    let media = Arc::new(Media::read(&options.publish)?);
    // Checks the file muxes before any device registers.
    DeviceStream::new(0, &media.configs, None)?;
    let endpoint = endpoint(&options.api)?;
    let host = endpoint.host_str().unwrap_or_default().to_owned();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start the runtime: {e}"))?;
    let summary = runtime.block_on(async {
        let client = reqwest::Client::builder()
            .timeout(Duration::from_secs(10))
            .build()
            .map_err(|e| e.to_string())?;
        let mut registered = Vec::new();
        for n in 0..options.devices {
            let r = register(&client, &endpoint, &device_id(n), device_ssrc(n)).await?;
            registered.push(r);
        }
        let api = Arc::new((client, endpoint));
        drive(options, media, &host, api, registered, progress).await
    });
    runtime.shutdown_background();
    summary
}

async fn drive(
    options: &GbOptions,
    media: Arc<Media>,
    host: &str,
    api: Arc<(reqwest::Client, reqwest::Url)>,
    registered: Vec<Registered>,
    progress: &mut dyn Write,
) -> Result<GbSummary, String> {
    let slots: Arc<[DeviceSlot]> = (0..options.devices)
        .map(|_| DeviceSlot::default())
        .collect();
    let errors = Arc::new(FirstOf::default());
    let start = Instant::now();
    let mut transports = Vec::new();
    for (n, r) in registered.into_iter().enumerate() {
        let transport = options.transport.unwrap_or(match r.is_tcp {
            true => Transport::Tcp,
            false => Transport::Udp,
        });
        transports.push(transport);
        let device = Device {
            index: n,
            ssrc: device_ssrc(n as u32),
            to: (host.to_owned(), r.port),
            transport,
            mangle: options.mangle,
            media: media.clone(),
            slots: slots.clone(),
            reconnect: options.reconnect.map(|wait| (wait, api.clone())),
        };
        let errors = errors.clone();
        tokio::spawn(async move {
            let index = device.index;
            if let Err(e) = device.stream(start).await {
                errors.note(|| format!("device {}: {e}", device_id(index as u32)));
            }
        });
    }
    let second = Duration::from_secs(1);
    let mut ticks = tokio::time::interval_at(start + second, second);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    let mut interrupt = std::pin::pin!(super::interrupted());
    let mut last = (start, 0u64);
    let mut error_shown = false;
    let total = |f: fn(&DeviceSlot) -> u64| slots.iter().map(f).sum::<u64>();
    loop {
        let interrupted = tokio::select! {
            _ = ticks.tick() => false,
            _ = &mut interrupt => true,
        };
        let now = Instant::now();
        let bytes = total(|s| s.bytes.load(Relaxed));
        let streaming = slots.iter().filter(|s| s.streaming.load(Relaxed)).count();
        let _ = writeln!(
            progress,
            "{:7.1}s  devices {streaming}/{}  {:9.2} Mbit/s  frames {}  errors {}  reconnects {}",
            (now - start).as_secs_f64(),
            options.devices,
            super::summary::mbps(bytes - last.1, now - last.0),
            total(|s| s.frames.load(Relaxed)),
            errors.count(),
            total(|s| s.reconnects.load(Relaxed)),
        );
        if !error_shown && let Some(error) = errors.first() {
            let _ = writeln!(progress, "  first error: {error}");
            error_shown = true;
        }
        last = (now, bytes);
        if interrupted || options.duration.is_some_and(|d| now - start >= d) {
            break;
        }
    }
    let mut names: Vec<&str> = transports
        .iter()
        .map(|t| match t {
            Transport::Tcp => "TCP",
            Transport::Udp => "UDP",
        })
        .collect();
    names.dedup();
    Ok(GbSummary {
        api: api::shown(&options.api),
        devices: options.devices,
        streaming: slots.iter().filter(|s| s.streaming.load(Relaxed)).count(),
        transport: names.join("+"),
        frames: total(|s| s.frames.load(Relaxed)),
        packets: total(|s| s.packets.load(Relaxed)),
        bytes: total(|s| s.bytes.load(Relaxed)),
        errors: errors.count(),
        first_error: errors.first(),
        reconnects: total(|s| s.reconnects.load(Relaxed)),
        elapsed: Instant::now() - start,
    })
}

/// One device's sending task.
struct Device {
    index: usize,
    ssrc: u32,
    to: (String, u16),
    transport: Transport,
    mangle: Option<Mangle>,
    media: Arc<Media>,
    slots: Arc<[DeviceSlot]>,
    /// How long to wait after a lost connection, and where to register again.
    reconnect: Option<(Duration, Arc<(reqwest::Client, reqwest::Url)>)>,
}

/// Where a device's RTP goes.
enum Socket {
    Tcp(tokio::net::TcpStream),
    Udp(tokio::net::UdpSocket),
}

impl Device {
    /// Streams until the run ends; with [`Device::reconnect`], a lost connection is made
    /// again (after registering again, as a SIP server would invite the device anew), and the
    /// device goes on from its next keyframe.
    async fn stream(&self, start: Instant) -> Result<(), String> {
        let slot = &self.slots[self.index];
        let mut port = self.to.1;
        let mut resume = None;
        loop {
            let result = self.connect_and_send(port, start, resume).await;
            slot.streaming.store(false, Relaxed);
            let (Err(_), Some((wait, api))) = (&result, &self.reconnect) else {
                return result;
            };
            slot.reconnects.fetch_add(1, Relaxed);
            // At least 100 ms, so that a server that refuses at once is not called in a loop.
            tokio::time::sleep((*wait).max(Duration::from_millis(100))).await;
            let id = device_id(self.index as u32);
            if let Ok(registered) = register(&api.0, &api.1, &id, self.ssrc).await {
                port = registered.port;
            }
            resume = Some(Instant::now());
        }
    }

    async fn connect_and_send(
        &self,
        port: u16,
        start: Instant,
        resume: Option<Instant>,
    ) -> Result<(), String> {
        let slot = &self.slots[self.index];
        let to = (self.to.0.as_str(), port);
        let mut socket = match self.transport {
            Transport::Tcp => {
                let tcp = tokio::net::TcpStream::connect(to)
                    .await
                    .map_err(|e| format!("connect {}:{}: {e}", to.0, to.1))?;
                let _ = tcp.set_nodelay(true);
                Socket::Tcp(tcp)
            }
            Transport::Udp => {
                let udp = tokio::net::UdpSocket::bind("0.0.0.0:0")
                    .await
                    .map_err(|e| format!("bind: {e}"))?;
                udp.connect(to)
                    .await
                    .map_err(|e| format!("connect {}:{}: {e}", to.0, to.1))?;
                Socket::Udp(udp)
            }
        };
        let mut stream = DeviceStream::new(self.ssrc, &self.media.configs, self.mangle)?;
        slot.streaming.store(true, Relaxed);
        self.send_loop(&mut socket, &mut stream, start, resume)
            .await
    }

    /// Sends the file's frames at their times from `start`, looping; after a reconnect
    /// (`resume`), from the first video keyframe due then (a fresh muxer starts with one).
    async fn send_loop(
        &self,
        socket: &mut Socket,
        stream: &mut DeviceStream,
        start: Instant,
        resume: Option<Instant>,
    ) -> Result<(), String> {
        let slot = &self.slots[self.index];
        let mut buffer = Vec::new();
        let has_video = self
            .media
            .configs
            .iter()
            .any(|c| c.track.kind == weir_media::MediaKind::Video);
        let mut waiting = resume;
        let first_round = resume.map_or(0, |at| {
            let period = Duration::from_micros((self.media.period.0.max(1) as u64) * 100 / 9);
            ((at - start).as_micros() / period.as_micros().max(1)) as u64
        });
        for round in first_round.. {
            for frame in self.media.round(round) {
                let due = start + Duration::from_micros((frame.dts.0.max(0) as u64) * 100 / 9);
                if let Some(at) = waiting {
                    let keyframe = !has_video
                        || (frame.track.kind == weir_media::MediaKind::Video && frame.keyframe);
                    if due < at || !keyframe {
                        continue;
                    }
                    waiting = None;
                }
                tokio::time::sleep_until(due).await;
                let packets = stream.frame(&frame)?;
                buffer.clear();
                for packet in &packets {
                    let bytes = packet.to_bytes().map_err(|e| e.to_string())?;
                    match socket {
                        Socket::Tcp(_) => weir_rtp::framing::write_frame(&bytes, &mut buffer)
                            .map_err(|e| e.to_string())?,
                        Socket::Udp(udp) => {
                            udp.send(&bytes).await.map_err(|e| format!("send: {e}"))?;
                            slot.bytes.fetch_add(bytes.len() as u64, Relaxed);
                        }
                    }
                }
                if let Socket::Tcp(tcp) = socket {
                    tcp.write_all(&buffer)
                        .await
                        .map_err(|e| format!("send: {e}"))?;
                    slot.bytes.fetch_add(buffer.len() as u64, Relaxed);
                }
                slot.packets.fetch_add(packets.len() as u64, Relaxed);
                slot.frames.fetch_add(1, Relaxed);
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn device_ids_are_twenty_digits_and_ssrcs_distinct() {
        assert_eq!(device_id(0), "34020000001320000000");
        assert_eq!(device_id(42).len(), 20);
        assert_ne!(device_ssrc(0), device_ssrc(1));
        assert_eq!(Transport::parse("udp"), Ok(Transport::Udp));
        assert!(Transport::parse("sctp").is_err());
    }
}
