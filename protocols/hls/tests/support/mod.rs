//! Shared helpers of the corpus tests: where the corpus is, and a reader for the videojs
//! expectations.
#![allow(dead_code)]

pub mod js;

use std::path::PathBuf;

/// `$WEIR_CORPUS/hls/{dir}` (default: `../shared/corpus` beside the workspace).
pub fn corpus_dir(dir: &str) -> PathBuf {
    let root = std::env::var("WEIR_CORPUS")
        .unwrap_or_else(|_| concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/corpus").into());
    let path = PathBuf::from(root).join("hls").join(dir);
    assert!(
        path.is_dir(),
        "corpus folder {} is missing (set WEIR_CORPUS)",
        path.display()
    );
    path
}

/// The playlists of a corpus folder, by file stem, sorted.
pub fn playlists(dir: &str) -> Vec<(String, Vec<u8>)> {
    let dir = corpus_dir(dir);
    let mut out: Vec<_> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|entry| entry.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "m3u8"))
        .map(|p| {
            let stem = p.file_stem().unwrap().to_string_lossy().into_owned();
            (stem, std::fs::read(&p).unwrap())
        })
        .collect();
    out.sort();
    out
}
