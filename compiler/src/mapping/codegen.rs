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
    fn expr(&self, e: &Expr) -> TokenStream {
        let expr = |e: &Expr| self.expr(e);
        let call = |name: &str, args: &[Expr]| self.call(name, args);
        match &e.kind {
            ExprKind::Null => quote!(rt::Value::Null),
            ExprKind::Bool(b) => quote!(rt::Value::Bool(#b)),
            ExprKind::Number(n) => quote!(rt::number(#n)),
            ExprKind::String(s) => quote!(rt::Value::String(#s.to_owned())),
            ExprKind::Path { root, steps } => {
                let base = match root {
                    PathRoot::Record => quote!(record),
                    PathRoot::Element => quote!(el),
                };
                let tokens = steps.iter().map(|s| match s {
                    Step::Key(k, _) => quote!(rt::Step::Key(#k)),
                    Step::Index(i, _) => quote!(rt::Step::Index(#i)),
                });
                let path = quote!(rt::path(#base, &[#(#tokens),*]));
                let documented = match (root, self.record) {
                    (PathRoot::Record, Some(record)) => type_at(record, steps).map(|t| t.kind),
                    _ => None,
                };
                match documented {
                    Some(TyKind::String) => quote!(rt::only_string(#path)),
                    Some(TyKind::Number) => quote!(rt::only_number(#path)),
                    Some(TyKind::Bool) => quote!(rt::only_bool(#path)),
                    _ => path,
                }
            }
            ExprKind::Coalesce(a, b) => {
                let (a, b) = (expr(a), expr(b));
                quote!(rt::coalesce(#a, || #b))
            }
            ExprKind::Compare { equal, left, right } => {
                let (l, r) = (expr(left), expr(right));
                quote!(rt::Value::Bool((#l == #r) == #equal))
            }
            ExprKind::Object(entries) => {
                let inserts = entries.iter().map(|(k, v)| {
                    let v = expr(v);
                    quote!(m.insert(#k.to_owned(), #v);)
                });
                quote!({
                    let mut m = rt::Map::new();
                    #(#inserts)*
                    rt::Value::Object(m)
                })
            }
            ExprKind::Array(items) => {
                let items = items.iter().map(expr);
                quote!(rt::Value::Array(Vec::from([#(#items),*])))
            }
            ExprKind::Call { name, args, .. } => call(name, args),
        }
    }

    fn call(&self, name: &str, args: &[Expr]) -> TokenStream {
        let expr = |e: &Expr| self.expr(e);
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
                let (list, body) = (expr(list), expr(body));
                quote!(rt::#f(&#list, |el: &rt::Value| #body))
            }
            ("concat", _) => {
                let args = args.iter().map(expr);
                quote!(rt::concat(Vec::from([#(#args),*])))
            }
            ("if", [c, a, b]) => {
                let (c, a, b) = (expr(c), expr(a), expr(b));
                quote!(rt::if_(&#c, || #a, || #b))
            }
            _ => {
                let args = args.iter().map(|a| {
                    let a = expr(a);
                    quote!(&#a)
                });
                quote!(rt::#f(#(#args),*))
            }
        }
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
