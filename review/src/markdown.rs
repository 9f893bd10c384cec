//! The report as Markdown, ready to paste into a pull-request comment.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use crate::report::{Change, Class, ContextCost, Report};
use crate::words::word_diff;

/// More safe changes than this are folded into a `<details>` block.
const FOLD_SAFE_AFTER: usize = 10;
/// More new tools than this in one scope are listed by name on one line.
const LIST_NEW_TOOLS_AFTER: usize = 5;

/// Renders `report`; `base` names what the change is compared with (`main`, `HEAD~3 (1a2b3c4)`).
pub fn markdown(report: &Report, base: &str) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "### Generated tools: {base} → this change\n");
    let (breaking, consent, safe) = (
        report.count(Class::Breaking),
        report.count(Class::Consent),
        report.count(Class::Safe),
    );
    if breaking + consent + safe == 0 {
        out.push_str("No change to the tools agents see.\n\n");
    } else {
        let _ = writeln!(
            out,
            "**{breaking} breaking for agents · {consent} needing new consent · {safe} safe**\n"
        );
    }
    for class in [Class::Breaking, Class::Consent, Class::Safe] {
        let changes: Vec<&Change> = report.changes.iter().filter(|c| c.class == class).collect();
        if changes.is_empty() {
            continue;
        }
        let _ = writeln!(out, "#### {} ({})\n", class.heading(), changes.len());
        let fold = class == Class::Safe && changes.len() > FOLD_SAFE_AFTER;
        if fold {
            let _ = writeln!(
                out,
                "<details><summary>{} safe changes</summary>\n",
                changes.len()
            );
        }
        let mut scopes: BTreeMap<&str, Vec<&Change>> = BTreeMap::new();
        for change in changes {
            scopes.entry(&change.scope).or_default().push(change);
        }
        for (scope, changes) in scopes {
            let _ = writeln!(out, "**{scope}**\n");
            scope_section(&mut out, &changes);
            out.push('\n');
        }
        if fold {
            out.push_str("</details>\n\n");
        }
    }
    cost_table(&mut out, &report.context_cost);
    out
}

/// The changes of one integration or model: its own, new tools, then each changed tool.
fn scope_section(out: &mut String, changes: &[&Change]) {
    for change in changes.iter().filter(|c| c.tool.is_none()) {
        line(out, "- ", change);
    }
    let added: Vec<&&Change> = changes.iter().filter(|c| c.code == "tool_added").collect();
    if added.len() > LIST_NEW_TOOLS_AFTER {
        let names: Vec<String> = added
            .iter()
            .filter_map(|c| c.tool.as_ref())
            .map(|t| format!("`{t}`"))
            .collect();
        let _ = writeln!(out, "- {} new tools: {}", names.len(), names.join(", "));
    }
    // Per tool, in order; tools whose changes read the same are listed together.
    let mut per_tool: BTreeMap<&str, Vec<&Change>> = BTreeMap::new();
    for change in changes {
        if let Some(tool) = &change.tool {
            if change.code == "tool_added" && added.len() > LIST_NEW_TOOLS_AFTER {
                continue;
            }
            per_tool.entry(tool).or_default().push(change);
        }
    }
    let mut merged: Vec<(Vec<&str>, Vec<String>)> = Vec::new();
    for (tool, changes) in per_tool {
        let lines = tool_lines(&changes);
        match merged.iter_mut().find(|(_, seen)| *seen == lines) {
            Some((tools, _)) => tools.push(tool),
            None => merged.push((vec![tool], lines)),
        }
    }
    for (tools, lines) in merged {
        let names = tool_names(&tools);
        if let [line] = lines.as_slice() {
            let _ = writeln!(out, "- {names}: {line}");
        } else {
            let _ = writeln!(out, "- {names}:");
            for line in lines {
                let _ = writeln!(out, "  - {line}");
            }
        }
    }
}

/// One tool's changes as lines; several changes of a kind that lists well become one line.
fn tool_lines(changes: &[&Change]) -> Vec<String> {
    let mut lines = Vec::new();
    let mut listed: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for change in changes {
        let many = changes.iter().filter(|c| c.code == change.code).count() >= LIST_AFTER;
        match (plural(change.code), &change.at) {
            (Some(_), Some(at)) if many => listed.entry(change.code).or_default().push(at),
            _ => lines.push(text(change)),
        }
    }
    for (code, places) in listed {
        let places: Vec<String> = places.iter().map(|p| format!("`{p}`")).collect();
        lines.push(format!(
            "{}: {}",
            plural(code).unwrap_or(code),
            places.join(", ")
        ));
    }
    lines
}

/// Changes of one kind in one tool from which on they are listed on one line.
const LIST_AFTER: usize = 3;

/// The one-line heading of a kind of change that lists well.
fn plural(code: &str) -> Option<&'static str> {
    Some(match code {
        "input_removed" => "inputs removed (agents that still send them get `invalid_arguments`)",
        "input_undocumented" => "inputs no longer documented (the object still accepts them)",
        "input_added_required" => "new required inputs (calls without them are refused)",
        "input_added" => "new optional inputs",
        "output_removed" => "outputs removed",
        "output_added" => "new outputs",
        "unified_field_removed" => "unified fields removed",
        "unified_field_added" => "new unified fields",
        "pii_marked" => {
            "now marked personal data (servers with --redact strip, mask or hash them: their agents no longer read the values)"
        }
        "pii_unmarked" => {
            "no longer marked personal data (servers with --redact now pass them through as they are)"
        }
        _ => return None,
    })
}

fn text(change: &Change) -> String {
    match (&change.before, &change.after) {
        (Some(before), Some(after)) => format!("{}: {}", change.message, word_diff(before, after)),
        _ => change.message.clone(),
    }
}

fn line(out: &mut String, prefix: &str, change: &Change) {
    let _ = writeln!(out, "{prefix}{}", text(change));
}

fn tool_names(tools: &[&str]) -> String {
    const SHOWN: usize = 4;
    let mut names: Vec<String> = tools.iter().take(SHOWN).map(|t| format!("`{t}`")).collect();
    if tools.len() > SHOWN {
        names.push(format!("{} more", tools.len() - SHOWN));
    }
    names.join(", ")
}

fn cost_table(out: &mut String, costs: &[ContextCost]) {
    let changed: Vec<&ContextCost> = costs.iter().filter(|c| c.changed()).collect();
    out.push_str("#### Context cost of `tools/list`\n\n");
    if changed.is_empty() {
        out.push_str("Unchanged for every integration.\n");
        return;
    }
    out.push_str(
        "| integration | tools | bytes | ≈ tokens | change |\n|---|---:|---:|---:|---:|\n",
    );
    for c in changed {
        let _ = writeln!(
            out,
            "| {} | {} → {} | {} → {} | {} → {} | {} |",
            c.integration,
            c.tools_before,
            c.tools_after,
            thousands(c.bytes_before),
            thousands(c.bytes_after),
            thousands(c.tokens_before),
            thousands(c.tokens_after),
            percent(c.bytes_before, c.bytes_after),
        );
    }
    out.push_str(
        "\nBytes of an integration's whole `tools/list` result as compact JSON (each tool's name, title, \
         description, input and output schemas and annotations); tokens estimated as bytes / 4.\n",
    );
}

fn percent(before: usize, after: usize) -> String {
    if before == 0 {
        return "new".to_owned();
    }
    if after == 0 {
        return "removed".to_owned();
    }
    let change = (after as f64 - before as f64) * 100.0 / before as f64;
    let text = format!("{change:+.1} %");
    // A listing that grew by a fifth or more is worth a reviewer's second look.
    if change >= 20.0 {
        format!("**{text}**")
    } else {
        text
    }
}

fn thousands(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}
