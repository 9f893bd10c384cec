//! The in-memory state the fake vendors read and write (one `Mutex` around all of it).

use std::collections::{BTreeMap, VecDeque};

use serde_json::Value;

use crate::web::Ordered;

/// Everything the sandbox knows; created by seeding, changed by create/update/delete calls.
#[derive(Debug)]
pub(crate) struct Store {
    /// HubSpot CRM objects and owners.
    pub(crate) hubspot: HubSpotStore,
    /// Salesforce sObjects and open query cursors.
    pub(crate) salesforce: SalesforceStore,
    /// Pipedrive persons, organizations, deals and users.
    pub(crate) pipedrive: PipedriveStore,
    /// Zendesk tickets (with their comments), users and organizations.
    pub(crate) zendesk: ZendeskStore,
}

/// HubSpot state.
#[derive(Debug, Default)]
pub(crate) struct HubSpotStore {
    pub(crate) contacts: HsTable,
    pub(crate) companies: HsTable,
    pub(crate) deals: HsTable,
    /// Owners, in id order.
    pub(crate) owners: Vec<HsOwner>,
}

/// One HubSpot object type's records, keyed (and so ordered) by numeric id.
#[derive(Debug, Default)]
pub(crate) struct HsTable {
    pub(crate) records: BTreeMap<u64, HsRecord>,
    /// The id the next created record gets.
    pub(crate) next_id: u64,
}

/// A HubSpot CRM record; `properties` includes `hs_object_id`, `createdate` and the last-modified date.
#[derive(Debug, Clone)]
pub(crate) struct HsRecord {
    pub(crate) id: u64,
    pub(crate) properties: BTreeMap<String, Option<String>>,
    pub(crate) created_ms: i64,
    pub(crate) updated_ms: i64,
    /// Set when the record was archived (HubSpot's DELETE).
    pub(crate) archived_ms: Option<i64>,
}

/// A HubSpot owner (a user who can own records).
#[derive(Debug, Clone)]
pub(crate) struct HsOwner {
    pub(crate) id: u64,
    pub(crate) user_id: u64,
    pub(crate) email: String,
    pub(crate) first_name: String,
    pub(crate) last_name: String,
    pub(crate) team: (&'static str, &'static str),
    pub(crate) created_ms: i64,
    pub(crate) updated_ms: i64,
}

/// Salesforce state.
#[derive(Debug, Default)]
pub(crate) struct SalesforceStore {
    pub(crate) contacts: SfTable,
    pub(crate) accounts: SfTable,
    pub(crate) opportunities: SfTable,
    pub(crate) users: SfTable,
    /// Open query cursors, oldest first.
    pub(crate) cursors: VecDeque<(String, QueryCursor)>,
    /// Counter behind query locator ids.
    pub(crate) next_cursor: u64,
}

/// One sObject type's records, keyed (and so ordered) by 18-character id.
#[derive(Debug, Default)]
pub(crate) struct SfTable {
    pub(crate) records: BTreeMap<String, SfRecord>,
    /// Counter behind the next created record's id.
    pub(crate) next_seq: u64,
}

/// A Salesforce record: canonical field name → JSON value.
#[derive(Debug, Clone)]
pub(crate) struct SfRecord {
    pub(crate) fields: BTreeMap<&'static str, Value>,
}

impl SfRecord {
    /// Whether the record was deleted (`IsDeleted`). Deleted records stay (the recycle bin) so a
    /// later read can say `ENTITY_IS_DELETED`.
    pub(crate) fn deleted(&self) -> bool {
        self.fields.get("IsDeleted").and_then(Value::as_bool) == Some(true)
    }
}

/// A query result snapshot served page by page through `nextRecordsUrl`.
#[derive(Debug, Clone)]
pub(crate) struct QueryCursor {
    pub(crate) rows: Vec<Ordered>,
    pub(crate) batch_size: usize,
}

/// Open query cursors kept at most; the oldest is dropped first (Salesforce expires idle cursors too).
pub(crate) const MAX_CURSORS: usize = 64;

/// Pipedrive state.
#[derive(Debug, Default)]
pub(crate) struct PipedriveStore {
    pub(crate) persons: PdTable,
    pub(crate) organizations: PdTable,
    pub(crate) deals: PdTable,
    /// Users, in id order.
    pub(crate) users: Vec<PdUser>,
}

/// One Pipedrive item type's records, keyed (and so ordered) by integer id.
#[derive(Debug, Default)]
pub(crate) struct PdTable {
    pub(crate) records: BTreeMap<u64, PdRecord>,
    /// The id the next created record gets.
    pub(crate) next_id: u64,
}

/// A Pipedrive record: its stored fields as JSON (`name`, `owner_id` as an id, `email` and
/// `phone` as labelled arrays, custom fields under their hash keys, ...); the computed ones
/// (counts, expanded owner and organization, `first_char`, ...) are added when rendering.
#[derive(Debug, Clone)]
pub(crate) struct PdRecord {
    pub(crate) id: u64,
    pub(crate) fields: BTreeMap<String, Value>,
    pub(crate) add_ms: i64,
    pub(crate) update_ms: i64,
    /// False once deleted: Pipedrive keeps deleted items readable with `active_flag: false`.
    pub(crate) active: bool,
}

impl PdRecord {
    /// A stored field (`Value::Null` when unset).
    pub(crate) fn get(&self, name: &str) -> &Value {
        self.fields.get(name).unwrap_or(&Value::Null)
    }

    /// A stored id field (`owner_id`, `org_id`, ...).
    pub(crate) fn id_field(&self, name: &str) -> Option<u64> {
        self.fields.get(name).and_then(Value::as_u64)
    }
}

/// A Pipedrive user (a seat in the company).
#[derive(Debug, Clone)]
pub(crate) struct PdUser {
    pub(crate) id: u64,
    pub(crate) name: String,
    pub(crate) email: String,
    pub(crate) phone: Option<String>,
    pub(crate) is_admin: bool,
    pub(crate) timezone_name: &'static str,
    pub(crate) created_ms: i64,
    pub(crate) modified_ms: i64,
}

/// Zendesk state.
#[derive(Debug, Default)]
pub(crate) struct ZendeskStore {
    pub(crate) tickets: BTreeMap<u64, ZdTicket>,
    pub(crate) users: BTreeMap<u64, ZdUser>,
    pub(crate) organizations: BTreeMap<u64, ZdOrganization>,
    pub(crate) next_ticket: u64,
    pub(crate) next_user: u64,
    pub(crate) next_organization: u64,
    /// Comment, audit and audit event ids come from one counter, as in Zendesk.
    pub(crate) next_event: u64,
}

impl ZendeskStore {
    /// The next comment, audit or event id.
    pub(crate) fn event_id(&mut self) -> u64 {
        let id = self.next_event;
        self.next_event += 1;
        id
    }
}

/// A Zendesk ticket.
#[derive(Debug, Clone)]
pub(crate) struct ZdTicket {
    pub(crate) id: u64,
    pub(crate) external_id: Option<String>,
    /// `type`: question, incident, problem or task.
    pub(crate) kind: Option<String>,
    pub(crate) subject: Option<String>,
    pub(crate) status: String,
    pub(crate) priority: Option<String>,
    pub(crate) requester_id: u64,
    pub(crate) submitter_id: u64,
    pub(crate) assignee_id: Option<u64>,
    pub(crate) organization_id: Option<u64>,
    pub(crate) group_id: Option<u64>,
    pub(crate) collaborator_ids: Vec<u64>,
    pub(crate) follower_ids: Vec<u64>,
    pub(crate) email_cc_ids: Vec<u64>,
    pub(crate) problem_id: Option<u64>,
    pub(crate) due_ms: Option<i64>,
    pub(crate) tags: Vec<String>,
    /// Custom ticket field values by field id.
    pub(crate) custom_fields: BTreeMap<u64, Value>,
    /// `via.channel` of the request that created it (`web`, `email`, `api`).
    pub(crate) via: &'static str,
    pub(crate) created_ms: i64,
    pub(crate) updated_ms: i64,
    /// Oldest first; the first is the description.
    pub(crate) comments: Vec<ZdComment>,
}

/// One ticket comment.
#[derive(Debug, Clone)]
pub(crate) struct ZdComment {
    pub(crate) id: u64,
    pub(crate) author_id: u64,
    pub(crate) body: String,
    pub(crate) public: bool,
    pub(crate) audit_id: u64,
    pub(crate) via: &'static str,
    pub(crate) created_ms: i64,
}

/// A Zendesk user (end user, agent or admin).
#[derive(Debug, Clone)]
pub(crate) struct ZdUser {
    pub(crate) id: u64,
    pub(crate) name: String,
    pub(crate) email: Option<String>,
    pub(crate) phone: Option<String>,
    /// `end-user`, `agent` or `admin`.
    pub(crate) role: String,
    pub(crate) organization_id: Option<u64>,
    pub(crate) external_id: Option<String>,
    pub(crate) alias: Option<String>,
    pub(crate) details: Option<String>,
    pub(crate) notes: Option<String>,
    pub(crate) tags: Vec<String>,
    /// Zendesk's (Rails) time zone name, e.g. `Pacific Time (US & Canada)`.
    pub(crate) time_zone: String,
    pub(crate) iana_time_zone: String,
    pub(crate) locale: String,
    pub(crate) verified: bool,
    /// False once deleted (deleted users stay readable).
    pub(crate) active: bool,
    pub(crate) suspended: bool,
    pub(crate) user_fields: BTreeMap<String, Value>,
    pub(crate) last_login_ms: Option<i64>,
    pub(crate) created_ms: i64,
    pub(crate) updated_ms: i64,
}

/// A Zendesk organization.
#[derive(Debug, Clone)]
pub(crate) struct ZdOrganization {
    pub(crate) id: u64,
    pub(crate) name: String,
    pub(crate) external_id: Option<String>,
    pub(crate) domain_names: Vec<String>,
    pub(crate) details: Option<String>,
    pub(crate) notes: Option<String>,
    pub(crate) group_id: Option<u64>,
    pub(crate) shared_tickets: bool,
    pub(crate) shared_comments: bool,
    pub(crate) tags: Vec<String>,
    pub(crate) organization_fields: BTreeMap<String, Value>,
    pub(crate) created_ms: i64,
    pub(crate) updated_ms: i64,
}
