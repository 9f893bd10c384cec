//! Compiles a checked field-map expression to a Rust expression over `serde_json::Value`.
//!
//! The generated code calls small, total helper functions in `switchboard_runtime::mapping` (`rt`): no
//! expression is interpreted at run time, and no helper panics on any input.

use proc_macro2::TokenStream;
use quote::quote;

use super::ast::{Expr, ExprKind, PathRoot, Step};
use super::types::{Ty, TyKind};

/// The Rust expression computing `expr`, with `record: &Value` in scope (and `el: &Value` inside
/// `map`/`filter` bodies). Its type is `serde_json::Value`.
///
/// `record` is the documented type of `$` when it is untrusted vendor data: a `$` path documented as a
/// string, number or boolean then yields null when the vendor sends another type, so a wrongly typed
/// vendor value never lands in a typed unified field. (Request maps read the unified input, which is
/// validated against its schema before any map runs.)
pub fn expr(e: &Expr, record: Option<&Ty>) -> TokenStream {
    Gen { record }.expr(e)
}

struct Gen<'a> {
    record: Option<&'a Ty>,
}

impl Gen<'_> {
    /// `e` as an owned `Value`.
    fn expr(&self, e: &Expr) -> TokenStream {
        match &e.kind {
            ExprKind::Null => quote!(rt::Value::Null),
            ExprKind::Bool(b) => quote!(rt::Value::Bool(#b)),
            ExprKind::Number(n) => quote!(rt::number(#n)),
            ExprKind::String(s) => quote!(rt::Value::String(#s.to_owned())),
            ExprKind::Path { .. } => {
                let read = self.borrowed(e);
                quote!(rt::Value::clone(#read))
            }
            ExprKind::Coalesce(a, b) => {
                let (a, b) = (self.expr(a), self.expr(b));
                quote!(rt::coalesce(#a, || #b))
            }
            ExprKind::Compare { equal, left, right } => {
                let (l, r) = (self.borrowed(left), self.borrowed(right));
                quote!(rt::Value::Bool((#l == #r) == #equal))
            }
            ExprKind::Object(entries) => {
                let inserts = entries.iter().map(|(k, v)| {
                    let v = self.expr(v);
                    quote!(m.insert(#k.to_owned(), #v);)
                });
                quote!({
                    let mut m = rt::Map::new();
                    #(#inserts)*
                    rt::Value::Object(m)
                })
            }
            ExprKind::Array(items) => {
                let items = items.iter().map(|i| self.expr(i));
                quote!(rt::Value::Array(Vec::from([#(#items),*])))
            }
            ExprKind::Call { name, args, .. } => self.call(name, args),
            ExprKind::Index(base, i) => {
                let base = self.borrowed(base);
                quote!(rt::index(#base, #i))
            }
            ExprKind::Slice { base, start, end } => {
                let base = self.borrowed(base);
                let (start, end) = (option(*start), option(*end));
                quote!(rt::slice(#base, #start, #end))
            }
            ExprKind::Let {
                name, value, body, ..
            } => {
                let var = var_ident(name);
                let (value, body) = (self.expr(value), self.expr(body));
                quote!({
                    let #var: rt::Value = #value;
                    #body
                })
            }
        }
    }

    /// `e` as a `&Value`: paths borrow from the record (nothing copied), literals are built once per
    /// process, anything else borrows a temporary.
    fn borrowed(&self, e: &Expr) -> TokenStream {
        match &e.kind {
            ExprKind::Null => quote!(&rt::NULL),
            ExprKind::Path { root, steps } => {
                let base = match root {
                    PathRoot::Record => quote!(record),
                    PathRoot::Element => quote!(el),
                    PathRoot::Var(name) => {
                        let var = var_ident(name);
                        quote!(&#var)
                    }
                };
                let tokens = steps.iter().map(|s| match s {
                    Step::Key(k, _) => quote!(rt::Step::Key(#k)),
                    Step::Index(i, _) => quote!(rt::Step::Index(#i)),
                });
                let read = quote!(rt::at(#base, &[#(#tokens),*]));
                let documented = match (root, self.record) {
                    (PathRoot::Record, Some(record)) => type_at(record, steps).map(|t| t.kind),
                    _ => None,
                };
                match documented {
                    Some(TyKind::String) => quote!(rt::only_string(#read)),
                    Some(TyKind::Number) => quote!(rt::only_number(#read)),
                    Some(TyKind::Bool) => quote!(rt::only_bool(#read)),
                    _ => read,
                }
            }
            _ if is_constant(e) => {
                let value = self.expr(e);
                quote!({
                    static CONSTANT: std::sync::LazyLock<rt::Value> =
                        std::sync::LazyLock::new(|| #value);
                    &*CONSTANT
                })
            }
            _ => {
                let value = self.expr(e);
                quote!(&#value)
            }
        }
    }

    fn call(&self, name: &str, args: &[Expr]) -> TokenStream {
        let f = proc_macro2::Ident::new(
            match name {
                // `if` is a Rust keyword; the helper is `if_`.
                "if" => "if_",
                other => other,
            },
            proc_macro2::Span::call_site(),
        );
        match (name, args) {
            ("map" | "filter", [list, body]) => {
                let (list, body) = (self.borrowed(list), self.expr(body));
                quote!(rt::#f(#list, |el: &rt::Value| #body))
            }
            ("concat", _) => {
                let args = args.iter().map(|a| self.expr(a));
                quote!(rt::concat(Vec::from([#(#args),*])))
            }
            ("if", [c, a, b]) => {
                let (c, a, b) = (self.borrowed(c), self.expr(a), self.expr(b));
                quote!(rt::if_(#c, || #a, || #b))
            }
            // `exists(trim(x))`, the usual "has a value" test, without building the trimmed string.
            ("exists", [inner]) if matches!(&inner.kind, ExprKind::Call { name, args, .. } if name == "trim" && args.len() == 1) =>
            {
                let ExprKind::Call { args, .. } = &inner.kind else {
                    unreachable!("matched above")
                };
                let text = self.borrowed(&args[0]);
                quote!(rt::has_text(#text))
            }
            // Keys written out in the map: a `match` instead of a scan of a list per entry.
            ("omit", [value, keys]) if string_literals(keys).is_some() => {
                let value = self.borrowed(value);
                let keys = string_literals(keys).unwrap_or_default();
                quote!(rt::omit_where(#value, |key: &str| matches!(key, #(#keys)|*)))
            }
            // The optional last argument, null when left out.
            ("lookup", [value, table]) => {
                let (value, table) = (self.borrowed(value), self.borrowed(table));
                quote!(rt::lookup(#value, #table, &rt::NULL))
            }
            ("round", [value]) => {
                let value = self.borrowed(value);
                quote!(rt::round(#value, &rt::NULL))
            }
            // These reshape their first argument in place: it is passed by value.
            ("compact" | "to_strings", [value]) => {
                let value = self.expr(value);
                quote!(rt::#f(#value))
            }
            _ => {
                let args = args.iter().map(|a| self.borrowed(a));
                quote!(rt::#f(#(#args),*))
            }
        }
    }
}

/// The Rust variable holding the value of the `let` name `name` (prefixed, so no name is a keyword).
fn var_ident(name: &str) -> proc_macro2::Ident {
    quote::format_ident!("v_{}", name)
}

/// `Some(n)` or `None` as tokens.
fn option(n: Option<i64>) -> TokenStream {
    match n {
        Some(n) => quote!(Some(#n)),
        None => quote!(None),
    }
}

/// The strings of an array literal made only of string literals (at least one).
fn string_literals(e: &Expr) -> Option<Vec<&str>> {
    let ExprKind::Array(items) = &e.kind else {
        return None;
    };
    let strings: Option<Vec<&str>> = items
        .iter()
        .map(|i| match &i.kind {
            ExprKind::String(s) => Some(s.as_str()),
            _ => None,
        })
        .collect();
    strings.filter(|s| !s.is_empty())
}

/// Whether `e` is made of literals only (its value is the same for every record).
fn is_constant(e: &Expr) -> bool {
    match &e.kind {
        ExprKind::Null | ExprKind::Bool(_) | ExprKind::Number(_) | ExprKind::String(_) => true,
        ExprKind::Array(items) => items.iter().all(is_constant),
        ExprKind::Object(entries) => entries.iter().all(|(_, v)| is_constant(v)),
        _ => false,
    }
}

/// The documented type at `steps` below `ty`, when the documentation says.
fn type_at(ty: &Ty, steps: &[Step]) -> Option<Ty> {
    let mut ty = ty.clone();
    for step in steps {
        ty = match (step, &ty.kind) {
            (Step::Key(k, _), TyKind::Object(Some(fields))) => fields.get(k)?.clone(),
            (Step::Key(k, _), TyKind::Open(fields, extra)) => {
                fields.get(k).cloned().unwrap_or_else(|| (**extra).clone())
            }
            (Step::Index(..), TyKind::Array(item)) => (**item).clone(),
            _ => return None,
        };
    }
    Some(ty)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mapping::parse::parse;

    /// The generated Rust for `text`, as source.
    fn rust(text: &str) -> String {
        let tokens = expr(&parse(text).expect("parses"), None);
        let parsed: syn::Expr =
            syn::parse2(tokens).expect("the generated code is a Rust expression");
        quote!(#parsed).to_string()
    }

    #[test]
    fn lets_bind_once_and_names_read_their_variable() {
        let code = rust("let parts = split($.name, ' ') in [parts[0], parts[-1], parts[1:]]");
        assert_eq!(code.matches("let v_parts").count(), 1, "{code}");
        assert_eq!(
            code.matches("rt :: split").count(),
            1,
            "computed once: {code}"
        );
        assert!(code.contains("rt :: at (& v_parts"), "{code}");
        assert!(code.contains("rt :: index"), "{code}");
        assert!(code.contains("rt :: slice"), "{code}");
        assert!(code.contains("Some (1i64) , None"), "{code}");
    }

    #[test]
    fn optional_arguments_default_to_null() {
        assert!(
            rust("round($.x)").starts_with("rt :: round (rt :: at (record"),
            "round"
        );
        assert!(rust("round($.x)").contains("& rt :: NULL"), "round");
        assert!(
            rust("lookup($.t, {a: 'b'})").contains("& rt :: NULL"),
            "lookup"
        );
        // The table is a constant: built once per process.
        assert!(
            rust("lookup($.t, {a: 'b'}, 'c')").contains("LazyLock"),
            "lookup"
        );
    }
}
