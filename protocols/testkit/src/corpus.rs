//! The public corpus beside the project (`../shared/corpus`, MANIFEST.md says where each file
//! comes from), or wherever `WEIR_CORPUS` points. A missing corpus fails the test with the
//! variable to set, never skips it.

use std::path::{Path, PathBuf};

/// The corpus folder: `$WEIR_CORPUS`, else `../shared/corpus` beside the workspace.
pub fn dir() -> PathBuf {
    let dir: PathBuf = std::env::var_os("WEIR_CORPUS")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/corpus"));
    assert!(
        dir.join("MANIFEST.md").is_file(),
        "the corpus is missing at {} (set WEIR_CORPUS)",
        dir.display()
    );
    dir
}

/// A corpus file or folder by its path in the corpus (`rtmp/client_stream`); it must exist.
pub fn path(relative: &str) -> PathBuf {
    let path = dir().join(relative);
    assert!(
        path.exists(),
        "corpus entry {} is missing (set WEIR_CORPUS)",
        path.display()
    );
    path
}

/// A corpus file's bytes.
pub fn read(relative: &str) -> Vec<u8> {
    let path = path(relative);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The files of a corpus folder whose names end with `.{extension}` (every file for `""`),
/// sorted by name.
pub fn files(folder: &str, extension: &str) -> Vec<PathBuf> {
    let folder = path(folder);
    let mut files: Vec<PathBuf> = std::fs::read_dir(&folder)
        .unwrap_or_else(|e| panic!("{}: {e}", folder.display()))
        .map(|entry| entry.expect("a readable folder entry").path())
        .filter(|p| p.is_file())
        .filter(|p| extension.is_empty() || p.extension().is_some_and(|e| e == extension))
        .collect();
    files.sort();
    files
}

/// The names of [`files`] (`a.ts`, not the whole path): what a test pins a folder's contents
/// by, or loops over.
pub fn names(folder: &str, extension: &str) -> Vec<String> {
    files(folder, extension)
        .iter()
        .map(|p| {
            let name = p.file_name().expect("a file has a name");
            name.to_string_lossy().into_owned()
        })
        .collect()
}

/// Each of [`files`] as its name without the extension and its bytes, sorted by that name
/// (`master` before `master-b`, which is not the order of their file names): for tests that
/// check every file of a folder and say which one failed.
pub fn contents(folder: &str, extension: &str) -> Vec<(String, Vec<u8>)> {
    let mut contents: Vec<(String, Vec<u8>)> = files(folder, extension)
        .iter()
        .map(|p| {
            let stem = p.file_stem().expect("a file has a name");
            let bytes = std::fs::read(p).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
            (stem.to_string_lossy().into_owned(), bytes)
        })
        .collect();
    contents.sort_by(|a, b| a.0.cmp(&b.0));
    contents
}

/// The audio and video tags of a corpus FLV file, in order: real media for a publisher to
/// send (see [`crate::flv::media_tags`]).
pub fn flv_media(relative: &str) -> Vec<crate::flv::MediaTag> {
    crate::flv::media_tags(&read(relative))
}

/// The configs and frames of a corpus FLV file, in order, as `weir-flv` reads its tags: the
/// input of a muxer under test or benchmark. Panics when a tag does not read.
pub fn flv_packets(relative: &str) -> Vec<weir_media::MediaPacket> {
    let mut packets = Vec::new();
    for (video, ms, body) in flv_media(relative) {
        let time = weir_media::Timestamp::from_millis(i64::from(ms));
        let mut take = |p| packets.push(p);
        let read = if video {
            weir_flv::media::read_video(time, body, &mut take)
        } else {
            weir_flv::media::read_audio(time, body, &mut take)
        };
        read.unwrap_or_else(|e| panic!("{relative}: {e}"));
    }
    packets
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_corpus_is_found_and_read() {
        assert!(dir().join("MANIFEST.md").is_file());
        let ts = files("mpegts", "ts");
        assert!(!ts.is_empty() && ts.windows(2).all(|w| w[0] < w[1]));
        assert!(ts.iter().all(|p| p.extension().unwrap() == "ts"));
        let names = names("mpegts", "ts");
        assert_eq!(names.len(), ts.len());
        assert!(names.iter().all(|n| !n.contains('/') && n.ends_with(".ts")));
        let contents = contents("mpegts", "ts");
        assert!(contents.windows(2).all(|w| w[0].0 < w[1].0));
        let (stem, bytes) = &contents[0];
        assert_eq!(*bytes, read(&format!("mpegts/{stem}.ts")));
        assert_eq!(&read("flv/avatar.flv")[..3], b"FLV");
        let tags = flv_media("flv/avatar.flv");
        assert!(tags.iter().any(|t| t.0) && tags.iter().any(|t| !t.0));
    }

    #[test]
    #[should_panic(expected = "is missing")]
    fn a_missing_entry_fails_the_test() {
        path("no/such/file");
    }
}
