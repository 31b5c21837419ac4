//! HLS playlists from hostile bytes: parsing never panics and stays within its limits;
//! whatever parses writes back to a playlist that parses to the same model (normalized: the
//! writer raises EXT-X-VERSION to what the features need), and comparing the two as reloads
//! of a live playlist never panics either.
#![no_main]

use libfuzzer_sys::fuzz_target;
use weir_hls::{Limits, Playlist, check_reload, parse};

fuzz_target!(|data: &[u8]| {
    let limits = Limits {
        max_bytes: 1 << 20,
        ..Limits::default()
    };
    let Ok(first) = parse(data, &limits) else {
        return;
    };
    if let Playlist::Master(m) = &first.playlist
        && m.is_empty()
    {
        return;
    }
    let text = first.playlist.to_string();
    let again = parse(text.as_bytes(), &Limits::default()).expect("a rewritten playlist parses");
    assert_eq!(again.playlist, first.playlist.normalized());
    if let (Playlist::Media(a), Playlist::Media(b)) = (&first.playlist, &again.playlist) {
        let _ = check_reload(a, b);
    }
});
