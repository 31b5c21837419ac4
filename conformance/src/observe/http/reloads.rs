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

/// One input's playlist loads.
#[derive(Debug, Default)]
pub struct Reloads {
    last: VecDeque<(String, MediaPlaylist)>,
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
            .and_then(|i| self.last.remove(i));
        let violations = previous.map_or_else(Vec::new, |(_, p)| check_reload(&p, &playlist));
        if self.last.len() == MAX_URLS {
            self.last.pop_front();
        }
        self.last.push_back((url.to_owned(), playlist));
        violations
    }
}
