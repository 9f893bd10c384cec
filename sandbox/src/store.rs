//! The in-memory state both fake vendors read and write (one `Mutex` around all of it).

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
