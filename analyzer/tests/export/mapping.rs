//! The AuditEvent of each planted case, field by field (docs/export.md).

use crate::common::{Planted, cases, fhir_events, query_value, transaction};
use serde_json::{Value, json};

const DCM: &str = "http://dicom.nema.org/resources/ontology/DCM";

fn entity<'a>(e: &'a Value, role: &str) -> Option<&'a Value> {
    (e["entity"].as_array()?)
        .iter()
        .find(|x| x["role"]["code"] == role)
}

fn agent<'a>(e: &'a Value, code: &str) -> &'a Value {
    (e["agent"].as_array().expect("agents"))
        .iter()
        .find(|a| a["type"]["coding"][0]["code"] == code)
        .unwrap_or_else(|| panic!("no agent {code} in {e:#}"))
}

fn subtype_codes(e: &Value) -> Vec<&str> {
    (e["subtype"].as_array().expect("subtype"))
        .iter()
        .filter_map(|c| c["code"].as_str())
        .collect()
}

#[tokio::test]
async fn read_is_a_balp_rest_read() {
    let e = Planted::new().await.event("req-read");
    assert_eq!(e["resourceType"], "AuditEvent");
    assert_eq!(
        e["id"], "c1-3",
        "chain c1, seq 3 (after start and policy-load)"
    );
    assert_eq!(
        e["type"],
        json!({"system": "http://terminology.hl7.org/CodeSystem/audit-event-type",
               "code": "rest", "display": "Restful Operation"})
    );
    assert_eq!(
        e["subtype"][0]["system"],
        "http://hl7.org/fhir/restful-interaction"
    );
    assert_eq!(subtype_codes(&e), ["read"]);
    assert_eq!((&e["action"], &e["outcome"]), (&json!("R"), &json!("0")));
    assert_eq!(e["recorded"], "2026-01-05T10:00:00.000000+01:00");
    assert!(e.get("outcomeDesc").is_none());
    let user = agent(&e, "IRCP");
    assert_eq!(user["requestor"], true);
    assert_eq!(user["who"]["identifier"]["value"], "emp-arts-1");
    assert_eq!(
        user["who"]["identifier"]["assigner"]["identifier"],
        json!({"system": "http://fhir.nl/fhir/NamingSystem/ura", "value": "00012345"})
    );
    assert_eq!(
        (&user["name"], &user["role"]),
        (&json!("A. Arts"), &json!([{"text": "arts"}]))
    );
    assert_eq!(user["network"], json!({"address": "10.1.2.3", "type": "2"}));
    assert_eq!(user["purposeOfUse"][0]["coding"][0]["code"], "TREAT");
    assert_eq!(
        user["policy"][0],
        format!("urn:zegel:policy:{}", "ab".repeat(32))
    );
    assert_eq!(agent(&e, "110153")["network"]["address"], "10.1.2.3");
    assert_eq!(agent(&e, "110152")["who"]["display"], "ecd");
    assert_eq!(e["source"]["observer"]["identifier"]["value"], "c1");
    let patient = entity(&e, "1").expect("patient entity");
    assert_eq!(patient["what"]["reference"], "Patient/pat-1");
    assert_eq!(patient["type"]["code"], "1");
    assert_eq!(
        entity(&e, "4").expect("data entity")["what"]["reference"],
        "Patient/pat-1"
    );
}

#[tokio::test]
async fn every_event_points_back_to_its_record() {
    let p = Planted::new().await;
    for e in fhir_events(&p.url, &[]) {
        let record = (e["entity"].as_array().expect("entities"))
            .iter()
            .find(|x| x["name"] == "zegel access record")
            .expect("record entity");
        let details: Vec<(&str, &str)> = (record["detail"].as_array().expect("details"))
            .iter()
            .map(|d| {
                (
                    d["type"].as_str().expect("type"),
                    d["valueString"].as_str().expect("value"),
                )
            })
            .collect();
        assert_eq!(details[0].0, "chain_id");
        let seq = details[1].1;
        assert_eq!(e["id"], format!("c1-{seq}"));
        let hash = query_value(
            &p.url,
            &format!(
                "SELECT encode(hash, 'hex') FROM access WHERE chain_id = 'c1' AND seq = {seq}"
            ),
        );
        assert_eq!(record["what"]["identifier"]["value"], hash.as_str());
        assert_eq!(
            record["what"]["identifier"]["system"],
            "urn:zegel:record-hash"
        );
    }
}

#[tokio::test]
async fn search_has_a_query_entity_and_its_one_patient() {
    let e = Planted::new().await.event("req-search");
    assert_eq!(subtype_codes(&e), ["search-type"]);
    assert_eq!(e["action"], "E");
    let query = entity(&e, "24").expect("query entity");
    let raw = "/fhir/Observation?patient=pat-1&code=8867-4";
    use base64::Engine;
    let sent = base64::engine::general_purpose::STANDARD.encode(raw);
    assert_eq!(
        (&query["query"], &query["description"]),
        (&json!(sent), &json!(raw))
    );
    assert!(entity(&e, "4").is_none(), "a search has no data entity");
    let patients: Vec<&Value> = (e["entity"].as_array().expect("entities"))
        .iter()
        .filter(|x| x["role"]["code"] == "1")
        .collect();
    assert_eq!(patients.len(), 1);
    assert_eq!(patients[0]["what"]["reference"], "Patient/pat-1");
}

#[tokio::test]
async fn create_update_delete_have_their_codes() {
    let p = Planted::new().await;
    for (req, interaction, action, user_type) in [
        ("req-create", "create", "C", "AGNT"),
        ("req-update", "update", "U", "AGNT"),
        ("req-delete", "delete", "D", "AGNT"),
    ] {
        let e = p.event(req);
        assert_eq!(subtype_codes(&e), [interaction], "{req}");
        assert_eq!(e["action"], action, "{req}");
        assert_eq!(agent(&e, user_type)["requestor"], true, "{req}");
        assert_eq!(
            entity(&e, "1").expect("patient")["what"]["reference"],
            "Patient/pat-2"
        );
    }
    let create = p.event("req-create");
    assert_eq!(
        entity(&create, "4").expect("data")["what"]["display"],
        "/fhir/Condition"
    );
    let update = p.event("req-update");
    assert_eq!(
        entity(&update, "4").expect("data")["what"]["reference"],
        "Condition/c-9"
    );
    let responsible = agent(&update, "RESP");
    assert_eq!(responsible["who"]["identifier"]["value"], "emp-supervisor");
    assert_eq!(responsible["requestor"], false);
}

#[tokio::test]
async fn denials_are_minor_failures_with_reason_and_rule() {
    let p = Planted::new().await;
    let deny = p.event("req-deny");
    assert_eq!(deny["outcome"], "4");
    assert_eq!(
        deny["outcomeDesc"],
        "denied; no rule allows arts to read Patient; rule: no rule matched"
    );
    let reject = p.event("req-reject");
    assert_eq!(reject["outcome"], "4");
    assert_eq!(
        reject["outcomeDesc"],
        "rejected; encoded dot segment in the path"
    );
    let user = &reject["agent"][0];
    assert_eq!(user["requestor"], true);
    assert!(user.get("who").is_none(), "no identity: no who");
    assert!(entity(&reject, "1").is_none(), "no patient");
    let would = p.event("req-bsn");
    assert_eq!(would["outcome"], "0");
    assert!(
        would["outcomeDesc"]
            .as_str()
            .expect("desc")
            .starts_with("audit mode")
    );
}

#[tokio::test]
async fn break_the_glass_is_a_dicom_security_alert() {
    let e = Planted::new().await.event("req-btg");
    assert_eq!(
        e["type"],
        json!({"system": DCM, "code": "110113", "display": "Security Alert"})
    );
    assert_eq!(
        e["subtype"][0],
        json!({"system": DCM, "code": "110127", "display": "Emergency Override Started"})
    );
    assert_eq!(subtype_codes(&e), ["110127", "read"]);
    let etreat = json!({"coding": [{"system": "http://terminology.hl7.org/CodeSystem/v3-ActReason",
                                    "code": "ETREAT", "display": "Emergency Treatment"}]});
    assert_eq!(e["purposeOfEvent"], json!([etreat]));
    assert_eq!(agent(&e, "IRCP")["purposeOfUse"], json!([etreat]));
    assert_eq!(e["outcome"], "0");
    assert_eq!(
        e["outcomeDesc"],
        "break-the-glass; justification: Reanimatie op de SEH"
    );
}

#[tokio::test]
async fn identifiers_follow_dutch_naming_systems() {
    let e = Planted::new().await.event("req-bsn");
    let patient = entity(&e, "1").expect("patient");
    assert!(
        patient["what"].get("reference").is_none(),
        "a BSN is no resource id"
    );
    assert_eq!(
        patient["what"]["identifier"],
        json!({"system": "http://fhir.nl/fhir/NamingSystem/bsn", "value": "999999990"})
    );
    let assigner = &agent(&e, "IRCP")["who"]["identifier"]["assigner"];
    assert_eq!(assigner["identifier"], json!({"value": "Ziekenhuis Oost"}));
    assert_eq!(subtype_codes(&e), ["read"]);
    assert_eq!(
        entity(&e, "4").expect("data")["what"]["display"],
        "/api/clients/999/notes"
    );
}

#[tokio::test]
async fn only_access_records_become_events_and_filters_apply() {
    let p = Planted::new().await;
    let all = fhir_events(&p.url, &[]);
    let mut ids: Vec<&str> = all.iter().filter_map(transaction).collect();
    ids.sort_unstable();
    let mut expected = cases();
    expected.sort_unstable();
    assert_eq!(
        ids, expected,
        "one event per access record, none for other kinds"
    );
    let day = fhir_events(&p.url, &["--from", "2026-01-06", "--to", "2026-01-06"]);
    assert_eq!(
        day.iter().filter_map(transaction).count(),
        3,
        "create, update, delete"
    );
    let patient = fhir_events(&p.url, &["--patient", "pat-1"]);
    assert_eq!(patient.len(), 2, "read and search");
    let user = fhir_events(&p.url, &["--user", "emp-arts-1", "--to", "2026-01-07"]);
    assert_eq!(user.len(), 7);
}

#[tokio::test]
async fn the_bundle_holds_the_same_events() {
    let p = Planted::new().await;
    let by_id = |mut v: Vec<Value>| {
        v.sort_by_key(|e| e["id"].as_str().map(str::to_owned));
        v
    };
    let ndjson = by_id(fhir_events(&p.url, &[]));
    let out = crate::common::stdout(&crate::common::analyzer(&[
        "export", "fhir", "--source", &p.url, "--format", "bundle",
    ]));
    let bundle: Value = serde_json::from_str(&out).expect("one JSON document");
    assert_eq!(
        (&bundle["resourceType"], &bundle["type"]),
        (&json!("Bundle"), &json!("collection"))
    );
    let entries: Vec<Value> = (bundle["entry"].as_array().expect("entries"))
        .iter()
        .map(|x| x["resource"].clone())
        .collect();
    assert_eq!(by_id(entries), ndjson);
    let empty = crate::common::stdout(&crate::common::analyzer(&[
        "export",
        "fhir",
        "--source",
        &p.url,
        "--format",
        "bundle",
        "--patient",
        "nobody",
    ]));
    let empty: Value = serde_json::from_str(&empty).expect("JSON");
    assert!(empty.get("entry").is_none(), "no empty array: {empty}");
}
