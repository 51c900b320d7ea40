//! The `quiet` renderer: no progress at all, as Compose's `quiet` writer. Warnings are not
//! progress: Compose logs them through logrus whatever the progress mode, so they still print.

use std::io::Write;
use std::sync::Mutex;

/// The quiet renderer: drops events, keeps a sink for warnings.
pub(crate) struct Quiet {
    out: Mutex<Box<dyn Write + Send>>,
}

impl Quiet {
    pub(crate) fn new(out: Box<dyn Write + Send>) -> Self {
        Self {
            out: Mutex::new(out),
        }
    }

    pub(crate) fn warning(&self, text: &str) {
        let mut out = self
            .out
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let _ = writeln!(out, "{text}");
        let _ = out.flush();
    }
}
