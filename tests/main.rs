//! berth's integration tests, compiled into one binary (as ripgrep does) and split by theme.

mod conformance;
mod hostile;
mod lifecycle_cmds;
