//! The code systems, codes and identifier rules of the AuditEvent mapping, in one place
//! (docs/export.md explains each choice).

use serde_json::{Value, json};
use sha2::{Digest, Sha256};

/// `type` of a RESTful audit event.
pub const AUDIT_EVENT_TYPE: &str = "http://terminology.hl7.org/CodeSystem/audit-event-type";
/// `subtype`: the FHIR interaction.
pub const RESTFUL_INTERACTION: &str = "http://hl7.org/fhir/restful-interaction";
/// DICOM codes: security alert, emergency override, source and destination roles.
pub const DCM: &str = "http://dicom.nema.org/resources/ontology/DCM";
/// Purpose of use (`TREAT`, `ETREAT`).
pub const ACT_REASON: &str = "http://terminology.hl7.org/CodeSystem/v3-ActReason";
/// `entity.type`: Person, System Object.
pub const ENTITY_TYPE: &str = "http://terminology.hl7.org/CodeSystem/audit-entity-type";
/// `entity.role`: Patient, Domain Resource, Query.
pub const OBJECT_ROLE: &str = "http://terminology.hl7.org/CodeSystem/object-role";
/// `agent.type` of the user and of the responsible user.
pub const PARTICIPATION_TYPE: &str = "http://terminology.hl7.org/CodeSystem/v3-ParticipationType";
/// `agent.type` of a user who creates, updates or deletes.
pub const ROLE_CLASS: &str = "http://terminology.hl7.org/CodeSystem/v3-RoleClass";
/// `source.type`.
pub const SOURCE_TYPE: &str = "http://terminology.hl7.org/CodeSystem/security-source-type";
/// BALP's entity type of the `X-Request-Id` transaction entity.
pub const BALP_ENTITY_TYPE: &str =
    "https://profiles.ihe.net/ITI/BALP/CodeSystem/BasicAuditEntityType";
/// Dutch organisation register (URA).
pub const URA: &str = "http://fhir.nl/fhir/NamingSystem/ura";
/// Dutch AGB code of a care organisation.
pub const AGB: &str = "http://fhir.nl/fhir/NamingSystem/agb-z";
/// Dutch citizen service number.
pub const BSN: &str = "http://fhir.nl/fhir/NamingSystem/bsn";
/// zegel's own: the chain (sidecar instance) that observed the event.
pub const ZEGEL_CHAIN: &str = "urn:zegel:chain";
/// zegel's own: the SHA-256 record hash that verifies the record.
pub const ZEGEL_RECORD_HASH: &str = "urn:zegel:record-hash";
/// zegel's own: prefix of the policy version as `agent.policy`.
pub const ZEGEL_POLICY: &str = "urn:zegel:policy:";

/// A Coding.
pub fn coding(system: &str, code: &str, display: &str) -> Value {
    json!({"system": system, "code": code, "display": display})
}

/// A CodeableConcept of one Coding.
pub fn concept(system: &str, code: &str, display: &str) -> Value {
    json!({"coding": [coding(system, code, display)]})
}

/// The restful-interaction code of a record: its `interaction` when it is one (or a
/// policy name for one: `search`, `execute`), else derived from the action code.
pub fn interaction(
    interaction: Option<&str>,
    action: Option<&str>,
    resource_type: Option<&str>,
) -> Option<&'static str> {
    const KNOWN: [&str; 16] = [
        "read",
        "vread",
        "update",
        "patch",
        "delete",
        "history",
        "history-instance",
        "history-type",
        "history-system",
        "create",
        "search-type",
        "search-system",
        "capabilities",
        "transaction",
        "batch",
        "operation",
    ];
    let named = interaction.map(str::to_ascii_lowercase);
    match named.as_deref() {
        Some("search" | "search-compartment") if resource_type.is_some() => Some("search-type"),
        Some("search" | "search-compartment") => Some("search-system"),
        Some("execute") => Some("operation"),
        Some(i) if KNOWN.contains(&i) => KNOWN.iter().copied().find(|k| *k == i),
        _ => match action? {
            "C" => Some("create"),
            "R" => Some("read"),
            "U" => Some("update"),
            "D" => Some("delete"),
            "E" => Some("operation"),
            _ => None,
        },
    }
}

/// The action code of an interaction, for records that carry none.
pub fn action_of(interaction: &str) -> Option<&'static str> {
    Some(match interaction {
        "create" => "C",
        "update" | "patch" => "U",
        "delete" => "D",
        "read" | "vread" | "history" | "history-instance" | "history-type" | "history-system" => {
            "R"
        }
        "search-type" | "search-system" | "operation" | "transaction" | "batch"
        | "capabilities" => "E",
        _ => return None,
    })
}

/// Whether `s` is a FHIR id: 1 to 64 of `A-Z a-z 0-9 - .`.
pub fn is_fhir_id(s: &str) -> bool {
    (1..=64).contains(&s.len())
        && (s.bytes()).all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.')
}

/// Whether `s` looks like a FHIR resource type (`Patient`, `MedicationRequest`).
pub fn is_resource_type(s: &str) -> bool {
    s.starts_with(|c: char| c.is_ascii_uppercase()) && s.chars().all(|c| c.is_ascii_alphanumeric())
}

/// The AuditEvent id of record `seq` of `chain`: `<chain>-<seq>` when that is a FHIR id,
/// otherwise `z<16 hex of SHA-256(chain)>-<seq>` (chain ids may hold `_` and be 64 long).
pub fn event_id(chain: &str, seq: i64) -> String {
    let plain = format!("{chain}-{seq}");
    if is_fhir_id(&plain) {
        return plain;
    }
    let digest = hex::encode(Sha256::digest(chain.as_bytes()));
    format!("z{}-{seq}", &digest[..16])
}

/// The Identifier of an organisation: `ura:NNNNNNNN` in the URA system, `agb:NNNNNNNN`
/// in the AGB system, anything else as a plain value.
pub fn organisation(org: &str) -> Value {
    let (prefix, rest) = org.split_once(':').unwrap_or(("", org));
    let digits = rest.len() == 8 && rest.bytes().all(|b| b.is_ascii_digit());
    match prefix.to_ascii_lowercase().as_str() {
        "ura" if digits => json!({"system": URA, "value": rest}),
        "agb" if digits => json!({"system": AGB, "value": rest}),
        _ => json!({"value": org}),
    }
}

/// The Identifier of a patient: a BSN in its system; other id types (`local`,
/// `pseudonym:<key>`) as a system-less value whose type text names the id type.
pub fn patient_identifier(id: &str, system: Option<&str>) -> Value {
    match system {
        Some(s) if s.eq_ignore_ascii_case("bsn") => json!({"system": BSN, "value": id}),
        Some(s) => json!({"type": {"text": s}, "value": id}),
        None => json!({"value": id}),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn interactions() {
        assert_eq!(
            interaction(Some("search"), Some("E"), Some("Observation")),
            Some("search-type")
        );
        assert_eq!(interaction(Some("read"), None, None), Some("read"));
        assert_eq!(interaction(Some("execute"), None, None), Some("operation"));
        assert_eq!(
            interaction(Some("/api/{patient}/notes"), Some("D"), None),
            Some("delete")
        );
        assert_eq!(interaction(None, None, None), None);
        assert_eq!(action_of("search-type"), Some("E"));
    }

    #[test]
    fn ids_are_fhir_ids() {
        assert_eq!(event_id("demo-sidecar-1", 42), "demo-sidecar-1-42");
        let odd = event_id("chain_with_underscore", 7);
        assert!(
            odd.starts_with('z') && odd.ends_with("-7") && is_fhir_id(&odd),
            "{odd}"
        );
        assert!(is_fhir_id(&event_id(&"a".repeat(64), i64::MAX)));
    }

    #[test]
    fn organisations() {
        assert_eq!(organisation("ura:00012345")["system"], URA);
        assert_eq!(organisation("URA:00012345")["value"], "00012345");
        assert_eq!(organisation("agb:01234567")["system"], AGB);
        assert_eq!(
            organisation("ziekenhuis-x"),
            json!({"value": "ziekenhuis-x"})
        );
        assert_eq!(organisation("ura:123"), json!({"value": "ura:123"}));
    }
}
