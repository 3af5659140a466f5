//! The entities of an AuditEvent (IHE BALP): the patient (role 1 Patient), the data
//! (role 4 Domain Resource) or, for a search, the query (role 24 Query, the raw query
//! base64-encoded), the `X-Request-Id` transaction, and the zegel record itself: chain,
//! seq and hash, so every AuditEvent points back to a record `verify` can check.

use super::codes::{self, BALP_ENTITY_TYPE, ENTITY_TYPE, OBJECT_ROLE, ZEGEL_RECORD_HASH};
use crate::export::rows::{Int, Record, Text};
use base64::Engine;
use serde_json::{Value, json};

/// Every entity of `r`; `interaction` is its restful-interaction code.
pub fn entities(r: &Record<'_>, interaction: Option<&str>) -> Vec<Value> {
    let search = interaction.is_some_and(|i| i.starts_with("search"));
    let object = if search { query(r) } else { data(r) };
    [patient(r), object, transaction(r), Some(record(r))]
        .into_iter()
        .flatten()
        .collect()
}

/// The patient: `Patient/<id>` when the id is a local FHIR id, and always its identifier.
fn patient(r: &Record<'_>) -> Option<Value> {
    let id = r.text(Text::PatientId)?;
    let system = r.text(Text::PatientIdSystem);
    let local = matches!(system, None | Some("local")) && codes::is_fhir_id(id);
    Some(json!({
        "what": {
            "reference": local.then(|| format!("Patient/{id}")),
            "identifier": codes::patient_identifier(id, system),
        },
        "type": codes::coding(ENTITY_TYPE, "1", "Person"),
        "role": codes::coding(OBJECT_ROLE, "1", "Patient"),
    }))
}

/// The resource acted on: `Type/id` when both are FHIR names, else the resource name
/// and the path.
fn data(r: &Record<'_>) -> Option<Value> {
    let ty = r.text(Text::ResourceType)?;
    let id = r.text(Text::ResourceId);
    let reference = (id.filter(|id| codes::is_resource_type(ty) && codes::is_fhir_id(id)))
        .map(|id| format!("{ty}/{id}"));
    let display = reference
        .is_none()
        .then(|| r.text(Text::Path).unwrap_or(ty));
    Some(json!({
        "what": {"reference": reference, "display": display},
        "type": codes::coding(ENTITY_TYPE, "2", "System Object"),
        "role": codes::coding(OBJECT_ROLE, "4", "Domain Resource"),
        "name": ty,
    }))
}

/// A search: the request target as the client sent it, base64 in `query`.
fn query(r: &Record<'_>) -> Option<Value> {
    let target = r.text(Text::RawPath).or(r.text(Text::Path))?;
    Some(json!({
        "type": codes::coding(ENTITY_TYPE, "2", "System Object"),
        "role": codes::coding(OBJECT_ROLE, "24", "Query"),
        "name": r.text(Text::ResourceType),
        "description": target,
        "query": base64::engine::general_purpose::STANDARD.encode(target),
    }))
}

/// The `X-Request-Id`, which also finds the record's outcome record in the log.
fn transaction(r: &Record<'_>) -> Option<Value> {
    let id = r.text(Text::RequestId)?;
    Some(json!({
        "what": {"identifier": {"value": id}},
        "type": codes::coding(BALP_ENTITY_TYPE, "XrequestId", "X-Request-Id"),
    }))
}

/// The log record: its hash as the identifier, its place in the chain and the fields
/// AuditEvent has no element for as details.
fn record(r: &Record<'_>) -> Value {
    let (chain, seq) = (r.chain_id(), r.seq());
    let text = |t: Text| r.text(t).map(str::to_owned);
    let details: Vec<Value> = [
        ("chain_id", Some(chain.to_owned())),
        ("seq", Some(seq.to_string())),
        ("decision", text(Text::Decision)),
        ("rule", text(Text::Rule)),
        ("policy_version", text(Text::PolicyVersion)),
        ("reason", text(Text::Reason)),
        (
            "emergency_justification",
            text(Text::EmergencyJustification),
        ),
        ("interaction", text(Text::Interaction)),
        ("method", text(Text::Method)),
        ("path", text(Text::Path)),
        ("raw_path", text(Text::RawPath)),
        ("department", text(Text::Department)),
        ("status", r.int(Int::Status).map(|s| s.to_string())),
        ("detail", text(Text::Detail)),
    ]
    .into_iter()
    .filter_map(|(k, v)| Some(json!({"type": k, "valueString": v?})))
    .collect();
    json!({
        "what": {
            "identifier": {"system": ZEGEL_RECORD_HASH, "value": r.hash_hex()},
            "display": format!("zegel record {chain} #{seq}"),
        },
        "type": codes::coding(ENTITY_TYPE, "2", "System Object"),
        "name": "zegel access record",
        "description": "the sealed log record of this event; check it with zegel-analyzer verify",
        "detail": details,
    })
}
