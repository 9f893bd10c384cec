//! Hostile input gets a coded error: never a crash, a hang, or unbounded memory.

#![allow(clippy::expect_used, clippy::unwrap_used)] // Tests fail loudly on broken fixtures.

use switchboard_compiler::compile;
use switchboard_compiler::emit::Templates;

fn first_error(name: &str, bytes: Vec<u8>) -> (String, u32) {
    let templates = Templates {
        integration_doc: String::new(),
    };
    let compiled = compile(vec![(name.to_owned(), bytes)], &templates, false).expect("compiles");
    let d = compiled
        .diagnostics
        .iter()
        .find(|d| d.is_error())
        .unwrap_or_else(|| panic!("{name}: expected an error"));
    // Rendering must not panic either, whatever the span.
    let rendered = d.render(compiled.source_text(&d.file), false);
    assert!(rendered.contains(&d.code.id.to_string()));
    (d.code.id.to_owned(), d.span.line)
}

#[test]
fn an_alias_expansion_bomb_is_refused() {
    let mut yaml = String::from("a: &a [x, x, x, x, x, x, x, x, x, x]\n");
    for i in 1..12 {
        let prev = if i == 1 {
            "a".to_owned()
        } else {
            format!("a{}", i - 1)
        };
        yaml.push_str(&format!("a{i}: &a{i} [*{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}]\n"));
    }
    let (code, _) = first_error("bomb.yaml", yaml.into_bytes());
    assert!(code == "E0007" || code == "E0002", "got {code}");
}

/// A definition whose first key leads to a field `example`, which accepts any YAML: the payload is
/// parsed in full rather than refused early for its type.
fn with_payload(payload: &str) -> String {
    format!(
        "resources:\n  things:\n    singular: thing\n    methods:\n      get:\n        http: GET\n        path: /things\n        documentation:\n          description: d\n          query:\n            q:\n              type: string\n              example: {payload}\n"
    )
}

#[test]
fn many_aliases_hit_the_alias_budget() {
    let mut payload = String::from("[&n x, ");
    for _ in 0..5000 {
        payload.push_str("*n, ");
    }
    payload.push(']');
    let (code, line) = first_error("aliases.yaml", with_payload(&payload).into_bytes());
    assert_eq!((code.as_str(), line), ("E0007", 13));
}

#[test]
fn ten_thousand_deep_nesting_is_refused() {
    let flow = with_payload(&format!("{}{}", "[".repeat(10_000), "]".repeat(10_000)));
    assert_eq!(first_error("deep_flow.yaml", flow.into_bytes()).0, "E0007");
    let mut block = with_payload("");
    for depth in 0..10_000 {
        block.push_str(&" ".repeat(16 + depth));
        block.push_str("a:\n");
    }
    let (code, _) = first_error("deep_block.yaml", block.into_bytes());
    assert_eq!(code, "E0007");
}

#[test]
fn non_utf8_bytes_are_located() {
    let mut bytes = b"name: hubspot\ndisplay_name: Hub".to_vec();
    bytes.extend_from_slice(&[0xff, 0xfe]);
    bytes.extend_from_slice(b"Spot\n");
    assert_eq!(first_error("latin1.yaml", bytes), ("E0008".to_owned(), 2));
}

#[test]
fn empty_and_comment_only_files_say_so() {
    assert_eq!(first_error("empty.yaml", Vec::new()).0, "E0009");
    assert_eq!(first_error("blank.yaml", b"\n\n   \n".to_vec()).0, "E0009");
    assert_eq!(
        first_error("comments.yaml", b"# nothing here\n---\n".to_vec()).0,
        "E0009"
    );
}

#[test]
fn a_fifty_megabyte_file_is_refused_without_parsing() {
    let mut bytes = b"name: big\ndescription: \"".to_vec();
    bytes.resize(50 * 1024 * 1024, b'x');
    let (code, _) = first_error("big.yaml", bytes);
    assert_eq!(code, "E0007");
}

#[test]
fn a_large_file_from_disk_is_refused_without_reading_it_all() {
    let dir = std::env::temp_dir().join(format!("switchboard-hostile-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let path = dir.join("big.yaml");
    let file = std::fs::File::create(&path).expect("create");
    file.set_len(50 * 1024 * 1024).expect("sparse file");
    let (_, result) = switchboard_compiler::load::load_file(&path);
    let err = result.expect_err("refused");
    assert_eq!(err.code.id, "E0007");
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn odd_but_valid_yaml_shapes_give_errors_not_panics() {
    for (name, text) in [
        ("scalar.yaml", "just a string\n"),
        ("list.yaml", "- a\n- b\n"),
        ("null.yaml", "~\n"),
        ("two_docs.yaml", "name: a\n---\nname: b\n"),
        ("tabs.yaml", "name:\n\t- a\n"),
        ("unterminated.yaml", "name: \"abc\n"),
        ("binary_tag.yaml", "name: !!binary aGVsbG8=\n"),
        ("anchor_cycle.yaml", "a: &a\n  b: *a\n"),
        ("bom.yaml", "\u{feff}name: x\n"),
        ("merge.yaml", "x: &x {a: 1}\ny:\n  <<: *x\n"),
    ] {
        first_error(name, text.as_bytes().to_vec());
    }
}

/// A valid definition (the `cargo xtask new` scaffold, trimmed), with the pagination rule's cursor
/// parameter, extra query parameters of the list method, and the path and path parameters of the get
/// method replaced: hostile input that gets past the loader to the semantic checks.
const DEFINITION: &str = r#"name: hostile
display_name: Hostile
description: A definition with hostile parts.
categories: [crm]
docs_url: https://example.com/api-reference
base_url: https://api.example.com
auth:
  bearer:
    description: An API token.
errors:
  message: /message
pagination:
  cursor:
    style: cursor
    results: /data
    cursor_param: __CURSOR_PARAM__
    next_cursor: /next_cursor
default_pagination: cursor
resources:
  contacts:
    singular: contact
    methods:
      list:
        http: GET
        path: /v1/contacts
        documentation:
          description: List contacts.
          query:
            cursor: {type: string, description: Cursor from the previous page.}
__LIST_QUERY__          response: {type: object}
      get:
        http: GET
        path: __GET_PATH__
        documentation:
          description: Read one contact.
          path:
__GET_PATH_DOC__          response: {type: object}
"#;

fn definition(cursor_param: &str, list_query: &str, get_path: &str, get_path_doc: &str) -> Vec<u8> {
    DEFINITION
        .replace("__CURSOR_PARAM__", cursor_param)
        .replace("__LIST_QUERY__", list_query)
        .replace("__GET_PATH__", get_path)
        .replace("__GET_PATH_DOC__", get_path_doc)
        .into_bytes()
}

/// Every diagnostic for one file, each rendered (which must not panic).
fn diagnostics(name: &str, bytes: Vec<u8>) -> Vec<switchboard_compiler::diagnostic::Diagnostic> {
    let templates = Templates {
        integration_doc: String::new(),
    };
    let compiled = compile(vec![(name.to_owned(), bytes)], &templates, false).expect("compiles");
    for d in &compiled.diagnostics {
        d.render(compiled.source_text(&d.file), false);
    }
    compiled.diagnostics
}

fn documented_path_params(names: impl Iterator<Item = String>) -> String {
    names
        .map(|n| format!("            {n}: {{type: string, required: true, description: d}}\n"))
        .collect()
}

#[test]
fn the_template_definition_is_valid() {
    let bytes = definition(
        "cursor",
        "",
        "/v1/contacts/{id}",
        &documented_path_params(["id".to_owned()].into_iter()),
    );
    let errors: Vec<_> = diagnostics("hostile.yaml", bytes)
        .into_iter()
        .filter(|d| d.is_error())
        .collect();
    assert!(errors.is_empty(), "{errors:?}");
}

/// Found while fuzzing: every placeholder was matched against every documented name's respelling, each
/// a search of every placeholder — cubic; 1000 of each took 90 s in a release build.
#[test]
fn a_path_with_a_thousand_parameters_is_refused_quickly() {
    let path: String = (0..1000).map(|i| format!("{{p{i}}}")).collect();
    let doc = documented_path_params((0..1000).map(|i| format!("q{i}")));
    let bytes = definition("cursor", "", &format!("/v1/{path}"), &doc);
    let (code, line) = first_error("hostile.yaml", bytes);
    assert_eq!((code.as_str(), line), ("E0007", 33));
}

/// At the limit of 64 placeholders, a thousand documented names are each reported once, a misspelling is
/// still paired with the placeholder it means, and a long path is not copied into every message.
#[test]
fn a_thousand_unused_path_params_stay_cheap_and_small() {
    let path: String = (0..64).map(|i| format!("{{p_{i}}}")).collect();
    let long_tail = "a".repeat(20_000);
    let documented = std::iter::once("p0".to_owned())
        .chain((1..64).map(|i| format!("p_{i}")))
        .chain((0..1000).map(|i| format!("q{i}")));
    let doc = documented_path_params(documented);
    let bytes = definition("cursor", "", &format!("/v1/{path}/{long_tail}"), &doc);
    let diags = diagnostics("hostile.yaml", bytes);
    assert!(!diags.iter().any(|d| d.code.id == "E0101"));
    let unused: Vec<_> = diags.iter().filter(|d| d.code.id == "E0102").collect();
    assert_eq!(unused.len(), 1001);
    assert!(unused.iter().all(|d| d.message.len() < 1000));
    assert_eq!(
        unused[0].help.as_deref(),
        Some("rename it to `p_0`, as the path spells it")
    );
}

/// A name a megabyte long is not measured against other long names for a did-you-mean: the edit distance
/// is quadratic in their lengths (two 100 kB names took 45 s in a release build).
#[test]
fn a_megabyte_long_name_gets_no_suggestion() {
    let cursor = "x".repeat(1 << 20);
    let query = format!(
        "            ? {}\n            : {{type: string, description: d}}\n",
        "y".repeat(1 << 20)
    );
    let bytes = definition(&cursor, &query, "/v1/contacts", "            {}\n");
    let diags = diagnostics("hostile.yaml", bytes);
    let d = diags
        .iter()
        .find(|d| d.code.id == "E0302")
        .expect("the cursor parameter is not a query parameter");
    assert!(
        d.help
            .as_deref()
            .is_some_and(|h| !h.contains("did you mean"))
    );
}

/// Lists of names in messages are cut: a help line naming every one of thousands of declared items,
/// repeated for each of thousands of references, costs gigabytes.
#[test]
fn messages_list_at_most_twenty_names() {
    let query: String = (0..3000)
        .map(|i| format!("            q{i}: {{type: string, description: d}}\n"))
        .collect();
    let bytes = definition("nope", &query, "/v1/contacts", "            {}\n");
    let diags = diagnostics("hostile.yaml", bytes);
    let d = diags
        .iter()
        .find(|d| d.code.id == "E0302")
        .expect("the cursor parameter is not a query parameter");
    let help = d.help.as_deref().unwrap_or_default();
    assert!(help.ends_with("and 2981 more"), "{help}");
}
