//! A realistic policy of any size, and realistic requests against it.
//!
//! Used by the decision benchmark (`zegel-bench-authz`, 110,000 lines) and by the test
//! that compares the indexed decisions with one Casbin Enforcer holding every line. Each
//! organisation has hospital-wide rules per role, rules per department for
//! department-scoped roles (`arts@cardiologie`), a few deny rules and `g` lines for head
//! nurses; organisations differ in their number of departments (8 to 16).

use super::decision::Query;

/// Roles that occur in the generated policy.
pub const ROLES: [&str; 8] = [
    "arts",
    "verpleegkundige",
    "hoofdverpleegkundige",
    "apotheker",
    "secretaresse",
    "functioneel-beheerder",
    "security-officer",
    "stagiair",
];

/// Departments; organisation `i` has the first `8 + i % 9`.
pub const DEPARTMENTS: [&str; 16] = [
    "cardiologie",
    "spoedeisende-hulp",
    "interne-geneeskunde",
    "chirurgie",
    "kindergeneeskunde",
    "neurologie",
    "oncologie",
    "psychiatrie",
    "orthopedie",
    "longziekten",
    "verloskunde",
    "intensive-care",
    "radiologie",
    "urologie",
    "dermatologie",
    "geriatrie",
];

type Row = (
    &'static str,
    &'static str,
    &'static [&'static str],
    &'static str,
);

/// Rules for a role anywhere in the organisation.
const ORGANISATION: [Row; 27] = [
    ("arts", "ecd:Patient", &["read", "search"], "allow"),
    ("arts", "ecd:Observation", &["read", "search"], "allow"),
    ("arts", "ecd:Condition", &["read", "search"], "allow"),
    (
        "arts",
        "ecd:MedicationRequest",
        &["read", "search"],
        "allow",
    ),
    ("arts", "ecd:Encounter", &["read", "search"], "allow"),
    (
        "arts",
        "ecd:AllergyIntolerance",
        &["read", "search"],
        "allow",
    ),
    ("arts", "ecd:DiagnosticReport", &["read", "search"], "allow"),
    ("arts", "ecd:DocumentReference", &["read"], "allow"),
    ("arts", "ecd:Procedure", &["read"], "allow"),
    ("arts", "portaal:berichten", &["read", "create"], "allow"),
    (
        "verpleegkundige",
        "ecd:Patient",
        &["read", "search"],
        "allow",
    ),
    (
        "verpleegkundige",
        "ecd:AllergyIntolerance",
        &["read"],
        "allow",
    ),
    ("verpleegkundige", "ecd:Encounter", &["read"], "allow"),
    ("verpleegkundige", "portaal:berichten", &["read"], "allow"),
    ("apotheker", "ecd:Patient", &["read"], "allow"),
    (
        "apotheker",
        "ecd:MedicationRequest",
        &["read", "search", "update"],
        "allow",
    ),
    (
        "apotheker",
        "ecd:MedicationDispense",
        &["read", "create"],
        "allow",
    ),
    ("apotheker", "ecd:AllergyIntolerance", &["read"], "allow"),
    (
        "secretaresse",
        "ecd:Patient",
        &["read", "search", "update"],
        "allow",
    ),
    (
        "secretaresse",
        "portaal:afspraken",
        &["read", "create", "update", "delete"],
        "allow",
    ),
    ("secretaresse", "ecd:Observation", &["read"], "deny"),
    (
        "functioneel-beheerder",
        "beheer:gebruikers",
        &["GET", "POST", "PUT", "DELETE"],
        "allow",
    ),
    (
        "functioneel-beheerder",
        "ecd:Patient",
        &["read", "search"],
        "deny",
    ),
    (
        "security-officer",
        "zegel:toegangslog",
        &["read", "search"],
        "allow",
    ),
    ("stagiair", "ecd:Patient", &["read"], "allow"),
    ("stagiair", "ecd:MedicationRequest", &["create"], "deny"),
    ("stagiair", "ecd:Condition", &["update"], "deny"),
];

/// Rules for a role within one department (subject `role@department`).
const DEPARTMENT: [Row; 12] = [
    ("arts", "ecd:Observation", &["create", "update"], "allow"),
    ("arts", "ecd:Condition", &["create", "update"], "allow"),
    ("arts", "ecd:MedicationRequest", &["create"], "allow"),
    ("arts", "ecd:Procedure", &["create"], "allow"),
    ("arts", "ecd:DiagnosticReport", &["create"], "allow"),
    ("arts", "ecd:DocumentReference", &["create"], "allow"),
    (
        "verpleegkundige",
        "ecd:Observation",
        &["read", "search", "create"],
        "allow",
    ),
    (
        "verpleegkundige",
        "ecd:CarePlan",
        &["read", "update"],
        "allow",
    ),
    (
        "verpleegkundige",
        "ecd:MedicationAdministration",
        &["read", "create"],
        "allow",
    ),
    (
        "hoofdverpleegkundige",
        "ecd:Observation",
        &["update"],
        "allow",
    ),
    ("hoofdverpleegkundige", "ecd:CarePlan", &["create"], "allow"),
    (
        "secretaresse",
        "ecd:Appointment",
        &["read", "create", "update"],
        "allow",
    ),
];

/// A generated policy.
#[derive(Debug, Clone)]
pub struct Generated {
    /// The policy CSV.
    pub text: String,
    /// Rule lines in it (`p` and `g`).
    pub lines: usize,
    /// Organisations `0..organisations` (see [`organisation`]) occur in it.
    pub organisations: usize,
}

/// The identifier of organisation `i`.
pub fn organisation(i: usize) -> String {
    format!("ura:{:08}", 10_000_000 + i * 7)
}

/// The departments of organisation `i`.
pub fn departments(i: usize) -> &'static [&'static str] {
    &DEPARTMENTS[..8 + i % 9]
}

/// A policy of exactly `lines` rule lines (the last organisation may be cut short).
pub fn policy(lines: usize) -> Generated {
    let mut out = Generated {
        text: String::new(),
        lines: 0,
        organisations: 0,
    };
    while out.lines < lines {
        for line in organisation_lines(out.organisations)
            .into_iter()
            .take(lines - out.lines)
        {
            out.text.push_str(&line);
            out.text.push('\n');
            out.lines += 1;
        }
        out.organisations += 1;
    }
    out
}

fn organisation_lines(i: usize) -> Vec<String> {
    let org = organisation(i);
    let mut lines = vec![format!("g, hoofdverpleegkundige, verpleegkundige, {org}")];
    lines.extend(rows(&ORGANISATION, &org, ""));
    for dept in departments(i) {
        let scoped = format!("@{dept}");
        let (head, nurse) = ("hoofdverpleegkundige", "verpleegkundige");
        lines.push(format!("g, {head}{scoped}, {nurse}{scoped}, {org}"));
        lines.extend(rows(&DEPARTMENT, &org, &scoped));
    }
    lines
}

fn rows<'a>(table: &'a [Row], org: &'a str, scope: &'a str) -> impl Iterator<Item = String> + 'a {
    table.iter().flat_map(move |(role, obj, acts, eft)| {
        acts.iter()
            .map(move |act| format!("p, {role}{scope}, {org}, {obj}, {act}, {eft}"))
    })
}

/// Every (object, action) that occurs in the generated policy.
pub fn object_actions() -> Vec<(&'static str, &'static str)> {
    let mut pairs: Vec<_> = ORGANISATION
        .iter()
        .chain(DEPARTMENT.iter())
        .flat_map(|(_, obj, acts, _)| acts.iter().map(move |act| (*obj, *act)))
        .collect();
    pairs.sort_unstable();
    pairs.dedup();
    pairs
}

/// A small deterministic random generator (splitmix64): benchmarks and tests must see
/// the same requests on every run.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    /// A generator started from `seed`.
    pub fn new(seed: u64) -> Self {
        Self(seed)
    }

    /// The next number in `0..n` (`n` > 0).
    pub fn below(&mut self, n: usize) -> usize {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        ((z ^ (z >> 31)) % n as u64) as usize
    }

    fn pick<T: Copy>(&mut self, items: &[T]) -> T {
        items[self.below(items.len())]
    }
}

/// An owned request; [`Request::query`] borrows it as a [`Query`].
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Request {
    /// Roles from the token.
    pub roles: Vec<String>,
    /// Department from the token.
    pub department: Option<String>,
    /// Organisation.
    pub domain: String,
    /// Object.
    pub object: String,
    /// Action.
    pub action: String,
}

impl Request {
    /// A random request to one of the first `organisations` organisations: one role, or
    /// two in three cases out of ten; a department in nine out of ten; an (object,
    /// action) from `pairs`.
    pub fn random(rng: &mut Rng, organisations: usize, pairs: &[(&str, &str)]) -> Self {
        let org = rng.below(organisations);
        let mut roles = vec![rng.pick(&ROLES).to_string()];
        if rng.below(10) < 3 {
            roles.push(rng.pick(&ROLES).to_string());
        }
        let department = (rng.below(10) < 9).then(|| rng.pick(departments(org)).to_string());
        let (object, action) = rng.pick(pairs);
        let (object, action) = (object.to_string(), action.to_string());
        Self {
            roles,
            department,
            domain: organisation(org),
            object,
            action,
        }
    }

    /// This request as the decision stage's input.
    pub fn query(&self) -> Query<'_> {
        Query {
            roles: &self.roles,
            department: self.department.as_deref(),
            domain: &self.domain,
            object: &self.object,
            action: &self.action,
        }
    }
}
