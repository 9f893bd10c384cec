//! Type checking of field-map expressions against the documented vendor schema.

use super::ast::{Expr, ExprKind, PathRoot, Range, Step};
use super::functions::{self, Scope};
use super::types::{Ty, TyKind};
use crate::diagnostic::did_you_mean;

/// What kind of mistake a type error is (each becomes a coded diagnostic).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TypeErrorKind {
    /// A function the library does not have.
    UnknownFunction,
    /// Too few or too many arguments.
    Arity,
    /// An argument of the wrong type.
    ArgumentType,
    /// A path into a field the documented schema does not have.
    UnknownField,
    /// `@` outside `map`/`filter`.
    ElementOutsideScope,
    /// A name no enclosing `let` binds.
    UnknownName,
    /// An undocumented key of an open object that looks like a misspelled documented one (a warning:
    /// the key may be a real custom field).
    NearMiss,
}

impl TypeErrorKind {
    /// Whether the finding is only a warning: the expression still types.
    pub fn is_warning(self) -> bool {
        self == Self::NearMiss
    }
}

/// A type error in one expression.
#[derive(Clone, Debug, PartialEq)]
pub struct TypeError {
    /// Which mistake.
    pub kind: TypeErrorKind,
    /// Where in the expression text.
    pub range: Range,
    /// What is wrong.
    pub message: String,
    /// What to do.
    pub help: Option<String>,
}

/// Types `expr` with `$` of type `record`, which messages call `record_name` ("the documented vendor
/// record", "the unified contact"); returns its type and every error found.
pub fn check(expr: &Expr, record: &Ty, record_name: &str) -> (Ty, Vec<TypeError>) {
    check_with_names(expr, record, record_name, Vec::new())
}

/// [`check`] with names already bound (an update map's `current`).
pub fn check_with_names(
    expr: &Expr,
    record: &Ty,
    record_name: &str,
    names: Vec<(String, Ty)>,
) -> (Ty, Vec<TypeError>) {
    let mut errors = Vec::new();
    let ty = Checker {
        record,
        record_name,
        names,
        errors: &mut errors,
    }
    .expr(expr, None);
    (ty, errors)
}

struct Checker<'a> {
    record: &'a Ty,
    record_name: &'a str,
    /// The `let` bindings in scope, innermost last.
    names: Vec<(String, Ty)>,
    errors: &'a mut Vec<TypeError>,
}

impl Checker<'_> {
    fn expr(&mut self, expr: &Expr, element: Option<&Ty>) -> Ty {
        match &expr.kind {
            ExprKind::Null => Ty::of(TyKind::Null),
            ExprKind::Bool(_) => Ty::of(TyKind::Bool),
            ExprKind::Number(_) => Ty::of(TyKind::Number),
            ExprKind::String(_) => Ty::of(TyKind::String),
            ExprKind::Path { root, steps } => {
                let start = match root {
                    PathRoot::Record => self.record.clone(),
                    PathRoot::Element => match element {
                        Some(t) => t.clone(),
                        None => {
                            self.errors.push(TypeError {
                                kind: TypeErrorKind::ElementOutsideScope,
                                range: expr.range,
                                message: "`@` is only defined inside `map` and `filter`".to_owned(),
                                help: Some("use `$` for the record".to_owned()),
                            });
                            return Ty::any();
                        }
                    },
                    PathRoot::Var(name) => match self.names.iter().rev().find(|(n, _)| n == name) {
                        Some((_, t)) => t.clone(),
                        None => {
                            let help = did_you_mean(
                                    name,
                                    self.names.iter().map(|(n, _)| n.as_str()),
                                )
                                .map(|s| format!("did you mean `{s}`?"))
                                .unwrap_or_else(|| {
                                    "paths start with `$` (the record) or `@` (the element); names come from `let name = value in …`; functions are called with `(…)`".to_owned()
                                });
                            self.errors.push(TypeError {
                                kind: TypeErrorKind::UnknownName,
                                range: Range {
                                    start: expr.range.start,
                                    end: expr.range.start + name.len(),
                                },
                                message: format!("`{name}` is not defined here"),
                                help: Some(help),
                            });
                            return Ty::any();
                        }
                    },
                };
                self.path(start, steps)
            }
            ExprKind::Let {
                name, value, body, ..
            } => {
                let t = self.expr(value, element);
                self.names.push((name.clone(), t));
                let out = self.expr(body, element);
                self.names.pop();
                out
            }
            ExprKind::Index(base, _) => {
                let t = self.expr(base, element);
                match &t.kind {
                    TyKind::Array(item) => (**item).clone().nullable(),
                    TyKind::Any | TyKind::Null => Ty::any(),
                    _ => {
                        self.errors.push(TypeError {
                            kind: TypeErrorKind::ArgumentType,
                            range: expr.range,
                            message: format!("only arrays can be indexed, found {t}"),
                            help: Some("`split` a delimited string first".to_owned()),
                        });
                        Ty::any()
                    }
                }
            }
            ExprKind::Slice { base, .. } => {
                let t = self.expr(base, element);
                match &t.kind {
                    TyKind::Array(_) | TyKind::Any | TyKind::Null => Ty {
                        nullable: false,
                        ..t
                    },
                    _ => {
                        self.errors.push(TypeError {
                            kind: TypeErrorKind::ArgumentType,
                            range: expr.range,
                            message: format!("only arrays can be sliced, found {t}"),
                            help: Some("`split` a delimited string first".to_owned()),
                        });
                        Ty::any()
                    }
                }
            }
            ExprKind::Coalesce(a, b) => {
                let (ta, tb) = (self.expr(a, element), self.expr(b, element));
                if matches!(ta.kind, TyKind::Null) {
                    return tb;
                }
                if !tb.fits(&ta) && !ta.fits(&tb) {
                    self.errors.push(TypeError {
                        kind: TypeErrorKind::ArgumentType,
                        range: b.range,
                        message: format!(
                            "both sides of `??` must have one type: {ta} and {tb} differ"
                        ),
                        help: Some("convert one side, e.g. with `to_string(...)`".to_owned()),
                    });
                }
                Ty {
                    nullable: tb.nullable,
                    ..ta
                }
            }
            ExprKind::Compare { left, right, .. } => {
                self.expr(left, element);
                self.expr(right, element);
                Ty::of(TyKind::Bool)
            }
            ExprKind::Object(entries) => Ty::of(TyKind::Object(Some(
                entries
                    .iter()
                    .map(|(k, v)| (k.clone(), self.expr(v, element)))
                    .collect(),
            ))),
            ExprKind::Array(items) => {
                let mut element_ty: Option<Ty> = None;
                for item in items {
                    let t = self.expr(item, element);
                    element_ty = Some(match element_ty {
                        None => t,
                        Some(prev) if t.fits(&prev) => Ty {
                            nullable: prev.nullable || t.nullable,
                            ..prev
                        },
                        Some(prev) if prev.fits(&t) => Ty {
                            nullable: prev.nullable || t.nullable,
                            ..t
                        },
                        Some(prev) => {
                            self.errors.push(TypeError {
                                kind: TypeErrorKind::ArgumentType,
                                range: item.range,
                                message: format!(
                                    "array elements must have one type: {prev} and {t} differ"
                                ),
                                help: None,
                            });
                            prev
                        }
                    });
                }
                Ty::of(TyKind::Array(Box::new(element_ty.unwrap_or_else(Ty::any))))
            }
            ExprKind::Call {
                name,
                name_range,
                args,
            } => self.call(name, *name_range, args, expr.range, element),
        }
    }

    fn call(
        &mut self,
        name: &str,
        name_range: Range,
        args: &[Expr],
        range: Range,
        element: Option<&Ty>,
    ) -> Ty {
        let Some(function) = functions::find(name) else {
            let help = did_you_mean(name, functions::ALL.iter().map(|f| f.name))
                .map(|s| format!("did you mean `{s}`?"));
            self.errors.push(TypeError {
                kind: TypeErrorKind::UnknownFunction,
                range: name_range,
                message: format!("unknown function `{name}`"),
                help: help
                    .or_else(|| Some("the functions are listed in docs/authoring.md".to_owned())),
            });
            for a in args {
                self.expr(a, element);
            }
            return Ty::any();
        };
        if args.len() < function.min_args || args.len() > function.max_args {
            let expected = match (function.min_args, function.max_args) {
                (a, b) if a == b => format!("{a}"),
                (a, usize::MAX) => format!("at least {a}"),
                (a, b) => format!("{a} to {b}"),
            };
            self.errors.push(TypeError {
                kind: TypeErrorKind::Arity,
                range,
                message: format!(
                    "`{name}` takes {expected} argument(s), found {}",
                    args.len()
                ),
                help: Some(format!("example: {}", function.example)),
            });
            return Ty::any();
        }
        if function.scope == Scope::PerElement {
            let list = self.expr(&args[0], element);
            let item = match &list.kind {
                TyKind::Array(t) => (**t).clone(),
                TyKind::Any | TyKind::Null => Ty::any(),
                _ => {
                    self.errors.push(TypeError {
                        kind: TypeErrorKind::ArgumentType,
                        range: args[0].range,
                        message: format!("`{name}` expects an array, found {list}"),
                        help: Some(
                            "wrap a single value in `[...]`, or `split` a delimited string"
                                .to_owned(),
                        ),
                    });
                    Ty::any()
                }
            };
            let body = self.expr(&args[1], Some(&item));
            return match name {
                "map" => Ty::of(TyKind::Array(Box::new(body))),
                _ => Ty::of(TyKind::Array(Box::new(item))),
            };
        }
        if name == "with_pattern"
            && let Some(pattern) = args.get(1)
        {
            let compiles = match &pattern.kind {
                ExprKind::String(p) => regex::Regex::new(p).map_err(|e| e.to_string()),
                _ => Err("the pattern must be a string literal".to_owned()),
            };
            if let Err(why) = compiles {
                self.errors.push(TypeError {
                    kind: TypeErrorKind::ArgumentType,
                    range: pattern.range,
                    message: format!(
                        "`with_pattern` takes a regular expression written out: {}",
                        why.lines().last().unwrap_or_default().trim()
                    ),
                    help: Some(format!("example: {}", function.example)),
                });
            }
        }
        let typed: Vec<Ty> = args.iter().map(|a| self.expr(a, element)).collect();
        match functions::result_type(name, &typed) {
            Ok(t) => t,
            Err((i, message)) => {
                self.errors.push(TypeError {
                    kind: TypeErrorKind::ArgumentType,
                    range: args.get(i).map_or(range, |a| a.range),
                    message,
                    help: Some(format!("example: {}", function.example)),
                });
                Ty::any()
            }
        }
    }

    fn path(&mut self, start: Ty, steps: &[Step]) -> Ty {
        let mut ty = start;
        for step in steps {
            ty = match (step, &ty.kind) {
                (_, TyKind::Any) => return Ty::any(),
                (Step::Key(key, range), TyKind::Object(Some(fields))) => match fields.get(key) {
                    Some(t) => t.clone().nullable(),
                    None => {
                        let help = did_you_mean(key, fields.keys().map(String::as_str))
                            .map(|s| format!("did you mean `{s}`?"))
                            .or_else(|| {
                                Some(format!(
                                    "the fields here are {}",
                                    crate::diagnostic::list_names(
                                        fields.keys().map(String::as_str)
                                    )
                                ))
                            });
                        self.errors.push(TypeError {
                            kind: TypeErrorKind::UnknownField,
                            range: *range,
                            message: format!("{} has no field `{key}` here", self.record_name),
                            help,
                        });
                        return Ty::any();
                    }
                },
                (Step::Key(..), TyKind::Object(None)) => Ty::any(),
                (Step::Key(key, range), TyKind::Open(fields, extra)) => match fields.get(key) {
                    Some(t) => t.clone().nullable(),
                    None => {
                        if let Some(near) = did_you_mean(key, fields.keys().map(String::as_str)) {
                            self.errors.push(TypeError {
                                kind: TypeErrorKind::NearMiss,
                                range: *range,
                                message: format!(
                                    "`{key}` is not a documented field of {} here, and looks like a misspelling of `{near}`",
                                    self.record_name
                                ),
                                help: Some(format!(
                                    "did you mean `{near}`? If `{key}` is a real custom field, document it next to `{near}`"
                                )),
                            });
                        }
                        (**extra).clone().nullable()
                    }
                },
                (Step::Index(..), TyKind::Array(item)) => (**item).clone().nullable(),
                (step, other) => {
                    let (what, range) = match step {
                        Step::Key(key, range) => (format!("field `{key}`"), *range),
                        Step::Index(i, range) => (format!("index [{i}]"), *range),
                    };
                    self.errors.push(TypeError {
                        kind: TypeErrorKind::UnknownField,
                        range,
                        message: format!("cannot take {what} of {}", Ty::of(other.clone())),
                        help: None,
                    });
                    return Ty::any();
                }
            };
        }
        ty
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mapping::parse::parse;
    use std::collections::BTreeMap;

    fn record() -> Ty {
        let props: BTreeMap<String, Ty> = [
            ("firstname".to_owned(), Ty::of(TyKind::String).nullable()),
            (
                "hs_additional_emails".to_owned(),
                Ty::of(TyKind::String).nullable(),
            ),
        ]
        .into();
        Ty::of(TyKind::Object(Some(
            [
                ("id".to_owned(), Ty::of(TyKind::String)),
                ("properties".to_owned(), Ty::of(TyKind::Object(Some(props)))),
            ]
            .into(),
        )))
    }

    fn errors(text: &str) -> Vec<TypeError> {
        check(&parse(text).expect("parses"), &record(), "the record").1
    }

    #[test]
    fn well_typed_maps_have_no_errors() {
        let (ty, errs) = check(
            &parse("concat([{email: $.properties.firstname, is_primary: true}], map(split($.properties.hs_additional_emails, ';'), {email: @, is_primary: false}))").expect("parses"),
            &record(),
            "the record",
        );
        assert_eq!(errs, vec![]);
        assert!(matches!(ty.kind, TyKind::Array(_)), "{ty}");
    }

    #[test]
    fn mistakes_are_found_with_hints() {
        let e = errors("$.properties.firstnme");
        assert_eq!(e[0].kind, TypeErrorKind::UnknownField);
        assert_eq!(e[0].help.as_deref(), Some("did you mean `firstname`?"));
        assert_eq!(
            errors("spilt($.id, ';')")[0].help.as_deref(),
            Some("did you mean `split`?")
        );
        assert_eq!(errors("trim($.id, 'x')")[0].kind, TypeErrorKind::Arity);
        assert_eq!(
            errors("lower(map(split($.id, ','), @))")[0].kind,
            TypeErrorKind::ArgumentType
        );
        assert_eq!(errors("@.x")[0].kind, TypeErrorKind::ElementOutsideScope);
        let e = errors("let parts = split($.id, ' ') in prts[0]");
        assert_eq!(e[0].kind, TypeErrorKind::UnknownName);
        assert_eq!(e[0].help.as_deref(), Some("did you mean `parts`?"));
        assert_eq!(
            errors("properties.email")[0].kind,
            TypeErrorKind::UnknownName
        );
        assert_eq!(errors("$.id[0]")[0].kind, TypeErrorKind::UnknownField);
        assert_eq!(
            errors("trim($.id)[-1]")[0].kind,
            TypeErrorKind::ArgumentType
        );
    }

    #[test]
    fn lets_indexes_slices_and_the_new_functions_type() {
        let ty = |text: &str| {
            let (ty, errs) = check(&parse(text).expect("parses"), &record(), "the record");
            assert_eq!(errs, vec![], "{text}");
            ty.to_string()
        };
        assert_eq!(
            ty("let parts = split($.properties.firstname, ' ') in parts[-1]"),
            ty("first(split($.id, ' '))")
        );
        assert_eq!(ty("split($.id, ' ')[1:]"), ty("split($.id, ' ')"));
        assert_eq!(ty("last(split($.id, ' '))"), ty("first(split($.id, ' '))"));
        assert_eq!(ty("replace($.id, '-', '')"), ty("trim($.id)"));
        assert_eq!(
            ty("lookup($.id, {home: 'home', cell: 'mobile'}, 'other')"),
            Ty::of(TyKind::String).to_string()
        );
        assert_eq!(ty("round(to_number($.id), 2)"), ty("to_number($.id)"));
        assert_eq!(
            ty("with_prefix($.properties, 'hs_')"),
            ty("with_suffix($.properties, '__c')")
        );
        assert_eq!(
            ty("without_prefix($.properties, 'hs_')"),
            ty("with_suffix($.properties, '__c')")
        );
        // A name's value is computed once and shadowing works from the inside out.
        assert_eq!(
            ty("let a = 1 in let a = 'x' in a"),
            Ty::of(TyKind::String).to_string()
        );
    }

    #[test]
    fn update_maps_read_current_as_the_unified_record() {
        let unified = Ty::of(TyKind::Object(Some(
            [
                ("first_name".to_owned(), Ty::of(TyKind::String).nullable()),
                ("last_name".to_owned(), Ty::of(TyKind::String).nullable()),
            ]
            .into(),
        )));
        let text = "if(exists(concat($.first_name ?? '', $.last_name ?? '')), \
                    trim(concat($.first_name ?? current.first_name ?? '', ' ', $.last_name ?? current.last_name ?? '')), null)";
        let expr = parse(text).expect("parses");
        assert!(expr.reads_name(crate::mapping::CURRENT));
        let names = vec![(crate::mapping::CURRENT.to_owned(), unified.clone())];
        let (ty, errs) = check_with_names(&expr, &unified, "the unified contact", names.clone());
        assert_eq!(errs, vec![]);
        assert_eq!(ty.kind, TyKind::String);
        // A misspelled field of `current` is found like one of `$`.
        let (_, errs) = check_with_names(
            &parse("current.frist_name").expect("parses"),
            &unified,
            "the unified contact",
            names,
        );
        assert_eq!(errs[0].kind, TypeErrorKind::UnknownField);
        // Outside update maps `current` is not defined.
        assert_eq!(
            errors("current.first_name")[0].kind,
            TypeErrorKind::UnknownName
        );
    }

    #[test]
    fn patterns_are_literal_regular_expressions_that_compile() {
        assert_eq!(
            errors("with_pattern($.properties, '^[0-9a-f]{40}$')"),
            vec![]
        );
        let e = errors("with_pattern($.properties, '(')");
        assert_eq!(e[0].kind, TypeErrorKind::ArgumentType);
        assert!(
            e[0].message.contains("regular expression"),
            "{}",
            e[0].message
        );
        assert_eq!(
            errors("with_pattern($.properties, $.id)")[0].kind,
            TypeErrorKind::ArgumentType
        );
    }

    #[test]
    fn lookup_tables_must_be_objects_of_one_type() {
        assert_eq!(
            errors("lookup($.id, {a: 'x', b: 1})")[0].kind,
            TypeErrorKind::ArgumentType
        );
        assert_eq!(
            errors("lookup($.id, 'x')")[0].kind,
            TypeErrorKind::ArgumentType
        );
        assert_eq!(
            errors("lookup($.id, {a: 'x'}, 2)")[0].kind,
            TypeErrorKind::ArgumentType
        );
    }
}
