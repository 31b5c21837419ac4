//! One probe connection: a TCP socket driving our client machine, blocking, every wait bounded
//! by the case's deadline. A probe may bend what goes out (write the first bytes in odd
//! pieces, change bytes at given stream offsets) to see how a server copes.

use crate::probe::{Outcome, Probe, Step};
use rand::SeedableRng;
use std::collections::VecDeque;
use std::io::{ErrorKind, Read, Write};
use std::net::{TcpStream, ToSocketAddrs};
use std::time::{Duration, Instant};
use weir_media::Machine;
use weir_media::{Output, Violation};
use weir_rtmp::session::{ClientEvent, ClientOptions, ClientSession, SessionConfig};
use weir_rtmp::url::RtmpUrl as Target;

/// Changes outgoing bytes: called with the stream offset of `bytes[0]`.
pub type Tamper = Box<dyn FnMut(u64, &mut [u8]) + Send>;

/// What one wait for bytes gave.
#[derive(Debug, PartialEq, Eq)]
pub enum Read1 {
    Bytes(usize),
    Idle,
    /// The server closed the connection (or reset it): why, as far as we can tell.
    Closed(String),
}

pub struct Conn {
    tcp: TcpStream,
    pub session: ClientSession,
    /// Events not taken yet by [`Conn::until`], in arrival order.
    pub events: VecDeque<ClientEvent>,
    /// Rules the server broke, as our client machine saw them.
    pub violations: Vec<Violation>,
    /// Bytes written so far.
    pub written: u64,
    tamper: Option<Tamper>,
    /// Sizes of the pieces the next bytes are written in, with a pause between pieces.
    pieces: VecDeque<usize>,
    deadline: Instant,
    closed: Option<String>,
}

impl Conn {
    /// Connects to the probe's server with our client machine; `setup` adjusts what the client
    /// says and how. Nothing is sent until [`Conn::flush`].
    pub fn open(
        probe: &Probe,
        setup: impl FnOnce(&mut ClientOptions, &mut SessionConfig),
    ) -> Step<Conn> {
        let target = &probe.target;
        let mut options = ClientOptions::new(&target.tc_url, &target.app);
        let mut config = SessionConfig::default();
        setup(&mut options, &mut config);
        let rng = Box::new(rand::rngs::SmallRng::seed_from_u64(probe.seed()));
        let session = ClientSession::new(config, options, Instant::now(), rng);
        Conn::connect(target, probe.deadline, session)
    }

    /// Connects to `target` and drives `session` over the connection until `deadline`.
    pub fn connect(target: &Target, deadline: Instant, session: ClientSession) -> Step<Conn> {
        let addr = target
            .addr
            .to_socket_addrs()
            .ok()
            .and_then(|mut addrs| addrs.next())
            .ok_or_else(|| Outcome::error(format!("cannot resolve {}", target.addr)))?;
        let wait = deadline.saturating_duration_since(Instant::now());
        let tcp = TcpStream::connect_timeout(&addr, wait.max(Duration::from_millis(1)))
            .map_err(|e| Outcome::error(format!("cannot connect to {}: {e}", target.addr)))?;
        let _ = tcp.set_nodelay(true);
        Ok(Conn {
            tcp,
            session,
            events: VecDeque::new(),
            violations: Vec::new(),
            written: 0,
            tamper: None,
            pieces: VecDeque::new(),
            deadline,
            closed: None,
        })
    }

    /// Changes outgoing bytes from now on.
    pub fn tamper(&mut self, tamper: Tamper) {
        self.tamper = Some(tamper);
    }

    /// Writes the next bytes in pieces of these sizes, pausing between them.
    pub fn split_next(&mut self, pieces: &[usize]) {
        self.pieces = pieces.iter().copied().collect();
    }

    /// Sends what the machine has to send and keeps its events and violations.
    pub fn flush(&mut self) -> Step<()> {
        while let Some(out) = self.session.poll_output() {
            match out {
                Output::Transmit(bytes) => self.write(&bytes)?,
                Output::Event(event) => self.events.push_back(event),
                Output::Violation(v) => self.violations.push(v),
            }
        }
        Ok(())
    }

    /// Writes bytes as they are, through the tamper and the pieces.
    pub fn write(&mut self, bytes: &[u8]) -> Step<()> {
        let mut bytes = bytes.to_vec();
        if let Some(tamper) = &mut self.tamper {
            tamper(self.written, &mut bytes);
        }
        let mut rest = &bytes[..];
        while !rest.is_empty() {
            let n = match self.pieces.pop_front() {
                Some(n) => n.clamp(1, rest.len()),
                None => rest.len(),
            };
            self.write_all(&rest[..n])?;
            rest = &rest[n..];
            if !self.pieces.is_empty() {
                std::thread::sleep(Duration::from_millis(30));
            }
        }
        Ok(())
    }

    fn write_all(&mut self, bytes: &[u8]) -> Step<()> {
        let wait = self.remaining().ok_or_else(|| self.timed_out("writing"))?;
        let _ = self.tcp.set_write_timeout(Some(wait));
        match self.tcp.write_all(bytes) {
            Ok(()) => {
                self.written += bytes.len() as u64;
                Ok(())
            }
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {
                Err(self.timed_out("writing (the server stopped reading)"))
            }
            Err(e) => Err(Outcome::fail(
                "the server to read what the client sends",
                format!("writing after {} bytes failed: {e}", self.written),
            )),
        }
    }

    /// Waits up to `wait` (within the deadline) for bytes and hands them to the machine.
    pub fn read(&mut self, wait: Duration) -> Step<Read1> {
        if let Some(why) = &self.closed {
            return Ok(Read1::Closed(why.clone()));
        }
        let Some(left) = self.remaining() else {
            return Ok(Read1::Idle);
        };
        let wait = wait.min(left).max(Duration::from_millis(1));
        let _ = self.tcp.set_read_timeout(Some(wait));
        let mut buf = [0u8; 64 * 1024];
        let n = match self.tcp.read(&mut buf) {
            Ok(0) => {
                let why = match self.session.handle_end(Instant::now()) {
                    Ok(()) => "the server closed the connection".to_owned(),
                    Err(e) => format!("the server closed the connection: {e}"),
                };
                self.closed = Some(why.clone());
                return Ok(Read1::Closed(why));
            }
            Ok(n) => n,
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {
                return Ok(Read1::Idle);
            }
            Err(e) => {
                let why = format!("the connection failed: {e}");
                self.closed = Some(why.clone());
                return Ok(Read1::Closed(why));
            }
        };
        if let Err(e) = self.session.handle_input(Instant::now(), &buf[..n]) {
            let why = format!("the server's bytes broke the protocol: {e}");
            self.closed = Some(why.clone());
            self.flush()?;
            return Err(Outcome::fail("bytes our client can read", why));
        }
        self.flush()?;
        Ok(Read1::Bytes(n))
    }

    /// Reads until an event matching `found` arrives and returns it (taken from `events`).
    pub fn until(&mut self, what: &str, found: impl Fn(&ClientEvent) -> bool) -> Step<ClientEvent> {
        loop {
            if let Some(at) = self.events.iter().position(&found) {
                return Ok(self.events.remove(at).expect("found"));
            }
            if self.remaining().is_none() {
                return Err(self.timed_out(what));
            }
            if let Read1::Closed(why) = self.read(Duration::from_millis(200))? {
                return Err(Outcome::fail(what, why));
            }
        }
    }

    /// As [`Conn::until`], giving up after `wait`: `None` when nothing matched by then (or the
    /// server closed the connection; [`Conn::closed_within`] tells).
    pub fn until_within(
        &mut self,
        wait: Duration,
        found: impl Fn(&ClientEvent) -> bool,
    ) -> Step<Option<ClientEvent>> {
        let end = Instant::now() + wait;
        loop {
            if let Some(at) = self.events.iter().position(&found) {
                return Ok(self.events.remove(at));
            }
            let Some(left) = end.checked_duration_since(Instant::now()) else {
                return Ok(None);
            };
            if let Read1::Closed(_) = self.read(left.min(Duration::from_millis(200)))? {
                return Ok(None);
            }
        }
    }

    /// Reads whatever arrives for `wait` (or until the server closes).
    pub fn idle(&mut self, wait: Duration) -> Step<()> {
        let end = Instant::now() + wait;
        while let Some(left) = end.checked_duration_since(Instant::now()) {
            match self.read(left)? {
                Read1::Closed(_) => return Ok(()),
                Read1::Bytes(_) | Read1::Idle => {}
            }
        }
        Ok(())
    }

    /// Whether the server closes the connection within `wait`, reading what it sends meanwhile.
    pub fn closed_within(&mut self, wait: Duration) -> bool {
        let end = Instant::now() + wait;
        while let Some(left) = end.checked_duration_since(Instant::now()) {
            match self.read(left) {
                Ok(Read1::Closed(_)) | Err(_) => return true,
                Ok(_) => {}
            }
        }
        false
    }

    /// The codes of the onStatus events not taken yet, for verdicts.
    pub fn status_codes(&self) -> Vec<String> {
        self.events
            .iter()
            .filter_map(|e| match e {
                ClientEvent::Status { status, .. } => Some(status.code.clone()),
                _ => None,
            })
            .collect()
    }

    fn remaining(&self) -> Option<Duration> {
        self.deadline
            .checked_duration_since(Instant::now())
            .filter(|d| !d.is_zero())
    }

    fn timed_out(&self, what: &str) -> Outcome {
        Outcome::fail(what, "nothing within the case's time limit")
    }
}
