//! Chapter 7: which controls each chapter gives evidence for. NEN 7510-2:2017 numbers
//! its controls as ISO/IEC 27002:2013, NEN 7510:2024 as ISO/IEC 27002:2022; the pairs
//! below follow the correspondence table of ISO/IEC 27002:2022 (annex B). The sources
//! and the reasoning per row are in docs/reports.md. Only controls the pack really
//! shows evidence for are listed, plus the one an inspector will ask about that it
//! does not show (clock synchronisation), saying so.

use super::Chapter;
use super::texts::{chapter as heading, word};
use crate::cli::Lang;
use crate::report::section::Section;
use crate::report::texts::{Pair, pick};
use serde_json::Value;

/// One row: the chapter (0: not in this pack), the 2017 and 2024 controls, NEN 7513,
/// and what the chapter shows.
struct Row {
    chapter: usize,
    nen7510_2017: Pair,
    nen7510_2024: Pair,
    nen7513: Pair,
    evidence: Pair,
}

const ROWS: &[Row] = &[
    Row {
        chapter: 2,
        nen7510_2017: [
            "12.4.2 Beschermen van informatie in logbestanden",
            "12.4.2 Protection of log information",
        ],
        nen7510_2024: ["8.15 Logging", "8.15 Logging"],
        nen7513: [
            "§8: log beschermd, nooit gewijzigd",
            "§8: log protected, never altered",
        ],
        evidence: [
            "Hashketen en ondertekende checkpoints van elke keten geverifieerd; kophashes om later mee te vergelijken; checkpointbestand buiten de database.",
            "Hash chain and signed checkpoints of every chain verified; head hashes to compare with later; checkpoint file outside the database.",
        ],
    },
    Row {
        chapter: 3,
        nen7510_2017: ["12.4.1 Gebeurtenissen registreren", "12.4.1 Event logging"],
        nen7510_2024: ["8.15 Logging", "8.15 Logging"],
        nen7513: [
            "hst. 6: elke handeling gelogd",
            "ch. 6: every action logged",
        ],
        evidence: [
            "Dagen met records per keten; storingen waarin de sidecar verzoeken weigerde omdat het log niet beschikbaar was (fail closed: geen toegang zonder record).",
            "Days with records per chain; outages in which the sidecar refused requests because the log was unavailable (fail closed: no access without a record).",
        ],
    },
    Row {
        chapter: 3,
        nen7510_2017: ["— (nieuw in 2022)", "— (new in 2022)"],
        nen7510_2024: [
            "8.16 Monitoren van activiteiten",
            "8.16 Monitoring activities",
        ],
        nen7513: ["—", "—"],
        evidence: [
            "Herstarts, crashes, storingen en stiltes van de logging zelf zijn zichtbaar en te verklaren.",
            "Restarts, crashes, outages and silences of the logging itself are visible and can be explained.",
        ],
    },
    Row {
        chapter: 4,
        nen7510_2017: [
            "9.1.1 Beleid voor toegangsbeveiliging",
            "9.1.1 Access control policy",
        ],
        nen7510_2024: ["5.15 Toegangsbeveiliging", "5.15 Access control"],
        nen7513: [
            "hst. 7: autorisatieprotocol bij elke logregel",
            "ch. 7: authorisation protocol on every log line",
        ],
        evidence: [
            "Welke beleidsversie (SHA-256) gold, wanneer, en welke besluiten elke versie nam.",
            "Which policy version (SHA-256) was in force, when, and which decisions each version took.",
        ],
    },
    Row {
        chapter: 4,
        nen7510_2017: [
            "9.4.1 Beperking toegang tot informatie",
            "9.4.1 Information access restriction",
        ],
        nen7510_2024: [
            "8.3 Beperking toegang tot informatie",
            "8.3 Information access restriction",
        ],
        nen7513: ["hst. 6: geweigerde pogingen", "ch. 6: denied attempts"],
        evidence: [
            "Toegestane en geweigerde besluiten per beleidsversie: de toegang werd bij elk verzoek afgedwongen.",
            "Allowed and refused decisions per policy version: access was enforced on every request.",
        ],
    },
    Row {
        chapter: 4,
        nen7510_2017: ["12.1.2 Wijzigingsbeheer", "12.1.2 Change management"],
        nen7510_2024: ["8.32 Wijzigingsbeheer", "8.32 Change management"],
        nen7513: [
            "hst. 6: wijzigingen in autorisaties",
            "ch. 6: changes to authorisations",
        ],
        evidence: [
            "Elke beleidswijziging met tijdstip en keten, te leggen naast de wijzigingsregistratie.",
            "Every policy change with its time and chain, to hold against the change records.",
        ],
    },
    Row {
        chapter: 5,
        nen7510_2017: [
            "12.4.1 Gebeurtenissen registreren (regelmatig beoordelen)",
            "12.4.1 Event logging (regularly reviewed)",
        ],
        nen7510_2024: [
            "8.15 Logging; 8.16 Monitoren van activiteiten",
            "8.15 Logging; 8.16 Monitoring activities",
        ],
        nen7513: [
            "hst. 6 en 9: noodprocedure, weigeringen, controle",
            "ch. 6 and 9: emergency use, denials, review",
        ],
        evidence: [
            "Alle logregels van de periode systematisch gecontroleerd: noodprocedure, geweigerde pogingen, behandelrelatie, achternaam, VIP, afdeling, volume, buiten kantooruren.",
            "Every log line of the period reviewed systematically: emergency procedure, refused attempts, care relation, surname, VIP, department, volume, off-hours.",
        ],
    },
    Row {
        chapter: 5,
        nen7510_2017: [
            "9.2.5 Beoordeling van toegangsrechten van gebruikers",
            "9.2.5 Review of user access rights",
        ],
        nen7510_2024: ["5.18 Toegangsrechten", "5.18 Access rights"],
        nen7513: ["—", "—"],
        evidence: [
            "Toegang zonder behandelrelatie of buiten de eigen afdeling wijst op te ruime rechten.",
            "Access without a care relation or outside one's own department points at rights that are too broad.",
        ],
    },
    Row {
        chapter: 5,
        nen7510_2017: [
            "9.2.3 Beheren van speciale toegangsrechten; 12.4.3 Logbestanden van beheerders en operators",
            "9.2.3 Management of privileged access rights; 12.4.3 Administrator and operator logs",
        ],
        nen7510_2024: [
            "8.2 Speciale toegangsrechten; 8.15 Logging",
            "8.2 Privileged access rights; 8.15 Logging",
        ],
        nen7513: ["—", "—"],
        evidence: [
            "Activiteit van beheerders apart beoordeeld (MedMij A.12.4.3: maandelijks, door iemand zonder beheerrechten).",
            "Administrator activity reviewed on its own (MedMij A.12.4.3: monthly, by someone without admin rights).",
        ],
    },
    Row {
        chapter: 6,
        nen7510_2017: ["—", "—"],
        nen7510_2024: ["—", "—"],
        nen7513: ["—", "—"],
        evidence: [
            "Geen beheersmaatregel: context voor het IGJ-toetsingskader inzet van e-health (2018).",
            "No control: context for the IGJ assessment framework for e-health (2018).",
        ],
    },
    Row {
        chapter: 0,
        nen7510_2017: ["12.4.4 Kloksynchronisatie", "12.4.4 Clock synchronisation"],
        nen7510_2024: ["8.17 Kloksynchronisatie", "8.17 Clock synchronization"],
        nen7513: ["hst. 7: datum en tijd", "ch. 7: date and time"],
        evidence: [
            "Niet aangetoond: het log toont de tijden die de klok van de sidecar gaf; dat die klok gesynchroniseerd is (NTP), moet apart worden aangetoond.",
            "Not shown: the log holds the times the sidecar's clock gave; that this clock is synchronised (NTP) must be shown separately.",
        ],
    },
];

/// Section `compliance.controls`.
pub fn chapter(lang: Lang) -> Chapter {
    let mut s = Section::new("compliance.controls", lang).with_columns(&[
        "part",
        "nen7510_2017",
        "nen7510_2024",
        "nen7513",
        "evidence",
    ]);
    let pick = |p: &Pair| Value::from(pick(lang, p));
    s.rows = (ROWS.iter())
        .map(|r| {
            let part = match r.chapter {
                0 => word(lang, "not-in-pack"),
                n => heading(lang, n),
            };
            vec![
                Value::from(part),
                pick(&r.nen7510_2017),
                pick(&r.nen7510_2024),
                pick(&r.nen7513),
                pick(&r.evidence),
            ]
        })
        .collect();
    Chapter {
        sections: vec![s],
        summary: Vec::new(),
    }
}
