//! Names and URLs: snake_case identifiers, the name matching the file, absolute URLs, an origin-only base URL.

use super::{Cx, Decorate, Unit};
use crate::codes;
use crate::naming::{is_snake_case, snake_case};
use crate::span::Sp;

pub(super) fn check(cx: &mut Cx, unit: &Unit) {
    let def = &unit.def;
    let stem = std::path::Path::new(&unit.source.name)
        .file_stem()
        .and_then(|s| s.to_str())
        .unwrap_or_default();
    if !is_snake_case(&def.name) {
        cx.error(
            codes::BAD_NAME,
            def.name.span,
            format!("integration name `{}` is not snake_case", def.name.value),
        )
        .label("expected `[a-z][a-z0-9_]*`")
        .help(format!("try `{}`", snake_case(&def.name)));
    } else if def.name.value != stem {
        cx.error(
            codes::BAD_NAME,
            def.name.span,
            format!(
                "integration name `{}` does not match the file name `{stem}`",
                def.name.value
            ),
        )
        .help(format!(
            "rename the file to `{}.yaml`, or the integration to `{stem}`",
            def.name.value
        ));
    }
    if let Some(prefix) = &def.tool_prefix {
        if !is_snake_case(prefix) {
            cx.error(
                codes::BAD_NAME,
                prefix.span,
                format!("tool prefix `{}` is not snake_case", prefix.value),
            )
            .help(format!("try `{}`", snake_case(prefix)));
        }
    } else if snake_case(&def.display_name).is_empty() {
        cx.error(
            codes::BAD_NAME,
            def.display_name.span,
            "no tool prefix can be derived from this display name",
        )
        .help("add `tool_prefix:` with a snake_case word");
    }
    for (key, resource) in def.resources.iter() {
        if !is_snake_case(key) {
            cx.error(
                codes::BAD_NAME,
                key.span,
                format!("resource name `{}` is not snake_case", key.value),
            )
            .help(format!("try `{}`", snake_case(key)));
        }
        if !is_snake_case(&resource.singular) {
            cx.error(
                codes::BAD_NAME,
                resource.singular.span,
                format!("singular `{}` is not snake_case", resource.singular.value),
            )
            .help(format!("try `{}`", snake_case(&resource.singular)));
        }
    }
    check_base_url(cx, &def.base_url);
    check_absolute_url(cx, &def.docs_url);
    if let Some(oauth) = &def.auth.oauth2 {
        check_absolute_url(cx, &oauth.authorization_url);
        check_absolute_url(cx, &oauth.token_url);
    }
}

/// Splits `scheme://authority/path` and returns `(authority, path)` for http(s) URLs.
fn split_url(url: &str) -> Option<(&str, &str)> {
    let rest = url
        .strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"))?;
    let (authority, path) = match rest.find(['/', '?', '#']) {
        Some(i) => rest.split_at(i),
        None => (rest, ""),
    };
    let valid = !authority.is_empty() && !url.chars().any(char::is_whitespace);
    valid.then_some((authority, path))
}

pub(super) fn check_absolute_url(cx: &mut Cx, url: &Sp<String>) -> bool {
    if split_url(url).is_some() {
        return true;
    }
    cx.error(
        codes::BAD_URL,
        url.span,
        format!("`{}` is not an absolute http(s) URL", url.value),
    )
    .help("write the full URL, starting with `https://`");
    false
}

fn check_base_url(cx: &mut Cx, url: &Sp<String>) {
    if !check_absolute_url(cx, url) {
        return;
    }
    if let Some((authority, path)) = split_url(url) {
        if !path.is_empty() && path != "/" {
            let origin = &url.value[..url.value.len() - path.len()];
            cx.error(codes::BAD_URL, url.span, format!("base URL `{}` has a path", url.value))
                .label(format!("the origin is `{origin}`"))
                .help(format!(
                    "set `base_url: {origin}` and start every method path with `{}`: an account's base-URL override swaps only the origin",
                    path.trim_end_matches('/')
                ));
        } else if authority.contains('@') {
            cx.error(codes::BAD_URL, url.span, "base URL carries credentials")
                .help("credentials belong to connected accounts, never to the definition");
        }
    }
}
