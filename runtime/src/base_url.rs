//! Base URLs with variables: `https://{subdomain}.example.com`, filled per account from values the
//! operator gives (`accounts add --var subdomain=acme`) and checked against each variable's pattern,
//! so a value can never point a request at another host.
//!
//! Besides the declared pattern (matched against the whole value), a value may only hold letters,
//! digits, `-`, `_` and `.`: nothing that ends a host or starts a path, a port, a query or a login,
//! whatever the pattern says.

use std::collections::BTreeMap;

use regex::Regex;

use crate::table::BaseUrlVariable;

/// Why a template could not be filled.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum VariableError {
    /// A variable the template needs has no value.
    #[error("`{name}` is needed ({description}): give it with --var {name}=…")]
    Missing {
        /// The variable.
        name: String,
        /// What it is.
        description: String,
    },
    /// A value that breaks the variable's pattern or holds characters no host part may.
    #[error("`{name}` must match {pattern} (letters, digits, `-`, `_` and `.` only)")]
    Invalid {
        /// The variable.
        name: String,
        /// Its pattern.
        pattern: String,
    },
    /// A value for a variable the integration does not declare.
    #[error("the integration has no base URL variable `{name}`{known}")]
    Unknown {
        /// The name given.
        name: String,
        /// `; it has a, b` or nothing.
        known: String,
    },
}

/// Whether `template` has `{variable}` placeholders.
pub fn has_variables(template: &str) -> bool {
    template.contains('{')
}

/// Checks `values` against `variables` (every one known, every value valid).
pub fn check_values(
    variables: &[BaseUrlVariable],
    values: &BTreeMap<String, String>,
) -> Result<(), VariableError> {
    for (name, value) in values {
        let Some(variable) = variables.iter().find(|v| v.name == name) else {
            let names: Vec<&str> = variables.iter().map(|v| v.name).collect();
            return Err(VariableError::Unknown {
                name: name.clone(),
                known: if names.is_empty() {
                    String::new()
                } else {
                    format!("; it has {}", names.join(", "))
                },
            });
        };
        if !valid(variable, value) {
            return Err(VariableError::Invalid {
                name: name.clone(),
                pattern: variable.pattern.to_owned(),
            });
        }
    }
    Ok(())
}

/// `template` with each `{name}` replaced by its value; every value checked. A template without
/// placeholders comes back unchanged.
pub fn fill(
    template: &str,
    variables: &[BaseUrlVariable],
    values: &BTreeMap<String, String>,
) -> Result<String, VariableError> {
    check_values(variables, values)?;
    let mut out = String::with_capacity(template.len());
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        let Some(close) = rest[open..].find('}') else {
            break;
        };
        let name = &rest[open + 1..open + close];
        let value = values.get(name).ok_or_else(|| VariableError::Missing {
            name: name.to_owned(),
            description: variables
                .iter()
                .find(|v| v.name == name)
                .map_or_else(String::new, |v| v.description.to_owned()),
        })?;
        out.push_str(&rest[..open]);
        out.push_str(value);
        rest = &rest[open + close + 1..];
    }
    out.push_str(rest);
    Ok(out)
}

/// Whether `text` matches the regular expression `pattern` as a whole (a pattern that does not
/// compile matches nothing; the compiler refuses those): a base URL a token answer names is checked so.
pub fn matches_whole(pattern: &str, text: &str) -> bool {
    Regex::new(&format!("^(?:{pattern})$")).is_ok_and(|re| re.is_match(text))
}

/// Whether `value` is a safe host part that matches the variable's whole pattern.
fn valid(variable: &BaseUrlVariable, value: &str) -> bool {
    let safe = !value.is_empty()
        && value.len() <= 253
        && value
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'));
    // The compiler checked the pattern; one that does not compile here matches nothing.
    safe && matches_whole(variable.pattern, value)
}

#[cfg(test)]
mod tests {
    use super::*;

    const SUBDOMAIN: [BaseUrlVariable; 1] = [BaseUrlVariable {
        name: "subdomain",
        description: "the account's subdomain",
        pattern: "[a-z0-9][a-z0-9-]*",
    }];

    fn values(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn templates_fill_with_checked_values() {
        let url = fill(
            "https://{subdomain}.example.com",
            &SUBDOMAIN,
            &values(&[("subdomain", "acme")]),
        );
        assert_eq!(url.as_deref(), Ok("https://acme.example.com"));
        assert_eq!(
            fill("https://api.example.com", &[], &values(&[])).as_deref(),
            Ok("https://api.example.com")
        );
        assert!(matches!(
            fill("https://{subdomain}.example.com", &SUBDOMAIN, &values(&[])),
            Err(VariableError::Missing { .. })
        ));
        assert!(matches!(
            check_values(&SUBDOMAIN, &values(&[("region", "eu")])),
            Err(VariableError::Unknown { .. })
        ));
    }

    #[test]
    fn no_value_can_point_a_request_at_another_host() {
        for hostile in [
            "evil.com/",
            "evil.com#",
            "user@evil.com",
            "evil.com:443",
            "a?b",
            "ACME", // the pattern says lower case
            "",
            "acme.evil.com/x",
            "ac me",
            "acme\u{0}",
        ] {
            assert!(
                matches!(
                    fill(
                        "https://{subdomain}.example.com",
                        &SUBDOMAIN,
                        &values(&[("subdomain", hostile)])
                    ),
                    Err(VariableError::Invalid { .. })
                ),
                "{hostile:?}"
            );
        }
        // Even a careless pattern cannot let a path or a login through.
        let careless = [BaseUrlVariable {
            name: "subdomain",
            description: "",
            pattern: ".*",
        }];
        for hostile in ["evil.com/", "u@evil.com", "evil.com:1"] {
            assert!(
                fill(
                    "https://{subdomain}.example.com",
                    &careless,
                    &values(&[("subdomain", hostile)])
                )
                .is_err(),
                "{hostile}"
            );
        }
    }
}
