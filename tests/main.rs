//! berth's integration tests, compiled into one binary (as ripgrep does) and split by theme.

mod support;

mod attach;
mod attached;
mod conformance;
mod engine_spec;
mod examples;
mod hostile;
mod lifecycle_cmds;
mod logs;
mod spec;
mod up;
