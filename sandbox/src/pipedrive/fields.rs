//! Pipedrive item types and their field definitions (`GET /v1/personFields` and friends):
//! the built-in fields and the sandbox company's custom fields, which records carry at their top
//! level under 40-hex-digit hash keys.

use serde_json::{Value, json};

use crate::clock::pipedrive_time;
use crate::web::Ordered;

/// Custom person field "Favorite color" (text).
pub(crate) const PERSON_FAVORITE_COLOR: &str = "e8f38600631d69d141f5dc0e0502fbb53aa908e5";
/// Custom person field "Lead score" (number).
pub(crate) const PERSON_LEAD_SCORE: &str = "e5073477d70ae78c33e930227fcdd4ef780ebf43";
/// Custom organization field "Tier" (text).
pub(crate) const ORGANIZATION_TIER: &str = "b90be5fce0619b958b692cf744a607f4c2d4a6b6";
/// Custom deal field "Next step" (text).
pub(crate) const DEAL_NEXT_STEP: &str = "f09807a7c7f06d8f6bd061e0a3498e7666bb68e9";

/// The item types the sandbox serves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Item {
    Person,
    Organization,
    Deal,
}

/// A field's value type, as far as writes are checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum FieldType {
    /// `varchar` / `text`: a string (numbers are taken as their text).
    Text,
    /// `double`: a number (or a numeric string).
    Number,
}

/// A custom field of the sandbox company.
#[derive(Debug, Clone, Copy)]
pub(crate) struct CustomField {
    pub(crate) id: u64,
    pub(crate) key: &'static str,
    pub(crate) name: &'static str,
    pub(crate) field_type: FieldType,
}

const PERSON_CUSTOM: [CustomField; 2] = [
    CustomField {
        id: 9070,
        key: PERSON_FAVORITE_COLOR,
        name: "Favorite color",
        field_type: FieldType::Text,
    },
    CustomField {
        id: 9071,
        key: PERSON_LEAD_SCORE,
        name: "Lead score",
        field_type: FieldType::Number,
    },
];
const ORGANIZATION_CUSTOM: [CustomField; 1] = [CustomField {
    id: 9170,
    key: ORGANIZATION_TIER,
    name: "Tier",
    field_type: FieldType::Text,
}];
const DEAL_CUSTOM: [CustomField; 1] = [CustomField {
    id: 9270,
    key: DEAL_NEXT_STEP,
    name: "Next step",
    field_type: FieldType::Text,
}];

/// Built-in fields: (key, name, field_type, mandatory). Persons follow the recorded
/// `GET /v1/personFields` (see NOTICE.md); organizations and deals the v1 reference.
const PERSON_BUILTIN: &[(&str, &str, &str, bool)] = &[
    ("name", "Name", "varchar", true),
    ("label", "Label", "enum", false),
    ("first_name", "First name", "varchar", false),
    ("last_name", "Last name", "varchar", false),
    ("phone", "Phone", "phone", false),
    ("email", "Email", "varchar", false),
    ("add_time", "Person created", "date", false),
    ("update_time", "Update time", "date", false),
    ("org_id", "Organization", "org", false),
    ("owner_id", "Owner", "user", true),
    ("open_deals_count", "Open deals", "double", false),
    ("visible_to", "Visible to", "visible_to", false),
    ("next_activity_date", "Next activity date", "date", false),
    ("last_activity_date", "Last activity date", "date", false),
    ("id", "ID", "int", false),
    ("won_deals_count", "Won deals", "int", false),
    ("lost_deals_count", "Lost deals", "int", false),
    ("closed_deals_count", "Closed deals", "int", false),
    ("activities_count", "Total activities", "int", false),
    ("done_activities_count", "Done activities", "int", false),
    ("undone_activities_count", "Activities to do", "int", false),
    ("email_messages_count", "Email messages count", "int", false),
    ("picture_id", "Profile picture", "picture", false),
    (
        "last_incoming_mail_time",
        "Last email received",
        "date",
        false,
    ),
    ("last_outgoing_mail_time", "Last email sent", "date", false),
];
const ORGANIZATION_BUILTIN: &[(&str, &str, &str, bool)] = &[
    ("name", "Name", "varchar", true),
    ("label", "Label", "enum", false),
    ("owner_id", "Owner", "user", true),
    ("people_count", "People", "int", false),
    ("open_deals_count", "Open deals", "int", false),
    ("add_time", "Organization created", "date", false),
    ("update_time", "Update time", "date", false),
    ("visible_to", "Visible to", "visible_to", false),
    ("next_activity_date", "Next activity date", "date", false),
    ("last_activity_date", "Last activity date", "date", false),
    ("id", "ID", "int", false),
    ("won_deals_count", "Won deals", "int", false),
    ("lost_deals_count", "Lost deals", "int", false),
    ("closed_deals_count", "Closed deals", "int", false),
    ("activities_count", "Total activities", "int", false),
    ("email_messages_count", "Email messages count", "int", false),
    ("address", "Address", "address", false),
    ("picture_id", "Profile picture", "picture", false),
];
const DEAL_BUILTIN: &[(&str, &str, &str, bool)] = &[
    ("title", "Title", "varchar", true),
    ("creator_user_id", "Creator", "user", false),
    ("user_id", "Owner", "user", true),
    ("value", "Value", "monetary", false),
    ("currency", "Currency", "varchar", false),
    ("weighted_value", "Weighted value", "monetary", false),
    ("probability", "Probability", "double", false),
    ("org_id", "Organization", "org", false),
    ("person_id", "Contact person", "people", false),
    ("pipeline", "Pipeline", "double", false),
    ("stage_id", "Stage", "stage", true),
    ("status", "Status", "status", false),
    ("add_time", "Deal created", "date", false),
    ("update_time", "Update time", "date", false),
    ("stage_change_time", "Last stage change", "date", false),
    ("next_activity_date", "Next activity date", "date", false),
    ("last_activity_date", "Last activity date", "date", false),
    ("won_time", "Won time", "date", false),
    ("lost_time", "Lost time", "date", false),
    ("close_time", "Deal closed on", "date", false),
    ("lost_reason", "Lost reason", "varchar", false),
    ("visible_to", "Visible to", "visible_to", false),
    ("id", "ID", "int", false),
    ("expected_close_date", "Expected close date", "date", false),
    ("label", "Label", "enum", false),
];

/// When the sandbox company's fields were set up (2021-01-07 20:05:11 UTC).
const FIELDS_CREATED_MS: i64 = 1_610_049_911_000;

impl Item {
    /// From the path segment (`persons`, `organizations`, `deals`).
    pub(crate) fn parse(segment: &str) -> Option<Self> {
        match segment {
            "persons" => Some(Self::Person),
            "organizations" => Some(Self::Organization),
            "deals" => Some(Self::Deal),
            _ => None,
        }
    }

    /// From a fields path segment (`personFields`, ...).
    pub(crate) fn parse_fields(segment: &str) -> Option<Self> {
        match segment {
            "personFields" => Some(Self::Person),
            "organizationFields" => Some(Self::Organization),
            "dealFields" => Some(Self::Deal),
            _ => None,
        }
    }

    /// The name in messages (`Person not found`).
    pub(crate) fn label(self) -> &'static str {
        match self {
            Self::Person => "Person",
            Self::Organization => "Organization",
            Self::Deal => "Deal",
        }
    }

    /// The sandbox company's custom fields of this type.
    pub(crate) fn custom_fields(self) -> &'static [CustomField] {
        match self {
            Self::Person => &PERSON_CUSTOM,
            Self::Organization => &ORGANIZATION_CUSTOM,
            Self::Deal => &DEAL_CUSTOM,
        }
    }

    /// The custom field with hash `key`.
    pub(crate) fn custom_field(self, key: &str) -> Option<&'static CustomField> {
        self.custom_fields().iter().find(|f| f.key == key)
    }

    fn builtin(self) -> &'static [(&'static str, &'static str, &'static str, bool)] {
        match self {
            Self::Person => PERSON_BUILTIN,
            Self::Organization => ORGANIZATION_BUILTIN,
            Self::Deal => DEAL_BUILTIN,
        }
    }

    /// Every field definition, as `GET /v1/<item>Fields` lists them.
    pub(crate) fn field_definitions(self) -> Vec<Ordered> {
        let base_id = match self {
            Self::Person => 9039,
            Self::Organization => 9139,
            Self::Deal => 9239,
        };
        let builtin =
            self.builtin()
                .iter()
                .zip(0u64..)
                .map(|(&(key, name, field_type, mandatory), n)| {
                    definition(base_id + n, key, name, field_type, false, mandatory, n + 1)
                });
        let custom = self.custom_fields().iter().zip(0u64..).map(|(field, n)| {
            let field_type = match field.field_type {
                FieldType::Text => "varchar",
                FieldType::Number => "double",
            };
            let order = self.builtin().len() as u64 + n + 1;
            definition(
                field.id, field.key, field.name, field_type, true, false, order,
            )
        });
        builtin.chain(custom).collect()
    }
}

/// One field definition, with the keys of the recorded `personFields` entries.
fn definition(
    id: u64,
    key: &str,
    name: &str,
    field_type: &str,
    custom: bool,
    mandatory: bool,
    order_nr: u64,
) -> Ordered {
    let time = pipedrive_time(FIELDS_CREATED_MS + if custom { 86_400_000 } else { 0 });
    let mut out: Vec<(String, Value)> = vec![
        ("id".into(), json!(id)),
        ("key".into(), json!(key)),
        ("name".into(), json!(name)),
        ("order_nr".into(), json!(order_nr)),
        ("picklist_data".into(), Value::Null),
        ("field_type".into(), json!(field_type)),
        ("json_column_flag".into(), json!(false)),
        ("add_time".into(), json!(time)),
        ("update_time".into(), json!(time)),
        (
            "last_updated_by_user_id".into(),
            if custom {
                json!(super::api_user_id())
            } else {
                Value::Null
            },
        ),
        ("active_flag".into(), json!(true)),
        ("edit_flag".into(), json!(custom)),
        ("index_visible_flag".into(), json!(true)),
        ("details_visible_flag".into(), json!(true)),
        ("add_visible_flag".into(), json!(!custom)),
        ("important_flag".into(), json!(false)),
        ("bulk_edit_allowed".into(), json!(true)),
        ("searchable_flag".into(), json!(custom)),
        ("filtering_allowed".into(), json!(true)),
        ("sortable_flag".into(), json!(true)),
        ("mandatory_flag".into(), json!(mandatory)),
    ];
    if key == "label" {
        // The label field lists its options instead of picklist data.
        out.retain(|(k, _)| k != "picklist_data");
        out.push((
            "options".into(),
            json!([
                {"color": "green", "label": "Customer", "id": 1},
                {"color": "red", "label": "Hot lead", "id": 2},
                {"color": "yellow", "label": "Warm lead", "id": 3},
                {"color": "blue", "label": "Cold lead", "id": 4}
            ]),
        ));
    }
    Ordered(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A custom field key's shape: 40 lower-case hex digits.
    fn is_hash_key(key: &str) -> bool {
        key.len() == 40
            && key
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    }

    #[test]
    fn custom_keys_are_40_hex_digits_and_unique() {
        let mut keys: Vec<&str> = [Item::Person, Item::Organization, Item::Deal]
            .iter()
            .flat_map(|item| item.custom_fields().iter().map(|f| f.key))
            .collect();
        assert!(keys.iter().all(|k| is_hash_key(k)));
        let count = keys.len();
        keys.dedup();
        assert_eq!(keys.len(), count);
        assert!(!is_hash_key("name"));
        assert!(!is_hash_key(&"A".repeat(40)));
    }
}
