//! `cargo xtask new <name>`: scaffold a documented definition that passes `cargo xtask check` as is.

use std::process::ExitCode;

use anyhow::{Context, bail};
use switchboard_compiler::naming::is_snake_case;

use crate::workspace_root;

pub fn run(args: &[String]) -> anyhow::Result<ExitCode> {
    let [name] = args else {
        bail!("usage: cargo xtask new <name>   (name: snake_case, e.g. `pipedrive`)");
    };
    if !is_snake_case(name) {
        bail!(
            "`{name}` is not snake_case: use lower-case letters, digits and `_`, starting with a letter"
        );
    }
    let path = workspace_root()
        .join("integrations")
        .join(format!("{name}.yaml"));
    if path.exists() {
        bail!("{} already exists", path.display());
    }
    std::fs::write(&path, scaffold(name)).with_context(|| format!("writing {}", path.display()))?;
    eprintln!("created {}", path.display());
    eprintln!("next: fill in the vendor's details, then `cargo xtask check` and `cargo xtask gen`");
    Ok(ExitCode::SUCCESS)
}

/// The scaffold: one resource with a documented list and get, every key explained.
pub fn scaffold(name: &str) -> String {
    let display: String = name
        .split('_')
        .map(|w| {
            let mut c = w.chars();
            c.next()
                .map(|f| f.to_ascii_uppercase().to_string() + c.as_str())
                .unwrap_or_default()
        })
        .collect::<Vec<_>>()
        .join(" ");
    SCAFFOLD
        .replace("__NAME__", name)
        .replace("__DISPLAY__", &display)
}

const SCAFFOLD: &str = r#"# yaml-language-server: $schema=../generated/schemas/integration.schema.json
# A Switchboard integration definition. `cargo xtask check` explains every mistake;
# `cargo xtask gen` turns this file into tools. The format is documented in docs/authoring.md.

name: __NAME__                      # must match the file name
display_name: __DISPLAY__           # tool names use its snake_case (override with tool_prefix)
description: >-
  What the vendor's API does, in one or two sentences.
categories: [crm]
docs_url: https://example.com/api-reference
base_url: https://api.example.com   # the origin only; version prefixes belong in method paths

auth:
  bearer:
    description: An API token created in the vendor's settings.

errors:
  message: /message                 # JSON Pointer to the error message in an error body
  code: /code                       # JSON Pointer to the vendor's error code

rate_limit:
  headers:
    - name: X-RateLimit-Limit
      figure: limit
    - name: X-RateLimit-Remaining
      figure: remaining
    - name: X-RateLimit-Reset
      figure: reset
      unit: seconds
  limited_when:
    - status: 429

pagination:
  cursor:
    style: cursor
    results: /data
    cursor_param: cursor
    next_cursor: /next_cursor
    limit_param: page_size
    max_limit: 100
default_pagination: cursor

resources:
  contacts:
    singular: contact
    tags: [contacts]
    methods:
      list:
        http: GET
        path: /v1/contacts
        scopes: [contacts.read]
        documentation:
          description: >-
            List contacts, newest first. Use it to browse; use the vendor's search for lookups by field.
          query:
            cursor:
              type: string
              description: Cursor from the previous page.
            page_size:
              type: integer
              description: Records per page.
          response:
            type: object
            properties:
              data:
                type: array
                items:
                  type: object
                  properties:
                    id: {type: string, description: The contact's id.}
              next_cursor:
                type: string
                nullable: true
      get:
        http: GET
        path: /v1/contacts/{id}
        scopes: [contacts.read]
        documentation:
          description: Read one contact by its id.
          path:
            id:
              type: string
              required: true
              description: The contact's id.
          response:
            type: object
            properties:
              id: {type: string, description: The contact's id.}
"#;
