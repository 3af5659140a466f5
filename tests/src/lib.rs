//! Shared parts of the end-to-end tests and benchmarks: realistic sample records, an
//! isolated PostgreSQL schema per test, and a TCP relay that can cut a database link.

pub mod pg;
pub mod relay;
pub mod sidecar;
pub mod upstream;

use zegel_audit::{Action, Decision, Event, EventKind};

/// The environment variable that enables PostgreSQL tests, e.g.
/// `postgres://postgres@127.0.0.1:5432/test`.
pub const POSTGRES_URL_ENV: &str = "ZEGEL_TEST_POSTGRES_URL";

/// A realistic access record (about 300 bytes encoded); `i` varies user, patient and time.
pub fn sample_event(i: u64) -> Event {
    let mut e = Event::new(EventKind::Access, 1_790_000_000_000_000 + i as i64 * 1_000);
    e.request_id = Some(format!("req-{i:016x}"));
    e.user_id = Some(format!("uzi:{:09}", 900_000_000 + i % 1_000));
    e.user_name = Some(format!("Medewerker {}", i % 1_000));
    e.roles = vec!["nurse".into(), "staff".into()];
    e.organisation = Some("ura:01234567".into());
    e.department = Some(format!("dept-{}", i % 12));
    e.purpose_of_use = Some("TREAT".into());
    e.access_point = Some(format!("10.1.{}.{}", (i / 250) % 250, i % 250));
    e.application = Some("ecd".into());
    e.method = Some("GET".into());
    e.path = Some(format!("/fhir/Patient/p{}/Observation", i % 50_000));
    e.interaction = Some("search-type".into());
    e.action = Some(Action::E);
    e.resource_type = Some("Observation".into());
    e.patient_id = Some(format!("p{}", i % 50_000));
    e.patient_id_system = Some("local".into());
    e.decision = Some(Decision::Allow);
    e.rule = Some("p, nurse, ura:01234567, ecd:Observation, search".into());
    e.policy_version =
        Some("5f0c6e2d4bb4a3bd9e3c1f0e8a7d6c5b4a39281706f5e4d3c2b1a09f8e7d6c5b".into());
    e
}
