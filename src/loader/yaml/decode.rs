//! go-yaml v3's decoding of a node tree into `interface{}` (`decode.go`), after compose-go's
//! reset pass: scalars resolved, merge keys applied, keys checked, and each node's position
//! and path recorded on the way.

use std::borrow::Cow;
use std::collections::HashSet;
use std::hash::{BuildHasherDefault, Hasher};
use std::sync::Arc;

use serde_json::Number;

use super::nodes::{Arena, Kind, NodeId};
use super::resolve::{self, BINARY_TAG, Scalar};
use super::{AliasBudget, DuplicateKey, MAX_DEPTH, gofmt};
use crate::loader::tree::{Location, Map, PathDigest, Segment, SourceMap, TreePath, Value};

/// Why decoding failed (go-yaml's `failf`, which stops at once).
#[derive(Debug)]
pub(super) enum DecodeError {
    ExcessiveAliasing,
    TooDeep {
        line: usize,
        column: usize,
    },
    AnchorContainsItself {
        anchor: String,
    },
    MergeNotMapping,
    InvalidMapKey {
        key: String,
    },
    TagMismatch {
        resolved_tag: &'static str,
        text: String,
        tag: String,
    },
    InvalidBinary,
    /// Two keys of a mapping have the same text, found in a [`Decoder::fast`] decoding: the
    /// document must go through compose-go's reset pass, which reports it.
    NeedsResetPass,
}

/// A decoded node: scalars stay typed until they are placed, so keys keep their Go type.
enum Decoded {
    Scalar(Scalar),
    Collection(Value),
}

/// One step of the decoder's current path: keys borrowed from the arena where they can be.
enum Part<'arena> {
    Key(Cow<'arena, str>),
    Index(usize),
}

/// The decoder's state over one document.
pub(super) struct Decoder<'arena> {
    arena: &'arena Arena,
    file: Arc<str>,
    /// Set for a document the reset pass would leave as it is (see [`Decoder::fast`]).
    fast: bool,
    budget: AliasBudget,
    active_aliases: HashSet<NodeId>,
    /// The current path, and each step's digest (for [`SourceMap`]).
    path: Vec<(Part<'arena>, PathDigest)>,
    depth: usize,
    /// Duplicate keys go-yaml reports together as `unmarshal errors` (only possible under
    /// `!override`, which compose-go's reset pass does not walk).
    pub(super) type_errors: Vec<DuplicateKey>,
    /// The first non-string key met, with the path of its mapping (compose-go's
    /// `convertToStringKeysRecursive` error, raised once decoding succeeded).
    pub(super) non_string_key: Option<(TreePath, String)>,
    pub(super) locations: SourceMap,
    pub(super) timestamps: Vec<TreePath>,
}

impl<'arena> Decoder<'arena> {
    pub(super) fn new(arena: &'arena Arena, file: Arc<str>) -> Self {
        Self {
            arena,
            file,
            fast: false,
            budget: AliasBudget::default(),
            active_aliases: HashSet::new(),
            path: Vec::new(),
            depth: 0,
            type_errors: Vec::new(),
            non_string_key: None,
            locations: SourceMap::default(),
            timestamps: Vec::new(),
        }
    }

    /// A decoder for a document without aliases, merge keys, `!reset` or `!override` tags, on
    /// which compose-go's reset pass changes nothing and can only fail on a duplicate key. Such
    /// a decoder skips go-yaml's duplicate-key bookkeeping and stops with
    /// [`DecodeError::NeedsResetPass`] at any two keys of the same text instead; on that or any
    /// other error, the caller decodes the document again the ordinary way, after the reset
    /// pass, so that errors come in Compose's order. `records` sizes the source map.
    pub(super) fn fast(arena: &'arena Arena, file: Arc<str>, records: usize) -> Self {
        Self {
            fast: true,
            locations: SourceMap::with_capacity(records),
            ..Self::new(arena, file)
        }
    }

    /// The current path as a [`TreePath`].
    fn tree_path(&self) -> TreePath {
        TreePath(
            self.path
                .iter()
                .map(|(part, _)| match part {
                    Part::Key(key) => Segment::Key(key.clone().into_owned()),
                    Part::Index(index) => Segment::Index(*index),
                })
                .collect(),
        )
    }

    fn digest(&self) -> PathDigest {
        self.path
            .last()
            .map_or(PathDigest::ROOT, |&(_, digest)| digest)
    }

    fn push_key(&mut self, key: Cow<'arena, str>) {
        let digest = self.digest().key(&key);
        self.path.push((Part::Key(key), digest));
    }

    fn push_index(&mut self, index: usize) {
        let digest = self.digest().index(index);
        self.path.push((Part::Index(index), digest));
    }

    /// Decodes the node at `id` (at the current path) into a [`Value`].
    pub(super) fn decode(&mut self, id: NodeId) -> Result<Value, DecodeError> {
        Ok(match self.decode_any(id)? {
            Decoded::Collection(value) => value,
            Decoded::Scalar(scalar) => self.scalar_value(scalar),
        })
    }

    fn scalar_value(&mut self, scalar: Scalar) -> Value {
        match scalar {
            Scalar::Null => Value::Null,
            Scalar::Bool(boolean) => Value::Bool(boolean),
            Scalar::Int(int) => Value::from(int),
            Scalar::Uint(uint) => Value::from(uint),
            Scalar::Float(float) => match Number::from_f64(float) {
                Some(number) => Value::Number(number),
                // JSON has no infinities or NaN: keep them as Go prints them.
                None => Value::String(gofmt::format_float(float)),
            },
            Scalar::Str(text) => Value::String(text),
            Scalar::Timestamp(timestamp) => {
                let path = self.tree_path();
                self.timestamps.push(path);
                Value::String(timestamp.text)
            }
        }
    }

    /// go-yaml's `unmarshal`: counts the call against the alias budget, then decodes.
    fn decode_any(&mut self, id: NodeId) -> Result<Decoded, DecodeError> {
        let node = self.arena.node(id);
        if self.depth > MAX_DEPTH {
            return Err(DecodeError::TooDeep {
                line: node.line,
                column: node.column,
            });
        }
        if !self.budget.count() {
            return Err(DecodeError::ExcessiveAliasing);
        }
        self.depth += 1;
        let decoded = match node.kind {
            Kind::Alias => self.follow_alias(id, Self::decode_any),
            Kind::Scalar => self.decode_scalar(id).map(Decoded::Scalar),
            Kind::Sequence => self.decode_sequence(id).map(Decoded::Collection),
            Kind::Mapping => {
                let mut map = Map::with_capacity(node.children.len() / 2);
                self.fill_mapping(id, &mut map, None)
                    .map(|_| Decoded::Collection(Value::Object(map)))
            }
        };
        self.depth -= 1;
        decoded
    }

    /// go-yaml's `alias`: refuses an alias met again inside its own expansion.
    fn follow_alias<T>(
        &mut self,
        id: NodeId,
        then: impl FnOnce(&mut Self, NodeId) -> Result<T, DecodeError>,
    ) -> Result<T, DecodeError> {
        let node = self.arena.node(id);
        if !self.active_aliases.insert(id) {
            return Err(DecodeError::AnchorContainsItself {
                anchor: node.value.clone(),
            });
        }
        self.budget.alias_depth += 1;
        let result = then(self, node.target);
        self.budget.alias_depth -= 1;
        self.active_aliases.remove(&id);
        result
    }

    fn decode_scalar(&self, id: NodeId) -> Result<Scalar, DecodeError> {
        let node = self.arena.node(id);
        if self.arena.is_indicated_string(id) {
            return Ok(Scalar::Str(node.value.clone()));
        }
        let tag = node.tag.as_deref().unwrap_or("");
        let scalar =
            resolve::resolve(tag, &node.value).map_err(|mismatch| DecodeError::TagMismatch {
                resolved_tag: mismatch.resolved_tag,
                text: node.value.clone(),
                tag: mismatch.tag,
            })?;
        if tag == BINARY_TAG {
            let bytes = resolve::decode_base64(&node.value).ok_or(DecodeError::InvalidBinary)?;
            // Go strings may hold any bytes; ours are UTF-8.
            return Ok(Scalar::Str(String::from_utf8_lossy(&bytes).into_owned()));
        }
        Ok(scalar)
    }

    fn decode_sequence(&mut self, id: NodeId) -> Result<Value, DecodeError> {
        let children = &self.arena.node(id).children;
        let mut items = Vec::with_capacity(children.len());
        for (index, &child) in children.iter().enumerate() {
            self.push_index(index);
            self.record_location(child);
            let item = self.decode(child);
            self.path.pop();
            items.push(item?);
        }
        Ok(Value::Array(items))
    }

    fn record_location(&mut self, id: NodeId) {
        let node = self.arena.node(id);
        let location = Location {
            file: Arc::clone(&self.file),
            line: node.line,
            column: node.column,
        };
        self.locations.insert_digest(self.digest(), location);
    }

    /// go-yaml's `mapping` into `out`. `merged` is set while `id` is a merge source: the keys
    /// already present, which the source must not override (explicit keys and earlier sources
    /// win). Returns false when the mapping had duplicate keys.
    fn fill_mapping(
        &mut self,
        id: NodeId,
        out: &mut Map,
        mut merged: Option<&mut HashSet<String>>,
    ) -> Result<bool, DecodeError> {
        let arena = self.arena;
        let children = &arena.node(id).children;
        if self.fast {
            if has_duplicate(children, |key| arena.node(key).value.as_str()) {
                return Err(DecodeError::NeedsResetPass);
            }
        } else if self.check_unique_keys(children) {
            return Ok(false);
        }
        let mut merge_source = None;
        for pair in children.chunks(2) {
            let [key, value] = *pair else { continue };
            if arena.is_merge_key(key) {
                merge_source = Some(value);
                continue;
            }
            let decoded_key = self.decode_any(key)?;
            if let Some(merged) = merged.as_deref_mut()
                && !merged.insert(key_identity(&decoded_key))
            {
                continue;
            }
            let name = match decoded_key {
                Decoded::Collection(collection) => {
                    return Err(DecodeError::InvalidMapKey {
                        key: gofmt::value_go_syntax(&collection),
                    });
                }
                Decoded::Scalar(Scalar::Str(name)) => Some(name),
                Decoded::Scalar(other) => {
                    let text = gofmt::scalar_go_syntax(&other);
                    if self.non_string_key.is_none() {
                        self.non_string_key = Some((self.tree_path(), text));
                    }
                    None
                }
            };
            let text = arena.node(key).value.as_str();
            let segment = match &name {
                Some(name) if name == text => Cow::Borrowed(text),
                Some(name) => Cow::Owned(name.clone()),
                None => Cow::Borrowed(""),
            };
            self.push_key(segment);
            self.record_location(key);
            let decoded = self.decode(value);
            self.path.pop();
            let decoded = decoded?;
            if let Some(name) = name {
                out.insert(name, decoded);
            }
        }
        if let Some(source) = merge_source {
            self.merge(children, source, out, merged)?;
        }
        Ok(true)
    }

    /// go-yaml's `merge`: applies a `<<` value (a mapping, an alias of one, or a sequence of
    /// those) to `out`.
    fn merge(
        &mut self,
        parent_children: &[NodeId],
        source: NodeId,
        out: &mut Map,
        merged: Option<&mut HashSet<String>>,
    ) -> Result<(), DecodeError> {
        let mut own_keys = HashSet::new();
        let merged = match merged {
            Some(merged) => merged,
            None => {
                for &key in parent_children.iter().step_by(2) {
                    let decoded = self.decode_any(key)?;
                    own_keys.insert(key_identity(&decoded));
                }
                &mut own_keys
            }
        };
        let arena = self.arena;
        let is_mapping = |id: NodeId| {
            let node = arena.node(id);
            match node.kind {
                Kind::Alias => arena.node(node.target).kind == Kind::Mapping,
                kind => kind == Kind::Mapping,
            }
        };
        let source_node = arena.node(source);
        match source_node.kind {
            Kind::Mapping | Kind::Alias if is_mapping(source) => {
                self.merge_source(source, out, merged)
            }
            Kind::Sequence => {
                for &item in &source_node.children {
                    if !is_mapping(item) {
                        return Err(DecodeError::MergeNotMapping);
                    }
                    self.merge_source(item, out, merged)?;
                }
                Ok(())
            }
            _ => Err(DecodeError::MergeNotMapping),
        }
    }

    fn merge_source(
        &mut self,
        id: NodeId,
        out: &mut Map,
        merged: &mut HashSet<String>,
    ) -> Result<(), DecodeError> {
        let node = self.arena.node(id);
        if self.depth > MAX_DEPTH {
            return Err(DecodeError::TooDeep {
                line: node.line,
                column: node.column,
            });
        }
        if !self.budget.count() {
            return Err(DecodeError::ExcessiveAliasing);
        }
        self.depth += 1;
        let result = if node.kind == Kind::Alias {
            self.follow_alias(id, |decoder, target| {
                decoder.merge_source(target, out, merged)
            })
        } else {
            self.fill_mapping(id, out, Some(merged)).map(|_| ())
        };
        self.depth -= 1;
        result
    }

    /// go-yaml's unique-key check (same kind and same text); records every clash and says
    /// whether there was one.
    fn check_unique_keys(&mut self, children: &[NodeId]) -> bool {
        let arena = self.arena;
        let clash = has_duplicate(children, |key| {
            let node = arena.node(key);
            (node.kind, node.value.as_str())
        });
        if !clash {
            return false;
        }
        let keys: Vec<NodeId> = children.iter().step_by(2).copied().collect();
        for (index, &first) in keys.iter().enumerate() {
            for &second in &keys[index + 1..] {
                let (first, second) = (self.arena.node(first), self.arena.node(second));
                if first.kind == second.kind && first.value == second.value {
                    self.type_errors.push(DuplicateKey {
                        line: second.line,
                        key: second.value.clone(),
                        first_line: first.line,
                    });
                }
            }
        }
        true
    }
}

/// Mappings with at most this many keys are checked for duplicates pair by pair, larger ones
/// through a hash set.
const SMALL_MAPPING: usize = 12;

/// Whether two keys of a mapping's `children` (keys and values alternating) have the same
/// identity.
fn has_duplicate<K: std::hash::Hash + Eq>(
    children: &[NodeId],
    identity: impl Fn(NodeId) -> K,
) -> bool {
    let keys = children.iter().step_by(2);
    if children.len() <= 2 * SMALL_MAPPING {
        let keys: Vec<K> = keys.map(|&key| identity(key)).collect();
        return keys
            .iter()
            .enumerate()
            .any(|(index, key)| keys[..index].contains(key));
    }
    let mut seen = HashSet::with_capacity_and_hasher(children.len() / 2, FastState::default());
    keys.into_iter().any(|&key| !seen.insert(identity(key)))
}

/// FxHash: the keys hashed are a document's own, so no protection against chosen collisions
/// is needed beyond what the alias budget and size limits already give.
#[derive(Default)]
struct FastHasher(u64);

type FastState = BuildHasherDefault<FastHasher>;

impl Hasher for FastHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        const SEED: u64 = 0x51_7c_c1_b7_27_22_0a_95;
        for chunk in bytes.chunks(8) {
            let mut word = [0; 8];
            word[..chunk.len()].copy_from_slice(chunk);
            self.0 = (self.0.rotate_left(5) ^ u64::from_le_bytes(word)).wrapping_mul(SEED);
        }
    }
}

/// The identity of a decoded key in go-yaml's merged-keys set (Go interface equality).
fn key_identity(key: &Decoded) -> String {
    match key {
        Decoded::Scalar(Scalar::Str(text)) => format!("s{text}"),
        Decoded::Scalar(other) => format!("{other:?}"),
        Decoded::Collection(value) => format!("c{value}"),
    }
}
