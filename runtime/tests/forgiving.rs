//! Forgiving input, end to end: the sloppy arguments agent frameworks send (CrewAI's `null` for every
//! optional argument, numbers and booleans as strings) reach the fake vendors as what they mean,
//! while real mistakes still fail with the argument's JSON pointer.

use std::collections::BTreeSet;

use serde_json::{Value, json};
mod support;

use support::{account, executor, sandbox};
use switchboard_runtime::account::Account;
use switchboard_runtime::executor::Executor;
use switchboard_runtime::outcome::{Success, ToolError};

async fn ok(ex: &Executor, account: &Account, tool: &str, args: Value) -> Success {
    match ex.call(account, tool, args.clone()).await {
        Ok(success) => success,
        Err(e) => panic!("{tool} {args} failed: {e:?}"),
    }
}

/// The pointer and message of an `invalid_arguments` refusal.
async fn refused(ex: &Executor, account: &Account, tool: &str, args: Value) -> (String, String) {
    match ex.call(account, tool, args.clone()).await {
        Err(ToolError::InvalidArguments { pointer, message }) => (pointer, message),
        Err(e) => panic!("{tool} {args}: not invalid_arguments but {e:?}"),
        Ok(success) => panic!("{tool} {args} unexpectedly succeeded: {}", success.envelope),
    }
}

/// Record ids, whichever vendor spelling.
fn ids(success: &Success) -> Vec<String> {
    success.envelope["result"]
        .as_array()
        .map(|records| {
            records
                .iter()
                .filter_map(|r| r.get("id").or_else(|| r.get("Id")))
                .filter_map(Value::as_str)
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default()
}

fn cursor(success: &Success) -> Value {
    success.envelope["next_cursor"].clone()
}

#[tokio::test]
async fn string_limit_and_null_cursor_page_through_hubspot_contacts() {
    let sb = sandbox().await;
    let ex = executor();
    let hubspot = account(&sb, "hubspot");
    let tool = "list_all_hub_spot_contacts";

    let first = ok(
        &ex,
        &hubspot,
        tool,
        json!({"limit": "3", "next_cursor": null, "archived": null, "properties": null}),
    )
    .await;
    assert_eq!(first.envelope["result_count"], 3, "{}", first.envelope);
    assert_eq!(ids(&first).len(), 3);
    let next = cursor(&first);
    assert!(next.is_string(), "a next page: {}", first.envelope);

    // The returned cursor pages on; `" 3 "` and `"false"` read as 3 and false.
    let second = ok(
        &ex,
        &hubspot,
        tool,
        json!({"limit": " 3 ", "next_cursor": next, "archived": "false", "associations": null}),
    )
    .await;
    assert_eq!(second.envelope["result_count"], 3, "{}", second.envelope);
    let seen: BTreeSet<String> = ids(&first).into_iter().chain(ids(&second)).collect();
    assert_eq!(seen.len(), 6, "the second page holds other records");

    // The same pages as the strictly typed arguments give.
    let strict = ok(&ex, &hubspot, tool, json!({"limit": 3})).await;
    assert_eq!(ids(&strict), ids(&first));
    let strict_second = ok(
        &ex,
        &hubspot,
        tool,
        json!({"limit": 3, "next_cursor": cursor(&strict)}),
    )
    .await;
    assert_eq!(ids(&strict_second), ids(&second));
}

#[tokio::test]
async fn real_mistakes_still_fail_naming_the_argument() {
    let sb = sandbox().await;
    let ex = executor();
    let hubspot = account(&sb, "hubspot");
    let tool = "list_all_hub_spot_contacts";

    for (args, pointer, expected) in [
        (
            json!({"limit": "three"}),
            "/limit",
            "\"three\" is not of type \"integer\"",
        ),
        (
            json!({"limit": "1.5"}),
            "/limit",
            "\"1.5\" is not of type \"integer\"",
        ),
        (
            json!({"limit": ""}),
            "/limit",
            "\"\" is not of type \"integer\"",
        ),
        (
            json!({"limit": "500"}),
            "/limit",
            "500 is greater than the maximum of 100",
        ),
        (
            json!({"archived": "yes"}),
            "/archived",
            "\"yes\" is not of type \"boolean\"",
        ),
        (json!({"limit": 3, "bogus": null}), "/bogus", "bogus"),
    ] {
        let (got, message) = refused(&ex, &hubspot, tool, args.clone()).await;
        assert_eq!(got, pointer, "{args}");
        assert!(message.contains(expected), "{args}: {message}");
    }

    // A null for a required argument is still missing.
    let (pointer, message) = refused(
        &ex,
        &hubspot,
        "get_single_hub_spot_contact_by_id",
        json!({"id": null}),
    )
    .await;
    assert_eq!(pointer, "/id");
    assert!(
        message.contains("null is not of type \"string\""),
        "{message}"
    );
}

#[tokio::test]
async fn unified_contacts_read_forgivingly_on_both_vendors() {
    let sb = sandbox().await;
    let ex = executor();
    for integration in ["hubspot", "salesforce"] {
        let account = account(&sb, integration);
        let first = ok(
            &ex,
            &account,
            "list_all_crm_contacts",
            json!({"limit": "2", "next_cursor": null}),
        )
        .await;
        assert_eq!(
            first.envelope["result_count"], 2,
            "{integration}: {}",
            first.envelope
        );
        let next = cursor(&first);
        assert!(next.is_string(), "{integration}: {}", first.envelope);
        let second = ok(
            &ex,
            &account,
            "list_all_crm_contacts",
            json!({"limit": "2", "next_cursor": next}),
        )
        .await;
        assert_eq!(second.envelope["result_count"], 2, "{integration}");
        let seen: BTreeSet<String> = ids(&first).into_iter().chain(ids(&second)).collect();
        assert_eq!(seen.len(), 4, "{integration}: pages of other records");

        let (pointer, _) = refused(
            &ex,
            &account,
            "list_all_crm_contacts",
            json!({"limit": "two"}),
        )
        .await;
        assert_eq!(pointer, "/limit", "{integration}");
    }
}
