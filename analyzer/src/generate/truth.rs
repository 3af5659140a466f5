//! What the generator knows and the log does not say: the directory CSV files (staff,
//! patients, care relations; `docs/analyzer-tables.md`) and the ground truth of the
//! planted incidents (`incidents.json`, `docs/generator.md`).

use super::clock::{self, rfc3339};
use super::hospital::{Hospital, WORKLIST};
use super::incidents::{Incident, SPIKE_MIN};
use super::names::DEPARTMENTS;
use super::patients::surname;
use super::staff::{ADMIN_ROLES, OFFICE_ROLES};
use super::submit::ChainResult;
use crate::Error;
use crate::cli::GenArgs;
use serde_json::{Value, json};
use std::collections::HashMap;
use std::path::Path;

fn err(path: &Path, e: &dyn std::fmt::Display) -> Error {
    Error::Output {
        target: path.display().to_string(),
        detail: e.to_string(),
    }
}

fn csv_file(dir: &Path, name: &str, header: &[&str]) -> Result<csv::Writer<std::fs::File>, Error> {
    let path = dir.join(name);
    let mut w = csv::Writer::from_path(&path).map_err(|e| err(&path, &e))?;
    w.write_record(header).map_err(|e| err(&path, &e))?;
    Ok(w)
}

/// Writes `staff.csv`, `patients.csv` and `care_relations.csv` into `dir`.
pub fn write_directory(dir: &Path, h: &Hospital) -> Result<(), Error> {
    let e = |name: &str| {
        let path = dir.join(name);
        move |x: csv::Error| err(&path, &x)
    };
    let mut w = csv_file(dir, "staff.csv", &["user_id", "name", "department", "role"])?;
    for s in &h.staff {
        w.write_record([&s.user_id, &s.name, s.dept_name(), s.role.name()])
            .map_err(e("staff.csv"))?;
    }
    w.flush().map_err(|x| err(&dir.join("staff.csv"), &x))?;
    let mut w = csv_file(dir, "patients.csv", &["patient_id", "surname", "vip"])?;
    for p in &h.patients {
        let vip = if p.vip { "true" } else { "false" };
        w.write_record([p.id.as_str(), surname(p), vip])
            .map_err(e("patients.csv"))?;
    }
    w.flush().map_err(|x| err(&dir.join("patients.csv"), &x))?;
    let header = ["patient_id", "user_id", "valid_from", "valid_to"];
    let mut w = csv_file(dir, "care_relations.csv", &header)?;
    for p in &h.patients {
        let from = clock::date(p.from).format("%Y-%m-%d").to_string();
        let to =
            p.to.map(|d| clock::date(d).format("%Y-%m-%d").to_string())
                .unwrap_or_default();
        let teams = std::iter::once(p.dept)
            .chain(p.consult)
            .map(|d| DEPARTMENTS[d].name);
        let named = p
            .named
            .iter()
            .map(|&s| h.staff[s as usize].user_id.as_str());
        for who in teams.chain(named) {
            w.write_record([p.id.as_str(), who, &from, &to])
                .map_err(e("care_relations.csv"))?;
        }
    }
    w.flush()
        .map_err(|x| err(&dir.join("care_relations.csv"), &x))
}

/// Writes `incidents.json` into `dir`: every planted incident with the chain and
/// sequence number of each of its access records (`null` for a chain this run did not
/// write: see `chains_written`).
pub fn write_incidents(
    dir: &Path,
    args: &GenArgs,
    h: &Hospital,
    planted: &[Incident],
    chains: &[String],
    written: &[String],
    results: &[ChainResult],
) -> Result<(), Error> {
    let mut seqs = HashMap::new();
    for r in results {
        for (m, seq) in &r.planted {
            seqs.insert((m.incident, m.access), *seq);
        }
    }
    let incidents: Vec<Value> = (planted.iter().enumerate())
        .map(|(i, inc)| incident(i, inc, h, &chains[inc.chain], &seqs))
        .collect();
    let doc = json!({
        "generator": "zegel-analyzer gen",
        "seed": args.seed,
        "start": clock::date(0).format("%Y-%m-%d").to_string(),
        "days": h.days,
        "chains": chains,
        "chains_written": written,
        "rules": {
            "office_roles": OFFICE_ROLES,
            "office_hours": "weekdays 07:00-19:00, Dutch local time (Europe/Amsterdam)",
            "admin_roles": ADMIN_ROLES,
            "volume_spike_min_distinct_patients": SPIKE_MIN,
            "background_max_distinct_patients_per_user_per_utc_day": WORKLIST,
        },
        "incidents": incidents,
    });
    let path = dir.join("incidents.json");
    let text = serde_json::to_string_pretty(&doc).map_err(|e| err(&path, &e))?;
    std::fs::write(&path, text + "\n").map_err(|e| err(&path, &e))
}

fn incident(
    i: usize,
    inc: &Incident,
    h: &Hospital,
    chain: &str,
    seqs: &HashMap<(usize, usize), u64>,
) -> Value {
    let pid = |p: Option<u32>| p.map(|p| h.patients[p as usize].id.clone());
    let accesses: Vec<Value> = (inc.accesses.iter().enumerate())
        .map(|(j, a)| {
            json!({
                "chain_id": chain,
                "seq": seqs.get(&(i, j)),
                "time": rfc3339(a.event.time_us),
                "patient_id": pid(a.patient),
                "decision": a.event.decision.map(|d| d.as_str()),
                "care_relation": a.care_relation,
            })
        })
        .collect();
    let first = inc.accesses.first();
    let patients: std::collections::BTreeSet<_> = inc.accesses.iter().map(|a| a.patient).collect();
    json!({
        "id": i + 1,
        "kind": inc.kind.name(),
        "user_id": h.staff[inc.user as usize].user_id,
        "patient_id": if patients.len() == 1 { pid(first.and_then(|a| a.patient)) } else { None },
        "time": first.map(|a| rfc3339(a.event.time_us)),
        "chain_id": chain,
        "seq": seqs.get(&(i, 0)),
        "note": inc.note,
        "accesses": accesses,
    })
}
