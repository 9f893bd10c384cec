//! Names and URLs: snake_case identifiers, the name matching the file, absolute URLs, an origin-only base URL.

use super::{Cx, Decorate, Unit};
use crate::codes;
use crate::diagnostic::did_you_mean;
use crate::model::Integration;
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
    let mut urls = vec![&def.base_url];
    if let Some(oauth) = &def.auth.oauth2 {
        check_absolute_url(cx, &oauth.authorization_url);
        check_absolute_url(cx, &oauth.token_url);
        urls.extend([&oauth.authorization_url, &oauth.token_url]);
    }
    check_variables(cx, def, &urls);
}

/// Every `{name}` of the URLs is a declared variable and sits in the host; every variable is used
/// by the base URL; every pattern compiles.
fn check_variables(cx: &mut Cx, def: &Integration, urls: &[&Sp<String>]) {
    let declared: Vec<&str> = def.base_url_variables.keys().collect();
    // Variables a misspelled placeholder was taken for: their "unused" would repeat the mistake.
    let mut suggested: Vec<&str> = Vec::new();
    for url in urls {
        let host_end = split_url(url).map_or(url.value.len(), |(authority, _)| {
            url.value
                .find(authority)
                .map_or(0, |at| at + authority.len())
        });
        for (at, name) in placeholders(&url.value) {
            if at >= host_end {
                cx.error(
                    codes::BAD_BASE_URL_VARIABLE,
                    url.span,
                    format!("`{{{name}}}` is outside the host of `{}`", url.value),
                )
                .help("variables fill in the host only (`https://{subdomain}.example.com`); paths belong to methods");
            } else if !declared.contains(&name) {
                let err = cx.error(
                    codes::BAD_BASE_URL_VARIABLE,
                    url.span,
                    format!("`{{{name}}}` is not a declared base URL variable"),
                );
                match did_you_mean(name, declared.iter().copied()) {
                    Some(near) => {
                        suggested.push(near);
                        err.help(format!("did you mean `{near}`?"))
                    }
                    None => err.help(format!(
                        "declare it under `base_url_variables:` with a `description` and a `pattern`, e.g. `{name}: {{description: …, pattern: \"[a-z0-9-]+\"}}`"
                    )),
                };
            }
        }
    }
    if let Some(pattern) = def
        .auth
        .oauth2
        .as_ref()
        .and_then(|o| o.base_url_pattern.as_ref())
        && let Err(e) = regex::Regex::new(&format!("^(?:{})$", pattern.value))
    {
        cx.error(
            codes::BAD_BASE_URL_VARIABLE,
            pattern.span,
            "the `base_url_pattern` does not compile",
        )
        .label(e.to_string().lines().last().unwrap_or_default().trim().to_owned())
        .help("write a regular expression for the whole URL, e.g. `https://[a-z0-9-]+\\.example\\.com`");
    }
    for (name, variable) in def.base_url_variables.iter() {
        if !placeholders(&def.base_url.value).any(|(_, used)| used == name.value)
            && !suggested.contains(&name.value.as_str())
        {
            cx.error(
                codes::BAD_BASE_URL_VARIABLE,
                name.span,
                format!("variable `{}` is not used by `base_url`", name.value),
            )
            .help(format!(
                "write `{{{}}}` in the host of `base_url`, or remove the variable",
                name.value
            ));
        }
        if let Err(e) = regex::Regex::new(&format!("^(?:{})$", variable.pattern.value)) {
            let first = e
                .to_string()
                .lines()
                .last()
                .unwrap_or_default()
                .trim()
                .to_owned();
            cx.error(
                codes::BAD_BASE_URL_VARIABLE,
                variable.pattern.span,
                format!("the pattern of `{}` does not compile", name.value),
            )
            .label(first)
            .help("write a regular expression for the whole value, e.g. `[a-z0-9][a-z0-9-]*`");
        }
    }
}

/// The `{name}` placeholders of `text`, with their byte offsets.
fn placeholders(text: &str) -> impl Iterator<Item = (usize, &str)> {
    let mut at = 0;
    std::iter::from_fn(move || {
        let open = at + text[at..].find('{')?;
        let close = open + text[open..].find('}')?;
        at = close + 1;
        Some((open, &text[open + 1..close]))
    })
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
