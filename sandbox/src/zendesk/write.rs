//! Checking Zendesk write bodies (`{"ticket": {...}}`, `{"user": {...}}`,
//! `{"organization": {...}}`) and applying them to a draft record. Problems are collected per
//! attribute and answered together as one 422 `RecordInvalid`, as Zendesk does; attributes it
//! does not know are ignored (Rails' strong parameters).

use std::collections::BTreeMap;

use serde_json::{Map, Value};

use super::schema::{
    FieldKind, ORGANIZATION_FIELDS, SUPPORT_GROUP, TICKET_FIELDS, USER_FIELDS, new_user, time_zone,
};
use super::{Problem, ZdError, record_invalid};
use crate::clock::parse_datetime;
use crate::data::PLANS;
use crate::store::{ZdOrganization, ZdTicket, ZdUser, ZendeskStore};
use crate::web::looks_like_email;

const STATUSES: [&str; 6] = ["new", "open", "pending", "hold", "solved", "closed"];
const TYPES: [&str; 4] = ["question", "incident", "problem", "task"];
const PRIORITIES: [&str; 4] = ["low", "normal", "high", "urgent"];
const ROLES: [&str; 3] = ["end-user", "agent", "admin"];

/// Problems found so far, by attribute.
#[derive(Default)]
struct Problems(Vec<Problem>);

impl Problems {
    fn add(&mut self, field: &str, description: String, error: Option<&'static str>) {
        self.0.push(Problem {
            field: field.to_owned(),
            description,
            error,
        });
    }

    fn invalid(&mut self, field: &str, label: &str) {
        self.add(
            field,
            format!("{label}: is not valid"),
            Some("InvalidValue"),
        );
    }

    fn finish(self) -> Result<(), ZdError> {
        if self.0.is_empty() {
            Ok(())
        } else {
            Err(record_invalid(self.0))
        }
    }
}

/// A text attribute: `Some(None)` clears it, `None` means the value had the wrong type.
fn text(value: &Value) -> Option<Option<String>> {
    match value {
        Value::Null => Some(None),
        Value::String(s) => Some(Some(s.clone())),
        Value::Number(n) => Some(Some(n.to_string())),
        _ => None,
    }
}

/// An id attribute: `Some(None)` clears it, `None` means the value was not an id.
fn id(value: &Value) -> Option<Option<u64>> {
    match value {
        Value::Null => Some(None),
        Value::Number(n) => n.as_u64().map(Some),
        Value::String(s) => s.trim().parse::<u64>().ok().map(Some),
        _ => None,
    }
}

fn ids(value: &Value) -> Option<Vec<u64>> {
    value.as_array()?.iter().map(|v| id(v).flatten()).collect()
}

fn boolean(value: &Value) -> Option<bool> {
    match value {
        Value::Bool(b) => Some(*b),
        Value::String(s) if s == "true" || s == "1" => Some(true),
        Value::String(s) if s == "false" || s == "0" => Some(false),
        _ => None,
    }
}

/// Tags as Zendesk stores them: lower case, white space separating tags, no duplicates.
fn tags(value: &Value) -> Option<Vec<String>> {
    let words: Vec<String> = match value {
        Value::Null => Vec::new(),
        Value::String(s) => s.split_whitespace().map(str::to_owned).collect(),
        Value::Array(items) => {
            let mut words = Vec::new();
            for item in items {
                words.extend(item.as_str()?.split_whitespace().map(str::to_owned));
            }
            words
        }
        _ => return None,
    };
    let mut out: Vec<String> = Vec::new();
    for word in words {
        let tag = word.to_lowercase();
        if !out.contains(&tag) {
            out.push(tag);
        }
    }
    Some(out)
}

/// One of `allowed` (`Some(None)` clears), or `None` when not allowed.
fn choice(value: &Value, allowed: &[&str]) -> Option<Option<String>> {
    match value {
        Value::Null => Some(None),
        Value::String(s) if allowed.contains(&s.as_str()) => Some(Some(s.clone())),
        _ => None,
    }
}

fn user_exists(store: &ZendeskStore, id: u64) -> bool {
    store.users.get(&id).is_some_and(|u| u.active)
}

fn is_agent(store: &ZendeskStore, id: u64) -> bool {
    store
        .users
        .get(&id)
        .is_some_and(|u| u.active && u.role != "end-user")
}

// ---------------------------------------------------------------------------------------------
// Tickets

/// A comment a ticket write adds.
#[derive(Debug)]
pub(crate) struct NewComment {
    pub(crate) body: String,
    pub(crate) public: bool,
    pub(crate) author_id: u64,
}

/// A checked ticket write: the ticket as it will be, and what else it creates.
#[derive(Debug)]
pub(crate) struct TicketWrite {
    pub(crate) ticket: ZdTicket,
    /// A requester given as `{name, email}` who is not a user yet.
    pub(crate) new_requester: Option<ZdUser>,
    pub(crate) comment: Option<NewComment>,
}

/// Checks `input` (the object inside `"ticket"`) against the account and applies it to `draft`.
/// `creating` tickets need a comment (or `description`); `api_user` authors comments that name
/// no author; a requester given by email who is not a user yet gets the next user id.
pub(crate) fn ticket(
    store: &ZendeskStore,
    input: &Map<String, Value>,
    mut draft: ZdTicket,
    creating: bool,
    api_user: u64,
    now: i64,
) -> Result<TicketWrite, ZdError> {
    if !creating && draft.status == "closed" {
        let mut closed = Problems::default();
        closed.add(
            "status",
            "Status: closed prevents ticket update".to_owned(),
            Some("ClosedPreventsUpdate"),
        );
        closed.finish()?;
    }
    let mut problems = Problems::default();
    let mut new_requester = None;
    let get = |key: &str| input.get(key);
    if let Some(value) = get("subject").or_else(|| get("raw_subject")) {
        match text(value) {
            Some(subject) => draft.subject = subject,
            None => problems.invalid("subject", "Subject"),
        }
    }
    if let Some(value) = get("type") {
        match choice(value, &TYPES) {
            Some(kind) => draft.kind = kind,
            None => problems.invalid("type", "Type"),
        }
    }
    if let Some(value) = get("priority") {
        match choice(value, &PRIORITIES) {
            Some(priority) => draft.priority = priority,
            None => problems.invalid("priority", "Priority"),
        }
    }
    let mut status_sent = false;
    if let Some(value) = get("status") {
        match choice(value, &STATUSES) {
            Some(Some(status)) => {
                status_sent = true;
                draft.status = status;
            }
            _ => problems.invalid("status", "Status"),
        }
    }
    if let Some(value) = get("requester_id") {
        match id(value) {
            Some(Some(requester)) if user_exists(store, requester) => {
                draft.requester_id = requester;
            }
            _ => problems.add(
                "requester",
                "Requester: is invalid".to_owned(),
                Some("InvalidValue"),
            ),
        }
    } else if let Some(value) = get("requester") {
        match requester(store, value, now) {
            Ok(Requester::Existing(id)) => draft.requester_id = id,
            Ok(Requester::New(user)) => {
                draft.requester_id = user.id;
                new_requester = Some(*user);
            }
            Err(description) => problems.add("requester", description, Some("InvalidValue")),
        }
    }
    if let Some(value) = get("submitter_id") {
        match id(value) {
            Some(Some(submitter)) if user_exists(store, submitter) => {
                draft.submitter_id = submitter;
            }
            _ => problems.invalid("submitter", "Submitter"),
        }
    }
    if let Some(value) = get("assignee_id") {
        match id(value) {
            Some(None) => draft.assignee_id = None,
            Some(Some(assignee)) if is_agent(store, assignee) => {
                draft.assignee_id = Some(assignee);
                draft.group_id.get_or_insert(SUPPORT_GROUP);
            }
            _ => problems.add(
                "assignee",
                "Assignee: is not an agent".to_owned(),
                Some("InvalidValue"),
            ),
        }
    }
    if let Some(value) = get("organization_id") {
        match id(value) {
            Some(None) => draft.organization_id = None,
            Some(Some(org)) if store.organizations.contains_key(&org) => {
                draft.organization_id = Some(org);
            }
            _ => problems.invalid("organization", "Organization"),
        }
    }
    if let Some(value) = get("group_id") {
        match id(value) {
            Some(None) => draft.group_id = None,
            Some(Some(SUPPORT_GROUP)) => draft.group_id = Some(SUPPORT_GROUP),
            _ => problems.invalid("group", "Group"),
        }
    }
    for (key, label) in [
        ("collaborator_ids", "Collaborators"),
        ("follower_ids", "Followers"),
        ("email_cc_ids", "Email CCs"),
    ] {
        if let Some(value) = get(key) {
            match ids(value) {
                Some(list) if list.iter().all(|&u| user_exists(store, u)) => match key {
                    "collaborator_ids" => draft.collaborator_ids = list,
                    "follower_ids" => draft.follower_ids = list,
                    _ => draft.email_cc_ids = list,
                },
                _ => problems.invalid(key, label),
            }
        }
    }
    if let Some(value) = get("external_id") {
        match text(value) {
            Some(external) => draft.external_id = external,
            None => problems.invalid("external_id", "External"),
        }
    }
    if let Some(value) = get("due_at") {
        match value {
            Value::Null => draft.due_ms = None,
            Value::String(s) if parse_datetime(s).is_some() => draft.due_ms = parse_datetime(s),
            _ => problems.invalid("due_at", "Due at"),
        }
    }
    if let Some(value) = get("problem_id") {
        match id(value) {
            Some(None) => draft.problem_id = None,
            Some(Some(problem)) if store.tickets.contains_key(&problem) => {
                draft.problem_id = Some(problem);
            }
            _ => problems.invalid("problem_id", "Problem"),
        }
    }
    if let Some(value) = get("tags") {
        match tags(value) {
            Some(list) => draft.tags = list,
            None => problems.invalid("tags", "Tags"),
        }
    }
    for (key, add) in [("additional_tags", true), ("remove_tags", false)] {
        if let Some(value) = get(key) {
            match tags(value) {
                Some(list) if add => {
                    for tag in list {
                        if !draft.tags.contains(&tag) {
                            draft.tags.push(tag);
                        }
                    }
                }
                Some(list) => draft.tags.retain(|t| !list.contains(t)),
                None => problems.invalid(key, "Tags"),
            }
        }
    }
    for key in ["custom_fields", "fields"] {
        if let Some(value) = get(key) {
            custom_fields(value, &mut draft.custom_fields, &mut problems);
        }
    }
    let comment = match get("comment") {
        Some(value) => new_comment(store, value, api_user, &mut problems),
        // On create, `description` becomes the first comment when no comment is given.
        None if creating => match get("description").map(text) {
            Some(Some(Some(body))) if !body.trim().is_empty() => Some(NewComment {
                body,
                public: true,
                author_id: api_user,
            }),
            _ => None,
        },
        None => None,
    };
    if creating && comment.is_none() && problems.0.iter().all(|p| p.field != "comment") {
        problems.add(
            "description",
            "Description: cannot be blank".to_owned(),
            Some("BlankValue"),
        );
    }
    if creating && !status_sent {
        draft.status = if draft.assignee_id.is_some() {
            "open"
        } else {
            "new"
        }
        .to_owned();
    }
    problems.finish()?;
    Ok(TicketWrite {
        ticket: draft,
        new_requester,
        comment,
    })
}

enum Requester {
    Existing(u64),
    New(Box<ZdUser>),
}

/// `requester: {name, email}`: the user with that email, or a new end user.
fn requester(store: &ZendeskStore, value: &Value, now: i64) -> Result<Requester, String> {
    let email = value
        .get("email")
        .and_then(Value::as_str)
        .map(str::trim)
        .filter(|e| !e.is_empty())
        .ok_or_else(|| "Requester: email is required".to_owned())?;
    if !looks_like_email(email) {
        return Err(format!(
            "Requester: Email: {email} is not properly formatted"
        ));
    }
    if let Some(user) = store.users.values().find(|u| {
        u.email
            .as_deref()
            .is_some_and(|e| e.eq_ignore_ascii_case(email))
    }) {
        return Ok(Requester::Existing(user.id));
    }
    let name = value
        .get("name")
        .and_then(Value::as_str)
        .map(str::trim)
        .filter(|n| !n.is_empty())
        .map_or_else(
            || email.split('@').next().unwrap_or(email).to_owned(),
            str::to_owned,
        );
    let mut user = new_user(store.next_user, name, now);
    user.email = Some(email.to_owned());
    Ok(Requester::New(Box::new(user)))
}

/// `comment: {body | html_body, public?, author_id?}`.
fn new_comment(
    store: &ZendeskStore,
    value: &Value,
    api_user: u64,
    problems: &mut Problems,
) -> Option<NewComment> {
    let Some(fields) = value.as_object() else {
        problems.invalid("comment", "Comment");
        return None;
    };
    let body = match (fields.get("body"), fields.get("html_body")) {
        (Some(Value::String(body)), _) => body.clone(),
        (None, Some(Value::String(html))) => strip_tags(html),
        _ => String::new(),
    };
    if body.trim().is_empty() {
        problems.add(
            "comment",
            "Comment: cannot be blank".to_owned(),
            Some("BlankValue"),
        );
        return None;
    }
    let public = match fields.get("public") {
        None | Some(Value::Null) => true,
        Some(value) => match boolean(value) {
            Some(public) => public,
            None => {
                problems.invalid("comment", "Comment public");
                return None;
            }
        },
    };
    let author_id = match fields.get("author_id").map(id) {
        None | Some(Some(None)) => api_user,
        Some(Some(Some(author))) if user_exists(store, author) => author,
        Some(_) => {
            problems.invalid("comment", "Comment author");
            return None;
        }
    };
    Some(NewComment {
        body,
        public,
        author_id,
    })
}

/// The text of an HTML comment (tags dropped), for `body` when only `html_body` was sent.
fn strip_tags(html: &str) -> String {
    let mut out = String::with_capacity(html.len());
    let mut in_tag = false;
    for ch in html.chars() {
        match ch {
            '<' => in_tag = true,
            '>' => in_tag = false,
            other if !in_tag => out.push(other),
            _ => {}
        }
    }
    out.trim().to_owned()
}

/// `custom_fields: [{id, value}]`: values checked against each field's type; ids the account
/// does not have are ignored.
fn custom_fields(value: &Value, stored: &mut BTreeMap<u64, Value>, problems: &mut Problems) {
    let Some(entries) = value.as_array() else {
        problems.invalid("custom_fields", "Custom fields");
        return;
    };
    for entry in entries {
        let Some(field_id) = entry.get("id").and_then(|v| id(v).flatten()) else {
            problems.invalid("custom_fields", "Custom field id");
            continue;
        };
        let Some(field) = TICKET_FIELDS.iter().find(|f| f.id == field_id) else {
            continue;
        };
        let value = entry.get("value").unwrap_or(&Value::Null);
        let checked = match (field.kind, value) {
            (_, Value::Null) => Some(Value::Null),
            (FieldKind::Text, Value::String(s)) => Some(Value::from(s.clone())),
            (FieldKind::Text, Value::Number(n)) => Some(Value::from(n.to_string())),
            (FieldKind::Tagger, Value::String(s)) if PLANS.contains(&s.as_str()) => {
                Some(Value::from(s.clone()))
            }
            // Integer field values are kept (and shown) as text, as the API reference shows them.
            (FieldKind::Integer, Value::Number(n)) if n.is_i64() || n.is_u64() => {
                Some(Value::from(n.to_string()))
            }
            (FieldKind::Integer, Value::String(s)) if s.trim().parse::<i64>().is_ok() => {
                Some(Value::from(s.trim().to_owned()))
            }
            (FieldKind::Checkbox, other) => boolean(other).map(Value::from),
            _ => None,
        };
        match checked {
            Some(checked) => {
                stored.insert(field.id, checked);
            }
            None => problems.add(
                "base",
                format!("{}: is not valid", field.title),
                Some("InvalidValue"),
            ),
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Users

/// Checks `input` (the object inside `"user"`) and applies it to `user`.
pub(crate) fn user(
    store: &ZendeskStore,
    input: &Map<String, Value>,
    user: &mut ZdUser,
    creating: bool,
) -> Result<(), ZdError> {
    let mut problems = Problems::default();
    let get = |key: &str| input.get(key);
    match get("name").map(text) {
        Some(Some(Some(name))) if !name.trim().is_empty() => user.name = name.trim().to_owned(),
        None if !creating => {}
        _ => problems.add(
            "name",
            "Name:  is too short (minimum is 1 characters)".to_owned(),
            Some("ValueTooShort"),
        ),
    }
    if let Some(value) = get("email") {
        match text(value) {
            Some(None) => user.email = None,
            Some(Some(email)) => {
                let email = email.trim().to_owned();
                let taken = store.users.values().any(|u| {
                    u.id != user.id
                        && u.email
                            .as_deref()
                            .is_some_and(|e| e.eq_ignore_ascii_case(&email))
                });
                if !looks_like_email(&email) {
                    // The recorded 422 has no `error` code for this one.
                    problems.add(
                        "email",
                        format!("Email: {email} is not properly formatted"),
                        None,
                    );
                } else if taken {
                    problems.add(
                        "email",
                        format!("Email: {email} is already being used by another user"),
                        Some("DuplicateValue"),
                    );
                } else {
                    user.email = Some(email);
                }
            }
            None => problems.invalid("email", "Email"),
        }
    }
    if let Some(value) = get("role") {
        match choice(value, &ROLES) {
            Some(Some(role)) => user.role = role,
            _ => problems.invalid("role", "Role"),
        }
    }
    if let Some(value) = get("organization_id") {
        match id(value) {
            Some(None) => user.organization_id = None,
            Some(Some(org)) if store.organizations.contains_key(&org) => {
                user.organization_id = Some(org);
            }
            _ => problems.invalid("organization_id", "Organization"),
        }
    }
    for (key, label) in [
        ("phone", "Phone"),
        ("external_id", "External"),
        ("alias", "Alias"),
        ("details", "Details"),
        ("notes", "Notes"),
    ] {
        if let Some(value) = get(key) {
            match text(value) {
                Some(new) => match key {
                    "phone" => user.phone = new,
                    "external_id" => user.external_id = new,
                    "alias" => user.alias = new,
                    "details" => user.details = new,
                    _ => user.notes = new,
                },
                None => problems.invalid(key, label),
            }
        }
    }
    if let Some(value) = get("tags") {
        match tags(value) {
            Some(list) => user.tags = list,
            None => problems.invalid("tags", "Tags"),
        }
    }
    if let Some(value) = get("time_zone") {
        match value.as_str().and_then(time_zone) {
            Some((rails, iana)) => {
                user.time_zone = rails.to_owned();
                user.iana_time_zone = iana.to_owned();
            }
            None => problems.invalid("time_zone", "Time zone"),
        }
    }
    if let Some(value) = get("locale") {
        match value.as_str().filter(|l| !l.is_empty() && l.len() <= 16) {
            Some(locale) => user.locale = locale.to_owned(),
            None => problems.invalid("locale", "Locale"),
        }
    }
    for (key, label) in [("verified", "Verified"), ("suspended", "Suspended")] {
        if let Some(value) = get(key) {
            match boolean(value) {
                Some(flag) if key == "verified" => user.verified = flag,
                Some(flag) => user.suspended = flag,
                None => problems.invalid(key, label),
            }
        }
    }
    if let Some(value) = get("user_fields") {
        named_fields(
            value,
            &USER_FIELDS,
            &mut user.user_fields,
            "user_fields",
            &mut problems,
        );
    }
    problems.finish()
}

/// Custom user or organization fields: known names set (scalars only), unknown ones ignored.
fn named_fields(
    value: &Value,
    known: &[&str],
    stored: &mut BTreeMap<String, Value>,
    key: &str,
    problems: &mut Problems,
) {
    let Some(fields) = value.as_object() else {
        problems.invalid(key, "Fields");
        return;
    };
    for (name, value) in fields {
        if !known.contains(&name.as_str()) {
            continue;
        }
        match value {
            Value::Null | Value::String(_) | Value::Number(_) | Value::Bool(_) => {
                stored.insert(name.clone(), value.clone());
            }
            Value::Array(_) | Value::Object(_) => problems.invalid(key, name),
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Organizations

/// Checks `input` (the object inside `"organization"`) and applies it to `org`.
pub(crate) fn organization(
    store: &ZendeskStore,
    input: &Map<String, Value>,
    org: &mut ZdOrganization,
    creating: bool,
) -> Result<(), ZdError> {
    let mut problems = Problems::default();
    let get = |key: &str| input.get(key);
    match get("name").map(text) {
        Some(Some(Some(name))) if !name.trim().is_empty() => {
            let name = name.trim().to_owned();
            let taken = store
                .organizations
                .values()
                .any(|o| o.id != org.id && o.name.eq_ignore_ascii_case(&name));
            if taken {
                problems.add(
                    "name",
                    "Name: has already been taken".to_owned(),
                    Some("DuplicateValue"),
                );
            } else {
                org.name = name;
            }
        }
        None if !creating => {}
        _ => problems.add(
            "name",
            "Name: cannot be blank".to_owned(),
            Some("BlankValue"),
        ),
    }
    for (key, label) in [
        ("external_id", "External"),
        ("details", "Details"),
        ("notes", "Notes"),
    ] {
        if let Some(value) = get(key) {
            match text(value) {
                Some(new) => match key {
                    "external_id" => org.external_id = new,
                    "details" => org.details = new,
                    _ => org.notes = new,
                },
                None => problems.invalid(key, label),
            }
        }
    }
    if let Some(value) = get("domain_names") {
        match value.as_array().and_then(|items| {
            items
                .iter()
                .map(|d| d.as_str().map(str::to_owned))
                .collect()
        }) {
            Some(domains) => org.domain_names = domains,
            None => problems.invalid("domain_names", "Domain names"),
        }
    }
    if let Some(value) = get("group_id") {
        match id(value) {
            Some(None) => org.group_id = None,
            Some(Some(SUPPORT_GROUP)) => org.group_id = Some(SUPPORT_GROUP),
            _ => problems.invalid("group", "Group"),
        }
    }
    for (key, label) in [
        ("shared_tickets", "Shared tickets"),
        ("shared_comments", "Shared comments"),
    ] {
        if let Some(value) = get(key) {
            match boolean(value) {
                Some(flag) if key == "shared_tickets" => org.shared_tickets = flag,
                Some(flag) => org.shared_comments = flag,
                None => problems.invalid(key, label),
            }
        }
    }
    if let Some(value) = get("tags") {
        match tags(value) {
            Some(list) => org.tags = list,
            None => problems.invalid("tags", "Tags"),
        }
    }
    if let Some(value) = get("organization_fields") {
        named_fields(
            value,
            &ORGANIZATION_FIELDS,
            &mut org.organization_fields,
            "organization_fields",
            &mut problems,
        );
    }
    problems.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tags_are_normalized() {
        assert_eq!(
            tags(&serde_json::json!(["VIP", "two words", "vip"])),
            Some(vec!["vip".to_owned(), "two".to_owned(), "words".to_owned()])
        );
        assert_eq!(tags(&serde_json::json!([1])), None);
        assert_eq!(strip_tags("<p>Hello <b>there</b></p>"), "Hello there");
    }
}
