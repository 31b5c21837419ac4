//! A recording's file name: SRS's `dvr_path` template with the stream's names and the
//! file's start time (Go's reference time as placeholders: `[2006]-[01]-[02] [15]:[04]:[05].[999]`,
//! SRS's choice). Names come from peers: the recorder checks them as HLS on disk does
//! ([`crate::hls::safe_for_disk`]) before any file is named.

use chrono::{DateTime, Local};
use std::path::{Path, PathBuf};
use weir_hub::StreamKey;

/// The container a template's extension chooses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Flv,
    Mp4,
}

/// The template a configured `path` stands for: itself when it names a `.flv` or `.mp4`
/// file, else a directory for `[app]/[stream].[timestamp].flv` (SRS 1's rule).
pub fn template(path: &str) -> String {
    match format(path) {
        Some(_) => path.to_owned(),
        None => format!(
            "{}/[app]/[stream].[timestamp].flv",
            path.trim_end_matches('/')
        ),
    }
}

/// The container a template's extension names.
pub fn format(template: &str) -> Option<Format> {
    let lower = template.to_ascii_lowercase();
    if lower.ends_with(".flv") {
        Some(Format::Flv)
    } else if lower.ends_with(".mp4") {
        Some(Format::Mp4)
    } else {
        None
    }
}

/// `template` for the stream `key` (its names checked by the caller) and a file started at
/// `now`.
pub fn expand(template: &str, key: &StreamKey, now: DateTime<Local>) -> PathBuf {
    let text = template
        .replace("[vhost]", &key.vhost)
        .replace("[app]", &key.app)
        .replace("[stream]", &key.stream)
        .replace("[timestamp]", &now.timestamp_millis().to_string())
        .replace("[2006]", &now.format("%Y").to_string())
        .replace("[01]", &now.format("%m").to_string())
        .replace("[02]", &now.format("%d").to_string())
        .replace("[15]", &now.format("%H").to_string())
        .replace("[04]", &now.format("%M").to_string())
        .replace("[05]", &now.format("%S").to_string())
        .replace("[999]", &format!("{:03}", now.timestamp_subsec_millis()));
    PathBuf::from(text)
}

/// Where a file is written until it is complete: beside it, so that the rename stays on one
/// file system.
pub fn temporary(path: &Path) -> PathBuf {
    let mut name = path.file_name().unwrap_or_default().to_owned();
    name.push(".tmp");
    path.with_file_name(name)
}

/// `path` with `-n` before its extension: the name a file gets when an earlier recording
/// already has `path` (a template without `[timestamp]`, a reconnect within the millisecond).
pub fn numbered(path: &Path, n: u32) -> PathBuf {
    let stem = path.file_stem().unwrap_or_default().to_string_lossy();
    let name = match path.extension() {
        Some(ext) => format!("{stem}-{n}.{}", ext.to_string_lossy()),
        None => format!("{stem}-{n}"),
    };
    path.with_file_name(name)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn srs_variables_become_the_stream_and_the_time() {
        let key = StreamKey::new("__defaultVhost__", "live", "cam");
        let now = Local.timestamp_millis_opt(1_420_254_250_776).unwrap();
        let path = expand(
            "./rec/[vhost]/[app]/[stream]-[2006][01][02]-[15][04][05].[999]-[timestamp].mp4",
            &key,
            now,
        );
        let expected = format!(
            "./rec/__defaultVhost__/live/cam-{}.776-1420254250776.mp4",
            now.format("%Y%m%d-%H%M%S")
        );
        assert_eq!(path, PathBuf::from(expected));
    }

    #[test]
    fn a_directory_gets_srs_ones_file_names() {
        assert_eq!(
            template("./objs/nginx/html/"),
            "./objs/nginx/html/[app]/[stream].[timestamp].flv"
        );
        assert_eq!(template("a/[stream].MP4"), "a/[stream].MP4");
        assert_eq!(format("a/[stream].MP4"), Some(Format::Mp4));
    }

    #[test]
    fn names_that_would_leave_the_directory_are_refused() {
        // The recorder's gate (`super::spawn`): HLS's check of names for the disk.
        for (app, stream) in [
            ("..", "x"),
            ("live", "../x"),
            ("live", "a\\b"),
            ("live", ""),
        ] {
            assert!(!crate::hls::safe_for_disk(app, stream), "{app}/{stream}");
        }
    }

    #[test]
    fn a_taken_name_is_numbered_before_its_extension() {
        assert_eq!(
            numbered(Path::new("r/cam.flv"), 2),
            PathBuf::from("r/cam-2.flv")
        );
        assert_eq!(
            temporary(Path::new("r/cam.flv")),
            PathBuf::from("r/cam.flv.tmp")
        );
    }
}
