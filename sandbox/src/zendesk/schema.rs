//! Zendesk's seeded account and how its records render: users (the recorded shape), tickets (the
//! Tickets API reference's JSON format), ticket comments, organizations and ticket fields.
//!
//! The seeded people are data.rs's: person `i` is end user `END_USER_BASE + i`, working for
//! organization `ORGANIZATION_BASE + i / 2`; the owners are the agents (owner 0 the admin the API
//! runs as); ticket `t` is raised by person `t`.

use std::collections::BTreeMap;

use serde_json::{Map, Value, json};

use crate::clock::zendesk_time;
use crate::data::{self, OWNERS, PLANS};
use crate::store::{ZdComment, ZdOrganization, ZdTicket, ZdUser, ZendeskStore};
use crate::web::Ordered;

/// Id of organization `c` is `ORGANIZATION_BASE + c`.
const ORGANIZATION_BASE: u64 = 360_000_000_001;
/// Id of agent `j` (owner `j`) is `AGENT_BASE + j`.
const AGENT_BASE: u64 = 361_000_000_001;
/// Id of end user `i` (person `i`) is `END_USER_BASE + i`.
const END_USER_BASE: u64 = 362_000_000_001;
/// Users created through the API get ids from here on.
const CREATED_USER_BASE: u64 = 363_000_000_001;
/// First comment, audit and event id.
const EVENT_BASE: u64 = 400_000_000_001;
/// The agents' group.
pub(crate) const SUPPORT_GROUP: u64 = 360_200_000_001;
const BRAND_ID: u64 = 360_300_000_001;
const TICKET_FORM_ID: u64 = 360_400_000_001;

/// Custom ticket field "Order number" (text).
pub(crate) const FIELD_ORDER_NUMBER: u64 = 360_100_000_001;
/// Custom ticket field "Plan" (drop-down: `free`, `pro`, `enterprise`).
pub(crate) const FIELD_PLAN: u64 = 360_100_000_002;
/// Custom ticket field "Seats" (integer).
pub(crate) const FIELD_SEATS: u64 = 360_100_000_003;
/// Custom ticket field "Escalated" (checkbox).
pub(crate) const FIELD_ESCALATED: u64 = 360_100_000_004;

/// A custom ticket field's type (Zendesk's `type` names).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum FieldKind {
    Text,
    Tagger,
    Integer,
    Checkbox,
}

/// A custom ticket field of the account.
#[derive(Debug, Clone, Copy)]
pub(crate) struct TicketField {
    pub(crate) id: u64,
    pub(crate) title: &'static str,
    pub(crate) kind: FieldKind,
}

/// The account's custom ticket fields, in position order.
pub(crate) const TICKET_FIELDS: [TicketField; 4] = [
    TicketField {
        id: FIELD_ORDER_NUMBER,
        title: "Order number",
        kind: FieldKind::Text,
    },
    TicketField {
        id: FIELD_PLAN,
        title: "Plan",
        kind: FieldKind::Tagger,
    },
    TicketField {
        id: FIELD_SEATS,
        title: "Seats",
        kind: FieldKind::Integer,
    },
    TicketField {
        id: FIELD_ESCALATED,
        title: "Escalated",
        kind: FieldKind::Checkbox,
    },
];

/// The user fields (`user_fields`) and organization fields (`organization_fields`) the account
/// defines; other keys written there are ignored.
pub(crate) const USER_FIELDS: [&str; 1] = ["favorite_color"];
pub(crate) const ORGANIZATION_FIELDS: [&str; 1] = ["tier"];

/// When the account's fields were set up (2021-01-07 20:05:11 UTC).
const FIELDS_CREATED_MS: i64 = 1_610_049_911_000;

/// The id of the user API calls with the api token run as (the admin, owner 0).
pub(crate) fn api_user_id() -> u64 {
    AGENT_BASE
}

fn organization_id(c: usize) -> u64 {
    ORGANIZATION_BASE + c as u64
}

fn agent_id(j: usize) -> u64 {
    AGENT_BASE + (j % OWNERS) as u64
}

fn end_user_id(i: usize) -> u64 {
    END_USER_BASE + i as u64
}

/// Zendesk's (Rails) name of an IANA zone the seed uses, and the way back.
const TIME_ZONES: [(&str, &str); 8] = [
    ("America/Los_Angeles", "Pacific Time (US & Canada)"),
    ("America/Denver", "Mountain Time (US & Canada)"),
    ("America/Chicago", "Central Time (US & Canada)"),
    ("America/New_York", "Eastern Time (US & Canada)"),
    ("America/Toronto", "Eastern Time (US & Canada)"),
    ("Europe/London", "London"),
    ("Europe/Berlin", "Berlin"),
    ("Australia/Sydney", "Sydney"),
];

/// (Zendesk name, IANA name) for a zone given by either name.
pub(crate) fn time_zone(name: &str) -> Option<(&'static str, &'static str)> {
    TIME_ZONES
        .iter()
        .find(|(iana, rails)| *iana == name || *rails == name)
        .map(|(iana, rails)| (*rails, *iana))
}

fn zone_of(iana: &str) -> (String, String) {
    let (rails, iana) = time_zone(iana).unwrap_or(("UTC", "Etc/UTC"));
    (rails.to_owned(), iana.to_owned())
}

/// A new user with Zendesk's defaults.
pub(crate) fn new_user(id: u64, name: String, now: i64) -> ZdUser {
    ZdUser {
        id,
        name,
        email: None,
        phone: None,
        role: "end-user".to_owned(),
        organization_id: None,
        external_id: None,
        alias: None,
        details: None,
        notes: None,
        tags: Vec::new(),
        time_zone: "Eastern Time (US & Canada)".to_owned(),
        iana_time_zone: "America/New_York".to_owned(),
        locale: "en-US".to_owned(),
        verified: false,
        active: true,
        suspended: false,
        user_fields: BTreeMap::new(),
        last_login_ms: None,
        created_ms: now,
        updated_ms: now,
    }
}

/// The seeded account: `records` organizations, end users and tickets, and the agents.
pub(crate) fn seed(records: usize) -> ZendeskStore {
    let mut store = ZendeskStore {
        next_ticket: records as u64 + 1,
        next_user: CREATED_USER_BASE,
        next_organization: ORGANIZATION_BASE + records as u64,
        next_event: EVENT_BASE,
        ..ZendeskStore::default()
    };
    for c in 0..records {
        let co = data::company(c);
        let id = organization_id(c);
        let mut fields = BTreeMap::new();
        fields.insert("tier".to_owned(), Value::from(co.tier));
        store.organizations.insert(
            id,
            ZdOrganization {
                id,
                name: co.name,
                external_id: None,
                domain_names: vec![co.domain],
                details: Some(co.description),
                notes: None,
                group_id: None,
                shared_tickets: false,
                shared_comments: false,
                tags: vec![co.tier.to_ascii_lowercase()],
                organization_fields: fields,
                created_ms: co.created_ms,
                updated_ms: co.updated_ms,
            },
        );
    }
    for j in 0..OWNERS {
        let o = data::owner(j);
        let (rails, iana) = zone_of(o.time_zone);
        let mut user = new_user(agent_id(j), format!("{} {}", o.first, o.last), o.created_ms);
        user.email = Some(o.email);
        user.phone = Some(o.phone);
        user.role = if j == 0 { "admin" } else { "agent" }.to_owned();
        user.time_zone = rails;
        user.iana_time_zone = iana;
        user.verified = true;
        user.last_login_ms = Some(o.updated_ms);
        user.updated_ms = o.updated_ms;
        store.users.insert(user.id, user);
    }
    for i in 0..records {
        let p = data::person(i);
        let (rails, iana) = zone_of(p.time_zone);
        let mut user = new_user(
            end_user_id(i),
            format!("{} {}", p.first, p.last),
            p.created_ms,
        );
        user.email = Some(p.email);
        user.phone = Some(p.phone);
        user.organization_id = Some(organization_id(p.company));
        user.time_zone = rails;
        user.iana_time_zone = iana;
        user.verified = true;
        user.tags = vec![p.lifecycle_stage.to_owned()];
        if let Some(color) = p.favorite_color {
            user.user_fields
                .insert("favorite_color".to_owned(), Value::from(color));
        }
        user.updated_ms = p.updated_ms;
        store.users.insert(user.id, user);
    }
    for t in 0..records {
        let seeded = data::ticket(t, records);
        let requester = end_user_id(seeded.requester);
        let assignee = seeded.assignee.map(agent_id);
        let via = if t % 2 == 0 { "email" } else { "web" };
        let comments: Vec<ZdComment> = seeded
            .comments
            .iter()
            .map(|c| ZdComment {
                id: store.event_id(),
                author_id: if c.by_requester {
                    requester
                } else {
                    assignee.unwrap_or_else(api_user_id)
                },
                body: c.body.clone(),
                public: c.public,
                audit_id: store.event_id(),
                via: if c.by_requester { via } else { "web" },
                created_ms: c.created_ms,
            })
            .collect();
        let mut custom_fields = BTreeMap::new();
        custom_fields.insert(FIELD_ORDER_NUMBER, Value::from(seeded.order_number));
        custom_fields.insert(FIELD_PLAN, Value::from(seeded.plan));
        custom_fields.insert(FIELD_SEATS, Value::from(seeded.seats.to_string()));
        custom_fields.insert(FIELD_ESCALATED, Value::from(seeded.escalated));
        let id = t as u64 + 1;
        store.tickets.insert(
            id,
            ZdTicket {
                id,
                external_id: None,
                kind: Some(seeded.kind.to_owned()),
                subject: Some(seeded.subject.to_owned()),
                status: seeded.status.to_owned(),
                priority: seeded.priority.map(str::to_owned),
                requester_id: requester,
                submitter_id: requester,
                assignee_id: assignee,
                organization_id: Some(organization_id(seeded.requester / 2)),
                group_id: assignee.map(|_| SUPPORT_GROUP),
                collaborator_ids: Vec::new(),
                follower_ids: Vec::new(),
                email_cc_ids: Vec::new(),
                problem_id: None,
                due_ms: None,
                tags: seeded.tags.iter().map(|t| (*t).to_owned()).collect(),
                custom_fields,
                via,
                created_ms: seeded.created_ms,
                updated_ms: seeded.updated_ms,
                comments,
            },
        );
    }
    store
}

// ---------------------------------------------------------------------------------------------
// Rendering

fn via(channel: &str) -> Value {
    json!({"channel": channel, "source": {"from": {}, "to": {}, "rel": null}})
}

fn time(ms: Option<i64>) -> Value {
    ms.map_or(Value::Null, |ms| Value::from(zendesk_time(ms)))
}

/// The `custom_status_id` of a standard status (one custom status per category).
fn custom_status_id(status: &str) -> u64 {
    let position = ["new", "open", "pending", "hold", "solved", "closed"]
        .iter()
        .position(|s| *s == status)
        .unwrap_or(1);
    360_500_000_001 + position as u64
}

/// The `custom_fields` array: every field of the account, `null` when unset.
fn custom_field_values(ticket: &ZdTicket) -> Value {
    Value::Array(
        TICKET_FIELDS
            .iter()
            .map(|f| {
                // An unset checkbox reads as unchecked.
                let unset = if f.kind == FieldKind::Checkbox {
                    Value::from(false)
                } else {
                    Value::Null
                };
                let value = ticket
                    .custom_fields
                    .get(&f.id)
                    .filter(|v| !v.is_null())
                    .cloned()
                    .unwrap_or(unset);
                json!({"id": f.id, "value": value})
            })
            .collect(),
    )
}

/// A ticket in the Tickets API's JSON format (`base` is the account URL).
pub(crate) fn render_ticket(store: &ZendeskStore, ticket: &ZdTicket, base: &str) -> Ordered {
    let description = ticket
        .comments
        .first()
        .map_or(String::new(), |c| c.body.clone());
    let has_incidents = store
        .tickets
        .values()
        .any(|t| t.problem_id == Some(ticket.id));
    let fields = custom_field_values(ticket);
    let entries: Vec<(&str, Value)> = vec![
        (
            "url",
            Value::from(format!("{base}/api/v2/tickets/{}.json", ticket.id)),
        ),
        ("id", Value::from(ticket.id)),
        ("external_id", json!(ticket.external_id)),
        ("via", via(ticket.via)),
        ("created_at", Value::from(zendesk_time(ticket.created_ms))),
        ("updated_at", Value::from(zendesk_time(ticket.updated_ms))),
        ("type", json!(ticket.kind)),
        ("subject", json!(ticket.subject)),
        ("raw_subject", json!(ticket.subject)),
        ("description", Value::from(description)),
        ("priority", json!(ticket.priority)),
        ("status", Value::from(ticket.status.clone())),
        (
            "custom_status_id",
            Value::from(custom_status_id(&ticket.status)),
        ),
        ("recipient", Value::Null),
        ("requester_id", Value::from(ticket.requester_id)),
        ("submitter_id", Value::from(ticket.submitter_id)),
        ("assignee_id", json!(ticket.assignee_id)),
        ("organization_id", json!(ticket.organization_id)),
        ("group_id", json!(ticket.group_id)),
        ("collaborator_ids", json!(ticket.collaborator_ids)),
        ("follower_ids", json!(ticket.follower_ids)),
        ("email_cc_ids", json!(ticket.email_cc_ids)),
        ("forum_topic_id", Value::Null),
        ("problem_id", json!(ticket.problem_id)),
        ("has_incidents", Value::from(has_incidents)),
        (
            "is_public",
            Value::from(ticket.comments.iter().any(|c| c.public)),
        ),
        ("due_at", time(ticket.due_ms)),
        ("tags", json!(ticket.tags)),
        ("custom_fields", fields.clone()),
        ("satisfaction_rating", Value::Null),
        ("sharing_agreement_ids", json!([])),
        ("fields", fields),
        ("followup_ids", json!([])),
        ("ticket_form_id", Value::from(TICKET_FORM_ID)),
        ("brand_id", Value::from(BRAND_ID)),
        ("allow_channelback", Value::from(false)),
        ("allow_attachments", Value::from(true)),
        ("from_messaging_channel", Value::from(false)),
    ];
    ordered(entries)
}

/// Minimal HTML escaping for `html_body`.
fn escape_html(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for ch in text.chars() {
        match ch {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            '\n' => out.push_str("<br>"),
            other => out.push(other),
        }
    }
    out
}

fn ordered(entries: Vec<(&str, Value)>) -> Ordered {
    Ordered(
        entries
            .into_iter()
            .map(|(k, v)| (k.to_owned(), v))
            .collect(),
    )
}

/// A ticket comment in the Ticket Comments API's JSON format.
pub(crate) fn render_comment(comment: &ZdComment) -> Ordered {
    ordered(vec![
        ("id", Value::from(comment.id)),
        ("type", Value::from("Comment")),
        ("author_id", Value::from(comment.author_id)),
        ("body", Value::from(comment.body.clone())),
        (
            "html_body",
            Value::from(format!(
                "<div class=\"zd-comment\" dir=\"auto\"><p>{}</p></div>",
                escape_html(&comment.body)
            )),
        ),
        ("plain_body", Value::from(comment.body.clone())),
        ("public", Value::from(comment.public)),
        ("attachments", json!([])),
        ("audit_id", Value::from(comment.audit_id)),
        ("via", via(comment.via)),
        ("created_at", Value::from(zendesk_time(comment.created_ms))),
        ("metadata", json!({"system": {}, "custom": {}})),
    ])
}

/// A user with the recorded keys (`base` is the account URL).
pub(crate) fn render_user(user: &ZdUser, base: &str) -> Ordered {
    let end_user = user.role == "end-user";
    let user_fields: Map<String, Value> = USER_FIELDS
        .iter()
        .map(|name| {
            (
                (*name).to_owned(),
                user.user_fields.get(*name).cloned().unwrap_or(Value::Null),
            )
        })
        .collect();
    let entries: Vec<(&str, Value)> = vec![
        ("id", Value::from(user.id)),
        (
            "url",
            Value::from(format!("{base}/api/v2/users/{}.json", user.id)),
        ),
        ("name", Value::from(user.name.clone())),
        ("email", json!(user.email)),
        ("created_at", Value::from(zendesk_time(user.created_ms))),
        ("updated_at", Value::from(zendesk_time(user.updated_ms))),
        ("time_zone", Value::from(user.time_zone.clone())),
        ("iana_time_zone", Value::from(user.iana_time_zone.clone())),
        ("phone", json!(user.phone)),
        (
            "shared_phone_number",
            json!(user.phone.as_ref().map(|_| false)),
        ),
        ("photo", Value::Null),
        ("locale_id", Value::from(1)),
        ("locale", Value::from(user.locale.clone())),
        ("organization_id", json!(user.organization_id)),
        ("role", Value::from(user.role.clone())),
        ("verified", Value::from(user.verified)),
        ("external_id", json!(user.external_id)),
        ("tags", json!(user.tags)),
        ("alias", json!(user.alias)),
        ("active", Value::from(user.active)),
        ("shared", Value::from(false)),
        ("shared_agent", Value::from(false)),
        ("last_login_at", time(user.last_login_ms)),
        ("two_factor_auth_enabled", Value::from(false)),
        ("signature", Value::Null),
        ("details", json!(user.details)),
        ("notes", json!(user.notes)),
        ("role_type", Value::Null),
        ("custom_role_id", Value::Null),
        ("moderator", Value::from(!end_user)),
        (
            "ticket_restriction",
            if end_user {
                Value::from("requested")
            } else {
                Value::Null
            },
        ),
        ("only_private_comments", Value::from(false)),
        ("restricted_agent", Value::from(end_user)),
        ("suspended", Value::from(user.suspended)),
        (
            "default_group_id",
            if end_user {
                Value::Null
            } else {
                Value::from(SUPPORT_GROUP)
            },
        ),
        ("report_csv", Value::from(!end_user)),
        ("user_fields", Value::Object(user_fields)),
    ];
    ordered(entries)
}

/// An organization in the Organizations API's JSON format.
pub(crate) fn render_organization(org: &ZdOrganization, base: &str) -> Ordered {
    let fields: Map<String, Value> = ORGANIZATION_FIELDS
        .iter()
        .map(|name| {
            (
                (*name).to_owned(),
                org.organization_fields
                    .get(*name)
                    .cloned()
                    .unwrap_or(Value::Null),
            )
        })
        .collect();
    ordered(vec![
        (
            "url",
            Value::from(format!("{base}/api/v2/organizations/{}.json", org.id)),
        ),
        ("id", Value::from(org.id)),
        ("name", Value::from(org.name.clone())),
        ("shared_tickets", Value::from(org.shared_tickets)),
        ("shared_comments", Value::from(org.shared_comments)),
        ("external_id", json!(org.external_id)),
        ("created_at", Value::from(zendesk_time(org.created_ms))),
        ("updated_at", Value::from(zendesk_time(org.updated_ms))),
        ("domain_names", json!(org.domain_names)),
        ("details", json!(org.details)),
        ("notes", json!(org.notes)),
        ("group_id", json!(org.group_id)),
        ("tags", json!(org.tags)),
        ("organization_fields", Value::Object(fields)),
    ])
}

/// A custom ticket field definition (`GET /api/v2/ticket_fields.json`).
pub(crate) fn render_ticket_field(field: &TicketField, position: usize, base: &str) -> Value {
    let kind = match field.kind {
        FieldKind::Text => "text",
        FieldKind::Tagger => "tagger",
        FieldKind::Integer => "integer",
        FieldKind::Checkbox => "checkbox",
    };
    let mut out = json!({
        "url": format!("{base}/api/v2/ticket_fields/{}.json", field.id),
        "id": field.id,
        "type": kind,
        "title": field.title,
        "raw_title": field.title,
        "description": "",
        "raw_description": "",
        "position": position,
        "active": true,
        "required": false,
        "collapsed_for_agents": false,
        "regexp_for_validation": null,
        "title_in_portal": field.title,
        "raw_title_in_portal": field.title,
        "visible_in_portal": false,
        "editable_in_portal": false,
        "required_in_portal": false,
        "tag": null,
        "created_at": zendesk_time(FIELDS_CREATED_MS),
        "updated_at": zendesk_time(FIELDS_CREATED_MS),
        "removable": true,
        "key": null,
        "agent_description": null
    });
    if field.kind == FieldKind::Tagger {
        out["custom_field_options"] = Value::Array(
            PLANS
                .iter()
                .zip(1u64..)
                .map(|(plan, n)| {
                    json!({
                        "id": field.id * 10 + n,
                        "name": plan,
                        "raw_name": plan,
                        "value": plan,
                        "default": false
                    })
                })
                .collect(),
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seeded_tickets_reference_seeded_users_and_organizations() {
        let store = seed(12);
        for ticket in store.tickets.values() {
            assert!(store.users.contains_key(&ticket.requester_id));
            if let Some(assignee) = ticket.assignee_id {
                assert_ne!(store.users[&assignee].role, "end-user");
            }
            let org = ticket.organization_id.unwrap_or_default();
            assert!(store.organizations.contains_key(&org));
            assert!(!ticket.comments.is_empty());
        }
        let person = data::person(3);
        let user = &store.users[&end_user_id(3)];
        assert_eq!(user.email.as_deref(), Some(person.email.as_str()));
        assert_eq!(escape_html("a<b>&\"c\""), "a&lt;b&gt;&amp;&quot;c&quot;");
    }
}
