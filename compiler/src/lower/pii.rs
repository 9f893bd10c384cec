//! Where personal data sits in a tool's output records, and whether the records are mostly personal
//! data. The runtime redacts by these paths (`--redact`) and hides mostly-personal tools
//! (`--no-pii-tools`); see `switchboard_runtime::redact`.

use crate::model::{Field, FieldType};
use crate::span::SpMap;

/// Fields nest at most 16 levels (E0109); a little headroom keeps the walk bounded whatever the input.
const MAX_DEPTH: usize = 32;

/// The record-relative paths of every field marked `pii` inside `record` (the record itself is never
/// marked: E0112), sorted and deduplicated. Each is a JSON Pointer (RFC 6901) from one record, where the
/// token `*` stands for every element of an array and every key of an object's
/// `additional_properties`; a marked field inside a marked one is listed too.
pub fn record_paths(record: &Field) -> Vec<String> {
    let mut out = Vec::new();
    children(record, &mut String::new(), &mut out, 0);
    out.sort();
    out.dedup();
    out
}

/// The paths of every marked field among `fields` (a unified model's top-level fields) and inside them.
pub fn fields_paths(fields: &SpMap<Field>) -> Vec<String> {
    let mut out = Vec::new();
    let mut path = String::new();
    for (name, field) in fields.iter() {
        visit(field, &mut path, &token(&name.value), &mut out, 0);
    }
    out.sort();
    out.dedup();
    out
}

fn children(field: &Field, path: &mut String, out: &mut Vec<String>, depth: usize) {
    if depth > MAX_DEPTH {
        return;
    }
    if field.ty.value == FieldType::Array
        && let Some(items) = &field.items
    {
        visit(items, path, "*", out, depth);
    }
    if field.ty.value == FieldType::Object {
        if let Some(props) = &field.properties {
            for (name, child) in props.iter() {
                visit(child, path, &token(&name.value), out, depth);
            }
        }
        if let Some(extra) = &field.additional_properties {
            visit(extra, path, "*", out, depth);
        }
    }
}

fn visit(field: &Field, path: &mut String, token: &str, out: &mut Vec<String>, depth: usize) {
    let len = path.len();
    path.push('/');
    path.push_str(token);
    if field.is_pii() {
        out.push(path.clone());
    }
    children(field, path, out, depth + 1);
    path.truncate(len);
}

/// A property name as a JSON Pointer token.
fn token(name: &str) -> String {
    name.replace('~', "~0").replace('/', "~1")
}

/// Whether records made of `fields` are mostly personal data: more than half of the fields that are not
/// `read_only` (the record's own id and timestamps) are marked `pii` or hold a marked field.
pub fn mostly_personal(fields: &SpMap<Field>) -> bool {
    let counted: Vec<&Field> = fields
        .iter()
        .map(|(_, f)| f)
        .filter(|f| !f.read_only)
        .collect();
    let personal = counted.iter().filter(|f| f.holds_pii()).count();
    personal * 2 > counted.len()
}

/// [`mostly_personal`] for a documented vendor record: its top-level properties.
pub fn record_mostly_personal(record: &Field) -> bool {
    match (&record.ty.value, &record.properties) {
        (FieldType::Object, Some(props)) => mostly_personal(props),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::load::load_bytes_as;

    fn field(yaml: &str) -> Field {
        match load_bytes_as::<Field>("field.yaml", yaml.as_bytes().to_vec()) {
            (_, Ok(field)) => field,
            (_, Err(d)) => panic!("{}", d.message),
        }
    }

    #[test]
    fn paths_run_from_the_record_with_a_star_for_elements_and_free_form_keys() {
        let record = field(
            "
type: object
pii: true
properties:
  id: {type: string}
  name: {type: string, pii: true}
  a/b~c: {type: string, pii: true}
  emails:
    type: array
    pii: true
    items:
      type: object
      properties:
        address: {type: string, pii: true}
        primary: {type: boolean}
  custom:
    type: object
    additional_properties: {type: string, pii: true}
",
        );
        // The record's own mark is E0112, never a path.
        assert_eq!(
            record_paths(&record),
            [
                "/a~1b~0c",
                "/custom/*",
                "/emails",
                "/emails/*/address",
                "/name"
            ]
        );
    }

    #[test]
    fn mostly_personal_counts_fields_that_are_not_read_only() {
        let record = |yaml: &str| record_mostly_personal(&field(yaml));
        let base = "type: object\nproperties:\n  id: {type: string, read_only: true}\n  \
                    created_at: {type: string, read_only: true}\n";
        assert!(record(&format!(
            "{base}  name: {{type: string, pii: true}}\n  email: {{type: string, pii: true}}\n  \
             active: {{type: boolean}}\n"
        )));
        // Half is not more than half.
        assert!(!record(&format!(
            "{base}  name: {{type: string, pii: true}}\n  active: {{type: boolean}}\n"
        )));
        // A field holding a marked field counts as personal.
        assert!(record(&format!(
            "{base}  emails: {{type: array, items: {{type: object, properties: {{address: {{type: string, pii: true}}}}}}}}\n"
        )));
        assert!(!record(base));
        assert!(!record("type: string\n"));
    }
}
