//! The requests staff make, by role, and the access and outcome records a sidecar writes
//! for them.

use super::rng::{Rng, hex_id};
use super::staff::{Role, Staff};
use zegel_audit::{Action, Decision, Event, EventKind};

/// URA number of the synthetic hospital (as in `policies/policy.csv`).
pub const ORGANISATION: &str = "ura:00012345";

/// How a request names its patient.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shape {
    /// `GET /prefix/Type/{patient}`: the patient resource itself.
    ReadPatient,
    /// `GET /prefix/Type?patient={patient}`.
    Search,
    /// `POST /prefix/Type?patient={patient}`.
    Create,
    /// `PUT /prefix/Type/{user}`: no patient (administration).
    Update,
    /// `GET /prefix/Type?organization=...`: no patient.
    Directory,
}

/// A kind of request: application, resource, interaction.
#[derive(Debug, Clone, Copy)]
pub struct Request {
    /// Application (`access.application`).
    pub app: &'static str,
    /// Path prefix of the application.
    pub prefix: &'static str,
    /// Resource type or route name.
    pub resource: &'static str,
    /// Interaction, as named in the policy (`read`, `search`, `create`, `update`).
    pub interaction: &'static str,
    /// NEN 7513 action code.
    pub action: Action,
    /// Path form.
    pub shape: Shape,
}

const fn req(app: &'static str, resource: &'static str, shape: Shape) -> Request {
    let (interaction, action) = match shape {
        Shape::ReadPatient => ("read", Action::R),
        Shape::Search | Shape::Directory => ("search", Action::E),
        Shape::Create => ("create", Action::C),
        Shape::Update => ("update", Action::U),
    };
    let prefix = match app.as_bytes()[0] {
        b'e' => "/fhir",
        b'p' if app.len() == 4 => "/pacs",
        b'p' => "/portaal",
        b'z' => "/zegel",
        _ => "/beheer",
    };
    Request {
        app,
        prefix,
        resource,
        interaction,
        action,
        shape,
    }
}

/// Reading the patient's own resource.
pub const PATIENT_READ: Request = req("ecd", "Patient", Shape::ReadPatient);
/// Searching conditions (diagnoses).
pub const CONDITIONS: Request = req("ecd", "Condition", Shape::Search);
/// Searching observations.
pub const OBSERVATIONS: Request = req("ecd", "Observation", Shape::Search);
/// Searching documents (letters, reports).
pub const DOCUMENTS: Request = req("ecd", "DocumentReference", Shape::Search);
/// Searching appointments.
pub const APPOINTMENTS: Request = req("ecd", "Appointment", Shape::Search);
/// Searching medication.
pub const MEDICATION: Request = req("ecd", "MedicationRequest", Shape::Search);
/// Changing an employee's authorisations (application management).
pub const AUTHORISATION: Request = req("beheer", "autorisatie", Shape::Update);
/// Searching the access log itself.
pub const LOG_SEARCH: Request = req("zegel", "logboek", Shape::Directory);
const PRACTITIONERS: Request = req("ecd", "Practitioner", Shape::Directory);

const CLINICAL: &[Request] = &[
    PATIENT_READ,
    PATIENT_READ,
    PATIENT_READ,
    OBSERVATIONS,
    OBSERVATIONS,
    OBSERVATIONS,
    CONDITIONS,
    CONDITIONS,
    MEDICATION,
    MEDICATION,
    DOCUMENTS,
    DOCUMENTS,
    req("ecd", "MedicationRequest", Shape::Create),
    req("ecd", "Condition", Shape::Create),
    req("portaal", "berichten", Shape::Search),
    req("pacs", "studies", Shape::Search),
];
const NURSING: &[Request] = &[
    PATIENT_READ,
    PATIENT_READ,
    OBSERVATIONS,
    OBSERVATIONS,
    MEDICATION,
    MEDICATION,
    DOCUMENTS,
    req("ecd", "Observation", Shape::Create),
    req("ecd", "Observation", Shape::Create),
    req("ecd", "Observation", Shape::Create),
    req("ecd", "MedicationAdministration", Shape::Create),
    req("ecd", "MedicationAdministration", Shape::Create),
];
const OFFICE: &[Request] = &[
    PATIENT_READ,
    PATIENT_READ,
    PATIENT_READ,
    APPOINTMENTS,
    APPOINTMENTS,
    APPOINTMENTS,
    req("ecd", "Appointment", Shape::Create),
    req("ecd", "Encounter", Shape::Search),
    req("ecd", "Encounter", Shape::Search),
    req("portaal", "berichten", Shape::Search),
    req("portaal", "berichten", Shape::Create),
];
const RADIOLOGY: &[Request] = &[
    req("pacs", "studies", Shape::Search),
    req("pacs", "studies", Shape::Search),
    req("pacs", "studies", Shape::Search),
    req("pacs", "studies", Shape::Create),
    req("pacs", "studies", Shape::Create),
    PATIENT_READ,
    req("ecd", "DiagnosticReport", Shape::Create),
];
const PHARMACY: &[Request] = &[
    MEDICATION,
    MEDICATION,
    MEDICATION,
    req("ecd", "MedicationDispense", Shape::Create),
    req("ecd", "MedicationDispense", Shape::Create),
    PATIENT_READ,
];

/// A request `staff` makes on a patient, drawn from what their role does.
pub fn draw(staff: &Staff, rng: &mut Rng) -> Request {
    let list = match staff.role {
        Role::Arts if staff.dept_name() == "radiologie" => RADIOLOGY,
        Role::Laborant => RADIOLOGY,
        Role::Arts | Role::ArtsAssistent => CLINICAL,
        Role::Verpleegkundige => NURSING,
        Role::Apotheker | Role::Apothekersassistent => PHARMACY,
        _ => OFFICE,
    };
    list[rng.index(list.len())]
}

/// A request without a patient (looking up colleagues).
pub fn directory_request() -> Request {
    PRACTITIONERS
}

/// The access record of `staff` making `r` at `t_us` on `patient` (or on `target`, the
/// subject of a request without patient), decided `decision` by `rule`.
pub struct Access<'a> {
    /// Who.
    pub staff: &'a Staff,
    /// What.
    pub request: Request,
    /// On which patient id.
    pub patient: Option<&'a str>,
    /// When.
    pub t_us: i64,
    /// The policy in force.
    pub policy_version: &'a str,
}

impl Access<'_> {
    /// The access record, allowed by the role's rule.
    pub fn allowed(&self, rng: &mut Rng) -> Event {
        let r = self.request;
        let mut e = self.event(rng);
        e.decision = Some(Decision::Allow);
        e.rule = Some(format!(
            "p, {}, {ORGANISATION}, {}:{}, {}, allow",
            self.staff.role.name(),
            r.app,
            r.resource,
            r.interaction
        ));
        e
    }

    /// The access record with every field but the decision.
    pub fn event(&self, rng: &mut Rng) -> Event {
        let (s, r) = (self.staff, self.request);
        let mut e = Event::new(EventKind::Access, self.t_us);
        e.request_id = Some(hex_id(rng, 2));
        e.user_id = Some(s.user_id.clone());
        e.user_name = Some(s.name.clone());
        e.roles = vec![s.role.name().to_owned()];
        e.organisation = Some(ORGANISATION.to_owned());
        e.department = Some(s.dept_name().to_owned());
        e.purpose_of_use = Some("TREAT".to_owned());
        e.access_point = Some(s.ip.clone());
        e.application = Some(r.app.to_owned());
        e.method = Some(method(r.shape).to_owned());
        e.path = Some(path(&r, self.patient, rng));
        e.interaction = Some(r.interaction.to_owned());
        e.action = Some(r.action);
        e.resource_type = Some(r.resource.to_owned());
        if r.shape == Shape::ReadPatient {
            e.resource_id = self.patient.map(str::to_owned);
        }
        e.patient_id = self.patient.map(str::to_owned);
        e.patient_id_system = self.patient.map(|_| "local".to_owned());
        e.policy_version = Some(self.policy_version.to_owned());
        e
    }
}

fn method(shape: Shape) -> &'static str {
    match shape {
        Shape::Create => "POST",
        Shape::Update => "PUT",
        _ => "GET",
    }
}

fn path(r: &Request, patient: Option<&str>, rng: &mut Rng) -> String {
    let mut p = String::with_capacity(48);
    p.push_str(r.prefix);
    p.push('/');
    p.push_str(r.resource);
    match (r.shape, patient) {
        (Shape::ReadPatient, Some(id)) => {
            p.push('/');
            p.push_str(id);
        }
        (Shape::Update, _) => {
            p.push_str("/emp-");
            p.push_str(&hex_id(rng, 1)[..5]);
        }
        (Shape::Directory, _) => p.push_str("?organization=ura:00012345"),
        (_, Some(id)) => {
            p.push_str("?patient=");
            p.push_str(id);
        }
        _ => {}
    }
    p
}

/// The outcome record of `access` (written as record `seq`), as the sidecar writes it
/// after the response: status, bytes, duration.
pub fn outcome(access: &Event, seq: u64, rng: &mut Rng) -> Event {
    let denied = access.decision == Some(Decision::Deny);
    let pacs = access.application.as_deref() == Some("pacs");
    let (bytes, ms) = match access.action {
        _ if denied => (96, rng.range(1, 4)),
        Some(Action::C) | Some(Action::U) => (rng.range(300, 1500), rng.range(10, 80)),
        _ if pacs => (rng.range(50_000, 5_000_000), rng.range(30, 900)),
        Some(Action::R) => (rng.range(1_000, 30_000), rng.range(4, 60)),
        _ => (rng.range(2_000, 120_000), rng.range(8, 150)),
    };
    let duration_us = ms * 1000 + rng.range(0, 999);
    let mut o = Event::new(EventKind::Outcome, access.time_us + duration_us);
    o.request_id = access.request_id.clone();
    o.application = access.application.clone();
    o.status = Some(if denied { 403 } else { 200 });
    o.bytes = Some(bytes);
    o.duration_us = Some(duration_us);
    o.links_seq = Some(seq as i64);
    o
}
