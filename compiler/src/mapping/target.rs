//! Request-map targets: where in the vendor's request body a value goes.
//!
//! ```text
//! target  = segment ( "." segment )* [ "." "*" ] | "*"
//! segment = name | "'" text "'" | '"' text '"'       a quoted segment may hold dots
//! ```
//! `properties.firstname` sets a nested key; `'custom.cf_1'` sets a key with a dot in it;
//! `properties.*` and `*` spread an object's entries into the body at that level (custom fields), each
//! entry an assignment of its own; explicit targets are written after spreads, so they win.

/// A parsed target.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Target {
    /// The keys from the body's root.
    pub keys: Vec<String>,
    /// Whether the value's entries are spread into the object at `keys` rather than set at it.
    pub spread: bool,
}

/// Parses a target; `Err` says what is wrong.
pub fn parse(text: &str) -> Result<Target, String> {
    let mut keys = Vec::new();
    let mut rest = text.trim();
    if rest.is_empty() {
        return Err("an empty target".to_owned());
    }
    loop {
        if rest == "*" {
            return Ok(Target { keys, spread: true });
        }
        let (key, after) = match rest.chars().next() {
            Some(quote @ ('\'' | '"')) => {
                let inner = &rest[1..];
                let close = inner
                    .find(quote)
                    .ok_or_else(|| format!("unclosed {quote} in `{text}`"))?;
                (inner[..close].to_owned(), &inner[close + 1..])
            }
            _ => {
                let end = rest.find('.').unwrap_or(rest.len());
                let name = &rest[..end];
                if name.is_empty()
                    || !name
                        .chars()
                        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-'))
                {
                    return Err(format!(
                        "`{name}` in `{text}`: write names of letters, digits, `_` and `-`, quote other keys ('custom.cf_1'), or end with `*` to spread an object"
                    ));
                }
                (name.to_owned(), &rest[end..])
            }
        };
        if key.is_empty() {
            return Err(format!("an empty key in `{text}`"));
        }
        keys.push(key);
        if after.is_empty() {
            return Ok(Target {
                keys,
                spread: false,
            });
        }
        rest = after
            .strip_prefix('.')
            .ok_or_else(|| format!("expected `.` after a quoted key in `{text}`"))?;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys(text: &str) -> (Vec<String>, bool) {
        let t = parse(text).unwrap_or_else(|e| panic!("{text}: {e}"));
        (t.keys, t.spread)
    }

    #[test]
    fn names_quoted_keys_and_spreads() {
        assert_eq!(keys("FirstName"), (vec!["FirstName".into()], false));
        assert_eq!(
            keys("properties.firstname"),
            (vec!["properties".into(), "firstname".into()], false)
        );
        assert_eq!(keys("'custom.cf_1'"), (vec!["custom.cf_1".into()], false));
        assert_eq!(
            keys("fields.\"a.b\".c"),
            (vec!["fields".into(), "a.b".into(), "c".into()], false)
        );
        assert_eq!(keys("*"), (vec![], true));
        assert_eq!(keys("properties.*"), (vec!["properties".into()], true));
    }

    #[test]
    fn mistakes_are_named() {
        for bad in ["", "a..b", "a.", "'open", "a b", "*.x", "'x'y", "a.*.b"] {
            assert!(parse(bad).is_err(), "{bad:?}");
        }
    }
}
