//! The record's id of a get, update or delete is the argument `id` whatever the vendor's path calls it:
//! in the input schema, in the tool table (with the vendor's name kept for the request), and only for
//! the last path parameter.

#![allow(clippy::expect_used, clippy::unwrap_used)] // Tests fail loudly on broken fixtures.

use serde_json::Value;
use switchboard_compiler::compile;
use switchboard_compiler::emit::Templates;

const DEFINITION: &str = r#"
name: acme
display_name: Acme CRM
description: Contacts and their notes in an Acme CRM account.
categories: [crm]
docs_url: https://developer.acme.example/reference
base_url: https://api.acme.example
auth:
  bearer:
    description: An Acme API token.
errors:
  message: /message
resources:
  notes:
    singular: note
    methods:
      get:
        http: GET
        path: /v1/contacts/{contactId}/notes/{noteId}
        scopes: [notes.read]
        documentation:
          description: Reads one note of a contact.
          path:
            contactId: {type: string, required: true, description: The contact the note belongs to.}
            noteId: {type: string, description: The note's numeric id.}
          query:
            format: {type: string, description: How to render the note body., enum: [text, html]}
          response:
            type: object
            properties:
              id: {type: string, description: The note's id.}
              created: {type: string, format: date-time, description: When it was written.}
      update:
        http: PATCH
        path: /v1/notes/{noteId}
        scopes: [notes.write]
        documentation:
          description: Changes a note's text.
          path:
            noteId: {type: string, required: true, description: The note's numeric id.}
          body:
            text: {type: string, required: true, description: The new text.}
            author_email: {type: string, format: email, description: Who wrote it.}
"#;

fn compiled() -> Vec<(String, String)> {
    let compiled = compile(
        vec![(
            "integrations/acme.yaml".to_owned(),
            DEFINITION.as_bytes().to_vec(),
        )],
        &Templates {
            integration_doc: String::new(),
        },
        true,
    )
    .expect("emits");
    let rendered: Vec<String> = compiled
        .diagnostics
        .iter()
        .map(|d| d.render(compiled.source_text(&d.file), false))
        .collect();
    assert!(rendered.is_empty(), "{}", rendered.join("\n"));
    compiled
        .files
        .expect("files")
        .into_iter()
        .map(|f| (f.path, f.contents))
        .collect()
}

fn file<'a>(files: &'a [(String, String)], path: &str) -> &'a str {
    files
        .iter()
        .find(|(p, _)| p == path)
        .map(|(_, c)| c.as_str())
        .unwrap_or_else(|| panic!("no {path}"))
}

fn json(files: &[(String, String)], path: &str) -> Value {
    serde_json::from_str(file(files, path)).expect("JSON")
}

#[test]
fn the_last_path_parameter_becomes_id_and_the_others_keep_their_names() {
    let files = compiled();
    let get = json(
        &files,
        "generated/schemas/acme/get_single_acme_crm_note_by_id.json",
    );
    let input = &get["inputSchema"];
    let names: Vec<&str> = input["properties"]
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(names, ["contactId", "format", "id"]);
    // Required even though the definition forgot to say so: the path needs it.
    assert_eq!(input["required"], serde_json::json!(["contactId", "id"]));
    assert_eq!(
        input["properties"]["id"]["description"],
        "The note's id (Acme CRM `noteId`). The note's numeric id."
    );
    // Output schemas keep `format`.
    assert_eq!(
        get["outputSchema"]["properties"]["result"]["properties"]["created"]["format"],
        "date-time"
    );

    let table = file(&files, "generated/src/acme.rs");
    for expected in [
        r#"name: "id",
                    wire: "noteId",
                    location: ParamLocation::Path,"#,
        r#"name: "contactId",
                    wire: "contactId",
                    location: ParamLocation::Path,"#,
    ] {
        assert!(table.contains(expected), "{expected}\nin\n{table}");
    }
    assert!(table.contains(r#"path: "/v1/contacts/{contactId}/notes/{noteId}","#));
}

#[test]
fn input_formats_become_words() {
    let files = compiled();
    let update = json(
        &files,
        "generated/schemas/acme/update_a_acme_crm_note_by_id.json",
    );
    let email = &update["inputSchema"]["properties"]["author_email"];
    assert!(email.get("format").is_none(), "{email}");
    assert_eq!(email["description"], "Who wrote it. An email address.");
    assert_eq!(
        update["inputSchema"]["required"],
        serde_json::json!(["id", "text"])
    );
}
