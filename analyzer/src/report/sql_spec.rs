//! `report NAME --format sql`: the SQL a report runs and the parameter values it binds,
//! as one JSON document, without running anything. An officer or auditor can read and
//! re-run exactly what a report computes (each section's SQL reads the `period` view,
//! whose SQL is included); `bench/analyzer.sh` hands it to DuckDB.
//!
//! Some reports shape their rows further after the SQL (patient-access merges a day's
//! lines, adoption adds charts, compliance is assembled from several steps and the
//! verifier); the document lists what runs as SQL, and the compliance pack has none to
//! list on its own.

use super::Options;
use super::period::PERIOD_SQL;
use super::section::Spec;
use datafusion::common::ScalarValue;
use serde_json::{Map, Value, json};

/// The document for `opts` and the report's section specs.
pub fn document(opts: &Options, specs: &[Spec]) -> String {
    let mut params = Map::new();
    let period = opts.period.params();
    for (name, v) in period.iter().cloned().chain(opts.params()) {
        params.insert(name.to_owned(), param(&v));
    }
    let sections: Vec<Value> = (specs.iter())
        .map(|s| {
            let needs: Vec<&str> = s.needs.iter().map(|n| n.table()).collect();
            json!({ "id": s.id, "sql": s.sql, "needs": needs })
        })
        .collect();
    let doc = json!({
        "report": super::name(opts.name),
        "timezone": opts.period.timezone,
        "period_view": opts.period.sql(),
        "period_view_template": PERIOD_SQL,
        "params": params,
        "sections": sections,
    });
    format!("{doc:#}\n")
}

/// A parameter value with its SQL type.
fn param(v: &ScalarValue) -> Value {
    let (ty, value) = match v {
        ScalarValue::Utf8(s) => ("text", json!(s)),
        ScalarValue::Int64(n) => ("integer", json!(n)),
        ScalarValue::Float64(f) => ("double", json!(f)),
        ScalarValue::Boolean(b) => ("boolean", json!(b)),
        ScalarValue::TimestampMicrosecond(us, _) => ("timestamp_us", json!(us)),
        other => ("text", json!(other.to_string())),
    };
    json!({ "type": ty, "value": value })
}
