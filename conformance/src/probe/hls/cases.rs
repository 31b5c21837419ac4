//! The HLS cases: each judges one thing over everything a [`Session`] loaded and fetched.
//! A case fails with its first few offenders and how many there were.

use std::fmt::Write;

use weir_hls::rules as hls;
use weir_media::{Level, Violation};
use weir_mpegts::rules as ts;

use super::rules as live;
use super::segment::SegmentFacts;
use super::session::{Load, Segment, Session};
use crate::probe::{CaseInfo, Outcome};

/// Offenders named in a failure.
const NAMED: usize = 3;

pub const CASES: &[CaseInfo] = &[
    CaseInfo {
        id: "playlist.available",
        rules: &[&live::PLAYLIST_AVAILABLE],
        description: "Every load of the playlist is answered with HTTP 200.",
    },
    CaseInfo {
        id: "playlist.syntax",
        rules: &[
            &hls::PLAYLIST_UTF8,
            &hls::PLAYLIST_EXTM3U,
            &hls::PLAYLIST_KIND,
            &hls::PLAYLIST_VERSION,
            &hls::VERSION_COMPATIBILITY,
            &hls::TAG_VALUE,
            &hls::TAG_DUPLICATE,
            &hls::ATTRIBUTE_SYNTAX,
            &hls::TARGET_DURATION_REQUIRED,
            &hls::TARGET_DURATION,
            &hls::MEDIA_SEQUENCE_PLACEMENT,
            &hls::EXTINF_REQUIRED,
            &hls::EXTINF_FORMAT,
            &hls::SEGMENT_URI,
        ],
        description: "Every load parses as a media playlist that breaks no MUST rule of RFC 8216 §4.",
    },
    CaseInfo {
        id: "reload.target-duration",
        rules: &[&hls::RELOAD_TARGET_DURATION],
        description: "EXT-X-TARGETDURATION stays the same from load to load.",
    },
    CaseInfo {
        id: "reload.segments",
        rules: &[&hls::RELOAD_SEGMENTS],
        description: "EXT-X-MEDIA-SEQUENCE never goes back, segments leave only from the front and keep their URI and duration.",
    },
    CaseInfo {
        id: "reload.discontinuity-sequence",
        rules: &[&hls::RELOAD_DISCONTINUITY_SEQUENCE],
        description: "Each segment keeps its discontinuity sequence number from load to load.",
    },
    CaseInfo {
        id: "reload.window",
        rules: &[&hls::RELOAD_WINDOW],
        description: "Segments are removed only while the playlist still lasts three target durations.",
    },
    CaseInfo {
        id: "playlist.advances",
        rules: &[&live::LIVE_UPDATES],
        description: "The live playlist gains a segment at least every 1.5 target durations.",
    },
    CaseInfo {
        id: "segment.available",
        rules: &[&live::SEGMENT_AVAILABLE],
        description: "Every segment listed is fetched with HTTP 200 and a body.",
    },
    CaseInfo {
        id: "segment.ts",
        rules: &[
            &ts::SYNC_LOSS,
            &ts::SYNC_BYTE,
            &ts::TRUNCATED,
            &ts::CONTINUITY,
            &ts::PSI_CRC,
            &ts::PAT,
            &ts::PMT,
            &ts::PES_START_CODE,
            &ts::PES_HEADER,
            &ts::PES_LENGTH,
            &ts::PCR_INTERVAL,
            &ts::PCR_DISCONTINUITY,
            &ts::ANNEX_B,
        ],
        description: "Each segment's transport stream breaks no MUST rule of ISO/IEC 13818-1.",
    },
    CaseInfo {
        id: "segment.pat-pmt",
        rules: &[&live::SEGMENT_PAT_PMT, &ts::PAT, &ts::PMT],
        description: "Each TS segment without EXT-X-MAP holds a PAT and a PMT.",
    },
    CaseInfo {
        id: "segment.starts-with-pat-pmt",
        rules: &[&live::SEGMENT_STARTS_WITH_PAT_PMT],
        description: "Each TS segment without EXT-X-MAP starts with a PAT packet, then a PMT packet.",
    },
    CaseInfo {
        id: "segment.keyframe",
        rules: &[&live::SEGMENT_KEYFRAME],
        description: "Each segment with video starts with a keyframe.",
    },
    CaseInfo {
        id: "segment.continuity-counters",
        rules: &[&live::CONTINUITY, &ts::CONTINUITY],
        description: "Each PID's continuity counter goes on from one segment to the next, unless EXT-X-DISCONTINUITY (or discontinuity_indicator) marks the boundary.",
    },
    CaseInfo {
        id: "segment.timestamps",
        rules: &[&live::CONTINUITY, &ts::DTS_MONOTONIC],
        description: "Each track's decoding timestamps go on from one segment to the next by about one frame, unless EXT-X-DISCONTINUITY marks the boundary.",
    },
    CaseInfo {
        id: "segment.duration",
        rules: &[&live::SEGMENT_DURATION],
        description: "Each segment's media lasts what its EXTINF says (within 10 % or 100 ms).",
    },
];

/// The outcome of case `id` on what the session saw.
pub fn judge(id: &str, session: &Session) -> Outcome {
    match id {
        "playlist.available" => available(session),
        "playlist.syntax" => syntax(session),
        "reload.target-duration" => reload(session, &hls::RELOAD_TARGET_DURATION),
        "reload.segments" => reload(session, &hls::RELOAD_SEGMENTS),
        "reload.discontinuity-sequence" => reload(session, &hls::RELOAD_DISCONTINUITY_SEQUENCE),
        "reload.window" => reload(session, &hls::RELOAD_WINDOW),
        "playlist.advances" => advances(session),
        "segment.available" => segments_available(session),
        "segment.ts" => segment_ts(session),
        "segment.pat-pmt" => pat_pmt(session),
        "segment.starts-with-pat-pmt" => starts_with_pat_pmt(session),
        "segment.keyframe" => keyframe(session),
        "segment.continuity-counters" => continuity_counters(session),
        "segment.timestamps" => timestamps(session),
        "segment.duration" => duration(session),
        other => Outcome::error(format!("no HLS case {other}")),
    }
}

/// Pass with `seen`, or fail naming the first offenders.
fn verdict(expected: &str, offenders: Vec<String>, seen: String) -> Outcome {
    if offenders.is_empty() {
        return Outcome::pass(seen);
    }
    let mut actual = offenders
        .iter()
        .take(NAMED)
        .cloned()
        .collect::<Vec<_>>()
        .join("; ");
    if offenders.len() > NAMED {
        let _ = write!(actual, "; and {} more", offenders.len() - NAMED);
    }
    Outcome::fail(expected, actual)
}

fn load_name(i: usize, load: &Load) -> String {
    format!("load {} (at {:.1} s)", i + 1, load.at.as_secs_f64())
}

fn available(session: &Session) -> Outcome {
    let offenders = session
        .loads
        .iter()
        .enumerate()
        .filter_map(|(i, l)| match &l.status {
            Ok(200) => None,
            Ok(status) => Some(format!("{}: HTTP {status}", load_name(i, l))),
            Err(e) => Some(format!("{}: {e}", load_name(i, l))),
        })
        .collect();
    verdict(
        "HTTP 200 for every load",
        offenders,
        format!("{} loads", session.loads.len()),
    )
}

fn syntax(session: &Session) -> Outcome {
    let mut offenders = Vec::new();
    let mut should = Vec::new();
    for (i, load) in session.loads.iter().enumerate() {
        let violations: &[Violation] = match &load.parsed {
            None => continue,
            Some(Err(e)) => {
                let rule = e.rule.map_or(String::new(), |r| format!("{}: ", r.id));
                offenders.push(format!("{}: {rule}{}", load_name(i, load), e.detail));
                continue;
            }
            Some(Ok(parsed)) => &parsed.violations,
        };
        if load.media().is_none() {
            offenders.push(format!("{}: a master playlist again", load_name(i, load)));
        }
        for v in violations {
            if v.rule.level == Level::Must {
                let text = format!("{}: {}: {}", load_name(i, load), v.rule.id, v.detail);
                offenders.push(text);
            } else {
                should.push(v.rule.id);
            }
        }
    }
    let parsed = session.loads.iter().filter(|l| l.parsed.is_some()).count();
    let seen = format!("{parsed} loads parsed{}", should_note(should));
    verdict("playlists without MUST violations", offenders, seen)
}

fn reload(session: &Session, rule: &'static weir_media::Rule) -> Outcome {
    let media: Vec<(usize, &Load, &weir_hls::MediaPlaylist)> = session
        .loads
        .iter()
        .enumerate()
        .filter_map(|(i, l)| l.media().map(|m| (i, l, m)))
        .collect();
    if media.len() < 2 {
        return Outcome::Skipped("fewer than two loads parsed as media playlists".into());
    }
    let mut offenders = Vec::new();
    for pair in media.windows(2) {
        let ((_, _, before), (i, load, after)) = (pair[0], pair[1]);
        for v in weir_hls::check_reload(before, after) {
            if v.rule.id == rule.id {
                offenders.push(format!("{}: {}", load_name(i, load), v.detail));
            }
        }
    }
    verdict(
        rule.text,
        offenders,
        format!("{} reloads compared", media.len() - 1),
    )
}

fn advances(session: &Session) -> Outcome {
    let media: Vec<&Load> = session
        .loads
        .iter()
        .filter(|l| l.media().is_some())
        .collect();
    let (Some(first), Some(last)) = (media.first(), media.last()) else {
        return Outcome::Skipped("no load parsed as a media playlist".into());
    };
    let (Some(m0), Some(m1)) = (first.media(), last.media()) else {
        return Outcome::Skipped("no load parsed as a media playlist".into());
    };
    if m1.end_list {
        return Outcome::Skipped("the playlist has ended (EXT-X-ENDLIST)".into());
    }
    let target = m1.target_duration.unwrap_or(0).max(1) as f64;
    let span = (last.at - first.at).as_secs_f64();
    let next = |m: &weir_hls::MediaPlaylist| m.media_sequence + m.segments.len() as u64;
    let new = next(m1).saturating_sub(next(m0));
    let seen = format!("{new} new segment(s) in {span:.1} s (target duration {target} s)");
    if span < 3.0 * target {
        return Outcome::Skipped(format!(
            "polled {span:.1} s, under three target durations: {seen}"
        ));
    }
    // Whole segments expected at one per 1.5 target durations, less one for the phase.
    let expected = (span / (1.5 * target)).floor() as u64;
    if new + 1 >= expected {
        Outcome::pass(seen)
    } else {
        Outcome::fail(
            format!(
                "at least {} new segments in {span:.1} s",
                expected.saturating_sub(1)
            ),
            seen,
        )
    }
}

fn segments_available(session: &Session) -> Outcome {
    if session.segments.is_empty() {
        return Outcome::Skipped("no segment was listed".into());
    }
    let offenders = session
        .segments
        .iter()
        .filter_map(|s| match &s.status {
            Ok(200) if s.bytes > 0 => None,
            Ok(200) => Some(format!("{}: empty body", name(s))),
            Ok(status) => Some(format!("{}: HTTP {status}", name(s))),
            Err(e) => Some(format!("{}: {e}", name(s))),
        })
        .collect();
    let bytes: usize = session.segments.iter().map(|s| s.bytes).sum();
    let mut seen = format!("{} segments, {bytes} bytes", session.segments.len());
    if !session.missed.is_empty() {
        let _ = write!(
            seen,
            "; {} listed and gone between two loads, not fetched",
            session.missed.len()
        );
    }
    verdict("HTTP 200 and a body for every segment", offenders, seen)
}

fn name(s: &Segment) -> String {
    format!("segment {} ({})", s.media_sequence, s.uri)
}

/// The segments read as TS, or the outcome when there are none.
fn ts_segments(session: &Session) -> Result<Vec<(&Segment, &SegmentFacts)>, Outcome> {
    let read: Vec<_> = session
        .segments
        .iter()
        .filter_map(|s| s.facts.as_ref().ok().map(|f| (s, f)))
        .collect();
    if read.is_empty() {
        let why = session
            .segments
            .iter()
            .find_map(|s| s.facts.as_ref().err())
            .map_or("no segment was fetched".to_owned(), |e| {
                format!("no segment was read as TS ({e})")
            });
        return Err(Outcome::Skipped(why));
    }
    Ok(read)
}

fn segment_ts(session: &Session) -> Outcome {
    let read = match ts_segments(session) {
        Ok(read) => read,
        Err(outcome) => return outcome,
    };
    let mut offenders = Vec::new();
    let mut should = Vec::new();
    for (s, facts) in &read {
        for v in &facts.violations {
            if v.rule.level == Level::Must {
                let text = format!("{} byte {}: {}: {}", name(s), v.offset, v.rule.id, v.detail);
                offenders.push(text);
            } else {
                should.push(v.rule.id);
            }
        }
    }
    let seen = format!("{} segments read{}", read.len(), should_note(should));
    verdict("segments without MUST violations", offenders, seen)
}

/// "; SHOULD rules broken: a ×2, b ×1" (nothing when none was).
fn should_note(mut rules: Vec<&str>) -> String {
    if rules.is_empty() {
        return String::new();
    }
    rules.sort_unstable();
    let mut counted: Vec<(&str, usize)> = Vec::new();
    for rule in rules {
        match counted.last_mut() {
            Some((last, n)) if *last == rule => *n += 1,
            _ => counted.push((rule, 1)),
        }
    }
    let listed: Vec<String> = counted.iter().map(|(r, n)| format!("{r} ×{n}")).collect();
    format!("; SHOULD rules broken: {}", listed.join(", "))
}

fn pat_pmt(session: &Session) -> Outcome {
    let read = match ts_segments(session) {
        Ok(read) => read,
        Err(outcome) => return outcome,
    };
    let offenders = read
        .iter()
        .filter(|(s, f)| !(s.mapped || f.pat && f.pmt))
        .map(|(s, f)| {
            let missing = match (f.pat, f.pmt) {
                (false, _) => "no PAT",
                _ => "no PMT",
            };
            format!("{}: {missing}", name(s))
        })
        .collect();
    verdict(
        "a PAT and a PMT in every segment",
        offenders,
        format!("{} segments read", read.len()),
    )
}

fn starts_with_pat_pmt(session: &Session) -> Outcome {
    let read = match ts_segments(session) {
        Ok(read) => read,
        Err(outcome) => return outcome,
    };
    let offenders = read
        .iter()
        .filter(|(s, _)| !s.mapped)
        .filter_map(|(s, f)| match f.first_pids.as_slice() {
            [0, second] if f.pmt_pids.contains(second) => None,
            pids => Some(format!(
                "{}: first packets on PIDs {}",
                name(s),
                pids.iter()
                    .map(|p| format!("{p:#06x}"))
                    .collect::<Vec<_>>()
                    .join(", ")
            )),
        })
        .collect();
    verdict(
        "PAT (PID 0x0000) then PMT first",
        offenders,
        format!("{} segments read", read.len()),
    )
}

fn keyframe(session: &Session) -> Outcome {
    let read = match ts_segments(session) {
        Ok(read) => read,
        Err(outcome) => return outcome,
    };
    let with_video: Vec<_> = read
        .iter()
        .filter_map(|(s, f)| Some((s, f.video()?)))
        .collect();
    if with_video.is_empty() {
        return Outcome::Skipped("no segment carries video".into());
    }
    let offenders = with_video
        .iter()
        .filter(|(_, v)| !v.first_keyframe)
        .map(|(s, v)| format!("{}: the first {} frame is no keyframe", name(s), v.codec))
        .collect();
    verdict(
        "a keyframe first in every segment with video",
        offenders,
        format!("{} segments with video", with_video.len()),
    )
}

/// Consecutive segments both read, and whether EXT-X-DISCONTINUITY separates them.
fn boundaries<'a>(
    read: &[(&'a Segment, &'a SegmentFacts)],
) -> Vec<((u64, u64), bool, [&'a SegmentFacts; 2])> {
    read.windows(2)
        .filter(|w| w[1].0.media_sequence == w[0].0.media_sequence + 1)
        .map(|w| {
            (
                (w[0].0.media_sequence, w[1].0.media_sequence),
                w[1].0.discontinuity,
                [w[0].1, w[1].1],
            )
        })
        .collect()
}

fn continuity_counters(session: &Session) -> Outcome {
    let read = match ts_segments(session) {
        Ok(read) => read,
        Err(outcome) => return outcome,
    };
    let (mut checked, mut marked) = (0, 0);
    let mut offenders = Vec::new();
    for ((a, b), discontinuity, [before, after]) in boundaries(&read) {
        if discontinuity {
            marked += 1;
            continue;
        }
        checked += 1;
        for (pid, next) in &after.counters {
            let Some(prev) = before.counters.get(pid) else {
                continue;
            };
            let expected = (prev.last + 1) & 0x0f;
            // A repeated packet keeps its counter; discontinuity_indicator allows any.
            if next.first != expected && next.first != prev.last && !next.first_discontinuity {
                offenders.push(format!(
                    "segment {a} -> {b}, PID {pid:#06x}: continuity_counter {} after {}",
                    next.first, prev.last
                ));
            }
        }
    }
    boundary_verdict(
        checked,
        marked,
        offenders,
        "counters that go on across boundaries",
    )
}

fn boundary_verdict(
    checked: usize,
    marked: usize,
    offenders: Vec<String>,
    expected: &str,
) -> Outcome {
    if checked == 0 && marked == 0 {
        return Outcome::Skipped("no two consecutive segments were read".into());
    }
    let seen = format!("{checked} boundaries checked, {marked} marked EXT-X-DISCONTINUITY");
    verdict(expected, offenders, seen)
}

fn timestamps(session: &Session) -> Outcome {
    let read = match ts_segments(session) {
        Ok(read) => read,
        Err(outcome) => return outcome,
    };
    let (mut checked, mut marked) = (0, 0);
    let mut offenders = Vec::new();
    for ((a, b), discontinuity, [before, after]) in boundaries(&read) {
        if discontinuity {
            marked += 1;
            continue;
        }
        checked += 1;
        for next in &after.tracks {
            let Some(prev) = before.tracks.iter().find(|t| t.track == next.track) else {
                continue;
            };
            let step = next.first_dts - prev.last_dts;
            // About one frame: at most two of the usual intervals (a second without one).
            let frame = prev.interval.or(next.interval);
            let most = frame.map_or(90_000, |f| 2 * f + 90);
            if step <= 0 || step > most {
                offenders.push(format!(
                    "segment {a} -> {b}, {} {}: DTS moves {:+.3} s (a frame is {})",
                    crate::media_summary::track_name(next.track),
                    next.codec,
                    step as f64 / 90_000.0,
                    frame.map_or("unknown".to_owned(), |f| format!(
                        "{:.3} s",
                        f as f64 / 90_000.0
                    ))
                ));
            }
        }
    }
    boundary_verdict(
        checked,
        marked,
        offenders,
        "timestamps that go on by about a frame",
    )
}

fn duration(session: &Session) -> Outcome {
    let read = match ts_segments(session) {
        Ok(read) => read,
        Err(outcome) => return outcome,
    };
    let mut offenders = Vec::new();
    let mut measured = 0;
    for (s, f) in &read {
        let Some(track) = f.main_track() else {
            continue;
        };
        measured += 1;
        let actual = track.seconds();
        let tolerance = (0.1 * s.extinf).max(0.1);
        if (actual - s.extinf).abs() > tolerance {
            offenders.push(format!(
                "{}: EXTINF {:.3} s, its {} lasts {actual:.3} s",
                name(s),
                s.extinf,
                crate::media_summary::track_name(track.track)
            ));
        }
    }
    if measured == 0 {
        return Outcome::Skipped("no segment holds frames".into());
    }
    verdict(
        "media lasting its EXTINF",
        offenders,
        format!("{measured} segments measured"),
    )
}

#[cfg(test)]
mod tests {
    use super::super::segment::{Counters, TrackSpan};
    use super::*;
    use std::collections::BTreeMap;
    use std::time::Duration;
    use weir_media::{Codec, Track};

    /// A segment of 25 video frames 40 ms apart from `first_dts`, PID 0x100 counting from
    /// `cc` to `cc + 2`.
    fn segment(sequence: u64, first_dts: i64, cc: u8, discontinuity: bool) -> Segment {
        let video = TrackSpan {
            track: Track::VIDEO,
            codec: Codec::H264,
            frames: 25,
            first_keyframe: true,
            first_dts,
            last_dts: first_dts + 24 * 3600,
            min_pts: first_dts,
            max_pts: first_dts + 24 * 3600,
            interval: Some(3600),
        };
        let counters = BTreeMap::from([(
            0x100,
            Counters {
                first: cc,
                first_discontinuity: false,
                last: (cc + 2) & 0x0f,
            },
        )]);
        Segment {
            media_sequence: sequence,
            discontinuity,
            uri: format!("s{sequence}.ts"),
            extinf: 1.0,
            mapped: false,
            status: Ok(200),
            bytes: 1000,
            facts: Ok(SegmentFacts {
                first_pids: vec![0, 0x1000],
                pat: true,
                pmt: true,
                pmt_pids: vec![0x1000],
                violations: Vec::new(),
                tracks: vec![video],
                counters,
            }),
        }
    }

    fn session(segments: Vec<Segment>) -> Session {
        Session {
            segments,
            elapsed: Duration::from_secs(3),
            ..Session::default()
        }
    }

    #[test]
    fn consecutive_segments_continue_unless_marked() {
        let good = session(vec![segment(1, 0, 0, false), segment(2, 90_000, 3, false)]);
        for id in [
            "segment.continuity-counters",
            "segment.timestamps",
            "segment.duration",
        ] {
            assert_eq!(
                judge(id, &good).name(),
                "pass",
                "{id}: {:?}",
                judge(id, &good)
            );
        }
        // Counters restart and timestamps jump back by a second.
        let broken = session(vec![segment(1, 0, 0, false), segment(2, 0, 0, false)]);
        let Outcome::Fail { actual, .. } = judge("segment.continuity-counters", &broken) else {
            panic!()
        };
        assert_eq!(
            actual,
            "segment 1 -> 2, PID 0x0100: continuity_counter 0 after 2"
        );
        let Outcome::Fail { actual, .. } = judge("segment.timestamps", &broken) else {
            panic!()
        };
        assert!(
            actual.contains("DTS moves -0.960 s (a frame is 0.040 s)"),
            "{actual}"
        );
        // The same boundary marked EXT-X-DISCONTINUITY is not judged.
        let marked = session(vec![segment(1, 0, 0, false), segment(2, 0, 0, true)]);
        assert_eq!(judge("segment.timestamps", &marked).name(), "pass");
        // A missing segment between them leaves no boundary to judge.
        let apart = session(vec![segment(1, 0, 0, false), segment(3, 0, 0, false)]);
        assert_eq!(
            judge("segment.continuity-counters", &apart).name(),
            "skipped"
        );
    }

    #[test]
    fn extinf_is_measured_on_the_video_and_psi_on_the_first_packets() {
        let mut long = segment(1, 0, 0, false);
        long.extinf = 2.0;
        let Outcome::Fail { actual, .. } = judge("segment.duration", &session(vec![long])) else {
            panic!()
        };
        assert_eq!(
            actual,
            "segment 1 (s1.ts): EXTINF 2.000 s, its video0 lasts 1.000 s"
        );
        let mut sdt_first = segment(1, 0, 0, false);
        if let Ok(facts) = &mut sdt_first.facts {
            facts.first_pids = vec![0x11, 0];
        }
        let outcome = judge("segment.starts-with-pat-pmt", &session(vec![sdt_first]));
        assert_eq!(outcome.name(), "fail");
    }

    #[test]
    fn nothing_fetched_is_skipped_and_a_404_fails() {
        let empty = session(Vec::new());
        for case in CASES.iter().filter(|c| c.id.starts_with("segment.")) {
            assert_eq!(judge(case.id, &empty).name(), "skipped", "{}", case.id);
        }
        let mut gone = segment(1, 0, 0, false);
        gone.status = Ok(404);
        gone.bytes = 0;
        gone.facts = Err("HTTP 404".into());
        let Outcome::Fail { actual, .. } = judge("segment.available", &session(vec![gone])) else {
            panic!()
        };
        assert_eq!(actual, "segment 1 (s1.ts): HTTP 404");
    }

    #[test]
    fn every_case_is_judged() {
        let s = session(vec![segment(1, 0, 0, false)]);
        for case in CASES {
            assert_ne!(judge(case.id, &s).name(), "error", "{}", case.id);
        }
    }
}
