//! Salesforce sObjects the sandbox serves, their fields, and the seeded records.

use std::collections::BTreeMap;

use serde_json::{Value, json};

use crate::clock::{date, salesforce_time};
use crate::data::{self, OWNERS, STAGES};
use crate::ids::salesforce_id;
use crate::store::{SalesforceStore, SfRecord, SfTable};

/// The sObject types the sandbox serves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum SObject {
    Contact,
    Account,
    Opportunity,
    User,
}

/// Setup objects that records point at (`User.ProfileId`, `User.UserRoleId`) but that the sandbox
/// does not serve: their seeded ids exist, their records cannot be read or queried.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum SetupObject {
    Profile,
    UserRole,
}

impl SetupObject {
    /// API name, also the label in `MALFORMED_ID`-style messages.
    pub(crate) fn label(self) -> &'static str {
        match self {
            Self::Profile => "Profile",
            Self::UserRole => "UserRole",
        }
    }

    /// Id key prefix (case matters: `00e` profiles, `00E` roles).
    pub(crate) fn prefix(self) -> &'static str {
        match self {
            Self::Profile => "00e",
            Self::UserRole => "00E",
        }
    }

    /// Names of the seeded records, in id order.
    fn names(self) -> &'static [&'static str] {
        match self {
            Self::Profile => PROFILES,
            Self::UserRole => USER_ROLES,
        }
    }

    /// Whether `id` (canonical 18-character form) is one of the seeded records.
    pub(crate) fn exists(self, id: &str) -> bool {
        (0..self.names().len()).any(|i| setup_id(self, i) == id)
    }
}

/// Seeded profiles (a real org has more; users here only hold these two).
const PROFILES: &[&str] = &["System Administrator", "Standard User"];
/// Seeded roles of the sales org's role hierarchy (see `role_of`).
const USER_ROLES: &[&str] = &[
    "Sales Director",
    "Account Executive",
    "Sales Development",
    "Customer Success",
    "Sales Engineering",
    "Sales Operations",
];

/// Id of seeded setup record `i` of `object`.
pub(crate) fn setup_id(object: SetupObject, i: usize) -> String {
    let base = match object {
        SetupObject::Profile => 7_727,
        SetupObject::UserRole => 3_301,
    };
    salesforce_id(object.prefix(), ID_BASE + base + i as u64)
}

/// Index into [`USER_ROLES`] of an owner's role: the director's, else their department's.
fn role_of(owner: &data::Owner) -> usize {
    match (owner.manager, owner.department) {
        (None, _) => 0,
        (_, "Sales Development") => 2,
        (_, "Customer Success") => 3,
        (_, "Sales Engineering") => 4,
        (_, "Sales Operations") => 5,
        _ => 1,
    }
}

/// Index into [`PROFILES`] of an owner's profile: whoever runs the org (the director, sales
/// operations) administers it; everyone else is a standard user.
fn profile_of(owner: &data::Owner) -> usize {
    if owner.manager.is_none() || owner.department == "Sales Operations" {
        0
    } else {
        1
    }
}

/// A field's data type, as far as the sandbox cares.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    Id,
    Reference(SObject),
    /// A reference to a setup object the sandbox does not serve.
    SetupReference(SetupObject),
    Text,
    Email,
    Phone,
    Url,
    Picklist,
    Textarea,
    Boolean,
    Int,
    Currency,
    Percent,
    Date,
    DateTime,
}

impl Kind {
    /// Whether SOQL compares this kind with quoted string literals.
    pub(crate) fn is_text(self) -> bool {
        matches!(
            self,
            Self::Id
                | Self::Reference(_)
                | Self::SetupReference(_)
                | Self::Text
                | Self::Email
                | Self::Phone
                | Self::Url
                | Self::Picklist
                | Self::Textarea
        )
    }

    /// Whether values are record ids (compared exactly, 15- or 18-character literals).
    pub(crate) fn is_id(self) -> bool {
        matches!(
            self,
            Self::Id | Self::Reference(_) | Self::SetupReference(_)
        )
    }

    /// Whether values are JSON numbers.
    pub(crate) fn is_number(self) -> bool {
        matches!(self, Self::Int | Self::Currency | Self::Percent)
    }

    /// The SOAP type name Salesforce uses in messages (`string`, `double`, `dateTime`, …).
    pub(crate) fn soap_name(self) -> &'static str {
        match self {
            Self::Id | Self::Reference(_) | Self::SetupReference(_) => "id",
            Self::Boolean => "boolean",
            Self::Int => "int",
            Self::Currency | Self::Percent => "double",
            Self::Date => "date",
            Self::DateTime => "dateTime",
            _ => "string",
        }
    }
}

/// One field of an sObject.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Field {
    /// API name (custom fields end in `__c`).
    pub(crate) name: &'static str,
    pub(crate) kind: Kind,
    /// Settable on create.
    pub(crate) createable: bool,
    /// Settable on update.
    pub(crate) updateable: bool,
    /// Must be non-null on create (and cannot be cleared).
    pub(crate) required: bool,
}

impl Field {
    /// Whether this is a custom field.
    pub(crate) fn custom(&self) -> bool {
        self.name.ends_with("__c")
    }
}

const fn system(name: &'static str, kind: Kind) -> Field {
    Field {
        name,
        kind,
        createable: false,
        updateable: false,
        required: false,
    }
}

const fn editable(name: &'static str, kind: Kind) -> Field {
    Field {
        name,
        kind,
        createable: true,
        updateable: true,
        required: false,
    }
}

const fn required(name: &'static str, kind: Kind) -> Field {
    Field {
        name,
        kind,
        createable: true,
        updateable: true,
        required: true,
    }
}

/// A business object's fields in describe order: `Id` and `IsDeleted`, its own standard fields,
/// then the owner and audit fields every such object has, then its custom fields.
macro_rules! business_object_fields {
    (standard: [$($standard:expr),* $(,)?], custom: [$($custom:expr),* $(,)?] $(,)?) => {
        &[
            system("Id", Kind::Id),
            system("IsDeleted", Kind::Boolean),
            $($standard,)*
            editable("OwnerId", Kind::Reference(SObject::User)),
            system("CreatedDate", Kind::DateTime),
            system("CreatedById", Kind::Reference(SObject::User)),
            system("LastModifiedDate", Kind::DateTime),
            system("LastModifiedById", Kind::Reference(SObject::User)),
            system("SystemModstamp", Kind::DateTime),
            $($custom,)*
        ]
    };
}

const CONTACT_FIELDS: &[Field] = business_object_fields!(
    standard: [
        editable("AccountId", Kind::Reference(SObject::Account)),
        required("LastName", Kind::Text),
        editable("FirstName", Kind::Text),
        editable("Salutation", Kind::Picklist),
        system("Name", Kind::Text),
        editable("MailingStreet", Kind::Textarea),
        editable("MailingCity", Kind::Text),
        editable("MailingState", Kind::Text),
        editable("MailingPostalCode", Kind::Text),
        editable("MailingCountry", Kind::Text),
        editable("Phone", Kind::Phone),
        editable("Fax", Kind::Phone),
        editable("MobilePhone", Kind::Phone),
        editable("HomePhone", Kind::Phone),
        editable("OtherPhone", Kind::Phone),
        editable("AssistantPhone", Kind::Phone),
        editable("ReportsToId", Kind::Reference(SObject::Contact)),
        editable("Email", Kind::Email),
        editable("Title", Kind::Text),
        editable("Department", Kind::Text),
        editable("AssistantName", Kind::Text),
        editable("LeadSource", Kind::Picklist),
        editable("Birthdate", Kind::Date),
        editable("Description", Kind::Textarea),
    ],
    custom: [editable("Favorite_Color__c", Kind::Picklist)],
);

const ACCOUNT_FIELDS: &[Field] = business_object_fields!(
    standard: [
        required("Name", Kind::Text),
        editable("Type", Kind::Picklist),
        editable("ParentId", Kind::Reference(SObject::Account)),
        editable("BillingStreet", Kind::Textarea),
        editable("BillingCity", Kind::Text),
        editable("BillingState", Kind::Text),
        editable("BillingPostalCode", Kind::Text),
        editable("BillingCountry", Kind::Text),
        editable("ShippingStreet", Kind::Textarea),
        editable("ShippingCity", Kind::Text),
        editable("ShippingState", Kind::Text),
        editable("ShippingPostalCode", Kind::Text),
        editable("ShippingCountry", Kind::Text),
        editable("Phone", Kind::Phone),
        editable("Fax", Kind::Phone),
        editable("AccountNumber", Kind::Text),
        editable("Website", Kind::Url),
        editable("Industry", Kind::Picklist),
        editable("AnnualRevenue", Kind::Currency),
        editable("NumberOfEmployees", Kind::Int),
        editable("Description", Kind::Textarea),
    ],
    custom: [editable("SLA__c", Kind::Picklist)],
);

const OPPORTUNITY_FIELDS: &[Field] = business_object_fields!(
    standard: [
        editable("AccountId", Kind::Reference(SObject::Account)),
        required("Name", Kind::Text),
        editable("Description", Kind::Textarea),
        required("StageName", Kind::Picklist),
        editable("Amount", Kind::Currency),
        editable("Probability", Kind::Percent),
        required("CloseDate", Kind::Date),
        editable("Type", Kind::Picklist),
        editable("NextStep", Kind::Text),
        editable("LeadSource", Kind::Picklist),
        system("IsClosed", Kind::Boolean),
        system("IsWon", Kind::Boolean),
        // Follows the stage unless set explicitly (see `forecast_category`).
        editable("ForecastCategoryName", Kind::Picklist),
    ],
    custom: [],
);

/// Users are read-only here (the REST API refuses writes), so every field is `system`.
const USER_FIELDS: &[Field] = &[
    system("Id", Kind::Id),
    system("Username", Kind::Text),
    system("LastName", Kind::Text),
    system("FirstName", Kind::Text),
    system("Name", Kind::Text),
    system("CompanyName", Kind::Text),
    system("Department", Kind::Text),
    system("Title", Kind::Text),
    system("Email", Kind::Email),
    system("Phone", Kind::Phone),
    system("MobilePhone", Kind::Phone),
    system("Alias", Kind::Text),
    system("IsActive", Kind::Boolean),
    system("TimeZoneSidKey", Kind::Picklist),
    system("UserRoleId", Kind::SetupReference(SetupObject::UserRole)),
    system("ProfileId", Kind::SetupReference(SetupObject::Profile)),
    system("UserType", Kind::Picklist),
    system("ManagerId", Kind::Reference(SObject::User)),
    system("CreatedDate", Kind::DateTime),
    system("LastModifiedDate", Kind::DateTime),
    system("SystemModstamp", Kind::DateTime),
];

impl SObject {
    /// Every served type.
    pub(crate) const ALL: [Self; 4] = [Self::Contact, Self::Account, Self::Opportunity, Self::User];

    /// Case-insensitive lookup by API name.
    pub(crate) fn parse(text: &str) -> Option<Self> {
        Self::ALL
            .into_iter()
            .find(|o| o.name().eq_ignore_ascii_case(text))
    }

    /// API name.
    pub(crate) fn name(self) -> &'static str {
        match self {
            Self::Contact => "Contact",
            Self::Account => "Account",
            Self::Opportunity => "Opportunity",
            Self::User => "User",
        }
    }

    /// Label used in `MALFORMED_ID`-style messages.
    pub(crate) fn label(self) -> &'static str {
        self.name()
    }

    /// Id key prefix.
    pub(crate) fn prefix(self) -> &'static str {
        match self {
            Self::Contact => "003",
            Self::Account => "001",
            Self::Opportunity => "006",
            Self::User => "005",
        }
    }

    /// Fields in describe order.
    pub(crate) fn fields(self) -> &'static [Field] {
        match self {
            Self::Contact => CONTACT_FIELDS,
            Self::Account => ACCOUNT_FIELDS,
            Self::Opportunity => OPPORTUNITY_FIELDS,
            Self::User => USER_FIELDS,
        }
    }

    /// Case-insensitive field lookup.
    pub(crate) fn field(self, name: &str) -> Option<&'static Field> {
        self.fields()
            .iter()
            .find(|f| f.name.eq_ignore_ascii_case(name))
    }

    /// First counter value behind this type's ids (distinct per type, as in a real org).
    pub(crate) fn id_base(self) -> u64 {
        ID_BASE
            + match self {
                Self::Contact => 0,
                Self::Account => 7_919,
                Self::Opportunity => 104_729,
                Self::User => 1_299_709,
            }
    }

    /// Whether the REST API lets clients create, update and delete these records here.
    pub(crate) fn writable(self) -> bool {
        self != Self::User
    }
}

impl SalesforceStore {
    /// The table behind `object`.
    pub(crate) fn table(&self, object: SObject) -> &SfTable {
        match object {
            SObject::Contact => &self.contacts,
            SObject::Account => &self.accounts,
            SObject::Opportunity => &self.opportunities,
            SObject::User => &self.users,
        }
    }

    /// The table behind `object`, for writing.
    pub(crate) fn table_mut(&mut self, object: SObject) -> &mut SfTable {
        match object {
            SObject::Contact => &mut self.contacts,
            SObject::Account => &mut self.accounts,
            SObject::Opportunity => &mut self.opportunities,
            SObject::User => &mut self.users,
        }
    }
}

/// First counter value behind generated ids (any value works; this one makes ids look lived-in).
pub(crate) const ID_BASE: u64 = 4_830_000;

/// Id of seeded record `i` of `object`.
pub(crate) fn seeded_id(object: SObject, i: usize) -> String {
    salesforce_id(object.prefix(), object.id_base() + i as u64)
}

/// Id of the user the API session runs as (user 0, who also created the seed data).
pub(crate) fn api_user_id() -> String {
    seeded_id(SObject::User, 0)
}

/// The seeded stage called `name`: (HubSpot stage, name, probability %, closed, won).
pub(crate) fn known_stage(
    name: Option<&str>,
) -> Option<&'static (&'static str, &'static str, u32, bool, bool)> {
    STAGES.iter().find(|s| Some(s.1) == name)
}

/// The forecast category a stage implies, as in a new org's stage settings: open stages count as
/// `Pipeline`, won ones as `Closed`, lost ones as `Omitted`.
pub(crate) fn forecast_category(closed: bool, won: bool) -> &'static str {
    match (closed, won) {
        (true, true) => "Closed",
        (true, false) => "Omitted",
        (false, _) => "Pipeline",
    }
}

/// Closed and won flags of a stage: the seeded stage settings, or guessed from the name.
pub(crate) fn stage_flags(stage: Option<&str>) -> (bool, bool) {
    known_stage(stage).map_or_else(
        || {
            let s = stage.unwrap_or_default().to_ascii_lowercase();
            (s.starts_with("closed"), s == "closed won")
        },
        |s| (s.3, s.4),
    )
}

/// Derived fields: `Name` from first/last name, closed/won flags from the stage.
pub(crate) fn derive(object: SObject, fields: &mut BTreeMap<&'static str, Value>) {
    let text = |fields: &BTreeMap<&'static str, Value>, name: &str| {
        fields.get(name).and_then(Value::as_str).map(str::to_owned)
    };
    match object {
        SObject::Contact | SObject::User => {
            let name = [text(fields, "FirstName"), text(fields, "LastName")]
                .into_iter()
                .flatten()
                .filter(|s| !s.is_empty())
                .collect::<Vec<_>>()
                .join(" ");
            fields.insert("Name", Value::from(name));
        }
        SObject::Opportunity => {
            let (closed, won) = stage_flags(text(fields, "StageName").as_deref());
            fields.insert("IsClosed", Value::from(closed));
            fields.insert("IsWon", Value::from(won));
        }
        SObject::Account => {}
    }
}

/// A new record's fields: all blank (`false` for checkboxes, else null) but the id, the audit
/// dates and, where the type has them, the creator and last modifier (the API user).
pub(crate) fn new_fields(
    object: SObject,
    id: &str,
    created_ms: i64,
    updated_ms: i64,
) -> BTreeMap<&'static str, Value> {
    let mut fields: BTreeMap<&'static str, Value> = object
        .fields()
        .iter()
        .map(|f| {
            let blank = if f.kind == Kind::Boolean {
                Value::Bool(false)
            } else {
                Value::Null
            };
            (f.name, blank)
        })
        .collect();
    fields.insert("Id", Value::from(id));
    if object != SObject::User {
        fields.insert("CreatedById", Value::from(api_user_id()));
        fields.insert("LastModifiedById", Value::from(api_user_id()));
    }
    fields.insert("CreatedDate", Value::from(salesforce_time(created_ms)));
    fields.insert("LastModifiedDate", Value::from(salesforce_time(updated_ms)));
    fields.insert("SystemModstamp", Value::from(salesforce_time(updated_ms)));
    fields
}

fn record(
    object: SObject,
    i: usize,
    created_ms: i64,
    updated_ms: i64,
    values: Vec<(&'static str, Value)>,
) -> (String, SfRecord) {
    let id = seeded_id(object, i);
    let mut fields = new_fields(object, &id, created_ms, updated_ms);
    fields.extend(values);
    derive(object, &mut fields);
    (id, SfRecord { fields })
}

fn opt(value: Option<impl Into<Value>>) -> Value {
    value.map_or(Value::Null, Into::into)
}

/// `records` contacts, accounts and opportunities plus the users, all derived from [`data`].
pub(crate) fn seed(records: usize) -> SalesforceStore {
    let user_id = |j: usize| Value::from(seeded_id(SObject::User, j));
    let contacts = (0..records)
        .map(|i| {
            let p = data::person(i);
            let (assistant_name, assistant_phone) = p.assistant.clone().unzip();
            record(
                SObject::Contact,
                i,
                p.created_ms,
                p.updated_ms,
                vec![
                    (
                        "AccountId",
                        Value::from(seeded_id(SObject::Account, p.company)),
                    ),
                    ("FirstName", Value::from(p.first)),
                    ("LastName", Value::from(p.last)),
                    ("Email", Value::from(p.email.clone())),
                    ("Phone", Value::from(p.phone.clone())),
                    ("MobilePhone", opt(p.mobile.clone())),
                    ("HomePhone", opt(p.home.clone())),
                    ("OtherPhone", opt(p.other.clone())),
                    ("Fax", opt(p.fax.clone())),
                    ("AssistantName", opt(assistant_name)),
                    ("AssistantPhone", opt(assistant_phone)),
                    (
                        "ReportsToId",
                        opt(p
                            .reports_to
                            .filter(|&boss| boss < records)
                            .map(|boss| seeded_id(SObject::Contact, boss))),
                    ),
                    ("Title", Value::from(p.title)),
                    ("Department", Value::from(p.department)),
                    ("MailingStreet", Value::from(p.address.street.clone())),
                    ("MailingCity", Value::from(p.address.city)),
                    ("MailingState", opt(p.address.state)),
                    ("MailingPostalCode", Value::from(p.address.postal_code)),
                    ("MailingCountry", Value::from(p.address.country)),
                    ("LeadSource", Value::from(p.lead_source)),
                    ("OwnerId", user_id(p.owner)),
                    ("Favorite_Color__c", opt(p.favorite_color)),
                ],
            )
        })
        .collect();
    let accounts = (0..records)
        .map(|c| {
            let co = data::company(c);
            // Customers and partners ship to their billing address; prospects have none on file.
            let shipping = (co.kind.1 != "Prospect").then_some(&co.address);
            record(
                SObject::Account,
                c,
                co.created_ms,
                co.updated_ms,
                vec![
                    ("Name", Value::from(co.name.clone())),
                    ("Type", Value::from(co.kind.1)),
                    ("BillingStreet", Value::from(co.address.street.clone())),
                    ("BillingCity", Value::from(co.address.city)),
                    ("BillingState", opt(co.address.state)),
                    ("BillingPostalCode", Value::from(co.address.postal_code)),
                    ("BillingCountry", Value::from(co.address.country)),
                    ("ShippingStreet", opt(shipping.map(|a| a.street.clone()))),
                    ("ShippingCity", opt(shipping.map(|a| a.city))),
                    ("ShippingState", opt(shipping.and_then(|a| a.state))),
                    ("ShippingPostalCode", opt(shipping.map(|a| a.postal_code))),
                    ("ShippingCountry", opt(shipping.map(|a| a.country))),
                    ("Phone", Value::from(co.phone.clone())),
                    (
                        "AccountNumber",
                        Value::from(format!("CD{:06}", 451_000 + c)),
                    ),
                    ("Website", Value::from(co.domain.clone())),
                    ("Industry", Value::from(co.salesforce_industry)),
                    ("AnnualRevenue", json!(co.annual_revenue as f64)),
                    ("NumberOfEmployees", Value::from(co.employees)),
                    ("Description", Value::from(co.description.clone())),
                    ("OwnerId", user_id(co.owner)),
                    ("SLA__c", Value::from(co.tier)),
                ],
            )
        })
        .collect();
    let opportunities = (0..records)
        .map(|d| {
            let deal = data::deal(d, records);
            let stage = STAGES[deal.stage % STAGES.len()];
            record(
                SObject::Opportunity,
                d,
                deal.created_ms,
                deal.updated_ms,
                vec![
                    (
                        "AccountId",
                        Value::from(seeded_id(SObject::Account, deal.company)),
                    ),
                    ("Name", Value::from(deal.name.clone())),
                    ("StageName", Value::from(stage.1)),
                    (
                        "ForecastCategoryName",
                        Value::from(forecast_category(stage.3, stage.4)),
                    ),
                    ("NextStep", opt(deal.next_step)),
                    ("Amount", json!(deal.amount as f64)),
                    ("Probability", json!(f64::from(stage.2))),
                    ("CloseDate", Value::from(date(deal.close_ms))),
                    (
                        "Type",
                        Value::from(if deal.new_business {
                            "New Customer"
                        } else {
                            "Existing Customer - Upgrade"
                        }),
                    ),
                    ("OwnerId", user_id(deal.owner)),
                ],
            )
        })
        .collect();
    let users = (0..OWNERS)
        .map(|j| {
            let o = data::owner(j);
            record(
                SObject::User,
                j,
                o.created_ms,
                o.updated_ms,
                vec![
                    ("Username", Value::from(o.email.clone())),
                    ("FirstName", Value::from(o.first)),
                    ("LastName", Value::from(o.last)),
                    ("CompanyName", Value::from("Northwind Sales")),
                    ("Department", Value::from(o.department)),
                    ("Title", Value::from(o.title)),
                    ("Email", Value::from(o.email.clone())),
                    ("Phone", Value::from(o.phone.clone())),
                    ("MobilePhone", opt(o.mobile.clone())),
                    (
                        "Alias",
                        Value::from(
                            format!("{}{}", o.first.chars().next().unwrap_or('x'), o.last)
                                .to_ascii_lowercase()
                                .chars()
                                .take(8)
                                .collect::<String>(),
                        ),
                    ),
                    ("IsActive", Value::Bool(true)),
                    ("TimeZoneSidKey", Value::from(o.time_zone)),
                    (
                        "UserRoleId",
                        Value::from(setup_id(SetupObject::UserRole, role_of(&o))),
                    ),
                    (
                        "ProfileId",
                        Value::from(setup_id(SetupObject::Profile, profile_of(&o))),
                    ),
                    ("UserType", Value::from("Standard")),
                    (
                        "ManagerId",
                        opt(o.manager.map(|m| seeded_id(SObject::User, m))),
                    ),
                ],
            )
        })
        .collect();
    let n = records as u64;
    SalesforceStore {
        contacts: SfTable {
            records: contacts,
            next_seq: SObject::Contact.id_base() + n,
        },
        accounts: SfTable {
            records: accounts,
            next_seq: SObject::Account.id_base() + n,
        },
        opportunities: SfTable {
            records: opportunities,
            next_seq: SObject::Opportunity.id_base() + n,
        },
        users: SfTable {
            records: users,
            next_seq: SObject::User.id_base() + OWNERS as u64,
        },
        cursors: Default::default(),
        next_cursor: 0,
    }
}
