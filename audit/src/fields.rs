//! A record's fields, read from wherever they are held: an [`Event`] in memory, or the
//! columns of an archive file read in place. The canonical encoding (`encode.rs`), the
//! rules every stored record keeps ([`check`]) and the verifier read fields through
//! [`Fields`], so there is one field order and one set of rules, and a verifier reading
//! columns does not build an `Event` for every row.

use crate::record::{Action, Decision, Event, EventKind, MAX_FIELD_BYTES, MAX_ROLES};

macro_rules! field_enum {
    ($(#[$doc:meta])* $ty:ident { $($variant:ident => $name:literal),+ $(,)? }) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        #[allow(missing_docs)]
        pub enum $ty { $($variant),+ }

        impl $ty {
            /// Every field, in the order of the encoding.
            pub const ALL: &'static [$ty] = &[$($ty::$variant),+];

            /// The field's name: the `Event` field, the database and archive column.
            pub const fn name(self) -> &'static str {
                match self { $($ty::$variant => $name),+ }
            }
        }
    };
}

field_enum!(
    /// The optional text fields of a record, in the order of the encoding (the roles,
    /// `action` and `decision` sit between some of them; see `encode.rs`).
    Text {
        RequestId => "request_id", UserId => "user_id", UserName => "user_name",
        Organisation => "organisation", Department => "department",
        ResponsibleUser => "responsible_user", PurposeOfUse => "purpose_of_use",
        AccessPoint => "access_point", Application => "application", Method => "method",
        Path => "path", RawPath => "raw_path", Interaction => "interaction",
        ResourceType => "resource_type", ResourceId => "resource_id",
        PatientId => "patient_id", PatientIdSystem => "patient_id_system", Rule => "rule",
        Reason => "reason", EmergencyJustification => "emergency_justification",
        PolicyVersion => "policy_version", Detail => "detail",
    }
);

field_enum!(
    /// The optional integer fields of a record, in the order of the encoding.
    Int { Status => "status", Bytes => "bytes", DurationUs => "duration_us", LinksSeq => "links_seq" }
);

/// Read access to the fields of one record (everything but its sequence number and hash).
pub trait Fields {
    /// Field 1: microseconds since the Unix epoch.
    fn time_us(&self) -> i64;
    /// Field 2.
    fn kind(&self) -> EventKind;
    /// An optional text field.
    fn text(&self, t: Text) -> Option<&str>;
    /// Field 6: the roles, in stored order.
    fn roles(&self) -> impl ExactSizeIterator<Item = &str>;
    /// Field 17.
    fn action(&self) -> Option<Action>;
    /// Field 22.
    fn decision(&self) -> Option<Decision>;
    /// An optional integer field.
    fn int(&self, i: Int) -> Option<i64>;

    /// [`check`] of this record. A source that has checked a whole batch of records at
    /// once (an archive reader) answers from that.
    fn rules_kept(&self) -> Result<(), String> {
        check(self)
    }
}

impl Fields for Event {
    fn time_us(&self) -> i64 {
        self.time_us
    }

    fn kind(&self) -> EventKind {
        self.kind
    }

    #[inline]
    fn text(&self, t: Text) -> Option<&str> {
        match t {
            Text::RequestId => &self.request_id,
            Text::UserId => &self.user_id,
            Text::UserName => &self.user_name,
            Text::Organisation => &self.organisation,
            Text::Department => &self.department,
            Text::ResponsibleUser => &self.responsible_user,
            Text::PurposeOfUse => &self.purpose_of_use,
            Text::AccessPoint => &self.access_point,
            Text::Application => &self.application,
            Text::Method => &self.method,
            Text::Path => &self.path,
            Text::RawPath => &self.raw_path,
            Text::Interaction => &self.interaction,
            Text::ResourceType => &self.resource_type,
            Text::ResourceId => &self.resource_id,
            Text::PatientId => &self.patient_id,
            Text::PatientIdSystem => &self.patient_id_system,
            Text::Rule => &self.rule,
            Text::Reason => &self.reason,
            Text::EmergencyJustification => &self.emergency_justification,
            Text::PolicyVersion => &self.policy_version,
            Text::Detail => &self.detail,
        }
        .as_deref()
    }

    fn roles(&self) -> impl ExactSizeIterator<Item = &str> {
        self.roles.iter().map(String::as_str)
    }

    fn action(&self) -> Option<Action> {
        self.action
    }

    fn decision(&self) -> Option<Decision> {
        self.decision
    }

    #[inline]
    fn int(&self, i: Int) -> Option<i64> {
        match i {
            Int::Status => self.status,
            Int::Bytes => self.bytes,
            Int::DurationUs => self.duration_us,
            Int::LinksSeq => self.links_seq,
        }
    }
}

/// The rules the writer enforces before storing a record: every text field and role at
/// most [`MAX_FIELD_BYTES`] and free of NUL, at most [`MAX_ROLES`] roles. (The roles'
/// canonical order is [`roles_canonical`].)
pub fn check<F: Fields + ?Sized>(f: &F) -> Result<(), String> {
    let texts = Text::ALL.iter().map(|&t| (t.name(), f.text(t)));
    let roles = f.roles().map(|r| ("roles", Some(r)));
    for (name, value) in texts.chain(roles) {
        let Some(v) = value else { continue };
        if v.len() > MAX_FIELD_BYTES {
            return Err(format!(
                "{name} is {} bytes, at most {MAX_FIELD_BYTES}",
                v.len()
            ));
        }
        if v.as_bytes().contains(&0) {
            return Err(format!("{name} contains a NUL character"));
        }
    }
    let roles = f.roles().len();
    if roles > MAX_ROLES {
        return Err(format!("{roles} roles, at most {MAX_ROLES}"));
    }
    Ok(())
}

/// Whether the roles are in canonical order: sorted by bytes, no duplicates.
pub fn roles_canonical(f: &impl Fields) -> bool {
    f.roles().is_sorted_by(|a, b| a < b)
}
