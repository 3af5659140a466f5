//! The agents and the source of an AuditEvent (IHE BALP): the user (the requestor), the
//! responsible user when there is one, the client (DCM 110153 Source Role ID, at the
//! access point) and the server (DCM 110152 Destination Role ID, the application); the
//! source is the zegel sidecar whose chain recorded the event.

use super::codes::{
    self, ACT_REASON, DCM, PARTICIPATION_TYPE, ROLE_CLASS, SOURCE_TYPE, ZEGEL_CHAIN, ZEGEL_POLICY,
};
use super::event::etreat;
use crate::export::rows::{Record, Text};
use serde_json::{Value, json};
use std::net::IpAddr;

/// Every agent of `r`, the user first.
pub fn agents(r: &Record<'_>, emergency: bool) -> Vec<Value> {
    let client = r.text(Text::AccessPoint).map(|a| {
        json!({
            "type": codes::concept(DCM, "110153", "Source Role ID"),
            "who": {"display": a},
            "requestor": false,
            "network": network(a),
        })
    });
    let server = r.text(Text::Application).map(|app| {
        json!({
            "type": codes::concept(DCM, "110152", "Destination Role ID"),
            "who": {"identifier": {"value": app}, "display": app},
            "requestor": false,
        })
    });
    [Some(user(r, emergency)), responsible(r), client, server]
        .into_iter()
        .flatten()
        .collect()
}

/// The user: who, name, roles, organisation (as the assigner of the user id), access
/// point, purpose of use and the policy version that decided.
fn user(r: &Record<'_>, emergency: bool) -> Value {
    let org = r.text(Text::Organisation);
    let who = r.text(Text::UserId).map(|id| {
        json!({
            "identifier": {
                "value": id,
                "assigner": org.map(|o| json!({"identifier": codes::organisation(o), "display": o})),
            },
            "display": r.text(Text::UserName),
        })
    });
    let roles: Vec<Value> = (r.roles().into_iter())
        .map(|role| json!({"text": role}))
        .collect();
    json!({
        "type": user_type(r.text(Text::Action)),
        "role": roles,
        "who": who,
        "name": r.text(Text::UserName),
        "requestor": true,
        "policy": r.text(Text::PolicyVersion).map(|v| [format!("{ZEGEL_POLICY}{v}")]),
        "network": r.text(Text::AccessPoint).map(network),
        "purposeOfUse": purposes(r.text(Text::PurposeOfUse), emergency),
    })
}

/// BALP's user agent type: information recipient for reads and queries, agent for
/// creating, updating and deleting.
fn user_type(action: Option<&str>) -> Value {
    match action {
        Some("C" | "U" | "D") => codes::concept(ROLE_CLASS, "AGNT", "agent"),
        _ => codes::concept(PARTICIPATION_TYPE, "IRCP", "information recipient"),
    }
}

/// The recorded purpose of use (a v3-ActReason code such as `TREAT` when it looks like
/// one, else as text), plus `ETREAT` for break-the-glass.
fn purposes(purpose: Option<&str>, emergency: bool) -> Vec<Value> {
    let recorded = purpose.filter(|p| !(emergency && *p == "ETREAT")).map(|p| {
        if p.bytes().all(|b| b.is_ascii_uppercase()) {
            json!({"coding": [{"system": ACT_REASON, "code": p}]})
        } else {
            json!({"text": p})
        }
    });
    (recorded.into_iter())
        .chain(emergency.then(etreat))
        .collect()
}

/// The responsible user (on whose behalf), when recorded.
fn responsible(r: &Record<'_>) -> Option<Value> {
    let id = r.text(Text::ResponsibleUser)?;
    Some(json!({
        "type": codes::concept(PARTICIPATION_TYPE, "RESP", "responsible party"),
        "who": {"identifier": {"value": id}},
        "requestor": false,
    }))
}

/// An agent's network: type 2 for an IP address, 1 (machine name) otherwise.
fn network(address: &str) -> Value {
    let kind = if address.parse::<IpAddr>().is_ok() {
        "2"
    } else {
        "1"
    };
    json!({"address": address, "type": kind})
}

/// The observer: the sidecar instance (its chain) in front of the application.
pub fn source(r: &Record<'_>) -> Value {
    let chain = r.chain_id();
    json!({
        "site": r.text(Text::Application),
        "observer": {
            "identifier": {"system": ZEGEL_CHAIN, "value": chain},
            "display": format!("zegel sidecar, chain {chain}"),
        },
        "type": [codes::coding(SOURCE_TYPE, "4", "Application Server")],
    })
}
