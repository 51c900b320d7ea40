//! berth's integration tests, compiled into one binary (as ripgrep does) and split by theme.

mod support;

mod conformance;
mod hostile;
mod examples;
mod up;
mod lifecycle_cmds;
