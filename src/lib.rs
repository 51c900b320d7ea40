//! berth: a Docker Compose compatible tool. This library holds the front end: the command line
//! ([`cli`]), the loader that turns compose files into a typed [`model::Project`] ([`loader`]),
//! the dependency [`graph`], and convergence logic ([`converge`]). `ARCHITECTURE.md` maps the
//! modules.

pub mod attach;
pub mod cli;
pub mod converge;
pub mod diagnostic;
pub mod go;
pub mod graph;
pub mod interactive;
pub mod loader;
pub mod model;
pub mod output;
pub mod progress;
pub mod watch;
