//! A YAML document as a plain tree, structured edits on it, and a block-style writer, for the
//! structure-aware target: edits keep the YAML well formed, so inputs reach the semantic checks and the
//! emitters instead of stopping at the parser.

use std::fmt;

use arbitrary::Arbitrary;
use serde::de::{Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};

/// A YAML node. Mappings keep their source order.
#[derive(Clone, Debug, PartialEq)]
pub enum Node {
    /// `~`
    Null,
    /// `true` / `false`
    Bool(bool),
    /// A whole number.
    Int(i64),
    /// A number with a fraction.
    Float(f64),
    /// A string.
    Str(String),
    /// A list.
    Seq(Vec<Node>),
    /// A mapping.
    Map(Vec<(String, Node)>),
}

impl<'de> Deserialize<'de> for Node {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Node;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("any YAML node")
            }
            fn visit_unit<E>(self) -> Result<Node, E> {
                Ok(Node::Null)
            }
            fn visit_none<E>(self) -> Result<Node, E> {
                Ok(Node::Null)
            }
            fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Node, D::Error> {
                Node::deserialize(d)
            }
            fn visit_bool<E>(self, v: bool) -> Result<Node, E> {
                Ok(Node::Bool(v))
            }
            fn visit_i64<E>(self, v: i64) -> Result<Node, E> {
                Ok(Node::Int(v))
            }
            fn visit_u64<E>(self, v: u64) -> Result<Node, E> {
                Ok(i64::try_from(v).map_or(Node::Float(v as f64), Node::Int))
            }
            fn visit_f64<E>(self, v: f64) -> Result<Node, E> {
                Ok(Node::Float(v))
            }
            fn visit_str<E>(self, v: &str) -> Result<Node, E> {
                Ok(Node::Str(v.to_owned()))
            }
            fn visit_string<E>(self, v: String) -> Result<Node, E> {
                Ok(Node::Str(v))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Node, A::Error> {
                let mut items = Vec::new();
                while let Some(n) = seq.next_element()? {
                    items.push(n);
                }
                Ok(Node::Seq(items))
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Node, A::Error> {
                let mut entries = Vec::new();
                while let Some((k, v)) = map.next_entry::<Node, Node>()? {
                    entries.push((k.key_text(), v));
                }
                Ok(Node::Map(entries))
            }
        }
        deserializer.deserialize_any(V)
    }
}

impl Node {
    fn key_text(&self) -> String {
        match self {
            Node::Str(s) => s.clone(),
            Node::Int(i) => i.to_string(),
            Node::Bool(b) => b.to_string(),
            Node::Float(f) => f.to_string(),
            Node::Null => "~".to_owned(),
            other => format!("{other:?}"),
        }
    }

    /// The node reached by following `path` (each step picks a child, modulo the number of children),
    /// stopping early at a scalar or empty collection, or at step `0xff` (so edits reach inner nodes).
    pub fn walk_mut(&mut self, path: &[u8]) -> &mut Node {
        let Some((&step, rest)) = path.split_first() else {
            return self;
        };
        let n = match self {
            Node::Seq(items) => items.len(),
            Node::Map(entries) => entries.len(),
            _ => 0,
        };
        if step == 0xff || n == 0 {
            return self;
        }
        let i = usize::from(step) % n;
        match *self {
            Node::Seq(ref mut items) => items[i].walk_mut(rest),
            Node::Map(ref mut entries) => entries[i].1.walk_mut(rest),
            _ => self,
        }
    }

    /// The string at top-level key `key`, if there is one.
    pub fn top_str(&self, key: &str) -> Option<&str> {
        match self {
            Node::Map(entries) => {
                entries
                    .iter()
                    .find(|(k, _)| k == key)
                    .and_then(|(_, v)| match v {
                        Node::Str(s) => Some(s.as_str()),
                        _ => None,
                    })
            }
            _ => None,
        }
    }

    /// Every string used as a key or value, for the edit dictionary.
    pub fn collect_words(&self, out: &mut Vec<String>) {
        match self {
            Node::Str(s) => out.push(s.clone()),
            Node::Seq(items) => items.iter().for_each(|n| n.collect_words(out)),
            Node::Map(entries) => {
                for (k, v) in entries {
                    out.push(k.clone());
                    v.collect_words(out);
                }
            }
            _ => {}
        }
    }

    /// Writes the node as block YAML. Strings are double-quoted (JSON escapes are valid YAML ones);
    /// keys are plain when they are simple identifiers.
    pub fn to_yaml(&self) -> String {
        let mut out = String::new();
        match self {
            Node::Map(_) | Node::Seq(_) if !self.is_empty_collection() => self.write(0, &mut out),
            _ => {
                out.push_str(&self.scalar());
                out.push('\n');
            }
        }
        out
    }

    fn is_empty_collection(&self) -> bool {
        matches!(self, Node::Map(e) if e.is_empty()) || matches!(self, Node::Seq(i) if i.is_empty())
    }

    fn is_inline(&self) -> bool {
        !matches!(self, Node::Map(_) | Node::Seq(_)) || self.is_empty_collection()
    }

    fn scalar(&self) -> String {
        match self {
            Node::Null => "~".to_owned(),
            Node::Bool(b) => b.to_string(),
            Node::Int(i) => i.to_string(),
            Node::Float(f) if f.is_nan() => ".nan".to_owned(),
            Node::Float(f) if f.is_infinite() => if *f > 0.0 { ".inf" } else { "-.inf" }.to_owned(),
            Node::Float(f) => format!("{f:?}"),
            Node::Str(s) => quote(s),
            Node::Seq(_) => "[]".to_owned(),
            Node::Map(_) => "{}".to_owned(),
        }
    }

    fn write(&self, indent: usize, out: &mut String) {
        let pad = " ".repeat(indent);
        match self {
            Node::Map(entries) => {
                for (k, v) in entries {
                    out.push_str(&pad);
                    out.push_str(&key(k));
                    out.push(':');
                    v.write_value(indent, out);
                }
            }
            Node::Seq(items) => {
                for v in items {
                    out.push_str(&pad);
                    out.push('-');
                    v.write_value(indent, out);
                }
            }
            _ => {
                out.push_str(&pad);
                out.push_str(&self.scalar());
                out.push('\n');
            }
        }
    }

    fn write_value(&self, indent: usize, out: &mut String) {
        if self.is_inline() {
            out.push(' ');
            out.push_str(&self.scalar());
            out.push('\n');
        } else {
            out.push('\n');
            self.write(indent + 2, out);
        }
    }
}

fn quote(s: &str) -> String {
    serde_json::to_string(s).unwrap_or_else(|_| "\"\"".to_owned())
}

fn key(k: &str) -> String {
    let plain = k
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && k.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'))
        && !matches!(
            k.to_ascii_lowercase().as_str(),
            "true" | "false" | "null" | "yes" | "no" | "on" | "off" | "y" | "n"
        );
    if plain { k.to_owned() } else { quote(k) }
}

/// Tokens the format gives meaning to, beyond the words of the seed definitions.
const EXTRA_WORDS: &[&str] = &[
    "",
    " ",
    "\n",
    "\t",
    "{",
    "}",
    "{}",
    "{id}",
    "{id}{id}",
    "/v1/{id}",
    "/v1/{a}/{b}/{a}",
    "/v1/{ id }",
    "/v1/{é}",
    "/v1/things?x=1",
    "/v1/things#frag",
    "//evil.example.com/x",
    "https://api.example.com/v1",
    "https://",
    "http://localhost:99999",
    "ftp://x",
    "/",
    "~0~1",
    "/a/~2",
    "/a/0",
    "#/a",
    "$.data",
    "a.b",
    "[0]",
    "GET",
    "HEAD",
    "get",
    "DELETE",
    "PATCH",
    "list",
    "get",
    "create",
    "update",
    "delete",
    "search",
    "cursor",
    "offset",
    "page",
    "link_header",
    "seconds",
    "milliseconds",
    "epoch_seconds",
    "limit",
    "remaining",
    "reset",
    "reset_after",
    "string",
    "integer",
    "number",
    "boolean",
    "object",
    "array",
    "null",
    "query",
    "header",
    "type",
    "self",
    "Self",
    "crate",
    "r#type",
    "fn",
    "_",
    "__",
    "0abc",
    "ÄÖÜ",
    "日本語",
    "\u{202e}",
    "\u{0}",
    "a\"b",
    "a\\b",
    "*/",
    "/*",
    "\"#",
    "{{ x }}",
    "{% raw %}",
    "<script>",
    "|",
    "`",
];

/// The dictionary for string edits: the seeds' words and [`EXTRA_WORDS`].
pub fn dictionary(bases: &[Node]) -> Vec<String> {
    let mut words: Vec<String> = EXTRA_WORDS.iter().map(|w| (*w).to_owned()).collect();
    for b in bases {
        b.collect_words(&mut words);
    }
    words.sort();
    words.dedup();
    words
}

/// A string: a dictionary word, a free one, or a word repeated (long names, long paths).
#[derive(Arbitrary, Debug)]
pub enum Word {
    /// A word from the dictionary, by index.
    Dict(u16),
    /// Any string.
    Free(String),
    /// Two dictionary words joined.
    Join(u16, u16),
    /// A dictionary word repeated 1 to 256 times.
    Repeat(u16, u8),
}

impl Word {
    fn text(&self, dict: &[String]) -> String {
        let pick = |i: &u16| {
            dict.get(usize::from(*i) % dict.len().max(1))
                .cloned()
                .unwrap_or_default()
        };
        match self {
            Word::Dict(i) => pick(i),
            Word::Free(s) => s.clone(),
            Word::Join(a, b) => pick(a) + &pick(b),
            Word::Repeat(i, n) => pick(i).repeat(usize::from(*n) + 1),
        }
    }
}

/// A value to put in the tree.
#[derive(Arbitrary, Debug)]
pub enum Value {
    /// `~`
    Null,
    /// A boolean.
    Bool(bool),
    /// A whole number.
    Int(i64),
    /// A small whole number.
    Small(i8),
    /// A number with a fraction.
    Float(f64),
    /// A string.
    Str(Word),
    /// `[]`
    EmptySeq,
    /// `{}`
    EmptyMap,
    /// A list of strings.
    Words(Vec<Word>),
}

impl Value {
    fn node(&self, dict: &[String]) -> Node {
        match self {
            Value::Null => Node::Null,
            Value::Bool(b) => Node::Bool(*b),
            Value::Int(i) => Node::Int(*i),
            Value::Small(i) => Node::Int(i64::from(*i)),
            Value::Float(f) => Node::Float(*f),
            Value::Str(w) => Node::Str(w.text(dict)),
            Value::EmptySeq => Node::Seq(Vec::new()),
            Value::EmptyMap => Node::Map(Vec::new()),
            Value::Words(ws) => Node::Seq(ws.iter().map(|w| Node::Str(w.text(dict))).collect()),
        }
    }
}

/// One structural edit. Paths pick children by index (see [`Node::walk_mut`]).
#[derive(Arbitrary, Debug)]
pub enum Edit {
    /// Replaces the node at `path`.
    Set { path: Vec<u8>, value: Value },
    /// Removes the child `index` of the collection at `path`.
    Remove { path: Vec<u8>, index: u8 },
    /// Renames the key `index` of the mapping at `path`.
    Rename { path: Vec<u8>, index: u8, key: Word },
    /// Adds `key: value` to the mapping at `path` (or `value` to the list).
    Insert {
        path: Vec<u8>,
        key: Word,
        value: Value,
    },
    /// Copies the node at `from` over the node at `to`.
    Copy { from: Vec<u8>, to: Vec<u8> },
    /// Duplicates the child `index` of the collection at `path` under a new key.
    Duplicate { path: Vec<u8>, index: u8, key: Word },
    /// Swaps two children of the collection at `path`.
    Swap { path: Vec<u8>, a: u8, b: u8 },
}

impl Edit {
    /// Applies the edit; edits that do not fit the node they land on do nothing.
    pub fn apply(&self, root: &mut Node, dict: &[String]) {
        match self {
            Edit::Set { path, value } => *root.walk_mut(path) = value.node(dict),
            Edit::Remove { path, index } => match root.walk_mut(path) {
                Node::Map(e) if !e.is_empty() => {
                    let i = usize::from(*index) % e.len();
                    e.remove(i);
                }
                Node::Seq(items) if !items.is_empty() => {
                    let i = usize::from(*index) % items.len();
                    items.remove(i);
                }
                _ => {}
            },
            Edit::Rename { path, index, key } => match root.walk_mut(path) {
                Node::Map(e) if !e.is_empty() => {
                    let i = usize::from(*index) % e.len();
                    e[i].0 = key.text(dict);
                }
                _ => {}
            },
            Edit::Insert { path, key, value } => match root.walk_mut(path) {
                Node::Map(e) => e.push((key.text(dict), value.node(dict))),
                Node::Seq(items) => items.push(value.node(dict)),
                _ => {}
            },
            Edit::Copy { from, to } => {
                let node = root.walk_mut(from).clone();
                *root.walk_mut(to) = node;
            }
            Edit::Duplicate { path, index, key } => match root.walk_mut(path) {
                Node::Map(e) if !e.is_empty() => {
                    let i = usize::from(*index) % e.len();
                    let v = e[i].1.clone();
                    e.push((key.text(dict), v));
                }
                Node::Seq(items) if !items.is_empty() => {
                    let i = usize::from(*index) % items.len();
                    let v = items[i].clone();
                    items.push(v);
                }
                _ => {}
            },
            Edit::Swap { path, a, b } => match root.walk_mut(path) {
                Node::Map(e) if !e.is_empty() => {
                    let n = e.len();
                    e.swap(usize::from(*a) % n, usize::from(*b) % n);
                }
                Node::Seq(items) if !items.is_empty() => {
                    let n = items.len();
                    items.swap(usize::from(*a) % n, usize::from(*b) % n);
                }
                _ => {}
            },
        }
    }
}

/// A fuzz input for the structured target.
#[derive(Arbitrary, Debug)]
pub struct Input {
    /// Which seed definition to start from (the small scaffold half the time: it is fastest to check).
    pub base: u8,
    /// Edits, applied in order (at most [`MAX_EDITS`]).
    pub edits: Vec<Edit>,
    /// Write the edited tree as JSON (flow YAML) instead of block YAML.
    pub as_json: bool,
    /// Name the file `fuzz.yaml` rather than after its `name:` (which then cannot match).
    pub fixed_file_name: bool,
}

/// Edits beyond this are ignored, so one input cannot grow the tree without bound.
pub const MAX_EDITS: usize = 16;

/// Writes the tree as JSON, which YAML reads as flow style.
pub fn to_json(node: &Node) -> String {
    fn value(n: &Node) -> serde_json::Value {
        use serde_json::Value as J;
        match n {
            Node::Null => J::Null,
            Node::Bool(b) => J::Bool(*b),
            Node::Int(i) => J::from(*i),
            Node::Float(f) => serde_json::Number::from_f64(*f).map_or(J::Null, J::Number),
            Node::Str(s) => J::String(s.clone()),
            Node::Seq(items) => J::Array(items.iter().map(value).collect()),
            Node::Map(entries) => {
                J::Object(entries.iter().map(|(k, v)| (k.clone(), value(v))).collect())
            }
        }
    }
    serde_json::to_string_pretty(&value(node)).unwrap_or_default()
}
