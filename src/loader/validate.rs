//! The three validation layers Compose runs on a project, each with Compose's exact messages.
//!
//! 1. [`validate_schema`]: the compose-spec JSON schema, after each file is merged
//!    (compose-go `schema/schema.go`).
//! 2. [`validate_semantics`]: rules the schema cannot express, on the merged tree after defaults
//!    (compose-go `validation/`).
//! 3. [`check_consistency`]: cross-references on the finished project, such as undefined networks
//!    or `scale` against `deploy.replicas` (compose-go `loader/validate.go`).
//!
//! Where Compose reports the first problem in Go map order (which is random), berth reports the
//! first one in a fixed order: source order inside the tree, sorted order for services.

mod consistency;
mod schema;
mod semantics;

pub use consistency::{ConsistencyError, check_consistency};
pub use schema::{SchemaError, validate_schema, validate_schema_remembered};
pub use semantics::{ValidationError, validate_semantics};

use crate::loader::tree::{Segment, TreePath};

/// Formats a path the way compose-go's validators do: every segment joined with `.`, so a list
/// item reads `services.a.ports.0` rather than the loader's `services.a.ports[0]`.
fn dotted(path: &TreePath) -> String {
    let mut text = String::new();
    for (position, segment) in path.0.iter().enumerate() {
        if position > 0 {
            text.push('.');
        }
        match segment {
            Segment::Key(key) => text.push_str(key),
            Segment::Index(index) => text.push_str(&index.to_string()),
        }
    }
    text
}

/// Formats a path the way compose-go's `tree.Path` does in `validation/`: list items are written
/// `[]` whatever their index (`services.a.ports.[]`).
fn dotted_with_list_marker(path: &TreePath) -> String {
    let mut text = String::new();
    for (position, segment) in path.0.iter().enumerate() {
        if position > 0 {
            text.push('.');
        }
        match segment {
            Segment::Key(key) => text.push_str(key),
            Segment::Index(_) => text.push_str("[]"),
        }
    }
    text
}

use crate::go::quote as go_quote;
