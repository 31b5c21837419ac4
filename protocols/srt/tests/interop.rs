//! Our handshake machines against libsrt 1.5.1's `srt-live-transmit` over real UDP on
//! 127.0.0.1: our caller to its listener, its caller to our listener. Both reach Established
//! and then receive a data packet the peer sends (fed to it as UDP). Skipped, with a message,
//! when `srt-live-transmit` (or `$SRT_LIVE_TRANSMIT`) is missing: `apt-get install srt-tools`.

use bytes::Bytes;
use std::net::{SocketAddr, UdpSocket};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};
use weir_media::{Machine, Output};
use weir_srt::{
    Caller, CallerConfig, CallerEvent, Established, Listener, ListenerConfig, ListenerEvent,
    ListenerOutput, Packet,
};
use weir_testkit::SeededRng;

const DEADLINE: Duration = Duration::from_secs(10);

fn binary() -> Option<String> {
    let bin = weir_testkit::peer::srt_live_transmit();
    if bin.is_none() {
        eprintln!(
            "skipped: srt-live-transmit is missing (apt-get install srt-tools, or set SRT_LIVE_TRANSMIT)"
        );
    }
    bin
}

/// A port free a moment ago, for the peer to bind.
fn free_port() -> u16 {
    UdpSocket::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// The peer, killed when the test ends however it ends.
struct Peer(Child);

impl Peer {
    fn start(bin: &str, source: &str, target: &str) -> Self {
        let child = Command::new(bin)
            .args([source, target])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("srt-live-transmit starts");
        Peer(child)
    }
}

impl Drop for Peer {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Sends a UDP datagram to the peer's source port, for it to forward as SRT data.
fn feed(port: u16) {
    let socket = UdpSocket::bind("127.0.0.1:0").unwrap();
    socket.send_to(&[0x47; 188], ("127.0.0.1", port)).unwrap();
}

/// Whether `datagram` is an SRT data packet addressed to `socket_id`.
fn is_data_for(datagram: &[u8], socket_id: u32) -> bool {
    let bytes = Bytes::copy_from_slice(datagram);
    matches!(Packet::parse(&bytes, &mut Vec::new()),
        Ok(Packet::Data(d)) if d.header.dst_socket == socket_id && !d.payload.is_empty())
}

#[test]
fn our_caller_connects_to_srt_live_transmit_and_receives_data() {
    let Some(bin) = binary() else { return };
    let (srt_port, udp_port) = (free_port(), free_port());
    let _peer = Peer::start(
        &bin,
        &format!("udp://127.0.0.1:{udp_port}"),
        &format!("srt://:{srt_port}?mode=listener"),
    );
    std::thread::sleep(Duration::from_millis(300));
    let socket = UdpSocket::bind("127.0.0.1:0").unwrap();
    socket.connect(("127.0.0.1", srt_port)).unwrap();
    let start = Instant::now();
    let config = CallerConfig {
        stream_id: Some("#!::r=live/test,m=request".into()),
        ..Default::default()
    };
    let mut caller = Caller::new(config, &mut SeededRng::new(42), start);
    let mut established: Option<Established> = None;
    let mut buf = [0u8; 1500];
    while start.elapsed() < DEADLINE {
        while let Some(out) = caller.poll_output() {
            match out {
                Output::Transmit(bytes) => {
                    socket.send(&bytes).unwrap();
                }
                Output::Event(CallerEvent::Established(e)) => established = Some(e),
                Output::Event(CallerEvent::Rejected { reason }) => panic!("rejected: {reason}"),
                Output::Violation(v) => panic!("libsrt broke {v}"),
            }
        }
        if let Some(e) = &established {
            feed(udp_port);
            socket
                .set_read_timeout(Some(Duration::from_millis(100)))
                .unwrap();
            if let Ok(n) = socket.recv(&mut buf)
                && is_data_for(&buf[..n], e.local_socket_id)
            {
                assert!(e.recv_latency_ms >= 120);
                return;
            }
            continue;
        }
        let wait = caller
            .poll_timeout()
            .map(|at| at.saturating_duration_since(Instant::now()))
            .unwrap_or(Duration::from_millis(100))
            .max(Duration::from_millis(1));
        socket.set_read_timeout(Some(wait)).unwrap();
        match socket.recv(&mut buf) {
            Ok(n) => caller.handle_input(Instant::now(), &buf[..n]).unwrap(),
            Err(_) => caller.handle_timeout(Instant::now()),
        }
    }
    panic!("no data packet within {DEADLINE:?}; established: {established:?}");
}

#[test]
fn srt_live_transmit_connects_to_our_listener_and_sends_data() {
    let Some(bin) = binary() else { return };
    let socket = UdpSocket::bind("127.0.0.1:0").unwrap();
    let srt_port = socket.local_addr().unwrap().port();
    let udp_port = free_port();
    let _peer = Peer::start(
        &bin,
        &format!("udp://127.0.0.1:{udp_port}"),
        &format!("srt://127.0.0.1:{srt_port}?streamid=#!::r=live/test,m=publish"),
    );
    let start = Instant::now();
    let mut listener = Listener::new(
        ListenerConfig::default(),
        *b"interop secret!!",
        Box::new(SeededRng::new(9)),
        start,
    );
    let mut established: Option<(SocketAddr, Established)> = None;
    let mut stream_id = None;
    let mut buf = [0u8; 1500];
    socket
        .set_read_timeout(Some(Duration::from_millis(100)))
        .unwrap();
    while start.elapsed() < DEADLINE {
        while let Some(out) = listener.poll_output() {
            match out {
                ListenerOutput::Transmit { to, bytes } => {
                    socket.send_to(&bytes, to).unwrap();
                }
                ListenerOutput::Event(ListenerEvent::Request(r)) => {
                    stream_id = r.stream_id.clone();
                    listener.accept(Instant::now(), r.id, None).unwrap();
                }
                ListenerOutput::Event(ListenerEvent::Established {
                    from,
                    established: e,
                }) => established = Some((from, e)),
                ListenerOutput::Event(ListenerEvent::Rejected { reason, .. }) => {
                    panic!("we rejected: {reason}")
                }
                ListenerOutput::Violation { violation, .. } => panic!("libsrt broke {violation}"),
            }
        }
        if established.is_some() {
            feed(udp_port);
        }
        let Ok((n, from)) = socket.recv_from(&mut buf) else {
            listener.handle_timeout(Instant::now());
            continue;
        };
        // Destination socket 0 is the listener's; anything else belongs to a connection.
        if n < 16 || buf[12..16] == [0; 4] {
            listener.handle_input(Instant::now(), from, &buf[..n]);
        } else if let Some((peer, e)) = &established
            && *peer == from
            && is_data_for(&buf[..n], e.local_socket_id)
        {
            assert_eq!(stream_id.as_deref(), Some("#!::r=live/test,m=publish"));
            assert_eq!(e.stream_id, stream_id);
            return;
        }
    }
    panic!("no data packet within {DEADLINE:?}; established: {established:?}");
}
