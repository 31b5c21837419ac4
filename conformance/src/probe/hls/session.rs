//! The HLS checker's polling, as a client plays a live stream: load the media playlist (after
//! following a master playlist to its first variant), fetch every segment it newly lists, and
//! reload as RFC 8216 §6.3.4 says: a target duration after the last load began when the
//! playlist changed, half of one when it did not; stop at EXT-X-ENDLIST or when the time is up.
//! What was loaded and fetched is kept for the cases to judge.

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use reqwest::Url;
use weir_hls::{MediaPlaylist, Parsed, Playlist};
use weir_media::Error;

use super::fetch::Http;
use super::segment::{self, SegmentFacts};
use crate::sniff::{self, Sniff};

/// Bytes a playlist may have (the parser's own default limit).
const PLAYLIST_LIMIT: usize = 16 << 20;
/// Bytes a segment may have.
const SEGMENT_LIMIT: usize = 256 << 20;
/// Segments of the first load fetched (the newest ones): a long event playlist is not
/// downloaded whole.
const FIRST_LOAD_SEGMENTS: usize = 10;
/// Segments fetched in one session at the most.
const MAX_SEGMENTS: usize = 2_000;
/// The reload interval when the playlist gives no usable target duration.
const DEFAULT_TARGET: Duration = Duration::from_secs(10);
/// Time past the end of the session that segment fetches may still take.
const GRACE: Duration = Duration::from_secs(10);

/// One load of the playlist.
#[derive(Debug, Clone)]
pub struct Load {
    /// Since the session began.
    pub at: Duration,
    pub url: Url,
    /// The HTTP status, or why no answer came.
    pub status: Result<u16, String>,
    /// The parse of a 200 answer.
    pub parsed: Option<Result<Parsed, Error>>,
    /// Its text differs from the load before.
    pub changed: bool,
}

impl Load {
    pub fn media(&self) -> Option<&MediaPlaylist> {
        match &self.parsed {
            Some(Ok(Parsed {
                playlist: Playlist::Media(m),
                ..
            })) => Some(m),
            _ => None,
        }
    }
}

/// One segment, fetched right after the load that first listed it.
#[derive(Debug, Clone)]
pub struct Segment {
    pub media_sequence: u64,
    pub discontinuity: bool,
    pub uri: String,
    pub extinf: f64,
    /// The segment comes with EXT-X-MAP (its PSI, for TS, is elsewhere).
    pub mapped: bool,
    /// The HTTP status, or why no answer came.
    pub status: Result<u16, String>,
    pub bytes: usize,
    /// What a TS segment holds; `Err`: why it was not read as TS.
    pub facts: Result<SegmentFacts, String>,
}

/// Everything one session saw.
#[derive(Debug, Clone, Default)]
pub struct Session {
    pub loads: Vec<Load>,
    pub segments: Vec<Segment>,
    /// Media sequence numbers listed at some load but gone before the next, never fetched.
    pub missed: Vec<u64>,
    pub notes: Vec<String>,
    pub elapsed: Duration,
}

impl Session {
    /// The segment with this media sequence number, if it was fetched.
    pub fn segment(&self, media_sequence: u64) -> Option<&Segment> {
        self.segments
            .iter()
            .find(|s| s.media_sequence == media_sequence)
    }
}

/// Polls `url` for `duration`. `Err` when the first load got no HTTP answer at all.
pub fn poll(http: &Http, url: Url, duration: Duration) -> Result<Session, String> {
    let start = Instant::now();
    let mut end = start + duration;
    let mut lengthened = false;
    let mut session = Session::default();
    let mut url = url;
    let mut previous: Option<Vec<u8>> = None;
    let mut fetched: BTreeSet<u64> = BTreeSet::new();
    let mut last_listed: Option<u64> = None;
    let mut followed = false;
    // The last target duration a load gave: a failed load is retried after half of it, as an
    // unchanged one (RFC 8216 §6.3.4), so that one error does not end the session.
    let mut target = DEFAULT_TARGET;
    loop {
        let began = Instant::now();
        let answer = http.get(&url, PLAYLIST_LIMIT);
        let mut load = Load {
            at: began - start,
            url: url.clone(),
            status: answer.as_ref().map(|a| a.status).map_err(Clone::clone),
            parsed: None,
            changed: false,
        };
        match &answer {
            Err(e) if session.loads.is_empty() => return Err(e.clone()),
            Ok(a) if a.status == 200 => {
                load.parsed = Some(weir_hls::parse(&a.body, &weir_hls::Limits::default()));
                load.changed = previous.as_deref() != Some(&a.body[..]);
                previous = Some(a.body.clone());
            }
            _ => {}
        }
        // A master playlist: its first variant is the one polled (once: a variant that is a
        // master playlist again is a load like any other, and fails the syntax case).
        if let Some(Ok(Parsed {
            playlist: Playlist::Master(master),
            ..
        })) = &load.parsed
            && session.loads.is_empty()
            && !followed
        {
            followed = true;
            let Some(variant) = master.variants.first() else {
                session
                    .notes
                    .push(format!("{url} is a master playlist without variants"));
                session.loads.push(load);
                break;
            };
            let next = url
                .join(&variant.uri)
                .map_err(|e| format!("{url}: variant {:?}: {e}", variant.uri))?;
            session.notes.push(format!(
                "{url} is a master playlist of {} variant(s): polling the first, {next}",
                master.variants.len()
            ));
            url = next;
            previous = None;
            continue;
        }
        let media = load.media().cloned();
        session.loads.push(load);
        let mut wait = target / 2;
        if let Some(media) = &media {
            target = media
                .target_duration
                .filter(|&t| t > 0)
                .map_or(DEFAULT_TARGET, Duration::from_secs);
            let changed = session.loads.last().is_some_and(|l| l.changed);
            wait = if changed { target } else { target / 2 };
            // Fewer than two target durations see no reload worth judging: the time asked is
            // lengthened, once, and the report says so.
            if !lengthened && end < start + 2 * target {
                lengthened = true;
                end = start + 2 * target;
                session.notes.push(format!(
                    "polling {} s, two target durations of {} s, not the {} s asked (--duration): fewer sees no playlist change to judge",
                    (2 * target).as_secs(),
                    target.as_secs(),
                    duration.as_secs()
                ));
            }
            let listed = Listed {
                fetched: &mut fetched,
                last: &mut last_listed,
            };
            fetch_new(http, &url, media, listed, end + GRACE, &mut session);
            if media.end_list {
                session
                    .notes
                    .push("the playlist ended (EXT-X-ENDLIST): no more reloads".into());
                break;
            }
        }
        let next = began + wait;
        if next >= end {
            break;
        }
        std::thread::sleep(next.saturating_duration_since(Instant::now()));
    }
    session.elapsed = start.elapsed();
    Ok(session)
}

/// What earlier loads listed: the media sequence numbers fetched, the highest listed.
struct Listed<'a> {
    fetched: &'a mut BTreeSet<u64>,
    last: &'a mut Option<u64>,
}

/// Fetches the segments `media` lists that no load listed before, until `deadline`.
fn fetch_new(
    http: &Http,
    base: &Url,
    media: &MediaPlaylist,
    listed: Listed<'_>,
    deadline: Instant,
    session: &mut Session,
) {
    let Listed {
        fetched,
        last: last_listed,
    } = listed;
    let numbered: Vec<_> = media.numbered().collect();
    let first_load = last_listed.is_none();
    if let (Some(last), Some(first)) = (*last_listed, numbered.first()) {
        // Listed after the last load and gone before this one.
        session
            .missed
            .extend((last + 1..first.media_sequence).take(MAX_SEGMENTS));
    }
    let skip = if first_load {
        numbered.len().saturating_sub(FIRST_LOAD_SEGMENTS)
    } else {
        0
    };
    if skip > 0 {
        session.notes.push(format!(
            "the first load lists {} segments: the last {FIRST_LOAD_SEGMENTS} are fetched",
            numbered.len()
        ));
    }
    for n in numbered.iter().skip(skip) {
        if last_listed.is_some_and(|l| n.media_sequence <= l) || fetched.contains(&n.media_sequence)
        {
            continue;
        }
        if session.segments.len() >= MAX_SEGMENTS || Instant::now() > deadline {
            session.notes.push(format!(
                "segments from media sequence {} on were not fetched: the session's time or \
                 segment count ran out",
                n.media_sequence
            ));
            break;
        }
        fetched.insert(n.media_sequence);
        session.segments.push(fetch(http, base, n));
    }
    if let Some(last) = numbered.last() {
        *last_listed =
            Some(last_listed.map_or(last.media_sequence, |l| l.max(last.media_sequence)));
    }
}

fn fetch(http: &Http, base: &Url, n: &weir_hls::playlist::media::Numbered<'_>) -> Segment {
    let s = n.segment;
    let mut segment = Segment {
        media_sequence: n.media_sequence,
        discontinuity: s.discontinuity,
        uri: s.uri.clone(),
        extinf: s.duration,
        mapped: s.map.is_some(),
        status: Err(String::new()),
        bytes: 0,
        facts: Err("not fetched".into()),
    };
    let url = match base.join(&s.uri) {
        Ok(url) => url,
        Err(e) => {
            segment.status = Err(format!("bad URI {:?}: {e}", s.uri));
            return segment;
        }
    };
    match http.get(&url, SEGMENT_LIMIT) {
        Err(e) => segment.status = Err(e),
        Ok(answer) => {
            segment.status = Ok(answer.status);
            segment.bytes = answer.body.len();
            segment.facts = if answer.status != 200 {
                Err(format!("HTTP {}", answer.status))
            } else if answer.cut {
                Err(format!("larger than {SEGMENT_LIMIT} bytes: not read"))
            } else if s.byte_range.is_some() {
                Err("a byte range of a resource: not read".into())
            } else {
                match sniff::ts_file(&answer.body, true) {
                    Sniff::Is(_) => Ok(segment::read(&answer.body)),
                    _ => Err("not a transport stream (fMP4, packed audio?): not read".into()),
                }
            };
        }
    }
    segment
}
