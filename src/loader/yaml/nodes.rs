//! A node tree like go-yaml's `yaml.Node`, built from saphyr's events.
//!
//! Compose works on go-yaml's node tree before decoding it (`ResetProcessor` walks it, follows
//! aliases and rewrites it), so berth builds the same tree: every node keeps its raw text, its
//! tag, its style and its position, and an alias stays a node pointing at its anchor.

use std::collections::HashMap;

use saphyr_parser::{Event, Parser, ScalarStyle, ScanError, Span, StrInput, Tag};

use super::resolve::{self, MERGE_TAG, NULL_TAG, STR_TAG};

/// The index of a node in its [`Arena`].
pub(super) type NodeId = usize;

/// What a node is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(super) enum Kind {
    Scalar,
    Sequence,
    Mapping,
    Alias,
}

/// How a scalar was written; only "plain or not" matters to go-yaml's resolution.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Style {
    Plain,
    /// Quoted, literal or folded: always a string unless tagged otherwise.
    NonPlain,
}

/// One node, as go-yaml's `yaml.Node` holds it.
#[derive(Debug)]
pub(super) struct Node {
    pub(super) kind: Kind,
    /// The explicit tag in go-yaml's short form (`!!int`, `!reset`), `None` when absent or `!`.
    pub(super) tag: Option<String>,
    /// A scalar's text; an alias's anchor name (go-yaml keeps it there too); empty otherwise.
    pub(super) value: String,
    pub(super) style: Style,
    /// Sequence items, or mapping keys and values alternating.
    pub(super) children: Vec<NodeId>,
    /// The anchored node an alias refers to.
    pub(super) target: NodeId,
    /// 1-based line and column where the node starts (its tag or anchor included).
    pub(super) line: usize,
    pub(super) column: usize,
}

/// All nodes of a stream. Anchors live as long as the stream: go-yaml lets a document alias
/// an anchor of an earlier document, so nodes are never dropped between documents.
#[derive(Debug, Default)]
pub(super) struct Arena {
    pub(super) nodes: Vec<Node>,
}

impl Arena {
    pub(super) fn node(&self, id: NodeId) -> &Node {
        &self.nodes[id]
    }

    /// go-yaml's `indicatedString`: quoted or block text without tag, or an explicit `!!str`.
    pub(super) fn is_indicated_string(&self, id: NodeId) -> bool {
        let node = self.node(id);
        node.kind == Kind::Scalar
            && match &node.tag {
                Some(tag) => tag == STR_TAG,
                None => node.style == Style::NonPlain,
            }
    }

    /// Whether go-yaml's `Node.ShortTag` is `!!null` (a null root is never decoded).
    pub(super) fn is_null(&self, id: NodeId) -> bool {
        let node = self.node(id);
        if self.is_indicated_string(id) {
            return false;
        }
        match (&node.tag, node.kind) {
            (Some(tag), _) => tag == NULL_TAG,
            (None, Kind::Alias) => self.is_null(node.target),
            (None, Kind::Scalar) => {
                node.value != "<<" && resolve::resolve("", &node.value) == Ok(resolve::Scalar::Null)
            }
            (None, Kind::Sequence | Kind::Mapping) => false,
        }
    }

    /// go-yaml's `isMerge`: a `<<` key that is plain (or tagged `!!merge`).
    pub(super) fn is_merge_key(&self, id: NodeId) -> bool {
        let node = self.node(id);
        node.kind == Kind::Scalar
            && node.value == "<<"
            && match &node.tag {
                Some(tag) => tag == MERGE_TAG,
                None => node.style == Style::Plain,
            }
    }

    /// Whether compose-go's reset pass would leave the document whose nodes start at `first`
    /// as it is, failing at most on a duplicate key: no alias, no merge key, no `!reset` or
    /// `!override` tag, and fewer nodes than `max_visits` (the alias budget's absolute limit).
    /// If so, the number of source locations decoding it records (mapping values and sequence
    /// items).
    pub(super) fn untouched_by_reset(&self, first: NodeId, max_visits: usize) -> Option<usize> {
        let nodes = &self.nodes[first..];
        if nodes.len() >= max_visits {
            return None;
        }
        let mut records = 0;
        for node in nodes {
            match node.kind {
                Kind::Alias => return None,
                Kind::Scalar if node.value == "<<" => return None,
                Kind::Mapping => records += node.children.len() / 2,
                Kind::Sequence => records += node.children.len(),
                Kind::Scalar => {}
            }
            if matches!(node.tag.as_deref(), Some("!reset" | "!override")) {
                return None;
            }
        }
        Some(records)
    }

    fn push(&mut self, node: Node) -> NodeId {
        self.nodes.push(node);
        self.nodes.len() - 1
    }
}

/// Why a document could not be read into nodes.
#[derive(Debug)]
pub(super) enum BuildError {
    /// saphyr refused the text.
    Syntax(ScanError),
    /// An alias names an anchor that was never defined.
    UnknownAnchor { name: String },
    /// Nesting deeper than the limit.
    TooDeep { line: usize, column: usize },
}

/// Converts saphyr's character offsets to byte offsets, walking forward only (events arrive in
/// source order), so that alias names can be read from the text in linear time.
pub(super) struct SourceText<'text> {
    text: &'text str,
    ascii: bool,
    character: usize,
    byte: usize,
}

impl<'text> SourceText<'text> {
    pub(super) fn new(text: &'text str) -> Self {
        Self {
            text,
            ascii: text.is_ascii(),
            character: 0,
            byte: 0,
        }
    }

    fn byte_offset(&mut self, character: usize) -> usize {
        if self.ascii {
            return character.min(self.text.len());
        }
        if character < self.character {
            self.character = 0;
            self.byte = 0;
        }
        for (offset, _) in self.text[self.byte..].char_indices() {
            if self.character == character {
                self.byte += offset;
                return self.byte;
            }
            self.character += 1;
        }
        self.byte = self.text.len();
        self.byte
    }

    /// The anchor name of the alias written at character offset `start` (`*name`).
    pub(super) fn alias_name(&mut self, start: usize) -> String {
        let from = self.byte_offset(start);
        let rest = self.text[from..]
            .strip_prefix('*')
            .unwrap_or(&self.text[from..]);
        rest.chars()
            .take_while(|character| !character.is_whitespace() && !",[]{}".contains(*character))
            .collect()
    }
}

/// Reads one document's events (after its `DocumentStart`) into `arena`; returns the root.
pub(super) fn build_document(
    parser: &mut Parser<'_, StrInput<'_>>,
    source: &mut SourceText<'_>,
    arena: &mut Arena,
    anchors: &mut HashMap<usize, NodeId>,
    max_depth: usize,
) -> Result<Option<NodeId>, BuildError> {
    // Open collections, innermost last.
    let mut open: Vec<NodeId> = Vec::new();
    let mut root = None;
    loop {
        let (event, span) = match parser.next_event() {
            Some(Ok(next)) => next,
            Some(Err(error)) => return Err(scan_error(error, source)),
            None => return Ok(root),
        };
        let (line, column) = position(&span);
        let collection = match &event {
            Event::SequenceStart(..) => Kind::Sequence,
            _ => Kind::Mapping,
        };
        let node = match event {
            Event::DocumentEnd | Event::StreamEnd => return Ok(root),
            Event::SequenceEnd | Event::MappingEnd => {
                open.pop();
                continue;
            }
            Event::Nothing | Event::StreamStart | Event::DocumentStart(_) => continue,
            Event::Alias(anchor) => {
                let name = source.alias_name(span.start.index());
                let Some(&target) = anchors.get(&anchor) else {
                    return Err(BuildError::UnknownAnchor { name });
                };
                arena.push(new_node(
                    Kind::Alias,
                    None,
                    name,
                    Style::Plain,
                    target,
                    line,
                    column,
                ))
            }
            Event::Scalar(text, style, anchor, tag) => {
                let style = if style == ScalarStyle::Plain {
                    Style::Plain
                } else {
                    Style::NonPlain
                };
                let id = arena.push(new_node(
                    Kind::Scalar,
                    short_tag(tag.as_deref()),
                    text.into_owned(),
                    style,
                    0,
                    line,
                    column,
                ));
                register(anchors, anchor, id);
                id
            }
            Event::SequenceStart(anchor, tag) | Event::MappingStart(anchor, tag) => {
                if open.len() >= max_depth {
                    return Err(BuildError::TooDeep { line, column });
                }
                let id = arena.push(new_node(
                    collection,
                    short_tag(tag.as_deref()),
                    String::new(),
                    Style::Plain,
                    0,
                    line,
                    column,
                ));
                register(anchors, anchor, id);
                attach(arena, &open, &mut root, id);
                open.push(id);
                continue;
            }
        };
        attach(arena, &open, &mut root, node);
    }
}

fn attach(arena: &mut Arena, open: &[NodeId], root: &mut Option<NodeId>, id: NodeId) {
    match open.last() {
        Some(&parent) => arena.nodes[parent].children.push(id),
        None => *root = Some(id),
    }
}

fn register(anchors: &mut HashMap<usize, NodeId>, anchor: usize, id: NodeId) {
    // saphyr numbers anchors from 1 and gives a redefined name a new number, which is go-yaml's
    // "the latest definition wins".
    if anchor > 0 {
        anchors.insert(anchor, id);
    }
}

fn new_node(
    kind: Kind,
    tag: Option<String>,
    value: String,
    style: Style,
    target: NodeId,
    line: usize,
    column: usize,
) -> Node {
    Node {
        kind,
        tag,
        value,
        style,
        children: Vec::new(),
        target,
        line,
        column,
    }
}

fn position(span: &Span) -> (usize, usize) {
    (span.start.line(), span.start.col() + 1)
}

/// go-yaml's tag as its parser stores it: short form, and `!` alone meaning no tag.
fn short_tag(tag: Option<&Tag>) -> Option<String> {
    let tag = tag?;
    let full = format!("{}{}", tag.handle, tag.suffix);
    if full.is_empty() || full == "!" {
        return None;
    }
    Some(resolve::short_tag(&full))
}

fn scan_error(error: ScanError, source: &mut SourceText<'_>) -> BuildError {
    if error.info() == "while parsing node, found unknown anchor" {
        return BuildError::UnknownAnchor {
            name: source.alias_name(error.marker().index()),
        };
    }
    BuildError::Syntax(error)
}
