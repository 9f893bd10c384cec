//! Integration-wide rules: authentication, error extraction and rate-limit figures.

use std::collections::BTreeSet;

use super::{Cx, Decorate, is_json_pointer};
use crate::codes;
use crate::diagnostic::{did_you_mean, list_names};
use crate::model::{
    DeadRefreshToken, ErrorRules, FieldErrors, Integration, Pointers, RateLimitFigure,
};
use crate::span::{Sp, SpMap};

pub(super) fn check(cx: &mut Cx, def: &Integration) {
    let auth = &def.auth.value;
    if auth.oauth2.is_none()
        && auth.bearer.is_none()
        && auth.api_key.is_none()
        && auth.basic.is_none()
    {
        cx.error(
            codes::NO_AUTH,
            def.auth.span,
            "no authentication scheme is declared",
        )
        .help("declare at least one of `oauth2`, `bearer`, `api_key`, `basic`");
    }
    if let Some(oauth) = &auth.oauth2 {
        super::methods::check_scopes(cx, &oauth.default_scopes);
        for rule in &oauth.dead_refresh_token {
            dead_refresh_token(cx, rule);
        }
        broader_scopes(cx, def, &oauth.broader_scopes);
    }
    error_rules(cx, &def.errors);
    let Some(rate_limit) = &def.rate_limit else {
        return;
    };
    for header in &rate_limit.headers {
        if let Some(structured) = &header.structured {
            if let Some(span) = header
                .figure
                .as_ref()
                .map(|f| f.span)
                .or(header.pattern.as_ref().map(|p| p.span))
            {
                cx.error(
                    codes::BAD_RATE_LIMIT,
                    span,
                    "a rate-limit header is `structured` and also has a `figure` or `pattern`",
                )
                .help("keep one: `structured` reads every `key=value` parameter of the value");
            }
            let keys = &structured.value;
            for key in [
                &keys.limit,
                &keys.remaining,
                &keys.used,
                &keys.reset,
                &keys.retry_after,
            ]
            .into_iter()
            .flatten()
            {
                if key.value.trim().is_empty() || key.value.contains(['=', ',', ';']) {
                    cx.error(
                        codes::BAD_RATE_LIMIT,
                        key.span,
                        format!("`{}` cannot be a parameter name", key.value),
                    )
                    .help("write the name before `=` in the header value, e.g. `remaining`");
                }
            }
            continue;
        }
        match (&header.figure, &header.pattern) {
            (Some(_), Some(p)) => {
                cx.error(codes::BAD_RATE_LIMIT, p.span, "a rate-limit header has both `figure` and `pattern`")
                    .help("use `figure` when the whole value is one number, `pattern` when it holds several");
            }
            (None, None) => {
                cx.error(
                    codes::BAD_RATE_LIMIT,
                    header.name.span,
                    format!(
                        "rate-limit header `{}` says neither `figure` nor `pattern`",
                        header.name.value
                    ),
                )
                .help(
                    "add `figure: limit` (or remaining, used, reset, retry_after), a `pattern`, or `structured: {}` for `key=value` parameters",
                );
            }
            (None, Some(p)) => check_pattern(cx, p),
            (Some(_), None) => {}
        }
    }
    for when in &rate_limit.limited_when {
        if let Some(code) = &when.code
            && def.errors.code.is_none()
        {
            cx.error(
                codes::RATE_LIMIT_CODE_UNREADABLE,
                code.span,
                format!(
                    "`limited_when` matches error code `{}`, but `errors.code` is not set",
                    code.value
                ),
            )
            .help("add `code:` under `errors:` with a JSON Pointer to the vendor's error code");
        }
        if !(100..=599).contains(&when.status.value) {
            cx.error(
                codes::BAD_RATE_LIMIT,
                when.status.span,
                format!("`{}` is not an HTTP status", when.status.value),
            )
            .label("HTTP statuses run from 100 to 599")
            .help("write the status the vendor answers with when it rate-limits, usually `429`");
        }
    }
}

/// Each scope a broader one covers must be one a method needs: a typo would grant nothing, silently.
/// Broad scopes are scope names like any other, and grants do not chain (a broad scope listed under
/// another would grant nothing through it).
fn broader_scopes(cx: &mut Cx, def: &Integration, broader: &SpMap<Vec<Sp<String>>>) {
    let used: BTreeSet<&str> = def
        .resources
        .0
        .iter()
        .flat_map(|(_, resource)| resource.methods.0.iter())
        .flat_map(|(_, method)| method.scopes.iter())
        .filter_map(|scope| scope.value.as_str())
        .collect();
    // The broad scopes' names follow the rules of every scope (non-empty, no whitespace).
    let names: Vec<Sp<serde_json::Value>> = broader
        .0
        .iter()
        .map(|(broad, _)| Sp {
            value: serde_json::Value::String(broad.value.clone()),
            span: broad.span,
        })
        .collect();
    super::methods::check_scopes(cx, &names);
    let broad_names: BTreeSet<&str> = broader.0.iter().map(|(b, _)| b.value.as_str()).collect();
    for (broad, covered) in &broader.0 {
        if covered.is_empty() {
            cx.error(
                codes::BAD_BROADER_SCOPE,
                broad.span,
                format!("`{}` covers no scope", broad.value),
            )
            .help("list the method scopes it grants, e.g. `read: [tickets:read, users:read]`");
        }
        for scope in covered {
            if scope.value != broad.value && broad_names.contains(scope.value.as_str()) {
                cx.error(
                    codes::BAD_BROADER_SCOPE,
                    scope.span,
                    format!(
                        "`{}` is itself a broad scope: grants do not chain",
                        scope.value
                    ),
                )
                .help(format!(
                    "list under `{}` the method scopes it grants directly",
                    broad.value
                ));
            } else if scope.value == broad.value {
                cx.error(
                    codes::BAD_BROADER_SCOPE,
                    scope.span,
                    format!("`{}` covers itself", scope.value),
                )
                .help("a scope always grants itself: list only the narrower scopes it grants");
            } else if !used.contains(scope.value.as_str()) {
                let err = cx.error(
                    codes::BAD_BROADER_SCOPE,
                    scope.span,
                    format!("no method needs `{}`", scope.value),
                );
                match did_you_mean(&scope.value, used.iter().copied()) {
                    Some(near) => err.help(format!("did you mean `{near}`?")),
                    None => err.help(format!(
                        "list scopes that methods name under `scopes:` ({})",
                        list_names(used.iter().copied())
                    )),
                };
            }
        }
    }
}

/// Checks that a `dead_refresh_token` rule can match: an error status, a pointer to a field, and at least
/// one non-empty value.
fn dead_refresh_token(cx: &mut Cx, rule: &DeadRefreshToken) {
    let status = &rule.status;
    if !(400..=599).contains(&status.value) {
        cx.error(
            codes::BAD_DEAD_REFRESH_TOKEN,
            status.span,
            format!("`{}` is not an error status", status.value),
        )
        .label("a token endpoint refuses a refresh with a status from 400 to 599")
        .help(
            "write the status the token endpoint answers a dead refresh token with, usually `400`",
        );
    }
    if rule.pointer.value.is_empty() {
        cx.error(
            codes::BAD_DEAD_REFRESH_TOKEN,
            rule.pointer.span,
            "an empty pointer names the whole error body, not the field holding the vendor's error",
        )
        .help("point at the field whose value says the refresh token is dead, such as `/status` or `/error`");
    } else {
        pointer(cx, &rule.pointer);
    }
    if rule.values.value.is_empty() {
        cx.error(
            codes::BAD_DEAD_REFRESH_TOKEN,
            rule.values.span,
            "`values` is empty, so this rule never matches",
        )
        .help(format!(
            "list the values of `{}` that mean the refresh token is dead, such as `[BAD_REFRESH_TOKEN]`",
            rule.pointer.value
        ));
    }
    for value in rule.values.value.iter().filter(|v| v.value.is_empty()) {
        cx.error(
            codes::BAD_DEAD_REFRESH_TOKEN,
            value.span,
            "an empty value never names a dead refresh token",
        )
        .help(
            "write the vendor's value exactly as its token endpoint sends it, or remove this one",
        );
    }
}

/// Checks that a pattern's placeholders name figures and that it names at least one.
fn check_pattern(cx: &mut Cx, pattern: &Sp<String>) {
    let names: Vec<&str> = RateLimitFigure::ALL.iter().map(|f| f.as_str()).collect();
    let mut placeholders = 0;
    let mut rest = pattern.value.as_str();
    while let Some(open) = rest.find('{') {
        let Some(close) = rest[open..].find('}') else {
            cx.error(
                codes::BAD_RATE_LIMIT,
                pattern.span,
                "unclosed `{` in rate-limit pattern",
            );
            return;
        };
        let name = &rest[open + 1..open + close];
        let at = pattern.value.len() - rest.len() + open;
        placeholders += 1;
        if !names.contains(&name) {
            let help = match did_you_mean(name, names.iter().copied()) {
                Some(s) => format!("did you mean `{{{s}}}`?"),
                None => format!("placeholders are {}", list_names(names.iter().copied())),
            };
            cx.error(
                codes::BAD_RATE_LIMIT,
                super::sub_span(pattern, at, close + 1),
                format!("unknown placeholder `{{{name}}}` in rate-limit pattern"),
            )
            .label("not a rate-limit figure")
            .help(help);
        }
        rest = &rest[open + close + 1..];
    }
    if placeholders == 0 {
        cx.error(codes::BAD_RATE_LIMIT, pattern.span, "rate-limit pattern has no placeholder")
            .help("mark the numbers with `{limit}`, `{remaining}`, `{used}`, `{reset}` or `{retry_after}`");
    }
}

/// The error rules' pointers, and their statuses: error statuses, each once.
fn error_rules(cx: &mut Cx, rules: &ErrorRules) {
    let pointers = |cx: &mut Cx, p: Option<&Pointers>| {
        for one in p.into_iter().flat_map(Pointers::iter) {
            pointer(cx, one);
        }
    };
    let fields = |cx: &mut Cx, f: Option<&FieldErrors>| {
        if let Some(f) = f {
            pointer(cx, &f.at);
            for p in [&f.message, &f.field].into_iter().flatten() {
                pointer(cx, p);
            }
        }
    };
    pointers(cx, Some(&rules.message));
    pointers(cx, rules.code.as_ref());
    fields(cx, rules.fields.as_ref());
    let mut seen: Vec<u16> = Vec::new();
    for rule in &rules.by_status {
        let status = rule.status.value;
        if !(400..=599).contains(&status) {
            cx.error(
                codes::BAD_ERROR_STATUS,
                rule.status.span,
                format!("`{status}` is not an error status"),
            )
            .label("error answers have statuses from 400 to 599")
            .help("write the status whose answers the vendor shapes differently, e.g. `429`");
        } else if seen.contains(&status) {
            cx.error(
                codes::BAD_ERROR_STATUS,
                rule.status.span,
                format!("status {status} has error rules twice"),
            )
            .help("merge the two rules into one");
        }
        seen.push(status);
        pointers(cx, rule.message.as_ref());
        pointers(cx, rule.code.as_ref());
        fields(cx, rule.fields.as_ref());
    }
}

pub(super) fn pointer(cx: &mut Cx, p: &Sp<String>) {
    if is_json_pointer(p) {
        return;
    }
    let (label, fix) = if p.value.starts_with('/') {
        ("`~` must be written `~0`", p.value.replace('~', "~0"))
    } else {
        ("JSON Pointers start with `/`", pointer_from_path(&p.value))
    };
    cx.error(
        codes::BAD_POINTER,
        p.span,
        format!("`{}` is not a JSON Pointer", p.value),
    )
    .label(label)
    .help(format!("try `{fix}`"));
}

/// The JSON Pointer a dotted or JSONPath-style path means: `paging.next.after`, `$.error.message` and
/// `[0].errorCode` become `/paging/next/after`, `/error/message` and `/0/errorCode`.
fn pointer_from_path(path: &str) -> String {
    let path = path.strip_prefix('$').unwrap_or(path);
    let tokens = path
        .replace('[', ".")
        .replace(']', "")
        .split('.')
        .filter(|t| !t.is_empty())
        .map(|t| {
            t.trim_matches(['\'', '"'])
                .replace('~', "~0")
                .replace('/', "~1")
        })
        .collect::<Vec<_>>();
    format!("/{}", tokens.join("/"))
}
