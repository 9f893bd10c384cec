//! Pipedrive's seeded records and how records render: the v1 shapes of the recorded exchanges
//! (persons, organizations) and of the v1 reference (deals, users), with owners, organizations
//! and persons expanded inline and listed again in `related_objects`.

use std::collections::BTreeMap;

use serde_json::{Map, Value, json};

use super::fields::{
    DEAL_NEXT_STEP, Item, ORGANIZATION_TIER, PERSON_FAVORITE_COLOR, PERSON_LEAD_SCORE,
};
use super::{COMPANY_ID, STAGES};
use crate::clock::{date, pipedrive_time};
use crate::data::{self, Address, OWNERS};
use crate::store::{PdRecord, PdTable, PdUser, PipedriveStore};
use crate::web::Ordered;

/// Id of the first seeded user (Pipedrive user ids are company-wide integers).
pub(crate) const USER_BASE: u64 = 13_370_001;
/// The company's BCC address, on every record as `cc_email`.
const CC_EMAIL: &str = "switchboard-sandbox@pipedrivemail.com";
/// Hour of day (UTC) closed seeded deals were marked won or lost.
const CLOSE_HOUR_MS: i64 = 15 * 3_600_000;

/// Id of person `i`, organization `c`, deal `d` (ids start at 1, as in a new company).
fn item_id(index: usize) -> u64 {
    index as u64 + 1
}

fn user_id(owner: usize) -> u64 {
    USER_BASE + (owner % OWNERS) as u64
}

/// A labelled email or phone entry.
pub(crate) fn entry(label: &str, value: &str, primary: bool) -> Value {
    json!({"label": label, "value": value, "primary": primary})
}

/// The street number and the rest of a seeded street (`"123 Market St"`).
fn split_street(street: &str) -> (Option<&str>, &str) {
    match street.split_once(' ') {
        Some((number, route)) if number.bytes().all(|b| b.is_ascii_digit()) => {
            (Some(number), route)
        }
        _ => (None, street),
    }
}

/// `123 Market St, San Francisco, CA 94105, United States`.
fn formatted(address: &Address) -> String {
    let region = match address.state {
        Some(state) => format!("{state} {}", address.postal_code),
        None => address.postal_code.to_owned(),
    };
    format!(
        "{}, {}, {region}, {}",
        address.street, address.city, address.country
    )
}

/// The stored address fields of an organization at `address`.
fn address_fields(address: &Address) -> Vec<(&'static str, Value)> {
    let (number, route) = split_street(&address.street);
    vec![
        ("address", Value::from(formatted(address))),
        ("address_street_number", json!(number)),
        ("address_route", Value::from(route)),
        ("address_locality", Value::from(address.city)),
        ("address_admin_area_level_1", json!(address.state)),
        ("address_country", Value::from(address.country)),
        ("address_postal_code", Value::from(address.postal_code)),
        ("address_formatted_address", Value::from(formatted(address))),
    ]
}

fn fields(pairs: Vec<(&str, Value)>) -> BTreeMap<String, Value> {
    pairs.into_iter().map(|(k, v)| (k.to_owned(), v)).collect()
}

/// The seeded company: users from the owners, and `records` persons, organizations and deals.
pub(crate) fn seed(records: usize) -> PipedriveStore {
    let users = (0..OWNERS)
        .map(|j| {
            let o = data::owner(j);
            PdUser {
                id: user_id(j),
                name: format!("{} {}", o.first, o.last),
                email: o.email,
                phone: Some(o.phone),
                is_admin: j == 0,
                timezone_name: o.time_zone,
                created_ms: o.created_ms,
                modified_ms: o.updated_ms,
            }
        })
        .collect();
    let organizations = (0..records)
        .map(|c| {
            let co = data::company(c);
            let mut f = vec![
                ("name", Value::from(co.name.clone())),
                ("owner_id", Value::from(user_id(co.owner))),
                ("visible_to", Value::from("3")),
                ("label", Value::Null),
                (ORGANIZATION_TIER, Value::from(co.tier)),
            ];
            f.extend(address_fields(&co.address));
            record(c, fields(f), co.created_ms, co.updated_ms)
        })
        .collect();
    let persons = (0..records)
        .map(|i| {
            let p = data::person(i);
            let mut emails = vec![entry("work", &p.email, true)];
            emails.extend(p.additional_emails.iter().map(|e| entry("other", e, false)));
            let mut phones = vec![entry("work", &p.phone, true)];
            for (label, number) in [
                ("mobile", &p.mobile),
                ("home", &p.home),
                ("other", &p.other),
            ] {
                if let Some(number) = number {
                    phones.push(entry(label, number, false));
                }
            }
            let f = vec![
                ("name", Value::from(format!("{} {}", p.first, p.last))),
                ("first_name", Value::from(p.first)),
                ("last_name", Value::from(p.last)),
                ("owner_id", Value::from(user_id(p.owner))),
                ("org_id", Value::from(item_id(p.company))),
                ("email", Value::Array(emails)),
                ("phone", Value::Array(phones)),
                ("visible_to", Value::from("3")),
                ("label", Value::Null),
                (PERSON_FAVORITE_COLOR, json!(p.favorite_color)),
                (PERSON_LEAD_SCORE, Value::from(((i * 37) % 100) as u64)),
            ];
            record(i, fields(f), p.created_ms, p.updated_ms)
        })
        .collect();
    let deals = (0..records)
        .map(|d| {
            let deal = data::deal(d, records);
            let (_, _, _, closed, won) = data::STAGES[deal.stage];
            // Pipedrive has open stages only; won and lost are statuses. Closed deals stay in
            // the last stage they reached.
            let stage_id = (if closed { STAGES.len() } else { deal.stage + 1 }) as u64;
            let status = match (closed, won) {
                (false, _) => "open",
                (true, true) => "won",
                (true, false) => "lost",
            };
            let close_time = closed.then(|| pipedrive_time(deal.close_ms + CLOSE_HOUR_MS));
            // The person working there: the company's first employee, when seeded.
            let person = (2 * deal.company < records).then(|| item_id(2 * deal.company));
            let f = vec![
                ("title", Value::from(deal.name.clone())),
                ("value", Value::from(deal.amount)),
                ("currency", Value::from("USD")),
                ("user_id", Value::from(user_id(deal.owner))),
                ("creator_user_id", Value::from(user_id(deal.owner))),
                ("person_id", json!(person)),
                ("org_id", Value::from(item_id(deal.company))),
                ("stage_id", Value::from(stage_id)),
                ("pipeline_id", Value::from(1)),
                ("status", Value::from(status)),
                ("probability", Value::Null),
                (
                    "lost_reason",
                    json!((status == "lost").then_some("Went with a competitor")),
                ),
                ("expected_close_date", Value::from(date(deal.close_ms))),
                (
                    "stage_change_time",
                    Value::from(pipedrive_time(deal.updated_ms)),
                ),
                ("close_time", json!(close_time)),
                ("won_time", json!(won.then(|| close_time.clone()).flatten())),
                (
                    "lost_time",
                    json!((closed && !won).then(|| close_time.clone()).flatten()),
                ),
                ("visible_to", Value::from("3")),
                ("label", Value::Null),
                (DEAL_NEXT_STEP, json!(deal.next_step)),
            ];
            record(d, fields(f), deal.created_ms, deal.updated_ms)
        })
        .collect();
    PipedriveStore {
        persons: table(persons, records),
        organizations: table(organizations, records),
        deals: table(deals, records),
        users,
    }
}

fn record(index: usize, fields: BTreeMap<String, Value>, add_ms: i64, update_ms: i64) -> PdRecord {
    PdRecord {
        id: item_id(index),
        fields,
        add_ms,
        update_ms,
        active: true,
    }
}

fn table(records: Vec<PdRecord>, count: usize) -> PdTable {
    PdTable {
        records: records.into_iter().map(|r| (r.id, r)).collect(),
        next_id: item_id(count),
    }
}

// ---------------------------------------------------------------------------------------------
// Rendering

/// Which response a record is rendered for: the recordings show small per-endpoint differences.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Shape {
    /// `GET /v1/<items>/{id}` (organizations add `last_activity` and `next_activity`).
    Read,
    /// List pages and `POST` answers.
    Listed,
    /// `PUT` answers (persons: no `owner_name`, and a `picture_128_url`).
    Updated,
}

/// The objects a response mentions, for its `related_objects`.
#[derive(Debug, Default)]
pub(crate) struct Related {
    users: BTreeMap<u64, Value>,
    organizations: BTreeMap<u64, Value>,
    persons: BTreeMap<u64, Value>,
}

impl Related {
    /// `{"user": {...}, "organization": {...}, "person": {...}}`, keyed by id, empty kinds left out.
    pub(crate) fn into_value(self) -> Value {
        let mut out = Map::new();
        for (kind, objects) in [
            ("organization", self.organizations),
            ("person", self.persons),
            ("user", self.users),
        ] {
            if !objects.is_empty() {
                let by_id: Map<String, Value> = objects
                    .into_iter()
                    .map(|(id, v)| (id.to_string(), v))
                    .collect();
                out.insert(kind.to_owned(), Value::Object(by_id));
            }
        }
        Value::Object(out)
    }
}

/// Renders records against the whole company (for owners, organizations and counts).
pub(crate) struct View<'a> {
    pub(crate) pd: &'a PipedriveStore,
}

/// Deal counts of a person or organization: (open, won, lost).
#[derive(Clone, Copy)]
struct Counts {
    open: u64,
    won: u64,
    lost: u64,
}

impl<'a> View<'a> {
    pub(crate) fn user(&self, id: u64) -> Option<&'a PdUser> {
        self.pd.users.iter().find(|u| u.id == id)
    }

    fn table(&self, item: Item) -> &'a PdTable {
        match item {
            Item::Person => &self.pd.persons,
            Item::Organization => &self.pd.organizations,
            Item::Deal => &self.pd.deals,
        }
    }

    /// Whether a live record of `item` has `id`.
    pub(crate) fn exists(&self, item: Item, id: u64) -> bool {
        self.live(item, Some(id)).is_some()
    }

    fn live(&self, item: Item, id: Option<u64>) -> Option<&'a PdRecord> {
        self.table(item)
            .records
            .get(&id?)
            .filter(|record| record.active)
    }

    fn counts(&self, link: &str, id: u64) -> Counts {
        let mut counts = Counts {
            open: 0,
            won: 0,
            lost: 0,
        };
        for deal in self.pd.deals.records.values() {
            if !deal.active || deal.id_field(link) != Some(id) {
                continue;
            }
            match deal.get("status").as_str() {
                Some("won") => counts.won += 1,
                Some("lost") => counts.lost += 1,
                _ => counts.open += 1,
            }
        }
        counts
    }

    fn people_count(&self, org: u64) -> u64 {
        self.pd
            .persons
            .records
            .values()
            .filter(|p| p.active && p.id_field("org_id") == Some(org))
            .count() as u64
    }

    /// An owner as records embed it (`owner_id`, `user_id`), and into `related.user`.
    fn owner(&self, id: Option<u64>, related: &mut Related) -> Value {
        let Some(user) = id.and_then(|id| self.user(id)) else {
            return Value::Null;
        };
        related.users.insert(
            user.id,
            json!({
                "id": user.id,
                "name": user.name,
                "email": user.email,
                "has_pic": 0,
                "pic_hash": null,
                "active_flag": true
            }),
        );
        json!({
            "id": user.id,
            "name": user.name,
            "email": user.email,
            "has_pic": 0,
            "pic_hash": null,
            "active_flag": true,
            "value": user.id
        })
    }

    /// An organization as persons and deals embed it (`org_id`), and into `related`.
    fn organization(&self, id: Option<u64>, related: &mut Related) -> Value {
        let Some(org) = self.live(Item::Organization, id) else {
            return Value::Null;
        };
        let people = self.people_count(org.id);
        let owner = org.id_field("owner_id");
        related.organizations.insert(
            org.id,
            json!({
                "id": org.id,
                "name": org.get("name"),
                "people_count": people,
                "owner_id": owner,
                "address": org.get("address"),
                "active_flag": true,
                "cc_email": CC_EMAIL
            }),
        );
        json!({
            "name": org.get("name"),
            "people_count": people,
            "owner_id": owner,
            "address": org.get("address"),
            "active_flag": true,
            "cc_email": CC_EMAIL,
            "value": org.id
        })
    }

    /// A person as deals embed it (`person_id`), and into `related.person`.
    fn person(&self, id: Option<u64>, related: &mut Related) -> Value {
        let Some(person) = self.live(Item::Person, id) else {
            return Value::Null;
        };
        let email = contact_list(person.get("email"));
        let phone = contact_list(person.get("phone"));
        related.persons.insert(
            person.id,
            json!({
                "id": person.id,
                "name": person.get("name"),
                "active_flag": true,
                "email": email,
                "phone": phone,
                "owner_id": person.id_field("owner_id")
            }),
        );
        json!({
            "active_flag": true,
            "name": person.get("name"),
            "email": email,
            "phone": phone,
            "owner_id": person.id_field("owner_id"),
            "value": person.id
        })
    }

    fn name_of(&self, item: Item, id: Option<u64>) -> Value {
        self.live(item, id)
            .map_or(Value::Null, |r| r.get("name").clone())
    }

    fn owner_name(&self, id: Option<u64>) -> Value {
        id.and_then(|id| self.user(id))
            .map_or(Value::Null, |u| Value::from(u.name.clone()))
    }

    /// A record of `item` as the v1 API renders it.
    pub(crate) fn render(
        &self,
        item: Item,
        record: &PdRecord,
        shape: Shape,
        related: &mut Related,
    ) -> Ordered {
        match item {
            Item::Person => self.render_person(record, shape, related),
            Item::Organization => self.render_organization(record, shape, related),
            Item::Deal => self.render_deal(record, related),
        }
    }

    fn render_person(&self, r: &PdRecord, shape: Shape, related: &mut Related) -> Ordered {
        let owner = r.id_field("owner_id");
        let org = r.id_field("org_id");
        let counts = self.counts("person_id", r.id);
        let mut out = Out::default();
        out.put("id", r.id);
        out.put("company_id", COMPANY_ID);
        out.put("owner_id", self.owner(owner, related));
        out.put("org_id", self.organization(org, related));
        out.put("name", r.get("name").clone());
        out.put("first_name", r.get("first_name").clone());
        out.put("last_name", r.get("last_name").clone());
        out.put("open_deals_count", counts.open);
        out.put("related_open_deals_count", 0);
        out.put("closed_deals_count", counts.won + counts.lost);
        out.put("related_closed_deals_count", 0);
        out.put("participant_open_deals_count", 0);
        out.put("participant_closed_deals_count", 0);
        out.zeros(&[
            "email_messages_count",
            "activities_count",
            "done_activities_count",
            "undone_activities_count",
            "files_count",
            "notes_count",
        ]);
        out.put("followers_count", 1);
        out.put("won_deals_count", counts.won);
        out.put("related_won_deals_count", 0);
        out.put("lost_deals_count", counts.lost);
        out.put("related_lost_deals_count", 0);
        out.put("active_flag", r.active);
        out.put("phone", contact_list(r.get("phone")));
        out.put("email", contact_list(r.get("email")));
        out.put("first_char", first_char(r.get("name")));
        out.put("update_time", pipedrive_time(r.update_ms));
        out.put("add_time", pipedrive_time(r.add_ms));
        out.put("visible_to", r.get("visible_to").clone());
        out.nulls(&[
            "picture_id",
            "next_activity_date",
            "next_activity_time",
            "next_activity_id",
            "last_activity_id",
            "last_activity_date",
            "last_incoming_mail_time",
            "last_outgoing_mail_time",
        ]);
        out.put("label", r.get("label").clone());
        if let Some(status) = r.fields.get("marketing_status") {
            out.put("marketing_status", status.clone());
        }
        out.custom(Item::Person, r);
        if shape == Shape::Updated {
            out.put("picture_128_url", Value::Null);
        }
        out.put("org_name", self.name_of(Item::Organization, org));
        out.put("cc_email", CC_EMAIL);
        if shape != Shape::Updated {
            out.put("owner_name", self.owner_name(owner));
        }
        Ordered(out.0)
    }

    fn render_organization(&self, r: &PdRecord, shape: Shape, related: &mut Related) -> Ordered {
        let owner = r.id_field("owner_id");
        let counts = self.counts("org_id", r.id);
        let mut out = Out::default();
        out.put("id", r.id);
        out.put("company_id", COMPANY_ID);
        out.put("owner_id", self.owner(owner, related));
        out.put("name", r.get("name").clone());
        out.put("open_deals_count", counts.open);
        out.put("related_open_deals_count", 0);
        out.put("closed_deals_count", counts.won + counts.lost);
        out.put("related_closed_deals_count", 0);
        out.put("email_messages_count", 0);
        out.put("people_count", self.people_count(r.id));
        out.zeros(&[
            "activities_count",
            "done_activities_count",
            "undone_activities_count",
            "files_count",
            "notes_count",
        ]);
        out.put("followers_count", 1);
        out.put("won_deals_count", counts.won);
        out.put("related_won_deals_count", 0);
        out.put("lost_deals_count", counts.lost);
        out.put("related_lost_deals_count", 0);
        out.put("active_flag", r.active);
        out.nulls(&["category_id", "picture_id", "country_code"]);
        out.put("first_char", first_char(r.get("name")));
        out.put("update_time", pipedrive_time(r.update_ms));
        out.put("add_time", pipedrive_time(r.add_ms));
        out.put("visible_to", r.get("visible_to").clone());
        out.nulls(&[
            "next_activity_date",
            "next_activity_time",
            "next_activity_id",
            "last_activity_id",
            "last_activity_date",
        ]);
        out.put("label", r.get("label").clone());
        for key in [
            "address",
            "address_subpremise",
            "address_street_number",
            "address_route",
            "address_sublocality",
            "address_locality",
            "address_admin_area_level_1",
            "address_admin_area_level_2",
            "address_country",
            "address_postal_code",
            "address_formatted_address",
        ] {
            out.put(key, r.get(key).clone());
        }
        out.put("cc_email", CC_EMAIL);
        out.custom(Item::Organization, r);
        out.put("owner_name", self.owner_name(owner));
        out.put("edit_name", true);
        if shape == Shape::Read {
            out.nulls(&["last_activity", "next_activity"]);
        }
        Ordered(out.0)
    }

    fn render_deal(&self, r: &PdRecord, related: &mut Related) -> Ordered {
        let owner = r.id_field("user_id");
        let person = r.id_field("person_id");
        let org = r.id_field("org_id");
        let stage = r.id_field("stage_id").unwrap_or(1);
        let value = r.get("value").as_f64().unwrap_or(0.0);
        let currency = r.get("currency").as_str().unwrap_or("USD").to_owned();
        let status = if r.active {
            r.get("status").as_str().unwrap_or("open").to_owned()
        } else {
            "deleted".to_owned()
        };
        let stage_probability = usize::try_from(stage)
            .ok()
            .and_then(|s| s.checked_sub(1))
            .and_then(|s| STAGES.get(s))
            .map_or(100.0, |s| f64::from(s.1));
        let probability = r.get("probability").as_f64().unwrap_or(stage_probability);
        let weighted = (value * probability / 100.0 * 100.0).round() / 100.0;
        // Whole amounts as integers, as Pipedrive shows `value`.
        let weighted_json = if weighted.fract() == 0.0 && weighted.abs() < 9.0e15 {
            Value::from(weighted as i64)
        } else {
            Value::from(weighted)
        };
        let mut out = Out::default();
        out.put("id", r.id);
        out.put(
            "creator_user_id",
            self.owner(r.id_field("creator_user_id"), related),
        );
        out.put("user_id", self.owner(owner, related));
        out.put("person_id", self.person(person, related));
        out.put("org_id", self.organization(org, related));
        out.put("stage_id", stage);
        out.put("title", r.get("title").clone());
        out.put("value", r.get("value").clone());
        out.put("currency", currency.clone());
        out.put("add_time", pipedrive_time(r.add_ms));
        out.put("update_time", pipedrive_time(r.update_ms));
        out.put("stage_change_time", r.get("stage_change_time").clone());
        // `active` is the deal not being deleted (`active_flag` of persons and organizations).
        out.put("active", r.active);
        out.put("deleted", !r.active);
        out.put("status", status.clone());
        out.put("probability", r.get("probability").clone());
        out.nulls(&[
            "next_activity_date",
            "next_activity_time",
            "next_activity_id",
            "last_activity_id",
            "last_activity_date",
        ]);
        out.put("lost_reason", r.get("lost_reason").clone());
        out.put("visible_to", r.get("visible_to").clone());
        out.put("close_time", r.get("close_time").clone());
        out.put("pipeline_id", r.get("pipeline_id").clone());
        out.put("won_time", r.get("won_time").clone());
        out.put("first_won_time", r.get("won_time").clone());
        out.put("lost_time", r.get("lost_time").clone());
        out.zeros(&["products_count", "files_count", "notes_count"]);
        out.put("followers_count", 1);
        out.zeros(&[
            "email_messages_count",
            "activities_count",
            "done_activities_count",
            "undone_activities_count",
        ]);
        out.put("participants_count", u64::from(person.is_some()));
        out.put("expected_close_date", r.get("expected_close_date").clone());
        out.nulls(&["last_incoming_mail_time", "last_outgoing_mail_time"]);
        out.put("label", r.get("label").clone());
        out.put("stage_order_nr", stage);
        out.put("person_name", self.name_of(Item::Person, person));
        out.put("org_name", self.name_of(Item::Organization, org));
        out.nulls(&[
            "next_activity_subject",
            "next_activity_type",
            "next_activity_duration",
            "next_activity_note",
        ]);
        out.put("formatted_value", money(value, &currency));
        out.put("weighted_value", weighted_json);
        out.put("formatted_weighted_value", money(weighted, &currency));
        out.put("weighted_value_currency", currency);
        out.put("rotten_time", Value::Null);
        out.put("owner_name", self.owner_name(owner));
        out.put("cc_email", CC_EMAIL);
        out.put("org_hidden", false);
        out.put("person_hidden", false);
        out.put("origin", "API");
        out.put("origin_id", Value::Null);
        out.put("channel", Value::Null);
        out.put("channel_id", Value::Null);
        out.custom(Item::Deal, r);
        Ordered(out.0)
    }

    /// `additional_data` of a single-record read.
    pub(crate) fn read_extras(&self, item: Item, record: &PdRecord) -> Value {
        match item {
            Item::Organization => {
                let followers: Map<String, Value> = record
                    .id_field("owner_id")
                    .and_then(|id| self.user(id))
                    .map(|user| {
                        (
                            user.id.to_string(),
                            json!({
                                "name": user.name,
                                "email": user.email,
                                "user_id": user.id,
                                "pic_hash": null,
                                "id": record.id
                            }),
                        )
                    })
                    .into_iter()
                    .collect();
                json!({"followers": followers, "dropbox_email": CC_EMAIL})
            }
            Item::Person | Item::Deal => json!({"dropbox_email": CC_EMAIL}),
        }
    }
}

/// A user as `GET /v1/users` renders it (the v1 reference's `BaseUser`).
pub(crate) fn render_user(user: &PdUser, api_user: u64) -> Value {
    json!({
        "id": user.id,
        "name": user.name,
        "default_currency": "USD",
        "locale": "en_US",
        "lang": 1,
        "email": user.email,
        "phone": user.phone,
        "activated": true,
        "last_login": pipedrive_time(user.modified_ms),
        "created": pipedrive_time(user.created_ms),
        "modified": pipedrive_time(user.modified_ms),
        "signup_flow_variation": null,
        "has_created_company": user.is_admin,
        "is_admin": u8::from(user.is_admin),
        "active_flag": true,
        "timezone_name": user.timezone_name,
        "timezone_offset": utc_offset(user.timezone_name),
        "role_id": 1,
        "icon_url": null,
        "is_you": user.id == api_user
    })
}

/// Standard-time UTC offsets of the seeded offices' zones.
fn utc_offset(zone: &str) -> &'static str {
    match zone {
        "America/Los_Angeles" => "-08:00",
        "America/Denver" => "-07:00",
        "America/Chicago" => "-06:00",
        "America/New_York" | "America/Toronto" => "-05:00",
        "Europe/Berlin" => "+01:00",
        "Australia/Sydney" => "+10:00",
        _ => "+00:00",
    }
}

/// Emails or phones as rendered: an empty list shows as one empty primary entry, as recorded.
fn contact_list(stored: &Value) -> Value {
    match stored.as_array() {
        Some(entries) if !entries.is_empty() => stored.clone(),
        _ => json!([{"value": "", "primary": true}]),
    }
}

fn first_char(name: &Value) -> Value {
    name.as_str()
        .and_then(|n| n.trim().chars().next())
        .map_or(Value::Null, |c| Value::from(c.to_lowercase().to_string()))
}

/// `$5,000` for US dollars, `5,000 EUR` otherwise (cents shown when there are any).
fn money(amount: f64, currency: &str) -> String {
    // `as` saturates, and `unsigned_abs` cannot overflow, whatever amount was stored.
    let cents = (amount * 100.0).round() as i64;
    let whole = (cents / 100).unsigned_abs();
    let digits = whole.to_string();
    let mut grouped = String::new();
    for (n, ch) in digits.chars().enumerate() {
        if n > 0 && (digits.len() - n).is_multiple_of(3) {
            grouped.push(',');
        }
        grouped.push(ch);
    }
    let fraction = cents.unsigned_abs() % 100;
    let number = if fraction == 0 {
        grouped
    } else {
        format!("{grouped}.{fraction:02}")
    };
    let sign = if cents < 0 { "-" } else { "" };
    if currency == "USD" {
        format!("{sign}${number}")
    } else {
        format!("{sign}{number} {currency}")
    }
}

/// A rendered record under construction, in key order.
#[derive(Default)]
struct Out(Vec<(String, Value)>);

impl Out {
    fn put(&mut self, key: &str, value: impl Into<Value>) {
        self.0.push((key.to_owned(), value.into()));
    }

    fn zeros(&mut self, keys: &[&str]) {
        for key in keys {
            self.put(key, 0);
        }
    }

    fn nulls(&mut self, keys: &[&str]) {
        for key in keys {
            self.put(key, Value::Null);
        }
    }

    /// Every custom field of `item`, set or not, under its hash key.
    fn custom(&mut self, item: Item, record: &PdRecord) {
        for field in item.custom_fields() {
            self.put(field.key, record.get(field.key).clone());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn money_is_formatted_like_pipedrive() {
        assert_eq!(money(5000.0, "USD"), "$5,000");
        assert_eq!(money(1234567.5, "EUR"), "1,234,567.50 EUR");
        assert_eq!(money(0.0, "USD"), "$0");
        assert_eq!(money(-1e300, "USD"), "-$92,233,720,368,547,758.08");
    }

    #[test]
    fn seeded_people_match_the_shared_seed() {
        let store = seed(4);
        let p = data::person(1);
        let person = &store.persons.records[&2];
        assert_eq!(person.get("first_name"), p.first);
        assert_eq!(person.get("email")[0]["value"], Value::from(p.email));
        assert_eq!(person.get("phone")[0]["value"], Value::from(p.phone));
        assert_eq!(person.id_field("org_id"), Some(1));
    }
}
