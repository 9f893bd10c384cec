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
