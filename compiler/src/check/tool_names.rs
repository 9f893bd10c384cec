//! Tool names across all files: unique and at most 64 characters.

use std::collections::BTreeMap;

use crate::codes;
use crate::diagnostic::Diagnostic;
use crate::naming::{MAX_TOOL_NAME, tool_name};
use crate::span::Span;

use super::Unit;

pub(super) fn check(units: &[Unit], diags: &mut Vec<Diagnostic>) {
    let mut seen: BTreeMap<String, (String, Span, String)> = BTreeMap::new();
    for unit in units {
        let file = unit.source.name.as_str();
        let def = &unit.def;
        let prefix = def.tool_prefix();
        for (rkey, resource) in def.resources.iter() {
            for (mkey, method) in resource.methods.iter() {
                let Some(kind) = method.resolved_kind(mkey) else {
                    continue;
                };
                if method.documentation.is_none() {
                    continue;
                }
                let name = tool_name(kind, mkey, &prefix, &resource.singular, rkey);
                let here = format!("{}.{}.{}", def.name.value, rkey.value, mkey.value);
                if name.len() > MAX_TOOL_NAME {
                    diags.push(
                        Diagnostic::error(
                            codes::TOOL_NAME_TOO_LONG,
                            file,
                            mkey.span,
                            format!("tool name `{name}` is {} characters; the limit is {MAX_TOOL_NAME}", name.len()),
                        )
                        .with_help("shorten the resource name, its `singular`, or set a shorter `tool_prefix`"),
                    );
                }
                if let Some((other_file, other_span, other)) = seen.get(&name) {
                    diags.push(
                        Diagnostic::error(
                            codes::TOOL_NAME_COLLISION,
                            file,
                            mkey.span,
                            format!("tool name `{name}` is produced twice"),
                        )
                        .with_label(format!("`{here}` produces `{name}`"))
                        .with_note(format!(
                            "`{other}` at {other_file}:{}:{} produces it first",
                            other_span.line, other_span.column
                        ))
                        .with_help("rename one resource or method, or give one integration another `tool_prefix`"),
                    );
                } else {
                    seen.insert(name, (file.to_owned(), mkey.span, here));
                }
            }
        }
    }
}
