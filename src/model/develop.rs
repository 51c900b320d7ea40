//! Development settings of a service (`DevelopConfig`): the `watch` triggers.

use super::service::ServiceHook;

compose_struct! {
    /// Development settings (`DevelopConfig`).
    pub struct DevelopConfig [extensions] {
        /// Watch triggers.
        watch: Vec<Trigger> = "watch",
    }
}

compose_struct! {
    /// A watch trigger (`Trigger`); `path` and `action` are always printed.
    pub struct Trigger [extensions] {
        /// Watched path.
        path: String = "path" policy Never,
        /// `sync`, `rebuild`, `restart`, `sync+restart` or `sync+exec`.
        action: String = "action" policy Never,
        /// Path in the container.
        target: String = "target",
        /// Command run after a sync.
        exec: ServiceHook = "exec",
        /// Paths included.
        include: Vec<String> = "include",
        /// Paths ignored.
        ignore: Vec<String> = "ignore",
        /// Sync everything at start.
        initial_sync: bool = "initial_sync",
    }
}
