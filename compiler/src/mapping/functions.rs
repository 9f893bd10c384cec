//! The field-map function library: every function's name, arity, argument types, result type and a
//! one-line example (the authoring guide lists them from here).

use super::types::{Ty, TyKind};

/// How a function's second argument is evaluated.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scope {
    /// All arguments are evaluated in the caller's scope.
    Plain,
    /// The second argument is evaluated once per element of the first (an array), with `@` = the element.
    PerElement,
}

/// One library function.
#[derive(Debug)]
pub struct Function {
    /// Name as written in expressions.
    pub name: &'static str,
    /// Fewest arguments.
    pub min_args: usize,
    /// Most arguments (`usize::MAX` for variadic).
    pub max_args: usize,
    /// How arguments are scoped.
    pub scope: Scope,
    /// What it does.
    pub doc: &'static str,
    /// An example, input and output.
    pub example: &'static str,
}

macro_rules! functions {
    ($($name:literal, $min:expr, $max:expr, $scope:ident, $doc:literal, $example:literal;)*) => {
        /// Every function, sorted by name.
        pub const ALL: &[Function] = &[$(Function {
            name: $name, min_args: $min, max_args: $max, scope: Scope::$scope, doc: $doc, example: $example,
        }),*];
    };
}

functions! {
    "compact", 1, 1, Plain, "Drops empty values (null, '', [] and {}) from an array, or the keys holding them from an object.",
        "compact(['a', null, '', {}]) → ['a']";
    "concat", 2, usize::MAX, Plain, "Joins arrays into one array, or strings into one string.",
        "concat([1], [2, 3]) → [1, 2, 3]";
    "date", 1, 1, Plain, "A calendar date `YYYY-MM-DD` from a date or a timestamp (a timestamp's UTC date); null if unreadable.",
        "date('2024-03-31T22:30:00-04:00') → '2024-04-01'";
    "datetime", 1, 1, Plain, "Normalizes a timestamp (RFC 3339 with any offset, `+0000` offsets, epoch milliseconds) to RFC 3339 UTC; null if unreadable.",
        "datetime('2021-12-02T18:22:42.000+0000') → '2021-12-02T18:22:42Z'";
    "entries", 1, 1, Plain, "An object's entries as a list of `{key, value}` (keys in order): turn a map of custom fields into the array a vendor wants.",
        "entries({a: 1}) → [{key: 'a', value: 1}]";
    "exists", 1, 1, Plain, "True when the value is present and not null.",
        "exists($.email) → true";
    "filter", 2, 2, PerElement, "Keeps the elements for which the expression (with `@` = element) is true.",
        "filter($.phones, @.number != null)";
    "from_entries", 1, 1, Plain, "An object from a list of `{key, value}` (keys as strings; later ones win; others skipped): an array of custom fields as a map.",
        "from_entries(map($.custom_fields, {key: to_string(@.id), value: @.value}))";
    "first", 1, 1, Plain, "The first element of an array, or null.",
        "first(['a', 'b']) → 'a'";
    "host", 1, 1, Plain, "The lower-cased host of a URL or bare domain, without scheme, port, path or a leading `www.`; null if none.",
        "host('https://www.Example.com/about') → 'example.com'";
    "if", 3, 3, Plain, "The second argument when the first is true (not null, false, 0 or ''), else the third.",
        "if($.is_active, 'active', 'inactive')";
    "join", 2, 2, Plain, "Joins an array of strings with a separator, skipping nulls.",
        "join(['a', 'b'], ';') → 'a;b'";
    "last", 1, 1, Plain, "The last element of an array, or null.",
        "last(split('Ann Marie Lee', ' ')) → 'Lee'";
    "lookup", 2, 3, Plain, "Looks a value up in a table of literal keys (the value as a string); the third argument, or null, when it is not there.",
        "lookup($.label, {work: 'work', mobile: 'mobile', home: 'home'}, 'other')";
    "lower", 1, 1, Plain, "Lower-cases a string.",
        "lower('Ann@Example.com') → 'ann@example.com'";
    "map", 2, 2, PerElement, "Maps every element with the expression (`@` = element).",
        "map(split($.tags, ';'), trim(@))";
    "not", 1, 1, Plain, "True when the value is false, null, 0 or ''.",
        "not($.archived)";
    "omit", 2, 2, Plain, "The object without the listed keys: use it to collect custom fields.",
        "omit($.properties, ['firstname', 'lastname'])";
    "replace", 3, 3, Plain, "Replaces every occurrence of a text (not a pattern) in a string.",
        "replace('+1 (555) 010-0199', ' ', '') → '+1(555)010-0199'";
    "round", 1, 2, Plain, "Rounds a number to a number of decimals (default 0), halves away from zero; null if not a number.",
        "round(2.345, 2) → 2.35";
    "split", 2, 2, Plain, "Splits a string by a separator, trimming parts and dropping empty ones.",
        "split('a; b;', ';') → ['a', 'b']";
    "to_boolean", 1, 1, Plain, "Converts 'true'/'false', 1/0 and booleans; null otherwise.",
        "to_boolean('true') → true";
    "to_integer", 1, 1, Plain, "Converts whole numbers and whole numeric strings to integers; null otherwise (never rounds).",
        "to_integer('120.0') → 120";
    "to_number", 1, 1, Plain, "Converts numeric strings and numbers (whole values written as integers, so 5000.0 and '5000' agree); null otherwise.",
        "to_number('42.5') → 42.5";
    "to_string", 1, 1, Plain, "Converts numbers and booleans to strings; strings stay; null stays null.",
        "to_string(42) → '42'";
    "to_strings", 1, 1, Plain, "Every value of an object as a string (numbers and booleans converted; nulls, arrays and objects dropped): typed custom fields in one shape.",
        "to_strings({a: 1, b: true, c: null}) → {a: '1', b: 'true'}";
    "trim", 1, 1, Plain, "Removes leading and trailing whitespace; an empty result becomes null.",
        "trim('  Ann ') → 'Ann'";
    "upper", 1, 1, Plain, "Upper-cases a string.",
        "upper('us') → 'US'";
    "with_pattern", 2, 2, Plain, "The object's keys that match a regular expression (a string literal): custom fields named by a hash.",
        "with_pattern($, '^[0-9a-f]{40}$')";
    "with_prefix", 2, 2, Plain, "The object's keys that start with a prefix.",
        "with_prefix($, 'custom.')";
    "with_suffix", 2, 2, Plain, "The object's keys that end with a suffix: Salesforce custom fields end in `__c`.",
        "with_suffix($, '__c')";
    "without_prefix", 2, 2, Plain, "The object's keys that start with a prefix, with the prefix taken off.",
        "without_prefix({'cf.size': 'L'}, 'cf.') → {size: 'L'}";
}

/// Looks a function up.
pub fn find(name: &str) -> Option<&'static Function> {
    ALL.iter().find(|f| f.name == name)
}

/// Argument expectations and result type of `name` applied to `args` (already typed). `Err` says which
/// argument is wrong and why.
pub fn result_type(name: &str, args: &[Ty]) -> Result<Ty, (usize, String)> {
    let string = Ty::of(TyKind::String);
    let any_object = Ty::of(TyKind::Object(None));
    let need = |i: usize, want: &Ty, what: &str| -> Result<(), (usize, String)> {
        match args.get(i) {
            Some(t) if t.fits(want) => Ok(()),
            Some(t) => Err((i, format!("`{name}` expects {what} here, found {t}"))),
            None => Ok(()),
        }
    };
    let nullable = |t: TyKind| Ty::of(t).nullable();
    match name {
        "trim" | "lower" | "upper" | "host" => {
            need(0, &string, "a string")?;
            Ok(nullable(TyKind::String))
        }
        "split" => {
            need(0, &string, "a string")?;
            need(1, &string, "a string separator")?;
            Ok(Ty::of(TyKind::Array(Box::new(Ty::of(TyKind::String)))))
        }
        "join" => {
            need(
                0,
                &Ty::of(TyKind::Array(Box::new(string.clone()))),
                "an array of strings",
            )?;
            need(1, &string, "a string separator")?;
            Ok(nullable(TyKind::String))
        }
        "to_number" | "to_integer" => Ok(nullable(TyKind::Number)),
        "to_strings" => {
            need(0, &any_object, "an object")?;
            Ok(Ty::of(TyKind::Object(None)))
        }
        "to_string" | "datetime" | "date" => Ok(nullable(TyKind::String)),
        "to_boolean" => Ok(nullable(TyKind::Bool)),
        "exists" | "not" => Ok(Ty::of(TyKind::Bool)),
        "concat" => {
            let all_strings = args
                .iter()
                .all(|t| matches!(t.kind, TyKind::String | TyKind::Null));
            if all_strings {
                return Ok(Ty::of(TyKind::String));
            }
            let mut element: Option<Ty> = None;
            for (i, t) in args.iter().enumerate() {
                match &t.kind {
                    TyKind::Array(e) => {
                        element = Some(match element {
                            None => (**e).clone(),
                            Some(prev) if e.fits(&prev) => prev,
                            Some(prev) if prev.fits(e) => (**e).clone(),
                            Some(prev) => {
                                return Err((
                                    i,
                                    format!(
                                        "`concat` joins arrays of one element type: {prev} and {e} differ"
                                    ),
                                ));
                            }
                        });
                    }
                    TyKind::Any | TyKind::Null => {}
                    _ => return Err((i, format!("`concat` joins arrays or strings, found {t}"))),
                }
            }
            Ok(Ty::of(TyKind::Array(Box::new(
                element.unwrap_or_else(Ty::any),
            ))))
        }
        "omit" => {
            need(0, &any_object, "an object")?;
            need(
                1,
                &Ty::of(TyKind::Array(Box::new(string))),
                "an array of key names",
            )?;
            Ok(Ty::of(TyKind::Object(None)))
        }
        "entries" => {
            need(0, &any_object, "an object")?;
            let value = match args.first().map(|t| &t.kind) {
                Some(TyKind::Open(_, extra)) => (**extra).clone(),
                _ => Ty::any(),
            };
            Ok(Ty::of(TyKind::Array(Box::new(Ty::of(TyKind::Object(
                Some(
                    [
                        ("key".to_owned(), string.clone()),
                        ("value".to_owned(), value),
                    ]
                    .into(),
                ),
            ))))))
        }
        "from_entries" => match args.first().map(|t| &t.kind) {
            Some(TyKind::Array(_) | TyKind::Any | TyKind::Null) | None => {
                Ok(Ty::of(TyKind::Object(None)))
            }
            Some(_) => Err((
                0,
                "`from_entries` takes an array of `{key, value}`".to_owned(),
            )),
        },
        "with_suffix" | "with_prefix" | "without_prefix" | "with_pattern" => {
            need(0, &any_object, "an object")?;
            need(1, &string, "a string")?;
            Ok(Ty::of(TyKind::Object(None)))
        }
        "replace" => {
            need(0, &string, "a string")?;
            need(1, &string, "the text to replace")?;
            need(2, &string, "the replacement text")?;
            Ok(nullable(TyKind::String))
        }
        "round" => {
            need(0, &Ty::of(TyKind::Number), "a number")?;
            need(1, &Ty::of(TyKind::Number), "a whole number of decimals")?;
            Ok(nullable(TyKind::Number))
        }
        "lookup" => {
            let Some(TyKind::Object(Some(table))) = args.get(1).map(|t| &t.kind) else {
                return Err((
                    1,
                    "`lookup` takes a table written out: `{key: value, …}`".to_owned(),
                ));
            };
            let mut result: Option<Ty> = None;
            for t in table.values().chain(args.get(2)) {
                if matches!(t.kind, TyKind::Null) {
                    continue;
                }
                result = Some(match result {
                    None => t.clone(),
                    Some(prev) if t.fits(&prev) => prev,
                    Some(prev) if prev.fits(t) => t.clone(),
                    Some(prev) => {
                        let at = if args.get(2).is_some_and(|d| d == t) {
                            2
                        } else {
                            1
                        };
                        return Err((
                            at,
                            format!("`lookup` values must have one type: {prev} and {t} differ"),
                        ));
                    }
                });
            }
            let result = result.unwrap_or_else(Ty::any);
            // Null unless a non-null default covers every missing key.
            let covered = args
                .get(2)
                .is_some_and(|d| !d.nullable && d.kind != TyKind::Null);
            Ok(Ty {
                nullable: !covered,
                ..result
            })
        }
        "last" => match args.first().map(|t| &t.kind) {
            Some(TyKind::Array(e)) => Ok((**e).clone().nullable()),
            Some(TyKind::Any) | None => Ok(Ty::any()),
            Some(_) => Err((0, "`last` takes an array".to_owned())),
        },
        "compact" => match args.first().map(|t| &t.kind) {
            Some(TyKind::Array(_) | TyKind::Object(_) | TyKind::Open(..) | TyKind::Any) => {
                Ok(args[0].clone())
            }
            Some(_) => Err((0, "`compact` takes an array or an object".to_owned())),
            None => Ok(Ty::any()),
        },
        "first" => match args.first().map(|t| &t.kind) {
            Some(TyKind::Array(e)) => Ok((**e).clone().nullable()),
            Some(TyKind::Any) | None => Ok(Ty::any()),
            Some(_) => Err((0, "`first` takes an array".to_owned())),
        },
        "if" => {
            let (a, b) = (
                args.get(1).cloned().unwrap_or_else(Ty::any),
                args.get(2).cloned().unwrap_or_else(Ty::any),
            );
            if b.fits(&a) {
                Ok(Ty {
                    nullable: a.nullable || b.nullable,
                    ..a
                })
            } else if a.fits(&b) {
                Ok(Ty {
                    nullable: a.nullable || b.nullable,
                    ..b
                })
            } else {
                Err((
                    2,
                    format!("both branches of `if` must have one type: {a} and {b} differ"),
                ))
            }
        }
        // `map` and `filter` are typed by the checker, which knows the element scope.
        _ => Ok(Ty::any()),
    }
}
