//! HubSpot object types, their properties, and the seeded records.

use std::collections::BTreeMap;

use crate::clock::hubspot_time;
use crate::data::{self, OWNERS, STAGES};
use crate::store::{HsOwner, HsRecord, HsTable, HubSpotStore};

/// The CRM object types the sandbox serves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ObjectType {
    Contacts,
    Companies,
    Deals,
}

const CONTACT_PROPERTIES: &[&str] = &[
    "address",
    "associatedcompanyid",
    "city",
    "company",
    "country",
    "email",
    "favorite_color",
    "fax",
    "firstname",
    "hs_additional_emails",
    "hubspot_owner_id",
    "jobtitle",
    "lastname",
    "lifecyclestage",
    "mobilephone",
    "phone",
    "state",
    "zip",
];
const COMPANY_PROPERTIES: &[&str] = &[
    "address",
    "annualrevenue",
    "city",
    "country",
    "description",
    "domain",
    "hubspot_owner_id",
    "industry",
    "name",
    "numberofemployees",
    "phone",
    "state",
    "type",
    "website",
    "zip",
];
const DEAL_PROPERTIES: &[&str] = &[
    "amount",
    "closedate",
    "dealname",
    "dealstage",
    "dealtype",
    "description",
    "hubspot_owner_id",
    "pipeline",
];

impl ObjectType {
    /// Accepts the plural path name, the singular (any case, as in `/crm/v3/objects/COMPANY/search`)
    /// and the object-type id (`0-1`, `0-2`, `0-3`).
    pub(crate) fn parse(text: &str) -> Option<Self> {
        match text.to_ascii_lowercase().as_str() {
            "contacts" | "contact" | "0-1" => Some(Self::Contacts),
            "companies" | "company" | "0-2" => Some(Self::Companies),
            "deals" | "deal" | "0-3" => Some(Self::Deals),
            _ => None,
        }
    }

    /// Name of the last-modified property (contacts differ from the other objects).
    pub(crate) fn last_modified(self) -> &'static str {
        match self {
            Self::Contacts => "lastmodifieddate",
            Self::Companies | Self::Deals => "hs_lastmodifieddate",
        }
    }

    /// Properties returned when the request names none (besides the system ones).
    pub(crate) fn defaults(self) -> &'static [&'static str] {
        match self {
            Self::Contacts => &["email", "firstname", "lastname"],
            Self::Companies => &["domain", "name"],
            Self::Deals => &["amount", "closedate", "dealname", "dealstage", "pipeline"],
        }
    }

    /// Properties a client may write.
    pub(crate) fn writable(self) -> &'static [&'static str] {
        match self {
            Self::Contacts => CONTACT_PROPERTIES,
            Self::Companies => COMPANY_PROPERTIES,
            Self::Deals => DEAL_PROPERTIES,
        }
    }

    /// Properties the search `query` looks in.
    pub(crate) fn searchable(self) -> &'static [&'static str] {
        match self {
            Self::Contacts => &[
                "firstname",
                "lastname",
                "email",
                "hs_additional_emails",
                "phone",
                "mobilephone",
                "company",
            ],
            Self::Companies => &["name", "domain", "website", "phone"],
            Self::Deals => &["dealname"],
        }
    }

    /// Read-only properties the system maintains.
    pub(crate) fn system(self) -> [&'static str; 3] {
        ["createdate", "hs_object_id", self.last_modified()]
    }

    /// Whether `name` is a property of this object type.
    pub(crate) fn is_known(self, name: &str) -> bool {
        self.writable().contains(&name) || self.system().contains(&name)
    }

    /// Whether values of `name` are numbers.
    pub(crate) fn is_number(self, name: &str) -> bool {
        matches!(name, "amount" | "annualrevenue" | "numberofemployees")
            || (name == "hs_object_id")
            || (name == "associatedcompanyid" && self == Self::Contacts)
    }

    /// Whether values of `name` are timestamps.
    pub(crate) fn is_datetime(self, name: &str) -> bool {
        matches!(name, "closedate" | "createdate") || name == self.last_modified()
    }
}

/// First ids handed out, per object type (HubSpot ids are numeric strings).
const CONTACT_BASE: u64 = 1001;
const COMPANY_BASE: u64 = 5_000_000_001;
const DEAL_BASE: u64 = 9_000_000_001;
const OWNER_BASE: u64 = 41_629_779;

/// Id of company `c` (contacts reference it in `associatedcompanyid`).
fn company_id(c: usize) -> u64 {
    COMPANY_BASE + c as u64
}

/// Id of owner `j`.
fn owner_id(j: usize) -> u64 {
    OWNER_BASE + j as u64 * 1_117
}

fn record(
    id: u64,
    created_ms: i64,
    updated_ms: i64,
    object: ObjectType,
    props: Vec<(&str, Option<String>)>,
) -> HsRecord {
    let mut properties: BTreeMap<String, Option<String>> =
        props.into_iter().map(|(k, v)| (k.to_owned(), v)).collect();
    properties.insert("hs_object_id".into(), Some(id.to_string()));
    properties.insert("createdate".into(), Some(hubspot_time(created_ms)));
    properties.insert(
        object.last_modified().into(),
        Some(hubspot_time(updated_ms)),
    );
    HsRecord {
        id,
        properties,
        created_ms,
        updated_ms,
        archived_ms: None,
    }
}

fn table(records: impl Iterator<Item = HsRecord>, next_id: u64) -> HsTable {
    HsTable {
        records: records.map(|r| (r.id, r)).collect(),
        next_id,
    }
}

/// `records` contacts, companies and deals plus the owners, all derived from [`data`].
pub(crate) fn seed(records: usize) -> HubSpotStore {
    let some = |s: &str| Some(s.to_owned());
    let contacts = (0..records).map(|i| {
        let p = data::person(i);
        let company = data::company(p.company);
        record(
            CONTACT_BASE + i as u64,
            p.created_ms,
            p.updated_ms,
            ObjectType::Contacts,
            vec![
                ("firstname", some(p.first)),
                ("lastname", some(p.last)),
                ("email", Some(p.email.clone())),
                (
                    "hs_additional_emails",
                    (!p.additional_emails.is_empty()).then(|| p.additional_emails.join(";")),
                ),
                ("phone", Some(p.phone.clone())),
                ("mobilephone", p.mobile.clone()),
                ("fax", p.fax.clone()),
                ("company", Some(company.name.clone())),
                (
                    "associatedcompanyid",
                    Some(company_id(p.company).to_string()),
                ),
                ("jobtitle", some(p.title)),
                ("address", Some(p.address.street.clone())),
                ("city", some(p.address.city)),
                ("state", p.address.state.map(str::to_owned)),
                ("zip", some(p.address.postal_code)),
                ("country", some(p.address.country)),
                ("lifecyclestage", some(p.lifecycle_stage)),
                ("hubspot_owner_id", Some(owner_id(p.owner).to_string())),
                ("favorite_color", p.favorite_color.map(str::to_owned)),
            ],
        )
    });
    let companies = (0..records).map(|c| {
        let co = data::company(c);
        record(
            company_id(c),
            co.created_ms,
            co.updated_ms,
            ObjectType::Companies,
            vec![
                ("name", Some(co.name.clone())),
                ("domain", Some(co.domain.clone())),
                ("website", Some(format!("https://{}", co.domain))),
                ("phone", Some(co.phone.clone())),
                ("industry", some(co.hubspot_industry)),
                ("type", some(co.kind.0)),
                ("numberofemployees", Some(co.employees.to_string())),
                ("annualrevenue", Some(co.annual_revenue.to_string())),
                ("address", Some(co.address.street.clone())),
                ("city", some(co.address.city)),
                ("state", co.address.state.map(str::to_owned)),
                ("zip", some(co.address.postal_code)),
                ("country", some(co.address.country)),
                ("description", Some(co.description.clone())),
                ("hubspot_owner_id", Some(owner_id(co.owner).to_string())),
            ],
        )
    });
    let deals = (0..records).map(|d| {
        let deal = data::deal(d, records);
        let stage = STAGES[deal.stage % STAGES.len()];
        record(
            DEAL_BASE + d as u64,
            deal.created_ms,
            deal.updated_ms,
            ObjectType::Deals,
            vec![
                ("dealname", Some(deal.name.clone())),
                ("amount", Some(deal.amount.to_string())),
                ("closedate", Some(hubspot_time(deal.close_ms))),
                ("dealstage", some(stage.0)),
                ("pipeline", some("default")),
                (
                    "dealtype",
                    some(if deal.new_business {
                        "newbusiness"
                    } else {
                        "existingbusiness"
                    }),
                ),
                ("hubspot_owner_id", Some(owner_id(deal.owner).to_string())),
            ],
        )
    });
    let owners = (0..OWNERS)
        .map(|j| {
            let o = data::owner(j);
            HsOwner {
                id: owner_id(j),
                user_id: 9_586_504 + j as u64 * 311,
                email: o.email,
                first_name: o.first.to_owned(),
                last_name: o.last.to_owned(),
                team: if j % 2 == 0 {
                    ("21937", "Sales Americas")
                } else {
                    ("21938", "Sales EMEA")
                },
                created_ms: o.created_ms,
                updated_ms: o.updated_ms,
            }
        })
        .collect();
    let n = records as u64;
    HubSpotStore {
        contacts: table(contacts, CONTACT_BASE + n),
        companies: table(companies, COMPANY_BASE + n),
        deals: table(deals, DEAL_BASE + n),
        owners,
    }
}
