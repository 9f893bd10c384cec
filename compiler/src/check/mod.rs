//! Pass 2: semantic checks over loaded definitions. Every finding is a coded diagnostic with a span.

mod fields;
mod identity;
mod methods;
mod models;
mod pagination;
mod pii;
mod rules;
mod tool_names;
mod unified_maps;

pub use models::ModelUnit;

use crate::diagnostic::Diagnostic;
use crate::load::SourceFile;
use crate::model::Integration;
use crate::span::{Sp, Span};

/// One loaded definition file.
#[derive(Debug)]
pub struct Unit {
    /// The file and its text.
    pub source: SourceFile,
    /// What it defines.
    pub def: Integration,
}

/// Runs every check over every unit (per file, then across files) and returns the findings in file order.
pub fn check(units: &[Unit]) -> Vec<Diagnostic> {
    let mut diags = Vec::new();
    for unit in units {
        let mut cx = Cx {
            file: &unit.source.name,
            diags: &mut diags,
        };
        identity::check(&mut cx, unit);
        rules::check(&mut cx, &unit.def);
        pagination::check(&mut cx, &unit.def);
        methods::check(&mut cx, &unit.def);
    }
    tool_names::check(units, &mut diags);
    diags
}

/// The documented shape of one record of `resource`, as field maps see `$`.
pub(crate) fn vendor_record_type(
    def: &crate::model::Integration,
    resource: &str,
) -> crate::mapping::types::Ty {
    unified_maps::record_type(def, resource)
}

/// Checks every integration's unified maps against the unified models.
pub fn check_unified_maps(units: &[Unit], models: &[ModelUnit]) -> Vec<Diagnostic> {
    unified_maps::check(units, models)
}

/// Checks unified models.
pub fn check_models(units: &[ModelUnit]) -> Vec<Diagnostic> {
    let mut diags = Vec::new();
    for unit in units {
        let mut cx = Cx {
            file: &unit.source.name,
            diags: &mut diags,
        };
        models::check(&mut cx, unit);
    }
    diags
}

/// What every check needs: the file being checked and where findings go.
pub(crate) struct Cx<'a> {
    file: &'a str,
    diags: &'a mut Vec<Diagnostic>,
}

impl Cx<'_> {
    fn error(
        &mut self,
        code: &'static crate::codes::Code,
        span: Span,
        message: impl Into<String>,
    ) -> &mut Diagnostic {
        self.diags
            .push(Diagnostic::error(code, self.file, span, message));
        self.last()
    }

    fn warning(
        &mut self,
        code: &'static crate::codes::Code,
        span: Span,
        message: impl Into<String>,
    ) -> &mut Diagnostic {
        self.diags
            .push(Diagnostic::warning(code, self.file, span, message));
        self.last()
    }

    fn last(&mut self) -> &mut Diagnostic {
        // A diagnostic was pushed just before every call.
        let len = self.diags.len();
        &mut self.diags[len - 1]
    }
}

/// Small builder helpers on a pushed diagnostic.
trait Decorate {
    fn label(&mut self, text: impl Into<String>) -> &mut Self;
    fn help(&mut self, text: impl Into<String>) -> &mut Self;
    fn note(&mut self, text: impl Into<String>) -> &mut Self;
}

impl Decorate for Diagnostic {
    fn label(&mut self, text: impl Into<String>) -> &mut Self {
        self.label = Some(text.into());
        self
    }
    fn help(&mut self, text: impl Into<String>) -> &mut Self {
        self.help = Some(text.into());
        self
    }
    fn note(&mut self, text: impl Into<String>) -> &mut Self {
        self.notes.push(text.into());
        self
    }
}

/// Whether `p` is a JSON Pointer (RFC 6901): empty, or `/`-separated tokens with only `~0`/`~1` escapes.
pub(crate) fn is_json_pointer(p: &str) -> bool {
    if p.is_empty() {
        return true;
    }
    if !p.starts_with('/') {
        return false;
    }
    let mut chars = p.chars();
    while let Some(c) = chars.next() {
        if c == '~' && !matches!(chars.next(), Some('0' | '1')) {
            return false;
        }
    }
    true
}

/// The span of `len` bytes at byte `at` of a string value, when the value sits on one line, plain or in
/// quotes without escapes, so a caret can point into it; otherwise the whole value's span.
pub(crate) fn sub_span(value: &Sp<String>, at: usize, len: usize) -> Span {
    let whole = value.span;
    let v = value.value.as_str();
    let skip = if whole.len == v.len() {
        0
    } else if whole.len == v.len() + 2 {
        1
    } else {
        return whole;
    };
    match v.get(..at) {
        Some(before) if !v.contains('\n') && at + len <= v.len() => Span {
            start: whole.start + skip + at,
            len,
            line: whole.line,
            column: whole
                .column
                .saturating_add(u32::try_from(skip + before.chars().count()).unwrap_or(0)),
        },
        _ => whole,
    }
}
