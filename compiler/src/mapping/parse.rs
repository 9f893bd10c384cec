//! Lexer and recursive-descent parser for field-map expressions.
//!
//! Grammar (whitespace between tokens is free):
//! ```text
//! expr     = "let" name "=" expr "in" expr | coalesce
//! coalesce = compare ( "??" compare )*
//! compare  = postfix ( ( "==" | "!=" ) postfix )?
//! postfix  = primary ( "[" int "]" | "[" [ int ] ":" [ int ] "]" )*      int may be negative
//! primary  = literal | path | call | object | array | "(" expr ")"
//! path     = ( "$" | "@" | name ) ( "." key | "[" integer "]" | "[" string "]" )*
//! call     = ident "(" [ expr ( "," expr )* ] ")"
//! object   = "{" [ key ":" expr ( "," key ":" expr )* ] "}"
//! array    = "[" [ expr ( "," expr )* ] "]"
//! literal  = string | number | "true" | "false" | "null"
//! key      = ident | string
//! name     = ident, not one of let, in, null, true, false
//! ```
//! Strings use single or double quotes with `\` escapes. Nesting is bounded, so hostile input cannot
//! overflow the stack.

use super::ast::{Expr, ExprKind, PathRoot, Range, Step};

/// Deepest nesting of brackets and calls accepted.
const MAX_DEPTH: usize = 64;

/// Words that cannot name a `let` binding.
const KEYWORDS: [&str; 5] = ["let", "in", "null", "true", "false"];

/// A syntax error: where and what.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SyntaxError {
    /// Where in the expression text.
    pub range: Range,
    /// What was expected or found.
    pub message: String,
}

/// Parses one expression; the whole text must be consumed.
pub fn parse(text: &str) -> Result<Expr, SyntaxError> {
    let mut p = Parser {
        text,
        pos: 0,
        depth: 0,
    };
    let expr = p.expr()?;
    p.skip_ws();
    if p.pos < text.len() {
        return Err(p.error_here(format!(
            "unexpected `{}` after the expression",
            p.rest_token()
        )));
    }
    Ok(expr)
}

struct Parser<'a> {
    text: &'a str,
    pos: usize,
    depth: usize,
}

impl Parser<'_> {
    fn expr(&mut self) -> Result<Expr, SyntaxError> {
        self.enter()?;
        self.skip_ws();
        if self.at_keyword("let") {
            let bound = self.let_binding();
            self.depth -= 1;
            return bound;
        }
        let mut left = self.compare()?;
        loop {
            self.skip_ws();
            if !self.eat("??") {
                break;
            }
            let right = self.compare()?;
            let range = Range {
                start: left.range.start,
                end: right.range.end,
            };
            left = Expr {
                kind: ExprKind::Coalesce(Box::new(left), Box::new(right)),
                range,
            };
        }
        self.depth -= 1;
        Ok(left)
    }

    /// `let name = value in body`, at `let`.
    fn let_binding(&mut self) -> Result<Expr, SyntaxError> {
        let start = self.pos;
        self.pos += "let".len();
        self.skip_ws();
        let name_start = self.pos;
        if !self
            .peek()
            .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        {
            return Err(self.error_here("expected a name after `let`".to_owned()));
        }
        let name = self.ident();
        let name_range = Range {
            start: name_start,
            end: self.pos,
        };
        if KEYWORDS.contains(&name.as_str()) {
            return Err(SyntaxError {
                range: name_range,
                message: format!("`{name}` is a keyword, not a name"),
            });
        }
        self.expect("=")?;
        let value = self.expr()?;
        self.skip_ws();
        if !self.at_keyword("in") {
            return Err(self.error_here(format!(
                "expected `in` after the value of `{name}` (let {name} = … in …)"
            )));
        }
        self.pos += "in".len();
        let body = self.expr()?;
        Ok(Expr {
            range: Range {
                start,
                end: body.range.end,
            },
            kind: ExprKind::Let {
                name,
                name_range,
                value: Box::new(value),
                body: Box::new(body),
            },
        })
    }

    /// Whether the word `word` (not a prefix of a longer name) is next.
    fn at_keyword(&self, word: &str) -> bool {
        self.text[self.pos..].starts_with(word)
            && !self.text[self.pos + word.len()..]
                .chars()
                .next()
                .is_some_and(|c| c.is_ascii_alphanumeric() || c == '_')
    }

    fn compare(&mut self) -> Result<Expr, SyntaxError> {
        let left = self.postfix()?;
        self.skip_ws();
        let equal = if self.eat("==") {
            true
        } else if self.eat("!=") {
            false
        } else {
            return Ok(left);
        };
        let right = self.postfix()?;
        let range = Range {
            start: left.range.start,
            end: right.range.end,
        };
        Ok(Expr {
            kind: ExprKind::Compare {
                equal,
                left: Box::new(left),
                right: Box::new(right),
            },
            range,
        })
    }

    /// A primary followed by any number of `[i]` and `[a:b]`.
    fn postfix(&mut self) -> Result<Expr, SyntaxError> {
        let mut base = self.primary()?;
        loop {
            self.skip_ws();
            if self.peek() != Some('[') {
                return Ok(base);
            }
            self.enter()?;
            self.pos += 1;
            let first = self.opt_int()?;
            self.skip_ws();
            let kind = if self.eat(":") {
                let end = self.opt_int()?;
                ExprKind::Slice {
                    base: Box::new(base),
                    start: first,
                    end,
                }
            } else {
                let Some(index) = first else {
                    return Err(self.error_here(
                        "expected an index (`[0]`, `[-1]`) or a slice (`[1:]`, `[:-1]`)".to_owned(),
                    ));
                };
                ExprKind::Index(Box::new(base), index)
            };
            self.expect("]")?;
            self.depth -= 1;
            let start = match &kind {
                ExprKind::Slice { base, .. } | ExprKind::Index(base, _) => base.range.start,
                _ => self.pos,
            };
            base = Expr {
                kind,
                range: Range {
                    start,
                    end: self.pos,
                },
            };
        }
    }

    /// An optional integer, possibly negative.
    fn opt_int(&mut self) -> Result<Option<i64>, SyntaxError> {
        self.skip_ws();
        let start = self.pos;
        if !matches!(self.peek(), Some('-' | '0'..='9')) {
            return Ok(None);
        }
        if self.peek() == Some('-') {
            self.pos += 1;
        }
        self.take_while(|c| c.is_ascii_digit());
        let text = &self.text[start..self.pos];
        text.parse().map(Some).map_err(|_| SyntaxError {
            range: Range {
                start,
                end: self.pos,
            },
            message: format!("`{text}` is not an index"),
        })
    }

    fn primary(&mut self) -> Result<Expr, SyntaxError> {
        self.skip_ws();
        let start = self.pos;
        let Some(c) = self.peek() else {
            return Err(self.error_here("expected an expression, found the end".to_owned()));
        };
        let kind = match c {
            '$' | '@' => {
                self.pos += 1;
                let root = if c == '$' {
                    PathRoot::Record
                } else {
                    PathRoot::Element
                };
                ExprKind::Path {
                    root,
                    steps: self.steps()?,
                }
            }
            '\'' | '"' => ExprKind::String(self.string()?),
            '{' => self.object()?,
            '[' => self.array()?,
            '(' => {
                self.pos += 1;
                self.enter()?;
                let inner = self.expr()?;
                self.depth -= 1;
                self.expect(")")?;
                return Ok(Expr {
                    kind: inner.kind,
                    range: Range {
                        start,
                        end: self.pos,
                    },
                });
            }
            '-' | '0'..='9' => ExprKind::Number(self.number()?),
            c if c.is_ascii_alphabetic() || c == '_' => {
                let name = self.ident();
                let name_range = Range {
                    start,
                    end: self.pos,
                };
                match name.as_str() {
                    "null" => ExprKind::Null,
                    "true" => ExprKind::Bool(true),
                    "false" => ExprKind::Bool(false),
                    "let" | "in" => {
                        return Err(SyntaxError {
                            range: name_range,
                            message: format!(
                                "`{name}` is a keyword: write `let name = value in body`"
                            ),
                        });
                    }
                    _ => {
                        let after_name = self.pos;
                        self.skip_ws();
                        if self.peek() != Some('(') {
                            // A name bound by `let` (checked by the type checker), with its path.
                            self.pos = after_name;
                            return Ok(Expr {
                                kind: ExprKind::Path {
                                    root: PathRoot::Var(name),
                                    steps: self.steps()?,
                                },
                                range: Range {
                                    start,
                                    end: self.pos,
                                },
                            });
                        }
                        ExprKind::Call {
                            name,
                            name_range,
                            args: self.list('(', ')')?,
                        }
                    }
                }
            }
            other => return Err(self.error_here(format!("unexpected `{other}`"))),
        };
        Ok(Expr {
            kind,
            range: Range {
                start,
                end: self.pos,
            },
        })
    }

    fn steps(&mut self) -> Result<Vec<Step>, SyntaxError> {
        let mut steps = Vec::new();
        loop {
            let start = self.pos;
            match self.peek() {
                Some('.') => {
                    self.pos += 1;
                    let key = match self.peek() {
                        Some('\'' | '"') => self.string()?,
                        Some(c) if c.is_ascii_alphanumeric() || c == '_' => self.ident(),
                        _ => {
                            return Err(
                                self.error_here("expected a field name after `.`".to_owned())
                            );
                        }
                    };
                    steps.push(Step::Key(
                        key,
                        Range {
                            start,
                            end: self.pos,
                        },
                    ));
                }
                Some('[') => {
                    if self.slice_or_negative_ahead() {
                        // Not a path step: `postfix` reads it.
                        return Ok(steps);
                    }
                    self.pos += 1;
                    self.skip_ws();
                    let step = match self.peek() {
                        Some('\'' | '"') => Step::Key(
                            self.string()?,
                            Range {
                                start,
                                end: self.pos,
                            },
                        ),
                        Some('0'..='9') => {
                            let digits = self.take_while(|c| c.is_ascii_digit());
                            let index = digits.parse().map_err(|_| SyntaxError {
                                range: Range {
                                    start,
                                    end: self.pos,
                                },
                                message: "index too large".to_owned(),
                            })?;
                            Step::Index(
                                index,
                                Range {
                                    start,
                                    end: self.pos,
                                },
                            )
                        }
                        _ => {
                            return Err(self.error_here(
                                "expected an index or a quoted key in `[...]`".to_owned(),
                            ));
                        }
                    };
                    self.skip_ws();
                    self.expect("]")?;
                    steps.push(step);
                }
                _ => return Ok(steps),
            }
        }
    }

    /// Whether the `[` here opens a slice or a negative index (`[-1]`, `[1:]`, `[:2]`), which
    /// `postfix` reads, rather than a path step.
    fn slice_or_negative_ahead(&self) -> bool {
        let inside = self.text[self.pos + 1..].trim_start();
        if inside.starts_with('-') || inside.starts_with(':') {
            return true;
        }
        let digits = inside.len()
            - inside
                .trim_start_matches(|c: char| c.is_ascii_digit())
                .len();
        digits > 0 && inside[digits..].trim_start().starts_with(':')
    }

    fn object(&mut self) -> Result<ExprKind, SyntaxError> {
        self.enter()?;
        self.expect("{")?;
        let mut entries = Vec::new();
        self.skip_ws();
        if !self.eat("}") {
            loop {
                self.skip_ws();
                let key = match self.peek() {
                    Some('\'' | '"') => self.string()?,
                    Some(c) if c.is_ascii_alphabetic() || c == '_' => self.ident(),
                    _ => return Err(self.error_here("expected a key".to_owned())),
                };
                self.skip_ws();
                self.expect(":")?;
                let value = self.expr()?;
                entries.push((key, value));
                self.skip_ws();
                if self.eat("}") {
                    break;
                }
                self.expect(",")?;
            }
        }
        self.depth -= 1;
        Ok(ExprKind::Object(entries))
    }

    fn array(&mut self) -> Result<ExprKind, SyntaxError> {
        Ok(ExprKind::Array(self.list('[', ']')?))
    }

    /// `open expr, expr close`, allowing a trailing comma.
    fn list(&mut self, open: char, close: char) -> Result<Vec<Expr>, SyntaxError> {
        self.enter()?;
        self.expect(&open.to_string())?;
        let mut items = Vec::new();
        loop {
            self.skip_ws();
            if self.eat(&close.to_string()) {
                break;
            }
            items.push(self.expr()?);
            self.skip_ws();
            if self.eat(&close.to_string()) {
                break;
            }
            if !self.eat(",") {
                let found = if self.pos >= self.text.len() {
                    "the end".to_owned()
                } else {
                    format!("`{}`", self.rest_token())
                };
                return Err(self.error_here(format!("expected `,` or `{close}`, found {found}")));
            }
        }
        self.depth -= 1;
        Ok(items)
    }

    fn string(&mut self) -> Result<String, SyntaxError> {
        let start = self.pos;
        let Some(quote) = self.peek() else {
            return Err(self.error_here("expected a string".to_owned()));
        };
        self.pos += quote.len_utf8();
        let mut out = String::new();
        let mut chars = self.text[self.pos..].char_indices();
        while let Some((i, c)) = chars.next() {
            match c {
                '\\' => match chars.next() {
                    Some((_, 'n')) => out.push('\n'),
                    Some((_, 't')) => out.push('\t'),
                    Some((_, e)) => out.push(e),
                    None => break,
                },
                c if c == quote => {
                    self.pos += i + c.len_utf8();
                    return Ok(out);
                }
                c => out.push(c),
            }
        }
        Err(SyntaxError {
            range: Range {
                start,
                end: self.text.len(),
            },
            message: "unclosed string".to_owned(),
        })
    }

    fn number(&mut self) -> Result<f64, SyntaxError> {
        let start = self.pos;
        if self.peek() == Some('-') {
            self.pos += 1;
        }
        self.take_while(|c| c.is_ascii_digit() || c == '.' || c == 'e' || c == 'E');
        let text = &self.text[start..self.pos];
        text.parse().map_err(|_| SyntaxError {
            range: Range {
                start,
                end: self.pos,
            },
            message: format!("`{text}` is not a number"),
        })
    }

    fn ident(&mut self) -> String {
        self.take_while(|c| c.is_ascii_alphanumeric() || c == '_')
            .to_owned()
    }

    fn take_while(&mut self, f: impl Fn(char) -> bool) -> &str {
        let start = self.pos;
        let len = self.text[start..]
            .find(|c: char| !f(c))
            .unwrap_or(self.text.len() - start);
        self.pos += len;
        &self.text[start..self.pos]
    }

    fn enter(&mut self) -> Result<(), SyntaxError> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(self.error_here(format!(
                "the expression nests deeper than {MAX_DEPTH} levels"
            )));
        }
        Ok(())
    }

    fn peek(&self) -> Option<char> {
        self.text[self.pos..].chars().next()
    }

    fn eat(&mut self, token: &str) -> bool {
        if self.text[self.pos..].starts_with(token) {
            self.pos += token.len();
            true
        } else {
            false
        }
    }

    fn expect(&mut self, token: &str) -> Result<(), SyntaxError> {
        self.skip_ws();
        if self.eat(token) {
            Ok(())
        } else {
            let found = if self.pos >= self.text.len() {
                "the end".to_owned()
            } else {
                format!("`{}`", self.rest_token())
            };
            Err(self.error_here(format!("expected `{token}`, found {found}")))
        }
    }

    fn skip_ws(&mut self) {
        self.take_while(char::is_whitespace);
    }

    fn rest_token(&self) -> &str {
        let rest = &self.text[self.pos..];
        let end = rest.char_indices().nth(1).map_or(rest.len(), |(i, _)| i);
        &rest[..end]
    }

    fn error_here(&self, message: String) -> SyntaxError {
        let end = (self.pos + self.rest_token().len()).min(self.text.len());
        SyntaxError {
            range: Range {
                start: self.pos,
                end,
            },
            message,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(text: &str) -> Expr {
        parse(text).unwrap_or_else(|e| panic!("{text}: {e:?}"))
    }

    #[test]
    fn paths_literals_calls_objects_and_arrays_parse() {
        assert!(
            matches!(ok("$.properties.firstname").kind, ExprKind::Path { root: PathRoot::Record, ref steps } if steps.len() == 2)
        );
        assert!(
            matches!(ok("@").kind, ExprKind::Path { root: PathRoot::Element, ref steps } if steps.is_empty())
        );
        assert!(
            matches!(ok("$.a[0]['b c']").kind, ExprKind::Path { ref steps, .. } if steps.len() == 3)
        );
        assert_eq!(ok("'x'").kind, ExprKind::String("x".into()));
        assert_eq!(ok("-1.5").kind, ExprKind::Number(-1.5));
        assert_eq!(ok("null").kind, ExprKind::Null);
        assert!(
            matches!(ok("split($.a, ';')").kind, ExprKind::Call { ref name, ref args, .. } if name == "split" && args.len() == 2)
        );
        assert!(
            matches!(ok("{email: $.e, is_primary: true}").kind, ExprKind::Object(ref e) if e.len() == 2)
        );
        assert!(matches!(ok("[1, 2,]").kind, ExprKind::Array(ref a) if a.len() == 2));
        assert!(matches!(
            ok("$.a ?? $.b ?? 'x'").kind,
            ExprKind::Coalesce(..)
        ));
        assert!(matches!(
            ok("@.type == 'work'").kind,
            ExprKind::Compare { equal: true, .. }
        ));
    }

    #[test]
    fn errors_point_at_the_problem() {
        let e = parse("split($.a, ';'").unwrap_err();
        assert!(e.message.contains("or `)`, found the end"), "{e:?}");
        // A bare name is a `let` variable (the type checker says when it is not bound).
        assert!(
            matches!(ok("properties.email").kind, ExprKind::Path { root: PathRoot::Var(ref n), ref steps } if n == "properties" && steps.len() == 1)
        );
        let e = parse("let in = 1 in 2").unwrap_err();
        assert!(e.message.contains("keyword"), "{e:?}");
        let e = parse("let x = 1 2").unwrap_err();
        assert!(e.message.contains("expected `in`"), "{e:?}");
        let e = parse("$.a[]").unwrap_err();
        assert!(e.message.contains("expected an index"), "{e:?}");
        let e = parse("$.a $.b").unwrap_err();
        assert_eq!(e.range.start, 4);
        assert!(parse("'open").is_err());
        assert!(parse("").is_err());
    }

    #[test]
    fn lets_indexes_and_slices_parse() {
        let e =
            ok("let parts = split($.name, ' ') in [parts[0], parts[-1], parts[1:], parts[:-1]]");
        let ExprKind::Let {
            name, value, body, ..
        } = e.kind
        else {
            panic!("not a let: {e:?}")
        };
        assert_eq!(name, "parts");
        assert!(matches!(value.kind, ExprKind::Call { .. }));
        let ExprKind::Array(items) = body.kind else {
            panic!("not an array")
        };
        assert!(
            matches!(&items[0].kind, ExprKind::Path { root: PathRoot::Var(n), steps } if n == "parts" && steps.len() == 1)
        );
        assert!(matches!(&items[1].kind, ExprKind::Index(_, -1)));
        assert!(matches!(
            &items[2].kind,
            ExprKind::Slice {
                start: Some(1),
                end: None,
                ..
            }
        ));
        assert!(matches!(
            &items[3].kind,
            ExprKind::Slice {
                start: None,
                end: Some(-1),
                ..
            }
        ));
        assert!(matches!(
            ok("split($.a, ' ')[0]").kind,
            ExprKind::Index(_, 0)
        ));
        assert!(matches!(ok("$.a[-2]").kind, ExprKind::Index(_, -2)));
        assert!(matches!(
            ok("letter").kind,
            ExprKind::Path {
                root: PathRoot::Var(_),
                ..
            }
        ));
        // Nested lets, and a let as a function argument.
        assert!(matches!(
            ok("trim(let a = $.x in let b = a in b)").kind,
            ExprKind::Call { .. }
        ));
    }

    #[test]
    fn deep_nesting_is_refused_without_overflow() {
        let deep = format!("{}1{}", "[".repeat(10_000), "]".repeat(10_000));
        assert!(parse(&deep).unwrap_err().message.contains("nests deeper"));
        let calls = format!("{}$.a{}", "trim(".repeat(10_000), ")".repeat(10_000));
        assert!(parse(&calls).is_err());
    }
}
