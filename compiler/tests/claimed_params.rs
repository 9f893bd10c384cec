//! Query parameters a pagination rule sets (`page[after]`, `page[size]`) never reach agents: the tool
//! takes `limit` and `next_cursor` instead. So their names are not warned about as client-unsafe
//! (W0005), while a documented parameter agents do see still is.

#![allow(clippy::expect_used, clippy::unwrap_used)] // Tests fail loudly on broken fixtures.

use switchboard_compiler::compile;
use switchboard_compiler::emit::Templates;

fn definition(extra_query: &str) -> String {
    format!(
        r#"
name: desk
display_name: Desk
description: Tickets in a Desk account.
categories: [ticketing]
docs_url: https://developer.desk.example/reference
base_url: https://api.desk.example
auth:
  bearer:
    description: A Desk API token.
errors:
  message: /description
pagination:
  cursor:
    style: cursor
    results: /tickets
    cursor_param: "page[after]"
    next_cursor: /meta/after_cursor
    limit_param: "page[size]"
    max_limit: 100
default_pagination: cursor
resources:
  tickets:
    singular: ticket
    methods:
      list:
        http: GET
        path: /api/v2/tickets.json
        scopes: [read]
        documentation:
          description: Lists tickets.
          query:
            "page[after]": {{type: string, description: Cursor of the next page.}}
            "page[size]": {{type: integer, description: Tickets per page.}}
{extra_query}
          response:
            type: object
            properties:
              tickets:
                type: array
                items:
                  type: object
                  properties:
                    id: {{type: integer, description: The ticket's id.}}
"#
    )
}

fn warnings(text: &str) -> Vec<String> {
    let compiled = compile(
        vec![(
            "integrations/desk.yaml".to_owned(),
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
        .map(|d| d.render(compiled.source_text(&d.file), false))
        .collect()
}

#[test]
fn pagination_parameters_are_not_agents_arguments() {
    assert_eq!(warnings(&definition("")), Vec::<String>::new());
    let seen = warnings(&definition(
        "            \"filter[status]\": {type: string, description: Only tickets in this status.}",
    ));
    assert_eq!(seen.len(), 1, "{seen:?}");
    assert!(
        seen[0].contains("W0005") && seen[0].contains("filter[status]"),
        "{}",
        seen[0]
    );
}
