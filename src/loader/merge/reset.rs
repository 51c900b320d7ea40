//! Deleting the nodes that `!reset` and `!override` recorded (compose-go
//! `ResetProcessor.Apply`).
//!
//! Compose compares dotted path strings part by part, and berth reproduces that comparison rather
//! than comparing [`TreePath`]s, because its quirks are visible: a recorded key `*` matches any key;
//! a recorded sequence index (`ports.0`) never matches a list item (items are `[0]` when applied),
//! so tags on sequence items do nothing; a list item is never removed; and a top-level key is not
//! escaped, so `a.b` at the root is the two parts `a`, `b`. A `<<` segment (a tag under a merge key)
//! is skipped, as compose-go strips `.<<` from recorded paths.

use crate::loader::tree::{Segment, TreePath, Value};

/// The parts of a recorded path, as compose-go's `tree.Path.Parts` sees them.
fn recorded_parts(path: &TreePath) -> Vec<String> {
    let mut parts = Vec::with_capacity(path.0.len());
    for segment in &path.0 {
        match segment {
            Segment::Key(key) if key == "<<" => {}
            Segment::Key(key) if parts.is_empty() => {
                parts.extend(key.split('.').map(str::to_owned))
            }
            Segment::Key(key) => parts.push(key.clone()),
            Segment::Index(index) => parts.push(index.to_string()),
        }
    }
    parts
}

fn part_matches(pattern: &str, part: &str) -> bool {
    pattern == "*" || pattern == part
}

/// Whether some pattern is `parts` exactly.
fn matches_any(patterns: &[Vec<String>], parts: &[String]) -> bool {
    patterns.iter().any(|pattern| {
        pattern.len() == parts.len()
            && pattern
                .iter()
                .zip(parts)
                .all(|(p, part)| part_matches(p, part))
    })
}

/// Whether some pattern continues below `parts`, so the walk must go on.
fn leads_anywhere(patterns: &[Vec<String>], parts: &[String]) -> bool {
    patterns.iter().any(|pattern| {
        pattern.len() > parts.len()
            && pattern
                .iter()
                .zip(parts)
                .all(|(p, part)| part_matches(p, part))
    })
}

/// Deletes every mapping entry whose path matches a recorded path.
pub(super) fn remove(value: &mut Value, paths: &[TreePath]) {
    let patterns: Vec<Vec<String>> = paths.iter().map(recorded_parts).collect();
    if patterns.is_empty() {
        return;
    }
    let mut parts = Vec::new();
    walk(value, &patterns, &mut parts);
}

fn walk(value: &mut Value, patterns: &[Vec<String>], parts: &mut Vec<String>) {
    match value {
        Value::Object(map) => {
            let at_root = parts.is_empty();
            map.retain(|key, child| {
                let depth = parts.len();
                if at_root {
                    parts.extend(key.split('.').map(str::to_owned));
                } else {
                    parts.push(key.clone());
                }
                let keep = !matches_any(patterns, parts);
                if keep && leads_anywhere(patterns, parts) {
                    walk(child, patterns, parts);
                }
                parts.truncate(depth);
                keep
            });
        }
        Value::Array(items) => {
            for (index, item) in items.iter_mut().enumerate() {
                parts.push(format!("[{index}]"));
                // compose-go leaves a matching item in place and does not look inside it.
                if !matches_any(patterns, parts) && leads_anywhere(patterns, parts) {
                    walk(item, patterns, parts);
                }
                parts.pop();
            }
        }
        _ => {}
    }
}
