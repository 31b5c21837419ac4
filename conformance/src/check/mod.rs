//! `weir check`: captures (or raw stream pairs) through the flow table, protocol detection and
//! the observers, into a transcript and a verdict per rule per flow.
//!
//! ```no_run
//! use weir_conformance::check::{self, Input, Options};
//! let report = check::run(&[Input::Capture("session.pcap".into())], &Options::default());
//! print!("{}", report.transcript_yaml());
//! std::process::exit(report.exit_code());
//! ```
//!
//! [`Checker`] is the same pipeline fed event by event, for tests and for callers with events
//! of their own; the [`Report`] model is in `report.rs`, the violations counted into verdicts
//! in `tally.rs`.

mod checker;
mod recent;
mod report;
mod tally;

pub use checker::{Checker, MAX_VIOLATIONS_LISTED};
pub use report::{Coverage, FlowReport, InputReport, Report};
pub use tally::{MAX_FAILURES_KEPT, Tally};

use std::collections::BTreeMap;
use std::fs::File;
use std::io::Read;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use bytes::Bytes;

use crate::capture::{CaptureEvents, FileEvents, Limits, StreamPair};
use crate::detect::{self, DecodeAs};
use crate::protocols::Protocol;
use crate::sniff;
use crate::verdict::Selection;

/// What `weir check` reads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Input {
    /// A pcap or pcapng file. A file that is neither is read by what its first bytes say: a
    /// transport stream (sync bytes every 188, 192 or 204 bytes) or an HLS playlist
    /// (`#EXTM3U`) as one pseudo-flow ([`Transport::File`](crate::capture::Transport::File)); otherwise, if it is one half of
    /// a raw stream pair (a name with `client` whose `server` sibling exists, as the corpus's
    /// fq pairs), as that pair. An SDP offer whose name has `offer` is read with its `answer`
    /// sibling, when there is one, as an exchange.
    Capture(PathBuf),
    /// Two raw byte streams of one connection.
    Pair { client: PathBuf, server: PathBuf },
}

impl Input {
    pub fn name(&self) -> String {
        match self {
            Input::Capture(path) => file_name(path),
            Input::Pair { client, server } => {
                format!("{} + {}", file_name(client), file_name(server))
            }
        }
    }
}

fn file_name(path: &Path) -> String {
    path.file_name().map_or_else(
        || path.display().to_string(),
        |n| n.to_string_lossy().into(),
    )
}

/// How to check.
#[derive(Debug, Clone, Default)]
pub struct Options {
    pub selection: Selection,
    pub decode_as: DecodeAs,
    pub limits: Limits,
    /// Draw a progress bar on standard error (only when it is a terminal).
    pub progress: bool,
    /// A flow not judged in full (observed in part, or not observed) fails the check: for CI
    /// gates that must not pass on bytes nothing judged.
    pub require_full_coverage: bool,
    /// Nothing reads the transcript (no `--transcript`, no `--html`): its entries are not
    /// kept, and observers may skip wording what they saw. Verdicts, coverage and media
    /// summaries are the same either way.
    pub no_transcript: bool,
}

/// Runs the check over every input.
pub fn run(inputs: &[Input], options: &Options) -> Report {
    Report {
        inputs: inputs
            .iter()
            .map(|input| check_input(input, options))
            .collect(),
        strict: options.selection.strict,
        require_full_coverage: options.require_full_coverage,
    }
}

fn check_input(input: &Input, options: &Options) -> InputReport {
    let name = input.name();
    let unreadable = |e: String| InputReport {
        name: name.clone(),
        error: Some(e),
        flows: Vec::new(),
        entries: Vec::new(),
        unopened: BTreeMap::new(),
    };
    match input {
        Input::Pair { client, server } => match read_pair(client, server) {
            Ok(pair) => check_pair(&name, &pair, options),
            Err(e) => unreadable(e),
        },
        Input::Capture(path) => {
            let file = match open_input(path) {
                Ok(file) => file,
                Err(e) => return unreadable(format!("{}: {e}", path.display())),
            };
            let regular = file.metadata().ok().filter(|m| m.is_file());
            let size = regular.as_ref().map_or(0, |m| m.len());
            let head = match read_head(&file) {
                Ok(head) => head,
                Err(e) => return unreadable(format!("{}: {e}", path.display())),
            };
            // Whole when the read stopped short of the sniffing bound (the end came first), or
            // when it holds a regular file's every byte.
            let complete = head.len() < detect::MAX_SNIFF
                || regular.is_some_and(|m| head.len() as u64 >= m.len());
            let as_file = detect::sniff_file(&head, complete)
                .is_some_and(|(protocol, _)| protocol != Protocol::Unknown);
            let progress = Progress::new(options.progress, size);
            // A capture in a regular file is read in place (see `map`); whatever else, or
            // what is no capture, is read as before.
            if !as_file
                && let Some(bytes) = map(&file)
                && let Ok(events) = CaptureEvents::from_bytes(bytes, options.limits)
            {
                return check_events(&name, events, &progress, options);
            }
            // Unbuffered: the capture reader and the file reader each read in pieces of a
            // megabyte into their own buffers, and a buffer in between would copy every byte
            // once more.
            // The head was read from `file` (from a pipe, it cannot be read again): the
            // whole is the head, then the rest.
            let reader = progress.wrap(std::io::Cursor::new(head.clone()).chain(file));
            if as_file {
                // An offer beside its answer is one exchange: read together.
                if let Some(answer) = sibling(path, "offer", "answer") {
                    return match read_pair(path, &answer) {
                        Ok(pair) => check_pair(&name, &pair, options),
                        Err(e) => unreadable(e),
                    };
                }
                return check_file(&name, reader, options);
            }
            match CaptureEvents::new(reader, options.limits) {
                Ok(events) => check_events(&name, events, &progress, options),
                Err(e) => match sibling(path, "client", "server") {
                    Some(server) => match read_pair(path, &server) {
                        Ok(pair) => check_pair(&name, &pair, options),
                        Err(e) => unreadable(e),
                    },
                    None => unreadable(match sniff::not_a_file_we_read(&head) {
                        Some(what) => format!("{}: {what}", path.display()),
                        None => format!(
                            "{}: neither a capture ({e}) nor a file Weir reads (a transport \
                             stream, a program stream, an HLS playlist, an SDP, MP4 or FLV file)",
                            path.display()
                        ),
                    }),
                },
            }
        }
    }
}

/// A regular file mapped into memory, for the capture reader to read in place: no copy of
/// its bytes into a buffer, each packet a view of the map. `None` where it cannot be mapped
/// (a pipe, `/dev/stdin` from one, a file system without mmap): the file is then read.
///
/// A map's pages are the page cache's, so a packet held long pins only the file's pages,
/// which the kernel can drop and read again (they count in the process's RSS once read).
/// The risk taken: were the file truncated by another process while mapped, reading a page
/// past its new end would end `weir check` with SIGBUS instead of a "truncated capture"
/// error. The capture is a file the user gave us to read, not one a peer writes; catching
/// SIGBUS soundly would cost more than the map saves, and reading it (the fallback) costs a
/// copy of every byte.
fn map(file: &File) -> Option<Bytes> {
    if !file.metadata().ok()?.is_file() {
        return None;
    }
    // SAFETY: the map is read-only, and nothing of this process writes the file; what Rust
    // assumes of the slice (bytes that do not change under it) holds unless another process
    // writes or truncates the file while we read, which the doc comment above accepts.
    let map = unsafe { memmap2::MmapOptions::new().map(file) }.ok()?;
    #[cfg(unix)]
    let _ = map.advise(memmap2::Advice::Sequential);
    Some(Bytes::from_owner(map))
}

/// The file at `path`; `-` is standard input (a pipe from `tcpdump -w -`, or a file
/// redirected, which is then read in place as any other).
fn open_input(path: &Path) -> std::io::Result<File> {
    #[cfg(unix)]
    if path.as_os_str() == "-" {
        use std::os::fd::AsFd;
        return Ok(File::from(std::io::stdin().as_fd().try_clone_to_owned()?));
    }
    File::open(path)
}

/// The first bytes of a file, enough for [`detect::sniff_file`].
fn read_head(file: &File) -> std::io::Result<Vec<u8>> {
    let mut head = Vec::with_capacity(detect::MAX_SNIFF);
    file.take(detect::MAX_SNIFF as u64).read_to_end(&mut head)?;
    Ok(head)
}

/// A file read whole as one pseudo-flow: its content decides the observer, as a flow's does.
fn check_file<'r>(name: &str, reader: impl Read + 'r, options: &Options) -> InputReport {
    let mut checker = Checker::new(name, options);
    let mut error = None;
    for event in FileEvents::new(reader) {
        match event {
            Ok(event) => checker.push(event),
            Err(e) => error = Some(format!("{name}: {e}")),
        }
    }
    let mut report = checker.finish();
    report.error = error;
    report
}

fn check_events<'r>(
    name: &str,
    mut events: CaptureEvents<'r>,
    progress: &Progress,
    options: &Options,
) -> InputReport {
    let mut checker = Checker::new(name, options);
    let mut error = None;
    let mut count = 0u32;
    while let Some(event) = events.next() {
        match event {
            Ok(event) => checker.push(event),
            Err(e) => error = Some(e.to_string()),
        }
        count = count.wrapping_add(1);
        if count.is_multiple_of(4096) {
            progress.reached(events.offset());
        }
    }
    let mut report = checker.finish();
    report.error = error;
    report
}

fn check_pair(name: &str, pair: &StreamPair, options: &Options) -> InputReport {
    let mut checker = Checker::new(name, options);
    for event in pair.events() {
        checker.push(event);
    }
    checker.finish()
}

/// `X_client_Y`'s sibling `X_server_Y` (or `X_offer_Y`'s `X_answer_Y`), when it exists.
fn sibling(path: &Path, first: &str, second: &str) -> Option<PathBuf> {
    let name = path.file_name()?.to_str()?;
    let sibling = path.with_file_name(name.replacen(first, second, 1));
    (name.contains(first) && sibling.is_file()).then_some(sibling)
}

/// The two files of a raw stream pair; the addresses are placeholders (RTMP's port on the
/// server side).
pub fn read_pair(client: &Path, server: &Path) -> Result<StreamPair, String> {
    let read = |path: &Path| {
        std::fs::read(path)
            .map(Bytes::from)
            .map_err(|e| format!("{}: {e}", path.display()))
    };
    Ok(StreamPair {
        client: SocketAddr::from(([127, 0, 0, 1], 50000)),
        server: SocketAddr::from(([127, 0, 0, 2], 1935)),
        client_to_server: read(client)?,
        server_to_client: read(server)?,
    })
}

/// A progress bar on standard error, fed by the bytes read from the file.
struct Progress(Option<indicatif::ProgressBar>);

/// Inputs smaller than this get no progress bar.
const PROGRESS_MIN_BYTES: u64 = 32 << 20;

impl Progress {
    fn new(wanted: bool, size: u64) -> Self {
        use std::io::IsTerminal;
        let show = wanted && size >= PROGRESS_MIN_BYTES && std::io::stderr().is_terminal();
        Progress(show.then(|| {
            let bar = indicatif::ProgressBar::new(size);
            if let Ok(style) = indicatif::ProgressStyle::with_template(
                "{bar:40} {bytes}/{total_bytes} {bytes_per_sec} {eta}",
            ) {
                bar.set_style(style);
            }
            bar
        }))
    }

    /// For a file read in place, which no wrapped reader counts.
    fn reached(&self, offset: u64) {
        if let Some(bar) = &self.0 {
            bar.set_position(offset);
        }
    }

    fn wrap<'r>(&self, reader: impl Read + 'r) -> Box<dyn Read + 'r> {
        match &self.0 {
            Some(bar) => Box::new(bar.wrap_read(reader)),
            None => Box::new(reader),
        }
    }
}

impl Drop for Progress {
    fn drop(&mut self) {
        if let Some(bar) = &self.0 {
            bar.finish_and_clear();
        }
    }
}
