//! Two loads of one live media playlist, compared (RFC 8216 §6.2.1, §6.2.2): what a client
//! relies on when it reloads, and what `weir probe` checks on a live server.

use super::MediaPlaylist;
use crate::rules::*;
use weir_media::{Rule, Violation};

/// The rules `next` breaks as a reload of `previous`. Violations carry offset 0 and name the
/// media sequence number in their detail.
pub fn check_reload(previous: &MediaPlaylist, next: &MediaPlaylist) -> Vec<Violation> {
    let mut out = Vec::new();
    let mut report =
        |rule: &'static Rule, detail: String| out.push(Violation::new(rule, 0, detail));
    if previous.target_duration != next.target_duration {
        report(
            &RELOAD_TARGET_DURATION,
            format!(
                "EXT-X-TARGETDURATION changed from {:?} to {:?}",
                previous.target_duration, next.target_duration
            ),
        );
    }
    if next.media_sequence < previous.media_sequence {
        report(
            &RELOAD_SEGMENTS,
            format!(
                "EXT-X-MEDIA-SEQUENCE went back from {} to {}",
                previous.media_sequence, next.media_sequence
            ),
        );
    }
    let before: Vec<_> = previous.numbered().collect();
    let last_before = before.last().map(|n| n.media_sequence);
    let mut last_after = None;
    for now in next.numbered() {
        last_after = Some(now.media_sequence);
        let Some(then) = before
            .iter()
            .find(|n| n.media_sequence == now.media_sequence)
        else {
            continue;
        };
        let (a, b) = (then.segment, now.segment);
        if a.uri != b.uri || a.duration != b.duration {
            report(
                &RELOAD_SEGMENTS,
                format!(
                    "media sequence {}: was {:?} ({} s), is now {:?} ({} s)",
                    now.media_sequence, a.uri, a.duration, b.uri, b.duration
                ),
            );
        }
        if then.discontinuity_sequence != now.discontinuity_sequence {
            report(
                &RELOAD_DISCONTINUITY_SEQUENCE,
                format!(
                    "media sequence {}: discontinuity sequence {} became {}",
                    now.media_sequence, then.discontinuity_sequence, now.discontinuity_sequence
                ),
            );
        }
    }
    if let Some(last) = last_before.filter(|&l| l >= next.media_sequence)
        && last_after.is_none_or(|after| after < last)
    {
        report(
            &RELOAD_SEGMENTS,
            format!("segments up to media sequence {last} left from the end"),
        );
    }
    let removed = next.media_sequence > previous.media_sequence;
    if let Some(target) = next.target_duration.filter(|_| removed && !next.end_list) {
        // To the millisecond: a sum of decimal durations is not exact in binary.
        let duration = (next.duration() * 1000.0).round() / 1000.0;
        if duration < 3.0 * target as f64 {
            report(
                &RELOAD_WINDOW,
                format!(
                    "segments were removed, leaving {duration} s, less than three target durations ({} s)",
                    3 * target
                ),
            );
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::super::Segment;
    use super::*;

    fn playlist(first: u64, uris: &[&str]) -> MediaPlaylist {
        MediaPlaylist {
            target_duration: Some(2),
            media_sequence: first,
            segments: uris
                .iter()
                .map(|u| Segment {
                    uri: (*u).into(),
                    duration: 2.0,
                    discontinuity: u.starts_with('!'),
                    ..Segment::default()
                })
                .collect(),
            ..MediaPlaylist::default()
        }
    }

    fn ids(a: &MediaPlaylist, b: &MediaPlaylist) -> Vec<&'static str> {
        check_reload(a, b).iter().map(|v| v.rule.id).collect()
    }

    #[test]
    fn a_sliding_window_passes() {
        let a = playlist(0, &["0", "1", "2", "3"]);
        let b = playlist(1, &["1", "2", "3", "4"]);
        assert!(ids(&a, &b).is_empty());
        assert!(ids(&a, &playlist(9, &["9", "10", "11"])).is_empty());
    }

    #[test]
    fn broken_reloads_are_named() {
        let a = playlist(0, &["0", "!1", "2", "3"]);
        let mut b = playlist(2, &["2", "3", "4"]);
        assert_eq!(
            ids(&a, &b),
            [
                "hls.reload.discontinuity-sequence",
                "hls.reload.discontinuity-sequence"
            ]
        );
        b.discontinuity_sequence = 1;
        b.segments.push(b.segments[0].clone());
        b.segments[3].uri = "5".into();
        assert!(ids(&a, &b).is_empty());
        b.target_duration = Some(1);
        b.segments[0].uri = "x".into();
        assert_eq!(
            ids(&a, &b),
            ["hls.reload.target-duration", "hls.reload.segments"]
        );
        // 1.4 + 2.8 + 1.8 is 5.999999999999999 in binary, 6 to the millisecond.
        let mut before = playlist(0, &["0", "1", "2", "3"]);
        for (s, d) in before.segments[1..].iter_mut().zip([1.4, 2.8, 1.8]) {
            s.duration = d;
        }
        let mut after = before.clone();
        after.media_sequence = 1;
        after.segments.remove(0);
        assert!(ids(&before, &after).is_empty());
        let short = playlist(1, &["1", "2"]);
        assert_eq!(
            ids(&playlist(0, &["0", "1", "2"]), &short),
            ["hls.reload.window"]
        );
        assert_eq!(ids(&a, &playlist(0, &["0", "!1"])), ["hls.reload.segments"]);
    }
}
