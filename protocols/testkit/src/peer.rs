//! Real peers (FFmpeg, GStreamer, nginx...) that tests drive: the binary named by an
//! environment variable, else on `PATH`, else in `/usr/sbin` (where Debian puts nginx). A
//! missing peer fails the test with how to install it; `ci/install-peers` installs them all.

use std::process::{Command, Stdio};

/// The binary of peer `name`: `$var`, else `name` on `PATH`, else `/usr/sbin/{name}`. Panics
/// with the install hint when none of them runs (`{bin} -version` must start).
pub fn binary(var: &str, name: &str) -> String {
    find(var, name).unwrap_or_else(|| {
        panic!("{name} is missing: run ci/install-peers (apt-get install {name}) or set {var}")
    })
}

/// The binary of peer `name` as [`binary`] finds it, or `None` when none runs: for the tests
/// that skip without it.
pub fn find(var: &str, name: &str) -> Option<String> {
    let runs = |bin: &str| {
        Command::new(bin)
            .arg("-version")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok()
    };
    let candidates = match std::env::var(var) {
        Ok(bin) => vec![bin],
        Err(_) => vec![name.to_owned(), format!("/usr/sbin/{name}")],
    };
    candidates.into_iter().find(|bin| runs(bin))
}
