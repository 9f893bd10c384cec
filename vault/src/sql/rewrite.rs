//! The shared SQL text uses SQLite's numbered placeholders (`?1`, `?2`, …); PostgreSQL wants `$1`,
//! `$2`, …. [`to_postgres`] rewrites one into the other, leaving string literals, quoted
//! identifiers and comments alone.
//!
//! Why `?N` and not `$N` everywhere: in SQLite `$1` is a *named* parameter, numbered by its first
//! appearance in the text, so `SELECT $2, $1` binds silently wrong there. `?N` means the same in
//! both engines once rewritten.
//!
//! What the scanner knows of the SQL it reads, which is all the shared text may use:
//! - `'…'` literals with `''` escapes, `"…"` identifiers with `""` escapes, `-- …` line comments
//!   and non-nested `/* … */` comments: a `?` inside them is text, not a placeholder;
//! - not PostgreSQL's `E'…'` strings (backslash escapes) nor `$tag$…$tag$` dollar quoting, and not
//!   its `?`, `?|`, `?&` JSON operators (use `jsonb_exists` and friends): SQLite has none of them.
//!
//! A bare `?` (unnumbered) is refused with an error, in release builds too: the shared text must say
//! which parameter it means, and the SQLite side refuses the same text (see `sqlite.rs`), so both
//! backends fail alike. So is `$N` outside literals: it would bind wrong in SQLite.

use std::borrow::Cow;

use super::SqlError;

/// `sql` with every `?N` placeholder written as `$N`; borrowed when it has none.
pub fn to_postgres(sql: &str) -> Result<Cow<'_, str>, SqlError> {
    let bytes = sql.as_bytes();
    let mut out: Option<String> = None;
    let mut copied = 0;
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            quote @ (b'\'' | b'"') => {
                i += 1;
                while i < bytes.len() {
                    if bytes[i] == quote {
                        if bytes.get(i + 1) == Some(&quote) {
                            i += 2;
                            continue;
                        }
                        break;
                    }
                    i += 1;
                }
                i += 1; // past the closing quote (or the end: the server reports it)
            }
            b'-' if bytes.get(i + 1) == Some(&b'-') => {
                i = sql[i..].find('\n').map_or(bytes.len(), |n| i + n + 1);
            }
            b'/' if bytes.get(i + 1) == Some(&b'*') => {
                i = sql[i + 2..]
                    .find("*/")
                    .map_or(bytes.len(), |n| i + 2 + n + 2);
            }
            b'?' => {
                let digits = bytes[i + 1..]
                    .iter()
                    .take_while(|b| b.is_ascii_digit())
                    .count();
                let number = &sql[i + 1..i + 1 + digits];
                if digits == 0 || number.bytes().all(|b| b == b'0') {
                    return Err(SqlError::Other(format!(
                        "unnumbered or zero placeholder `?{number}` at byte {i}: write ?1, ?2, … (the shared SQL numbers its parameters)"
                    )));
                }
                let o = out.get_or_insert_with(|| String::with_capacity(sql.len() + 8));
                o.push_str(&sql[copied..i]);
                o.push('$');
                copied = i + 1;
                i += 1 + digits;
            }
            b'$' if bytes.get(i + 1).is_some_and(u8::is_ascii_digit)
                && !(i > 0 && is_identifier_byte(bytes[i - 1])) =>
            {
                return Err(SqlError::Other(format!(
                    "`$N` placeholder at byte {i}: the shared SQL writes ?N (in SQLite $N is a named parameter and binds wrong)"
                )));
            }
            _ => i += 1,
        }
    }
    Ok(match out {
        None => Cow::Borrowed(sql),
        Some(mut o) => {
            o.push_str(&sql[copied..]);
            Cow::Owned(o)
        }
    })
}

fn is_identifier_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_' || b == b'$' || !b.is_ascii()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pg(sql: &str) -> String {
        to_postgres(sql).unwrap().into_owned()
    }

    #[test]
    fn numbered_placeholders_become_dollars() {
        assert_eq!(pg("SELECT ?1, ?2, ?1"), "SELECT $1, $2, $1");
        assert_eq!(
            pg("UPDATE t SET a=?12 WHERE b=?3"),
            "UPDATE t SET a=$12 WHERE b=$3"
        );
        assert_eq!(pg("VALUES(?1)"), "VALUES($1)");
        assert_eq!(pg("?1"), "$1");
    }

    #[test]
    fn text_without_placeholders_is_borrowed() {
        assert!(matches!(
            to_postgres("SELECT 1").unwrap(),
            Cow::Borrowed("SELECT 1")
        ));
    }

    #[test]
    fn literals_identifiers_and_comments_are_left_alone() {
        assert_eq!(pg("SELECT '?1', ?1"), "SELECT '?1', $1");
        assert_eq!(pg("SELECT 'it''s ?2', ?2"), "SELECT 'it''s ?2', $2");
        assert_eq!(pg("SELECT '', ?1, ''''"), "SELECT '', $1, ''''");
        assert_eq!(
            pg(r#"SELECT "a?1""b" FROM t WHERE x=?1"#),
            r#"SELECT "a?1""b" FROM t WHERE x=$1"#
        );
        assert_eq!(
            pg("SELECT ?1 -- why ?2 here\n, ?2"),
            "SELECT $1 -- why ?2 here\n, $2"
        );
        assert_eq!(pg("SELECT ?1 -- trailing ?"), "SELECT $1 -- trailing ?");
        assert_eq!(
            pg("SELECT /* ? and ?3 */ ?3 /**/ , ?1"),
            "SELECT /* ? and ?3 */ $3 /**/ , $1"
        );
        assert_eq!(pg("SELECT 'a - - b' -?1"), "SELECT 'a - - b' -$1");
        assert_eq!(pg("SELECT 'é?1', ?1, 'ü'"), "SELECT 'é?1', $1, 'ü'");
    }

    #[test]
    fn unterminated_quotes_and_comments_are_left_to_the_server() {
        assert_eq!(pg("SELECT ?1, 'open ?2"), "SELECT $1, 'open ?2");
        assert_eq!(pg("SELECT ?1 /* open ?2"), "SELECT $1 /* open ?2");
    }

    #[test]
    fn bare_and_zero_placeholders_are_refused() {
        for sql in ["SELECT ?", "SELECT ?1, ?", "SELECT ?0", "SELECT ?, 1"] {
            let err = to_postgres(sql).unwrap_err();
            assert!(matches!(err, SqlError::Other(_)), "{sql}");
            assert!(err.to_string().contains("placeholder"), "{err}");
        }
    }

    #[test]
    fn dollar_placeholders_are_refused_but_dollars_in_names_and_literals_pass() {
        assert!(to_postgres("SELECT $1").is_err());
        assert!(to_postgres("SELECT ?1,$2").is_err());
        assert_eq!(
            pg("SELECT a$1 FROM t WHERE x=?1"),
            "SELECT a$1 FROM t WHERE x=$1"
        );
        assert_eq!(pg("SELECT '$1', ?1"), "SELECT '$1', $1");
    }
}
