//! A lossy UDP relay for real peers: it listens on one address, forwards what a client sends
//! there to an upstream address through one [`NetSim`], and what upstream answers back to the
//! client through another, in real time on one thread (std::net, no async runtime: this is a
//! test tool). This kernel has no `tc netem`; the relay is how FFmpeg publishing to a server,
//! or to `srt-live-transmit`, meets loss, delay and reordering in a test.
//!
//! ```text
//! client ──▶ listen ──[NetSim up]──▶ relay's upstream socket ──▶ upstream
//! client ◀── listen ◀─[NetSim down]─ relay's upstream socket ◀── upstream
//! ```
//!
//! One client at a time: answers go to the address that sent last. Memory is bounded by each
//! profile's `queue_limit` (datagrams of at most 64 KiB). [`UdpRelay::stop`], or dropping the
//! relay, ends and joins the thread.

use crate::netsim::{self, Counters, NetSim, Profile};
use bytes::Bytes;
use std::io::{self, ErrorKind};
use std::net::{SocketAddr, UdpSocket};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// The longest the relay's thread sleeps between looks at its sockets: what it adds to a
/// datagram's delay at worst.
const TICK: Duration = Duration::from_micros(500);

/// Both directions' counters.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RelayStats {
    /// Client to upstream.
    pub to_upstream: Counters,
    /// Upstream to client.
    pub to_client: Counters,
    /// Datagrams from upstream before any client had sent one (nowhere to send them).
    pub unroutable: u64,
}

/// A running relay; see the module docs.
#[derive(Debug)]
pub struct UdpRelay {
    listen: SocketAddr,
    stop: Arc<AtomicBool>,
    heal: Arc<AtomicBool>,
    stats: Arc<Mutex<RelayStats>>,
    thread: Option<JoinHandle<io::Result<()>>>,
}

impl UdpRelay {
    /// Binds `listen` (port 0 picks one: see [`local_addr`](Self::local_addr)) and starts
    /// relaying to `upstream`, both directions following `profile`, drawing from the two
    /// seeds [`netsim::direction_seeds`] derives from `seed`.
    pub fn start(
        listen: SocketAddr,
        upstream: SocketAddr,
        profile: Profile,
        seed: u64,
    ) -> io::Result<UdpRelay> {
        let client_side = UdpSocket::bind(listen)?;
        let any: SocketAddr = if upstream.is_ipv4() {
            "0.0.0.0:0".parse().expect("an address")
        } else {
            "[::]:0".parse().expect("an address")
        };
        let upstream_side = UdpSocket::bind(any)?;
        upstream_side.connect(upstream)?;
        client_side.set_nonblocking(true)?;
        upstream_side.set_nonblocking(true)?;
        let listen = client_side.local_addr()?;
        let (up_seed, down_seed) = netsim::direction_seeds(seed);
        let mut relay = Relay {
            client_side,
            upstream_side,
            client: None,
            up: NetSim::new(up_seed, profile.clone()),
            down: NetSim::new(down_seed, profile),
            unroutable: 0,
        };
        let stop = Arc::new(AtomicBool::new(false));
        let heal = Arc::new(AtomicBool::new(false));
        let stats = Arc::new(Mutex::new(RelayStats::default()));
        let thread = {
            let (stop, heal, stats) = (stop.clone(), heal.clone(), stats.clone());
            std::thread::Builder::new()
                .name("udp-relay".into())
                .spawn(move || relay.run(&stop, &heal, &stats))?
        };
        Ok(UdpRelay {
            listen,
            stop,
            heal,
            stats,
            thread: Some(thread),
        })
    }

    /// The address clients send to.
    pub fn local_addr(&self) -> SocketAddr {
        self.listen
    }

    /// From now on neither direction loses, duplicates or reorders a datagram ([`NetSim::heal`]);
    /// what is in flight keeps its fate. A test of a libsrt sender needs it before the stream's
    /// end: with periodic NAK reports on (the receiver's default in live mode), libsrt never
    /// resends a lost last packet, since no later one shows the gap (Haivision/srt#1722).
    pub fn heal(&self) {
        self.heal.store(true, Ordering::Relaxed);
    }

    /// Both directions' counters so far.
    pub fn stats(&self) -> RelayStats {
        *self.stats.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Stops relaying (what is in flight is dropped), joins the thread and gives the final
    /// counters, or the socket error that stopped the thread early.
    pub fn stop(mut self) -> io::Result<RelayStats> {
        self.halt()?;
        Ok(self.stats())
    }

    fn halt(&mut self) -> io::Result<()> {
        self.stop.store(true, Ordering::Relaxed);
        match self.thread.take() {
            Some(thread) => thread
                .join()
                .unwrap_or_else(|_| Err(io::Error::other("the relay thread panicked"))),
            None => Ok(()),
        }
    }
}

impl Drop for UdpRelay {
    fn drop(&mut self) {
        let _ = self.halt();
    }
}

/// The relay thread's state.
struct Relay {
    client_side: UdpSocket,
    upstream_side: UdpSocket,
    client: Option<SocketAddr>,
    up: NetSim,
    down: NetSim,
    unroutable: u64,
}

impl Relay {
    fn run(
        &mut self,
        stop: &AtomicBool,
        heal: &AtomicBool,
        stats: &Mutex<RelayStats>,
    ) -> io::Result<()> {
        let mut buf = vec![0u8; 65_536];
        while !stop.load(Ordering::Relaxed) {
            if heal.swap(false, Ordering::Relaxed) {
                self.up.heal();
                self.down.heal();
            }
            let mut busy = false;
            let mut client = self.client;
            let up = &mut self.up;
            busy |= receive(&self.client_side, &mut buf, |datagram, from| {
                client = Some(from);
                up.send(Instant::now(), datagram);
            })?;
            self.client = client;
            let down = &mut self.down;
            busy |= receive(&self.upstream_side, &mut buf, |datagram, _| {
                down.send(Instant::now(), datagram);
            })?;
            let now = Instant::now();
            while let Some(datagram) = self.up.poll(now) {
                // A full socket buffer or a gone peer is loss, as on a real network.
                let _ = self.upstream_side.send(&datagram);
                busy = true;
            }
            while let Some(datagram) = self.down.poll(now) {
                match self.client {
                    Some(client) => {
                        let _ = self.client_side.send_to(&datagram, client);
                    }
                    None => self.unroutable += 1,
                }
                busy = true;
            }
            *stats.lock().unwrap_or_else(|e| e.into_inner()) = RelayStats {
                to_upstream: self.up.counters(),
                to_client: self.down.counters(),
                unroutable: self.unroutable,
            };
            if !busy {
                let due = [self.up.next_due(), self.down.next_due()]
                    .into_iter()
                    .flatten()
                    .min();
                let wait = due.map_or(TICK, |at| at.saturating_duration_since(now).min(TICK));
                std::thread::sleep(wait);
            }
        }
        Ok(())
    }
}

/// Hands every datagram waiting on `socket` to `take` with its sender; whether there was one.
fn receive(
    socket: &UdpSocket,
    buf: &mut [u8],
    mut take: impl FnMut(Bytes, SocketAddr),
) -> io::Result<bool> {
    let mut any = false;
    loop {
        match socket.recv_from(buf) {
            Ok((n, from)) => {
                take(Bytes::copy_from_slice(&buf[..n]), from);
                any = true;
            }
            Err(e) if e.kind() == ErrorKind::WouldBlock => return Ok(any),
            // A peer's ICMP unreachable surfaces on a later read: not fatal, as on a network.
            Err(e) if e.kind() == ErrorKind::ConnectionRefused => return Ok(any),
            Err(e) => return Err(e),
        }
    }
}
