//! A loopback capture for tests that check what real peers sent: dumpcap records UDP ports on
//! `lo` into a pcapng file. Starting and stopping wait on evidence, not on time: a probe
//! datagram of our own, sent until it shows in the file, proves that dumpcap writes what it sees
//! (at the start), and that everything sent before it is in the file (at the end).

use std::io::{BufRead, BufReader};
use std::net::UdpSocket;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// What the probes carry: unlikely in any other datagram.
const MARK: &[u8] = b"weir-dumpcap-probe";

/// A running capture; [`Dumpcap::stop`] ends it and gives the file.
pub struct Dumpcap {
    child: Child,
    file: PathBuf,
    probe: UdpSocket,
    probe_port: u16,
}

impl Dumpcap {
    /// Records what the capture `filter` (BPF: `udp port 5004 or tcp port 1985`) takes on
    /// loopback into `file` (pcapng), once dumpcap demonstrably writes.
    pub fn start(file: &Path, filter: &str) -> Dumpcap {
        let probe = UdpSocket::bind("127.0.0.1:0").unwrap();
        let probe_port = probe.local_addr().unwrap().port();
        let filter = format!("({filter}) or udp port {probe_port}");
        let mut child = Command::new(crate::peer::binary("DUMPCAP", "dumpcap"))
            .args(["-i", "lo", "-f", &filter, "-w"])
            .arg(file)
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("dumpcap starts (apt-get install tshark)");
        let mut said = BufReader::new(child.stderr.take().unwrap());
        let mut line = String::new();
        while said.read_line(&mut line).unwrap_or(0) > 0 && !line.contains("Capturing on") {
            line.clear();
        }
        // dumpcap goes on reporting on stderr: read it to the end, or it would block (or die
        // of SIGPIPE) once the pipe fills (or closes).
        std::thread::spawn(move || std::io::copy(&mut said, &mut std::io::sink()));
        let capture = Dumpcap {
            child,
            file: file.to_owned(),
            probe,
            probe_port,
        };
        capture.flushed();
        capture
    }

    /// Ends the capture once what was sent so far is in the file; the file's path.
    pub fn stop(mut self) -> PathBuf {
        self.flushed();
        // SIGINT: dumpcap writes what it holds and ends the file.
        let _ = Command::new("kill")
            .args(["-INT", &self.child.id().to_string()])
            .status();
        let _ = self.child.wait();
        self.file.clone()
    }

    /// Sends probes until one more than before is in the file.
    fn flushed(&self) {
        let probes = || {
            std::fs::read(&self.file)
                .map(|bytes| bytes.windows(MARK.len()).filter(|w| *w == MARK).count())
                .unwrap_or(0)
        };
        let before = probes();
        let deadline = Instant::now() + Duration::from_secs(20);
        while probes() <= before {
            assert!(Instant::now() < deadline, "dumpcap never wrote the probe");
            let _ = self.probe.send_to(MARK, ("127.0.0.1", self.probe_port));
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Dumpcap {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
