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
    /// `$.a.b[0]` (from the record), `@.a` (from the current element inside `map`/`filter`) or
    /// `name.a` (from a `let` binding).
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
    /// `expr[i]` on anything but a path (`split($.name, ' ')[0]`); a negative index counts from the
    /// end (`[-1]` is the last element).
    Index(Box<Expr>, i64),
    /// `expr[start:end]`: the elements from `start` up to (not including) `end`; either may be left
    /// out or negative (counting from the end), as in Python.
    Slice {
        /// What is sliced.
        base: Box<Expr>,
        /// First element kept.
        start: Option<i64>,
        /// First element no longer kept.
        end: Option<i64>,
    },
    /// `let name = value in body`: `value` computed once, `name` readable in `body`.
    Let {
        /// The name bound.
        name: String,
        /// Where the name is written.
        name_range: Range,
        /// Its value.
        value: Box<Expr>,
        /// Where it can be read.
        body: Box<Expr>,
    },
}

/// Where a path starts.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PathRoot {
    /// `$`: the vendor record (or the unified input, for request maps).
    Record,
    /// `@`: the current element inside `map` and `filter`.
    Element,
    /// A name bound by `let`.
    Var(String),
}

/// One step of a path.
#[derive(Clone, Debug, PartialEq)]
pub enum Step {
    /// `.name` or `["name"]`.
    Key(String, Range),
    /// `[3]`.
    Index(usize, Range),
}

impl Expr {
    /// Whether the expression reads the name `name` anywhere (a `let` of the same name inside
    /// counts too: the answer only decides whether to fetch a value, so erring on yes is safe).
    pub fn reads_name(&self, name: &str) -> bool {
        let mut stack = vec![self];
        while let Some(e) = stack.pop() {
            match &e.kind {
                ExprKind::Path {
                    root: PathRoot::Var(n),
                    ..
                } if n == name => return true,
                ExprKind::Call { args, .. } | ExprKind::Array(args) => stack.extend(args),
                ExprKind::Coalesce(a, b)
                | ExprKind::Compare {
                    left: a, right: b, ..
                } => stack.extend([a.as_ref(), b.as_ref()]),
                ExprKind::Object(entries) => stack.extend(entries.iter().map(|(_, v)| v)),
                ExprKind::Index(base, _) | ExprKind::Slice { base, .. } => stack.push(base),
                ExprKind::Let { value, body, .. } => stack.extend([value.as_ref(), body.as_ref()]),
                ExprKind::Null
                | ExprKind::Bool(_)
                | ExprKind::Number(_)
                | ExprKind::String(_)
                | ExprKind::Path { .. } => {}
            }
        }
        false
    }
}
