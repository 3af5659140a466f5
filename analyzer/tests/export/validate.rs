//! Every exported AuditEvent validated against FHIR R4 by a real FHIR library:
//! `validate_fhir.py` (fhir.resources, see requirements.txt) run by the Python named in
//! `ZEGEL_FHIR_PYTHON`. Without it these tests skip with a note, unless
//! `ZEGEL_REQUIRE_FHIR_VALIDATOR=1` (set by `.ci/run`, which installs it) makes that a
//! failure.

use crate::common::{Generated, Planted, analyzer, stdout};
use std::path::{Path, PathBuf};
use std::process::Command;

const PYTHON_ENV: &str = "ZEGEL_FHIR_PYTHON";

/// The Python with fhir.resources, or `None` (after saying so) when none is configured.
fn validator(test: &str) -> Option<PathBuf> {
    let python = std::env::var_os(PYTHON_ENV).map(PathBuf::from);
    let required = std::env::var("ZEGEL_REQUIRE_FHIR_VALIDATOR").is_ok_and(|v| v == "1");
    match python {
        Some(p) => Some(p),
        None if required => panic!("ZEGEL_REQUIRE_FHIR_VALIDATOR=1 but {PYTHON_ENV} is not set"),
        None => {
            eprintln!("skipping {test}: {PYTHON_ENV} is not set (see .ci/run)");
            None
        }
    }
}

/// Runs the validator on `file` (`ndjson` or `bundle`); its exit status and output.
fn validate(python: &Path, mode: &str, file: &Path) -> (bool, String) {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/export/validate_fhir.py");
    let o = Command::new(python)
        .arg(script)
        .arg(mode)
        .arg(file)
        .output()
        .unwrap_or_else(|e| panic!("cannot run {}: {e}", python.display()));
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
    (o.status.success(), text)
}

/// Exports `source` as fhir in `format` into `file` and validates it; returns the count.
fn export_and_validate(python: &Path, source: &str, format: &str, file: &Path) -> usize {
    let out = file.display().to_string();
    let args = [
        "export", "fhir", "--source", source, "--format", format, "-o", &out,
    ];
    stdout(&analyzer(&args));
    let (ok, text) = validate(python, format, file);
    assert!(ok, "{format} export is not valid FHIR R4:\n{text}");
    let n = text.split_whitespace().next().and_then(|n| n.parse().ok());
    n.unwrap_or_else(|| panic!("unexpected validator output: {text}"))
}

#[test]
fn generated_log_exports_valid_fhir_r4() {
    let Some(python) = validator("generated_log_exports_valid_fhir_r4") else {
        return;
    };
    let g = Generated::new();
    let ndjson = export_and_validate(&python, &g.url, "ndjson", &g.path("events.ndjson"));
    let bundle = export_and_validate(&python, &g.url, "bundle", &g.path("events.json"));
    assert!(ndjson > 3000, "every access of the generated log: {ndjson}");
    assert_eq!(ndjson, bundle);
}

#[tokio::test]
async fn every_planted_case_is_valid_fhir_r4() {
    let Some(python) = validator("every_planted_case_is_valid_fhir_r4") else {
        return;
    };
    let p = Planted::new().await;
    let dir = tempfile::tempdir().expect("tempdir");
    let n = export_and_validate(&python, &p.url, "ndjson", &dir.path().join("e.ndjson"));
    assert_eq!(n, crate::common::cases().len());
    export_and_validate(&python, &p.url, "bundle", &dir.path().join("e.json"));
}

#[tokio::test]
async fn the_validator_catches_a_broken_audit_event() {
    let Some(python) = validator("the_validator_catches_a_broken_audit_event") else {
        return;
    };
    let p = Planted::new().await;
    let mut event = p.event("req-read");
    // Breaks the resource three ways: an instant without time, an outcome outside its
    // required binding, and the required `requestor` removed from the user agent.
    event["recorded"] = "2026-01-05".into();
    event["outcome"] = "3".into();
    event["agent"][0]
        .as_object_mut()
        .expect("agent")
        .remove("requestor");
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("broken.ndjson");
    std::fs::write(&file, format!("{event}\n")).expect("write");
    let (ok, text) = validate(&python, "ndjson", &file);
    assert!(!ok, "the broken event passed:\n{text}");
    for problem in ["recorded", "outcome", "requestor"] {
        assert!(text.contains(problem), "{problem} not reported:\n{text}");
    }
}
