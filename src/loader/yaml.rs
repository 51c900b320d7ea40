//! Reads compose files exactly as Compose does: go-yaml v3 parsing, then compose-go's
//! `!reset`/`!override` pass, then go-yaml's decoding into a string-keyed tree.
//!
//! Compose v2.40.3 (compose-go v2.9.1, `loader.loadYamlFile`) decodes each `---` document into
//! a `map[string]any` through its `ResetProcessor`. berth rebuilds go-yaml's node tree from
//! saphyr's events (keeping tags, raw text and positions), then reproduces, in order:
//!
//! 1. compose-go's `resolveReset` (`loader/reset.go`): duplicate keys, alias cycles, `!reset`
//!    and `!override` paths;
//! 2. go-yaml's decoding (`decode.go`): scalar resolution (`resolve.go`), `<<` merge keys, its
//!    alias budget;
//! 3. compose-go's `convertToStringKeysRecursive`: every key must be a string;
//! 4. `processRawYaml`'s `top-level object must be a mapping`.
//!
//! Differences from Compose, on purpose: Compose crashes (Go panic or stack exhaustion) on a
//! `!reset` document root and on self-merging anchors (`x: &a {<<: *a}`); berth reports
//! `top-level object must be a mapping` and an excessive nesting or aliasing error instead.
//! compose-go's reset pass has no alias budget at all, so berth applies go-yaml's there too.
//! Syntax errors carry saphyr's wording, with line and column.

mod decode;
mod gofmt;
mod nodes;
mod reset;
mod resolve;

use std::collections::HashMap;
use std::fmt;
use std::sync::Arc;

use saphyr_parser::{Event, Parser, StrInput};

pub use gofmt::format_float;

use self::decode::{DecodeError, Decoder};
use self::nodes::{Arena, BuildError, NodeId, SourceText};
use self::reset::{ResetError, ResetPass};
use crate::loader::tree::{SourceMap, TreePath, Value};

/// How deep collections may nest, aliases included. go-yaml allows 10,000 levels; compose
/// files use about ten, and berth's passes recurse, so the limit keeps their stack small.
pub const MAX_DEPTH: usize = 400;

/// Node visits one document may cost, aliases expanded, whatever their proportion.
const MAX_VISITS: usize = 10_000_000;

/// One `---` document of a compose file, decoded as Compose decodes it.
#[derive(Clone, Debug)]
pub struct Document {
    /// The document as compose-go's decoded map, with string keys. Scalars are typed as go-yaml
    /// types them: integers, floats, booleans, null, strings. Infinite and NaN floats, which
    /// JSON cannot hold, are the strings `+Inf`, `-Inf` and `NaN` (what Compose prints for them
    /// in string maps). Timestamps keep their text (see [`Document::timestamps`]).
    pub value: Value,
    /// Paths tagged `!reset`, in compose-go's form; the nodes are dropped from `value`.
    ///
    /// Every segment is a [`Segment::Key`](crate::loader::tree::Segment::Key), sequence items
    /// included (`services.a.ports.0`): compose-go writes them so, and therefore never matches
    /// them against a sequence, which is why tags on sequence items do nothing in Compose. A
    /// `.<<` segment is dropped, so tags under merge keys apply where the keys land.
    pub resets: Vec<TreePath>,
    /// Paths tagged `!override` (same form as [`Document::resets`]); the nodes stay in `value`.
    pub overrides: Vec<TreePath>,
    /// Plain scalars go-yaml decodes as `time.Time` (`2001-12-14`); `value` holds their text.
    pub timestamps: Vec<TreePath>,
    /// Where each mapping value (at its key) and each sequence item was written.
    pub locations: SourceMap,
}

/// A duplicate mapping key, in go-yaml's words.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DuplicateKey {
    /// Line of the second occurrence.
    pub line: usize,
    /// The key's text.
    pub key: String,
    /// Line of the first occurrence.
    pub first_line: usize,
}

impl fmt::Display for DuplicateKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "line {}: mapping key {} already defined at line {}",
            self.line,
            gofmt::quote(&self.key),
            self.first_line
        )
    }
}

/// Why a compose file could not be read. Texts are Compose's.
#[derive(Debug, thiserror::Error)]
pub enum YamlError {
    /// The text is not valid YAML (saphyr's description of the problem).
    #[error("failed to parse {file}: yaml: line {line}: {message} (column {column})")]
    Syntax {
        /// The file, as given.
        file: String,
        /// 1-based line.
        line: usize,
        /// 1-based column.
        column: usize,
        /// What is wrong.
        message: String,
    },
    /// An alias names an anchor defined nowhere before it.
    #[error("failed to parse {file}: yaml: unknown anchor '{anchor}' referenced")]
    UnknownAnchor {
        /// The file, as given.
        file: String,
        /// The anchor's name.
        anchor: String,
    },
    /// A mapping has the same key twice (compose-go's reset pass).
    #[error("failed to parse {file}: {duplicate}")]
    DuplicateKey {
        /// The file, as given.
        file: String,
        /// The clash.
        duplicate: DuplicateKey,
    },
    /// Duplicate keys under an `!override` node, which go-yaml's decoder reports together.
    #[error(
        "failed to parse {file}: yaml: unmarshal errors:{}",
        duplicates.iter().map(|duplicate| format!("\n  {duplicate}")).collect::<String>()
    )]
    UnmarshalErrors {
        /// The file, as given.
        file: String,
        /// Every clash, in go-yaml's order.
        duplicates: Vec<DuplicateKey>,
    },
    /// An alias refers to a node that contains it (compose-go's reset pass).
    #[error(
        "failed to parse {file}: cycle detected: node at path {path} references node at path {previous}"
    )]
    Cycle {
        /// The file, as given.
        file: String,
        /// Where the alias was met again, in compose-go's path form.
        path: String,
        /// Where it was met before.
        previous: String,
    },
    /// An alias inside its own anchor's expansion (go-yaml's decoder).
    #[error("failed to parse {file}: yaml: anchor '{anchor}' value contains itself")]
    AnchorContainsItself {
        /// The file, as given.
        file: String,
        /// The anchor's name.
        anchor: String,
    },
    /// Alias expansion out of proportion to the document (a "billion laughs" document).
    #[error("failed to parse {file}: yaml: document contains excessive aliasing")]
    ExcessiveAliasing {
        /// The file, as given.
        file: String,
    },
    /// Nesting deeper than [`MAX_DEPTH`], aliases included.
    #[error(
        "failed to parse {file}: yaml: line {line}: exceeded max depth of {MAX_DEPTH} (column {column})"
    )]
    TooDeep {
        /// The file, as given.
        file: String,
        /// 1-based line of the node too deep.
        line: usize,
        /// 1-based column.
        column: usize,
    },
    /// A `<<` value that is not a mapping, an alias of one, or a sequence of those.
    #[error(
        "failed to parse {file}: yaml: map merge requires map or sequence of maps as the value"
    )]
    MergeNotMapping {
        /// The file, as given.
        file: String,
    },
    /// A sequence or mapping used as a mapping key.
    #[error("failed to parse {file}: yaml: invalid map key: {key}")]
    InvalidMapKey {
        /// The file, as given.
        file: String,
        /// The key in Go's `%#v` form.
        key: String,
    },
    /// A scalar whose explicit tag does not fit its text (`!!int x`).
    #[error("failed to parse {file}: yaml: cannot decode {resolved_tag} `{text}` as a {tag}")]
    TagMismatch {
        /// The file, as given.
        file: String,
        /// What the text resolves to.
        resolved_tag: &'static str,
        /// The text.
        text: String,
        /// The tag written.
        tag: String,
    },
    /// A `!!binary` scalar that is not base64.
    #[error("failed to parse {file}: yaml: !!binary value contains invalid base64 data")]
    InvalidBinary {
        /// The file, as given.
        file: String,
    },
    /// A key that go-yaml decodes to something other than a string (`1`, `true`, `~`).
    #[error("non-string key {}: {key}", key_location(path))]
    NonStringKey {
        /// The mapping holding the key.
        path: TreePath,
        /// The key in Go's `%#v` form (`1`, `true`, `<nil>`, `1.5`).
        key: String,
    },
    /// A document that is not a mapping (a scalar, a sequence, an empty document).
    #[error("top-level object must be a mapping")]
    NotAMapping,
}

fn key_location(path: &TreePath) -> String {
    if path.is_root() {
        "at top level".to_owned()
    } else {
        format!("in {path}")
    }
}

/// Reads every document of a compose file. `file` names it in error messages and locations.
///
/// An empty file, or one of only comments, gives no document.
///
/// # Errors
/// The first document that cannot be read stops the reading; see [`YamlError`].
pub fn parse_documents(text: &str, file: &str) -> Result<Vec<Document>, YamlError> {
    documents(text, file).collect()
}

/// Reads the documents of a compose file one at a time, as Compose does: a later document's
/// error comes only after the earlier documents, so a caller processing each document before
/// reading the next reports errors in Compose's order. The iterator ends after an error.
#[must_use]
pub fn documents<'text>(text: &'text str, file: &str) -> Documents<'text> {
    Documents {
        parser: Parser::new_from_str(text),
        source: SourceText::new(text),
        file: Arc::from(file),
        arena: Arena::default(),
        anchors: HashMap::new(),
        finished: false,
    }
}

/// The iterator returned by [`documents`].
pub struct Documents<'text> {
    parser: Parser<'text, StrInput<'text>>,
    source: SourceText<'text>,
    file: Arc<str>,
    /// Nodes of all documents read so far: go-yaml lets a document alias an earlier one's anchor.
    arena: Arena,
    anchors: HashMap<usize, NodeId>,
    finished: bool,
}

impl fmt::Debug for Documents<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Documents")
            .field("file", &self.file)
            .finish_non_exhaustive()
    }
}

impl Iterator for Documents<'_> {
    type Item = Result<Document, YamlError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.finished {
            return None;
        }
        let result = self.next_document();
        if !matches!(result, Some(Ok(_))) {
            self.finished = true;
        }
        result
    }
}

impl Documents<'_> {
    fn next_document(&mut self) -> Option<Result<Document, YamlError>> {
        // Skip to the next document start, or the end of the stream.
        loop {
            match self.parser.next_event()? {
                Ok((Event::DocumentStart(_), _)) => break,
                Ok((Event::StreamEnd, _)) => return None,
                Ok(_) => {}
                Err(error) => return Some(Err(self.build_error(BuildError::Syntax(error)))),
            }
        }
        let first_node = self.arena.nodes.len();
        let built = nodes::build_document(
            &mut self.parser,
            &mut self.source,
            &mut self.arena,
            &mut self.anchors,
            MAX_DEPTH,
        );
        Some(match built {
            Ok(root) => self.decode_document(root, first_node),
            Err(error) => Err(self.build_error(error)),
        })
    }

    /// Decodes the document whose nodes start at `first_node`.
    fn decode_document(
        &mut self,
        root: Option<NodeId>,
        first_node: NodeId,
    ) -> Result<Document, YamlError> {
        // go-yaml never hands a null root to compose-go's processor: the document is nil.
        let Some(root) = root.filter(|&root| !self.arena.is_null(root)) else {
            return Err(YamlError::NotAMapping);
        };
        if let Some(records) = self.arena.untouched_by_reset(first_node, MAX_VISITS) {
            let mut decoder = Decoder::fast(&self.arena, Arc::clone(&self.file), records);
            if let Ok(value) = decoder.decode(root) {
                return self.finish_document(value, decoder, Vec::new(), Vec::new());
            }
        }
        let file = self.file.to_string();
        let mut pass = ResetPass::new(&mut self.arena);
        let resolved = pass.run(root).map_err(|error| reset_error(error, &file))?;
        let resets = pass
            .resets
            .iter()
            .map(|path| reset::tree_path(path))
            .collect();
        let overrides = pass
            .overrides
            .iter()
            .map(|path| reset::tree_path(path))
            .collect();
        // Compose panics on a `!reset` root; berth calls it what it is.
        let resolved = resolved.ok_or(YamlError::NotAMapping)?;
        let mut decoder = Decoder::new(&self.arena, Arc::clone(&self.file));
        let value = decoder
            .decode(resolved)
            .map_err(|error| decode_error(error, &file))?;
        self.finish_document(value, decoder, resets, overrides)
    }

    /// The checks go-yaml and compose-go make once a document is decoded.
    fn finish_document(
        &self,
        value: Value,
        decoder: Decoder<'_>,
        resets: Vec<TreePath>,
        overrides: Vec<TreePath>,
    ) -> Result<Document, YamlError> {
        if !decoder.type_errors.is_empty() {
            return Err(YamlError::UnmarshalErrors {
                file: self.file.to_string(),
                duplicates: decoder.type_errors,
            });
        }
        if let Some((path, key)) = decoder.non_string_key {
            return Err(YamlError::NonStringKey { path, key });
        }
        if !value.is_object() {
            return Err(YamlError::NotAMapping);
        }
        Ok(Document {
            value,
            resets,
            overrides,
            timestamps: decoder.timestamps,
            locations: decoder.locations,
        })
    }

    fn build_error(&self, error: BuildError) -> YamlError {
        let file = self.file.to_string();
        match error {
            BuildError::Syntax(error) => YamlError::Syntax {
                file,
                line: error.marker().line(),
                column: error.marker().col() + 1,
                message: error.info().to_owned(),
            },
            BuildError::UnknownAnchor { name } => YamlError::UnknownAnchor { file, anchor: name },
            BuildError::TooDeep { line, column } => YamlError::TooDeep { file, line, column },
        }
    }
}

fn reset_error(error: ResetError, file: &str) -> YamlError {
    let file = file.to_owned();
    match error {
        ResetError::DuplicateKey {
            line,
            key,
            first_line,
        } => YamlError::DuplicateKey {
            file,
            duplicate: DuplicateKey {
                line,
                key,
                first_line,
            },
        },
        ResetError::Cycle { path, previous } => YamlError::Cycle {
            file,
            path,
            previous,
        },
        ResetError::ExcessiveAliasing => YamlError::ExcessiveAliasing { file },
        ResetError::TooDeep { line, column } => YamlError::TooDeep { file, line, column },
    }
}

fn decode_error(error: DecodeError, file: &str) -> YamlError {
    let file = file.to_owned();
    match error {
        DecodeError::ExcessiveAliasing => YamlError::ExcessiveAliasing { file },
        DecodeError::TooDeep { line, column } => YamlError::TooDeep { file, line, column },
        DecodeError::AnchorContainsItself { anchor } => {
            YamlError::AnchorContainsItself { file, anchor }
        }
        DecodeError::MergeNotMapping => YamlError::MergeNotMapping { file },
        DecodeError::InvalidMapKey { key } => YamlError::InvalidMapKey { file, key },
        DecodeError::TagMismatch {
            resolved_tag,
            text,
            tag,
        } => YamlError::TagMismatch {
            file,
            resolved_tag,
            text,
            tag,
        },
        DecodeError::InvalidBinary => YamlError::InvalidBinary { file },
        // Only a fast decoder stops so, and its errors are never reported.
        DecodeError::NeedsResetPass => unreachable!("a fast decoding error is never reported"),
    }
}

/// go-yaml's guard against alias bombs (`decode.go` `allowedAliasRatio`): once past 1,000
/// decoded nodes and 100 nodes reached through aliases, the aliased share may be at most 99%
/// up to 400,000 nodes, sliding to 10% at 4,000,000. berth also stops at [`MAX_VISITS`].
#[derive(Debug, Default)]
struct AliasBudget {
    visits: usize,
    alias_visits: usize,
    /// How many aliases the current node is reached through.
    alias_depth: usize,
}

impl AliasBudget {
    /// Counts one node; false once the budget is exceeded.
    fn count(&mut self) -> bool {
        self.visits += 1;
        if self.alias_depth > 0 {
            self.alias_visits += 1;
        }
        if self.visits > MAX_VISITS {
            return false;
        }
        if self.alias_visits <= 100 || self.visits <= 1000 {
            return true;
        }
        #[expect(
            clippy::cast_precision_loss,
            reason = "go-yaml compares float64 ratios"
        )]
        let (visits, alias_visits) = (self.visits as f64, self.alias_visits as f64);
        let allowed = if visits <= 400_000.0 {
            0.99
        } else if visits >= 4_000_000.0 {
            0.10
        } else {
            0.99 - 0.89 * ((visits - 400_000.0) / 3_600_000.0)
        };
        alias_visits / visits <= allowed
    }
}

#[cfg(test)]
mod tests;
