//! The one place errors and warnings are printed, and where exit codes are decided.
//!
//! An error prints Compose's own message after `error: `, then where the problem was written when
//! berth knows it, so that a Compose user recognises the message and sees its place at once.
//! Warnings print as `warning: …`, each once.

use std::collections::HashSet;
use std::io::Write;

use crate::loader::LoadError;

/// Prints warnings on standard error, each distinct message once.
pub fn print_warnings(warnings: &[String]) {
    let mut seen = HashSet::new();
    let stderr = std::io::stderr();
    let mut stderr = stderr.lock();
    for warning in warnings {
        if seen.insert(warning.as_str()) {
            let _ = writeln!(stderr, "warning: {warning}");
        }
    }
}

/// Renders an error for standard error: the message, its location, and its causes.
#[must_use]
pub fn render(error: &anyhow::Error) -> String {
    let mut text = format!("error: {error}");
    if let Some(location) = error
        .chain()
        .find_map(|cause| cause.downcast_ref::<LoadError>())
        .and_then(LoadError::location)
    {
        text.push_str(&format!("\n  --> {location}"));
    }
    // Compose folds causes into its messages; print a cause only when it adds something.
    let mut shown = error.to_string();
    for cause in error.chain().skip(1) {
        let cause = cause.to_string();
        if !shown.contains(&cause) {
            text.push_str(&format!("\ncaused by: {cause}"));
            shown.push_str(&cause);
        }
    }
    text
}

/// Prints an error on standard error.
pub fn print_error(error: &anyhow::Error) {
    let _ = writeln!(std::io::stderr().lock(), "{}", render(error));
}
