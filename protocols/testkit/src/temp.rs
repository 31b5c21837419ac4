//! Paths in the temp folder for files and folders a test hands to a peer program or to `weir`:
//! unique, so that tests running at once never share one, and removed when dropped.

use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU32, Ordering};

/// A path in the temp folder, unique to this process, this value and `name` (which keeps its
/// extension last, for programs that go by it); what is there on drop, file or folder, is
/// removed.
#[derive(Debug)]
pub struct TempPath(PathBuf);

impl TempPath {
    /// A path where nothing is yet.
    pub fn new(name: &str) -> Self {
        static MADE: AtomicU32 = AtomicU32::new(0);
        let n = MADE.fetch_add(1, Ordering::Relaxed);
        let unique = format!("weir-{}-{n}-{name}", std::process::id());
        TempPath(std::env::temp_dir().join(unique))
    }

    /// An empty folder.
    pub fn dir(name: &str) -> Self {
        let temp = TempPath::new(name);
        std::fs::create_dir_all(&temp.0).unwrap_or_else(|e| panic!("{}: {e}", temp.0.display()));
        temp
    }

    /// The path.
    pub fn path(&self) -> &Path {
        &self.0
    }
}

impl std::ops::Deref for TempPath {
    type Target = Path;
    fn deref(&self) -> &Path {
        &self.0
    }
}

impl AsRef<Path> for TempPath {
    fn as_ref(&self) -> &Path {
        &self.0
    }
}

impl AsRef<OsStr> for TempPath {
    fn as_ref(&self) -> &OsStr {
        self.0.as_os_str()
    }
}

impl Drop for TempPath {
    fn drop(&mut self) {
        if self.0.is_dir() {
            let _ = std::fs::remove_dir_all(&self.0);
        } else {
            let _ = std::fs::remove_file(&self.0);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_are_unique_and_removed_on_drop() {
        let file = TempPath::new("a.ts");
        let other = TempPath::new("a.ts");
        assert_ne!(file.path(), other.path());
        assert!(file.to_string_lossy().ends_with("a.ts"));
        std::fs::write(&file, b"x").unwrap();
        let dir = TempPath::dir("d");
        std::fs::write(dir.join("inside"), b"y").unwrap();
        let (file_path, dir_path) = (file.to_path_buf(), dir.to_path_buf());
        drop((file, dir));
        assert!(!file_path.exists() && !dir_path.exists());
    }
}
