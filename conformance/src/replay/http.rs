//! `weir replay CAPTURE --to http://host:port[/app/stream.ext]`: the requests of each captured
//! HTTP flow (HTTP-FLV, HTTP-TS, HLS playlists and segments) re-sent to a live server at their
//! captured times, and the answers compared ([`super::http_answers`]).
//!
//! Each request goes on a connection of its own (`Connection: close`, RFC 9112 §9.6) with the
//! captured method and target; the captured fields besides are not re-sent. When `--to` names
//! a stream, `/app/stream.flv`, `.m3u8` and `.ts` (HTTP-TS: a name a playlist or FLV request
//! of the capture used) become the target's app and stream. A captured HLS segment is not a
//! name the live server knows: it is mapped through the playlists, by media sequence number
//! (RFC 8216 §6.3.5), to the live playlist's segment in the same place, the first one found
//! at the same index of its playlist as the captured one. An endless body (HTTP-FLV, HTTP-TS)
//! is read for as long as the captured client read it.

use std::collections::{HashMap, HashSet};
use std::io::{Read, Write};
use std::net::{TcpStream, ToSocketAddrs};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use super::flows::Flow;
use super::http_answers::{self, Answer, Loaded, Request, Responses, Sequences};
use super::{FlowReplay, Options, Pacing, ReplayReport};
use crate::capture::Direction;
use crate::protocols::Protocol;

/// Extensions of live media a target's stream name is put on.
const MEDIA: [&str; 3] = ["flv", "m3u8", "ts"];

/// Bytes read from one live response at most.
const MAX_RESPONSE: usize = 64 << 20;

/// Where to replay to.
#[derive(Debug, Clone)]
pub struct HttpTarget {
    /// `host:port`.
    pub authority: String,
    /// The app and stream names when the URL names a stream.
    pub stream: Option<(String, String)>,
}

impl HttpTarget {
    pub fn parse(url: &str) -> Result<HttpTarget, String> {
        let rest = url
            .strip_prefix("http://")
            .ok_or_else(|| format!("{url}: not an http:// URL"))?;
        let (authority, path) = match rest.find('/') {
            Some(at) => (&rest[..at], &rest[at..]),
            None => (rest, "/"),
        };
        if authority.is_empty() {
            return Err(format!("{url}: no host"));
        }
        let authority = if authority.contains(':') {
            authority.to_owned()
        } else {
            format!("{authority}:80")
        };
        let path = path.split('?').next().unwrap_or_default();
        let stream = path.rsplit_once('/').and_then(|(app, name)| {
            let stem = name.split_once('.').map_or(name, |(stem, _)| stem);
            (!stem.is_empty()).then(|| (app.trim_start_matches('/').to_owned(), stem.to_owned()))
        });
        Ok(HttpTarget { authority, stream })
    }

    /// The live target of a captured one: `/app/name.ext` of a media extension, where `name`
    /// is one of `names` (the capture's streams), becomes the target's app and stream.
    pub fn rewrite(&self, captured: &str, names: &HashSet<String>) -> String {
        let Some((app, stream)) = &self.stream else {
            return captured.to_owned();
        };
        let (path, query) = match captured.split_once('?') {
            Some((path, query)) => (path, Some(query)),
            None => (captured, None),
        };
        let Some((_, name)) = path.rsplit_once('/') else {
            return captured.to_owned();
        };
        let Some((stem, ext)) = name.rsplit_once('.') else {
            return captured.to_owned();
        };
        if !MEDIA.contains(&ext) || !names.contains(stem) {
            return captured.to_owned();
        }
        let app = if app.is_empty() {
            String::new()
        } else {
            format!("/{app}")
        };
        match query {
            Some(query) => format!("{app}/{stream}.{ext}?{query}"),
            None => format!("{app}/{stream}.{ext}"),
        }
    }
}

/// The stream names of the capture: the stems of its `.flv` and `.m3u8` requests, and of its
/// `.ts` requests that are not segments a playlist listed (`listed`: HTTP-TS).
fn stream_names(
    requests: &[(Vec<Request>, Option<String>)],
    listed: &HashSet<String>,
) -> HashSet<String> {
    requests
        .iter()
        .flat_map(|(r, _)| r)
        .filter_map(|r| {
            let path = r.target.split('?').next()?;
            let name = path.rsplit('/').next()?;
            let (stem, ext) = name.rsplit_once('.')?;
            let named = ext == "flv" || ext == "m3u8" || (ext == "ts" && !listed.contains(path));
            named.then(|| stem.to_owned())
        })
        .collect()
}

/// A URI of a playlist resolved against the playlist's path (RFC 3986 §5.2, for the relative
/// paths and absolute URLs playlists hold), as a path.
fn resolve(playlist: &str, uri: &str) -> String {
    if let Some((_, rest)) = uri.split_once("://") {
        return rest
            .find('/')
            .map_or("/".to_owned(), |at| rest[at..].to_owned());
    }
    if uri.starts_with('/') {
        return uri.to_owned();
    }
    let base = playlist.split('?').next().unwrap_or_default();
    let dir = base.rsplit_once('/').map_or("", |(dir, _)| dir);
    format!("{dir}/{uri}")
}

/// The HLS segments of both sides, to map one to the other.
#[derive(Debug, Default)]
struct Segments {
    /// A captured segment's path: its playlist's live target, media sequence number and index.
    captured: HashMap<String, (String, u64, usize)>,
    /// A playlist's live target: its last live load.
    live: HashMap<String, Loaded>,
    /// A playlist's live target: live minus captured media sequence numbers, once fixed.
    offsets: HashMap<String, i64>,
}

impl Segments {
    /// The live path for a captured segment, if it is one and the live playlist was loaded.
    fn map(&mut self, captured: &str) -> Option<String> {
        let path = captured.split('?').next().unwrap_or_default();
        let (playlist, msn, index) = self.captured.get(path)?.clone();
        let live = self.live.get(&playlist)?;
        let last = live.segments.len().checked_sub(1)?;
        let first = live.media_sequence as i64;
        let offset = *self
            .offsets
            .entry(playlist.clone())
            .or_insert_with(|| first + index.min(last) as i64 - msn as i64);
        let wanted = (msn as i64 + offset - first).clamp(0, last as i64) as usize;
        Some(resolve(&playlist, &live.segments[wanted]))
    }
}

/// Replays every HTTP flow of the input.
pub fn run(options: &Options, mut report: ReplayReport) -> ReplayReport {
    let target = match HttpTarget::parse(&options.url) {
        Ok(target) => target,
        Err(e) => {
            report.error = Some(e);
            return report;
        }
    };
    let Some(flows) = super::read_flows(options, &[Protocol::Http], &mut report) else {
        return report;
    };
    let requests: Vec<(Vec<Request>, Option<String>)> = flows
        .iter()
        .map(|f| http_answers::requests(&f.bytes[Direction::ClientToServer.index()].pieces))
        .collect();
    // What the playlists list is known once the answers are read; which names are streams
    // (and so how requests are labelled) depends on it: the answers are read twice.
    let listed: HashSet<String> = flows
        .iter()
        .zip(&requests)
        .flat_map(|(flow, (requests, _))| {
            let answers = captured_answers(flow, requests, &target, &HashSet::new());
            requests
                .iter()
                .zip(answers)
                .filter_map(|(request, answer)| Some((request.target.clone(), answer.playlist?)))
                .flat_map(|(playlist, loaded)| {
                    loaded
                        .segments
                        .into_iter()
                        .map(move |uri| resolve(&playlist, &uri))
                })
                .collect::<Vec<_>>()
        })
        .collect();
    let names = stream_names(&requests, &listed);
    // The captured answers, and the segments their playlists list.
    let mut segments = Segments::default();
    let mut captured = Vec::new();
    for (flow, (requests, _)) in flows.iter().zip(&requests) {
        let answers = captured_answers(flow, requests, &target, &names);
        for (request, answer) in requests.iter().zip(&answers) {
            if let Some(loaded) = &answer.playlist {
                let live = target.rewrite(&request.target, &names);
                let live = live.split('?').next().unwrap_or_default().to_owned();
                for (i, uri) in loaded.segments.iter().enumerate() {
                    segments
                        .captured
                        .entry(resolve(&request.target, uri))
                        .or_insert((live.clone(), loaded.media_sequence + i as u64, i));
                }
            }
        }
        captured.push(answers);
    }
    let segments = Mutex::new(segments);
    let flows = flows
        .into_iter()
        .zip(requests.into_iter().zip(captured))
        .collect();
    super::side_by_side(
        flows,
        options.pacing,
        &mut report,
        |flow, ((requests, truncated), captured)| {
            let started = Instant::now();
            let mut replay = FlowReplay {
                flow: flow.id,
                client: flow.client,
                server: flow.server,
                sent: 0,
                captured_messages: requests.len(),
                captured: http_answers::combine(&captured),
                live: Default::default(),
                error: None,
                truncated,
                elapsed: Duration::ZERO,
            };
            let live = replay_requests(
                &requests,
                &captured,
                &target,
                options,
                &names,
                &segments,
                &mut replay,
            );
            replay.live = http_answers::combine(&live);
            replay.elapsed = started.elapsed();
            replay
        },
    );
    report
}

/// The captured server's answers to the captured requests, labelled with the live targets.
fn captured_answers(
    flow: &Flow,
    requests: &[Request],
    target: &HttpTarget,
    names: &HashSet<String>,
) -> Vec<Answer> {
    let sequences = Sequences::default();
    let labels: Vec<(String, String)> = requests
        .iter()
        .map(|r| (r.method.clone(), target.rewrite(&r.target, names)))
        .collect();
    let mut responses = Responses::new(
        labels.iter().map(|(m, l)| (m.as_str(), l.clone())),
        sequences,
    );
    let server = &flow.bytes[Direction::ServerToClient.index()];
    for (time, piece) in &server.pieces {
        responses.push(*time, piece);
    }
    responses.end(server.closed.is_some() && server.gap.is_none());
    responses.answers()
}

/// The live path of a captured segment. Its playlist may be loaded by another flow that asked
/// for it a moment earlier in the capture, whose answer is still on its way: it is waited for,
/// up to `wait`.
fn segment(segments: &Mutex<Segments>, captured: &str, wait: Duration) -> Option<String> {
    let by = Instant::now() + wait;
    loop {
        let mut segments = segments.lock().expect("no replay thread panics holding it");
        let path = captured.split('?').next().unwrap_or_default();
        let playlist = &segments.captured.get(path)?.0;
        if segments.live.contains_key(playlist) || Instant::now() >= by {
            return segments.map(captured);
        }
        drop(segments);
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Re-sends the requests at their captured pacing; the live answers.
#[allow(clippy::too_many_arguments)]
fn replay_requests(
    requests: &[Request],
    captured: &[Answer],
    target: &HttpTarget,
    options: &Options,
    names: &HashSet<String>,
    segments: &Mutex<Segments>,
    replay: &mut FlowReplay,
) -> Vec<Answer> {
    let sequences = Sequences::default();
    let start = Instant::now();
    let t0 = requests.first().map_or(Duration::ZERO, |r| r.time);
    let mut answers = Vec::new();
    for (i, request) in requests.iter().enumerate() {
        let speed = match options.pacing {
            Pacing::Speed(speed) => Some(speed.max(1e-3)),
            Pacing::AsFastAsPossible => None,
        };
        if let Some(speed) = speed {
            let due = start + (request.time - t0).div_f64(speed);
            if let Some(left) = due.checked_duration_since(Instant::now()) {
                std::thread::sleep(left);
            }
        }
        let label = target.rewrite(&request.target, names);
        let path = segment(segments, &request.target, options.answer_timeout)
            .unwrap_or_else(|| label.clone());
        // How long the captured client read; an endless body is read as long.
        let read_for = match captured.get(i) {
            Some(answer) if answer.complete => None,
            Some(answer) => {
                let stayed = answer.last.saturating_sub(request.time);
                Some(match speed {
                    Some(speed) => stayed.div_f64(speed),
                    None => stayed.min(super::SETTLE),
                })
            }
            None => Some(super::SETTLE),
        };
        let mut responses = Responses::new(
            [(request.method.as_str(), label.clone())],
            sequences.clone(),
        );
        if let Err(e) = fetch(
            target,
            &request.method,
            &path,
            read_for,
            options,
            &mut responses,
        ) {
            replay.error = Some(e);
            answers.extend(responses.answers());
            break;
        }
        replay.sent += 1;
        let answer = responses.answers();
        for answer in &answer {
            if let Some(loaded) = &answer.playlist {
                let playlist = label.split('?').next().unwrap_or_default().to_owned();
                segments
                    .lock()
                    .expect("no replay thread panics holding it")
                    .live
                    .insert(playlist, loaded.clone());
            }
        }
        answers.extend(answer);
    }
    answers
}

/// One request on a connection of its own; the response read into `responses` until it
/// ends, the server closes, or `read_for` (an endless body) or the answer timeout passes.
pub(super) fn fetch(
    target: &HttpTarget,
    method: &str,
    path: &str,
    read_for: Option<Duration>,
    options: &Options,
    responses: &mut Responses,
) -> Result<(), String> {
    let address = target
        .authority
        .to_socket_addrs()
        .map_err(|e| format!("{}: {e}", target.authority))?
        .next()
        .ok_or_else(|| format!("{}: no address", target.authority))?;
    let mut stream = TcpStream::connect_timeout(&address, options.answer_timeout)
        .map_err(|e| format!("cannot connect to {address}: {e}"))?;
    let head = format!(
        "{method} {path} HTTP/1.1\r\nHost: {}\r\nUser-Agent: weir-replay/{}\r\nAccept: */*\r\n\
         Connection: close\r\n\r\n",
        target.authority,
        env!("CARGO_PKG_VERSION")
    );
    stream
        .write_all(head.as_bytes())
        .map_err(|e| format!("sending {method} {path}: {e}"))?;
    let started = Instant::now();
    let deadline = started + read_for.unwrap_or(Duration::ZERO) + options.answer_timeout;
    let stop_at = read_for.map(|r| started + r);
    let mut buffer = vec![0; 64 << 10];
    let mut total = 0;
    loop {
        let now = Instant::now();
        let until = stop_at.map_or(deadline, |s| s.max(now)).min(deadline);
        if now >= until || responses.answered() || total >= MAX_RESPONSE {
            responses.end(false);
            return Ok(());
        }
        stream
            .set_read_timeout(Some(
                (until - now)
                    .min(Duration::from_millis(100))
                    .max(Duration::from_millis(1)),
            ))
            .map_err(|e| e.to_string())?;
        match stream.read(&mut buffer) {
            Ok(0) => {
                responses.end(true);
                return Ok(());
            }
            Ok(n) => {
                total += n;
                responses.push(started.elapsed(), &buffer[..n]);
            }
            Err(e)
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                ) => {}
            Err(e) => {
                responses.end(true);
                return if total == 0 {
                    Err(format!("{method} {path}: {e}"))
                } else {
                    Ok(())
                };
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn targets_name_streams_and_captured_media_names_are_rewritten() {
        let target = HttpTarget::parse("http://127.0.0.1:8080/live/x.flv").unwrap();
        assert_eq!(target.authority, "127.0.0.1:8080");
        assert_eq!(target.stream, Some(("live".into(), "x".into())));
        let names: HashSet<String> = ["cap".to_owned()].into();
        assert_eq!(
            target.rewrite("/app/cap.flv?t=1", &names),
            "/live/x.flv?t=1"
        );
        assert_eq!(target.rewrite("/app/cap.m3u8", &names), "/live/x.m3u8");
        assert_eq!(target.rewrite("/app/cap-3.ts", &names), "/app/cap-3.ts");
        let bare = HttpTarget::parse("http://h").unwrap();
        assert_eq!((bare.authority.as_str(), bare.stream), ("h:80", None));
        assert!(HttpTarget::parse("rtmp://h/live/x").is_err());
    }

    #[test]
    fn segments_map_by_media_sequence() {
        let mut segments = Segments::default();
        segments
            .captured
            .insert("/live/cap-7.ts".into(), ("/live/x.m3u8".into(), 7, 0));
        segments
            .captured
            .insert("/live/cap-8.ts".into(), ("/live/x.m3u8".into(), 8, 1));
        assert_eq!(segments.map("/live/cap-7.ts"), None, "no live playlist yet");
        segments.live.insert(
            "/live/x.m3u8".into(),
            Loaded {
                media_sequence: 2,
                segments: vec!["x-2.ts".into(), "x-3.ts".into()],
            },
        );
        assert_eq!(
            segments.map("/live/cap-7.ts").as_deref(),
            Some("/live/x-2.ts")
        );
        assert_eq!(
            segments.map("/live/cap-8.ts").as_deref(),
            Some("/live/x-3.ts")
        );
        assert_eq!(segments.map("/live/other.ts"), None);
    }
}
