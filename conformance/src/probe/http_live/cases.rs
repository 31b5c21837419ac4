//! The HTTP live cases: each judges one thing over what a [`Session`] saw.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use weir_flv::rules as flv;
use weir_media::{MediaKind, Timestamp, Track};
use weir_mpegts::rules as ts;

use super::rules as live;
use super::session::{Event, ORIGIN, Session};
use crate::observe::http::route::Kind;
use crate::probe::{CaseInfo, Outcome};

/// How far ahead of the time elapsed the media may run after the first burst, and how far
/// behind it may fall, before the pacing case fails.
const AHEAD: f64 = 3.0;
const BEHIND: f64 = 3.0;
/// The longest the body may fall silent (a keyframe interval is rarely longer).
const STALL: Duration = Duration::from_secs(3);
/// The first burst: media received within this long of the answer is the server's cache.
const BURST: Duration = Duration::from_millis(1500);

pub const CASES: &[CaseInfo] = &[
    CaseInfo {
        id: "live.available",
        rules: &[&live::AVAILABLE],
        description: "The stream's URL answers 200 and its body keeps coming for the probe's duration.",
    },
    CaseInfo {
        id: "live.content-type",
        rules: &[&live::CONTENT_TYPE],
        description: "The answer's Content-Type is video/x-flv (FLV) or video/mp2t (TS).",
    },
    CaseInfo {
        id: "live.framing",
        rules: &[&live::FRAMING],
        description: "The endless body is chunked or ends with the connection: no Content-Length.",
    },
    CaseInfo {
        id: "live.cors",
        rules: &[&live::CORS],
        description: "A GET with an Origin gets an Access-Control-Allow-Origin that allows it.",
    },
    CaseInfo {
        id: "live.container",
        rules: &[
            &flv::HEADER_SIGNATURE,
            &flv::HEADER_VERSION,
            &flv::HEADER_DATA_OFFSET,
            &flv::PREVIOUS_TAG_SIZE_0,
            &flv::PREVIOUS_TAG_SIZE,
            &flv::TAG_TYPE,
            &flv::TAG_SIZE,
            &ts::SYNC_BYTE,
            &ts::CONTINUITY,
        ],
        description: "The body is the container its URL names and breaks no MUST rule of it or of its codecs' configurations (flv.*, mpegts.*, media.*).",
    },
    CaseInfo {
        id: "live.config-first",
        rules: &[&live::CONFIG_FIRST],
        description: "Each track's decoder configuration comes before its first frame.",
    },
    CaseInfo {
        id: "live.keyframe-first",
        rules: &[&live::KEYFRAME_FIRST],
        description: "The first video frame a joining player gets is a keyframe.",
    },
    CaseInfo {
        id: "live.timestamps",
        rules: &[&live::TIMESTAMPS],
        description: "Within each track, decode timestamps never go back.",
    },
    CaseInfo {
        id: "live.pacing",
        rules: &[&live::PACING],
        description: "After the first burst, media comes at the rate it plays (within 3 s either way).",
    },
    CaseInfo {
        id: "live.unknown-stream",
        rules: &[&live::UNKNOWN_STREAM],
        description: "A stream nobody publishes is answered at once: 404, or 200 with a body that waits for a publisher (informational).",
    },
];

/// The verdict of case `id` on `session`.
pub fn judge(id: &str, session: &Session) -> Outcome {
    if id == "live.unknown-stream" {
        return unknown_stream(session);
    }
    let answer = match &session.live {
        Ok(answer) => answer,
        Err(e) => return Outcome::error(e.clone()),
    };
    if answer.status != 200 && id != "live.available" {
        return Outcome::Skipped(format!("the stream was answered {}", answer.status));
    }
    match id {
        "live.available" => available(session, answer.status),
        "live.content-type" => {
            let want = session.container.media_type();
            match answer.header("content-type") {
                Some(t) if media_type(t) == want => Outcome::pass(t),
                Some(t) => Outcome::fail(want, format!("Content-Type: {t}")),
                None => Outcome::fail(want, "no Content-Type"),
            }
        }
        "live.framing" => match (
            answer.header("content-length"),
            answer.header("transfer-encoding"),
        ) {
            (Some(len), _) => Outcome::fail(
                "chunked, or a body that ends with the connection",
                format!("Content-Length: {len}"),
            ),
            (None, Some(te)) => Outcome::pass(format!("Transfer-Encoding: {te}")),
            (None, None) => Outcome::pass("the body ends with the connection"),
        },
        "live.cors" => match answer.header("access-control-allow-origin") {
            Some(v) if v == "*" || v == ORIGIN => {
                Outcome::pass(format!("Access-Control-Allow-Origin: {v}"))
            }
            Some(v) => Outcome::fail(
                format!("* or {ORIGIN}"),
                format!("Access-Control-Allow-Origin: {v}"),
            ),
            None => Outcome::fail(
                format!("Access-Control-Allow-Origin: * or {ORIGIN}"),
                "no Access-Control-Allow-Origin",
            ),
        },
        "live.container" => container(session),
        "live.config-first" => config_first(session),
        "live.keyframe-first" => keyframe_first(session),
        "live.timestamps" => timestamps(session),
        "live.pacing" => pacing(session),
        _ => Outcome::error(format!("no case {id}")),
    }
}

/// `type/subtype` of a Content-Type, in lower case, without parameters.
fn media_type(value: &str) -> String {
    value
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase()
}

fn available(session: &Session, status: u16) -> Outcome {
    let expected = "200 and a body for the probe's duration";
    if status != 200 {
        return Outcome::fail(expected, format!("{status}"));
    }
    let frames = frames(session).count();
    if let Some(at) = session.ended {
        return Outcome::fail(
            expected,
            format!(
                "the body ended after {:.1} s ({} bytes, {frames} frames)",
                at.as_secs_f64(),
                session.bytes
            ),
        );
    }
    if let Some(e) = &session.read_error {
        return Outcome::fail(expected, e.clone());
    }
    if let Some(last) = session.last_data
        && session.read_for.saturating_sub(last) > STALL
    {
        return Outcome::fail(
            expected,
            format!(
                "no byte after {:.1} s of {:.1} s ({} bytes, {frames} frames)",
                last.as_secs_f64(),
                session.read_for.as_secs_f64(),
                session.bytes
            ),
        );
    }
    if frames == 0 {
        return Outcome::fail(
            expected,
            format!(
                "no frame in {:.1} s ({} bytes: {})",
                session.read_for.as_secs_f64(),
                session.bytes,
                session.read_as
            ),
        );
    }
    Outcome::pass(format!(
        "{} bytes, {frames} frames in {:.1} s ({})",
        session.bytes,
        session.read_for.as_secs_f64(),
        session.read_as
    ))
}

fn container(session: &Session) -> Outcome {
    let prefix = match session.container {
        Kind::Flv => "flv.",
        _ => "mpegts.",
    };
    let broken: Vec<_> = session
        .violations
        .iter()
        .filter(|(rule, _, _)| {
            (rule.id.starts_with(prefix) || rule.id.starts_with("media."))
                && rule.level == weir_media::Level::Must
        })
        .collect();
    match broken.first() {
        None if session.bytes == 0 => Outcome::Skipped("no body".into()),
        None => Outcome::pass(session.read_as.clone()),
        Some((rule, offset, detail)) => Outcome::fail(
            format!("a body that breaks no {prefix}* or media.* MUST rule"),
            format!(
                "{} at byte {}: {detail} ({} violation(s))",
                rule.id,
                offset.map_or("?".into(), |o| o.to_string()),
                broken.len()
            ),
        ),
    }
}

fn frames(session: &Session) -> impl Iterator<Item = (Track, Timestamp, bool, Duration)> + '_ {
    session.events.iter().filter_map(|e| match *e {
        Event::Frame {
            track,
            dts,
            keyframe,
            at,
        } => Some((track, dts, keyframe, at)),
        Event::Config(..) => None,
    })
}

fn track_name(track: Track) -> String {
    let kind = match track.kind {
        MediaKind::Video => "video",
        MediaKind::Audio => "audio",
        _ => "data",
    };
    format!("{kind}{}", track.index)
}

fn config_first(session: &Session) -> Outcome {
    let mut configured = BTreeSet::new();
    for (n, event) in session.events.iter().enumerate() {
        match *event {
            Event::Config(track, _) => {
                configured.insert((track.kind as u8, track.index));
            }
            Event::Frame { track, .. }
                if !configured.contains(&(track.kind as u8, track.index)) =>
            {
                return Outcome::fail(
                    "each track's configuration before its first frame",
                    format!(
                        "a {} frame (body event #{n}) before any configuration of its track",
                        track_name(track)
                    ),
                );
            }
            Event::Frame { .. } => {}
        }
    }
    match configured.len() {
        0 => Outcome::Skipped("no track seen".into()),
        n => Outcome::pass(format!("{n} track(s) configured before their frames")),
    }
}

fn keyframe_first(session: &Session) -> Outcome {
    match frames(session).find(|(track, ..)| track.kind == MediaKind::Video) {
        None => Outcome::Skipped("no video".into()),
        Some((_, dts, true, _)) => Outcome::pass(format!("a keyframe at {dts}")),
        Some((_, dts, false, _)) => Outcome::fail(
            "a keyframe first",
            format!("the first video frame, at {dts}, is not a keyframe"),
        ),
    }
}

fn timestamps(session: &Session) -> Outcome {
    let mut last: BTreeMap<(u8, u8), Timestamp> = BTreeMap::new();
    let mut backwards = Vec::new();
    for (track, dts, _, _) in frames(session) {
        let key = (track.kind as u8, track.index);
        if let Some(&before) = last.get(&key)
            && dts < before
        {
            backwards.push(format!("{} {before} then {dts}", track_name(track)));
        }
        last.insert(key, dts);
    }
    match (backwards.first(), last.is_empty()) {
        (None, true) => Outcome::Skipped("no frame".into()),
        (None, false) => Outcome::pass(format!("{} track(s) in order", last.len())),
        (Some(first), _) => Outcome::fail(
            "decode timestamps that never go back",
            format!("{first} ({} time(s))", backwards.len()),
        ),
    }
}

/// After the burst, the media time received (the first track's decode time since its first
/// frame) against the time elapsed since the burst ended.
fn pacing(session: &Session) -> Outcome {
    let Some((first_track, first_dts, _, _)) = frames(session).next() else {
        return Outcome::Skipped("no frame".into());
    };
    let track: Vec<_> = frames(session)
        .filter(|(t, ..)| *t == first_track)
        .map(|(_, dts, _, at)| (dts, at))
        .collect();
    let Some(&(burst_dts, burst_at)) = track
        .iter()
        .take_while(|(_, at)| *at <= BURST)
        .last()
        .or(track.first())
    else {
        return Outcome::Skipped("no frame".into());
    };
    let Some(&(last_dts, last_at)) = track.last() else {
        return Outcome::Skipped("no frame".into());
    };
    let wall = (session.read_for.max(last_at) - burst_at).as_secs_f64();
    if wall < 2.0 {
        return Outcome::Skipped(format!("{wall:.1} s after the burst: too short to judge"));
    }
    let media = (last_dts.0 - burst_dts.0) as f64 / Timestamp::HZ as f64;
    let burst = (burst_dts.0 - first_dts.0) as f64 / Timestamp::HZ as f64;
    let seen = format!(
        "{media:.1} s of {} in {wall:.1} s after a burst of {burst:.1} s",
        track_name(first_track)
    );
    if media > wall + AHEAD {
        Outcome::fail(format!("at most {AHEAD} s ahead of the clock"), seen)
    } else if media + BEHIND < wall {
        Outcome::fail(format!("at most {BEHIND} s behind the clock"), seen)
    } else {
        Outcome::pass(seen)
    }
}

fn unknown_stream(session: &Session) -> Outcome {
    let url = &session.missing_url;
    match &session.missing {
        Ok(a) if a.status == 404 => Outcome::pass(format!("{url}: 404")),
        Ok(a) if (400..500).contains(&a.status) => Outcome::pass(format!(
            "{url}: {} (a client error other than 404)",
            a.status
        )),
        Ok(a) if a.status == 200 => Outcome::info(format!(
            "{url}: 200, a body that waits for a publisher (a player may start first)"
        )),
        Ok(a) => Outcome::fail("404, or a 200 that waits", format!("{url}: {}", a.status)),
        Err(e) => Outcome::fail("an answer at once", format!("{url}: {e}")),
    }
}
