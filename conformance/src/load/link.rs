//! One RTMP connection for the load generator: a TCP socket driving our client machine.
//!
//! Frugal on purpose, since one core drives thousands of them: reads go through one buffer per
//! thread (a read never awaits while it holds it), so an idle player costs its socket and its
//! machine only; the machine's acknowledgements and pongs are written as they come out.

use super::Target;
use super::stats::Shared;
use rand::SeedableRng;
use std::cell::RefCell;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::io::AsyncWriteExt;
use tokio::net::TcpStream;
use weir_media::Machine;
use weir_media::Output;
use weir_rtmp::session::{ClientEvent, ClientOptions, ClientSession, SessionConfig};

/// How long connecting may take before the attempt counts as an error.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// Bytes one read takes at most: a few frames of a live stream.
const READ_BUFFER: usize = 32 * 1024;

thread_local! {
    static BUFFER: RefCell<Box<[u8]>> = RefCell::new(vec![0; READ_BUFFER].into_boxed_slice());
}

pub(super) struct Link {
    tcp: TcpStream,
    pub session: ClientSession,
    shared: Arc<Shared>,
}

impl Link {
    /// Connects and starts the handshake; `seed` makes the handshake's random bytes.
    pub async fn open(target: &Target, seed: u64, shared: Arc<Shared>) -> Result<Link, String> {
        let tcp =
            match tokio::time::timeout(CONNECT_TIMEOUT, TcpStream::connect(&target.addr)).await {
                Ok(Ok(tcp)) => tcp,
                Ok(Err(e)) => return Err(format!("connect to {}: {e}", target.addr)),
                Err(_) => return Err(format!("connect to {}: timed out", target.addr)),
            };
        tcp.set_nodelay(true)
            .map_err(|e| format!("set TCP_NODELAY: {e}"))?;
        let options = ClientOptions::new(&target.tc_url, &target.app);
        let rng = Box::new(rand::rngs::SmallRng::seed_from_u64(seed));
        let session = ClientSession::new(SessionConfig::default(), options, Instant::now(), rng);
        Ok(Link {
            tcp,
            session,
            shared,
        })
    }

    /// Waits for bytes and hands what one read returns to the machine: the number of bytes.
    /// The server closing the connection is an error.
    pub async fn receive(&mut self) -> Result<usize, String> {
        loop {
            self.tcp
                .readable()
                .await
                .map_err(|e| format!("read: {e}"))?;
            let read = BUFFER.with_borrow_mut(|buffer| {
                let n = self.tcp.try_read(buffer)?;
                let fed = match buffer.get(..n) {
                    Some(bytes) if n > 0 => self.session.handle_input(Instant::now(), bytes),
                    _ => Ok(()),
                };
                Ok::<_, std::io::Error>((n, fed))
            });
            match read {
                Ok((_, Err(e))) => return Err(format!("the server's bytes: {e}")),
                Ok((0, _)) => {
                    let (received, _, _) = self.session.counters();
                    return Err(match self.session.handle_end(Instant::now()) {
                        Err(e) => format!("the server closed the connection: {e}"),
                        Ok(()) => {
                            format!("the server closed the connection after {received} bytes")
                        }
                    });
                }
                Ok((n, Ok(()))) => return Ok(n),
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => continue,
                Err(e) => return Err(format!("read: {e}")),
            }
        }
    }

    /// Asks the kernel to wake this connection only once `bytes` are waiting (SO_RCVLOWAT,
    /// Linux socket(7)): a player reading a few times a second instead of once per TCP
    /// segment is most of what lets one core drive thousands.
    pub fn wake_after(&self, bytes: usize) -> Result<(), String> {
        use std::os::fd::AsRawFd;
        let value = libc::c_int::try_from(bytes).unwrap_or(libc::c_int::MAX);
        // SAFETY: the fd is this open socket's; the option value is a c_int of the size given.
        let done = unsafe {
            libc::setsockopt(
                self.tcp.as_raw_fd(),
                libc::SOL_SOCKET,
                libc::SO_RCVLOWAT,
                (&raw const value).cast(),
                std::mem::size_of::<libc::c_int>() as libc::socklen_t,
            )
        };
        match done {
            0 => Ok(()),
            _ => Err(format!("SO_RCVLOWAT: {}", std::io::Error::last_os_error())),
        }
    }

    /// Sends what the machine has to send, counts its violations and hands its events to
    /// `on_event`, which may end the connection with an error.
    pub async fn flush(
        &mut self,
        mut on_event: impl FnMut(ClientEvent) -> Result<(), String>,
    ) -> Result<(), String> {
        while let Some(output) = self.session.poll_output() {
            match output {
                Output::Transmit(bytes) => self
                    .tcp
                    .write_all(&bytes)
                    .await
                    .map_err(|e| format!("write: {e}"))?,
                Output::Event(event) => on_event(event)?,
                Output::Violation(v) => self.shared.violations.note(|| v.to_string()),
            }
        }
        Ok(())
    }
}
