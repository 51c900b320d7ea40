//! The dynamic tree every loader stage works on, and where each of its nodes came from.
//!
//! Compose loads a project as an untyped tree (compose-go's `map[string]any`) and only binds it to
//! types at the very end. berth does the same with [`Value`] (a `serde_json::Value` that keeps key
//! order), so that merging, interpolation and schema validation see exactly what Compose sees. The
//! typed model in [`crate::model`] is built from the finished tree.
//!
//! A [`TreePath`] names a node (`services.web.ports[0]`); a [`SourceMap`] maps paths to the
//! [`Location`] in the YAML file where the node was written, so later errors can point into the file.

use std::collections::HashMap;
use std::fmt;
use std::hash::{BuildHasherDefault, Hasher};
use std::sync::Arc;

/// A node of the loader's dynamic tree.
pub type Value = serde_json::Value;

/// A mapping node of the loader's dynamic tree, in source order.
pub type Map = serde_json::Map<String, Value>;

/// One step of a [`TreePath`].
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Segment {
    /// A mapping key.
    Key(String),
    /// A sequence index.
    Index(usize),
}

/// The path of a node from the document root, displayed as Compose does: `services.web.ports[0]`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct TreePath(pub Vec<Segment>);

impl TreePath {
    /// The root path.
    #[must_use]
    pub fn root() -> Self {
        Self(Vec::new())
    }

    /// Builds a path from keys only, e.g. `TreePath::keys(&["services", "web"])`.
    #[must_use]
    pub fn keys(keys: &[&str]) -> Self {
        Self(keys.iter().map(|k| Segment::Key((*k).to_owned())).collect())
    }

    /// This path with a mapping key appended.
    #[must_use]
    pub fn key(&self, key: &str) -> Self {
        let mut path = self.clone();
        path.0.push(Segment::Key(key.to_owned()));
        path
    }

    /// This path with a sequence index appended.
    #[must_use]
    pub fn index(&self, index: usize) -> Self {
        let mut path = self.clone();
        path.0.push(Segment::Index(index));
        path
    }

    /// Whether this is the root path.
    #[must_use]
    pub fn is_root(&self) -> bool {
        self.0.is_empty()
    }

    /// The path one level up, or `None` at the root.
    #[must_use]
    pub fn parent(&self) -> Option<Self> {
        let mut path = self.clone();
        path.0.pop().map(|_| path)
    }
}

impl fmt::Display for TreePath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut first = true;
        for segment in &self.0 {
            match segment {
                Segment::Key(key) => {
                    if !first {
                        f.write_str(".")?;
                    }
                    f.write_str(key)?;
                }
                Segment::Index(index) => write!(f, "[{index}]")?,
            }
            first = false;
        }
        Ok(())
    }
}

/// A place in a source file: 1-based line and column.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Location {
    /// The file, as the user named it (absolute once discovery has run).
    pub file: Arc<str>,
    /// 1-based line.
    pub line: usize,
    /// 1-based column.
    pub column: usize,
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}:{}", self.file, self.line, self.column)
    }
}

/// Where each node of a tree was written.
///
/// Every node of every file is recorded while loading, but only a failing load ever looks one
/// up, so the map is keyed by a 64-bit digest of the path's segments: recording costs no
/// allocation and no formatting.
#[derive(Clone, Debug, Default)]
pub struct SourceMap {
    locations: HashMap<PathDigest, Location, BuildHasherDefault<DigestHasher>>,
}

/// A hasher for keys that are already digests.
#[derive(Default)]
struct DigestHasher(u64);

impl Hasher for DigestHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for byte in bytes {
            self.0 = self.0.rotate_left(8) ^ u64::from(*byte);
        }
    }

    fn write_u64(&mut self, value: u64) {
        self.0 = value;
    }
}

/// The digest [`SourceMap`] keys a path by: FNV-1a over the segments, with a separator per kind
/// of segment. It extends one segment at a time, so a walk that records every node can keep the
/// digest of its current path instead of hashing the whole path at each node. Cheap, and
/// collisions among the paths of one project are vanishingly unlikely.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct PathDigest(u64);

impl PathDigest {
    /// The digest of the root path.
    pub const ROOT: PathDigest = PathDigest(0xcbf2_9ce4_8422_2325);

    fn feed(self, bytes: &[u8]) -> PathDigest {
        const PRIME: u64 = 0x0000_0100_0000_01b3;
        let mut hash = self.0;
        for &byte in bytes {
            hash ^= u64::from(byte);
            hash = hash.wrapping_mul(PRIME);
        }
        PathDigest(hash)
    }

    /// The digest of this path with a mapping key appended.
    #[must_use]
    pub fn key(self, key: &str) -> PathDigest {
        self.feed(b".").feed(key.as_bytes())
    }

    /// The digest of this path with a sequence index appended.
    #[must_use]
    pub fn index(self, index: usize) -> PathDigest {
        self.feed(b"[").feed(&index.to_le_bytes())
    }
}

fn digest(path: &TreePath) -> PathDigest {
    path.0
        .iter()
        .fold(PathDigest::ROOT, |digest, segment| match segment {
            Segment::Key(key) => digest.key(key),
            Segment::Index(index) => digest.index(*index),
        })
}

impl SourceMap {
    /// Records where the node at `path` was written. The first record for a path is kept.
    pub fn insert(&mut self, path: &TreePath, location: Location) {
        self.insert_digest(digest(path), location);
    }

    /// Records where the node whose path has `digest` was written. The first record is kept.
    pub fn insert_digest(&mut self, digest: PathDigest, location: Location) {
        self.locations.entry(digest).or_insert(location);
    }

    /// An empty map with room for `capacity` records.
    #[must_use]
    pub fn with_capacity(capacity: usize) -> Self {
        Self {
            locations: HashMap::with_capacity_and_hasher(capacity, BuildHasherDefault::default()),
        }
    }

    /// Adds every record of `other` whose path is not recorded yet.
    pub fn extend(&mut self, other: SourceMap) {
        if self.locations.is_empty() {
            *self = other;
            return;
        }
        for (path, location) in other.locations {
            self.locations.entry(path).or_insert(location);
        }
    }

    /// The location of `path`, or of its nearest recorded ancestor.
    #[must_use]
    pub fn find(&self, path: &TreePath) -> Option<&Location> {
        let mut current = Some(path.clone());
        while let Some(path) = current {
            if let Some(location) = self.locations.get(&digest(&path)) {
                return Some(location);
            }
            current = path.parent();
        }
        None
    }

    /// How many nodes are recorded.
    #[must_use]
    pub fn len(&self) -> usize {
        self.locations.len()
    }

    /// Whether nothing is recorded.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.locations.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn path_displays_as_compose_does() {
        let path = TreePath::keys(&["services", "web"])
            .key("ports")
            .index(0)
            .key("target");
        assert_eq!(path.to_string(), "services.web.ports[0].target");
        assert_eq!(TreePath::root().to_string(), "");
    }

    #[test]
    fn source_map_falls_back_to_the_nearest_ancestor() {
        let mut map = SourceMap::default();
        let file: Arc<str> = Arc::from("compose.yaml");
        map.insert(
            &TreePath::keys(&["services", "web"]),
            Location {
                file,
                line: 3,
                column: 3,
            },
        );
        let found = map.find(&TreePath::keys(&["services", "web", "image"]));
        assert_eq!(found.map(|l| l.line), Some(3));
        assert!(map.find(&TreePath::keys(&["volumes"])).is_none());
    }
}
