//! Discovery mode, for servers whose catalogue is too large to list: `tools/list` shows three meta-tools
//! instead of every tool, and an agent finds what it needs with them.
//!
//! - [`SEARCH_TOOLS`] ranks the server's tools against a few words (BM25F over each tool's name and
//!   title, description and argument names) and answers the best matches with a one-sentence summary;
//! - [`GET_TOOL_SCHEMA`] answers one tool's full MCP description, exactly what `tools/list` would have
//!   shown for it ([`describe_tool`]);
//! - [`CALL_TOOL`] runs one tool by name: [`call_target`] only reads the name and arguments out of the
//!   call, and the handler then treats them as a direct `tools/call` (same filter, scopes, validation,
//!   redaction and audit).
//!
//! Everything here is pure: it reads the tools a server exposes (already filtered) and the executor's
//! schemas, never the store, and logs nothing (a query may well hold a customer's name or address).

use std::collections::{HashMap, HashSet};
use std::fmt;
use std::sync::{Arc, Mutex, PoisonError};

use rmcp::model::{JsonObject, Tool as McpTool, ToolAnnotations};
use serde_json::{Map, Value, json};

use super::describe_tool;
use switchboard_runtime::executor::{Executor, loggable_tool_name};
use switchboard_runtime::outcome::ToolError;
use switchboard_runtime::table::Tool;

/// The meta-tool that ranks the server's tools against a query.
pub const SEARCH_TOOLS: &str = "search_tools";
/// The meta-tool that answers one tool's full description.
pub const GET_TOOL_SCHEMA: &str = "get_tool_schema";
/// The meta-tool that runs one tool by name.
pub const CALL_TOOL: &str = "call_tool";

/// Matches `search_tools` answers unless asked otherwise.
pub const DEFAULT_LIMIT: usize = 5;
/// The most matches one `search_tools` call answers.
pub const MAX_LIMIT: usize = 20;
/// The longest query `search_tools` accepts, in characters.
pub const MAX_QUERY_CHARS: usize = 1_000;
/// The longest summary a search hit carries, in characters (an ellipsis included).
pub const SUMMARY_CHARS: usize = 160;

/// BM25 term-frequency saturation.
const K1: f64 = 1.2;

/// The fields a tool's words come from, each weighted and length-normalized on its own (BM25F):
/// what the name and title say counts most, and a long description listing many fields does not
/// drown a short name.
#[derive(Clone, Copy)]
enum Field {
    /// The name's words (split on `_`) and the title's.
    Name = 0,
    /// The description the agent sees.
    Description = 1,
    /// Top-level argument names, tags and, for proxy tools, the integration's name.
    Details = 2,
}

const FIELDS: usize = 3;
/// Per field: how much one occurrence weighs.
const FIELD_WEIGHT: [f64; FIELDS] = [3.0, 1.0, 1.0];
/// Per field: how much its length normalizes (BM25's `b`).
const FIELD_B: [f64; FIELDS] = [0.3, 0.75, 0.75];

/// Distinct query terms considered (synonyms included); the rest of an overlong query is ignored.
const MAX_QUERY_TERMS: usize = 64;

/// Words that say nothing about which tool fits; sorted (binary search).
const STOPWORDS: &[&str] = &[
    "a", "an", "and", "are", "as", "at", "be", "by", "can", "do", "for", "from", "how", "in",
    "into", "is", "it", "its", "me", "my", "of", "on", "or", "our", "please", "that", "the",
    "their", "them", "then", "this", "to", "want", "we", "what", "when", "where", "which", "who",
    "will", "with", "you", "your",
];

/// Everyday verbs for the actions tool names are built from (`list_all_…`, `get_single_…`,
/// `search_…`, `create_a_…`, `update_a_…`, `delete_a_…`), after stemming: a query saying "find" also
/// looks for "search" and "list", at [`SYNONYM_WEIGHT`]. Query side only.
const SYNONYMS: &[(&str, &[&str])] = &[
    ("add", &["create"]),
    ("change", &["update"]),
    ("edit", &["update"]),
    ("erase", &["delete"]),
    ("fetch", &["get", "list"]),
    ("find", &["search", "list"]),
    ("insert", &["create"]),
    ("lookup", &["search", "get"]),
    ("make", &["create"]),
    ("modify", &["update"]),
    ("new", &["create"]),
    ("read", &["get", "list"]),
    ("remove", &["delete"]),
    ("retrieve", &["get", "list"]),
    ("set", &["update"]),
    ("show", &["get", "list"]),
];

/// How much a synonym counts next to a word the query says.
const SYNONYM_WEIGHT: f64 = 0.5;

/// How much a query naming a tool's vendor raises that tool's score.
const VENDOR_BOOST: f64 = 2.0;

/// A refused meta-tool call, in the runtime's terms (see the `From` conversion into [`ToolError`]).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum DiscoveryError {
    /// The meta-tool's own arguments are wrong; `pointer` is the JSON Pointer of the offending one.
    #[error("{}", invalid_message(pointer, message))]
    InvalidArguments {
        /// JSON Pointer into the meta-tool's arguments (`/limit`).
        pointer: String,
        /// What is wrong; never echoes a string the caller sent.
        message: String,
    },
    /// No such tool on this server: the same answer whether the tool does not exist or the server's
    /// filter or grant hides it, so filters cannot be probed. Holds the name only when it looks like
    /// a tool name ([`loggable_tool_name`]).
    #[error("unknown tool `{0}`")]
    UnknownTool(String),
}

impl DiscoveryError {
    /// The stable error code (`invalid_arguments` or `unknown_tool`), as [`ToolError::code`] says it.
    pub fn code(&self) -> &'static str {
        match self {
            Self::InvalidArguments { .. } => "invalid_arguments",
            Self::UnknownTool(_) => "unknown_tool",
        }
    }

    fn invalid(pointer: &str, message: impl Into<String>) -> Self {
        Self::InvalidArguments {
            pointer: pointer.to_owned(),
            message: message.into(),
        }
    }

    fn unknown(name: &str) -> Self {
        Self::UnknownTool(loggable_tool_name(name).to_owned())
    }
}

impl From<DiscoveryError> for ToolError {
    fn from(error: DiscoveryError) -> Self {
        match error {
            DiscoveryError::InvalidArguments { pointer, message } => {
                ToolError::InvalidArguments { pointer, message }
            }
            DiscoveryError::UnknownTool(name) => ToolError::UnknownTool(name),
        }
    }
}

/// The same wording as the runtime's invalid-argument errors.
fn invalid_message(pointer: &str, message: &str) -> String {
    if pointer.is_empty() {
        format!("invalid arguments: {message}")
    } else {
        format!("invalid argument at `{pointer}`: {message}")
    }
}

/// Whether `name` is one of the three discovery meta-tools.
pub fn is_meta_tool(name: &str) -> bool {
    matches!(name, SEARCH_TOOLS | GET_TOOL_SCHEMA | CALL_TOOL)
}

// ------------------------------------------------------------------------------------------------
// The index

/// One ranked tool.
#[derive(Clone, Debug, PartialEq)]
pub struct SearchHit {
    /// The tool's name, as `get_tool_schema` and `call_tool` take it.
    pub name: &'static str,
    /// BM25 relevance; only the order between hits of one search means anything.
    pub score: f64,
    /// The first sentence of the tool's description, at most [`SUMMARY_CHARS`] characters.
    pub summary: String,
}

/// A BM25 index over the tools one server exposes.
///
/// Each tool is one document in three fields (BM25F): its name (split on `_`) and title, weighted
/// most; its description; and its top-level argument names (camelCase and snake_case split), tags
/// and, for proxy tools, its integration's name. Words are lower-cased, lightly stemmed (`contacts`
/// → `contact`, `companies` → `company`, `deletes` → `delete`), and a few stopwords are dropped.
///
/// Building reads every tool's description and input schema once ([`Executor::schemas`], parsed on
/// first use and cached by the executor) and is linear in the number of words; a search is linear in
/// the postings of the query's words plus the number of tools.
pub struct ToolIndex {
    docs: Vec<Doc>,
    postings: HashMap<String, Vec<Posting>>,
    /// Average words per field.
    average_lengths: [f64; FIELDS],
}

struct Doc {
    name: &'static str,
    summary: String,
    /// For proxy tools, the words of their integration's name and display name: a query naming the
    /// vendor ranks that vendor's tools first.
    vendor: Vec<String>,
    /// The tool's integration, so one vendor cannot fill a page of results.
    integration: &'static str,
    /// Words per field.
    lengths: [u32; FIELDS],
}

struct Posting {
    doc: u32,
    /// Occurrences per field.
    frequencies: [u32; FIELDS],
}

impl fmt::Debug for ToolIndex {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ToolIndex")
            .field("tools", &self.docs.len())
            .field("terms", &self.postings.len())
            .finish()
    }
}

impl ToolIndex {
    /// Indexes `tools`, the tools a server exposes (already filtered). Names are unique in a server's
    /// listing: a name seen again (a unified tool that several integrations share) is indexed once,
    /// as its first occurrence.
    pub fn new(tools: &[&'static Tool], executor: &Executor) -> Self {
        let mut seen: HashSet<&'static str> = HashSet::with_capacity(tools.len());
        let mut docs = Vec::with_capacity(tools.len());
        let mut postings: HashMap<String, Vec<Posting>> = HashMap::new();
        let mut words: [Vec<String>; FIELDS] = Default::default();
        let mut frequencies: HashMap<String, [u32; FIELDS]> = HashMap::new();
        let mut total_lengths = [0_u64; FIELDS];
        for tool in tools {
            if !seen.insert(tool.name) {
                continue;
            }
            let Ok(doc) = u32::try_from(docs.len()) else {
                break;
            };
            let schemas = executor.schemas(tool);
            words.iter_mut().for_each(Vec::clear);
            let [name, description, details] = &mut words;
            tokenize(tool.name, name);
            tokenize(tool.title, name);
            tokenize(&schemas.description, description);
            if let Some(Value::Object(properties)) = schemas.input.get("properties") {
                for argument in properties.keys() {
                    tokenize(argument, details);
                }
            }
            for tag in tool.tags {
                tokenize(tag, details);
            }
            if !tool.is_unified() {
                tokenize(tool.integration, details);
            }
            let mut lengths = [0_u32; FIELDS];
            frequencies.clear();
            for field in [Field::Name, Field::Description, Field::Details] {
                let field = field as usize;
                lengths[field] = u32::try_from(words[field].len()).unwrap_or(u32::MAX);
                total_lengths[field] += u64::from(lengths[field]);
                for word in words[field].drain(..) {
                    frequencies.entry(word).or_insert([0; FIELDS])[field] += 1;
                }
            }
            for (word, frequencies) in frequencies.drain() {
                postings
                    .entry(word)
                    .or_default()
                    .push(Posting { doc, frequencies });
            }
            let mut vendor = Vec::new();
            if !tool.is_unified() {
                tokenize(tool.integration, &mut vendor);
                if let Some(table) = executor.integration(tool.integration) {
                    tokenize(table.display_name, &mut vendor);
                }
            }
            docs.push(Doc {
                name: tool.name,
                summary: summarize(&schemas.description),
                lengths,
                vendor,
                integration: tool.integration,
            });
        }
        let count = docs.len().max(1) as f64;
        let average_lengths = total_lengths.map(|total| (total as f64 / count).max(1.0));
        Self {
            docs,
            postings,
            average_lengths,
        }
    }

    /// How many tools the index holds.
    pub fn len(&self) -> usize {
        self.docs.len()
    }

    /// Whether the index holds no tool.
    pub fn is_empty(&self) -> bool {
        self.docs.is_empty()
    }

    /// Whether the index holds a tool called `name`.
    pub fn contains(&self, name: &str) -> bool {
        self.docs.iter().any(|doc| doc.name == name)
    }

    /// The `limit` tools that best match `query`, best first (score descending, then name; a query
    /// that is exactly a tool's name finds that tool first).
    ///
    /// A query with no searchable word (empty, blank, only stopwords or punctuation) and a query that
    /// matches no tool both give an empty list; [`search_result`] refuses an empty or blank query
    /// before it gets here.
    pub fn search(&self, query: &str, limit: usize) -> Vec<SearchHit> {
        if limit == 0 || self.docs.is_empty() {
            return Vec::new();
        }
        let count = self.docs.len() as f64;
        let mut scores = vec![0.0_f64; self.docs.len()];
        let terms = query_terms(query);
        for (term, weight) in &terms {
            let (term, weight) = (term, *weight);
            let Some(postings) = self.postings.get(term) else {
                continue;
            };
            let found = postings.len() as f64;
            let idf = weight * ((count - found + 0.5) / (found + 0.5) + 1.0).ln();
            for posting in postings {
                let index = posting.doc as usize;
                let (Some(doc), Some(score)) = (self.docs.get(index), scores.get_mut(index)) else {
                    continue;
                };
                let mut frequency = 0.0;
                for field in 0..FIELDS {
                    let length = f64::from(doc.lengths[field]) / self.average_lengths[field];
                    let norm = 1.0 - FIELD_B[field] + FIELD_B[field] * length;
                    frequency += FIELD_WEIGHT[field] * f64::from(posting.frequencies[field]) / norm;
                }
                *score += idf * frequency * (K1 + 1.0) / (frequency + K1);
            }
        }
        // A vendor named in the query ("acme contacts") ranks that vendor's tools first: its
        // name is in most of its tools, so plain BM25 gives it almost no weight.
        let names_vendor = |doc: &Doc| {
            doc.vendor
                .iter()
                .any(|word| terms.iter().any(|(t, _)| t == word))
        };
        let mut ranked: Vec<(&Doc, f64)> = self
            .docs
            .iter()
            .zip(scores)
            .filter(|(_, score)| *score > 0.0)
            .map(|(doc, score)| {
                (
                    doc,
                    if names_vendor(doc) {
                        score * VENDOR_BOOST
                    } else {
                        score
                    },
                )
            })
            .collect();
        // A query that is a tool's exact name (an agent checking a name it remembers) finds it first.
        let exact = query.trim();
        ranked.sort_by(|(a, a_score), (b, b_score)| {
            (b.name == exact)
                .cmp(&(a.name == exact))
                .then_with(|| b_score.total_cmp(a_score))
                .then_with(|| a.name.cmp(b.name))
        });
        let ranked = if terms
            .iter()
            .any(|(t, _)| ranked.iter().any(|(d, _)| d.vendor.contains(t)))
        {
            // The query names a vendor: its tools first, as ranked.
            ranked.truncate(limit);
            ranked
        } else {
            diversified(ranked, limit)
        };
        ranked
            .into_iter()
            .map(|(doc, score)| SearchHit {
                name: doc.name,
                score,
                summary: doc.summary.clone(),
            })
            .collect()
    }
}

/// The best `limit` of `ranked` (best first) with no integration holding more than its share of the
/// page while others have hits: a vendor whose descriptions repeat the query's words must not push
/// another vendor's matching tool off the first page. The first hit stays first; places no other
/// integration can fill go back to the best remaining hits.
fn diversified(ranked: Vec<(&Doc, f64)>, limit: usize) -> Vec<(&Doc, f64)> {
    let mut integrations: Vec<&str> = Vec::new();
    for (doc, _) in &ranked {
        if !integrations.contains(&doc.integration) {
            integrations.push(doc.integration);
        }
    }
    let share = limit.div_ceil(integrations.len().max(1)).max(1);
    let mut taken: Vec<(&Doc, f64)> = Vec::with_capacity(limit);
    let mut held_back: Vec<(&Doc, f64)> = Vec::new();
    let mut counts: std::collections::HashMap<&str, usize> = std::collections::HashMap::new();
    for (doc, score) in ranked {
        if taken.len() == limit {
            break;
        }
        let count = counts.entry(doc.integration).or_default();
        if *count < share || taken.is_empty() {
            *count += 1;
            taken.push((doc, score));
        } else {
            held_back.push((doc, score));
        }
    }
    taken.extend(
        held_back
            .into_iter()
            .take(limit.saturating_sub(taken.len())),
    );
    taken
}

/// Indexes already built, by the exact tools they cover, so a server's index is built once rather
/// than on every `search_tools` call (bindings are resolved per request), and servers with the same
/// filter and grant share one. Keep one cache per [`Executor`]. Bounded: past
/// [`IndexCache::CAPACITY`] different tool sets it starts over.
#[derive(Default)]
pub struct IndexCache {
    indexes: Mutex<HashMap<Vec<usize>, Arc<ToolIndex>>>,
}

impl fmt::Debug for IndexCache {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let cached = self
            .indexes
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .len();
        f.debug_struct("IndexCache")
            .field("indexes", &cached)
            .finish()
    }
}

impl IndexCache {
    /// How many different tool sets the cache keeps at most.
    pub const CAPACITY: usize = 256;

    /// An empty cache.
    pub fn new() -> Self {
        Self::default()
    }

    /// The index over `tools` (as [`ToolIndex::new`] builds it), built on first use. Tool tables are
    /// static, so a tool's address identifies it.
    pub fn index(&self, tools: &[&'static Tool], executor: &Executor) -> Arc<ToolIndex> {
        let key: Vec<usize> = tools
            .iter()
            .map(|tool| std::ptr::from_ref::<Tool>(tool).addr())
            .collect();
        if let Some(index) = self
            .indexes
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .get(&key)
        {
            return index.clone();
        }
        // Built outside the lock: other servers' searches do not wait for this one.
        let index = Arc::new(ToolIndex::new(tools, executor));
        let mut indexes = self.indexes.lock().unwrap_or_else(PoisonError::into_inner);
        if indexes.len() >= Self::CAPACITY {
            indexes.clear();
        }
        indexes.entry(key).or_insert(index).clone()
    }
}

/// The query's distinct searchable terms and their weights, in order, each word followed by its
/// synonyms; a word the query says outweighs the same word as a synonym.
fn query_terms(query: &str) -> Vec<(String, f64)> {
    let mut words = Vec::new();
    tokenize(query, &mut words);
    let mut terms: Vec<(String, f64)> = Vec::new();
    let mut add = |term: String, weight: f64| {
        if let Some((_, known)) = terms.iter_mut().find(|(t, _)| *t == term) {
            *known = known.max(weight);
        } else if terms.len() < MAX_QUERY_TERMS {
            terms.push((term, weight));
        }
    };
    for word in words {
        let synonyms = SYNONYMS
            .iter()
            .find(|(said, _)| *said == word)
            .map_or(&[][..], |(_, meant)| *meant);
        add(word, 1.0);
        for synonym in synonyms {
            add((*synonym).to_owned(), SYNONYM_WEIGHT);
        }
    }
    terms
}

/// Appends the searchable words of `text` to `out`: alphanumeric runs, split at camelCase
/// boundaries (a run that splits also counts whole: `AcmeCorp` gives `acme`, `corp` and
/// `acmecorp`), lower-cased, stemmed; stopwords and one-letter words dropped.
fn tokenize(text: &str, out: &mut Vec<String>) {
    for run in text.split(|c: char| !c.is_alphanumeric()) {
        // Only a run with an upper-case letter after its first character can split.
        if !run.chars().skip(1).any(char::is_uppercase) {
            push_word(run, out);
            continue;
        }
        let parts = camel_parts(run);
        let split = parts.len() > 1;
        for part in parts {
            push_word(part, out);
        }
        if split {
            push_word(run, out);
        }
    }
}

fn push_word(word: &str, out: &mut Vec<String>) {
    if word.chars().nth(1).is_none() {
        return;
    }
    let lower = if word.is_ascii() {
        word.to_ascii_lowercase()
    } else {
        word.to_lowercase()
    };
    if STOPWORDS.binary_search(&lower.as_str()).is_err() {
        out.push(stem(lower));
    }
}

/// `filterGroups` → `filter`, `Groups`; `HTTPStatus` → `HTTP`, `Status`; `OwnerId` → `Owner`, `Id`.
fn camel_parts(run: &str) -> Vec<&str> {
    let chars: Vec<(usize, char)> = run.char_indices().collect();
    let mut parts = Vec::new();
    let mut start = 0;
    for (i, window) in chars.windows(2).enumerate() {
        let [(_, previous), (at, current)] = window else {
            continue;
        };
        let next = chars.get(i + 2).map(|(_, c)| *c);
        let boundary = current.is_uppercase()
            && ((previous.is_lowercase() || previous.is_numeric())
                || (previous.is_uppercase() && next.is_some_and(char::is_lowercase)));
        if boundary {
            parts.push(&run[start..*at]);
            start = *at;
        }
    }
    parts.push(&run[start..]);
    parts
}

/// A light English stemmer for plurals and third persons: `companies` → `company`, `addresses` →
/// `address`, `matches` → `match`, `contacts` → `contact`; `status`, `address`, `this` unchanged.
fn stem(mut word: String) -> String {
    if word.len() <= 3 || !word.is_ascii() {
        return word;
    }
    if word.ends_with("ies") && word.len() > 4 {
        word.truncate(word.len() - 3);
        word.push('y');
    } else if word.ends_with("sses")
        || word.ends_with("xes")
        || word.ends_with("ches")
        || word.ends_with("shes")
    {
        word.truncate(word.len() - 2);
    } else if word.ends_with('s')
        && !word.ends_with("ss")
        && !word.ends_with("us")
        && !word.ends_with("is")
    {
        word.truncate(word.len() - 1);
    }
    word
}

/// The first sentence of `description`, whitespace collapsed, cut at a word boundary with an
/// ellipsis when longer than [`SUMMARY_CHARS`] characters.
fn summarize(description: &str) -> String {
    let text = description.trim();
    let sentence = &text[..sentence_end(text)];
    let sentence = sentence.split_whitespace().collect::<Vec<_>>().join(" ");
    if sentence.chars().count() <= SUMMARY_CHARS {
        return sentence;
    }
    // Room for the ellipsis.
    let cut = sentence
        .char_indices()
        .nth(SUMMARY_CHARS - 1)
        .map_or(sentence.len(), |(at, _)| at);
    let head = &sentence[..cut];
    let head = match head.rfind(' ') {
        Some(space) if space >= cut / 2 => &head[..space],
        _ => head,
    };
    let head = head.trim_end_matches(|c: char| c.is_whitespace() || ",;:-(".contains(c));
    format!("{head}…")
}

/// Where the first sentence ends: after the first `.`, `!` or `?` followed by whitespace (or the end),
/// except after abbreviations such as `e.g.` and `i.e.`.
fn sentence_end(text: &str) -> usize {
    for (at, c) in text.char_indices() {
        if !matches!(c, '.' | '!' | '?') {
            continue;
        }
        let after = at + c.len_utf8();
        if !text[after..].chars().next().is_none_or(char::is_whitespace) {
            continue;
        }
        if c == '.' {
            let word_start = text[..at]
                .rfind(char::is_whitespace)
                .map_or(0, |space| space + 1);
            let word = &text[word_start..at];
            if word.len() <= 4 && word.contains('.') {
                continue;
            }
        }
        return after;
    }
    text.len()
}

// ------------------------------------------------------------------------------------------------
// The meta-tools

/// The three meta-tools a discovery-mode server lists instead of its tools, in this order:
/// `search_tools`, `get_tool_schema`, `call_tool`.
pub fn meta_tools() -> Vec<McpTool> {
    vec![
        search_tools_tool(),
        get_tool_schema_tool(),
        call_tool_tool(),
    ]
}

fn search_tools_tool() -> McpTool {
    let mut tool = McpTool::new(
        SEARCH_TOOLS,
        "Finds this server's tools for a task. This server has too many tools to list, so it lists \
         three: first `search_tools` with a few words saying what you want to do (an action and a \
         record type, optionally a field: \"find contacts by email\", \"delete a deal\"), then \
         `get_tool_schema` with a name it returns to learn that tool's arguments, then `call_tool` with \
         the name and the arguments. Answers up to `limit` tools, best match first, each with its \
         `name`, a one-sentence `summary` and a relevance `score`; an empty `result` means no tool \
         matched: try other words (a synonym, the record type alone). Names are stable: a tool found \
         once can be called again without searching.",
        object(json!({
            "type": "object",
            "additionalProperties": false,
            "required": ["query"],
            "properties": {
                "query": {
                    "type": "string",
                    "minLength": 1,
                    "maxLength": MAX_QUERY_CHARS,
                    "description": "What you want to do, in a few words: an action and a record type, \
                                    optionally a field (\"list companies\", \"update a deal's stage\").",
                },
                "limit": {
                    "type": "integer",
                    "minimum": 1,
                    "maximum": MAX_LIMIT,
                    "default": DEFAULT_LIMIT,
                    "description": format!(
                        "How many tools to answer at most, 1 to {MAX_LIMIT} (default {DEFAULT_LIMIT})."
                    ),
                },
            },
        })),
    );
    tool.title = Some("Search tools".to_owned());
    tool.output_schema = Some(object(json!({
        "type": "object",
        "required": ["result", "result_count"],
        "properties": {
            "result": {
                "type": "array",
                "description": "Matching tools, best first.",
                "items": {
                    "type": "object",
                    "required": ["name", "summary", "score"],
                    "properties": {
                        "name": {
                            "type": "string",
                            "description": "The tool's name, for `get_tool_schema` and `call_tool`.",
                        },
                        "summary": {
                            "type": "string",
                            "description": "What the tool does, in one sentence.",
                        },
                        "score": {
                            "type": "number",
                            "description": "Relevance to the query; higher is better.",
                        },
                    },
                },
            },
            "result_count": {
                "type": "integer",
                "minimum": 0,
                "description": "How many tools `result` holds.",
            },
        },
    })));
    tool.annotations = Some(looking_only());
    tool
}

/// The annotations of a meta-tool that only reads this server's own catalogue.
fn looking_only() -> ToolAnnotations {
    ToolAnnotations::new()
        .read_only(true)
        .destructive(false)
        .idempotent(true)
        .open_world(false)
}

fn get_tool_schema_tool() -> McpTool {
    let mut tool = McpTool::new(
        GET_TOOL_SCHEMA,
        "Answers the full description of one tool found with `search_tools`: its `description`, the \
         JSON Schema of its arguments (`inputSchema`) and of its result (`outputSchema`), and its \
         `annotations` (whether it only reads, whether it may delete). Read it before `call_tool`, \
         which takes `arguments` shaped as `inputSchema` says. A name this server does not have fails \
         with `unknown_tool`.",
        object(json!({
            "type": "object",
            "additionalProperties": false,
            "required": ["name"],
            "properties": {
                "name": {
                    "type": "string",
                    "description": "A tool name as `search_tools` answered it.",
                },
            },
        })),
    );
    tool.title = Some("Get a tool's schema".to_owned());
    tool.output_schema = Some(object(json!({
        "type": "object",
        "required": ["name", "inputSchema"],
        "properties": {
            "name": {"type": "string", "description": "The tool's name."},
            "title": {"type": "string", "description": "A short title for people."},
            "description": {"type": "string", "description": "What the tool does and answers."},
            "inputSchema": {
                "type": "object",
                "description": "JSON Schema of the `arguments` to pass to `call_tool`.",
            },
            "outputSchema": {
                "type": "object",
                "description": "JSON Schema of a successful result.",
            },
            "annotations": {
                "type": "object",
                "description": "readOnlyHint, destructiveHint, idempotentHint, openWorldHint.",
            },
        },
    })));
    tool.annotations = Some(looking_only());
    tool
}

fn call_tool_tool() -> McpTool {
    let mut tool = McpTool::new(
        CALL_TOOL,
        "Runs one of this server's tools by `name` with its `arguments`, exactly as a direct call \
         would: the same checks, permissions and answer (the tool's result, or an error with \
         `error.code`; an `invalid_arguments` error's `error.pointer` points into `arguments`). Find \
         the name with `search_tools` and the arguments' shape with `get_tool_schema` first. Depending \
         on the tool it reads, creates, changes or deletes records in the connected account: check \
         the tool's annotations before calling.",
        object(json!({
            "type": "object",
            "additionalProperties": false,
            "required": ["name"],
            "properties": {
                "name": {
                    "type": "string",
                    "description": "The tool to run, as `search_tools` answered it.",
                },
                "arguments": {
                    "type": "object",
                    "description": "The tool's arguments, shaped as its `inputSchema` (from \
                                    `get_tool_schema`) says; `{}` or left out when it needs none.",
                },
            },
        })),
    );
    tool.title = Some("Call a tool".to_owned());
    // What the called tool does is not known here: assume the worst.
    tool.annotations = Some(
        ToolAnnotations::new()
            .read_only(false)
            .destructive(true)
            .idempotent(false)
            .open_world(true),
    );
    tool
}

fn object(value: Value) -> Arc<JsonObject> {
    match value {
        Value::Object(map) => Arc::new(map),
        _ => Arc::new(JsonObject::new()),
    }
}

// ------------------------------------------------------------------------------------------------
// The meta-tools' calls

/// Runs `search_tools`: `{"result": [{"name", "summary", "score"}], "result_count": N}`, best first.
///
/// Arguments: `query`, a non-blank string of at most [`MAX_QUERY_CHARS`] characters (required);
/// `limit`, 1 to [`MAX_LIMIT`], an integer or a string holding one (default [`DEFAULT_LIMIT`]; `null`
/// means absent). Anything else is refused. A query that matches nothing answers an empty `result`.
pub fn search_result(
    index: &ToolIndex,
    args: &Map<String, Value>,
) -> Result<Value, DiscoveryError> {
    refuse_unknown(args, &["query", "limit"], SEARCH_TOOLS)?;
    let query = match args.get("query") {
        None | Some(Value::Null) => {
            return Err(DiscoveryError::invalid(
                "/query",
                "required: a few words saying what you want to do, such as \"list contacts\"",
            ));
        }
        Some(Value::String(query)) => query,
        Some(_) => return Err(DiscoveryError::invalid("/query", "must be a string")),
    };
    if query.trim().is_empty() {
        return Err(DiscoveryError::invalid(
            "/query",
            "must not be empty: a few words saying what you want to do, such as \"list contacts\"",
        ));
    }
    if query.chars().count() > MAX_QUERY_CHARS {
        return Err(DiscoveryError::invalid(
            "/query",
            format!("must be at most {MAX_QUERY_CHARS} characters: a few words are enough"),
        ));
    }
    let limit = read_limit(args.get("limit"))?;
    let hits: Vec<Value> = index
        .search(query, limit)
        .into_iter()
        .map(|hit| {
            json!({
                "name": hit.name,
                "summary": hit.summary,
                "score": (hit.score * 1000.0).round() / 1000.0,
            })
        })
        .collect();
    Ok(json!({"result_count": hits.len(), "result": hits}))
}

fn read_limit(value: Option<&Value>) -> Result<usize, DiscoveryError> {
    let expected = || {
        DiscoveryError::invalid(
            "/limit",
            format!("must be an integer from 1 to {MAX_LIMIT}"),
        )
    };
    let number: i128 = match value {
        None | Some(Value::Null) => return Ok(DEFAULT_LIMIT),
        Some(Value::Number(number)) => {
            if let Some(n) = number.as_i64() {
                i128::from(n)
            } else if let Some(n) = number.as_u64() {
                i128::from(n)
            } else {
                match number.as_f64() {
                    Some(f) if f.fract() == 0.0 && f.abs() < 1e15 => f as i128,
                    _ => return Err(expected()),
                }
            }
        }
        Some(Value::String(text)) => text.trim().parse::<i128>().map_err(|_| expected())?,
        Some(_) => return Err(expected()),
    };
    match usize::try_from(number) {
        Ok(limit) if (1..=MAX_LIMIT).contains(&limit) => Ok(limit),
        _ => Err(DiscoveryError::invalid(
            "/limit",
            format!("must be from 1 to {MAX_LIMIT}, got {number}"),
        )),
    }
}

/// Runs `get_tool_schema`: the MCP description of the exposed tool `name` ([`describe_tool`]), or of a
/// meta-tool. A name that is not among `tools` (unknown, or hidden by the server's filter or the
/// account's grant) fails exactly like a name that exists nowhere.
pub fn schema_result(
    executor: &Executor,
    tools: &[&'static Tool],
    args: &Map<String, Value>,
) -> Result<Value, DiscoveryError> {
    schema_result_with(tools, args, |tool| describe_tool(executor, tool))
}

/// [`schema_result`] with the server's own way of describing a tool (for instance with its output
/// schema rewritten for the server's redaction), so `get_tool_schema` answers exactly what a direct
/// `tools/list` would show.
pub fn schema_result_with(
    tools: &[&'static Tool],
    args: &Map<String, Value>,
    describe: impl FnOnce(&'static Tool) -> McpTool,
) -> Result<Value, DiscoveryError> {
    refuse_unknown(args, &["name"], GET_TOOL_SCHEMA)?;
    let name = read_name(args)?;
    let described = match tools.iter().find(|tool| tool.name == name) {
        Some(tool) => describe(tool),
        None => meta_tools()
            .into_iter()
            .find(|meta| meta.name == name)
            .ok_or_else(|| DiscoveryError::unknown(name))?,
    };
    // Serializing a tool description cannot fail (string keys, finite numbers); were it to, the
    // answer is the unknown-tool one rather than a half-made description.
    serde_json::to_value(described).map_err(|_| DiscoveryError::unknown(name))
}

/// Reads a `call_tool` call: the name of the tool to run and its arguments.
///
/// `arguments` left out or `null` is `{}`; a string holding a JSON object (as some models send it) is
/// read as that object; anything else is refused at `/arguments`. Naming a meta-tool is refused: they
/// are called directly. Whether the tool exists and may be called is the caller's check, as for a
/// direct `tools/call`.
pub fn call_target(
    args: &Map<String, Value>,
) -> Result<(String, Map<String, Value>), DiscoveryError> {
    refuse_unknown(args, &["name", "arguments"], CALL_TOOL)?;
    let name = read_name(args)?;
    if is_meta_tool(name) {
        return Err(DiscoveryError::invalid(
            "/name",
            format!("`{name}` is called directly, not through `{CALL_TOOL}`"),
        ));
    }
    let arguments = match args.get("arguments") {
        None | Some(Value::Null) => Map::new(),
        Some(Value::Object(arguments)) => arguments.clone(),
        Some(Value::String(text)) => match serde_json::from_str::<Value>(text) {
            Ok(Value::Object(arguments)) => arguments,
            _ => return Err(arguments_expected()),
        },
        Some(_) => return Err(arguments_expected()),
    };
    Ok((name.to_owned(), arguments))
}

fn arguments_expected() -> DiscoveryError {
    DiscoveryError::invalid(
        "/arguments",
        "must be an object holding the tool's arguments, as its inputSchema says",
    )
}

fn read_name(args: &Map<String, Value>) -> Result<&str, DiscoveryError> {
    match args.get("name") {
        None | Some(Value::Null) => Err(DiscoveryError::invalid(
            "/name",
            "required: a tool name as `search_tools` answered it",
        )),
        Some(Value::String(name)) => Ok(name.trim()),
        Some(_) => Err(DiscoveryError::invalid("/name", "must be a string")),
    }
}

/// Refuses the first argument not in `allowed` (in the object's order).
fn refuse_unknown(
    args: &Map<String, Value>,
    allowed: &[&str],
    tool: &str,
) -> Result<(), DiscoveryError> {
    match args.keys().find(|key| !allowed.contains(&key.as_str())) {
        None => Ok(()),
        Some(key) => Err(DiscoveryError::invalid(
            &format!("/{}", escape_pointer(key)),
            format!(
                "unknown argument: `{tool}` takes {}",
                allowed
                    .iter()
                    .map(|name| format!("`{name}`"))
                    .collect::<Vec<_>>()
                    .join(" and ")
            ),
        )),
    }
}

/// A JSON Pointer reference token (RFC 6901): `~` → `~0`, `/` → `~1`.
fn escape_pointer(token: &str) -> String {
    token.replace('~', "~0").replace('/', "~1")
}

#[cfg(test)]
mod tests {
    use super::*;
    use switchboard_runtime::executor::ExecutorConfig;
    use switchboard_runtime::table::{
        Annotations, Auth, ErrorRules, HttpVerb, Integration, MethodKind, RateLimit,
    };

    const READ: Annotations = Annotations {
        read_only: true,
        destructive: false,
        idempotent: true,
        open_world: true,
    };
    const DELETE: Annotations = Annotations {
        read_only: false,
        destructive: true,
        idempotent: true,
        open_world: true,
    };
    const WRITE: Annotations = Annotations {
        read_only: false,
        destructive: false,
        idempotent: false,
        open_world: true,
    };

    const fn tool(
        name: &'static str,
        title: &'static str,
        description: &'static str,
        kind: MethodKind,
        annotations: Annotations,
        schema: &'static str,
    ) -> Tool {
        Tool {
            name,
            title,
            description,
            integration: "acme",
            resource: "records",
            method: "m",
            kind,
            http: HttpVerb::Get,
            path: "/records",
            params: &[],
            fixed_query: &[],
            extra_body: None,
            pagination: None,
            scopes: &[],
            broader_scopes: &[],
            tags: &[],
            annotations,
            schema,
            unified: None,
            pii: &[],
            mostly_pii: false,
        }
    }

    const LIST_SCHEMA: &str = r#"{"inputSchema": {"type": "object", "properties": {"limit": {"type": "integer"}, "next_cursor": {"type": "string"}}}, "outputSchema": {"type": "object"}}"#;
    const ID_SCHEMA: &str = r#"{"inputSchema": {"type": "object", "required": ["id"], "properties": {"id": {"type": "string", "description": "The record's id."}}}, "outputSchema": {"type": "object"}}"#;
    const SEARCH_SCHEMA: &str = r#"{"inputSchema": {"type": "object", "properties": {"query": {"type": "string"}, "filterGroups": {"type": "array"}, "emailAddress": {"type": "string"}}}, "outputSchema": {"type": "object"}}"#;
    const CREATE_SCHEMA: &str = r#"{"inputSchema": {"type": "object", "properties": {"dealName": {"type": "string"}, "amount": {"type": "number"}, "StageName": {"type": "string"}}}, "outputSchema": {"type": "object"}}"#;

    /// A neutral catalogue, sorted by name like an integration's table.
    static TOOLS: [Tool; 9] = [
        tool(
            "create_a_acme_deal",
            "Create an Acme deal",
            "Creates a deal. The name and the amount are required.",
            MethodKind::Create,
            WRITE,
            CREATE_SCHEMA,
        ),
        tool(
            "delete_a_acme_deal_by_id",
            "Delete an Acme deal",
            "Deletes one deal. It cannot be restored.",
            MethodKind::Delete,
            DELETE,
            ID_SCHEMA,
        ),
        tool(
            "delete_a_acme_person_by_id",
            "Delete an Acme person",
            "Deletes one person and their notes.",
            MethodKind::Delete,
            DELETE,
            ID_SCHEMA,
        ),
        tool(
            "get_single_acme_deal_by_id",
            "Get an Acme deal",
            "Reads one deal by its id, with its stage and amount.",
            MethodKind::Get,
            READ,
            ID_SCHEMA,
        ),
        tool(
            "get_single_acme_person_by_id",
            "Get an Acme person",
            "Reads one person by id: name, email address and phone.",
            MethodKind::Get,
            READ,
            ID_SCHEMA,
        ),
        tool(
            "list_all_acme_deals",
            "List all Acme deals",
            "Lists every deal in the workspace, one page at a time. Each record has a name, a stage and an amount.",
            MethodKind::List,
            READ,
            LIST_SCHEMA,
        ),
        tool(
            "list_all_acme_people",
            "List all Acme people",
            "Lists every person in the workspace, one page at a time. Each record has a name, an email and a phone number.",
            MethodKind::List,
            READ,
            LIST_SCHEMA,
        ),
        tool(
            "search_acme_people",
            "Search Acme people",
            "Finds people matching a free-text query or exact field filters, e.g. on their email address. Answers one page of matches.",
            MethodKind::Search,
            READ,
            SEARCH_SCHEMA,
        ),
        tool(
            "update_a_acme_deal_by_id",
            "Update an Acme deal",
            "Changes fields of one deal, e.g. moves it to another stage. Fields not given keep their values.",
            MethodKind::Update,
            WRITE,
            CREATE_SCHEMA,
        ),
    ];

    static ACME: Integration = Integration {
        name: "acme",
        display_name: "Acme",
        description: "A neutral test integration.",
        categories: &["crm"],
        docs_url: "https://example.com/docs",
        base_url: "https://api.example.com",
        base_url_variables: &[],
        auth: Auth {
            oauth2: None,
            bearer: true,
            api_key: None,
            basic: false,
        },
        rate_limit: RateLimit {
            headers: &[],
            limited_when: &[],
        },
        errors: ErrorRules {
            message: &["/message"],
            code: &[],
            fields: None,
            by_status: &[],
        },
        tools: &TOOLS,
        maps: &[],
    };

    static INTEGRATIONS: &[&Integration] = &[&ACME];

    fn executor() -> Executor {
        Executor::new(INTEGRATIONS, ExecutorConfig::default())
    }

    fn all() -> Vec<&'static Tool> {
        TOOLS.iter().collect()
    }

    fn names(hits: &[SearchHit]) -> Vec<&'static str> {
        hits.iter().map(|hit| hit.name).collect()
    }

    fn args(value: Value) -> Map<String, Value> {
        match value {
            Value::Object(map) => map,
            other => panic!("not an object: {other}"),
        }
    }

    fn invalid_at(result: Result<impl fmt::Debug, DiscoveryError>) -> String {
        match result {
            Err(DiscoveryError::InvalidArguments { pointer, .. }) => pointer,
            other => panic!("expected invalid_arguments, got {other:?}"),
        }
    }

    #[test]
    fn finds_people_by_email_through_the_search_and_list_tools() {
        let index = ToolIndex::new(&all(), &executor());
        let hits = index.search("find people by email", 3);
        assert_eq!(hits.first().map(|hit| hit.name), Some("search_acme_people"));
        assert!(names(&hits).contains(&"list_all_acme_people"), "{hits:?}");
    }

    #[test]
    fn ranks_the_delete_tool_of_the_named_record_first() {
        let index = ToolIndex::new(&all(), &executor());
        let hits = index.search("delete a deal", 5);
        assert_eq!(
            hits.first().map(|hit| hit.name),
            Some("delete_a_acme_deal_by_id")
        );
        // "remove" means delete.
        let hits = index.search("remove deals", 5);
        assert_eq!(
            hits.first().map(|hit| hit.name),
            Some("delete_a_acme_deal_by_id")
        );
    }

    #[test]
    fn matches_split_argument_names_and_plurals() {
        let index = ToolIndex::new(&all(), &executor());
        // `StageName` and `dealName` are split; "stages" is stemmed.
        let hits = index.search("stages", 10);
        assert!(names(&hits).contains(&"create_a_acme_deal"), "{hits:?}");
        assert!(
            names(&hits).contains(&"update_a_acme_deal_by_id"),
            "{hits:?}"
        );
        // The integration's name finds its proxy tools.
        assert_eq!(index.search("acme", 20).len(), TOOLS.len());
    }

    #[test]
    fn respects_the_limit_and_orders_deterministically() {
        let index = ToolIndex::new(&all(), &executor());
        let hits = index.search("deal", 2);
        assert_eq!(hits.len(), 2);
        assert!(index.search("deal", 0).is_empty());
        let all_hits = index.search("deal", 20);
        assert!(all_hits.len() > 2);
        assert_eq!(&all_hits[..2], &hits[..]);
        for pair in all_hits.windows(2) {
            let [a, b] = pair else { unreachable!() };
            assert!(
                a.score > b.score || (a.score == b.score && a.name < b.name),
                "{a:?} before {b:?}"
            );
        }
        assert_eq!(index.search("deal", 20), all_hits);
    }

    #[test]
    fn a_query_matching_nothing_answers_nothing() {
        let index = ToolIndex::new(&all(), &executor());
        assert!(index.search("xylophone quasar", 5).is_empty());
        assert!(index.search("the of and", 5).is_empty());
        assert!(index.search("", 5).is_empty());
        assert!(index.search("  ¿?  ", 5).is_empty());
        let empty = ToolIndex::new(&[], &executor());
        assert!(empty.is_empty());
        assert!(empty.search("deal", 5).is_empty());
    }

    #[test]
    fn summaries_are_the_first_sentence() {
        let index = ToolIndex::new(&all(), &executor());
        let hit = index.search("list deals", 1).remove(0);
        assert_eq!(hit.name, "list_all_acme_deals");
        assert_eq!(
            hit.summary,
            "Lists every deal in the workspace, one page at a time."
        );
        // `e.g.` does not end a sentence.
        assert_eq!(
            summarize(
                "Changes fields of one deal, e.g. moves it to another stage. Fields not given keep."
            ),
            "Changes fields of one deal, e.g. moves it to another stage."
        );
        assert_eq!(summarize("No full stop\n  at all"), "No full stop at all");
        assert_eq!(summarize("Ends here. "), "Ends here.");
    }

    #[test]
    fn long_summaries_are_cut_on_a_character_boundary() {
        let long = "Ünïcödé ".repeat(60);
        let summary = summarize(&long);
        assert!(summary.chars().count() <= SUMMARY_CHARS, "{summary}");
        assert!(summary.ends_with('…'));
        assert!(summary.starts_with("Ünïcödé Ünïcödé"));
        let unbroken = "ß".repeat(400);
        let summary = summarize(&unbroken);
        assert_eq!(summary.chars().count(), SUMMARY_CHARS);
        assert!(summary.ends_with("ß…"));
    }

    #[test]
    fn stopwords_are_sorted_lowercase_and_unstemmed() {
        assert!(STOPWORDS.windows(2).all(|pair| pair[0] < pair[1]));
        for word in STOPWORDS {
            assert_eq!(word.to_lowercase(), *word);
            let mut words = Vec::new();
            tokenize(&word.to_uppercase(), &mut words);
            assert!(words.is_empty(), "{word}");
        }
    }

    #[test]
    fn tokens_are_split_lowercased_and_stemmed() {
        let mut words = Vec::new();
        tokenize(
            "filterGroups HTTPStatus list_all_acme_companies AcmeCorp's addresses",
            &mut words,
        );
        assert_eq!(
            words,
            [
                "filter",
                "group",
                "filtergroup",
                "http",
                "status",
                "httpstatus",
                "list",
                "all",
                "acme",
                "company",
                "acme",
                "corp",
                "acmecorp",
                "address"
            ]
            .map(str::to_owned)
        );
        // A single "s" (from "'s") and stopwords are dropped; "status" alone keeps its s.
        let mut words = Vec::new();
        tokenize("the status of a deal", &mut words);
        assert_eq!(words, ["status", "deal"].map(str::to_owned));
        assert_eq!(
            query_terms("find a person, find a list"),
            [
                ("find".to_owned(), 1.0),
                ("search".to_owned(), SYNONYM_WEIGHT),
                ("list".to_owned(), 1.0),
                ("person".to_owned(), 1.0),
            ]
        );
    }

    #[test]
    fn unified_names_shared_by_several_integrations_are_indexed_once() {
        let doubled: Vec<&'static Tool> = TOOLS.iter().chain(TOOLS.iter()).collect();
        let index = ToolIndex::new(&doubled, &executor());
        assert_eq!(index.len(), TOOLS.len());
        let hits = index.search("acme", 20);
        assert_eq!(hits.len(), TOOLS.len());
    }

    #[test]
    fn each_word_of_a_tool_is_posted_once_with_its_counts_per_field() {
        let index = ToolIndex::new(&all(), &executor());
        for postings in index.postings.values() {
            assert!(postings.windows(2).all(|pair| pair[0].doc < pair[1].doc));
        }
        for (id, doc) in index.docs.iter().enumerate() {
            let mut counted = [0_u32; FIELDS];
            for posting in index.postings.values().flatten() {
                if posting.doc as usize == id {
                    for (count, frequency) in counted.iter_mut().zip(posting.frequencies) {
                        *count += frequency;
                    }
                }
            }
            assert_eq!(counted, doc.lengths, "{}", doc.name);
        }
        // "update" is in the name and the title, nowhere else.
        let update = &index.postings["update"];
        assert_eq!(update.len(), 1);
        assert_eq!(update[0].frequencies, [2, 0, 0]);
        // "stage" is in an argument name (`StageName`) and a description.
        let stage = &index.postings["stage"];
        let update_deal = index
            .docs
            .iter()
            .position(|doc| doc.name == "update_a_acme_deal_by_id")
            .unwrap();
        let posting = stage
            .iter()
            .find(|p| p.doc as usize == update_deal)
            .unwrap();
        assert_eq!(posting.frequencies, [0, 1, 1]);
    }

    #[test]
    fn a_tool_name_as_query_finds_that_tool_first() {
        let index = ToolIndex::new(&all(), &executor());
        for tool in &TOOLS {
            let hits = index.search(&format!(" {} ", tool.name), 1);
            assert_eq!(names(&hits), [tool.name]);
        }
    }

    #[test]
    fn the_cache_builds_one_index_per_tool_set() {
        let executor = executor();
        let cache = IndexCache::new();
        let every = all();
        let readers: Vec<&'static Tool> = TOOLS
            .iter()
            .filter(|tool| tool.annotations.read_only)
            .collect();
        let first = cache.index(&every, &executor);
        assert!(Arc::ptr_eq(&first, &cache.index(&every, &executor)));
        let read_only = cache.index(&readers, &executor);
        assert!(!Arc::ptr_eq(&first, &read_only));
        assert_eq!(read_only.len(), readers.len());
        assert!(!read_only.contains("delete_a_acme_deal_by_id"));
        assert!(Arc::ptr_eq(&read_only, &cache.index(&readers, &executor)));
        // Past its capacity the cache starts over rather than growing: 300 distinct subsets.
        for mask in 1..=300_u32 {
            let some: Vec<&'static Tool> = every
                .iter()
                .enumerate()
                .filter(|(i, _)| mask & (1 << i) != 0)
                .map(|(_, tool)| *tool)
                .collect();
            assert_eq!(cache.index(&some, &executor).len(), some.len());
        }
        let cached = cache.indexes.lock().unwrap().len();
        assert!((1..=IndexCache::CAPACITY).contains(&cached), "{cached}");
        assert!(cached < 300);
    }

    #[test]
    fn search_result_answers_names_summaries_and_scores() {
        let index = ToolIndex::new(&all(), &executor());
        let value = search_result(
            &index,
            &args(json!({"query": "delete a deal", "limit": "2"})),
        )
        .unwrap();
        assert_eq!(value["result_count"], 2);
        assert_eq!(value["result"][0]["name"], "delete_a_acme_deal_by_id");
        assert_eq!(value["result"][0]["summary"], "Deletes one deal.");
        assert!(value["result"][0]["score"].as_f64().unwrap() > 0.0);
        // Default limit, null limit, float limit.
        for limit in [json!(null), json!(5), json!(5.0), json!(" 5 ")] {
            let value =
                search_result(&index, &args(json!({"query": "deal", "limit": limit}))).unwrap();
            assert_eq!(value["result_count"], 5, "{limit}");
        }
        let value = search_result(&index, &args(json!({"query": "deal"}))).unwrap();
        assert_eq!(value["result_count"], DEFAULT_LIMIT);
        let value = search_result(&index, &args(json!({"query": "xylophone"}))).unwrap();
        assert_eq!(value, json!({"result": [], "result_count": 0}));
    }

    #[test]
    fn search_result_refuses_bad_arguments_naming_them() {
        let index = ToolIndex::new(&all(), &executor());
        let search = |value: Value| search_result(&index, &args(value));
        assert_eq!(invalid_at(search(json!({}))), "/query");
        assert_eq!(invalid_at(search(json!({"query": null}))), "/query");
        assert_eq!(invalid_at(search(json!({"query": 5}))), "/query");
        assert_eq!(invalid_at(search(json!({"query": "  \n "}))), "/query");
        assert_eq!(
            invalid_at(search(json!({"query": "deal ".repeat(300)}))),
            "/query"
        );
        for limit in [
            json!(0),
            json!(21),
            json!(-1),
            json!(2.5),
            json!("many"),
            json!(true),
            json!([5]),
            json!(1e300),
        ] {
            assert_eq!(
                invalid_at(search(json!({"query": "deal", "limit": limit}))),
                "/limit",
                "{limit}"
            );
        }
        assert_eq!(
            invalid_at(search(json!({"query": "deal", "a/b~": 1}))),
            "/a~1b~0"
        );
        let Err(error) = search(json!({"query": "deal", "limit": 50})) else {
            panic!("accepted");
        };
        assert_eq!(error.code(), "invalid_arguments");
        assert_eq!(
            error.to_string(),
            "invalid argument at `/limit`: must be from 1 to 20, got 50"
        );
        assert_eq!(
            ToolError::from(error),
            ToolError::InvalidArguments {
                pointer: "/limit".to_owned(),
                message: "must be from 1 to 20, got 50".to_owned(),
            }
        );
    }

    #[test]
    fn schema_result_describes_exposed_tools_only() {
        let executor = executor();
        let exposed: Vec<&'static Tool> = TOOLS
            .iter()
            .filter(|tool| tool.annotations.read_only)
            .collect();
        let value = schema_result(
            &executor,
            &exposed,
            &args(json!({"name": "list_all_acme_people"})),
        )
        .unwrap();
        assert_eq!(value["name"], "list_all_acme_people");
        assert_eq!(value["title"], "List all Acme people");
        assert!(
            value["description"]
                .as_str()
                .unwrap()
                .starts_with("Lists every person")
        );
        assert_eq!(
            value["inputSchema"]["properties"]["limit"]["type"],
            "integer"
        );
        assert_eq!(value["outputSchema"]["type"], "object");
        assert_eq!(value["annotations"]["readOnlyHint"], true);
        assert_eq!(
            value,
            serde_json::to_value(describe_tool(&executor, &TOOLS[6])).unwrap()
        );

        // Hidden by the filter, or nowhere at all: the same answer.
        let hidden = schema_result(
            &executor,
            &exposed,
            &args(json!({"name": "delete_a_acme_deal_by_id"})),
        );
        let missing = schema_result(
            &executor,
            &exposed,
            &args(json!({"name": "delete_a_acme_planet_by_id"})),
        );
        assert_eq!(
            hidden,
            Err(DiscoveryError::UnknownTool(
                "delete_a_acme_deal_by_id".to_owned()
            ))
        );
        assert_eq!(
            missing,
            Err(DiscoveryError::UnknownTool(
                "delete_a_acme_planet_by_id".to_owned()
            ))
        );
        let Err(error) = hidden else { unreachable!() };
        assert_eq!(error.code(), "unknown_tool");
        assert_eq!(error.to_string(), "unknown tool `delete_a_acme_deal_by_id`");
        assert_eq!(
            ToolError::from(error),
            ToolError::UnknownTool("delete_a_acme_deal_by_id".to_owned())
        );
        // A name that is not a tool name is not echoed.
        assert_eq!(
            schema_result(&executor, &exposed, &args(json!({"name": "x\ny"}))),
            Err(DiscoveryError::UnknownTool("<not a tool name>".to_owned()))
        );
        // The meta-tools describe themselves.
        let value = schema_result(&executor, &exposed, &args(json!({"name": CALL_TOOL}))).unwrap();
        assert_eq!(value["name"], CALL_TOOL);

        assert_eq!(
            invalid_at(schema_result(&executor, &exposed, &args(json!({})))),
            "/name"
        );
        assert_eq!(
            invalid_at(schema_result(
                &executor,
                &exposed,
                &args(json!({"name": 3}))
            )),
            "/name"
        );
        assert_eq!(
            invalid_at(schema_result(
                &executor,
                &exposed,
                &args(json!({"name": "list_all_acme_people", "verbose": true}))
            )),
            "/verbose"
        );
    }

    #[test]
    fn schema_result_with_answers_the_servers_own_description() {
        let exposed = all();
        let value = schema_result_with(
            &exposed,
            &args(json!({"name": "list_all_acme_deals"})),
            |tool| {
                let mut described = describe_tool(&executor(), tool);
                described.output_schema = Some(object(json!({"type": "object", "redacted": true})));
                described
            },
        )
        .unwrap();
        assert_eq!(value["outputSchema"]["redacted"], true);
        let hidden: Vec<&'static Tool> = Vec::new();
        assert_eq!(
            schema_result_with(
                &hidden,
                &args(json!({"name": "list_all_acme_deals"})),
                |_| { unreachable!("a hidden tool is never described") }
            ),
            Err(DiscoveryError::UnknownTool(
                "list_all_acme_deals".to_owned()
            ))
        );
    }

    #[test]
    fn call_target_reads_the_name_and_arguments() {
        let call = |value: Value| call_target(&args(value));
        assert_eq!(
            call(json!({"name": "list_all_acme_people", "arguments": {"limit": 2}})),
            Ok(("list_all_acme_people".to_owned(), args(json!({"limit": 2}))))
        );
        for missing in [
            json!({"name": "x_y"}),
            json!({"name": "x_y", "arguments": null}),
        ] {
            assert_eq!(call(missing), Ok(("x_y".to_owned(), Map::new())));
        }
        assert_eq!(
            call(json!({"name": "x_y", "arguments": "{\"limit\": 3}"})),
            Ok(("x_y".to_owned(), args(json!({"limit": 3}))))
        );
        assert_eq!(invalid_at(call(json!({"arguments": {}}))), "/name");
        assert_eq!(invalid_at(call(json!({"name": ["x"]}))), "/name");
        assert_eq!(invalid_at(call(json!({"name": SEARCH_TOOLS}))), "/name");
        assert_eq!(invalid_at(call(json!({"name": CALL_TOOL}))), "/name");
        for bad in [json!([1]), json!(3), json!("not json"), json!("[1]")] {
            assert_eq!(
                invalid_at(call(json!({"name": "x_y", "arguments": bad}))),
                "/arguments"
            );
        }
        assert_eq!(
            invalid_at(call(json!({"name": "x_y", "limit": 2}))),
            "/limit"
        );
    }

    #[test]
    fn meta_tools_describe_the_workflow_and_are_annotated_honestly() {
        let tools = meta_tools();
        let names: Vec<&str> = tools.iter().map(|tool| tool.name.as_ref()).collect();
        assert_eq!(names, [SEARCH_TOOLS, GET_TOOL_SCHEMA, CALL_TOOL]);
        for tool in &tools {
            let description = tool.description.as_deref().unwrap_or_default();
            assert!(description.contains("search_tools"), "{}", tool.name);
            assert!(tool.title.is_some());
            assert_eq!(tool.input_schema["type"], "object");
            assert_eq!(tool.input_schema["additionalProperties"], false);
        }
        let [search, schema, call] = &tools[..] else {
            unreachable!()
        };
        assert!(
            search
                .description
                .as_deref()
                .unwrap_or_default()
                .contains("get_tool_schema")
        );
        assert_eq!(search.input_schema["required"], json!(["query"]));
        assert_eq!(
            search.input_schema["properties"]["limit"]["maximum"],
            MAX_LIMIT
        );
        assert_eq!(schema.input_schema["required"], json!(["name"]));
        assert_eq!(call.input_schema["required"], json!(["name"]));
        assert!(search.output_schema.is_some() && schema.output_schema.is_some());
        for reader in [search, schema] {
            let annotations = reader.annotations.as_ref().unwrap();
            assert_eq!(annotations.read_only_hint, Some(true));
            assert_eq!(annotations.destructive_hint, Some(false));
        }
        let annotations = call.annotations.as_ref().unwrap();
        assert_eq!(annotations.read_only_hint, Some(false));
        assert_eq!(annotations.destructive_hint, Some(true));
        assert_eq!(annotations.idempotent_hint, Some(false));
        assert_eq!(annotations.open_world_hint, Some(true));
    }

    #[test]
    fn answers_match_their_output_schemas() {
        let executor = executor();
        let index = ToolIndex::new(&all(), &executor);
        let tools = meta_tools();
        let found = search_result(&index, &args(json!({"query": "deal"}))).unwrap();
        let described = schema_result(
            &executor,
            &all(),
            &args(json!({"name": "list_all_acme_deals"})),
        )
        .unwrap();
        for (answer, tool) in [(found, &tools[0]), (described, &tools[1])] {
            let schema = tool.output_schema.as_ref().unwrap();
            let Value::Object(answer) = answer else {
                panic!("not an object")
            };
            for required in schema["required"].as_array().unwrap() {
                assert!(
                    answer.contains_key(required.as_str().unwrap()),
                    "{required}"
                );
            }
            for key in answer.keys() {
                assert!(schema["properties"].get(key).is_some(), "{key}");
            }
        }
    }
}
