//! Checking a Pipedrive write body (`POST`/`PUT` of persons, organizations, deals) and turning it
//! into the fields to store, following the v1 reference's request bodies.

use serde_json::{Map, Value, json};

use super::fields::{FieldType, Item};
use super::schema::{View, entry};
use super::{PdError, STAGES, bad_request};
use crate::clock::parse_datetime;

/// Keys a body may carry without effect: computed fields of the rendered records, so a record
/// read and sent back is accepted.
const READ_ONLY: &[&str] = &[
    "id",
    "company_id",
    "creator_user_id",
    "active",
    "active_flag",
    "deleted",
    "first_char",
    "update_time",
    "stage_change_time",
    "cc_email",
    "owner_name",
    "org_name",
    "person_name",
    "picture_id",
    "picture_128_url",
    "people_count",
    "followers_count",
    "participants_count",
    "products_count",
    "files_count",
    "notes_count",
    "email_messages_count",
    "activities_count",
    "done_activities_count",
    "undone_activities_count",
    "open_deals_count",
    "closed_deals_count",
    "won_deals_count",
    "lost_deals_count",
    "related_open_deals_count",
    "related_closed_deals_count",
    "related_won_deals_count",
    "related_lost_deals_count",
    "participant_open_deals_count",
    "participant_closed_deals_count",
    "next_activity_date",
    "next_activity_time",
    "next_activity_id",
    "last_activity_id",
    "last_activity_date",
    "last_incoming_mail_time",
    "last_outgoing_mail_time",
    "close_time",
    "won_time",
    "first_won_time",
    "lost_time",
    "stage_order_nr",
    "formatted_value",
    "weighted_value",
    "formatted_weighted_value",
    "weighted_value_currency",
    "rotten_time",
    "org_hidden",
    "person_hidden",
    "origin",
    "origin_id",
    "channel",
    "channel_id",
    "edit_name",
    "category_id",
    "country_code",
    "last_activity",
    "next_activity",
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
];

/// Keys a client may set, per item type (besides the custom field hashes).
fn writable(item: Item) -> &'static [&'static str] {
    match item {
        Item::Person => &[
            "name",
            "first_name",
            "last_name",
            "owner_id",
            "org_id",
            "email",
            "phone",
            "label",
            "visible_to",
            "marketing_status",
            "add_time",
        ],
        Item::Organization => &[
            "name",
            "owner_id",
            "label",
            "visible_to",
            "address",
            "add_time",
        ],
        Item::Deal => &[
            "title",
            "value",
            "currency",
            "user_id",
            "person_id",
            "org_id",
            "pipeline_id",
            "stage_id",
            "status",
            "probability",
            "lost_reason",
            "expected_close_date",
            "label",
            "visible_to",
            "add_time",
        ],
    }
}

/// What a write changes: stored fields (a `Null` clears one) and, optionally, the creation time.
#[derive(Debug, Default)]
pub(crate) struct Changes {
    pub(crate) set: Vec<(String, Value)>,
    pub(crate) add_ms: Option<i64>,
}

impl Changes {
    fn put(&mut self, key: &str, value: Value) {
        self.set.retain(|(k, _)| k != key);
        self.set.push((key.to_owned(), value));
    }

    /// The value this write sets for `key`, if any.
    pub(crate) fn get(&self, key: &str) -> Option<&Value> {
        self.set.iter().find(|(k, _)| k == key).map(|(_, v)| v)
    }
}

/// Checks `input` for a write of `item` (`existing` is the record an update changes).
pub(crate) fn changes(
    view: &View<'_>,
    item: Item,
    input: &Map<String, Value>,
    existing: Option<&Map<String, Value>>,
) -> Result<Changes, PdError> {
    let unknown: Vec<&str> = input
        .keys()
        .map(String::as_str)
        .filter(|key| {
            !writable(item).contains(key)
                && !READ_ONLY.contains(key)
                && item.custom_field(key).is_none()
        })
        .collect();
    if !unknown.is_empty() {
        return Err(bad_request(&format!(
            "Invalid field(s) in the payload: {}",
            unknown.join(", ")
        )));
    }
    let mut out = Changes::default();
    for (key, value) in input {
        let key = key.as_str();
        if let Some(field) = item.custom_field(key) {
            out.put(key, custom_value(field.field_type, field.name, value)?);
            continue;
        }
        if !writable(item).contains(&key) {
            continue;
        }
        let checked = match key {
            "name" | "title" => Value::from(required_text(item, key, value)?),
            "first_name" | "last_name" | "lost_reason" => optional_text(key, value)?,
            "owner_id" | "user_id" => {
                let id = id_value(key, value)?
                    .ok_or_else(|| bad_request(&format!("{key} must be a user id")))?;
                if view.user(id).is_none() {
                    return Err(bad_request(&format!("User {id} not found")));
                }
                Value::from(id)
            }
            "org_id" => linked(view, Item::Organization, key, value)?,
            "person_id" => linked(view, Item::Person, key, value)?,
            "email" | "phone" => Value::Array(contacts(key, value)?),
            "label" => match value {
                Value::Null => Value::Null,
                other => Value::from(id_value(key, other)?.unwrap_or_default()),
            },
            "visible_to" => visible_to(value)?,
            "marketing_status" => one_of(
                key,
                value,
                &["no_consent", "unsubscribed", "subscribed", "archived"],
            )?,
            "add_time" => {
                out.add_ms = Some(timestamp(value)?);
                continue;
            }
            "address" => {
                // A typed address is stored as given; Pipedrive would geocode the parts.
                let text = optional_text(key, value)?;
                for part in [
                    "address_street_number",
                    "address_route",
                    "address_locality",
                    "address_admin_area_level_1",
                    "address_country",
                    "address_postal_code",
                ] {
                    out.put(part, Value::Null);
                }
                out.put("address_formatted_address", text.clone());
                text
            }
            "value" => whole_or_fraction(number(key, value)?.unwrap_or(0.0)),
            "currency" => currency(value)?,
            "pipeline_id" => match id_value(key, value)? {
                Some(1) => Value::from(1),
                _ => return Err(bad_request("Pipeline not found")),
            },
            "stage_id" => match id_value(key, value)? {
                Some(id) if (1..=STAGES.len() as u64).contains(&id) => Value::from(id),
                _ => return Err(bad_request("Stage not found")),
            },
            "status" => one_of(key, value, &["open", "won", "lost", "deleted"])?,
            "probability" => match number(key, value)? {
                None => Value::Null,
                Some(p) if (0.0..=100.0).contains(&p) => whole_or_fraction(p),
                Some(_) => {
                    return Err(bad_request("probability must be between 0 and 100"));
                }
            },
            "expected_close_date" => match value {
                Value::Null => Value::Null,
                Value::String(text) if text.len() == 10 && parse_datetime(text).is_some() => {
                    Value::from(text.clone())
                }
                _ => {
                    return Err(bad_request(
                        "expected_close_date must be a date in format YYYY-MM-DD",
                    ));
                }
            },
            _ => continue,
        };
        out.put(key, checked);
    }
    match item {
        Item::Person => person_names(input, existing, &mut out)?,
        Item::Organization if existing.is_none() && out.get("name").is_none() => {
            return Err(bad_request("Name must be given."));
        }
        Item::Deal if existing.is_none() => {
            if out.get("title").is_none() {
                return Err(bad_request("Title must be given."));
            }
            let linked = |key| out.get(key).is_some_and(|v| !v.is_null());
            if !linked("person_id") && !linked("org_id") {
                return Err(bad_request(
                    "A deal must be linked to a person or an organization (person_id or org_id).",
                ));
            }
        }
        _ => {}
    }
    Ok(out)
}

/// Pipedrive v1 documents `name` only (`first_name`/`last_name` are read-only parts derived from
/// it, as the recorded create shows: "John Doe" gives "John" and "Doe"); its v2 migration guide
/// lets a person be written with `first_name`/`last_name` instead, without saying how the parts
/// combine. The sandbox: `name` sent sets the name and, for parts not sent, splits it at the
/// first space; parts sent without `name` keep the other part and set `name` to
/// `first + " " + last`.
fn person_names(
    input: &Map<String, Value>,
    existing: Option<&Map<String, Value>>,
    out: &mut Changes,
) -> Result<(), PdError> {
    let sent = |key: &str| input.contains_key(key);
    let text = |v: Option<&Value>| v.and_then(Value::as_str).map(str::to_owned);
    if sent("name") {
        let name = text(out.get("name")).unwrap_or_default();
        let (first, last) = match name.trim().split_once(' ') {
            Some((first, last)) => (first.to_owned(), Some(last.trim().to_owned())),
            None => (name.trim().to_owned(), None),
        };
        if !sent("first_name") {
            out.put("first_name", Value::from(first));
        }
        if !sent("last_name") {
            out.put("last_name", json!(last));
        }
        return Ok(());
    }
    if !sent("first_name") && !sent("last_name") {
        return match existing {
            Some(_) => Ok(()),
            None => Err(bad_request("Name must be given.")),
        };
    }
    let part = |key: &str| {
        if sent(key) {
            text(out.get(key))
        } else {
            text(existing.and_then(|e| e.get(key)))
        }
    };
    let name = [part("first_name"), part("last_name")]
        .into_iter()
        .flatten()
        .map(|p| p.trim().to_owned())
        .filter(|p| !p.is_empty())
        .collect::<Vec<_>>()
        .join(" ");
    if name.is_empty() {
        return Err(bad_request("Name must be given."));
    }
    out.put("name", Value::from(name));
    Ok(())
}

fn required_text(item: Item, key: &str, value: &Value) -> Result<String, PdError> {
    let text = match value {
        Value::String(s) => s.trim().to_owned(),
        Value::Number(n) => n.to_string(),
        _ => String::new(),
    };
    if text.is_empty() {
        let what = if item == Item::Deal { "Title" } else { "Name" };
        return Err(bad_request(&format!("{what} must be given.")));
    }
    if text.chars().count() > 255 {
        return Err(bad_request(&format!("{key} is longer than 255 characters")));
    }
    Ok(text)
}

fn optional_text(key: &str, value: &Value) -> Result<Value, PdError> {
    match value {
        Value::Null => Ok(Value::Null),
        Value::String(s) => Ok(Value::from(s.clone())),
        Value::Number(n) => Ok(Value::from(n.to_string())),
        _ => Err(bad_request(&format!("{key} must be a string"))),
    }
}

/// An integer id given as a number or a numeric string (`None` for null).
fn id_value(key: &str, value: &Value) -> Result<Option<u64>, PdError> {
    let invalid = || bad_request(&format!("{key} must be an integer"));
    match value {
        Value::Null => Ok(None),
        Value::Number(n) => n.as_u64().map(Some).ok_or_else(invalid),
        Value::String(s) if s.trim().is_empty() => Ok(None),
        Value::String(s) => s.trim().parse::<u64>().map(Some).map_err(|_| invalid()),
        _ => Err(invalid()),
    }
}

fn number(key: &str, value: &Value) -> Result<Option<f64>, PdError> {
    let invalid = || bad_request(&format!("{key} must be a number"));
    let n = match value {
        Value::Null => return Ok(None),
        Value::Number(n) => n.as_f64(),
        Value::String(s) if s.trim().is_empty() => return Ok(None),
        Value::String(s) => s.trim().parse::<f64>().ok(),
        _ => None,
    };
    n.filter(|n| n.is_finite()).map(Some).ok_or_else(invalid)
}

/// A number as Pipedrive shows it: whole amounts as integers.
fn whole_or_fraction(n: f64) -> Value {
    if n.fract() == 0.0 && n.abs() < 9.0e15 {
        Value::from(n as i64)
    } else {
        Value::from(n)
    }
}

/// A link to another live record (`null` or an empty value unlinks).
fn linked(view: &View<'_>, target: Item, key: &str, value: &Value) -> Result<Value, PdError> {
    match id_value(key, value)? {
        None => Ok(Value::Null),
        Some(id) if view.exists(target, id) => Ok(Value::from(id)),
        Some(_) => Err(bad_request(&format!("{} not found", target.label()))),
    }
}

fn visible_to(value: &Value) -> Result<Value, PdError> {
    let text = match value {
        Value::Number(n) => n.to_string(),
        Value::String(s) => s.trim().to_owned(),
        _ => String::new(),
    };
    if ["1", "3", "5", "7"].contains(&text.as_str()) {
        Ok(Value::from(text))
    } else {
        Err(bad_request("visible_to must be one of 1, 3, 5, 7"))
    }
}

fn one_of(key: &str, value: &Value, allowed: &[&str]) -> Result<Value, PdError> {
    match value.as_str() {
        Some(text) if allowed.contains(&text) => Ok(Value::from(text)),
        _ => Err(bad_request(&format!(
            "{key} must be one of: {}",
            allowed.join(", ")
        ))),
    }
}

fn currency(value: &Value) -> Result<Value, PdError> {
    match value.as_str().map(str::trim) {
        Some(code) if code.len() == 3 && code.bytes().all(|b| b.is_ascii_alphabetic()) => {
            Ok(Value::from(code.to_ascii_uppercase()))
        }
        _ => Err(bad_request("currency must be a 3-letter currency code")),
    }
}

/// `YYYY-MM-DD HH:MM:SS` (UTC), as `add_time` is documented.
fn timestamp(value: &Value) -> Result<i64, PdError> {
    value
        .as_str()
        .filter(|t| t.len() == 19 && t.as_bytes().get(10) == Some(&b' '))
        .and_then(|t| parse_datetime(&format!("{}T{}Z", &t[..10], &t[11..])))
        .ok_or_else(|| bad_request("add_time must be in format YYYY-MM-DD HH:MM:SS"))
}

/// Emails or phones: a string, or an array of strings or of `{value, primary?, label?}` objects
/// ("only value is required"); the first entry is primary when none is.
fn contacts(key: &str, value: &Value) -> Result<Vec<Value>, PdError> {
    let invalid = || {
        bad_request(&format!(
            "{key} must be a string or an array of objects with a value"
        ))
    };
    let items: Vec<(String, String, bool)> = match value {
        Value::Null => Vec::new(),
        Value::String(text) if text.is_empty() => Vec::new(),
        Value::String(text) => vec![(String::new(), text.clone(), true)],
        Value::Array(entries) => entries
            .iter()
            .map(|e| match e {
                Value::String(text) => Ok((String::new(), text.clone(), false)),
                Value::Object(fields) => {
                    let value = match fields.get("value") {
                        Some(Value::String(v)) => v.clone(),
                        Some(Value::Number(n)) => n.to_string(),
                        _ => return Err(invalid()),
                    };
                    let label = fields
                        .get("label")
                        .and_then(Value::as_str)
                        .unwrap_or_default()
                        .to_owned();
                    let primary = match fields.get("primary") {
                        Some(Value::Bool(b)) => *b,
                        Some(Value::String(s)) => s == "true" || s == "1",
                        Some(Value::Number(n)) => n.as_u64() == Some(1),
                        _ => false,
                    };
                    Ok((label, value, primary))
                }
                _ => Err(invalid()),
            })
            .collect::<Result<_, _>>()?,
        _ => return Err(invalid()),
    };
    let first_primary = items.iter().position(|(_, _, p)| *p).unwrap_or(0);
    Ok(items
        .iter()
        .enumerate()
        .map(|(n, (label, value, _))| entry(label, value, n == first_primary))
        .collect())
}

/// A custom field value: text fields take strings (numbers as text), number fields numbers or
/// numeric strings; `null` clears either.
fn custom_value(field_type: FieldType, name: &str, value: &Value) -> Result<Value, PdError> {
    match (field_type, value) {
        (_, Value::Null) => Ok(Value::Null),
        (FieldType::Text, Value::String(s)) => Ok(Value::from(s.clone())),
        (FieldType::Text, Value::Number(n)) => Ok(Value::from(n.to_string())),
        (FieldType::Number, _) => Ok(number(name, value)?.map_or(Value::Null, whole_or_fraction)),
        (FieldType::Text, _) => Err(bad_request(&format!("{name} must be a string"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pipedrive::schema::seed;

    fn obj(value: Value) -> Map<String, Value> {
        value.as_object().cloned().unwrap_or_default()
    }

    #[test]
    fn names_follow_the_documented_choice() {
        let store = seed(2);
        let view = View { pd: &store };
        let created = changes(
            &view,
            Item::Person,
            &obj(json!({"name": "Ada King Lovelace"})),
            None,
        );
        let created = created.map_err(|e| e.message).unwrap_or_default();
        assert_eq!(created.get("first_name"), Some(&json!("Ada")));
        assert_eq!(created.get("last_name"), Some(&json!("King Lovelace")));
        let existing =
            obj(json!({"name": "Ada Lovelace", "first_name": "Ada", "last_name": "Lovelace"}));
        let renamed = changes(
            &view,
            Item::Person,
            &obj(json!({"last_name": "Byron"})),
            Some(&existing),
        )
        .map_err(|e| e.message)
        .unwrap_or_default();
        assert_eq!(renamed.get("name"), Some(&json!("Ada Byron")));
        assert!(changes(&view, Item::Person, &obj(json!({})), None).is_err());
        let unknown_hash = obj(json!({"name": "X", "0123456789012345678901234567890123456789": 1}));
        assert!(changes(&view, Item::Person, &unknown_hash, None).is_err());
    }

    #[test]
    fn contacts_accept_strings_and_objects() {
        let parsed = contacts(
            "email",
            &json!(["a@example.com", {"value": "b@example.com", "primary": "true", "label": "work"}]),
        );
        let parsed = parsed.map_err(|e| e.message).unwrap_or_default();
        assert_eq!(parsed[1]["primary"], json!(true));
        assert_eq!(parsed[0]["primary"], json!(false));
        assert!(contacts("email", &json!([{"label": "x"}])).is_err());
        assert!(contacts("email", &json!(5)).is_err());
    }
}
