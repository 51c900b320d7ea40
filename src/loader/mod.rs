//! The Compose loader: everything Compose does to a project before it talks to an engine.
//!
//! Stages, in the order Docker Compose v2.40.3 (compose-go v2.9.1) runs them:
//! discovery ([`discover`]), environment files ([`env`]), YAML reading ([`yaml`]), interpolation
//! ([`interpolate`]), `extends` and `include`, merging ([`merge`]), schema validation
//! ([`validate`]), canonical long syntax and normalisation ([`normalize`]), profiles and the
//! consistency checks, and finally binding to the typed [`crate::model`].

pub mod env;
pub mod interpolate;
pub mod merge;
pub mod normalize;
pub mod tree;
pub mod validate;
pub mod yaml;
