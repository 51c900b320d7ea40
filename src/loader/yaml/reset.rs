//! compose-go's `ResetProcessor.resolveReset` (`loader/reset.go`): the pass over go-yaml's node
//! tree that runs before decoding.
//!
//! It records the paths of `!reset` and `!override` nodes, drops `!reset` nodes, replaces each
//! alias by the node it refers to, rejects duplicate keys and detects alias cycles. Its paths are
//! compose-go's `tree.Path` strings, with that type's quirks: a sequence item is a plain `.0`
//! segment, a dot inside a key is kept as a ghost character (except in the first segment), and
//! the first `.<<` is cut out of the path, so tags under merge keys apply where the keys land.

use std::collections::HashMap;

use super::nodes::{Arena, Kind, NodeId};
use super::{AliasBudget, MAX_DEPTH};
use crate::loader::tree::{Segment, TreePath};

/// compose-go's stand-in for a dot inside a path segment (`tree.Path.Next`).
const GHOST: char = '\u{1F47B}';
/// A merge key after a dot that was written inside a key (see [`GHOST`]).
const GHOST_MERGE: &str = "\u{1F47B}<<";

/// Bytes of path text the cycle bookkeeping may hold before the document counts as an attack.
const MAX_PATH_BYTES: usize = 64 << 20;

/// Why the pass failed.
#[derive(Debug)]
pub(super) enum ResetError {
    /// compose-go's `line N: mapping key "k" already defined at line M`.
    DuplicateKey {
        line: usize,
        key: String,
        first_line: usize,
    },
    /// compose-go's `cycle detected: node at path P references node at path Q`.
    Cycle { path: String, previous: String },
    /// Alias expansion out of proportion (see [`AliasBudget`]).
    ExcessiveAliasing,
    /// Nesting, through aliases, deeper than [`MAX_DEPTH`].
    TooDeep { line: usize, column: usize },
}

/// The paths an anchored node was reached at through aliases, for compose-go's cycle check.
#[derive(Default)]
struct Visits {
    /// Paths in the order they were recorded (only those without `<<`, which can match).
    paths: Vec<String>,
    /// Each recorded path and its first index.
    exact: HashMap<String, usize>,
    /// Each proper prefix (ending before a `.`) of a recorded path, with the lowest index.
    prefixes: HashMap<String, usize>,
}

/// The pass's state over one document.
pub(super) struct ResetPass<'arena> {
    arena: &'arena mut Arena,
    visits: HashMap<NodeId, Visits>,
    budget: AliasBudget,
    path_bytes: usize,
    /// `!reset` paths, in compose-go's string form.
    pub(super) resets: Vec<String>,
    /// `!override` paths, in compose-go's string form.
    pub(super) overrides: Vec<String>,
}

impl<'arena> ResetPass<'arena> {
    pub(super) fn new(arena: &'arena mut Arena) -> Self {
        Self {
            arena,
            visits: HashMap::new(),
            budget: AliasBudget::default(),
            path_bytes: 0,
            resets: Vec::new(),
            overrides: Vec::new(),
        }
    }

    /// Runs the pass from the document root; `None` when the root itself is `!reset`.
    pub(super) fn run(&mut self, root: NodeId) -> Result<Option<NodeId>, ResetError> {
        let mut path = String::new();
        self.resolve(root, &mut path, 0)
    }

    fn resolve(
        &mut self,
        id: NodeId,
        path: &mut String,
        depth: usize,
    ) -> Result<Option<NodeId>, ResetError> {
        // compose-go rebuilds the path without its first `.<<` from the path's display form.
        let mut replaced = None;
        if path.contains("<<") && (path.contains(".<<") || path.contains(GHOST_MERGE)) {
            let display = path.replace(GHOST, ".");
            if display.contains(".<<") {
                replaced = Some(std::mem::replace(path, display.replacen(".<<", "", 1)));
            }
        }
        let result = self.resolve_at(id, path, depth);
        if let Some(original) = replaced {
            *path = original;
        }
        result
    }

    fn resolve_at(
        &mut self,
        id: NodeId,
        path: &mut String,
        depth: usize,
    ) -> Result<Option<NodeId>, ResetError> {
        let node = self.arena.node(id);
        if depth > MAX_DEPTH {
            return Err(ResetError::TooDeep {
                line: node.line,
                column: node.column,
            });
        }
        if !self.budget.count() {
            return Err(ResetError::ExcessiveAliasing);
        }
        if node.kind == Kind::Alias {
            let target = node.target;
            self.check_for_cycle(target, path)?;
            self.budget.alias_depth += 1;
            let resolved = self.resolve(target, path, depth + 1);
            self.budget.alias_depth -= 1;
            return resolved;
        }
        match node.tag.as_deref() {
            Some("!reset") => {
                self.resets.push(path.clone());
                return Ok(None);
            }
            Some("!override") => {
                self.overrides.push(path.clone());
                return Ok(Some(id));
            }
            _ => {}
        }
        let kind = node.kind;
        // Cloned, not taken: an alias cycle may come back to this node while it is walked, and
        // must see its children as compose-go does.
        let children = node.children.clone();
        let mut kept = Vec::with_capacity(children.len());
        match kind {
            Kind::Sequence => {
                for (index, child) in children.into_iter().enumerate() {
                    let length = path.len();
                    push_segment(path, &index.to_string());
                    let resolved = self.resolve(child, path, depth + 1);
                    path.truncate(length);
                    kept.extend(resolved?);
                }
            }
            Kind::Mapping => {
                let mut lines: HashMap<String, usize> = HashMap::with_capacity(children.len() / 2);
                for pair in children.chunks(2) {
                    let [key, value] = *pair else { continue };
                    let key_node = self.arena.node(key);
                    let (name, line) = (key_node.value.clone(), key_node.line);
                    if let Some(&first_line) = lines.get(&name) {
                        return Err(ResetError::DuplicateKey {
                            line,
                            key: name,
                            first_line,
                        });
                    }
                    let length = path.len();
                    push_segment(path, &name);
                    lines.insert(name, line);
                    let resolved = self.resolve(value, path, depth + 1);
                    path.truncate(length);
                    if let Some(resolved) = resolved? {
                        kept.extend([key, resolved]);
                    }
                }
            }
            Kind::Scalar | Kind::Alias => return Ok(Some(id)),
        }
        self.arena.nodes[id].children = kept;
        Ok(Some(id))
    }

    /// compose-go's `checkForCycle`: reaching an anchored node at a path that is an ancestor or
    /// a descendant of a path it was reached at before is a cycle, unless either path goes
    /// through a merge key. (compose-go also excuses paths in two different services, which
    /// never happens to an ancestor and its descendant.)
    fn check_for_cycle(&mut self, target: NodeId, path: &str) -> Result<(), ResetError> {
        let display = path.replace(GHOST, ".");
        if display.contains("<<") {
            return Ok(());
        }
        let visits = self.visits.entry(target).or_default();
        let ancestor = display
            .match_indices('.')
            .filter_map(|(end, _)| visits.exact.get(&display[..end]).copied())
            .min();
        let descendant = visits.prefixes.get(&display).copied();
        let earliest = match (ancestor, descendant) {
            (Some(left), Some(right)) => Some(left.min(right)),
            (left, right) => left.or(right),
        };
        if let Some(index) = earliest {
            return Err(ResetError::Cycle {
                path: display,
                previous: visits.paths[index].clone(),
            });
        }
        if visits.exact.contains_key(&display) {
            return Ok(());
        }
        let index = visits.paths.len();
        for (end, _) in display.match_indices('.') {
            self.path_bytes += end;
            visits
                .prefixes
                .entry(display[..end].to_owned())
                .or_insert(index);
        }
        self.path_bytes += 2 * display.len();
        if self.path_bytes > MAX_PATH_BYTES {
            return Err(ResetError::ExcessiveAliasing);
        }
        visits.exact.insert(display.clone(), index);
        visits.paths.push(display);
        Ok(())
    }
}

/// compose-go's `tree.Path.Next`.
fn push_segment(path: &mut String, segment: &str) {
    if path.is_empty() {
        path.push_str(segment);
    } else {
        path.push('.');
        for character in segment.chars() {
            path.push(if character == '.' { GHOST } else { character });
        }
    }
}

/// A compose-go path string as a [`TreePath`]: split on dots, ghosts turned back into dots.
/// Every segment is a key, sequence items included (`ports.0`), as compose-go records them.
pub(super) fn tree_path(path: &str) -> TreePath {
    if path.is_empty() {
        return TreePath::root();
    }
    TreePath(
        path.split('.')
            .map(|segment| Segment::Key(segment.replace(GHOST, ".")))
            .collect(),
    )
}
