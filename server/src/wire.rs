//! A connection's byte stream, plain TCP or TLS over TCP, as the RTMP connection task reads and
//! writes it: one session code for RTMP and RTMPS.
//!
//! Plain TCP keeps the fast paths: reads straight into the thread's scratch buffer when the
//! socket is readable, and the direct writes of a caught-up player to the socket's descriptor
//! (`crate::direct`). Over TLS every byte must go through the TLS session, so a player is never
//! handed to its stream's direct writes ([`Outgoing::direct`] is `None`): its task writes,
//! and decrypted input waits in a small buffer of the connection's own until it is read.

use bytes::Bytes;
use std::io;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, ready};
use tokio::io::{AsyncRead, AsyncWriteExt, ReadBuf, ReadHalf, WriteHalf};
use tokio::net::TcpStream;
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
use tokio_rustls::server::TlsStream;

/// The largest plaintext a TLS record carries (RFC 8446 §5.1): one read's worth.
const TLS_READ_BUFFER: usize = 16 * 1024;

/// What one write to a TLS stream gathers, at most (unless one piece is larger): four records.
const TLS_WRITE_BATCH: usize = 64 * 1024;

/// A connection's way in.
pub(crate) enum Incoming {
    Tcp(OwnedReadHalf),
    Tls(Box<TlsIncoming>),
}

/// A connection's way out.
pub(crate) enum Outgoing {
    /// Shared with the stream's direct writes while the player is caught up.
    Tcp(Arc<OwnedWriteHalf>),
    Tls(WriteHalf<TlsStream<TcpStream>>),
}

/// A plain TCP connection's two ways.
pub(crate) fn tcp(socket: TcpStream) -> (Incoming, Outgoing) {
    let (reader, writer) = socket.into_split();
    (Incoming::Tcp(reader), Outgoing::Tcp(Arc::new(writer)))
}

/// A TLS connection's two ways, once its handshake is done.
pub(crate) fn tls(stream: TlsStream<TcpStream>) -> (Incoming, Outgoing) {
    let (reader, writer) = tokio::io::split(stream);
    let incoming = TlsIncoming(Mutex::new(TlsRead {
        reader,
        buffer: vec![0; TLS_READ_BUFFER].into_boxed_slice(),
        start: 0,
        end: 0,
        eof: false,
        error: None,
    }));
    (Incoming::Tls(Box::new(incoming)), Outgoing::Tls(writer))
}

impl Incoming {
    /// Ready when [`Incoming::try_read`] may have something (bytes, the end, an error); as a
    /// socket's readiness, it may also be ready for nothing.
    pub(crate) async fn readable(&self) -> io::Result<()> {
        match self {
            Incoming::Tcp(reader) => reader.readable().await,
            Incoming::Tls(tls) => std::future::poll_fn(|cx| tls.poll_fill(cx)).await,
        }
    }

    /// What is there to read now: `Ok(0)` at the end, `WouldBlock` when nothing is.
    pub(crate) fn try_read(&self, buf: &mut [u8]) -> io::Result<usize> {
        match self {
            Incoming::Tcp(reader) => reader.try_read(buf),
            Incoming::Tls(tls) => tls.try_read(buf),
        }
    }
}

/// Decrypted input, read ahead by [`Incoming::readable`] until the task takes it.
pub(crate) struct TlsIncoming(Mutex<TlsRead>);

struct TlsRead {
    reader: ReadHalf<TlsStream<TcpStream>>,
    buffer: Box<[u8]>,
    /// `buffer[start..end]` is read and not taken yet.
    start: usize,
    end: usize,
    eof: bool,
    error: Option<io::Error>,
}

impl TlsIncoming {
    /// Reads one TLS read's worth into the buffer, unless something already waits there.
    fn poll_fill(&self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let mut guard = self.0.lock().unwrap_or_else(|e| e.into_inner());
        let state = &mut *guard;
        if state.start < state.end || state.eof || state.error.is_some() {
            return Poll::Ready(Ok(()));
        }
        let mut buf = ReadBuf::new(&mut state.buffer);
        match ready!(Pin::new(&mut state.reader).poll_read(cx, &mut buf)) {
            Ok(()) => {
                let n = buf.filled().len();
                (state.start, state.end) = (0, n);
                state.eof = n == 0;
            }
            // Handed over by the next `try_read`, as a socket's would be.
            Err(e) => state.error = Some(e),
        }
        Poll::Ready(Ok(()))
    }

    fn try_read(&self, out: &mut [u8]) -> io::Result<usize> {
        let mut state = self.0.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(e) = state.error.take() {
            return Err(e);
        }
        if state.start < state.end {
            let n = out.len().min(state.end - state.start);
            out[..n].copy_from_slice(&state.buffer[state.start..state.start + n]);
            state.start += n;
            return Ok(n);
        }
        match state.eof {
            true => Ok(0),
            false => Err(io::ErrorKind::WouldBlock.into()),
        }
    }
}

impl Outgoing {
    /// Writes every piece (emptying `pieces`), returning how many bytes that was.
    pub(crate) async fn write_all(&mut self, pieces: &mut Vec<Bytes>) -> io::Result<u64> {
        match self {
            Outgoing::Tcp(writer) => crate::direct::write_all(writer, pieces).await,
            Outgoing::Tls(writer) => {
                // Gathered into writes of TLS_WRITE_BATCH or so: each write of the TLS stream
                // is at least one record and one system call, and pieces are often a chunk
                // header of a few bytes.
                let total: usize = pieces.iter().map(Bytes::len).sum();
                let mut batch = Vec::with_capacity(total.min(TLS_WRITE_BATCH));
                for piece in pieces.iter() {
                    if !batch.is_empty() && batch.len() + piece.len() > TLS_WRITE_BATCH {
                        writer.write_all(&batch).await?;
                        batch.clear();
                    }
                    batch.extend_from_slice(piece);
                }
                writer.write_all(&batch).await?;
                writer.flush().await?;
                let total = total as u64;
                *pieces = Vec::new(); // an idle player keeps no capacity
                Ok(total)
            }
        }
    }

    /// The socket a caught-up player's stream may write to directly: plain TCP only.
    pub(crate) fn direct(&self) -> Option<Arc<OwnedWriteHalf>> {
        match self {
            Outgoing::Tcp(writer) => Some(writer.clone()),
            Outgoing::Tls(_) => None,
        }
    }
}
