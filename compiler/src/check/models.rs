//! Unified models: names that match their file and folder, and fully described, well-formed fields.

use super::{Cx, Decorate, fields};
use crate::codes;
use crate::load::SourceFile;
use crate::model::UnifiedModel;
use crate::naming::{is_snake_case, snake_case};

/// One loaded unified model file.
#[derive(Debug)]
pub struct ModelUnit {
    /// The file and its text.
    pub source: SourceFile,
    /// What it defines.
    pub model: UnifiedModel,
}

pub(super) fn check(cx: &mut Cx, unit: &ModelUnit) {
    let m = &unit.model;
    let path = std::path::Path::new(&unit.source.name);
    let stem = path
        .file_stem()
        .and_then(|s| s.to_str())
        .unwrap_or_default();
    let folder = path
        .parent()
        .and_then(|p| p.file_name())
        .and_then(|s| s.to_str())
        .unwrap_or_default();
    for (what, value) in [("model name", &m.name), ("plural", &m.plural)] {
        if !is_snake_case(value) {
            cx.error(
                codes::BAD_NAME,
                value.span,
                format!("{what} `{}` is not snake_case", value.value),
            )
            .help(format!("try `{}`", snake_case(value)));
        }
    }
    if is_snake_case(&m.name) && m.name.value != stem {
        cx.error(
            codes::BAD_NAME,
            m.name.span,
            format!(
                "model name `{}` does not match the file name `{stem}`",
                m.name.value
            ),
        )
        .help(format!("rename the file to `{}.yaml`", m.name.value));
    }
    if m.category.value.as_str() != folder {
        cx.error(
            codes::BAD_NAME,
            m.category.span,
            format!(
                "category `{}` does not match the folder `{folder}`",
                m.category.value.as_str()
            ),
        )
        .help(format!(
            "move the file to `integrations/unified/{}/`",
            m.category.value.as_str()
        ));
    }
    for (name, field) in m.fields.iter() {
        if !is_snake_case(name) {
            cx.error(
                codes::BAD_NAME,
                name.span,
                format!("field name `{}` is not snake_case", name.value),
            )
            .help(format!("try `{}`", snake_case(name)));
        }
        fields::check_input(cx, name, field, true);
    }
    if let Some(parent) = &m.parent {
        check_parent(cx, m, parent);
    }
}

/// A parent is an object field of the model with an `id`: what each listed record names it by.
fn check_parent(cx: &mut Cx, m: &UnifiedModel, parent: &crate::span::Sp<String>) {
    let Some((_, field)) = m.fields.iter().find(|(k, _)| k.value == parent.value) else {
        let names: Vec<&str> = m.fields.iter().map(|(k, _)| k.value.as_str()).collect();
        let err = cx.error(
            codes::BAD_PARENT,
            parent.span,
            format!("the model has no field `{}`", parent.value),
        );
        match crate::diagnostic::did_you_mean(&parent.value, names.iter().copied()) {
            Some(near) => err.help(format!("did you mean `{near}`?")),
            None => err.help("name the object field that holds the parent record's `id`"),
        };
        return;
    };
    let has_id = field
        .properties
        .as_ref()
        .is_some_and(|p| p.iter().any(|(k, _)| k.value == "id"));
    if field.ty.value != crate::model::FieldType::Object || !has_id {
        cx.error(
            codes::BAD_PARENT,
            parent.span,
            format!("`{}` is not an object field with an `id`", parent.value),
        )
        .help(format!(
            "declare `{}` as `type: object` with `properties: {{id: {{type: string, required: true, description: …}}}}`",
            parent.value
        ));
    }
}
