//! Pass 1: read a definition file and deserialize it into the model, keeping source positions.

use std::io::Read;
use std::path::Path;

use serde_saphyr::{Budget, DuplicateKeyPolicy, Options};

use crate::codes;
use crate::diagnostic::{Diagnostic, did_you_mean, list_names};
use crate::model::Integration;
use crate::span::Span;

mod syntax;

/// Largest definition file accepted. Real definitions are a few hundred kilobytes; the cap keeps a
/// mistaken or hostile input from costing unbounded memory.
pub const MAX_FILE_BYTES: u64 = 8 * 1024 * 1024;

/// Deepest nesting accepted. Response schemas nest, but not this far.
const MAX_DEPTH: usize = 64;

/// A definition file's text, kept for rendering diagnostics.
#[derive(Clone, Debug)]
pub struct SourceFile {
    /// Path as given (used in diagnostics).
    pub name: String,
    /// The text, if it could be read as UTF-8.
    pub text: Option<String>,
}

/// Reads and deserializes one file. On failure the diagnostic says where and why.
pub fn load_file(path: &Path) -> (SourceFile, Result<Integration, Box<Diagnostic>>) {
    let name = path.display().to_string();
    match load_file_bytes(path) {
        (_, Ok(bytes)) => load_bytes(&name, bytes),
        (_, Err(d)) => (source(&name, None), Err(d)),
    }
}

/// Reads a file's bytes, refusing files over [`MAX_FILE_BYTES`] without reading them whole.
pub fn load_file_bytes(path: &Path) -> (String, Result<Vec<u8>, Box<Diagnostic>>) {
    let name = path.display().to_string();
    let result = read_capped(path).map_err(|d| d.with_file(&name));
    (name, result)
}

/// Deserializes one integration definition from bytes; `name` is used in diagnostics.
pub fn load_bytes(
    name: &str,
    bytes: Vec<u8>,
) -> (SourceFile, Result<Integration, Box<Diagnostic>>) {
    load_bytes_as::<Integration>(name, bytes)
}

/// Deserializes one YAML document of the format `T` (an integration or a unified model) from bytes.
pub fn load_bytes_as<T: serde::de::DeserializeOwned>(
    name: &str,
    bytes: Vec<u8>,
) -> (SourceFile, Result<T, Box<Diagnostic>>) {
    if bytes.len() as u64 > MAX_FILE_BYTES {
        let d = too_large(name, bytes.len() as u64);
        return (source(name, None), Err(Box::new(d)));
    }
    let text = match String::from_utf8(bytes) {
        Ok(t) => t,
        Err(e) => {
            let valid = e.utf8_error().valid_up_to();
            let bytes = e.into_bytes();
            let prefix = String::from_utf8_lossy(&bytes[..valid]).into_owned();
            let span = point_at(&prefix, valid);
            let d = Diagnostic::error(
                codes::NOT_UTF8,
                name,
                span,
                format!("the file is not valid UTF-8 (invalid byte at offset {valid})"),
            )
            .with_help("save the file as UTF-8");
            return (source(name, Some(prefix)), Err(Box::new(d)));
        }
    };
    let result = parse(name, &text);
    (source(name, Some(text)), result)
}

/// Most errors reported for one file by recovering past them (see [`further_errors`]).
const MAX_RECOVERED: usize = 32;

/// The errors further on in a file that failed to load with `first`, found by setting aside what each
/// error named and reading the file again: an unknown or duplicate key written in block style is
/// blanked out, offsets and lines kept, so every span still points into the original text. Stops at
/// an error it cannot set aside (a missing key, a wrong value, broken YAML), at one it already
/// reported, or after [`MAX_RECOVERED`]; so the author fixes every unknown key of a file in one run.
pub fn further_errors<T: serde::de::DeserializeOwned>(
    name: &str,
    text: &str,
    first: &Diagnostic,
) -> Vec<Diagnostic> {
    let mut found: Vec<Diagnostic> = Vec::new();
    let mut current = text.to_owned();
    let mut last = first.clone();
    for _ in 0..MAX_RECOVERED {
        let recoverable = last.code == codes::UNKNOWN_KEY || last.code == codes::DUPLICATE_KEY;
        let Some((blanked, blank_end)) = recoverable
            .then(|| blank_entry(&current, last.span))
            .flatten()
        else {
            break;
        };
        current = blanked;
        let Err(next) = parse::<T>(name, &current) else {
            break;
        };
        let seen = |d: &Diagnostic| d.code == next.code && d.span == next.span;
        // An error at or before what was set aside may be made by setting it aside (a mapping left
        // empty): only what comes after it is surely a mistake of its own.
        if seen(first) || found.iter().any(seen) || next.span.start <= blank_end {
            break;
        }
        // A misspelled required key, set aside, leaves that key missing: the same mistake, said.
        let restates = next.code == codes::MISSING_KEY
            && std::iter::once(first)
                .chain(found.iter())
                .filter_map(|d| suggested_key(d))
                .any(|key| next.message.contains(&format!("`{key}`")));
        if !restates {
            found.push((*next).clone());
        }
        last = *next;
    }
    found
}

/// The key an unknown-key diagnostic suggests (`did you mean `x`?`), if any.
fn suggested_key(d: &Diagnostic) -> Option<&str> {
    if d.code != codes::UNKNOWN_KEY {
        return None;
    }
    let help = d.help.as_deref()?;
    let rest = &help[help.find("did you mean `")? + "did you mean `".len()..];
    rest.split('`').next()
}

/// `text` with the block-style mapping entry whose key starts at `span` replaced by spaces: its line
/// and the more indented (or blank) lines under it; with the offset where the blanked part ends. `None` when the key is not the first thing on its
/// line (a flow mapping, a list item), where blanking could change what the rest means.
fn blank_entry(text: &str, span: Span) -> Option<(String, usize)> {
    let start = span.start.min(text.len());
    let line_start = text[..start].rfind('\n').map_or(0, |i| i + 1);
    let before = &text[line_start..start];
    if !before.chars().all(|c| c == ' ') {
        return None;
    }
    let indent = before.len();
    let mut end = text[start..].find('\n').map_or(text.len(), |i| start + i);
    while end < text.len() {
        let next_start = end + 1;
        let next_end = text[next_start..]
            .find('\n')
            .map_or(text.len(), |i| next_start + i);
        let line = &text[next_start..next_end];
        let line_indent = line.len() - line.trim_start_matches(' ').len();
        let blank = line.trim().is_empty() || line.trim_start().starts_with('#');
        if !(blank || line_indent > indent) {
            break;
        }
        end = next_end;
    }
    let mut out = String::with_capacity(text.len());
    out.push_str(&text[..line_start]);
    out.extend(
        text[line_start..end]
            .chars()
            .map(|c| if c == '\n' { '\n' } else { ' ' }),
    );
    out.push_str(&text[end..]);
    Some((out, end))
}

fn source(name: &str, text: Option<String>) -> SourceFile {
    SourceFile {
        name: name.to_owned(),
        text,
    }
}

fn parse<T: serde::de::DeserializeOwned>(name: &str, text: &str) -> Result<T, Box<Diagnostic>> {
    if is_blank(text) {
        return Err(Box::new(
            Diagnostic::error(
                codes::EMPTY_FILE,
                name,
                Span {
                    line: 1,
                    column: 1,
                    ..Span::default()
                },
                "the file holds no definition",
            )
            .with_help("run `cargo xtask new <name>` to scaffold a documented definition"),
        ));
    }
    let mut budget = Budget::default();
    budget.max_depth = MAX_DEPTH;
    budget.max_aliases = 1_000;
    budget.max_anchors = 1_000;
    budget.max_documents = 1;
    budget.max_total_scalar_bytes = usize::try_from(MAX_FILE_BYTES).unwrap_or(usize::MAX);
    let mut options = Options::default();
    options.budget = Some(budget);
    options.duplicate_keys = DuplicateKeyPolicy::Error;
    options.with_snippet = false;
    serde_saphyr::from_str_with_options::<T>(text, options.clone()).map_err(|e| {
        // Deserialization runs as the parser reads, so broken YAML can surface as a schema error first:
        // a mis-indented key as a missing key of the mapping it fell out of, an unclosed `{` as a number
        // that swallowed the next lines. A syntax error is the better explanation when there is one. (A
        // mapping found where a scalar belongs is kept: `singular contact` is a missing `:`, and the
        // parser would only complain about a later line.)
        use serde_saphyr::Error as E;
        let schema_level = matches!(
            e,
            E::SerdeMissingField { .. }
                | E::SerdeUnknownField { .. }
                | E::SerdeUnknownVariant { .. }
                | E::SerdeInvalidType { .. }
                | E::SerdeInvalidValue { .. }
                | E::SerdeInvalidLength { .. }
                | E::InvalidScalar { .. }
                | E::InvalidBooleanStrict { .. }
                | E::NullIntoString { .. }
        );
        let syntax = schema_level
            .then(|| {
                serde_saphyr::from_str_with_options::<serde::de::IgnoredAny>(text, options).err()
            })
            .flatten();
        Box::new(classify(name, text, syntax.as_ref().unwrap_or(&e)))
    })
}

/// Whether the text has nothing but whitespace and comments.
fn is_blank(text: &str) -> bool {
    text.lines().all(|l| {
        let t = l.trim();
        t.is_empty() || t.starts_with('#') || t == "---" || t == "..."
    })
}

fn read_capped(path: &Path) -> Result<Vec<u8>, Box<Diagnostic>> {
    let io_error = |e: std::io::Error| {
        Box::new(Diagnostic::error(
            codes::YAML_SYNTAX,
            "",
            Span::default(),
            format!("cannot read the file: {e}"),
        ))
    };
    let file = std::fs::File::open(path).map_err(io_error)?;
    let mut bytes = Vec::new();
    // Read one byte past the cap so an oversized file is detected without reading all of it.
    file.take(MAX_FILE_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(io_error)?;
    if bytes.len() as u64 > MAX_FILE_BYTES {
        let len = std::fs::metadata(path)
            .map(|m| m.len())
            .unwrap_or(bytes.len() as u64);
        return Err(Box::new(too_large("", len)));
    }
    Ok(bytes)
}

trait WithFile {
    fn with_file(self, file: &str) -> Self;
}

impl WithFile for Box<Diagnostic> {
    fn with_file(mut self, file: &str) -> Self {
        file.clone_into(&mut self.file);
        self
    }
}

fn too_large(name: &str, len: u64) -> Diagnostic {
    Diagnostic::error(
        codes::INPUT_LIMIT,
        name,
        Span {
            line: 1,
            column: 1,
            ..Span::default()
        },
        format!("the file is {len} bytes; definitions are limited to {MAX_FILE_BYTES} bytes"),
    )
    .with_help(
        "split the vendor into several integrations, or trim response schemas to what agents need",
    )
}

/// The span of the character at byte `offset` (a point at the end of the text if past it).
fn point_at(text: &str, offset: usize) -> Span {
    let offset = offset.min(text.len());
    let before = &text[..offset];
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let column = text[line_start..offset].chars().count() + 1;
    let len = text[offset..].chars().next().map_or(0, char::len_utf8);
    Span {
        start: offset,
        len,
        line: u32::try_from(line).unwrap_or(u32::MAX),
        column: u32::try_from(column).unwrap_or(u32::MAX),
    }
}

/// Turns a deserialization error into a coded diagnostic, with did-you-mean where serde lists options.
fn classify(name: &str, text: &str, err: &serde_saphyr::Error) -> Diagnostic {
    use serde_saphyr::Error as E;
    let at = err.location().map(Span::from_location).unwrap_or_default();
    let at = syntax::locate(text, at);
    // Point at the token where the problem starts; multi-line spans make poor carets.
    let span = widen_to_token(text, Span { len: 0, ..at });
    match err {
        E::Budget { breach, .. } => {
            use serde_saphyr::budget::BudgetBreach as B;
            let (message, help) = match breach {
                B::Documents { .. } => (
                    "the file holds more than one YAML document".to_owned(),
                    "a definition file holds one definition: remove this `---` and what follows, or move it to a file of its own".to_owned(),
                ),
                B::Depth { .. } => (
                    format!("the definition nests deeper than {MAX_DEPTH} levels"),
                    format!("definitions may nest at most {MAX_DEPTH} levels"),
                ),
                B::Aliases { .. } | B::Anchors { .. } => (
                    "the definition uses more than 1000 YAML aliases or anchors".to_owned(),
                    "reuse fewer shared schemas with `*alias`, or write some of them out".to_owned(),
                ),
                _ => (
                    format!(
                        "the input exceeds a parser limit: {}",
                        strip_location_suffix(&err.without_snippet().to_string())
                    ),
                    format!("definitions may nest at most {MAX_DEPTH} levels and use at most 1000 aliases"),
                ),
            };
            Diagnostic::error(codes::INPUT_LIMIT, name, span, message).with_help(help)
        }
        E::DuplicateMappingKey { key, .. } => {
            let key = key.as_deref().unwrap_or("?");
            Diagnostic::error(
                codes::DUPLICATE_KEY,
                name,
                span,
                format!("duplicate key `{key}`"),
            )
            .with_label(match first_sibling(text, span) {
                Some(line) => format!("`{key}` is already set on line {line}"),
                None => "this key was already set above".to_owned(),
            })
            .with_help("remove one of the two entries, or merge them into one")
        }
        E::SerdeUnknownField {
            field, expected, ..
        } => {
            let d = Diagnostic::error(
                codes::UNKNOWN_KEY,
                name,
                span,
                format!("unknown key `{field}`"),
            )
            .with_label("not part of the definition format here");
            match did_you_mean(field, expected.iter().copied()) {
                Some(s) => d.with_help(format!("did you mean `{s}`?")),
                // Keys with spaces are text a comma split off the previous value inside `{…}`.
                None if field.contains(' ') => d.with_help(
                    "inside `{...}` a comma separates entries: quote the value before it, e.g. `description: \"State, province or region.\"`",
                ),
                None if expected.is_empty() => d.with_help("this mapping takes no keys"),
                None => d.with_help(format!(
                    "expected one of {}",
                    list_names(expected.iter().copied())
                )),
            }
        }
        E::SerdeUnknownVariant {
            variant, expected, ..
        } => {
            let message = match syntax::key_before(text, at) {
                Some(key) => format!("unknown value `{variant}` for `{key}`"),
                None => format!("unknown value `{variant}`"),
            };
            let d = Diagnostic::error(codes::UNKNOWN_VALUE, name, span, message);
            let all = list_names(expected.iter().copied());
            match suggest_value(variant, expected) {
                Some(s) => d.with_help(format!("did you mean `{s}`? expected one of {all}")),
                None => d.with_help(format!("expected one of {all}")),
            }
        }
        E::SerdeMissingField { field, .. } => {
            let span = enclosing_mapping(text, at);
            let top = span.column == 1;
            Diagnostic::error(
                codes::MISSING_KEY,
                name,
                span,
                format!("missing required key `{field}`"),
            )
            .with_label(if top {
                format!("the definition needs a top-level `{field}:`")
            } else {
                format!("this mapping needs `{field}`")
            })
            .with_help(if top {
                format!("add `{field}:` at the top level, with no indentation")
            } else {
                format!("add `{field}:` to this mapping")
            })
        }
        E::SerdeInvalidType {
            unexpected,
            expected,
            ..
        }
        | E::SerdeInvalidValue {
            unexpected,
            expected,
            ..
        } => Diagnostic::error(
            codes::WRONG_TYPE,
            name,
            span,
            format!("expected {expected}, found {unexpected}"),
        ),
        E::SerdeInvalidLength { len, expected, .. } => Diagnostic::error(
            codes::WRONG_TYPE,
            name,
            span,
            format!("expected {expected}, found {len} element(s)"),
        ),
        E::Unexpected { expected, .. } => {
            let expected = match expected.trim_end_matches(" start") {
                "sequence" => "list",
                other => other,
            };
            let found = text.get(span.range()).unwrap_or_default();
            let d = Diagnostic::error(
                codes::WRONG_TYPE,
                name,
                span,
                format!("expected a {expected} here"),
            )
            .with_label(format!("this should be a {expected}"));
            match expected {
                "list" if !found.is_empty() => {
                    d.with_help(format!("write a list, even of one item: `[{found}]`"))
                }
                "mapping" if found.starts_with('-') => {
                    d.with_help("write `key: value` entries here, without the list dash `- `")
                }
                "mapping" => match found.split_once(' ') {
                    Some((key, _)) if crate::naming::is_snake_case(key) => {
                        d.with_help(format!("is a `:` missing after `{key}`?"))
                    }
                    _ => d.with_help("write `key: value` entries here"),
                },
                _ => d,
            }
        }
        E::InvalidScalar { ty, .. } => wrong_scalar(name, text, span, ty),
        E::NullIntoString { .. } => {
            let key = syntax::key_before(text, at).unwrap_or("this key");
            Diagnostic::error(
                codes::WRONG_TYPE,
                name,
                Span { len: 0, ..at },
                format!("`{key}` has no value"),
            )
            .with_label("a string is expected here")
            .with_help(format!(
                "write the value after `{key}: `, or remove the key if it is optional"
            ))
        }
        E::InvalidBooleanStrict { .. } => wrong_scalar(name, text, span, "bool"),
        _ => {
            let message = strip_location_suffix(&err.without_snippet().to_string()).to_owned();
            // The parser guards its own recursion and nesting; those are limits, not syntax.
            if message.contains("limit exceeded")
                || message.contains("nesting limit")
                || message.contains("budget breached")
            {
                Diagnostic::error(
                    codes::INPUT_LIMIT,
                    name,
                    span,
                    format!("the input exceeds a parser limit: {message}"),
                )
                .with_help(format!("definitions may nest at most {MAX_DEPTH} levels"))
            } else {
                syntax::explain(name, text, at, &message)
            }
        }
    }
}

/// A scalar that does not read as the number or boolean the format wants there.
fn wrong_scalar(name: &str, text: &str, span: Span, ty: &str) -> Diagnostic {
    let found = text.get(span.range()).unwrap_or_default();
    let (want, help) = match ty {
        "bool" | "boolean" => ("`true` or `false`", "write `true` or `false`"),
        "f32" | "f64" => (
            "a number",
            "write the number alone; explanations go in a `# comment`",
        ),
        t if t.starts_with('u') => (
            "a whole number, 0 or more",
            "write the number alone; explanations go in a `# comment`",
        ),
        t if t.starts_with('i') => (
            "a whole number",
            "write the number alone; explanations go in a `# comment`",
        ),
        other => (other, "check the value's type"),
    };
    Diagnostic::error(
        codes::WRONG_TYPE,
        name,
        span,
        format!("expected {want}, found `{found}`"),
    )
    .with_help(help)
}

/// The closest allowed value: a likely typo, an abbreviation (`int`) or a word from another schema
/// language (`float`, `dict`).
fn suggest_value<'a>(word: &str, expected: &[&'a str]) -> Option<&'a str> {
    const ALIASES: [(&str, &str); 9] = [
        ("int", "integer"),
        ("str", "string"),
        ("bool", "boolean"),
        ("float", "number"),
        ("double", "number"),
        ("list", "array"),
        ("dict", "object"),
        ("map", "object"),
        ("hash", "object"),
    ];
    let w = word.to_ascii_lowercase();
    did_you_mean(word, expected.iter().copied())
        .or_else(|| {
            ALIASES
                .iter()
                .find(|(alias, _)| *alias == w)
                .and_then(|(_, real)| expected.iter().copied().find(|e| e == real))
        })
        .or_else(|| {
            let mut prefixed = expected
                .iter()
                .copied()
                .filter(|e| w.len() >= 3 && (e.starts_with(w.as_str()) || w.starts_with(e)));
            match (prefixed.next(), prefixed.next()) {
                (Some(only), None) => Some(only),
                _ => None,
            }
        })
}

/// The line where the key at `dup` was first set in the same mapping, if it can be found above.
fn first_sibling(text: &str, dup: Span) -> Option<usize> {
    let lines: Vec<&str> = text.split('\n').collect();
    let idx = (dup.line as usize).checked_sub(1)?;
    let line = lines.get(idx)?;
    let key_col = |l: &str| l.len() - l.trim_start_matches([' ', '-']).len();
    let col = key_col(line);
    let key = text.get(dup.range()).filter(|k| !k.is_empty())?;
    for i in (0..idx).rev() {
        let l = lines[i];
        let t = l.trim();
        if t.is_empty() || t.starts_with('#') {
            continue;
        }
        let c = key_col(l);
        if c < col {
            return None;
        }
        if c == col && l[c..].strip_prefix(key).is_some_and(|r| r.starts_with(':')) {
            return Some(i + 1);
        }
    }
    None
}

/// The key that opens the mapping a location sits in: the nearest line above with less indentation.
/// serde reports a missing key where the mapping ended; the mistake is the mapping that lacks it.
fn enclosing_mapping(text: &str, at: Span) -> Span {
    let lines: Vec<&str> = text.split('\n').collect();
    let indent = |l: &str| l.len() - l.trim_start_matches([' ', '-']).len();
    let meaningful = |l: &str| {
        let t = l.trim();
        !t.is_empty() && !t.starts_with('#')
    };
    let line_idx = (at.line as usize)
        .saturating_sub(1)
        .min(lines.len().saturating_sub(1));
    // Start from the reported line, or the nearest meaningful one above it.
    let Some(from) = (0..=line_idx)
        .rev()
        .find(|&i| lines.get(i).is_some_and(|l| meaningful(l)))
    else {
        return Span {
            line: 1,
            column: 1,
            ..Span::default()
        };
    };
    let own = indent(lines[from]);
    let parent = (0..from)
        .rev()
        .find(|&i| meaningful(lines[i]) && indent(lines[i]) < own);
    let idx = match parent {
        Some(i) => i,
        // A top-level key is missing: point at the document's first key.
        None => (0..lines.len())
            .find(|&i| meaningful(lines[i]))
            .unwrap_or(0),
    };
    let start: usize = lines[..idx].iter().map(|l| l.len() + 1).sum();
    let line = lines[idx];
    let col = line.len() - line.trim_start_matches([' ', '-']).len();
    widen_to_token(
        text,
        Span {
            start: start + col,
            len: 0,
            line: u32::try_from(idx + 1).unwrap_or(u32::MAX),
            column: u32::try_from(col + 1).unwrap_or(u32::MAX),
        },
    )
}

/// serde-saphyr appends " at line L column C" to some messages; the snippet says it better.
fn strip_location_suffix(msg: &str) -> &str {
    match msg.rfind(" at line ") {
        Some(i) => &msg[..i],
        None => msg,
    }
}

/// A point location widened to the token it starts (a key or scalar), so the caret underlines the word.
fn widen_to_token(text: &str, span: Span) -> Span {
    if span.len > 0 || span.start >= text.len() || !text.is_char_boundary(span.start) {
        return span;
    }
    let rest = &text[span.start..];
    let len = rest
        .find([':', '\n', ',', '}', ']', '#'])
        .unwrap_or(rest.len());
    let len = rest[..len].trim_end().len();
    Span { len, ..span }
}
