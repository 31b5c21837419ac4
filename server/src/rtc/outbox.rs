//! Sending many peers' datagrams in few system calls. A [`Batch`]'s runs (one GSO run per
//! peer per frame, see `Batch`) go out in one `sendmmsg` per up to [`MAX_MESSAGES`] runs, each
//! run one message with its own destination and `UDP_SEGMENT` size; and the stream's direct
//! fan-out (`direct`) gathers the runs of all its WebRTC players for a frame in this thread's
//! outbox, sent when the pass over the players ends ([`flush`]), rather than a `sendmsg` per
//! run per player (41 % of the fan-out's time was those calls, see `benches/RESULTS.md`).
//!
//! One peer's failure harms no other: a message the kernel refuses is skipped (a GSO run that
//! fails is retried as single datagrams, for a device without segmentation offload) and the
//! call goes on after it. A full socket buffer (`EAGAIN`) drops the rest of the call, as UDP
//! would: waiting would hold up the stream's task, and every peer behind the same buffer.

use super::{Batch, Endpoint};
use std::cell::RefCell;
use std::io;
use std::sync::Arc;

/// Messages per `sendmmsg`, at most (the kernel's `UIO_MAXIOV`).
const MAX_MESSAGES: usize = 1024;

/// A fan-out pass's outbox is sent early once it holds this many runs or bytes, which bounds
/// its memory (a keyframe to a thousand players is tens of MB) and the socket buffer one call
/// fills.
const FLUSH_RUNS: usize = MAX_MESSAGES;
const FLUSH_BYTES: usize = 1 << 21;

/// What the direct writes of this thread's current fan-out pass have to send.
#[derive(Default)]
struct Outbox {
    endpoint: Option<Arc<Endpoint>>,
    batch: Batch,
}

thread_local! {
    static OUTBOX: RefCell<Outbox> = RefCell::default();
}

impl Outbox {
    fn send(&mut self) {
        if let Some(endpoint) = self.endpoint.take()
            && !self.batch.is_empty()
        {
            endpoint.send_batch(&mut self.batch);
        }
    }
}

/// The thread's outbox for `endpoint`, to add a player's datagrams to; give it back with
/// [`put`]. What waits for another endpoint (another server in the process) is sent first.
pub(super) fn take(endpoint: &Arc<Endpoint>) -> Batch {
    OUTBOX.with_borrow_mut(|out| {
        if out
            .endpoint
            .as_ref()
            .is_some_and(|e| !Arc::ptr_eq(e, endpoint))
        {
            out.send();
        }
        out.endpoint = Some(endpoint.clone());
        let mut batch = std::mem::take(&mut out.batch);
        batch.max = Batch::max_for(endpoint);
        batch
    })
}

/// Gives back the outbox [`take`] gave; sends it at once when it is large.
pub(super) fn put(batch: Batch) {
    OUTBOX.with_borrow_mut(|out| {
        out.batch = batch;
        if out.batch.runs.len() >= FLUSH_RUNS || out.batch.bytes.len() >= FLUSH_BYTES {
            let endpoint = out.endpoint.clone();
            out.send();
            out.endpoint = endpoint;
        }
    });
}

/// Sends what the thread's outbox holds: the stream's pass over its players is over.
pub(super) fn flush() {
    OUTBOX.with_borrow_mut(Outbox::send);
}

/// How the messages of one send went.
#[derive(Debug, Default, PartialEq, Eq)]
pub(super) struct Tally {
    pub sent: usize,
    pub failed: usize,
    /// Left unsent because the socket's buffer was full.
    pub dropped: usize,
}

/// Sends messages `0..count` with `call`, which sends those from its argument on and says how
/// many went (as `sendmmsg`: an error only when the first of them failed). A message that
/// fails is handed to `failed` and skipped; the socket's buffer full drops the rest.
pub(super) fn send_all(
    count: usize,
    mut call: impl FnMut(usize) -> io::Result<usize>,
    mut failed: impl FnMut(usize, io::Error),
) -> Tally {
    let mut tally = Tally::default();
    let mut at = 0;
    while at < count {
        match call(at) {
            Ok(0) => break,
            Ok(n) => {
                let n = n.min(count - at);
                tally.sent += n;
                at += n;
            }
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
            Err(e) => {
                failed(at, e);
                tally.failed += 1;
                at += 1;
            }
        }
    }
    tally.dropped = count - at;
    tally
}

/// One `sendmmsg`'s messages: each run of a batch to its peer, with its GSO segment size.
#[cfg(target_os = "linux")]
pub(super) struct Messages<'a> {
    /// Kept alive for the headers, which point into them.
    _addrs: Vec<socket2::SockAddr>,
    _iovecs: Vec<libc::iovec>,
    _controls: Vec<Control>,
    headers: Vec<libc::mmsghdr>,
    _bytes: std::marker::PhantomData<&'a [u8]>,
}

/// Room for one `UDP_SEGMENT` control message, aligned as `cmsghdr`.
#[cfg(target_os = "linux")]
#[derive(Clone, Copy)]
#[repr(C, align(8))]
struct Control([u8; 32]);

#[cfg(target_os = "linux")]
impl<'a> Messages<'a> {
    /// `runs` as messages: (destination, datagrams, segment size when more than one).
    pub(super) fn new(
        runs: impl Iterator<Item = (std::net::SocketAddr, &'a [u8], Option<u16>)>,
    ) -> Self {
        let mut addrs = Vec::new();
        let mut iovecs = Vec::new();
        let mut segments = Vec::new();
        for (to, data, segment) in runs {
            addrs.push(socket2::SockAddr::from(to));
            iovecs.push(libc::iovec {
                iov_base: data.as_ptr() as *mut libc::c_void,
                iov_len: data.len(),
            });
            segments.push(segment);
        }
        let mut controls = vec![Control([0; 32]); addrs.len()];
        // SAFETY: CMSG_SPACE only computes a size.
        let space = unsafe { libc::CMSG_SPACE(std::mem::size_of::<u16>() as u32) } as usize;
        assert!(space <= std::mem::size_of::<Control>());
        let mut headers = Vec::with_capacity(addrs.len());
        for (i, segment) in segments.into_iter().enumerate() {
            // SAFETY: msghdr is plain data; all-zero is an empty message.
            let mut header: libc::msghdr = unsafe { std::mem::zeroed() };
            header.msg_name = addrs[i].as_ptr() as *mut libc::c_void;
            header.msg_namelen = addrs[i].len();
            header.msg_iov = &mut iovecs[i];
            header.msg_iovlen = 1;
            if let Some(segment) = segment {
                header.msg_control = controls[i].0.as_mut_ptr() as *mut libc::c_void;
                header.msg_controllen = space as _;
                // SAFETY: the control buffer is `space` bytes long (asserted above), aligned
                // for cmsghdr, and owned by `controls`, whose heap buffer never moves; the
                // first header and its data fit in it.
                unsafe {
                    let cmsg = libc::CMSG_FIRSTHDR(&header);
                    (*cmsg).cmsg_level = libc::SOL_UDP;
                    (*cmsg).cmsg_type = libc::UDP_SEGMENT;
                    (*cmsg).cmsg_len = libc::CMSG_LEN(std::mem::size_of::<u16>() as u32) as _;
                    std::ptr::write_unaligned(libc::CMSG_DATA(cmsg) as *mut u16, segment);
                }
            }
            headers.push(libc::mmsghdr {
                msg_hdr: header,
                msg_len: 0,
            });
        }
        Messages {
            _addrs: addrs,
            _iovecs: iovecs,
            _controls: controls,
            headers,
            _bytes: std::marker::PhantomData,
        }
    }

    pub(super) fn len(&self) -> usize {
        self.headers.len()
    }

    /// One `sendmmsg` of the messages from `from` on (at most [`MAX_MESSAGES`]): how many went.
    pub(super) fn send(&mut self, fd: std::os::fd::RawFd, from: usize) -> io::Result<usize> {
        let rest = &mut self.headers[from..];
        let count = rest.len().min(MAX_MESSAGES) as libc::c_uint;
        // SAFETY: each header points at buffers that `self` owns (address, iovec, control) or
        // borrows for 'a (the datagrams), all alive and unmoved for this call; `count` headers
        // follow `rest`'s start.
        let n = unsafe { libc::sendmmsg(fd, rest.as_mut_ptr(), count, 0) };
        if n < 0 {
            return Err(io::Error::last_os_error());
        }
        Ok(n as usize)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn err(kind: io::ErrorKind) -> io::Error {
        io::Error::from(kind)
    }

    async fn loopback() -> Arc<Endpoint> {
        Endpoint::bind("127.0.0.1:0".parse().unwrap(), "127.0.0.1", "")
            .await
            .unwrap()
    }

    /// The first byte and length of each of the next `count` datagrams `socket` receives.
    fn received(socket: &std::net::UdpSocket, count: usize) -> Vec<(u8, usize)> {
        let mut buf = [0u8; 2048];
        (0..count)
            .map(|_| {
                let n = socket.recv(&mut buf).unwrap();
                (buf[0], n)
            })
            .collect()
    }

    #[test]
    fn a_partial_send_goes_on_from_where_it_stopped() {
        let mut starts = Vec::new();
        let tally = send_all(
            5,
            |from| {
                starts.push(from);
                Ok(2)
            },
            |_, _| panic!("nothing failed"),
        );
        assert_eq!(starts, [0, 2, 4]);
        assert_eq!(
            tally,
            Tally {
                sent: 5,
                failed: 0,
                dropped: 0
            }
        );
    }

    #[test]
    fn one_failing_destination_is_skipped_and_the_others_are_sent() {
        // Message 2 fails: the kernel sends 0 and 1, then reports the error on the next call.
        let mut failures = Vec::new();
        let mut interrupted = false;
        let tally = send_all(
            5,
            |from| match from {
                0 => Ok(2),
                2 => Err(err(io::ErrorKind::InvalidInput)),
                3 if !interrupted => {
                    interrupted = true;
                    Err(err(io::ErrorKind::Interrupted))
                }
                _ => Ok(5 - from),
            },
            |at, e| failures.push((at, e.kind())),
        );
        assert_eq!(failures, [(2, io::ErrorKind::InvalidInput)]);
        assert_eq!(
            tally,
            Tally {
                sent: 4,
                failed: 1,
                dropped: 0
            }
        );
    }

    #[test]
    fn a_full_socket_buffer_drops_the_rest() {
        let tally = send_all(
            6,
            |from| match from {
                0 => Ok(4),
                _ => Err(err(io::ErrorKind::WouldBlock)),
            },
            |_, _| panic!("a full buffer is no peer's failure"),
        );
        assert_eq!(
            tally,
            Tally {
                sent: 4,
                failed: 0,
                dropped: 2
            }
        );
    }

    /// Real datagrams through one `sendmmsg`: GSO runs and single datagrams to two peers, with
    /// a destination the kernel refuses (port 0) between them.
    #[cfg(target_os = "linux")]
    #[tokio::test]
    async fn runs_to_many_peers_go_out_together_and_a_refused_one_harms_none() {
        let endpoint = loopback().await;
        let a = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
        let b = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
        let refused: std::net::SocketAddr = "127.0.0.1:0".parse().unwrap();
        let mut batch = Batch::new(&endpoint);
        // RTP (version 2, payload type 96), which runs gather; the first byte tells them apart.
        let rtp = |first: u8, len: usize| {
            let mut datagram = vec![first; len];
            datagram[1] = 96;
            datagram
        };
        for i in 0..3u8 {
            batch.push(a.local_addr().unwrap(), &rtp(0x80 + i, 100));
        }
        batch.push(a.local_addr().unwrap(), &rtp(0x83, 40));
        batch.push(refused, &rtp(0x89, 100));
        batch.push(refused, &rtp(0x89, 100));
        batch.push(b.local_addr().unwrap(), &rtp(0x87, 60));
        batch.push(b.local_addr().unwrap(), &rtp(0x88, 60));
        assert_eq!(batch.runs.len(), 3, "one run per peer");
        endpoint.send_batch(&mut batch);
        assert!(batch.is_empty());
        assert_eq!(
            received(&a, 4),
            [(0x80, 100), (0x81, 100), (0x82, 100), (0x83, 40)]
        );
        assert_eq!(received(&b, 2), [(0x87, 60), (0x88, 60)]);
    }

    /// STUN, DTLS and RTCP go alone (a capture on loopback shows a run as one datagram);
    /// RTP after them starts a run of its own.
    #[tokio::test]
    async fn only_rtp_joins_a_run() {
        let endpoint = loopback().await;
        let peer: std::net::SocketAddr = "127.0.0.1:9".parse().unwrap();
        let mut batch = Batch::new(&endpoint);
        // Each a whole fixed header's length: 12 bytes, the first four telling them apart.
        let datagram = |head: [u8; 4]| [head, [0; 4], [0; 4]].concat();
        let stun = datagram([0, 1, 0, 44]);
        let rtcp = datagram([0x81, 205, 0, 4]);
        let rtp = datagram([0x80, 96, 0, 1]);
        let dtls = datagram([22, 254, 253, 0]);
        for datagram in [&stun, &stun, &rtcp, &rtcp, &dtls, &rtp, &rtp, &rtp] {
            batch.push(peer, datagram);
        }
        let counts: Vec<usize> = batch.runs.iter().map(|r| r.count).collect();
        assert_eq!(counts, [1, 1, 1, 1, 1, 3]);
    }

    /// A fan-out pass's players add to one outbox, sent once at the pass's end.
    #[tokio::test]
    async fn the_outbox_holds_a_pass_until_it_is_flushed() {
        let endpoint = loopback().await;
        let peer = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
        peer.set_nonblocking(true).unwrap();
        for i in 0..2u8 {
            let mut batch = take(&endpoint);
            batch.push(peer.local_addr().unwrap(), &[i; 10]);
            put(batch);
        }
        let mut buf = [0u8; 64];
        assert_eq!(
            peer.recv(&mut buf).unwrap_err().kind(),
            io::ErrorKind::WouldBlock
        );
        flush();
        peer.set_nonblocking(false).unwrap();
        assert_eq!(received(&peer, 2), [(0, 10), (1, 10)]);
    }
}
