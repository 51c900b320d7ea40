//! berth: a Docker Compose compatible tool. This library holds the front end: the loader that turns
//! compose files into a typed [`model::Project`], the dependency [`graph`], and convergence logic.
//! `ARCHITECTURE.md` maps the modules.

pub mod converge;
pub mod graph;
pub mod loader;
pub mod model;
