//! YAML syntax errors in an author's words. The parser says where it gave up ("mapping values are not
//! allowed in this context"); the author needs the line to edit, which is often earlier (an unclosed `[`),
//! and the fix (align this key with that one). Each explanation is a heuristic over the text that only
//! runs once the parser has already failed, and falls back to the parser's own message.

use crate::codes;
use crate::diagnostic::Diagnostic;
use crate::span::Span;

/// How far back an unclosed bracket or quote is looked for, in lines.
const LOOKBACK_LINES: usize = 200;
/// How far past the error a bracket's closer is looked for, in bytes.
const LOOKAHEAD_BYTES: usize = 64 * 1024;

/// The parser's error at `at` (its line and column; `at.start` may be unknown), explained.
pub(super) fn explain(name: &str, text: &str, at: Span, message: &str) -> Diagnostic {
    let at = locate(text, at);
    let lines: Vec<&str> = text.split('\n').collect();
    let idx = (at.line as usize).saturating_sub(1);
    let Some(line) = lines.get(idx).copied() else {
        return generic(name, at, message);
    };
    let line_start = start_of_line(&lines, idx);
    let span_in_line = |col: usize, len: usize| point(text, line_start + col, len);

    if let Some(col) = line.find('\t').filter(|_| message.contains("tab")) {
        return Diagnostic::error(
            codes::YAML_SYNTAX,
            name,
            span_in_line(col, 1),
            "a tab character indents this line",
        )
        .with_label("tab")
        .with_help("YAML indents with spaces only: replace the tab with spaces, and set your editor to insert spaces in .yaml files");
    }
    if let Some(d) = unclosed(name, text, &lines, idx, at, message) {
        return d;
    }
    if message.contains("trailing content after") {
        let (quote, escaped) = if message.contains("single-quoted") {
            ("'", "an apostrophe is written `''`")
        } else {
            ("\"", "a quote is written `\\\"`")
        };
        return Diagnostic::error(codes::YAML_SYNTAX, name, at, "text after the closing quote")
            .with_label(format!("the `{quote}` before this ends the value"))
            .with_help(format!(
                "inside `{quote}` quotes {escaped}; or quote the value the other way"
            ));
    }
    if let Some((col, key)) = key_at(line)
        && let Some(d) = misaligned(name, &lines, idx, col, key, span_in_line(col, key.len()))
    {
        return d;
    }
    if let Some(col) = missing_space_after_colon(line) {
        let key = line[..col].trim_start_matches([' ', '-']);
        let value = line[col + 1..].trim_end();
        return Diagnostic::error(
            codes::YAML_SYNTAX,
            name,
            span_in_line(col, 1),
            format!("no space after `{key}:`"),
        )
        .with_label("YAML needs a space after the colon")
        .with_help(format!("write `{key}: {value}`"));
    }
    if message.contains("expected ':'")
        && let Some((col, words)) = missing_colon(line)
    {
        let key = words.split(' ').next().unwrap_or(words);
        return Diagnostic::error(
            codes::YAML_SYNTAX,
            name,
            span_in_line(col, words.len()),
            format!("expected `key: value`, found `{words}`"),
        )
        .with_label("no `:` on this line")
        .with_help(format!(
            "add the `:` after the key (`{key}: …`), or indent the line further if it continues the value above"
        ));
    }
    // The parser's column, as a byte offset into the line.
    let col = at.start.saturating_sub(line_start).min(line.len());
    if message.contains("mapping values are not allowed")
        && let Some(value_col) = value_start(line)
        && col > value_col
    {
        let key = line[..value_col]
            .trim()
            .trim_end_matches(':')
            .trim_start_matches("- ");
        let value = line[value_col..].trim_end().replace('"', "\\\"");
        return Diagnostic::error(
            codes::YAML_SYNTAX,
            name,
            span_in_line(col, 1),
            "a `: ` inside an unquoted value",
        )
        .with_label("YAML reads this as the start of another key")
        .with_help(format!("quote the value: `{key}: \"{value}\"`"));
    }
    generic(name, at, message)
}

fn generic(name: &str, at: Span, message: &str) -> Diagnostic {
    Diagnostic::error(codes::YAML_SYNTAX, name, at, message.to_owned())
        .with_help("check the indentation and quoting of this line and the lines just above it")
}

/// serde-saphyr's syntax errors carry a line and column but no byte offset: find it in the text.
pub(super) fn locate(text: &str, at: Span) -> Span {
    if at.start != 0 || at.line <= 1 && at.column <= 1 {
        return at;
    }
    let lines: Vec<&str> = text.split('\n').collect();
    let idx = (at.line as usize)
        .saturating_sub(1)
        .min(lines.len().saturating_sub(1));
    let line = lines.get(idx).copied().unwrap_or_default();
    let col = line
        .char_indices()
        .nth((at.column as usize).saturating_sub(1))
        .map_or(line.len(), |(i, _)| i);
    point(text, start_of_line(&lines, idx) + col, 0)
}

fn start_of_line(lines: &[&str], idx: usize) -> usize {
    lines.iter().take(idx).map(|l| l.len() + 1).sum()
}

/// A span of `len` bytes at byte `offset`, with its line and column.
fn point(text: &str, offset: usize, len: usize) -> Span {
    let offset = offset.min(text.len());
    let before = text.get(..offset).unwrap_or_default();
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let len = len.min(text.len() - offset);
    Span {
        start: offset,
        len: if text.is_char_boundary(offset + len) {
            len
        } else {
            0
        },
        line: u32::try_from(before.matches('\n').count() + 1).unwrap_or(u32::MAX),
        column: u32::try_from(before[line_start..].chars().count() + 1).unwrap_or(u32::MAX),
    }
}

/// The byte column and name of the plain key a line starts with (after any `- `), if it is `key:`.
fn key_at(line: &str) -> Option<(usize, &str)> {
    let mut col = line.len() - line.trim_start_matches(' ').len();
    while line[col..].starts_with("- ") {
        col += 2;
        col += line[col..].len() - line[col..].trim_start_matches(' ').len();
    }
    let rest = &line[col..];
    let end =
        rest.find(|c: char| !(c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.' | '$')))?;
    let after = &rest[end..];
    (end > 0
        && (after == ":"
            || after.starts_with(": ")
            || after.starts_with(":\t")
            || after.starts_with(":\r")))
    .then(|| (col, &rest[..end]))
}

/// The key of the `key: value` line `at` sits on (the key a scalar value belongs to).
pub(super) fn key_before(text: &str, at: Span) -> Option<&str> {
    let line = text.split('\n').nth((at.line as usize).checked_sub(1)?)?;
    key_at(line).map(|(_, key)| key)
}

/// Where the value of a `key: value` line starts.
fn value_start(line: &str) -> Option<usize> {
    let (col, key) = key_at(line)?;
    let after = col + key.len() + 1;
    let value = line[after..].trim_start();
    (!value.is_empty() && !value.starts_with('#')).then(|| line.len() - value.len())
}

fn meaningful(line: &str) -> bool {
    let t = line.trim();
    !t.is_empty() && !t.starts_with('#')
}

/// A key that is not aligned with the key above it, when that key holds a value (so this one cannot be
/// its child). Suggests the nearest indentation that would be valid: the key above or one enclosing it.
fn misaligned(
    name: &str,
    lines: &[&str],
    idx: usize,
    col: usize,
    key: &str,
    span: Span,
) -> Option<Diagnostic> {
    let prev = (0..idx).rev().find(|&i| meaningful(lines[i]))?;
    let (prev_col, prev_key) = key_at(lines[prev])?;
    let prev_value = value_start(lines[prev]).map(|v| lines[prev][v..].trim_end())?;
    if prev_col == col || prev_value.starts_with(['|', '>']) {
        return None;
    }
    // The valid levels: the key above and the keys enclosing it. A key at one of them is fine here.
    let mut levels = vec![(prev_col, prev_key, prev)];
    for (i, l) in lines[..prev].iter().enumerate().rev() {
        let level = levels.last().map_or(0, |&(c, _, _)| c);
        if level == 0 {
            break;
        }
        if let Some((c, k)) = key_at(l).filter(|&(c, _)| c < level) {
            levels.push((c, k, i));
        }
    }
    if levels.iter().any(|&(c, _, _)| c == col) {
        return None;
    }
    // The nearest level; on a tie, the deeper one (the key just above).
    let (want, sibling, sibling_idx) = levels
        .iter()
        .copied()
        .min_by_key(|&(c, _, _)| c.abs_diff(col))
        .unwrap_or((prev_col, prev_key, prev));
    let spaces = |n: usize| {
        if n == 1 {
            "1 space".to_owned()
        } else {
            format!("{n} spaces")
        }
    };
    Some(
        Diagnostic::error(
            codes::YAML_SYNTAX,
            name,
            span,
            format!("`{key}` is not aligned with `{sibling}` above it"),
        )
        .with_label(format!(
            "indented {}; `{sibling}` (line {}) is indented {}",
            spaces(col),
            sibling_idx + 1,
            spaces(want)
        ))
        .with_help(if want == 0 {
            format!("start `{key}:` at the beginning of the line, like `{sibling}:`")
        } else {
            format!(
                "indent `{key}:` by {} like `{sibling}:`, or nest it under a key that ends with `:`",
                spaces(want)
            )
        }),
    )
}

/// `key:value` with no space: YAML reads the whole thing as one plain string. Returns the colon's column.
fn missing_space_after_colon(line: &str) -> Option<usize> {
    let trimmed = line.trim_start_matches([' ', '-']);
    let col = line.len() - trimmed.len();
    let end = trimmed.find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))?;
    let after = &trimmed[end..];
    let next = after.strip_prefix(':')?.chars().next()?;
    // `https://…` is a URL, not a key.
    (end > 0 && !next.is_whitespace() && !after.starts_with("://") && next != ':')
        .then_some(col + end)
}

/// A line that is a bare word where a `key: value` entry belongs (the colon was lost).
fn missing_colon(line: &str) -> Option<(usize, &str)> {
    let trimmed = line.trim_start_matches([' ', '-']).trim_end();
    let col = line.len() - line.trim_start_matches([' ', '-']).len();
    (!trimmed.is_empty()
        && !trimmed.contains([':', '#', '[', '{', '"', '\''])
        && trimmed.chars().all(|c| c.is_ascii_graphic() || c == ' '))
    .then_some((col, trimmed))
}

/// A `[`, `{` or quote that opens a value on a line at or above the error and is still open there: the
/// parser then reads the following lines as part of it and fails somewhere below.
fn unclosed(
    name: &str,
    text: &str,
    lines: &[&str],
    idx: usize,
    at: Span,
    message: &str,
) -> Option<Diagnostic> {
    let from = idx.saturating_sub(LOOKBACK_LINES);
    for i in (from..=idx.min(lines.len().saturating_sub(1))).rev() {
        let line = lines[i];
        let col = match value_start(line) {
            Some(v) => v,
            None => {
                let t = line.trim_start_matches([' ', '-']);
                line.len() - t.len()
            }
        };
        let Some(opener) = line[col..].chars().next().filter(|c| "[{\"'".contains(*c)) else {
            continue;
        };
        let offset = start_of_line(lines, i) + col;
        if offset > at.start || !still_open(text, offset, opener, at.start) {
            continue;
        }
        let (what, closer) = match opener {
            '[' => ("list", ']'),
            '{' => ("mapping", '}'),
            _ => ("quoted string", opener),
        };
        return Some(
            Diagnostic::error(
                codes::YAML_SYNTAX,
                name,
                point(text, offset, 1),
                format!("this {what} is never closed"),
            )
            .with_label(format!("`{opener}` opens it here"))
            .with_note(format!(
                "YAML reads the lines after it as part of the {what}, and gave up at line {}: {message}",
                at.line
            ))
            .with_help(format!("add the closing `{closer}`")),
        );
    }
    None
}

/// Whether the bracket or quote at `offset` is still open at `error` (a bracket: anywhere after it).
fn still_open(text: &str, offset: usize, opener: char, error: usize) -> bool {
    let Some(rest) = text.get(offset + 1..) else {
        return false;
    };
    if opener == '"' || opener == '\'' {
        let upto = error.saturating_sub(offset + 1).min(rest.len());
        let mut chars = rest
            .char_indices()
            .take_while(|&(i, _)| i < upto)
            .peekable();
        while let Some((_, c)) = chars.next() {
            match c {
                '\\' if opener == '"' => {
                    chars.next();
                }
                '\'' if opener == '\'' && chars.peek().is_some_and(|&(_, n)| n == '\'') => {
                    chars.next();
                }
                c if c == opener => return false,
                _ => {}
            }
        }
        return true;
    }
    let limit = error.saturating_sub(offset).saturating_add(LOOKAHEAD_BYTES);
    let mut depth = 1usize;
    let mut quote: Option<char> = None;
    let mut prev = opener;
    let mut chars = rest.char_indices().take_while(|&(i, _)| i < limit);
    while let Some((_, c)) = chars.next() {
        match (quote, c) {
            (Some('"'), '\\') => {
                chars.next();
            }
            (Some(q), c) if c == q => quote = None,
            (Some(_), _) => {}
            (None, '"') => quote = Some('"'),
            (None, '\'') if matches!(prev, ' ' | '[' | '{' | ',') => quote = Some('\''),
            (None, '#') if prev.is_whitespace() => {
                for (_, c) in chars.by_ref() {
                    if c == '\n' {
                        break;
                    }
                }
            }
            (None, '[' | '{') => depth += 1,
            (None, ']' | '}') => {
                depth -= 1;
                if depth == 0 {
                    return false;
                }
            }
            _ => {}
        }
        prev = c;
    }
    true
}
