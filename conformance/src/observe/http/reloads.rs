//! The last load of each live media playlist URL in one input, shared by the input's HTTP
//! flows, so that each load is compared with the one before it (RFC 8216 §6.2.1, §6.2.2;
//! `weir_hls::check_reload`) whichever connection carried it.

use std::cell::RefCell;
use std::collections::VecDeque;
use std::rc::Rc;

use weir_hls::{MediaPlaylist, check_reload};
use weir_media::Violation;

/// Playlist URLs remembered at once (the least recently loaded is forgotten first).
const MAX_URLS: usize = 64;
/// Segments remembered, all playlists together: a larger playlist is not kept (its next load
/// is compared with nothing), so that hostile playlists cannot hold the memory.
const MAX_SEGMENTS: usize = 100_000;

/// One input's playlist loads.
#[derive(Debug, Default)]
pub struct Reloads {
    last: VecDeque<(String, MediaPlaylist)>,
    segments: usize,
}

/// What the flows of one input share.
pub type SharedReloads = Rc<RefCell<Reloads>>;

impl Reloads {
    /// The rules `playlist` breaks as a reload of the last load of `url` (none for a first
    /// load); it becomes the last load.
    pub fn load(&mut self, url: &str, playlist: MediaPlaylist) -> Vec<Violation> {
        let previous = self
            .last
            .iter()
            .position(|(u, _)| u == url)
            .and_then(|i| self.forget(i));
        let violations = previous.map_or_else(Vec::new, |p| check_reload(&p, &playlist));
        let size = playlist.segments.len();
        if size > MAX_SEGMENTS {
            return violations;
        }
        while self.last.len() == MAX_URLS || self.segments + size > MAX_SEGMENTS {
            self.forget(0);
        }
        self.segments += size;
        self.last.push_back((url.to_owned(), playlist));
        violations
    }

    fn forget(&mut self, i: usize) -> Option<MediaPlaylist> {
        let (_, playlist) = self.last.remove(i)?;
        self.segments -= playlist.segments.len();
        Some(playlist)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use weir_hls::Segment;

    fn playlist(first: u64, segments: usize) -> MediaPlaylist {
        MediaPlaylist {
            target_duration: Some(4),
            media_sequence: first,
            segments: (0..segments)
                .map(|i| Segment {
                    uri: format!("s{}.ts", first + i as u64),
                    duration: 4.0,
                    ..Segment::default()
                })
                .collect(),
            ..MediaPlaylist::default()
        }
    }

    #[test]
    fn each_load_is_compared_with_the_last_of_its_url_within_bounds() {
        let mut reloads = Reloads::default();
        assert!(reloads.load("a", playlist(0, 4)).is_empty());
        assert!(reloads.load("b", playlist(9, 4)).is_empty());
        assert!(reloads.load("a", playlist(1, 4)).is_empty());
        let went_back = reloads.load("a", playlist(0, 4));
        assert_eq!(went_back[0].rule.id, "hls.reload.segments");
        // A playlist past the bound is not kept; the rest are forgotten oldest first.
        assert!(
            reloads
                .load("big", playlist(0, MAX_SEGMENTS + 1))
                .is_empty()
        );
        assert_eq!(reloads.segments, 8);
        assert!(
            reloads
                .load("huge", playlist(0, MAX_SEGMENTS - 4))
                .is_empty()
        );
        assert_eq!(reloads.last.len(), 2);
        assert_eq!(reloads.segments, MAX_SEGMENTS);
    }
}
