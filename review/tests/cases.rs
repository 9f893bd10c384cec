//! The report on before/after pairs of definitions, one pair per kind of change.
//!
//! Every case starts from `tests/fixture/` (a made-up CRM and a unified model) and applies the edits
//! in `tests/cases/<case>.yaml`; both trees are compiled by the real compiler, compared, and the
//! Markdown report snapshotted. Each case also names the change codes it must produce and whether
//! `--deny-breaking` refuses it, so a wrong classification fails even when a snapshot is accepted.

#![allow(clippy::expect_used, clippy::unwrap_used)] // Tests fail loudly on broken fixtures.

#[path = "support/cases.rs"]
mod support;

use support::{Case, apply, cases, fixture};
use switchboard_compiler::compile;
use switchboard_compiler::emit::Templates;
use switchboard_review::{Class, Report, Tree, compare, markdown};

fn tree(files: &[(String, String)], templates: &Templates, case: &str) -> Tree {
    let inputs = files
        .iter()
        .map(|(name, text)| (name.clone(), text.clone().into_bytes()))
        .collect();
    let compiled = compile(inputs, templates, true).unwrap();
    let errors: Vec<String> = compiled
        .diagnostics
        .iter()
        .filter(|d| d.is_error())
        .map(|d| d.render(compiled.source_text(&d.file), false))
        .collect();
    assert!(
        errors.is_empty(),
        "{case}: does not compile:\n{}",
        errors.join("\n")
    );
    let files = compiled.files.expect("files when there is no error");
    Tree::from_files(files.into_iter().map(|f| (f.path, f.contents.into_bytes()))).unwrap()
}

fn templates() -> Templates {
    let path = support::here().join("../../templates/integration.md.j2");
    Templates {
        integration_doc: std::fs::read_to_string(path).unwrap(),
    }
}

fn run(name: &str, case: &Case, base: &Tree, templates: &Templates) -> Report {
    compare(base, &tree(&case.apply(fixture(), name), templates, name))
}

#[test]
fn every_case_reports_its_change_and_is_denied_as_it_should_be() {
    let templates = templates();
    let base = tree(&fixture(), &templates, "fixture");
    let cases = cases();
    assert!(cases.len() >= 14, "the suite lost cases");
    for (name, case) in &cases {
        let report = run(name, case, &base, &templates);
        let codes: Vec<&str> = report.changes.iter().map(|c| c.code).collect();
        for expected in &case.expect {
            assert!(
                codes.contains(&expected.as_str()),
                "{name}: expected a `{expected}` change, found {codes:?}"
            );
        }
        if case.expect.is_empty() {
            assert!(
                report.changes.is_empty(),
                "{name}: expected no change, found {codes:?}"
            );
        }
        assert_eq!(
            !report.denials().is_empty(),
            case.deny,
            "{name}: --deny-breaking should {}refuse it: {:?}",
            if case.deny { "" } else { "not " },
            report.denials()
        );
        insta::assert_snapshot!(format!("case_{name}"), markdown(&report, "`base`"));
    }
}

#[test]
fn a_tree_compared_with_itself_has_no_change_and_the_same_cost() {
    let base = tree(&fixture(), &templates(), "fixture");
    let report = compare(&base, &base);
    assert!(report.changes.is_empty());
    assert!(
        report
            .context_cost
            .iter()
            .all(|c| !c.changed() && c.bytes_before > 0)
    );
}

#[test]
fn json_output_counts_each_class_and_names_every_change() {
    let templates = templates();
    let base = tree(&fixture(), &templates, "fixture");
    let (name, case) = cases()
        .into_iter()
        .find(|(n, _)| n == "scopes_added")
        .unwrap();
    let report = run(&name, &case, &base, &templates);
    let json = report.to_json("abc123");
    // The proxy get and the unified get it serves both need the new scope.
    assert_eq!(json["summary"]["consent"], 2);
    assert_eq!(json["summary"]["breaking"], 0);
    assert_eq!(json["changes"][0]["class"], "consent");
    assert_eq!(json["changes"][0]["code"], "scopes_added");
    assert_eq!(json["changes"][0]["scope"], "acme");
    assert_eq!(json["changes"][0]["tool"], "get_single_acme_contact_by_id");
    assert_eq!(json["changes"][1]["tool"], "get_single_crm_contact_by_id");
    assert_eq!(report.count(Class::Consent), 2);
    insta::assert_snapshot!(
        "scopes_added_json",
        serde_json::to_string_pretty(&json).unwrap()
    );
}

#[test]
fn a_rewritten_description_shows_in_the_context_cost() {
    let templates = templates();
    let base = tree(&fixture(), &templates, "fixture");
    let mut files = fixture();
    let acme = files
        .iter_mut()
        .find(|(n, _)| n == "integrations/acme.yaml")
        .unwrap();
    let long = "Reads one contact by its id. ".repeat(40);
    acme.1 = apply(
        &acme.1,
        "description: Reads one contact by its id.",
        &format!("description: {}", long.trim()),
        "long description",
    );
    let report = compare(&base, &tree(&files, &templates, "long description"));
    let cost = &report.context_cost[0];
    assert_eq!(cost.integration, "acme");
    assert_eq!(cost.tools_before, cost.tools_after);
    assert!(cost.bytes_after > cost.bytes_before + long.len() - 40);
    assert_eq!(cost.tokens_after, cost.bytes_after.div_ceil(4));
    assert!(markdown(&report, "`base`").contains("| acme | 9 → 9 |"));
}
