//! Word lists of the synthetic hospital: Dutch surnames, departments and their staff mix.

/// Common Dutch surnames, most frequent first (CBS order, roughly); prefixes kept as
/// they are written after an initial (`de Jong, A.`).
pub const SURNAMES: &[&str] = &[
    "de Jong",
    "Jansen",
    "de Vries",
    "van den Berg",
    "van Dijk",
    "Bakker",
    "Janssen",
    "Visser",
    "Smit",
    "Meijer",
    "de Boer",
    "Mulder",
    "de Groot",
    "Bos",
    "Vos",
    "Peters",
    "Hendriks",
    "van Leeuwen",
    "Dekker",
    "Brouwer",
    "de Wit",
    "Dijkstra",
    "Smits",
    "de Graaf",
    "van der Meer",
    "van der Linden",
    "Kok",
    "Jacobs",
    "de Haan",
    "Vermeulen",
    "van den Heuvel",
    "van der Veen",
    "van den Broek",
    "de Bruijn",
    "de Bruin",
    "van der Heijden",
    "Schouten",
    "van Beek",
    "Willems",
    "van Vliet",
    "van de Ven",
    "Hoekstra",
    "Maas",
    "Verhoeven",
    "Koster",
    "van Dam",
    "van der Wal",
    "Prins",
    "Blom",
    "Huisman",
    "Peeters",
    "de Jonge",
    "Kuipers",
    "van Veen",
    "Post",
    "Kuiper",
    "Veenstra",
    "Kramer",
    "van den Brink",
    "Scholten",
    "van Wijk",
    "Postma",
    "Martens",
    "Vink",
    "de Ruiter",
    "Timmermans",
    "Groen",
    "Gerritsen",
    "Jonker",
    "van Loon",
    "Boer",
    "van der Velde",
    "Willemsen",
    "Smeets",
    "de Lange",
    "de Vos",
    "Bosch",
    "van Dongen",
    "Schipper",
    "de Koning",
    "van der Laan",
    "Koning",
    "van der Velden",
    "Driessen",
    "van Doorn",
    "Hermans",
    "Evers",
    "van den Bosch",
    "van der Meulen",
    "Hofman",
    "Bosman",
    "Wouters",
    "Sluiter",
    "Baas",
    "Wolters",
    "Yilmaz",
    "El Amrani",
    "Kaya",
    "Nguyen",
    "Pinas",
];

/// Initials for staff names.
pub const INITIALS: &[u8] = b"ABCDEFGHIJKLMNOPRSTWY";

/// What a department does, which decides who works there and when.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeptKind {
    /// A ward: patients are admitted here (episodes), nurses work shifts.
    Ward,
    /// Emergency and intensive care: like a ward, and doctors work shifts too.
    Acute,
    /// Radiology and pharmacy: consulted on other departments' patients.
    Consult,
    /// Application management and information security: no patients of their own.
    Admin,
}

/// A department: its name (as in `access.department`), kind and relative size.
#[derive(Debug, Clone, Copy)]
pub struct Dept {
    /// Name in the log and the directory.
    pub name: &'static str,
    /// What it does.
    pub kind: DeptKind,
    /// Share of the clinical staff.
    pub weight: u32,
}

/// The departments; admin departments last.
pub const DEPARTMENTS: &[Dept] = &[
    dept("cardiologie", DeptKind::Ward, 10),
    dept("chirurgie", DeptKind::Ward, 12),
    dept("interne-geneeskunde", DeptKind::Ward, 14),
    dept("kindergeneeskunde", DeptKind::Ward, 7),
    dept("neurologie", DeptKind::Ward, 7),
    dept("oncologie", DeptKind::Ward, 9),
    dept("psychiatrie", DeptKind::Ward, 6),
    dept("verloskunde", DeptKind::Ward, 5),
    dept("intensive-care", DeptKind::Acute, 6),
    dept("spoedeisende-hulp", DeptKind::Acute, 8),
    dept("radiologie", DeptKind::Consult, 6),
    dept("apotheek", DeptKind::Consult, 3),
    dept("functioneel-beheer", DeptKind::Admin, 0),
    dept("informatiebeveiliging", DeptKind::Admin, 0),
];

const fn dept(name: &'static str, kind: DeptKind, weight: u32) -> Dept {
    Dept { name, kind, weight }
}

/// Index of the application-management department in [`DEPARTMENTS`].
pub const FUNCTIONEEL_BEHEER: usize = 12;
/// Index of the information-security department in [`DEPARTMENTS`].
pub const INFORMATIEBEVEILIGING: usize = 13;

/// Justifications given for break-the-glass accesses.
pub const JUSTIFICATIONS: &[&str] = &[
    "Acute opvang SEH, patient niet aanspreekbaar",
    "Reanimatie, medicatiegegevens nodig",
    "Dienstwaarneming nacht, behandelaar niet bereikbaar",
    "Spoedoverplaatsing van andere afdeling",
];
