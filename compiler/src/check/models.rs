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
}
