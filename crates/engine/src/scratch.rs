//! Scratch directories for tests (this crate's, and the front end's through the `test-support`
//! feature): each one its own directory under the system's temporary one, removed when dropped,
//! also when the test fails.

use std::path::{Path, PathBuf};

/// A directory of its own, `berth-<name>-<pid>` under the temporary directory, empty when made
/// and removed when dropped.
#[derive(Debug)]
pub struct Scratch(PathBuf);

impl Scratch {
    /// Makes the directory (emptied first, should an earlier process of the same id have left
    /// it).
    ///
    /// # Panics
    /// When the directory cannot be made: the test cannot go on.
    #[must_use]
    pub fn new(name: &str) -> Self {
        let dir = std::env::temp_dir().join(format!("berth-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("scratch directory");
        Self(dir)
    }

    /// The directory.
    #[must_use]
    pub fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}
