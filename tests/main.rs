//! berth's integration tests, compiled into one binary (as ripgrep does) and split by theme.

mod support;

mod attach;
mod attached;
mod build;
mod build_cmd;
mod build_faults;
mod conformance;
mod cp;
mod engine_spec;
mod examples;
mod hostile;
mod inspect_cmds;
mod interactive;
mod lifecycle_cmds;
mod logs;
mod registry;
mod spec;
mod up;
mod watch;
