//! Every word a report shows, in Dutch and English: titles, why each section exists,
//! what "no findings" means, the sentence that says why a row was flagged, and column
//! names. CSV and JSON keep the SQL column names, so scripts do not depend on language.

use super::compliance;
use crate::cli::{Lang, ReportName};

/// Which text of a section.
#[derive(Debug, Clone, Copy)]
pub enum Text {
    /// Heading.
    Title,
    /// Why the section exists.
    Why,
    /// Said when it has no rows.
    Empty,
}

/// `[dutch, english]`.
pub(crate) type Pair = [&'static str; 2];

/// The words of one section.
pub(crate) struct SectionText {
    pub(crate) id: &'static str,
    pub(crate) title: Pair,
    pub(crate) why: Pair,
    pub(crate) empty: Pair,
    pub(crate) reason: Option<Pair>,
}

/// The section texts of every report: these and the compliance pack's.
fn sections() -> impl Iterator<Item = &'static SectionText> {
    SECTIONS.iter().chain(compliance::texts::SECTIONS)
}

/// The word of `p` in `lang`.
pub(crate) fn pick(lang: Lang, p: &Pair) -> &'static str {
    match lang {
        Lang::Nl => p[0],
        Lang::En => p[1],
    }
}

/// A section's title, explanation or empty text.
pub fn get(lang: Lang, id: &str, which: Text) -> String {
    let Some(t) = sections().find(|t| t.id == id) else {
        return id.to_owned();
    };
    let p = match which {
        Text::Title => &t.title,
        Text::Why => &t.why,
        Text::Empty => &t.empty,
    };
    pick(lang, p).to_owned()
}

/// The sentence saying why a row of section `id` is listed, with `{column}` tags.
pub fn reason(lang: Lang, id: &str) -> Option<String> {
    let t = sections().find(|t| t.id == id)?;
    t.reason.as_ref().map(|p| pick(lang, p).to_owned())
}

/// Whether every section id has its texts (for tests).
pub fn known(id: &str) -> bool {
    sections().any(|t| t.id == id)
}

/// The title of a report.
pub fn report_title(lang: Lang, name: ReportName) -> &'static str {
    let p: Pair = match name {
        ReportName::PatientAccess => ["Wie heeft uw dossier ingezien", "Who accessed your record"],
        ReportName::EmployeeAccess => ["Toegang per medewerker", "Access by one employee"],
        ReportName::Daily => ["Dagoverzicht per medewerker", "Daily overview per employee"],
        ReportName::RecordAccess => ["Toegang tot één dossier", "Access to one record"],
        ReportName::Review => ["Systematische logcontrole", "Systematic log review"],
        ReportName::Adoption => ["Gebruik van e-health", "Adoption of e-health"],
        ReportName::Compliance => [
            "Bewijsdossier toegangslogging",
            "Access logging evidence pack",
        ],
    };
    pick(lang, &p)
}

/// Words of the report frame.
pub fn word(lang: Lang, key: &str) -> &'static str {
    let p: Pair = match key {
        "patient" => ["patiënt", "patient"],
        "user" => ["medewerker", "employee"],
        "period" => ["Periode", "Period"],
        "whole-log" => ["het hele log", "the whole log"],
        "from" => ["vanaf", "from"],
        "until" => ["tot en met", "up to and including"],
        "timezone" => ["tijdzone", "time zone"],
        "sources" => ["Bronnen", "Sources"],
        "generated" => ["Gemaakt op", "Generated at"],
        "subject" => ["Betreft", "Subject"],
        "rows" => ["rijen", "rows"],
        "more" => [
            "meer rijen niet getoond; gebruik --format csv of --max-rows",
            "more rows not shown; use --format csv or --max-rows",
        ],
        "yes" => ["ja", "yes"],
        "no" => ["nee", "no"],
        "contents" => ["Inhoud", "Contents"],
        "verdict" => ["Oordeel", "Verdict"],
        "footer" => [
            "Gemaakt door zegel-analyzer uit het toegangslog (NEN 7513). De SQL van elk onderdeel staat in docs/reports.md.",
            "Made by zegel-analyzer from the access log (NEN 7513). The SQL of every section is in docs/reports.md.",
        ],
        _ => ["?", "?"],
    };
    pick(lang, &p)
}

/// Said for an empty value in a reason sentence.
pub fn none(lang: Lang) -> &'static str {
    pick(lang, &["(geen)", "(none)"])
}

/// The note of a section skipped for missing directory tables.
pub fn skipped(lang: Lang, flags: &str) -> String {
    match lang {
        Lang::Nl => format!("Niet uitgevoerd: deze controle heeft {flags} nodig."),
        Lang::En => format!("Not run: this check needs {flags}."),
    }
}

/// The note of the patient view when employees are hidden.
pub fn employees_hidden(lang: Lang) -> &'static str {
    pick(
        lang,
        &[
            "Namen en nummers van medewerkers worden niet getoond, alleen hun rol, organisatie en afdeling.",
            "Employee names and ids are not shown, only their role, organisation and department.",
        ],
    )
}

/// The NEN 7513 action code in words (patient view).
pub fn action(lang: Lang, code: &str) -> Option<&'static str> {
    let p: Pair = match code {
        "C" => ["toegevoegd", "created"],
        "R" => ["ingezien", "read"],
        "U" => ["gewijzigd", "updated"],
        "D" => ["verwijderd", "deleted"],
        "E" => ["gezocht / uitgevoerd", "searched / executed"],
        _ => return None,
    };
    Some(pick(lang, &p))
}

/// Column names for tables and HTML.
pub fn column(lang: Lang, name: &str) -> String {
    (COLUMNS.iter().chain(compliance::texts::COLUMNS))
        .find(|c| c.0 == name)
        .map_or_else(|| name.to_owned(), |c| pick(lang, &c.1).to_owned())
}

const COLUMNS: &[(&str, Pair)] = &[
    ("time", ["tijdstip", "time"]),
    ("day", ["dag", "day"]),
    ("first_time", ["eerste", "first"]),
    ("last_time", ["laatste", "last"]),
    ("organisation", ["organisatie", "organisation"]),
    ("role", ["rol", "role"]),
    ("department", ["afdeling", "department"]),
    ("own_department", ["eigen afdeling", "own department"]),
    (
        "responsible_user",
        ["verantwoordelijke", "responsible user"],
    ),
    ("user_id", ["medewerker", "user"]),
    ("user_name", ["naam", "name"]),
    ("name", ["naam", "name"]),
    ("application", ["applicatie", "application"]),
    ("data", ["gegevens", "data"]),
    ("resource_type", ["gegevens", "resource"]),
    ("resource_id", ["id gegevens", "resource id"]),
    ("resources", ["gegevens", "resources"]),
    ("interaction", ["handeling", "interaction"]),
    ("interactions", ["handelingen", "interactions"]),
    ("action", ["actie", "action"]),
    ("decision", ["besluit", "decision"]),
    ("emergency", ["noodprocedure", "emergency"]),
    ("justification", ["reden noodprocedure", "justification"]),
    ("purpose_of_use", ["doel", "purpose"]),
    ("times", ["aantal", "times"]),
    ("records", ["records", "records"]),
    ("patients", ["patiënten", "patients"]),
    ("patient_id", ["patiënt", "patient"]),
    ("surname", ["achternaam", "surname"]),
    ("denied", ["geweigerd", "denied"]),
    ("would_deny", ["zou geweigerd", "would deny"]),
    ("attempts", ["pogingen", "attempts"]),
    ("emergencies", ["noodprocedure", "emergency uses"]),
    ("bytes_sent", ["bytes verstuurd", "bytes sent"]),
    ("access_point", ["toegangspunt", "access point"]),
    ("rule", ["regel", "rule"]),
    ("reason", ["reden", "reason"]),
    ("refusal", ["reden weigering", "refusal reason"]),
    ("peer_median", ["mediaan collega's", "peer median"]),
    ("peer_mad", ["MAD collega's", "peer MAD"]),
    ("peers", ["collega's", "peers"]),
    ("threshold", ["drempel", "threshold"]),
    ("usual_median", ["gebruikelijke mediaan", "usual median"]),
    ("usual_mad", ["gebruikelijke MAD", "usual MAD"]),
    ("history_days", ["dagen historie", "history days"]),
    ("users", ["medewerkers", "users"]),
    ("weekend", ["weekend", "weekend"]),
    ("period_start", ["periode", "period"]),
    ("active_users", ["actieve gebruikers", "active users"]),
    ("new_users", ["nieuwe gebruikers", "new users"]),
    (
        "returning_users",
        ["terugkerende gebruikers", "returning users"],
    ),
    ("staff_in_role", ["medewerkers in rol", "staff in role"]),
    (
        "share_of_staff",
        ["aandeel van rol (%)", "share of role (%)"],
    ),
    ("requests", ["verzoeken", "requests"]),
    (
        "requests_per_user",
        ["verzoeken per gebruiker", "requests per user"],
    ),
];

const SECTIONS: &[SectionText] = &[
    SectionText {
        id: "patient-access.accesses",
        title: ["Inzage in uw dossier", "Access to your record"],
        why: [
            "U heeft het recht te weten wie uw medisch dossier heeft ingezien (Wabvpz art. 15e, NEN 7513 hoofdstuk 9). Hieronder staat elke toegang: wanneer, door welke organisatie en rol, welke gegevens en welke handeling, en of de noodprocedure is gebruikt. Gelijke handelingen op één dag zijn samengevoegd; 'aantal' zegt hoe vaak.",
            "You have the right to know who accessed your medical record (Wabvpz art. 15e, NEN 7513 chapter 9). Every access is listed below: when, by which organisation and role, which data and which action, and whether the emergency procedure was used. Similar actions on one day are merged; 'times' says how often.",
        ],
        empty: [
            "In deze periode heeft niemand uw dossier ingezien.",
            "Nobody accessed your record in this period.",
        ],
        reason: None,
    },
    SectionText {
        id: "patient-access.denied",
        title: ["Geweigerde pogingen", "Refused attempts"],
        why: [
            "Pogingen om uw dossier in te zien die door het systeem zijn geweigerd. Er zijn dan geen gegevens getoond.",
            "Attempts to access your record that the system refused. No data was shown.",
        ],
        empty: [
            "Er waren geen geweigerde pogingen.",
            "There were no refused attempts.",
        ],
        reason: None,
    },
    SectionText {
        id: "employee-access.days",
        title: ["Per dag", "Per day"],
        why: [
            "Hoeveel records en patiënten deze medewerker per dag opende, hoe vaak toegang werd geweigerd en hoe vaak de noodprocedure werd gebruikt (NEN 7513 hoofdstuk 9, overzicht per medewerker).",
            "How many records and patients this employee opened per day, how often access was refused and how often the emergency procedure was used (NEN 7513 chapter 9, view per employee).",
        ],
        empty: [
            "Geen activiteit in deze periode.",
            "No activity in this period.",
        ],
        reason: None,
    },
    SectionText {
        id: "employee-access.patients",
        title: ["Per patiënt", "Per patient"],
        why: [
            "Welke dossiers deze medewerker opende, met de soorten gegevens.",
            "Which records this employee opened, with the kinds of data.",
        ],
        empty: ["Geen patiënten geopend.", "No patients opened."],
        reason: None,
    },
    SectionText {
        id: "employee-access.records",
        title: ["Alle handelingen", "Every action"],
        why: [
            "Elke logregel van deze medewerker, op tijd: patiënt, gegevens, handeling en besluit.",
            "Every log line of this employee, in time order: patient, data, action and decision.",
        ],
        empty: ["Geen handelingen.", "No actions."],
        reason: None,
    },
    SectionText {
        id: "daily.days",
        title: ["Per medewerker per dag", "Per employee per day"],
        why: [
            "Het dagoverzicht van NEN 7513 hoofdstuk 9: per medewerker per dag het aantal geopende records en patiënten, geweigerde pogingen, gebruik van de noodprocedure en de verstuurde gegevens (bytes van de antwoorden).",
            "The daily overview of NEN 7513 chapter 9: per employee per day the records and patients opened, refused attempts, emergency uses and the data sent out (response bytes).",
        ],
        empty: ["Geen toegang in deze periode.", "No access in this period."],
        reason: None,
    },
    SectionText {
        id: "record-access.users",
        title: ["Medewerkers", "Employees"],
        why: [
            "Wie dit dossier heeft geopend of probeerde te openen, met aantallen (NEN 7513 hoofdstuk 9, overzicht per dossier).",
            "Who opened or tried to open this record, with counts (NEN 7513 chapter 9, view per record).",
        ],
        empty: [
            "Niemand heeft dit dossier geopend.",
            "Nobody opened this record.",
        ],
        reason: None,
    },
    SectionText {
        id: "record-access.records",
        title: ["Alle toegang", "Every access"],
        why: [
            "Elke logregel over dit dossier, ook geweigerde, met medewerker, rol, afdeling en besluit.",
            "Every log line about this record, refused ones included, with employee, role, department and decision.",
        ],
        empty: ["Geen toegang in deze periode.", "No access in this period."],
        reason: None,
    },
    SectionText {
        id: "review.emergency",
        title: [
            "Noodprocedure (break-the-glass)",
            "Emergency procedure (break-the-glass)",
        ],
        why: [
            "Elk gebruik van de noodprocedure wordt beoordeeld: de procedure omzeilt de normale autorisatie (NEN 7513 hoofdstuk 6). In de Bravis-zaak (Rb. Zeeland-West-Brabant 2022) opende een secretaresse zo 379 keer dossiers.",
            "Every use of the emergency procedure is reviewed: it bypasses normal access control (NEN 7513 chapter 6). In the Bravis case (Rb. Zeeland-West-Brabant 2022) a secretary opened records this way 379 times.",
        ],
        empty: [
            "De noodprocedure is in deze periode niet gebruikt.",
            "The emergency procedure was not used in this period.",
        ],
        reason: Some([
            "{user_id} gebruikte de noodprocedure voor patiënt {patient_id}; opgegeven reden: {justification}.",
            "{user_id} used the emergency procedure for patient {patient_id}; justification given: {justification}.",
        ]),
    },
    SectionText {
        id: "review.denied",
        title: [
            "Geweigerde pogingen per medewerker",
            "Refused attempts per employee",
        ],
        why: [
            "Geweigerde toegang (deny, en would-deny in auditmodus) kan nieuwsgierigheid of een verkeerde autorisatie betekenen (NEN 7510 12.4.1, ISO 27002:2022 8.15).",
            "Refused access (deny, and would-deny in audit mode) can mean curiosity or a wrong authorisation (NEN 7510 12.4.1, ISO 27002:2022 8.15).",
        ],
        empty: [
            "Er zijn geen pogingen geweigerd.",
            "No attempts were refused.",
        ],
        reason: Some([
            "{user_id} kreeg {attempts} keer geen toegang, bij {patients} patiënt(en).",
            "{user_id} was refused {attempts} times, for {patients} patient(s).",
        ]),
    },
    SectionText {
        id: "review.care-relation",
        title: [
            "Toegang zonder behandelrelatie",
            "Access without a care relation",
        ],
        why: [
            "Alleen wie bij de behandeling betrokken is, mag een dossier inzien. Een toegang telt als verklaard wanneer de medewerker of zijn afdeling (als team) die dag een behandelrelatie met de patiënt had (care_relations, valid_from t/m valid_to).",
            "Only those involved in treatment may open a record. An access is explained when the employee, or their department as a team, had a care relation with the patient on that day (care_relations, valid_from to valid_to inclusive).",
        ],
        empty: [
            "Alle toegang had een behandelrelatie.",
            "Every access had a care relation.",
        ],
        reason: Some([
            "{user_id} ({department}) opende op {day} het dossier van {patient_id} zonder behandelrelatie van medewerker of afdeling.",
            "{user_id} ({department}) opened the record of {patient_id} on {day} without a care relation of the employee or the department.",
        ]),
    },
    SectionText {
        id: "review.surname",
        title: ["Zelfde achternaam", "Same surname"],
        why: [
            "Toegang tot het dossier van iemand met dezelfde achternaam kan toegang tot familie of het eigen dossier zijn. Vergeleken wordt het laatste woord van de achternaam (bij 'Jansen, A.' het deel vóór de komma), zonder hoofdletters.",
            "Access to the record of someone with the same surname can be access to family or to one's own record. The last word of the surname is compared (for 'Jansen, A.' the part before the comma), ignoring case.",
        ],
        empty: [
            "Geen toegang tot dossiers met dezelfde achternaam.",
            "No access to records with the same surname.",
        ],
        reason: Some([
            "{user_id} ({name}) opende op {day} het dossier van {patient_id} met dezelfde achternaam ({surname}).",
            "{user_id} ({name}) opened the record of {patient_id} with the same surname ({surname}) on {day}.",
        ]),
    },
    SectionText {
        id: "review.vip",
        title: ["VIP-dossiers", "VIP records"],
        why: [
            "Dossiers van bekende personen (patients.vip) trekken nieuwsgierigheid; elke toegang wordt beoordeeld.",
            "Records of well-known people (patients.vip) attract curiosity; every access is reviewed.",
        ],
        empty: [
            "Geen toegang tot VIP-dossiers.",
            "No access to VIP records.",
        ],
        reason: Some([
            "Patiënt {patient_id} is VIP: {user_id} ({role}) had op {day} {records} keer toegang ({decision}).",
            "Patient {patient_id} is a VIP: {user_id} ({role}) accessed it {records} times on {day} ({decision}).",
        ]),
    },
    SectionText {
        id: "review.department",
        title: [
            "Toegang buiten de eigen afdeling",
            "Access outside one's own department",
        ],
        why: [
            "De afdeling in het log (waar de medewerker werkte) verschilt van de eigen afdeling in de personeelslijst (staff.department).",
            "The department in the log (where the employee worked) differs from their own department in the staff list (staff.department).",
        ],
        empty: [
            "Alle toegang was vanuit de eigen afdeling.",
            "All access was from the employee's own department.",
        ],
        reason: Some([
            "{user_id} (afdeling {own_department}) opende op {day} {patients} dossier(s) als {department}.",
            "{user_id} (department {own_department}) opened {patients} record(s) as {department} on {day}.",
        ]),
    },
    SectionText {
        id: "review.volume-employee",
        title: [
            "Ongewoon veel patiënten per dag",
            "Unusually many patients per day",
        ],
        why: [
            "Per medewerker per dag het aantal verschillende patiënten, vergeleken met collega's in dezelfde rol: gemarkeerd boven mediaan + k × MAD van alle medewerker-dagen van die rol (MAD minstens 1, k = --outlier-factor), alleen voor rollen met minstens 3 medewerkers.",
            "Per employee per day the number of distinct patients, compared with peers in the same role: flagged above median + k × MAD of all employee-days of that role (MAD at least 1, k = --outlier-factor), only for roles with at least 3 employees.",
        ],
        empty: [
            "Geen medewerker week af van collega's.",
            "No employee stood out from their peers.",
        ],
        reason: Some([
            "{user_id} ({role}) opende op {day} {patients} patiënten; collega's in die rol: mediaan {peer_median}, drempel {threshold}.",
            "{user_id} ({role}) opened {patients} patients on {day}; peers in that role: median {peer_median}, threshold {threshold}.",
        ]),
    },
    SectionText {
        id: "review.volume-record",
        title: [
            "Ongewoon veel toegang tot één dossier",
            "Unusually much access to one record",
        ],
        why: [
            "Per dossier per dag het aantal toegangen, vergeleken met de eigen geschiedenis in de periode: gemarkeerd boven mediaan + k × MAD van de dagen waarop het dossier geopend werd (MAD minstens 1), alleen bij minstens 5 zulke dagen.",
            "Per record per day the number of accesses, compared with its own history in the period: flagged above median + k × MAD of the days on which it was opened (MAD at least 1), only with at least 5 such days.",
        ],
        empty: [
            "Geen dossier week af van zijn gebruikelijke toegang.",
            "No record stood out from its usual access.",
        ],
        reason: Some([
            "Dossier {patient_id} werd op {day} {records} keer geopend door {users} medewerker(s); gebruikelijk: mediaan {usual_median}, drempel {threshold}.",
            "Record {patient_id} was opened {records} times by {users} employee(s) on {day}; usual: median {usual_median}, threshold {threshold}.",
        ]),
    },
    SectionText {
        id: "review.off-hours",
        title: ["Toegang buiten kantooruren", "Off-hours access"],
        why: [
            "Toegang buiten kantooruren (--office-hours, lokale tijd) of in het weekend. Diensten verklaren veel hiervan; de lijst helpt de rest te vinden.",
            "Access outside office hours (--office-hours, local time) or at the weekend. Shifts explain much of it; the list helps find the rest.",
        ],
        empty: ["Geen toegang buiten kantooruren.", "No off-hours access."],
        reason: Some([
            "{user_id} opende op {day} buiten kantooruren {records} keer {patients} patiënt(en), van {first_time} tot {last_time}.",
            "{user_id} opened {patients} patient(s) {records} times outside office hours on {day}, from {first_time} to {last_time}.",
        ]),
    },
    SectionText {
        id: "review.admin",
        title: ["Activiteit van beheerders", "Administrator activity"],
        why: [
            "Beheerders en security officers horen geen patiëntgegevens te gebruiken voor zorg; hun activiteit wordt minstens maandelijks beoordeeld door iemand zonder beheerrechten (MedMij A.12.4.3, functiescheiding). Rollen: --admin-roles.",
            "Administrators and security officers are not meant to use patient data for care; their activity is reviewed at least monthly by someone without admin rights (MedMij A.12.4.3, segregation of duties). Roles: --admin-roles.",
        ],
        empty: [
            "Geen activiteit van beheerders.",
            "No administrator activity.",
        ],
        reason: Some([
            "{user_id} ({role}) heeft een beheerrol en deed op {day} {records} verzoek(en) over {patients} patiënt(en).",
            "{user_id} ({role}) has an administrative role and made {records} request(s) about {patients} patient(s) on {day}.",
        ]),
    },
    SectionText {
        id: "adoption.usage",
        title: ["Gebruik per applicatie", "Use per application"],
        why: [
            "Actieve gebruikers, verzoeken en bereikte patiënten per applicatie en periode, afgeleid uit het toegangslog. Nieuw: de eerste periode waarin iemand de applicatie gebruikte.",
            "Active users, requests and patients reached per application and period, derived from the access log. New: the first period in which someone used the application.",
        ],
        empty: ["Geen gebruik in deze periode.", "No use in this period."],
        reason: None,
    },
    SectionText {
        id: "adoption.roles",
        title: ["Gebruik per rol en afdeling", "Use per role and department"],
        why: [
            "Actieve gebruikers per applicatie, rol en afdeling; met --staff ook het aandeel van de medewerkers in die rol dat de applicatie gebruikte.",
            "Active users per application, role and department; with --staff also the share of the staff in that role who used the application.",
        ],
        empty: ["Geen gebruik in deze periode.", "No use in this period."],
        reason: None,
    },
];
