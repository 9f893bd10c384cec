//! Tool names across all files: unique and at most 64 characters.

use std::collections::BTreeMap;

use crate::codes;
use crate::diagnostic::Diagnostic;
use crate::model::MethodKind;
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
                // A `kind:` that contradicts the key is reported by the method checks; its name means nothing.
                let contradicted = MethodKind::from_key(mkey).is_some_and(|k| k != kind);
                if method.documentation.is_none() || contradicted {
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
                        .with_help(match kind {
                            MethodKind::Custom => format!("shorten the method name `{}` or the resource name `{}`, or set a shorter `tool_prefix` (now `{prefix}`)", mkey.value, rkey.value),
                            MethodKind::List | MethodKind::Search => format!("shorten the resource name `{}`, or set a shorter `tool_prefix` (now `{prefix}`)", rkey.value),
                            _ => format!("shorten the resource's `singular` (`{}`), or set a shorter `tool_prefix` (now `{prefix}`)", resource.singular.value),
                        }),
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
                        .with_help(if other_file == file {
                            "each method of a definition needs its own tool name: change a resource key or `singular`, or make one method `kind: custom` so its own key names its tool"
                        } else {
                            "rename one resource or method, or give one integration another `tool_prefix`"
                        }),
                    );
                } else {
                    seen.insert(name, (file.to_owned(), mkey.span, here));
                }
            }
        }
    }
}
