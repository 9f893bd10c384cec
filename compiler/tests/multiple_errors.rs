//! A file with several misspelled keys reports every one of them in one run, each where it is, and
//! nothing the recovery itself made up (a key set aside leaves its mapping empty, or a required key
//! missing: neither is reported).

#![allow(clippy::expect_used, clippy::unwrap_used)] // Tests fail loudly on broken fixtures.

use switchboard_compiler::compile;
use switchboard_compiler::emit::Templates;

const DEFINITION: &str = r#"name: acme
display_name: Acme CRM
descripton: Contacts in an Acme CRM account.
categories: [crm]
docs_url: https://developer.acme.example/reference
base_url: https://api.acme.example
auth:
  bearer:
    description: An Acme API token.
    expires: never
errors:
  message: /message
resources:
  contacts:
    singular: contact
    methods:
      get:
        http: GET
        path: /v1/contacts/{id}
        scopez: [contacts.read]
        documentation:
          description: Reads one contact.
          path:
            id: {type: string, required: true, description: The contact's id.}
"#;

fn rendered(text: &str) -> Vec<(String, u32)> {
    let compiled = compile(
        vec![(
            "integrations/acme.yaml".to_owned(),
            text.as_bytes().to_vec(),
        )],
        &Templates {
            integration_doc: String::new(),
        },
        true,
    )
    .expect("compiles");
    compiled
        .diagnostics
        .iter()
        .map(|d| (format!("{}: {}", d.code.id, d.message), d.span.line))
        .collect()
}

#[test]
fn every_unknown_key_of_a_file_is_reported_in_one_run() {
    let found = rendered(DEFINITION);
    assert_eq!(
        found,
        [
            ("E0002: unknown key `descripton`".to_owned(), 3),
            ("E0002: unknown key `expires`".to_owned(), 10),
            ("E0002: unknown key `scopez`".to_owned(), 20),
        ],
        "{found:#?}"
    );
}

#[test]
fn recovery_stops_at_what_it_cannot_set_aside() {
    // After the unknown key, a value of the wrong type, which cannot be set aside: both are reported,
    // and nothing after it (the misspelled `scopez` is found once the wrong value is fixed).
    let text = DEFINITION
        .replace("descripton:", "description:")
        .replace("singular: contact", "singular: [contact]");
    let found = rendered(&text);
    assert_eq!(found.len(), 2, "{found:#?}");
    assert_eq!(found[0], ("E0002: unknown key `expires`".to_owned(), 10));
    assert!(
        found[1].0.starts_with("E0003") && found[1].1 == 15,
        "{found:#?}"
    );
}
