//! berth's engine layer: the only part of berth that talks to a container engine.
//!
//! It knows nothing of compose files: the front end (the `berth` crate) decides what must exist and
//! hands this crate engine-level specifications and plans to carry out. The Docker Engine API client
//! arrives with the `up`/`down` work (see `ARCHITECTURE.md`).
