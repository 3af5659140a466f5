//! The access record: one event in the log, with every field NEN 7513 ch. 7 asks for.
//!
//! A record is built by the sidecar as an [`Event`] (everything but its place in the
//! chain); the writer gives it a sequence number and a hash and stores it as a
//! [`SealedRecord`]. Why each field exists is written down in `docs/log-format.md`.

use crate::encode::{DecodeError, decode};
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// What happened. Stored and hashed as its kebab-case name (`policy-load`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum EventKind {
    /// A request reached the sidecar and was decided (allowed, denied or rejected).
    Access,
    /// The response to an earlier access record completed (or the client went away).
    Outcome,
    /// A policy (model + rules) was loaded; carries the policy hash.
    PolicyLoad,
    /// A sidecar instance started writing this chain.
    Start,
    /// A sidecar instance stopped cleanly.
    Stop,
    /// Something an auditor must see that is not a request, e.g. a period during which
    /// requests were refused because the log was unavailable.
    Notice,
}

/// The outcome of the access decision.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Decision {
    /// A policy rule allowed the request.
    Allow,
    /// No rule allowed the request, or a rule denied it.
    Deny,
    /// Allowed only through the emergency (break-the-glass) procedure.
    Emergency,
    /// Audit mode: the request was forwarded, but the policy would have denied it.
    WouldDeny,
    /// Refused before any policy decision: malformed request or no acceptable identity.
    Reject,
}

/// NEN 7513 / IHE ATNA action code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Action {
    /// Create.
    C,
    /// Read (view, print, copy).
    R,
    /// Update.
    U,
    /// Delete.
    D,
    /// Execute (search, operations).
    E,
}

macro_rules! string_enum {
    ($ty:ident { $($variant:ident => $name:literal),+ $(,)? }) => {
        impl $ty {
            /// The name under which this value is stored and hashed.
            pub const fn as_str(self) -> &'static str {
                match self { $($ty::$variant => $name),+ }
            }
        }
        impl FromStr for $ty {
            type Err = UnknownValue;
            fn from_str(s: &str) -> Result<Self, UnknownValue> {
                match s {
                    $($name => Ok($ty::$variant),)+
                    other => Err(UnknownValue { what: stringify!($ty), value: other.to_owned() }),
                }
            }
        }
        impl fmt::Display for $ty {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result { f.write_str(self.as_str()) }
        }
    };
}

string_enum!(EventKind {
    Access => "access", Outcome => "outcome", PolicyLoad => "policy-load",
    Start => "start", Stop => "stop", Notice => "notice",
});
string_enum!(Decision {
    Allow => "allow", Deny => "deny", Emergency => "emergency",
    WouldDeny => "would-deny", Reject => "reject",
});
string_enum!(Action { C => "C", R => "R", U => "U", D => "D", E => "E" });

/// A stored string that is not one of the names an enum allows.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown {what} {value:?}")]
pub struct UnknownValue {
    /// The enum that was being read.
    pub what: &'static str,
    /// The value found.
    pub value: String,
}

/// One event, before the writer has given it a place in the chain.
///
/// Field order here is the order of the canonical encoding (`encode.rs`); changing it
/// changes the format version.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Event {
    /// When the event happened: microseconds since 1970-01-01T00:00:00Z.
    pub time_us: i64,
    /// What happened.
    pub kind: EventKind,
    /// `X-Request-Id` of the request; links the outcome to the access record.
    #[serde(default)]
    pub request_id: Option<String>,
    /// Authenticated user id (e.g. UZI number, employee id, token `sub`).
    #[serde(default)]
    pub user_id: Option<String>,
    /// Display name of the user, as the identity provider stated it.
    #[serde(default)]
    pub user_name: Option<String>,
    /// Roles of the user, sorted and without duplicates (see [`Event::normalize`]).
    #[serde(default)]
    pub roles: Vec<String>,
    /// Organisation of the user (URA or AGB code).
    #[serde(default)]
    pub organisation: Option<String>,
    /// Department of the user within the organisation.
    #[serde(default)]
    pub department: Option<String>,
    /// User on whose behalf the access happens (e.g. the supervising physician).
    #[serde(default)]
    pub responsible_user: Option<String>,
    /// Purpose of use (e.g. `TREAT`, `ETREAT`).
    #[serde(default)]
    pub purpose_of_use: Option<String>,
    /// Access point: client network address as seen by the sidecar.
    #[serde(default)]
    pub access_point: Option<String>,
    /// Application the request was for.
    #[serde(default)]
    pub application: Option<String>,
    /// HTTP method.
    #[serde(default)]
    pub method: Option<String>,
    /// Canonical request path: the form decided on and forwarded.
    #[serde(default)]
    pub path: Option<String>,
    /// Raw request target, only when it differed from `path`.
    #[serde(default)]
    pub raw_path: Option<String>,
    /// FHIR interaction (`read`, `search-type`, ...) or route name.
    #[serde(default)]
    pub interaction: Option<String>,
    /// Action code C/R/U/D/E.
    #[serde(default)]
    pub action: Option<Action>,
    /// Resource type (FHIR type or configured resource name).
    #[serde(default)]
    pub resource_type: Option<String>,
    /// Resource id.
    #[serde(default)]
    pub resource_id: Option<String>,
    /// Patient identifier, or its pseudonym.
    #[serde(default)]
    pub patient_id: Option<String>,
    /// What kind of identifier `patient_id` is (e.g. `bsn`, `local`, `pseudonym:<key id>`).
    #[serde(default)]
    pub patient_id_system: Option<String>,
    /// The access decision.
    #[serde(default)]
    pub decision: Option<Decision>,
    /// The policy rule that decided, or `no rule matched`.
    #[serde(default)]
    pub rule: Option<String>,
    /// Why: human-readable reason for a deny, reject or notice.
    #[serde(default)]
    pub reason: Option<String>,
    /// Justification the user gave for an emergency (break-the-glass) access.
    #[serde(default)]
    pub emergency_justification: Option<String>,
    /// Hex SHA-256 of the policy (model + rules) in force.
    #[serde(default)]
    pub policy_version: Option<String>,
    /// HTTP status sent to the client (outcome, and access records refused by zegel).
    #[serde(default)]
    pub status: Option<i64>,
    /// Response body bytes sent to the client.
    #[serde(default)]
    pub bytes: Option<i64>,
    /// Time from request to end of response, in microseconds.
    #[serde(default)]
    pub duration_us: Option<i64>,
    /// Sequence number of the access record this outcome belongs to.
    #[serde(default)]
    pub links_seq: Option<i64>,
    /// Free-form JSON object for what has no field of its own (versions, paths, counts).
    #[serde(default)]
    pub detail: Option<String>,
}

impl Event {
    /// An event of `kind` at `time_us` with every other field absent.
    pub fn new(kind: EventKind, time_us: i64) -> Self {
        Event {
            time_us,
            kind,
            request_id: None,
            user_id: None,
            user_name: None,
            roles: Vec::new(),
            organisation: None,
            department: None,
            responsible_user: None,
            purpose_of_use: None,
            access_point: None,
            application: None,
            method: None,
            path: None,
            raw_path: None,
            interaction: None,
            action: None,
            resource_type: None,
            resource_id: None,
            patient_id: None,
            patient_id_system: None,
            decision: None,
            rule: None,
            reason: None,
            emergency_justification: None,
            policy_version: None,
            status: None,
            bytes: None,
            duration_us: None,
            links_seq: None,
            detail: None,
        }
    }

    /// Checks what the store cannot hold: NUL characters (PostgreSQL `text` refuses them,
    /// which would fail a whole batch) and fields above [`MAX_FIELD_BYTES`].
    pub fn check(&self) -> Result<(), String> {
        crate::fields::check(self)
    }

    /// Puts roles in canonical order (sorted by bytes, duplicates removed).
    /// The writer calls this before hashing, so equal role sets hash equally.
    pub fn normalize(&mut self) {
        self.roles.sort_unstable();
        self.roles.dedup();
    }
}

/// Largest accepted string field, in bytes.
pub const MAX_FIELD_BYTES: usize = 64 * 1024;

/// Most roles one record may carry.
pub const MAX_ROLES: usize = 256;

/// An event with its place in the chain and its hash: what the store holds.
///
/// Equality compares `seq`, `event` and `hash`; the stored encoding, when there is one,
/// is determined by them and left out.
#[derive(Debug, Clone)]
pub struct SealedRecord {
    /// Position in the chain, contiguous from 1.
    pub seq: u64,
    /// The event.
    pub event: Event,
    /// SHA-256 over the previous hash and the canonical encoding of (seq, event).
    pub hash: [u8; 32],
    /// The canonical encoding this record was decoded from, when it was read from a
    /// store (see [`SealedRecord::decode_stored`]).
    stored: Option<Box<[u8]>>,
}

impl SealedRecord {
    /// A record built in memory.
    pub fn new(seq: u64, event: Event, hash: [u8; 32]) -> Self {
        SealedRecord {
            seq,
            event,
            hash,
            stored: None,
        }
    }

    /// Decodes a stored canonical encoding and keeps the bytes, so that the verifier
    /// hashes them instead of encoding the event again. The decoder accepts exactly one
    /// encoding per record, so the bytes are what encoding `(seq, event)` gives.
    pub fn decode_stored(bytes: &[u8], hash: [u8; 32]) -> Result<Self, DecodeError> {
        let (seq, event) = decode(bytes)?;
        Ok(SealedRecord {
            seq,
            event,
            hash,
            stored: Some(bytes.into()),
        })
    }

    /// The stored encoding this record was decoded from, if it was. It describes the
    /// record as read: after changing `seq` or `event`, call [`SealedRecord::forget_stored`].
    pub fn stored(&self) -> Option<&[u8]> {
        self.stored.as_deref()
    }

    /// Drops the stored encoding (the verifier then encodes `seq` and `event` again).
    pub fn forget_stored(&mut self) {
        self.stored = None;
    }
}

impl PartialEq for SealedRecord {
    fn eq(&self, other: &Self) -> bool {
        self.seq == other.seq && self.hash == other.hash && self.event == other.event
    }
}

impl Eq for SealedRecord {}

/// The current time in microseconds since the Unix epoch.
pub fn now_us() -> i64 {
    let d = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    i64::try_from(d.as_micros()).unwrap_or(i64::MAX)
}
