//! The field-map expression language's syntax tree. Every node keeps its byte range within the
//! expression text, so type errors point at the exact sub-expression.

/// A byte range within one expression's text.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Range {
    /// First byte.
    pub start: usize,
    /// One past the last byte.
    pub end: usize,
}

/// An expression with its range.
#[derive(Clone, Debug, PartialEq)]
pub struct Expr {
    /// What it is.
    pub kind: ExprKind,
    /// Where it is.
    pub range: Range,
}

/// Kinds of expressions.
#[derive(Clone, Debug, PartialEq)]
pub enum ExprKind {
    /// `null`
    Null,
    /// `true` / `false`
    Bool(bool),
    /// A number literal.
    Number(f64),
    /// A string literal.
    String(String),
    /// `$.a.b[0]` (from the record) or `@.a` (from the current element inside `map`/`filter`).
    Path {
        /// Where the path starts.
        root: PathRoot,
        /// Steps from the root.
        steps: Vec<Step>,
    },
    /// `f(a, b)`
    Call {
        /// Function name.
        name: String,
        /// Range of the name, for "unknown function" diagnostics.
        name_range: Range,
        /// Arguments.
        args: Vec<Expr>,
    },
    /// `a ?? b`: the first that is not null.
    Coalesce(Box<Expr>, Box<Expr>),
    /// `a == b` / `a != b`.
    Compare {
        /// `true` for `==`.
        equal: bool,
        /// Left side.
        left: Box<Expr>,
        /// Right side.
        right: Box<Expr>,
    },
    /// `{key: expr, …}`
    Object(Vec<(String, Expr)>),
    /// `[expr, …]`
    Array(Vec<Expr>),
}

/// Where a path starts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PathRoot {
    /// `$`: the vendor record (or the unified input, for request maps).
    Record,
    /// `@`: the current element inside `map` and `filter`.
    Element,
}

/// One step of a path.
#[derive(Clone, Debug, PartialEq)]
pub enum Step {
    /// `.name` or `["name"]`.
    Key(String, Range),
    /// `[3]`.
    Index(usize, Range),
}
