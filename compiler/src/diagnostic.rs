//! Diagnostics: what went wrong, where, and what to do about it.

use std::fmt::Write as _;

use annotate_snippets::{AnnotationKind, Group, Level, Renderer, Snippet};

use crate::codes::Code;
use crate::span::Span;

/// How serious a diagnostic is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Severity {
    /// The definition cannot be compiled.
    Error,
    /// The definition compiles, but something is probably not what the author meant.
    Warning,
}

impl Severity {
    /// `error` or `warning`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Error => "error",
            Self::Warning => "warning",
        }
    }
}

/// One finding about one place in one file.
#[derive(Clone, Debug)]
pub struct Diagnostic {
    /// The stable code.
    pub code: &'static Code,
    /// Error or warning.
    pub severity: Severity,
    /// What is wrong, in one sentence.
    pub message: String,
    /// The file, as given to the loader.
    pub file: String,
    /// Where in the file.
    pub span: Span,
    /// Text under the caret.
    pub label: Option<String>,
    /// What to do about it.
    pub help: Option<String>,
    /// Further context, such as the other half of a collision.
    pub notes: Vec<String>,
}

impl Diagnostic {
    /// An error at `span` of `file`.
    pub fn error(code: &'static Code, file: &str, span: Span, message: impl Into<String>) -> Self {
        Self {
            code,
            severity: if code.id.starts_with('W') {
                Severity::Warning
            } else {
                Severity::Error
            },
            message: message.into(),
            file: file.to_owned(),
            span,
            label: None,
            help: None,
            notes: Vec::new(),
        }
    }

    /// A warning at `span` of `file`.
    pub fn warning(
        code: &'static Code,
        file: &str,
        span: Span,
        message: impl Into<String>,
    ) -> Self {
        let mut d = Self::error(code, file, span, message);
        d.severity = Severity::Warning;
        d
    }

    /// Adds the text shown under the caret.
    #[must_use]
    pub fn with_label(mut self, label: impl Into<String>) -> Self {
        self.label = Some(label.into());
        self
    }

    /// Adds a `help:` line.
    #[must_use]
    pub fn with_help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }

    /// Adds a help line only when there is one.
    #[must_use]
    pub fn with_help_opt(mut self, help: Option<String>) -> Self {
        self.help = help;
        self
    }

    /// Adds a `note:` line.
    #[must_use]
    pub fn with_note(mut self, note: impl Into<String>) -> Self {
        self.notes.push(note.into());
        self
    }

    /// Whether this is an error.
    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }

    /// Renders rustc-style, with the source line and a caret; `source` is the file's text, if readable.
    pub fn render(&self, source: Option<&str>, styled: bool) -> String {
        let level = match self.severity {
            Severity::Error => Level::ERROR,
            Severity::Warning => Level::WARNING,
        };
        let title = level.primary_title(&self.message).id(self.code.id);
        let mut groups = Vec::new();
        let location = format!("{}:{}:{}", self.file, self.span.line, self.span.column);
        let group = match source {
            Some(src) if self.span.line > 0 && self.span.start <= src.len() => {
                let range = clamp_range(src, self.span);
                let mut annotation = AnnotationKind::Primary.span(range);
                if let Some(label) = &self.label {
                    annotation = annotation.label(label.as_str());
                }
                title.element(
                    Snippet::source(src)
                        .path(self.file.as_str())
                        .annotation(annotation),
                )
            }
            _ => title.element(Level::NOTE.message(format!("at {location}"))),
        };
        groups.push(group);
        for note in &self.notes {
            groups.push(Group::with_title(
                Level::NOTE.secondary_title(note.as_str()),
            ));
        }
        if let Some(help) = &self.help {
            groups.push(Group::with_title(
                Level::HELP.secondary_title(help.as_str()),
            ));
        }
        let renderer = if styled {
            Renderer::styled()
        } else {
            Renderer::plain()
        };
        renderer.render(&groups)
    }

    /// One JSON object: `code`, `severity`, `message`, `file`, `line`, `column` (and `help` when present).
    pub fn to_json(&self) -> serde_json::Value {
        let mut v = serde_json::json!({
            "code": self.code.id,
            "severity": self.severity.as_str(),
            "message": self.message,
            "file": self.file,
            "line": self.span.line,
            "column": self.span.column,
        });
        if let (Some(help), Some(obj)) = (&self.help, v.as_object_mut()) {
            obj.insert("help".into(), help.clone().into());
        }
        v
    }
}

/// Keeps a span inside the source and on character boundaries, so rendering never panics.
fn clamp_range(src: &str, span: Span) -> std::ops::Range<usize> {
    let mut start = span.start.min(src.len());
    while start > 0 && !src.is_char_boundary(start) {
        start -= 1;
    }
    let mut end = span
        .start
        .saturating_add(span.len)
        .min(src.len())
        .max(start);
    while end < src.len() && !src.is_char_boundary(end) {
        end += 1;
    }
    start..end
}

/// Longest word a typo is looked for in: names are short, and the edit distance costs the product of
/// the two lengths, so a megabyte-long key or value must not reach it.
const MAX_SUGGESTION_CHARS: usize = 64;

/// Most candidates a suggestion is looked for among: real lists of names are short, and hostile input
/// (thousands of names, each checked against thousands) must not cost quadratic time.
const MAX_SUGGESTION_CANDIDATES: usize = 256;

/// Suggests the closest candidate to `word`, if one is close enough to be a likely typo.
pub fn did_you_mean<'a>(
    word: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<&'a str> {
    let chars = word.chars().count();
    if chars > MAX_SUGGESTION_CHARS {
        return None;
    }
    let budget = (chars / 3).max(1);
    let word = word.to_lowercase();
    let word_chars = word.chars().count();
    candidates
        .into_iter()
        .take(MAX_SUGGESTION_CANDIDATES)
        // The distance is at least the difference in length (lower-casing never shortens a string, and a
        // character is at most 4 bytes), so far longer candidates are skipped before measuring it.
        .filter(|c| c.len() / 4 <= word_chars + budget)
        .filter_map(|c| {
            let lower = c.to_lowercase();
            (lower.chars().count().abs_diff(word_chars) <= budget)
                .then(|| (strsim::damerau_levenshtein(&word, &lower), c))
        })
        .filter(|(distance, _)| *distance <= budget)
        .min_by_key(|(distance, _)| *distance)
        .map(|(_, c)| c)
}

/// Most names [`list_names`] spells out; a message lists a handful, not a hostile input's thousands.
const MAX_LISTED_NAMES: usize = 20;

/// Formats `a`, `b` and `c` for messages (the first 20, then how many more).
pub fn list_names<'a>(names: impl IntoIterator<Item = &'a str>) -> String {
    let mut out = String::new();
    let mut more = 0usize;
    for (i, n) in names.into_iter().enumerate() {
        if i >= MAX_LISTED_NAMES {
            more += 1;
            continue;
        }
        if i > 0 {
            out.push_str(", ");
        }
        let _ = write!(out, "`{}`", excerpt(n));
    }
    if more > 0 {
        let _ = write!(out, " and {more} more");
    }
    out
}

/// Longest value quoted whole in a message; a longer one is cut, so a diagnostic repeated for many items
/// stays small however long the value is.
const MAX_QUOTED_CHARS: usize = 200;

/// `text`, or its first 200 characters and `…` when it is longer.
pub fn excerpt(text: &str) -> std::borrow::Cow<'_, str> {
    match text.char_indices().nth(MAX_QUOTED_CHARS) {
        Some((cut, _)) => format!("{}…", &text[..cut]).into(),
        None => text.into(),
    }
}
