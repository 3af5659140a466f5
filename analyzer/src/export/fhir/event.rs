//! One access record as one AuditEvent (IHE BALP): the event's type, subtype, action,
//! time and outcome here; its agents in `agents.rs`, its entities in `entities.rs`.
//! Every empty value is dropped at the end ([`prune`]): FHIR JSON has no nulls, empty
//! strings or empty arrays.

use super::codes::{self, ACT_REASON, AUDIT_EVENT_TYPE, DCM, RESTFUL_INTERACTION};
use super::{agents, entities};
use crate::export::rows::{Int, Record, Text};
use chrono::DateTime;
use datafusion::arrow::array::timezone::Tz;
use serde_json::{Value, json};
use std::io::Write;

/// The elements of an AuditEvent in the order of its definition, for [`write`].
const ORDER: [&str; 12] = [
    "resourceType",
    "id",
    "type",
    "subtype",
    "action",
    "recorded",
    "outcome",
    "outcomeDesc",
    "purposeOfEvent",
    "agent",
    "source",
    "entity",
];

/// The AuditEvent of access record `r`, its times in `tz`.
pub fn audit_event(r: &Record<'_>, tz: &Tz) -> Value {
    let interaction = codes::interaction(
        r.text(Text::Interaction),
        r.text(Text::Action),
        r.text(Text::ResourceType),
    );
    let emergency = r.text(Text::Decision) == Some("emergency");
    let (outcome, outcome_desc) = outcome(r);
    let mut event = json!({
        "resourceType": "AuditEvent",
        "id": codes::event_id(r.chain_id(), r.seq()),
        "type": event_type(emergency),
        "subtype": subtypes(emergency, interaction),
        "action": r.text(Text::Action).or_else(|| interaction.and_then(codes::action_of)),
        "recorded": instant(r.int(Int::TimeUs).unwrap_or(0), tz),
        "outcome": outcome,
        "outcomeDesc": outcome_desc,
        "purposeOfEvent": emergency.then(|| [etreat()]),
        "agent": agents::agents(r, emergency),
        "source": agents::source(r),
        "entity": entities::entities(r, interaction),
    });
    prune(&mut event);
    event
}

/// Writes `event` as compact JSON with its elements in definition order (resourceType
/// first, as readers expect; any other element after them); inside them serde_json's
/// key order.
pub fn write(out: &mut dyn Write, event: &Value) -> std::io::Result<()> {
    let Value::Object(map) = event else {
        return Ok(serde_json::to_writer(out, event)?);
    };
    let known = ORDER.iter().filter_map(|k| map.get_key_value(*k));
    let others = map.iter().filter(|(k, _)| !ORDER.contains(&k.as_str()));
    let mut sep: &[u8] = b"{";
    for (key, value) in known.chain(others) {
        out.write_all(sep)?;
        serde_json::to_writer(&mut *out, key)?;
        out.write_all(b":")?;
        serde_json::to_writer(&mut *out, value)?;
        sep = b",";
    }
    out.write_all(b"}")
}

/// BALP's `rest` event, or a DICOM security alert for break-the-glass.
fn event_type(emergency: bool) -> Value {
    if emergency {
        codes::coding(DCM, "110113", "Security Alert")
    } else {
        codes::coding(AUDIT_EVENT_TYPE, "rest", "Restful Operation")
    }
}

/// The interaction, after DCM 110127 for break-the-glass.
fn subtypes(emergency: bool, interaction: Option<&str>) -> Vec<Value> {
    let override_started = codes::coding(DCM, "110127", "Emergency Override Started");
    let rest = interaction.map(|i| codes::coding(RESTFUL_INTERACTION, i, i));
    (emergency.then_some(override_started).into_iter())
        .chain(rest)
        .collect()
}

/// The purpose of use of break-the-glass.
pub fn etreat() -> Value {
    codes::concept(ACT_REASON, "ETREAT", "Emergency Treatment")
}

/// `outcome` and `outcomeDesc`: 0 for what was let through, 4 (minor failure) for what
/// zegel refused, with the reason and the rule that decided.
fn outcome(r: &Record<'_>) -> (&'static str, Option<String>) {
    let reason = r.text(Text::Reason);
    let rule = r.text(Text::Rule).map(|rule| format!("rule: {rule}"));
    let join = |parts: &[Option<String>]| {
        let parts: Vec<&str> = parts.iter().flatten().map(String::as_str).collect();
        (!parts.is_empty()).then(|| parts.join("; "))
    };
    match r.text(Text::Decision) {
        Some("deny") => (
            "4",
            join(&[Some("denied".into()), reason.map(Into::into), rule]),
        ),
        Some("reject") => (
            "4",
            join(&[Some("rejected".into()), reason.map(Into::into), rule]),
        ),
        Some("would-deny") => (
            "0",
            join(&[
                Some("audit mode: forwarded, but the policy would have denied".into()),
                rule,
            ]),
        ),
        Some("emergency") => (
            "0",
            join(&[
                Some("break-the-glass".into()),
                (r.text(Text::EmergencyJustification)).map(|j| format!("justification: {j}")),
            ]),
        ),
        _ => ("0", None),
    }
}

/// A FHIR instant in `tz` with its offset, to the microsecond.
pub fn instant(time_us: i64, tz: &Tz) -> String {
    DateTime::from_timestamp_micros(time_us)
        .unwrap_or_default()
        .with_timezone(tz)
        .format("%Y-%m-%dT%H:%M:%S%.6f%:z")
        .to_string()
}

/// Removes nulls, empty strings, empty arrays and empty objects, innermost first.
pub fn prune(v: &mut Value) {
    match v {
        Value::Object(map) => {
            map.values_mut().for_each(prune);
            map.retain(|_, v| !is_empty(v));
        }
        Value::Array(items) => {
            items.iter_mut().for_each(prune);
            items.retain(|v| !is_empty(v));
        }
        _ => {}
    }
}

fn is_empty(v: &Value) -> bool {
    match v {
        Value::Null => true,
        Value::String(s) => s.is_empty(),
        Value::Array(a) => a.is_empty(),
        Value::Object(o) => o.is_empty(),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::str::FromStr;

    #[test]
    fn prune_drops_what_fhir_json_forbids() {
        let mut v =
            json!({"a": null, "b": "", "c": [], "d": [{"e": null}], "f": {"g": [""]}, "h": 0});
        prune(&mut v);
        assert_eq!(v, json!({"h": 0}));
    }

    #[test]
    fn elements_are_written_in_definition_order() {
        let mut out = Vec::new();
        write(
            &mut out,
            &json!({"type": {"code": "rest"}, "id": "c-1", "resourceType": "AuditEvent"}),
        )
        .expect("write");
        let text = String::from_utf8(out).expect("utf-8");
        assert_eq!(
            text,
            r#"{"resourceType":"AuditEvent","id":"c-1","type":{"code":"rest"}}"#
        );
    }

    #[test]
    fn instants_carry_the_local_offset() {
        let tz = Tz::from_str("Europe/Amsterdam").expect("tz");
        assert_eq!(
            instant(1_767_600_000_123_456, &tz),
            "2026-01-05T09:00:00.123456+01:00"
        );
    }
}
