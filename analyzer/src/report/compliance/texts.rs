//! The words of the compliance pack in Dutch and English: chapter headings, the title
//! and explanation of each section (found by `report::texts` like every report's),
//! column names, and the phrases of the summary and the verdict.

use crate::cli::Lang;
use crate::report::texts::{Pair, SectionText, pick};

/// A chapter heading.
pub fn chapter(lang: Lang, n: usize) -> &'static str {
    const CHAPTERS: [Pair; 7] = [
        ["1. Samenvatting", "1. Summary"],
        ["2. Integriteit van het log", "2. Integrity of the log"],
        [
            "3. Dekking: is er steeds gelogd?",
            "3. Coverage: was everything logged?",
        ],
        ["4. Autorisatiebeleid", "4. Access policy"],
        ["5. Systematische logcontrole", "5. Systematic log review"],
        ["6. Gebruik van e-health", "6. Use of e-health"],
        ["7. NEN 7510-beheersmaatregelen", "7. NEN 7510 controls"],
    ];
    pick(lang, &CHAPTERS[n.saturating_sub(1).min(CHAPTERS.len() - 1)])
}

/// A phrase of the summary, the verdict or a note.
pub fn word(lang: Lang, key: &str) -> &'static str {
    let p: Pair = match key {
        "subject" => [
            "NEN 7510-audit en IGJ-toezicht",
            "NEN 7510 audit and IGJ inspection",
        ],
        "analyzer" => ["Gemaakt met", "Made with"],
        "verdict" => ["Oordeel integriteit", "Integrity verdict"],
        "ok" => ["in orde", "OK"],
        "failed" => ["GEFAALD", "FAILED"],
        "chains" => ["Ketens (sidecars)", "Chains (sidecars)"],
        "records" => ["Records geverifieerd", "Records verified"],
        "in-period" => ["Records in de periode", "Records in the period"],
        "signatures" => ["Handtekeningen checkpoints", "Checkpoint signatures"],
        "signatures-checked" => ["gecontroleerd met sleutel", "checked with key"],
        "signatures-not" => [
            "NIET gecontroleerd: geef --public-key",
            "NOT checked: give --public-key",
        ],
        "file" => ["Checkpointbestand", "Checkpoint file"],
        "file-agrees" => ["klopt met de database", "agrees with the database"],
        "file-disagrees" => ["wijkt af van de database", "disagrees with the database"],
        "file-unknown" => [
            "niet vastgesteld (verificatie stopte eerder)",
            "not established (verification stopped earlier)",
        ],
        "file-not-given" => [
            "niet opgegeven: records die samen met hun checkpoints uit de database verwijderd zijn, vallen niet op (geef --checkpoint-file)",
            "not given: records deleted together with their checkpoints go unnoticed (give --checkpoint-file)",
        ],
        "head" => ["Kophash", "Head hash"],
        "last-checkpoint" => ["Laatste ondertekende checkpoint", "Last signed checkpoint"],
        "none" => ["geen", "none"],
        "record" => ["record", "record"],
        "key" => ["sleutel", "key"],
        "no-chains" => [
            "de bronnen bevatten geen ketens",
            "the sources hold no chains",
        ],
        "sidecar" => ["Sidecar", "Sidecar"],
        "starts" => ["starts", "starts"],
        "unclean" => ["zonder stop ervoor", "without a stop before them"],
        "notices" => ["storingsmeldingen", "outage notices"],
        "refused" => ["geweigerde verzoeken", "requests refused"],
        "silences" => ["stiltes", "silences"],
        "days-without" => [
            "Dagen zonder records (tussen eerste en laatste)",
            "Days without records (between first and last)",
        ],
        "policy-at-start" => ["Beleid bij begin periode", "Policy at the start"],
        "from-start" => [
            "n.v.t.: de periode begint bij het begin van het log",
            "n/a: the period starts where the log starts",
        ],
        "none-before" => [
            "geen: de bronnen hebben geen beleid geladen vóór de periode",
            "none: the sources hold no policy load before the period",
        ],
        "no-records" => ["geen records in de periode", "no records in the period"],
        "first-on" => ["eerste record op", "first record on"],
        "after-start" => [
            "dag(en) na het begin van de periode",
            "day(s) after the period's start",
        ],
        "last-on" => ["laatste record op", "last record on"],
        "before-end" => [
            "dag(en) voor het einde van de periode",
            "day(s) before the period's end",
        ],
        "policy-changes" => ["Beleidswijzigingen", "Policy changes"],
        "review" => ["Logcontrole", "Log review"],
        "findings-in" => ["bevindingen in", "findings in"],
        "of" => ["van", "of"],
        "checks" => ["controles", "checks"],
        "not-run" => ["niet uitgevoerd", "not run"],
        "found" => ["bevindingen", "findings"],
        "nothing-found" => ["geen bevindingen", "no findings"],
        "details-in" => [
            "details: zegel-analyzer report review",
            "details: zegel-analyzer report review",
        ],
        "applications" => ["Applicaties in gebruik", "Applications in use"],
        "max-month" => [
            "hoogste aantal actieve gebruikers in een maand",
            "highest number of active users in a month",
        ],
        "not-computed" => [
            "Kon niet berekend worden, omdat het log niet te lezen is waar de integriteit faalde",
            "Could not be computed, because the log cannot be read where integrity failed",
        ],
        "silence-off" => [
            "Stiltes niet gemeten (--silence 0).",
            "Silences not measured (--silence 0).",
        ],
        "silence-threshold" => ["Drempel", "Threshold"],
        "silences-kept" => [
            "alleen de eerste zijn per keten bewaard; het totaal staat bij Dekking per keten",
            "only the first are kept per chain; the total is in Coverage per chain",
        ],
        "records-per-day" => ["Records per dag", "Records per day"],
        "active-per-month" => ["Actieve gebruikers per maand", "Active users per month"],
        "requests-per-month" => ["Verzoeken per maand", "Requests per month"],
        "whole-log" => [
            "De verificatie beslaat de hele keten, ook buiten de periode: een keten is alleen vanaf haar begin te verifiëren.",
            "Verification covers the whole chain, also outside the period: a chain can only be verified from its start.",
        ],
        "not-in-pack" => ["(niet in dit dossier)", "(not in this pack)"],
        _ => ["?", "?"],
    };
    pick(lang, &p)
}

/// A count with thousands separated as the language writes them (12.894, 12,894).
pub fn number(lang: Lang, n: impl Into<i128>) -> String {
    let digits = n.into().unsigned_abs().to_string();
    let sep = pick(lang, &[".", ","]);
    let mut out = String::new();
    for (i, d) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push_str(sep);
        }
        out.push(d);
    }
    out
}

/// `s` with its first letter in upper case.
pub fn capital(s: &str) -> String {
    let mut c = s.chars();
    c.next()
        .map(|f| f.to_uppercase().chain(c).collect())
        .unwrap_or_default()
}

/// Column names of the compliance sections.
pub(crate) const COLUMNS: &[(&str, Pair)] = &[
    ("item", ["onderdeel", "item"]),
    ("value", ["waarde", "value"]),
    ("source", ["bron", "source"]),
    ("chain_id", ["keten", "chain"]),
    ("verified", ["geverifieerd", "verified"]),
    ("head", ["kophash", "head hash"]),
    (
        "checkpoint_seq",
        ["checkpoint bij record", "checkpoint at record"],
    ),
    ("checkpoint_time", ["tijd checkpoint", "checkpoint time"]),
    ("key_id", ["sleutel-id", "key id"]),
    (
        "signatures_verified",
        ["handtekeningen geverifieerd", "signatures verified"],
    ),
    (
        "signature",
        ["handtekening (Ed25519)", "signature (Ed25519)"],
    ),
    ("checkpoint_file", ["checkpointbestand", "checkpoint file"]),
    ("problem_seq", ["bij record", "at record"]),
    ("problem_kind", ["soort probleem", "kind of problem"]),
    ("problem", ["probleem", "problem"]),
    ("days", ["dagen", "days"]),
    (
        "days_without_records",
        [
            "dagen zonder records ertussen",
            "days without records between",
        ],
    ),
    ("from_day", ["van", "from"]),
    ("to_day", ["t/m", "to"]),
    ("starts", ["starts", "starts"]),
    ("stops", ["stops", "stops"]),
    (
        "unclean_starts",
        ["starts zonder stop", "starts without stop"],
    ),
    ("unclean_start", ["zonder stop ervoor", "no stop before"]),
    ("notices", ["storingen", "outages"]),
    ("refused", ["geweigerd (storing)", "refused (outage)"]),
    ("silences", ["stiltes", "silences"]),
    ("seq", ["record", "seq"]),
    ("kind", ["soort", "kind"]),
    ("outage_from", ["storing vanaf", "outage from"]),
    ("outage_to", ["storing tot", "outage until"]),
    ("message", ["melding", "message"]),
    ("detail", ["details", "detail"]),
    ("from_time", ["van", "from"]),
    ("to_time", ["tot", "until"]),
    ("duration", ["duur", "duration"]),
    ("after_seq", ["na record", "after record"]),
    ("before_seq", ["voor record", "before record"]),
    (
        "policy_version",
        ["beleidsversie (SHA-256)", "policy version (SHA-256)"],
    ),
    ("previous_version", ["vorige versie", "previous version"]),
    ("changed", ["gewijzigd", "changed"]),
    ("in_force_at_start", ["gold bij begin", "in force at start"]),
    ("decisions", ["besluiten", "decisions"]),
    ("allowed", ["toegestaan", "allowed"]),
    ("chains", ["ketens", "chains"]),
    ("check", ["controle", "check"]),
    ("findings", ["bevindingen", "findings"]),
    ("status", ["status", "status"]),
    ("examples", ["eerste bevindingen", "first findings"]),
    ("part", ["hoofdstuk", "chapter"]),
    ("nen7510_2017", ["NEN 7510-2:2017", "NEN 7510-2:2017"]),
    (
        "nen7510_2024",
        [
            "NEN 7510:2024 (ISO 27002:2022)",
            "NEN 7510:2024 (ISO 27002:2022)",
        ],
    ),
    ("nen7513", ["NEN 7513", "NEN 7513"]),
    (
        "evidence",
        ["bewijs in dit dossier", "evidence in this pack"],
    ),
];

/// Titles and explanations of the compliance sections.
pub(crate) const SECTIONS: &[SectionText] = &[
    SectionText {
        id: "compliance.summary",
        title: ["Kerngegevens", "Key facts"],
        why: [
            "Het oordeel over de integriteit van het log en de kerngegevens van dit dossier. Elk hoofdstuk hierna licht één onderdeel toe; hoofdstuk 7 zegt welke NEN 7510-beheersmaatregelen het onderbouwt.",
            "The verdict on the integrity of the log and the key facts of this pack. Each chapter below explains one part; chapter 7 says which NEN 7510 controls it supports.",
        ],
        empty: ["", ""],
        reason: None,
    },
    SectionText {
        id: "compliance.integrity",
        title: ["Verificatie per keten", "Verification per chain"],
        why: [
            "Elke sidecar schrijft één keten: elk record bevat de SHA-256-hash van het vorige, en de laatste hash wordt regelmatig met Ed25519 ondertekend (checkpoint). De verificatie leest elke keten in zijn geheel, vanaf het begin of de naad met het archief: één gewijzigd, verwijderd of ingevoegd record breekt de keten op die plek. NEN 7513 eist dat het log niet gewijzigd wordt en minstens zo goed beschermd is als de gegevens die het beschrijft.",
            "Each sidecar writes one chain: every record holds the SHA-256 hash of the one before it, and the latest hash is regularly signed with Ed25519 (a checkpoint). Verification reads every chain in full, from its start or its seam with the archive: one altered, deleted or inserted record breaks the chain at that place. NEN 7513 requires that the log is never altered and is protected at least as well as the data it describes.",
        ],
        empty: [
            "De bronnen bevatten geen ketens om te verifiëren.",
            "The sources hold no chains to verify.",
        ],
        reason: None,
    },
    SectionText {
        id: "compliance.checkpoints",
        title: [
            "Kophashes en ondertekende checkpoints",
            "Head hashes and signed checkpoints",
        ],
        why: [
            "De kophash is de hash van het laatste record: wie hem bewaart, kan later aantonen dat het log tot dat punt niet veranderd is. Het laatste checkpoint is ondertekend met de privésleutel van de sidecar, die nooit in de database staat; de handtekeningen zijn gecontroleerd met de opgegeven publieke sleutel. Het checkpointbestand staat buiten de database: het is het anker tegen herschrijven of afkappen van het log door een databasebeheerder.",
            "The head hash is the hash of the last record: whoever keeps it can later show that the log was not changed up to that point. The last checkpoint is signed with the sidecar's private key, which is never in the database; the signatures were checked with the public key given. The checkpoint file is kept outside the database: it is the anchor against a database administrator rewriting or truncating the log.",
        ],
        empty: [
            "De bronnen bevatten geen ketens om te verifiëren.",
            "The sources hold no chains to verify.",
        ],
        reason: None,
    },
    SectionText {
        id: "compliance.coverage",
        title: ["Dekking per keten", "Coverage per chain"],
        why: [
            "Of er de hele periode gelogd is: eerste en laatste record, dagen met en zonder records, starts en stops van de sidecar, starts zonder stop ervoor (crash of kill), storingsmeldingen (het log kon records niet duurzaam opslaan; de sidecar weigerde toen verzoeken, fail closed) en stiltes (langer dan de drempel geen enkel record terwijl de sidecar draaide).",
            "Whether logging went on throughout the period: first and last record, days with and without records, sidecar starts and stops, starts without a stop before them (a crash or kill), outage notices (the log could not store records durably; the sidecar then refused requests, fail closed) and silences (no record at all for longer than the threshold while the sidecar was running).",
        ],
        empty: ["Geen ketens in de bronnen.", "No chains in the sources."],
        reason: None,
    },
    SectionText {
        id: "compliance.periods",
        title: ["Gelogde perioden", "Periods logged"],
        why: [
            "Aaneengesloten dagen met records, per keten, en het aantal records per dag. Een dag zonder records is een dag waarop de applicatie niet gebruikt werd of niets gelogd is: beide moeten te verklaren zijn.",
            "Consecutive days with records, per chain, and the number of records per day. A day without records is a day on which the application was not used or nothing was logged: either must be explainable.",
        ],
        empty: [
            "Geen records in deze periode.",
            "No records in this period.",
        ],
        reason: None,
    },
    SectionText {
        id: "compliance.lifecycle",
        title: [
            "Starts, stops en storingen van de sidecar",
            "Sidecar starts, stops and outages",
        ],
        why: [
            "Elk start-, stop- en meldingsrecord in de periode. Een start zonder stop ervoor betekent dat de vorige sidecar niet netjes stopte (crash, kill, stroomuitval). Een melding 'audit log unavailable' betekent dat het log tijdelijk geen records kon opslaan: de sidecar weigerde toen elk verzoek (fail closed), zodat niets zonder record is doorgelaten; 'geweigerd' telt die verzoeken.",
            "Every start, stop and notice record in the period. A start without a stop before it means the previous sidecar did not stop cleanly (crash, kill, power loss). A notice 'audit log unavailable' means the log could not store records for a while: the sidecar then refused every request (fail closed), so nothing passed without a record; 'refused' counts those requests.",
        ],
        empty: [
            "Geen starts, stops of meldingen in deze periode.",
            "No starts, stops or notices in this period.",
        ],
        reason: None,
    },
    SectionText {
        id: "compliance.silences",
        title: ["Stiltes", "Silences"],
        why: [
            "Tijdvakken langer dan de drempel (--silence, standaard 2 uur) zonder enig record terwijl de sidecar draaide. Een stille nacht kan normaal zijn; een stilte overdag vraagt om uitleg: werd de applicatie buiten de sidecar om gebruikt, of lag de sidecar stil zonder dat te melden?",
            "Stretches longer than the threshold (--silence, default 2 hours) without any record while the sidecar was running. A quiet night can be normal; a silence during the day needs explaining: was the application used around the sidecar, or was the sidecar down without saying so?",
        ],
        empty: [
            "Geen stiltes langer dan de drempel.",
            "No silences longer than the threshold.",
        ],
        reason: None,
    },
    SectionText {
        id: "compliance.policy-loads",
        title: [
            "Beleidsversies en wijzigingen",
            "Policy versions and changes",
        ],
        why: [
            "Het autorisatiebeleid (Casbin-model en -regels) wordt bij elke start en elke wijziging geladen en gelogd met zijn SHA-256-hash. Hier per keten de versie die bij het begin van de periode gold en elke keer dat in de periode een beleid geladen werd; 'gewijzigd' zegt of het een andere versie was dan de vorige. NEN 7513 vraagt dat wijzigingen in autorisaties gelogd worden.",
            "The access policy (Casbin model and rules) is loaded and logged with its SHA-256 hash at every start and every change. Shown per chain: the version in force at the start of the period, and every load in the period; 'changed' says whether it was another version than the one before. NEN 7513 asks that changes to authorisations are logged.",
        ],
        empty: [
            "Geen beleid geladen in of vóór deze periode.",
            "No policy loaded in or before this period.",
        ],
        reason: None,
    },
    SectionText {
        id: "compliance.policy-use",
        title: [
            "Besluiten per beleidsversie",
            "Decisions per policy version",
        ],
        why: [
            "Welke beleidsversie welke toegangsbesluiten nam, en de eerste en laatste keer dat ze gebruikt werd. Verzoeken die vóór een beleidsbesluit geweigerd werden (reject: ongeldig verzoek of geen identiteit) hebben geen versie en staan op de regel zonder versie.",
            "Which policy version took which access decisions, and the first and last time it was used. Requests refused before any policy decision (reject: malformed request or no identity) have no version and are on the line without one.",
        ],
        empty: [
            "Geen toegangsbesluiten in deze periode.",
            "No access decisions in this period.",
        ],
        reason: None,
    },
    SectionText {
        id: "compliance.findings",
        title: ["Bevindingen per controle", "Findings per check"],
        why: [
            "Elke controle van 'zegel-analyzer report review' over de hele periode (alle logs, geen steekproef), met het aantal bevindingen en de eerste paar. De Autoriteit Persoonsgegevens beboette HagaZiekenhuis (2019) en OLVG (2020) omdat zulke regelmatige, systematische controle ontbrak. Een controle die een personeels-, patiënten- of behandelrelatielijst nodig heeft die niet is opgegeven, is niet uitgevoerd: dat is iets anders dan nul bevindingen.",
            "Every check of 'zegel-analyzer report review' over the whole period (all logs, no sample), with the number of findings and the first few. The Dutch DPA fined HagaZiekenhuis (2019) and OLVG (2020) for lacking such regular, systematic review. A check that needs a staff, patient or care-relation list that was not given was not run: that is not the same as zero findings.",
        ],
        empty: ["", ""],
        reason: None,
    },
    SectionText {
        id: "compliance.adoption",
        title: [
            "Gebruik per applicatie per maand",
            "Use per application per month",
        ],
        why: [
            "Actieve gebruikers, verzoeken en bereikte patiënten per applicatie per maand, afgeleid uit het toegangslog (als 'report adoption --by month'). Het laat zien welke e-health-toepassingen in gebruik zijn en door hoeveel mensen: het onderwerp van het IGJ-toetsingskader voor e-health.",
            "Active users, requests and patients reached per application per month, derived from the access log (as 'report adoption --by month'). It shows which e-health applications are in use and by how many people: the subject of the IGJ assessment framework for e-health.",
        ],
        empty: ["Geen gebruik in deze periode.", "No use in this period."],
        reason: None,
    },
    SectionText {
        id: "compliance.controls",
        title: [
            "Hoofdstukken en de beheersmaatregelen die ze onderbouwen",
            "Chapters and the controls they support",
        ],
        why: [
            "Welk hoofdstuk bewijs levert voor welke beheersmaatregel van NEN 7510-2:2017 (nummering van ISO/IEC 27002:2013) en NEN 7510:2024 (nummering van ISO/IEC 27002:2022), en voor welk deel van NEN 7513. Dit dossier levert bewijs; of een maatregel als geheel is ingevuld, beoordeelt de auditor. De herkomst van de koppeling staat in docs/reports.md.",
            "Which chapter gives evidence for which control of NEN 7510-2:2017 (ISO/IEC 27002:2013 numbering) and NEN 7510:2024 (ISO/IEC 27002:2022 numbering), and for which part of NEN 7513. This pack gives evidence; whether a control is met as a whole is for the auditor to judge. Where the mapping comes from is in docs/reports.md.",
        ],
        empty: ["", ""],
        reason: None,
    },
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_are_grouped_by_language() {
        assert_eq!(number(Lang::Nl, 12_894u64), "12.894");
        assert_eq!(number(Lang::En, 1_234_567u64), "1,234,567");
        assert_eq!(number(Lang::En, 999u64), "999");
    }
}
