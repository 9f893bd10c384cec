//! Deterministic seed data: people, companies, deals, owners and support tickets as pure
//! functions of their index.
//!
//! Every vendor is seeded from these functions, so person `i` is the same human (name, email,
//! phones, address) in HubSpot, Salesforce, Pipedrive and Zendesk (an end user there); only the
//! vendor's field names differ.

use crate::clock::days_from_civil;

/// Number of owners (HubSpot owners, Salesforce users).
pub(crate) const OWNERS: usize = 10;

const FIRST_NAMES: [&str; 25] = [
    "Olivia",
    "Liam",
    "Emma",
    "Noah",
    "Ava",
    "Ethan",
    "Sophia",
    "Mason",
    "Isabella",
    "Lucas",
    "Mia",
    "Oliver",
    "Amelia",
    "Elijah",
    "Harper",
    "James",
    "Charlotte",
    "Benjamin",
    "Aria",
    "Mateo",
    "Chloe",
    "Daniel",
    "Zoe",
    "Samuel",
    "Nora",
];
const LAST_NAMES: [&str; 20] = [
    "Garcia", "Smith", "Johnson", "Nguyen", "Patel", "Kim", "O'Brien", "Brown", "Lopez", "Wilson",
    "Anderson", "Thomas", "Martin", "Lee", "Clark", "Lewis", "Walker", "Young", "Hall", "Wright",
];
const COMPANY_WORDS: [&str; 16] = [
    "Acme",
    "Globex",
    "Initech",
    "Northwind",
    "Contoso",
    "Fabrikam",
    "Tailspin",
    "Woodgrove",
    "Litware",
    "Proseware",
    "Wingtip",
    "Coho",
    "Umbrella",
    "Hooli",
    "Vandelay",
    "Wonka",
];
/// Company suffix with the matching (HubSpot industry, Salesforce industry).
const COMPANY_KINDS: [(&str, &str, &str); 8] = [
    ("Labs", "BIOTECHNOLOGY", "Biotechnology"),
    ("Logistics", "LOGISTICS_AND_SUPPLY_CHAIN", "Transportation"),
    ("Systems", "COMPUTER_SOFTWARE", "Technology"),
    ("Foods", "FOOD_PRODUCTION", "Food & Beverage"),
    (
        "Analytics",
        "INFORMATION_TECHNOLOGY_AND_SERVICES",
        "Technology",
    ),
    ("Health", "HOSPITAL_HEALTH_CARE", "Healthcare"),
    ("Partners", "MANAGEMENT_CONSULTING", "Consulting"),
    ("Energy", "RENEWABLES_ENVIRONMENT", "Energy"),
];
/// (city, state, postal code, country, street, phone prefix, IANA time zone).
type Place = (
    &'static str,
    Option<&'static str>,
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    &'static str,
);
const PLACES: [Place; 12] = [
    (
        "San Francisco",
        Some("CA"),
        "94105",
        "United States",
        "Market St",
        "+1 415-555-01",
        "America/Los_Angeles",
    ),
    (
        "Austin",
        Some("TX"),
        "78701",
        "United States",
        "Congress Ave",
        "+1 512-555-01",
        "America/Chicago",
    ),
    (
        "Chicago",
        Some("IL"),
        "60601",
        "United States",
        "Wacker Dr",
        "+1 312-555-01",
        "America/Chicago",
    ),
    (
        "Boston",
        Some("MA"),
        "02110",
        "United States",
        "Beacon St",
        "+1 617-555-01",
        "America/New_York",
    ),
    (
        "Seattle",
        Some("WA"),
        "98101",
        "United States",
        "Pine St",
        "+1 206-555-01",
        "America/Los_Angeles",
    ),
    (
        "Denver",
        Some("CO"),
        "80202",
        "United States",
        "Larimer St",
        "+1 303-555-01",
        "America/Denver",
    ),
    (
        "New York",
        Some("NY"),
        "10001",
        "United States",
        "Broadway",
        "+1 212-555-01",
        "America/New_York",
    ),
    (
        "Atlanta",
        Some("GA"),
        "30303",
        "United States",
        "Peachtree St",
        "+1 404-555-01",
        "America/New_York",
    ),
    (
        "Toronto",
        Some("ON"),
        "M5H 2N2",
        "Canada",
        "King St W",
        "+1 416-555-01",
        "America/Toronto",
    ),
    (
        "London",
        None,
        "EC1V 9HX",
        "United Kingdom",
        "Old Street",
        "+44 20 7946 09",
        "Europe/London",
    ),
    (
        "Berlin",
        None,
        "10115",
        "Germany",
        "Torstrasse",
        "+49 30 5550 01",
        "Europe/Berlin",
    ),
    (
        "Sydney",
        Some("NSW"),
        "2000",
        "Australia",
        "George St",
        "+61 2 5550 01",
        "Australia/Sydney",
    ),
];
/// (title, department, seniority: higher outranks lower).
const TITLES: [(&str, &str, u8); 10] = [
    ("VP of Sales", "Sales", 2),
    ("Account Executive", "Sales", 0),
    ("Head of Operations", "Operations", 2),
    ("Software Engineer", "Engineering", 0),
    ("Marketing Manager", "Marketing", 1),
    ("Chief Financial Officer", "Finance", 3),
    ("Procurement Lead", "Procurement", 1),
    ("Customer Success Manager", "Customer Success", 1),
    ("Data Analyst", "Engineering", 0),
    ("Chief Technology Officer", "Engineering", 3),
];
/// (HubSpot lifecycle stage, Salesforce lead source).
const SOURCES: [(&str, &str); 6] = [
    ("lead", "Web"),
    ("subscriber", "Purchased List"),
    ("marketingqualifiedlead", "Advertisement"),
    ("salesqualifiedlead", "Partner Referral"),
    ("opportunity", "Phone Inquiry"),
    ("customer", "Employee Referral"),
];
const COLORS: [&str; 7] = ["Red", "Green", "Blue", "Teal", "Orange", "Purple", "Yellow"];
/// (first name, last name, title, department, index into [`PLACES`] of their office). Owner 0 is
/// the sales director everyone else reports to.
const OWNER_NAMES: [(&str, &str, &str, &str, usize); OWNERS] = [
    ("Morgan", "Reyes", "Sales Director", "Sales", 0),
    ("Riley", "Okafor", "Account Executive", "Sales", 0),
    ("Jordan", "Lindqvist", "Account Executive", "Sales", 6),
    (
        "Avery",
        "Tanaka",
        "Sales Development Rep",
        "Sales Development",
        1,
    ),
    ("Casey", "Moreau", "Account Executive", "Sales", 2),
    (
        "Quinn",
        "Novak",
        "Customer Success Manager",
        "Customer Success",
        5,
    ),
    ("Dakota", "Haddad", "Sales Engineer", "Sales Engineering", 0),
    ("Rowan", "Castillo", "Account Executive", "Sales", 7),
    (
        "Sage",
        "Brennan",
        "Sales Development Rep",
        "Sales Development",
        1,
    ),
    (
        "Emerson",
        "Iyer",
        "Sales Operations Manager",
        "Sales Operations",
        0,
    ),
];
/// (HubSpot deal stage, Salesforce stage name, probability %, closed, won).
pub(crate) const STAGES: [(&str, &str, u32, bool, bool); 7] = [
    ("appointmentscheduled", "Prospecting", 10, false, false),
    ("qualifiedtobuy", "Qualification", 20, false, false),
    (
        "presentationscheduled",
        "Value Proposition",
        50,
        false,
        false,
    ),
    (
        "decisionmakerboughtin",
        "Id. Decision Makers",
        60,
        false,
        false,
    ),
    ("contractsent", "Negotiation/Review", 90, false, false),
    ("closedwon", "Closed Won", 100, true, true),
    ("closedlost", "Closed Lost", 0, true, false),
];
/// Next steps of open deals.
const NEXT_STEPS: [&str; 6] = [
    "Schedule discovery call",
    "Send pricing proposal",
    "Demo for the buying committee",
    "Security review with IT",
    "Legal review of the contract",
    "Confirm budget with finance",
];
const PRODUCTS: [&str; 6] = [
    "Annual subscription",
    "Pilot",
    "Expansion",
    "Renewal",
    "Professional services",
    "Enterprise license",
];

const HOUR_MS: i64 = 3_600_000;
const DAY_MS: i64 = 24 * HOUR_MS;

fn epoch_ms(year: i64, month: u32, day: u32) -> i64 {
    days_from_civil(year, month, day) * DAY_MS
}

/// Lower-case ASCII letters and digits only (`O'Brien` → `obrien`).
fn slug(text: &str) -> String {
    text.chars()
        .filter(char::is_ascii_alphanumeric)
        .map(|c| c.to_ascii_lowercase())
        .collect()
}

/// A postal address.
#[derive(Debug, Clone)]
pub(crate) struct Address {
    pub(crate) street: String,
    pub(crate) city: &'static str,
    pub(crate) state: Option<&'static str>,
    pub(crate) postal_code: &'static str,
    pub(crate) country: &'static str,
}

fn address(n: usize) -> Address {
    let place = PLACES[n % PLACES.len()];
    Address {
        street: format!("{} {}", 100 + (n * 37) % 900, place.4),
        city: place.0,
        state: place.1,
        postal_code: place.2,
        country: place.3,
    }
}

/// A phone number in the fictional ranges of the place's country.
fn phone(place: usize, n: usize) -> String {
    format!("{}{:02}", PLACES[place % PLACES.len()].5, n % 100)
}

/// One contact person.
#[derive(Debug, Clone)]
pub(crate) struct Person {
    pub(crate) first: &'static str,
    pub(crate) last: &'static str,
    pub(crate) email: String,
    pub(crate) additional_emails: Vec<String>,
    pub(crate) phone: String,
    pub(crate) mobile: Option<String>,
    pub(crate) home: Option<String>,
    pub(crate) other: Option<String>,
    pub(crate) fax: Option<String>,
    /// Assistant's name and phone.
    pub(crate) assistant: Option<(String, String)>,
    pub(crate) title: &'static str,
    pub(crate) department: &'static str,
    /// The colleague (the other person at the same company) this person reports to, when that
    /// colleague is more senior. May be past the seeded range: check before linking.
    pub(crate) reports_to: Option<usize>,
    pub(crate) address: Address,
    pub(crate) company: usize,
    pub(crate) owner: usize,
    pub(crate) lifecycle_stage: &'static str,
    pub(crate) lead_source: &'static str,
    pub(crate) favorite_color: Option<&'static str>,
    /// IANA time zone of the person's city.
    pub(crate) time_zone: &'static str,
    pub(crate) created_ms: i64,
    pub(crate) updated_ms: i64,
}

/// Person `i`; works at company `i / 2` (so `records` people fit in `records` companies).
pub(crate) fn person(i: usize) -> Person {
    let first = FIRST_NAMES[i % FIRST_NAMES.len()];
    let last = LAST_NAMES[(i / FIRST_NAMES.len() + i % FIRST_NAMES.len()) % LAST_NAMES.len()];
    let company_index = i / 2;
    let company = company(company_index);
    let email = format!("{}.{}@{}", slug(first), slug(last), company.domain);
    let additional_emails = if i % 4 == 1 {
        vec![
            format!("{}.{}@mail.example.org", slug(first), slug(last)),
            format!(
                "{}{}{}@example.net",
                slug(first).chars().next().unwrap_or('x'),
                slug(last),
                i
            ),
        ]
    } else {
        Vec::new()
    };
    let place = i % PLACES.len();
    let (title, department, seniority) = TITLES[i % TITLES.len()];
    // People come in pairs per company (`2k`, `2k + 1`); the junior one reports to the senior one.
    let colleague = i ^ 1;
    let reports_to = (TITLES[colleague % TITLES.len()].2 > seniority).then_some(colleague);
    let (lifecycle_stage, lead_source) = SOURCES[i % SOURCES.len()];
    let created_ms = epoch_ms(2021, 1, 4) + 9 * HOUR_MS + (i as i64) * (2 * HOUR_MS + 123_000);
    Person {
        first,
        last,
        additional_emails,
        phone: phone(place, i),
        mobile: i.is_multiple_of(2).then(|| phone(place, i + 50)),
        home: i.is_multiple_of(3).then(|| phone(place, i + 25)),
        other: i.is_multiple_of(5).then(|| phone(place, i + 75)),
        fax: i.is_multiple_of(7).then(|| phone(place, i + 10)),
        assistant: i.is_multiple_of(11).then(|| {
            let name = format!(
                "{} {}",
                FIRST_NAMES[(i + 7) % FIRST_NAMES.len()],
                LAST_NAMES[(i + 3) % LAST_NAMES.len()]
            );
            (name, phone(place, i + 40))
        }),
        title,
        department,
        reports_to,
        address: address(i),
        company: company_index,
        owner: i % OWNERS,
        lifecycle_stage,
        lead_source,
        favorite_color: (i % 8 != 7).then(|| COLORS[i % COLORS.len()]),
        time_zone: PLACES[place].6,
        created_ms,
        updated_ms: created_ms + ((i as i64 * 13) % 90 + 1) * DAY_MS + 17 * 60_000,
        email,
    }
}

/// One company (HubSpot company, Salesforce account).
#[derive(Debug, Clone)]
pub(crate) struct Company {
    pub(crate) name: String,
    pub(crate) domain: String,
    pub(crate) phone: String,
    pub(crate) hubspot_industry: &'static str,
    pub(crate) salesforce_industry: &'static str,
    /// HubSpot `type` and Salesforce `Type`.
    pub(crate) kind: (&'static str, &'static str),
    pub(crate) employees: u32,
    pub(crate) annual_revenue: u64,
    pub(crate) address: Address,
    pub(crate) owner: usize,
    pub(crate) tier: &'static str,
    pub(crate) description: String,
    pub(crate) created_ms: i64,
    pub(crate) updated_ms: i64,
}

/// Company `c`: names are unique for every index (a number is appended past 128).
pub(crate) fn company(c: usize) -> Company {
    let word = COMPANY_WORDS[c % COMPANY_WORDS.len()];
    let kind =
        COMPANY_KINDS[(c / COMPANY_WORDS.len() + c % COMPANY_WORDS.len()) % COMPANY_KINDS.len()];
    let round = c / (COMPANY_WORDS.len() * COMPANY_KINDS.len());
    let (name, domain) = if round == 0 {
        (
            format!("{word} {}", kind.0),
            format!("{}-{}.example.com", slug(word), slug(kind.0)),
        )
    } else {
        (
            format!("{word} {} {}", kind.0, round + 1),
            format!("{}-{}-{}.example.com", slug(word), slug(kind.0), round + 1),
        )
    };
    let kinds = [
        ("CUSTOMER", "Customer - Direct"),
        ("PROSPECT", "Prospect"),
        ("PARTNER", "Technology Partner"),
    ];
    let employees = 10 + ((c * 7919) % 500) as u32 * 10;
    let created_ms = epoch_ms(2020, 6, 1) + 10 * HOUR_MS + (c as i64) * (3 * HOUR_MS + 41_000);
    Company {
        description: format!(
            "{name} is a {} company based in {}.",
            kind.2,
            address(c + 3).city
        ),
        phone: phone(c + 3, c + 30),
        hubspot_industry: kind.1,
        salesforce_industry: kind.2,
        kind: kinds[c % kinds.len()],
        employees,
        annual_revenue: u64::from(employees) * 125_000,
        address: address(c + 3),
        owner: c % OWNERS,
        tier: ["Gold", "Silver", "Platinum", "Bronze"][c % 4],
        created_ms,
        updated_ms: created_ms + ((c as i64 * 7) % 60 + 2) * DAY_MS,
        name,
        domain,
    }
}

/// One deal (HubSpot deal, Salesforce opportunity).
#[derive(Debug, Clone)]
pub(crate) struct Deal {
    pub(crate) name: String,
    pub(crate) amount: u64,
    /// Midnight UTC of the close date.
    pub(crate) close_ms: i64,
    /// Index into [`STAGES`].
    pub(crate) stage: usize,
    pub(crate) new_business: bool,
    /// What happens next; open deals only, and not all of them.
    pub(crate) next_step: Option<&'static str>,
    pub(crate) company: usize,
    pub(crate) owner: usize,
    pub(crate) created_ms: i64,
    pub(crate) updated_ms: i64,
}

/// Deal `d` of `companies` companies.
pub(crate) fn deal(d: usize, companies: usize) -> Deal {
    let company_index = d % companies.max(1);
    let created_ms = epoch_ms(2021, 6, 1) + 11 * HOUR_MS + (d as i64) * (HOUR_MS + 1_234_000);
    let created_day = created_ms.div_euclid(DAY_MS) * DAY_MS;
    let stage = d % STAGES.len();
    let open = !STAGES[stage].3;
    Deal {
        name: format!(
            "{} - {}",
            company(company_index).name,
            PRODUCTS[d % PRODUCTS.len()]
        ),
        amount: 5_000 + ((d * 7919) % 95) as u64 * 1_000,
        close_ms: created_day + (30 + (d as i64 * 11) % 120) * DAY_MS,
        stage,
        new_business: d % 3 != 2,
        next_step: (open && d % 5 != 4).then(|| NEXT_STEPS[d % NEXT_STEPS.len()]),
        company: company_index,
        owner: (d * 3) % OWNERS,
        created_ms,
        updated_ms: created_ms + ((d as i64 * 5) % 20 + 1) * DAY_MS,
    }
}

/// One owner (HubSpot owner, Salesforce user).
#[derive(Debug, Clone)]
pub(crate) struct Owner {
    pub(crate) first: &'static str,
    pub(crate) last: &'static str,
    pub(crate) email: String,
    pub(crate) title: &'static str,
    pub(crate) department: &'static str,
    /// Office phone.
    pub(crate) phone: String,
    pub(crate) mobile: Option<String>,
    /// IANA time zone of the owner's office.
    pub(crate) time_zone: &'static str,
    /// The owner this one reports to (none for the sales director, owner 0).
    pub(crate) manager: Option<usize>,
    pub(crate) created_ms: i64,
    pub(crate) updated_ms: i64,
}

/// Owner `j` (`j < OWNERS`, wrapping otherwise).
pub(crate) fn owner(j: usize) -> Owner {
    let k = j % OWNERS;
    let (first, last, title, department, place) = OWNER_NAMES[k];
    let created_ms = epoch_ms(2019, 3, 11) + 15 * HOUR_MS + (j as i64) * 5 * DAY_MS;
    Owner {
        first,
        last,
        email: format!("{}.{}@northwind-sales.example.com", slug(first), slug(last)),
        title,
        department,
        phone: phone(place, 60 + k),
        mobile: (k % 3 != 2).then(|| phone(place, 80 + k)),
        time_zone: PLACES[place % PLACES.len()].6,
        manager: (k != 0).then_some(0),
        created_ms,
        updated_ms: created_ms + 200 * DAY_MS,
    }
}

/// (subject, ticket type, the customer's first message, the agent's reply, tag).
const TICKET_TOPICS: [(&str, &str, &str, &str, &str); 10] = [
    (
        "Cannot log in after a password reset",
        "incident",
        "I reset my password this morning and now the login page says my credentials are wrong.",
        "Sorry about that! I cleared the lockout on your account; please try again with the new password.",
        "login",
    ),
    (
        "Invoice shows the wrong amount",
        "question",
        "Our latest invoice charges for 40 seats but we only have 32 active users.",
        "Thanks for flagging this. The invoice counted deactivated users; a corrected invoice is on its way.",
        "billing",
    ),
    (
        "CSV export times out",
        "problem",
        "Exporting all contacts to CSV spins for a few minutes and then fails with a timeout.",
        "We can reproduce the timeout on large exports and have linked this to a known problem.",
        "export",
    ),
    (
        "How do I add a new user?",
        "question",
        "We hired a new team member. Where do I invite them?",
        "Go to Settings, then Users, and click Invite. They will get an email with a sign-up link.",
        "how_to",
    ),
    (
        "API returns 500 on bulk update",
        "incident",
        "Since yesterday our nightly bulk update fails with HTTP 500 on about one request in ten.",
        "Our engineers found a faulty node behind the bulk endpoint and took it out of rotation.",
        "api",
    ),
    (
        "Feature request: dark mode",
        "task",
        "Several of our agents work night shifts and would love a dark theme.",
        "Thanks, I added your vote to the dark mode request and will update you when it ships.",
        "feature_request",
    ),
    (
        "Calendar sync stopped working",
        "incident",
        "Meetings booked in the app no longer show up in our Google calendars.",
        "The calendar connection expired. Reconnecting it under Settings, then Integrations, fixes this.",
        "integrations",
    ),
    (
        "Upgrade our plan to more seats",
        "task",
        "We would like to move to the next tier and add 15 seats from next month.",
        "Done: your plan changes on the first of the month and the extra seats are already active.",
        "sales",
    ),
    (
        "Two-factor codes not arriving",
        "incident",
        "None of our users receive their two-factor codes by text message today.",
        "Our SMS provider had an outage in your region; codes are being delivered again.",
        "security",
    ),
    (
        "Question about data retention",
        "question",
        "How long do you keep deleted records, and can we shorten that period?",
        "Deleted records are kept for 30 days. An admin can purge them sooner from the trash.",
        "compliance",
    ),
];
/// Ticket statuses in seeding order; `new` tickets have no assignee yet.
const TICKET_STATUSES: [&str; 6] = ["new", "open", "pending", "hold", "solved", "closed"];
const TICKET_PRIORITIES: [Option<&str>; 5] = [
    Some("low"),
    Some("normal"),
    Some("high"),
    Some("urgent"),
    None,
];
/// Values of the seeded `Plan` ticket field.
pub(crate) const PLANS: [&str; 3] = ["free", "pro", "enterprise"];

/// One comment of a seeded ticket.
#[derive(Debug, Clone)]
pub(crate) struct TicketComment {
    /// Written by the requester (otherwise by the assignee).
    pub(crate) by_requester: bool,
    pub(crate) body: String,
    pub(crate) public: bool,
    pub(crate) created_ms: i64,
}

/// One support ticket (Zendesk), raised by a seeded person and handled by an owner.
#[derive(Debug, Clone)]
pub(crate) struct Ticket {
    /// Index of the person who raised it.
    pub(crate) requester: usize,
    /// Index of the owner working on it (none while `new`).
    pub(crate) assignee: Option<usize>,
    pub(crate) subject: &'static str,
    /// `question`, `incident`, `problem` or `task`.
    pub(crate) kind: &'static str,
    pub(crate) status: &'static str,
    pub(crate) priority: Option<&'static str>,
    pub(crate) tags: Vec<&'static str>,
    /// The first comment is the ticket's description.
    pub(crate) comments: Vec<TicketComment>,
    /// Custom field values: order number, plan, seats, escalated.
    pub(crate) order_number: String,
    pub(crate) plan: &'static str,
    pub(crate) seats: u32,
    pub(crate) escalated: bool,
    pub(crate) created_ms: i64,
    pub(crate) updated_ms: i64,
}

/// Ticket `t` of `people` seeded people.
pub(crate) fn ticket(t: usize, people: usize) -> Ticket {
    let (subject, kind, question, answer, tag) = TICKET_TOPICS[t % TICKET_TOPICS.len()];
    let status = TICKET_STATUSES[t % TICKET_STATUSES.len()];
    let priority = TICKET_PRIORITIES[t % TICKET_PRIORITIES.len()];
    let created_ms = epoch_ms(2022, 3, 1) + 8 * HOUR_MS + (t as i64) * (5 * HOUR_MS + 17 * 60_000);
    let step = 3 * HOUR_MS + 11 * 60_000;
    let mut comments = vec![TicketComment {
        by_requester: true,
        body: question.to_owned(),
        public: true,
        created_ms,
    }];
    if status != "new" {
        comments.push(TicketComment {
            by_requester: false,
            body: answer.to_owned(),
            public: true,
            created_ms: created_ms + step,
        });
        if t % 2 == 1 {
            let (by_requester, body, public) = if t % 4 == 1 {
                (true, "Thanks, that solved it for us.".to_owned(), true)
            } else {
                (
                    false,
                    "Internal note: checked with engineering before replying.".to_owned(),
                    false,
                )
            };
            comments.push(TicketComment {
                by_requester,
                body,
                public,
                created_ms: created_ms + 2 * step,
            });
        }
    }
    let updated_ms = comments.last().map_or(created_ms, |c| c.created_ms) + 7 * 60_000;
    let plan = PLANS[t % PLANS.len()];
    Ticket {
        requester: t % people.max(1),
        assignee: (status != "new").then_some((t * 3) % OWNERS),
        subject,
        kind,
        status,
        priority,
        tags: vec![tag, plan],
        comments,
        order_number: format!("SO-{:05}", 10_000 + t * 7),
        plan,
        seats: 5 + ((t * 13) % 200) as u32,
        escalated: priority == Some("urgent"),
        created_ms,
        updated_ms,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn emails_and_company_names_are_unique() {
        let emails: HashSet<_> = (0..2000).map(|i| person(i).email).collect();
        assert_eq!(emails.len(), 2000);
        let names: HashSet<_> = (0..1000).map(|c| company(c).name).collect();
        assert_eq!(names.len(), 1000);
    }

    #[test]
    fn seed_is_deterministic() {
        let a = person(42);
        let b = person(42);
        assert_eq!(
            (a.first, a.last, a.email, a.phone),
            (b.first, b.last, b.email, b.phone)
        );
        assert_eq!(person(6).last, "O'Brien");
        assert_eq!(person(6).email, "sophia.obrien@northwind-foods.example.com");
    }
}
