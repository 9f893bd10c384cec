//! Validates tool arguments against the tool's input schema, reporting the JSON Pointer of each
//! offending argument.

use jsonschema::Validator;
use jsonschema::error::ValidationErrorKind;
use serde_json::Value;

use crate::outcome::ToolError;
use crate::request::escape_pointer;

/// Most errors listed in one message; past that the agent should fix these and try again.
const MAX_REPORTED: usize = 5;

/// Compiles an input schema once, for every later call.
pub fn compile(schema: &Value) -> Result<Validator, String> {
    jsonschema::validator_for(schema).map_err(|e| e.to_string())
}

/// Checks `args`; on failure points at the first offending argument and lists what is wrong.
pub fn check(validator: &Validator, args: &Value) -> Result<(), ToolError> {
    let mut errors = validator.iter_errors(args);
    let Some(first) = errors.next() else {
        return Ok(());
    };
    let pointer = pointer_of(&first);
    let mut lines = vec![describe(&pointer, &first.to_string())];
    let mut more = 0usize;
    for error in errors {
        // Past the reported few, only count: formatting them would be wasted work.
        if lines.len() < MAX_REPORTED {
            lines.push(describe(&pointer_of(&error), &error.to_string()));
        } else {
            more += 1;
        }
    }
    if more > 0 {
        lines.push(format!("and {more} more"));
    }
    Err(ToolError::InvalidArguments {
        pointer,
        message: lines.join("; "),
    })
}

fn describe(pointer: &str, message: &str) -> String {
    if pointer.is_empty() {
        format!("arguments: {message}")
    } else {
        format!("{pointer}: {message}")
    }
}

/// Where the error is: the instance path, extended to the property a `required` or
/// `additionalProperties` error is about, since that is the argument to add or remove.
fn pointer_of(error: &jsonschema::ValidationError<'_>) -> String {
    let base = error.instance_path().to_string();
    let property = match error.kind() {
        ValidationErrorKind::Required {
            property: Value::String(name),
        } => Some(name.as_str()),
        ValidationErrorKind::AdditionalProperties { unexpected } => {
            unexpected.first().map(String::as_str)
        }
        _ => None,
    };
    match property {
        Some(name) => format!("{base}/{}", escape_pointer(name)),
        None => base,
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn validator() -> Validator {
        let schema = json!({
            "type": "object",
            "additionalProperties": false,
            "required": ["email"],
            "properties": {
                "email": {"type": "string"},
                "limit": {"type": "integer", "minimum": 1, "maximum": 100},
                "props": {"type": "object", "properties": {"a/b": {"type": "string"}}}
            }
        });
        compile(&schema).unwrap_or_else(|e| unreachable!("{e}"))
    }

    fn pointer(args: Value) -> Option<String> {
        match check(&validator(), &args) {
            Err(ToolError::InvalidArguments { pointer, .. }) => Some(pointer),
            _ => None,
        }
    }

    #[test]
    fn names_the_offending_argument() {
        assert_eq!(
            pointer(json!({"email": "a", "limit": 500})).as_deref(),
            Some("/limit")
        );
        assert_eq!(pointer(json!({})).as_deref(), Some("/email"));
        assert_eq!(
            pointer(json!({"email": "a", "bogus": 1})).as_deref(),
            Some("/bogus")
        );
        assert_eq!(
            pointer(json!({"email": "a", "props": {"a/b": 1}})).as_deref(),
            Some("/props/a~1b")
        );
        assert_eq!(pointer(json!({"email": "a", "limit": 5})), None);
    }

    #[test]
    fn message_lists_every_problem() {
        let Err(ToolError::InvalidArguments { message, .. }) =
            check(&validator(), &json!({"limit": "x"}))
        else {
            panic!("invalid");
        };
        assert!(message.contains("/limit"), "{message}");
        assert!(message.contains("email"), "{message}");
    }
}
