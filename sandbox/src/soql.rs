//! A small, honest SOQL subset:
//!
//! `SELECT <fields | FIELDS(ALL|STANDARD|CUSTOM) | COUNT()> FROM <object>
//!  [WHERE <condition>] [ORDER BY <field> [ASC|DESC] [NULLS FIRST|LAST], …] [LIMIT n] [OFFSET n]`
//!
//! Conditions: `=`, `!=`, `<>`, `<`, `<=`, `>`, `>=`, `LIKE`, `IN (…)`, `NOT IN (…)` against string,
//! number, boolean, `null`, date (`2021-12-02`) and date-time (`2021-12-02T18:22:42Z`) literals,
//! combined with `AND`, `OR`, `NOT` and parentheses. Relationship paths, aggregates other than
//! `COUNT()`, date functions and bind variables are refused with a Salesforce-style error instead of
//! being half-supported.

use std::cmp::Ordering;

use serde_json::Value;

use crate::clock::parse_datetime;
use crate::ids::normalize_salesforce_id;
use crate::salesforce::{Field, Kind, SObject};
use crate::store::{SfRecord, SfTable};

/// A query Salesforce would refuse: its `errorCode` and `message`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct SoqlError {
    pub(crate) code: &'static str,
    pub(crate) message: String,
}

/// Largest `OFFSET` Salesforce accepts.
const MAX_OFFSET: u64 = 2000;
/// Largest `LIMIT` allowed with `FIELDS(ALL)` / `FIELDS(CUSTOM)`.
const MAX_FIELDS_LIMIT: u64 = 200;
/// Longest query Salesforce accepts (characters).
const MAX_QUERY_CHARS: usize = 100_000;
/// Deepest nesting of parentheses and `NOT` the sandbox parses (keeps recursion bounded).
const MAX_DEPTH: usize = 64;

/// Salesforce's located message: the query line, a caret, `ERROR at Row:r:Column:c`, the reason.
fn located(query: &str, at: usize, message: &str) -> String {
    let at = at.min(query.len());
    let before = query.get(..at).unwrap_or(query);
    let row = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let column = before.get(line_start..).map_or(0, |s| s.chars().count()) + 1;
    let line = query
        .get(line_start..)
        .and_then(|rest| rest.lines().next())
        .unwrap_or("");
    format!(
        "\n{line}\n{}^\nERROR at Row:{row}:Column:{column}\n{message}",
        " ".repeat(column - 1)
    )
}

fn malformed(query: &str, at: usize, message: &str) -> SoqlError {
    SoqlError {
        code: "MALFORMED_QUERY",
        message: located(query, at, message),
    }
}

// ---------------------------------------------------------------------------------------------
// Lexer

/// Comparison operators.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum CmpOp {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
}

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    /// Identifier or keyword.
    Word(String),
    /// Quoted string (escapes resolved, except `\%` and `\_` which only LIKE understands).
    Str(String),
    /// Unquoted literal starting with a digit or sign: number, date or date-time.
    Bare(String),
    Comma,
    LParen,
    RParen,
    Op(CmpOp),
    Eof,
}

#[derive(Debug, Clone)]
struct Token {
    tok: Tok,
    /// Byte offset in the query.
    at: usize,
    /// Source text, for messages.
    text: String,
}

fn lex(query: &str) -> Result<Vec<Token>, SoqlError> {
    let mut tokens = Vec::new();
    let chars: Vec<(usize, char)> = query.char_indices().collect();
    let end_of = |i: usize| chars.get(i).map_or(query.len(), |(at, _)| *at);
    let mut i = 0;
    while let Some(&(at, c)) = chars.get(i) {
        let next = chars.get(i + 1).map(|(_, c)| *c);
        let simple = |tok: Tok, len: usize| Token {
            tok,
            at,
            text: query
                .get(at..end_of(i + len))
                .unwrap_or_default()
                .to_owned(),
        };
        match c {
            c if c.is_whitespace() => i += 1,
            ',' => {
                tokens.push(simple(Tok::Comma, 1));
                i += 1;
            }
            '(' => {
                tokens.push(simple(Tok::LParen, 1));
                i += 1;
            }
            ')' => {
                tokens.push(simple(Tok::RParen, 1));
                i += 1;
            }
            '=' => {
                tokens.push(simple(Tok::Op(CmpOp::Eq), 1));
                i += 1;
            }
            '!' if next == Some('=') => {
                tokens.push(simple(Tok::Op(CmpOp::Ne), 2));
                i += 2;
            }
            '<' => {
                let (op, len) = match next {
                    Some('=') => (CmpOp::Le, 2),
                    Some('>') => (CmpOp::Ne, 2),
                    _ => (CmpOp::Lt, 1),
                };
                tokens.push(simple(Tok::Op(op), len));
                i += len;
            }
            '>' => {
                let (op, len) = if next == Some('=') {
                    (CmpOp::Ge, 2)
                } else {
                    (CmpOp::Gt, 1)
                };
                tokens.push(simple(Tok::Op(op), len));
                i += len;
            }
            '\'' => {
                let mut value = String::new();
                let mut j = i + 1;
                loop {
                    let Some(&(_, ch)) = chars.get(j) else {
                        return Err(malformed(
                            query,
                            query.len(),
                            &format!(
                                "line 1:{} mismatched character '<EOF>' expecting '''",
                                chars.len()
                            ),
                        ));
                    };
                    match ch {
                        '\'' => break,
                        '\\' => {
                            let escaped = chars.get(j + 1).map(|(_, c)| *c);
                            match escaped {
                                Some('n') => value.push('\n'),
                                Some('r') => value.push('\r'),
                                Some('t') => value.push('\t'),
                                Some('b') => value.push('\u{8}'),
                                Some('f') => value.push('\u{c}'),
                                Some(e @ ('\'' | '"' | '\\')) => value.push(e),
                                Some(e @ ('%' | '_')) => {
                                    value.push('\\');
                                    value.push(e);
                                }
                                other => {
                                    let seq =
                                        other.map_or_else(|| "\\".to_owned(), |c| format!("\\{c}"));
                                    let literal = query.get(at..).unwrap_or_default();
                                    return Err(malformed(
                                        query,
                                        at,
                                        &format!(
                                            "Invalid string literal '{literal}'. Illegal character sequence '{seq}' in string literal."
                                        ),
                                    ));
                                }
                            }
                            j += 2;
                        }
                        ch => {
                            value.push(ch);
                            j += 1;
                        }
                    }
                }
                tokens.push(Token {
                    tok: Tok::Str(value),
                    at,
                    text: query.get(at..end_of(j + 1)).unwrap_or_default().to_owned(),
                });
                i = j + 1;
            }
            c if c.is_ascii_alphabetic() || c == '_' => {
                let mut j = i;
                while chars
                    .get(j)
                    .is_some_and(|(_, c)| c.is_ascii_alphanumeric() || *c == '_' || *c == '.')
                {
                    j += 1;
                }
                let text = query.get(at..end_of(j)).unwrap_or_default().to_owned();
                tokens.push(Token {
                    tok: Tok::Word(text.clone()),
                    at,
                    text,
                });
                i = j;
            }
            c if c.is_ascii_digit()
                || ((c == '-' || c == '+') && next.is_some_and(|n| n.is_ascii_digit())) =>
            {
                let mut j = i + 1;
                while chars.get(j).is_some_and(|(_, c)| {
                    c.is_ascii_alphanumeric() || matches!(c, '.' | ':' | '+' | '-')
                }) {
                    j += 1;
                }
                let text = query.get(at..end_of(j)).unwrap_or_default().to_owned();
                tokens.push(Token {
                    tok: Tok::Bare(text.clone()),
                    at,
                    text,
                });
                i = j;
            }
            other => {
                return Err(malformed(
                    query,
                    at,
                    &format!("unexpected token: '{other}'"),
                ));
            }
        }
    }
    tokens.push(Token {
        tok: Tok::Eof,
        at: query.len(),
        text: "<EOF>".into(),
    });
    Ok(tokens)
}

// ---------------------------------------------------------------------------------------------
// Parser (syntax only; names are checked when binding)

#[derive(Debug)]
enum Item {
    Field(String, usize),
    Fields(String, usize),
}

#[derive(Debug)]
enum Select {
    Count,
    Items(Vec<Item>),
}

#[derive(Debug, Clone)]
enum LitValue {
    Str(String),
    Bare(String),
    True,
    False,
    Null,
}

#[derive(Debug, Clone)]
struct Lit {
    value: LitValue,
    at: usize,
    text: String,
}

#[derive(Debug)]
enum Cond {
    Cmp(CmpOp, Lit),
    Like(Lit),
    In(bool, Vec<Lit>),
}

#[derive(Debug)]
enum Expr {
    Or(Vec<Expr>),
    And(Vec<Expr>),
    Not(Box<Expr>),
    Test(String, usize, Cond),
}

#[derive(Debug)]
struct OrderItem {
    field: (String, usize),
    descending: bool,
    nulls_first: Option<bool>,
}

#[derive(Debug)]
struct Ast {
    select: Select,
    object: (String, usize),
    filter: Option<Expr>,
    order: Vec<OrderItem>,
    limit: Option<(u64, usize)>,
    offset: Option<(u64, usize)>,
}

struct Parser<'q> {
    query: &'q str,
    tokens: Vec<Token>,
    pos: usize,
    /// Current nesting of parentheses / `NOT` in the condition.
    depth: usize,
}

impl<'q> Parser<'q> {
    fn peek(&self) -> &Token {
        let last = self.tokens.len().saturating_sub(1);
        &self.tokens[self.pos.min(last)]
    }

    fn peek_at(&self, ahead: usize) -> Option<&Token> {
        self.tokens.get(self.pos + ahead)
    }

    fn bump(&mut self) -> Token {
        let token = self.peek().clone();
        if self.pos < self.tokens.len() {
            self.pos += 1;
        }
        token
    }

    fn unexpected(&self) -> SoqlError {
        let token = self.peek();
        malformed(
            self.query,
            token.at,
            &format!("unexpected token: {}", token.text),
        )
    }

    fn is_kw(&self, keyword: &str) -> bool {
        matches!(&self.peek().tok, Tok::Word(w) if w.eq_ignore_ascii_case(keyword))
    }

    fn eat_kw(&mut self, keyword: &str) -> bool {
        if self.is_kw(keyword) {
            self.pos += 1;
            true
        } else {
            false
        }
    }

    fn expect_kw(&mut self, keyword: &str) -> Result<(), SoqlError> {
        if self.eat_kw(keyword) {
            Ok(())
        } else {
            Err(self.unexpected())
        }
    }

    fn expect(&mut self, tok: &Tok) -> Result<(), SoqlError> {
        if &self.peek().tok == tok {
            self.pos += 1;
            Ok(())
        } else {
            Err(self.unexpected())
        }
    }

    /// An identifier that is not a reserved word here.
    fn name(&mut self) -> Result<(String, usize), SoqlError> {
        match &self.peek().tok {
            Tok::Word(w) if !is_reserved(w) => {
                let token = self.bump();
                Ok((token.text, token.at))
            }
            _ => Err(self.unexpected()),
        }
    }

    fn integer(&mut self) -> Result<(u64, usize), SoqlError> {
        let token = self.peek().clone();
        match &token.tok {
            Tok::Bare(text) => match text.parse::<u64>() {
                Ok(n) => {
                    self.pos += 1;
                    Ok((n, token.at))
                }
                Err(_) => Err(self.unexpected()),
            },
            _ => Err(self.unexpected()),
        }
    }

    fn parse(mut self) -> Result<Ast, SoqlError> {
        self.expect_kw("SELECT")?;
        let select = if self.is_kw("COUNT") && self.peek_at(1).is_some_and(|t| t.tok == Tok::LParen)
        {
            self.pos += 2;
            if self.peek().tok != Tok::RParen {
                let token = self.peek();
                return Err(malformed(
                    self.query,
                    token.at,
                    "the sandbox supports COUNT() only; aggregate functions such as COUNT(field) are not supported",
                ));
            }
            self.pos += 1;
            Select::Count
        } else {
            let mut items = Vec::new();
            loop {
                if self.is_kw("FIELDS") && self.peek_at(1).is_some_and(|t| t.tok == Tok::LParen) {
                    let at = self.peek().at;
                    self.pos += 2;
                    let (which, which_at) = match &self.peek().tok {
                        Tok::Word(_) => {
                            let token = self.bump();
                            (token.text, token.at)
                        }
                        _ => return Err(self.unexpected()),
                    };
                    let upper = which.to_ascii_uppercase();
                    if !matches!(upper.as_str(), "ALL" | "STANDARD" | "CUSTOM") {
                        return Err(malformed(
                            self.query,
                            which_at,
                            &format!("unexpected token: {which}"),
                        ));
                    }
                    self.expect(&Tok::RParen)?;
                    items.push(Item::Fields(upper, at));
                } else {
                    let (name, at) = self.name()?;
                    if self.peek().tok == Tok::LParen {
                        return Err(malformed(
                            self.query,
                            at,
                            &format!("the sandbox does not support the function {name}()"),
                        ));
                    }
                    items.push(Item::Field(name, at));
                }
                if self.peek().tok == Tok::Comma {
                    self.pos += 1;
                } else {
                    break;
                }
            }
            Select::Items(items)
        };
        self.expect_kw("FROM")?;
        let object = self.name()?;
        let filter = if self.eat_kw("WHERE") {
            Some(self.or_expr()?)
        } else {
            None
        };
        let mut order = Vec::new();
        if self.eat_kw("ORDER") {
            self.expect_kw("BY")?;
            loop {
                let field = self.name()?;
                let descending = if self.eat_kw("DESC") {
                    true
                } else {
                    self.eat_kw("ASC");
                    false
                };
                let nulls_first = if self.eat_kw("NULLS") {
                    if self.eat_kw("FIRST") {
                        Some(true)
                    } else if self.eat_kw("LAST") {
                        Some(false)
                    } else {
                        return Err(self.unexpected());
                    }
                } else {
                    None
                };
                order.push(OrderItem {
                    field,
                    descending,
                    nulls_first,
                });
                if self.peek().tok == Tok::Comma {
                    self.pos += 1;
                } else {
                    break;
                }
            }
        }
        let limit = if self.eat_kw("LIMIT") {
            Some(self.integer()?)
        } else {
            None
        };
        let offset = if self.eat_kw("OFFSET") {
            Some(self.integer()?)
        } else {
            None
        };
        if self.peek().tok != Tok::Eof {
            return Err(self.unexpected());
        }
        Ok(Ast {
            select,
            object,
            filter,
            order,
            limit,
            offset,
        })
    }

    fn or_expr(&mut self) -> Result<Expr, SoqlError> {
        let mut parts = vec![self.and_expr()?];
        while self.eat_kw("OR") {
            parts.push(self.and_expr()?);
        }
        Ok(if parts.len() == 1 {
            parts.remove(0)
        } else {
            Expr::Or(parts)
        })
    }

    fn and_expr(&mut self) -> Result<Expr, SoqlError> {
        let mut parts = vec![self.not_expr()?];
        while self.eat_kw("AND") {
            parts.push(self.not_expr()?);
        }
        Ok(if parts.len() == 1 {
            parts.remove(0)
        } else {
            Expr::And(parts)
        })
    }

    fn not_expr(&mut self) -> Result<Expr, SoqlError> {
        let nested = self.is_kw("NOT") || self.peek().tok == Tok::LParen;
        if nested {
            if self.depth >= MAX_DEPTH {
                let at = self.peek().at;
                return Err(malformed(
                    self.query,
                    at,
                    &format!("conditions nested deeper than {MAX_DEPTH} levels are not supported"),
                ));
            }
            self.depth += 1;
            let result = self.nested_expr();
            self.depth -= 1;
            return result;
        }
        self.test_expr()
    }

    fn nested_expr(&mut self) -> Result<Expr, SoqlError> {
        if self.eat_kw("NOT") {
            return Ok(Expr::Not(Box::new(self.not_expr()?)));
        }
        self.expect(&Tok::LParen)?;
        let inner = self.or_expr()?;
        self.expect(&Tok::RParen)?;
        Ok(inner)
    }

    fn test_expr(&mut self) -> Result<Expr, SoqlError> {
        let (field, at) = self.name()?;
        let cond = match self.peek().tok.clone() {
            Tok::Op(op) => {
                self.pos += 1;
                Cond::Cmp(op, self.literal()?)
            }
            Tok::Word(w) if w.eq_ignore_ascii_case("LIKE") => {
                self.pos += 1;
                Cond::Like(self.literal()?)
            }
            Tok::Word(w) if w.eq_ignore_ascii_case("IN") => {
                self.pos += 1;
                Cond::In(false, self.literal_list()?)
            }
            Tok::Word(w) if w.eq_ignore_ascii_case("NOT") => {
                self.pos += 1;
                self.expect_kw("IN")?;
                Cond::In(true, self.literal_list()?)
            }
            _ => return Err(self.unexpected()),
        };
        Ok(Expr::Test(field, at, cond))
    }

    fn literal(&mut self) -> Result<Lit, SoqlError> {
        let token = self.peek().clone();
        let value = match &token.tok {
            Tok::Str(s) => LitValue::Str(s.clone()),
            Tok::Bare(s) => LitValue::Bare(s.clone()),
            Tok::Word(w) if w.eq_ignore_ascii_case("null") => LitValue::Null,
            Tok::Word(w) if w.eq_ignore_ascii_case("true") => LitValue::True,
            Tok::Word(w) if w.eq_ignore_ascii_case("false") => LitValue::False,
            _ => return Err(self.unexpected()),
        };
        self.pos += 1;
        Ok(Lit {
            value,
            at: token.at,
            text: token.text,
        })
    }

    fn literal_list(&mut self) -> Result<Vec<Lit>, SoqlError> {
        self.expect(&Tok::LParen)?;
        let mut values = vec![self.literal()?];
        while self.peek().tok == Tok::Comma {
            self.pos += 1;
            values.push(self.literal()?);
        }
        self.expect(&Tok::RParen)?;
        Ok(values)
    }
}

fn is_reserved(word: &str) -> bool {
    const RESERVED: [&str; 20] = [
        "SELECT", "FROM", "WHERE", "AND", "OR", "NOT", "IN", "LIKE", "ORDER", "BY", "ASC", "DESC",
        "NULLS", "LIMIT", "OFFSET", "NULL", "TRUE", "FALSE", "GROUP", "HAVING",
    ];
    RESERVED.iter().any(|r| r.eq_ignore_ascii_case(word))
}

// ---------------------------------------------------------------------------------------------
// Binding: names against the schema, literals against field types

/// A comparable value.
#[derive(Debug, Clone, PartialEq)]
enum Val {
    /// Case-insensitive text.
    Text(String),
    /// Exact text (ids).
    Exact(String),
    Num(f64),
    Bool(bool),
    /// Epoch milliseconds.
    Instant(i64),
}

impl Val {
    fn cmp(&self, other: &Self) -> Option<Ordering> {
        match (self, other) {
            (Self::Text(a), Self::Text(b)) => Some(a.to_lowercase().cmp(&b.to_lowercase())),
            (Self::Exact(a), Self::Exact(b)) => Some(a.cmp(b)),
            (Self::Num(a), Self::Num(b)) => Some(a.total_cmp(b)),
            (Self::Bool(a), Self::Bool(b)) => Some(a.cmp(b)),
            (Self::Instant(a), Self::Instant(b)) => Some(a.cmp(b)),
            _ => None,
        }
    }
}

/// A record value as a [`Val`] (`None` for null).
fn value_of(field: &Field, value: Option<&Value>) -> Option<Val> {
    let value = value?;
    match field.kind {
        k if k.is_id() => value.as_str().map(|s| Val::Exact(s.to_owned())),
        k if k.is_text() => value.as_str().map(|s| Val::Text(s.to_owned())),
        k if k.is_number() => value.as_f64().map(Val::Num),
        Kind::Boolean => value.as_bool().map(Val::Bool),
        Kind::Date | Kind::DateTime => value.as_str().and_then(parse_datetime).map(Val::Instant),
        _ => None,
    }
}

#[derive(Debug)]
enum Test {
    Cmp(CmpOp, Option<Val>),
    Like(String),
    In(bool, Vec<Option<Val>>),
}

#[derive(Debug)]
enum Filter {
    Or(Vec<Filter>),
    And(Vec<Filter>),
    Not(Box<Filter>),
    Test(&'static Field, Test),
}

/// What a query returns.
#[derive(Debug)]
pub(crate) enum Projection {
    /// `COUNT()`: only `totalSize`.
    Count,
    /// These fields, in this order.
    Fields(Vec<&'static Field>),
}

/// A checked query, ready to run against a table.
#[derive(Debug)]
pub(crate) struct Plan {
    pub(crate) object: SObject,
    pub(crate) projection: Projection,
    filter: Option<Filter>,
    order: Vec<(&'static Field, bool, bool)>,
    limit: Option<usize>,
    offset: usize,
}

struct Binder<'q> {
    query: &'q str,
    object: SObject,
}

impl Binder<'_> {
    fn field(&self, name: &str, at: usize) -> Result<&'static Field, SoqlError> {
        if let Some((relationship, _)) = name.split_once('.') {
            return Err(SoqlError {
                code: "INVALID_FIELD",
                message: located(
                    self.query,
                    at,
                    &format!(
                        "Didn't understand relationship '{relationship}' in field path. If you are attempting to use a custom relationship, be sure to append the '__r' after the custom relationship name. Please reference your WSDL or the describe call for the appropriate names."
                    ),
                ),
            });
        }
        self.object.field(name).ok_or_else(|| SoqlError {
            code: "INVALID_FIELD",
            message: located(
                self.query,
                at,
                &format!(
                    "No such column '{name}' on entity '{}'. If you are attempting to use a custom field, be sure to append the '__c' after the custom field name. Please reference your WSDL or the describe call for the appropriate names.",
                    self.object.name()
                ),
            ),
        })
    }

    fn type_error(&self, field: &Field, lit: &Lit) -> SoqlError {
        let quoted = if field.kind.is_text() {
            "should be enclosed in quotes"
        } else {
            "should not be enclosed in quotes"
        };
        SoqlError {
            code: "INVALID_FIELD",
            message: located(
                self.query,
                lit.at,
                &format!(
                    "value of filter criterion for field '{}' must be of type {} and {quoted}",
                    field.name,
                    if field.kind.is_text() {
                        "string"
                    } else {
                        field.kind.soap_name()
                    }
                ),
            ),
        }
    }

    /// A literal as a value comparable with `field` (`None` for `null`).
    fn literal(&self, field: &Field, lit: &Lit) -> Result<Option<Val>, SoqlError> {
        let mismatch = || Err(self.type_error(field, lit));
        match (&lit.value, field.kind) {
            (LitValue::Null, _) => Ok(None),
            (LitValue::Str(s), k) if k.is_id() => {
                let plain = unescape_like(s);
                normalize_salesforce_id(&plain)
                    .map(|id| Some(Val::Exact(id)))
                    .ok_or_else(|| SoqlError {
                        code: "INVALID_QUERY_FILTER_OPERATOR",
                        message: located(self.query, lit.at, &format!("invalid ID field: {plain}")),
                    })
            }
            (LitValue::Str(s), k) if k.is_text() => Ok(Some(Val::Text(unescape_like(s)))),
            (LitValue::True, Kind::Boolean) => Ok(Some(Val::Bool(true))),
            (LitValue::False, Kind::Boolean) => Ok(Some(Val::Bool(false))),
            (LitValue::Bare(text), k) if k.is_number() => match text.parse::<f64>() {
                Ok(n) if n.is_finite() => Ok(Some(Val::Num(n))),
                _ => mismatch(),
            },
            (LitValue::Bare(text), Kind::Date) if text.len() == 10 => parse_datetime(text)
                .map(|ms| Some(Val::Instant(ms)))
                .ok_or_else(|| self.type_error(field, lit)),
            (LitValue::Bare(text), Kind::DateTime) if text.len() > 10 => parse_datetime(text)
                .map(|ms| Some(Val::Instant(ms)))
                .ok_or_else(|| self.type_error(field, lit)),
            (LitValue::Bare(text), _)
                if text.parse::<f64>().is_err() && parse_datetime(text).is_none() =>
            {
                Err(malformed(
                    self.query,
                    lit.at,
                    &format!("unexpected token: {}", lit.text),
                ))
            }
            _ => mismatch(),
        }
    }

    fn filter(&self, expr: &Expr) -> Result<Filter, SoqlError> {
        Ok(match expr {
            Expr::Or(parts) => Filter::Or(
                parts
                    .iter()
                    .map(|p| self.filter(p))
                    .collect::<Result<_, _>>()?,
            ),
            Expr::And(parts) => Filter::And(
                parts
                    .iter()
                    .map(|p| self.filter(p))
                    .collect::<Result<_, _>>()?,
            ),
            Expr::Not(inner) => Filter::Not(Box::new(self.filter(inner)?)),
            Expr::Test(name, at, cond) => {
                let field = self.field(name, *at)?;
                let test = match cond {
                    Cond::Cmp(op, lit) => Test::Cmp(*op, self.literal(field, lit)?),
                    Cond::In(negated, lits) => Test::In(
                        *negated,
                        lits.iter()
                            .map(|l| self.literal(field, l))
                            .collect::<Result<_, _>>()?,
                    ),
                    Cond::Like(lit) => match (&lit.value, field.kind.is_text()) {
                        (LitValue::Str(pattern), true) => Test::Like(pattern.clone()),
                        (_, false) => {
                            return Err(SoqlError {
                                code: "INVALID_FIELD",
                                message: located(
                                    self.query,
                                    *at,
                                    &format!(
                                        "invalid operator on {} field: LIKE works on text fields only",
                                        field.kind.soap_name()
                                    ),
                                ),
                            });
                        }
                        _ => return Err(self.type_error(field, lit)),
                    },
                };
                Filter::Test(field, test)
            }
        })
    }
}

/// `\%` and `\_` mean themselves outside LIKE.
fn unescape_like(text: &str) -> String {
    text.replace("\\%", "%").replace("\\_", "_")
}

/// Parses and checks `query` against the schema.
pub(crate) fn plan(query: &str) -> Result<Plan, SoqlError> {
    if query.chars().count() > MAX_QUERY_CHARS {
        return Err(SoqlError {
            code: "MALFORMED_QUERY",
            message: format!("SOQL statements cannot be longer than {MAX_QUERY_CHARS} characters"),
        });
    }
    let ast = Parser {
        query,
        tokens: lex(query)?,
        pos: 0,
        depth: 0,
    }
    .parse()?;
    let object = SObject::parse(&ast.object.0).ok_or_else(|| SoqlError {
        code: "INVALID_TYPE",
        message: located(
            query,
            ast.object.1,
            &format!(
                "sObject type '{}' is not supported. If you are attempting to use a custom object, be sure to append the '__c' after the entity name. Please reference your WSDL or the describe call for the appropriate names.",
                ast.object.0
            ),
        ),
    })?;
    let binder = Binder { query, object };
    let projection = match &ast.select {
        Select::Count => Projection::Count,
        Select::Items(items) => {
            let mut fields: Vec<&'static Field> = Vec::new();
            let mut explicit: Vec<&'static str> = Vec::new();
            for item in items {
                match item {
                    Item::Field(name, at) => {
                        let field = binder.field(name, *at)?;
                        if explicit.contains(&field.name) {
                            return Err(malformed(
                                query,
                                *at,
                                &format!("duplicate field selected: {}", field.name),
                            ));
                        }
                        explicit.push(field.name);
                        if !fields.iter().any(|f| f.name == field.name) {
                            fields.push(field);
                        }
                    }
                    Item::Fields(which, at) => {
                        if which != "STANDARD"
                            && ast.limit.is_none_or(|(n, _)| n > MAX_FIELDS_LIMIT)
                        {
                            return Err(malformed(
                                query,
                                *at,
                                &format!(
                                    "The SOQL FIELDS function must have a LIMIT of at most {MAX_FIELDS_LIMIT}"
                                ),
                            ));
                        }
                        for field in object.fields() {
                            let wanted = match which.as_str() {
                                "CUSTOM" => field.custom(),
                                "STANDARD" => !field.custom(),
                                _ => true,
                            };
                            if wanted && !fields.iter().any(|f| f.name == field.name) {
                                fields.push(field);
                            }
                        }
                    }
                }
            }
            Projection::Fields(fields)
        }
    };
    let filter = ast.filter.as_ref().map(|f| binder.filter(f)).transpose()?;
    let order = ast
        .order
        .iter()
        .map(|item| {
            let field = binder.field(&item.field.0, item.field.1)?;
            Ok((field, item.descending, item.nulls_first.unwrap_or(true)))
        })
        .collect::<Result<_, SoqlError>>()?;
    if let Some((n, at)) = ast.offset
        && n > MAX_OFFSET
    {
        return Err(SoqlError {
            code: "NUMBER_OUTSIDE_VALID_RANGE",
            message: located(
                query,
                at,
                &format!("Maximum SOQL offset allowed is {MAX_OFFSET}"),
            ),
        });
    }
    Ok(Plan {
        object,
        projection,
        filter,
        order,
        limit: ast
            .limit
            .map(|(n, _)| usize::try_from(n).unwrap_or(usize::MAX)),
        offset: ast.offset.map_or(0, |(n, _)| n as usize),
    })
}

// ---------------------------------------------------------------------------------------------
// Execution

/// SOQL `LIKE`: `%` any run, `_` one character, case-insensitive, `\%` / `\_` literal.
fn like(text: &str, pattern: &str) -> bool {
    #[derive(Clone, Copy, PartialEq)]
    enum P {
        Any,
        One,
        Char(char),
    }
    let mut parts = Vec::new();
    let mut chars = pattern.chars();
    while let Some(c) = chars.next() {
        parts.push(match c {
            '%' => P::Any,
            '_' => P::One,
            '\\' => match chars.next() {
                Some(e) => P::Char(e),
                None => P::Char('\\'),
            },
            c => P::Char(c),
        });
    }
    let text: Vec<char> = text.to_lowercase().chars().collect();
    let parts: Vec<P> = parts
        .into_iter()
        .flat_map(|p| match p {
            P::Char(c) => c.to_lowercase().map(P::Char).collect::<Vec<_>>(),
            other => vec![other],
        })
        .collect();
    // Classic two-pointer wildcard match with backtracking to the last `%`.
    let (mut t, mut p) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while t < text.len() {
        match parts.get(p) {
            Some(P::One) => {
                t += 1;
                p += 1;
            }
            Some(P::Char(c)) if *c == text[t] => {
                t += 1;
                p += 1;
            }
            Some(P::Any) => {
                star = Some((p, t));
                p += 1;
            }
            _ => match star {
                Some((sp, st)) => {
                    p = sp + 1;
                    t = st + 1;
                    star = Some((sp, st + 1));
                }
                None => return false,
            },
        }
    }
    parts[p.min(parts.len())..].iter().all(|x| *x == P::Any)
}

fn test(field: &Field, record: &SfRecord, test: &Test) -> bool {
    let stored = value_of(
        field,
        record.fields.get(field.name).filter(|v| !v.is_null()),
    );
    let equal = |a: &Option<Val>, b: &Option<Val>| match (a, b) {
        (None, None) => true,
        (Some(x), Some(y)) => x.cmp(y) == Some(Ordering::Equal),
        _ => false,
    };
    match test {
        Test::Cmp(CmpOp::Eq, lit) => equal(&stored, lit),
        Test::Cmp(CmpOp::Ne, lit) => !equal(&stored, lit),
        Test::Cmp(op, Some(lit)) => match stored.as_ref().and_then(|s| s.cmp(lit)) {
            Some(order) => match op {
                CmpOp::Lt => order == Ordering::Less,
                CmpOp::Le => order != Ordering::Greater,
                CmpOp::Gt => order == Ordering::Greater,
                CmpOp::Ge => order != Ordering::Less,
                CmpOp::Eq | CmpOp::Ne => false,
            },
            None => false,
        },
        Test::Cmp(_, None) => false,
        Test::In(negated, values) => values.iter().any(|v| equal(&stored, v)) != *negated,
        Test::Like(pattern) => match &stored {
            Some(Val::Text(s) | Val::Exact(s)) => like(s, pattern),
            _ => false,
        },
    }
}

fn eval(filter: &Filter, record: &SfRecord) -> bool {
    match filter {
        Filter::Or(parts) => parts.iter().any(|p| eval(p, record)),
        Filter::And(parts) => parts.iter().all(|p| eval(p, record)),
        Filter::Not(inner) => !eval(inner, record),
        Filter::Test(field, t) => test(field, record, t),
    }
}

/// Runs `plan` over `table`: live records that match, ordered (by id unless `ORDER BY` says
/// otherwise), then `OFFSET` and `LIMIT`.
pub(crate) fn run<'t>(plan: &Plan, table: &'t SfTable) -> Vec<&'t SfRecord> {
    let mut rows: Vec<&SfRecord> = table
        .records
        .values()
        .filter(|r| !r.deleted())
        .filter(|r| plan.filter.as_ref().is_none_or(|f| eval(f, r)))
        .collect();
    if !plan.order.is_empty() {
        rows.sort_by(|a, b| {
            for (field, descending, nulls_first) in &plan.order {
                let va = value_of(field, a.fields.get(field.name).filter(|v| !v.is_null()));
                let vb = value_of(field, b.fields.get(field.name).filter(|v| !v.is_null()));
                let order = match (va, vb) {
                    (None, None) => Ordering::Equal,
                    (None, Some(_)) => {
                        if *nulls_first {
                            Ordering::Less
                        } else {
                            Ordering::Greater
                        }
                    }
                    (Some(_), None) => {
                        if *nulls_first {
                            Ordering::Greater
                        } else {
                            Ordering::Less
                        }
                    }
                    (Some(x), Some(y)) => {
                        let o = x.cmp(&y).unwrap_or(Ordering::Equal);
                        if *descending { o.reverse() } else { o }
                    }
                };
                if order != Ordering::Equal {
                    return order;
                }
            }
            Ordering::Equal
        });
    }
    rows.into_iter()
        .skip(plan.offset)
        .take(plan.limit.unwrap_or(usize::MAX))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn error_code(query: &str) -> &'static str {
        plan(query).err().map_or("OK", |e| e.code)
    }

    #[test]
    fn accepts_the_subset() {
        for query in [
            "SELECT Id FROM Contact",
            "select id, email from contact where email = 'a@b.c' order by id limit 5",
            "SELECT Id FROM Contact WHERE LastName = 'O\\'Brien' AND (Phone != null OR Email LIKE '%@x.com')",
            "SELECT Name FROM Account WHERE NumberOfEmployees >= 100 AND Industry IN ('Technology', 'Energy')",
            "SELECT Id FROM Opportunity WHERE CloseDate < 2021-09-01 AND CreatedDate > 2021-06-01T00:00:00Z",
            "SELECT Id FROM Opportunity WHERE IsWon = true ORDER BY Amount DESC NULLS LAST, Id LIMIT 10 OFFSET 5",
            "SELECT COUNT() FROM User",
            "SELECT FIELDS(ALL) FROM Contact LIMIT 200",
            "SELECT Id FROM Contact WHERE AccountId NOT IN ('0015g0000000001AAA')",
        ] {
            assert_eq!(error_code(query), "OK", "{query}");
        }
    }

    #[test]
    fn refuses_like_salesforce() {
        assert_eq!(error_code("SELECT Id FROM Lead"), "INVALID_TYPE");
        assert_eq!(error_code("SELECT Id, Foo FROM Contact"), "INVALID_FIELD");
        assert_eq!(
            error_code("SELECT Account.Name FROM Contact"),
            "INVALID_FIELD"
        );
        assert_eq!(error_code("SELECT Id FRM Contact"), "MALFORMED_QUERY");
        assert_eq!(
            error_code("SELECT Id FROM Contact WHERE"),
            "MALFORMED_QUERY"
        );
        assert_eq!(error_code("SELECT * FROM Contact"), "MALFORMED_QUERY");
        assert_eq!(error_code("SELECT Id, Id FROM Contact"), "MALFORMED_QUERY");
        assert_eq!(
            error_code("SELECT Id FROM Contact WHERE Email = 5"),
            "INVALID_FIELD"
        );
        assert_eq!(
            error_code("SELECT Id FROM Account WHERE NumberOfEmployees = '5'"),
            "INVALID_FIELD"
        );
        assert_eq!(
            error_code("SELECT Id FROM Contact WHERE Id = 'nope'"),
            "INVALID_QUERY_FILTER_OPERATOR"
        );
        assert_eq!(
            error_code("SELECT FIELDS(ALL) FROM Contact"),
            "MALFORMED_QUERY"
        );
        assert_eq!(
            error_code("SELECT Id FROM Contact OFFSET 2001"),
            "NUMBER_OUTSIDE_VALID_RANGE"
        );
        assert_eq!(
            error_code("SELECT Id FROM Contact WHERE Name = 'unterminated"),
            "MALFORMED_QUERY"
        );
        assert_eq!(
            error_code("SELECT Id FROM Contact WHERE Name = 'bad \\q'"),
            "MALFORMED_QUERY"
        );
        assert_eq!(error_code(""), "MALFORMED_QUERY");
        assert_eq!(
            error_code("SELECT Id FROM Contact WHERE Name = :name"),
            "MALFORMED_QUERY"
        );
    }

    #[test]
    fn messages_point_at_the_problem() {
        let err = plan("SELECT Id, Foo FROM Contact").err();
        let message = err.map(|e| e.message).unwrap_or_default();
        assert!(message.starts_with("\nSELECT Id, Foo FROM Contact\n           ^\nERROR at Row:1:Column:12\nNo such column 'Foo' on entity 'Contact'."), "{message}");
    }

    #[test]
    fn garbage_never_panics() {
        let valid = "SELECT Id, Name FROM Contact WHERE (Email LIKE '%x\\_y' OR NOT Phone IN ('1', null)) AND CreatedDate > 2021-01-01T00:00:00Z ORDER BY Name DESC NULLS LAST LIMIT 5 OFFSET 1";
        // Every prefix and suffix of a valid query, on char boundaries.
        for (i, _) in valid.char_indices() {
            let _ = plan(&valid[..i]);
            let _ = plan(&valid[i..]);
        }
        // Pseudo-random soups of SOQL-ish fragments and odd characters.
        let pieces = [
            "SELECT",
            "FROM",
            "WHERE",
            "Id",
            "Contact",
            "(",
            ")",
            ",",
            "'",
            "\\",
            "=",
            "!=",
            "<>",
            "<",
            ">=",
            "LIKE",
            "IN",
            "NOT",
            "AND",
            "OR",
            "null",
            "true",
            "-",
            "+1",
            "2021-13-45",
            "2021-01-01T25:00:00Z",
            "é",
            "💥",
            "\u{0}",
            ":",
            "*",
            "ORDER BY",
            "LIMIT",
            "OFFSET",
            "COUNT()",
            "FIELDS(ALL)",
            "99999999999999999999999",
        ];
        let mut seed: u64 = 0x5eed;
        for _ in 0..5000 {
            let mut query = String::new();
            for _ in 0..(seed % 12) {
                seed = seed
                    .wrapping_mul(6_364_136_223_846_793_005)
                    .wrapping_add(1_442_695_040_888_963_407);
                query.push_str(pieces[(seed >> 33) as usize % pieces.len()]);
                if seed & 1 == 0 {
                    query.push(' ');
                }
            }
            seed = seed.wrapping_add(0x9e37);
            let _ = plan(&query);
        }
        // Deep nesting is refused, not a stack overflow.
        let deep = format!(
            "SELECT Id FROM Contact WHERE {}Id = null{}",
            "(".repeat(50_000),
            ")".repeat(50_000)
        );
        assert_eq!(plan(&deep).err().map(|e| e.code), Some("MALFORMED_QUERY"));
        let nots = format!(
            "SELECT Id FROM Contact WHERE {}Id = null",
            "NOT ".repeat(10_000)
        );
        assert_eq!(plan(&nots).err().map(|e| e.code), Some("MALFORMED_QUERY"));
        let fine = format!(
            "SELECT Id FROM Contact WHERE {}Id = null{}",
            "(".repeat(20),
            ")".repeat(20)
        );
        assert!(plan(&fine).is_ok());
    }

    #[test]
    fn like_patterns() {
        assert!(like("Olivia", "oli%"));
        assert!(like("Olivia", "%IVI%"));
        assert!(like("Olivia", "O_ivia"));
        assert!(!like("Olivia", "O_via"));
        assert!(like("100%", "100\\%"));
        assert!(!like("1000", "100\\%"));
        assert!(like("", "%"));
    }
}
