//! Moving records between Rust values and table rows, the same way for every backend.
//!
//! A row that cannot be read as a record (a NULL where a value is required, an unknown
//! enum name, a hash of the wrong length) is not an I/O error: it is evidence of
//! tampering, and comes back as [`Row::Malformed`] for the verifier to report.

use crate::record::{Event, EventKind, SealedRecord};

/// One row of `zegel_records` as read back.
// Nearly every row is a record; boxing it would cost an allocation per record verified.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Row {
    /// A well-formed record (its hash is not checked here).
    Record(SealedRecord),
    /// A row that is not a valid record.
    Malformed {
        /// Its sequence number, when that column itself could be read.
        seq: Option<u64>,
        /// What is wrong.
        detail: String,
    },
}

/// The role list as stored: a JSON array of strings.
pub fn roles_to_column(roles: &[String]) -> String {
    serde_json::to_string(roles).unwrap_or_else(|_| "[]".to_owned())
}

/// Parses the stored role list.
pub fn roles_from_column(s: &str) -> Result<Vec<String>, String> {
    serde_json::from_str(s).map_err(|e| format!("roles is not a JSON array of strings: {e}"))
}

/// Reads one `zegel_records` row (selected with [`super::schema::select_columns`]).
pub fn decode_row<R>(row: &R) -> Row
where
    R: sqlx::Row,
    for<'a> &'a str: sqlx::ColumnIndex<R>,
    for<'r> i64: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> String: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> Vec<u8>: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
{
    let seq = get::<i64, R>(row, "seq")
        .ok()
        .and_then(|s| u64::try_from(s).ok());
    let build = || -> Result<SealedRecord, String> {
        let seq = seq.ok_or_else(|| "column seq: missing or negative".to_owned())?;
        let kind: String = get(row, "kind")?;
        let roles: String = get(row, "roles")?;
        let event = event_from_parts(
            get(row, "time_us")?,
            &kind,
            &roles,
            |col| get::<Option<String>, R>(row, col),
            |col| get::<Option<i64>, R>(row, col),
        )?;
        let hash: Vec<u8> = get(row, "hash")?;
        let hash: [u8; 32] = hash
            .try_into()
            .map_err(|h: Vec<u8>| format!("column hash: {} bytes, expected 32", h.len()))?;
        Ok(SealedRecord { seq, event, hash })
    };
    match build() {
        Ok(r) => Row::Record(r),
        Err(detail) => Row::Malformed { seq, detail },
    }
}

fn get<'r, T, R>(row: &'r R, col: &str) -> Result<T, String>
where
    R: sqlx::Row,
    T: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'a> &'a str: sqlx::ColumnIndex<R>,
{
    row.try_get(col).map_err(|e| format!("column {col}: {e}"))
}

/// Builds an [`Event`] from column getters.
pub fn event_from_parts(
    time_us: i64,
    kind: &str,
    roles: &str,
    text: impl Fn(&str) -> Result<Option<String>, String>,
    int: impl Fn(&str) -> Result<Option<i64>, String>,
) -> Result<Event, String> {
    let kind: EventKind = kind.parse().map_err(|e| format!("column kind: {e}"))?;
    let mut e = Event::new(kind, time_us);
    e.roles = roles_from_column(roles)?;
    e.request_id = text("request_id")?;
    e.user_id = text("user_id")?;
    e.user_name = text("user_name")?;
    e.organisation = text("organisation")?;
    e.department = text("department")?;
    e.responsible_user = text("responsible_user")?;
    e.purpose_of_use = text("purpose_of_use")?;
    e.access_point = text("access_point")?;
    e.application = text("application")?;
    e.method = text("method")?;
    e.path = text("path")?;
    e.raw_path = text("raw_path")?;
    e.interaction = text("interaction")?;
    e.action = parse_opt(text("action")?, "action")?;
    e.resource_type = text("resource_type")?;
    e.resource_id = text("resource_id")?;
    e.patient_id = text("patient_id")?;
    e.patient_id_system = text("patient_id_system")?;
    e.decision = parse_opt(text("decision")?, "decision")?;
    e.rule = text("rule")?;
    e.reason = text("reason")?;
    e.emergency_justification = text("emergency_justification")?;
    e.policy_version = text("policy_version")?;
    e.status = int("status")?;
    e.bytes = int("bytes")?;
    e.duration_us = int("duration_us")?;
    e.links_seq = int("links_seq")?;
    e.detail = text("detail")?;
    Ok(e)
}

fn parse_opt<T: std::str::FromStr>(v: Option<String>, col: &str) -> Result<Option<T>, String>
where
    T::Err: std::fmt::Display,
{
    v.map(|s| s.parse().map_err(|e| format!("column {col}: {e}")))
        .transpose()
}

/// Binds every column of `$rec` (a `&SealedRecord`) for chain `$chain` in
/// `RECORD_COLUMNS` order.
macro_rules! bind_record {
    ($q:expr, $chain:expr, $rec:expr) => {{
        let r: &$crate::record::SealedRecord = $rec;
        let e = &r.event;
        $q.bind($chain)
            .bind(r.seq as i64)
            .bind(e.time_us)
            .bind(e.kind.as_str())
            .bind(e.request_id.as_deref())
            .bind(e.user_id.as_deref())
            .bind(e.user_name.as_deref())
            .bind($crate::store::rows::roles_to_column(&e.roles))
            .bind(e.organisation.as_deref())
            .bind(e.department.as_deref())
            .bind(e.responsible_user.as_deref())
            .bind(e.purpose_of_use.as_deref())
            .bind(e.access_point.as_deref())
            .bind(e.application.as_deref())
            .bind(e.method.as_deref())
            .bind(e.path.as_deref())
            .bind(e.raw_path.as_deref())
            .bind(e.interaction.as_deref())
            .bind(e.action.map(|a| a.as_str()))
            .bind(e.resource_type.as_deref())
            .bind(e.resource_id.as_deref())
            .bind(e.patient_id.as_deref())
            .bind(e.patient_id_system.as_deref())
            .bind(e.decision.map(|d| d.as_str()))
            .bind(e.rule.as_deref())
            .bind(e.reason.as_deref())
            .bind(e.emergency_justification.as_deref())
            .bind(e.policy_version.as_deref())
            .bind(e.status)
            .bind(e.bytes)
            .bind(e.duration_us)
            .bind(e.links_seq)
            .bind(e.detail.as_deref())
            .bind(&r.hash[..])
    }};
}
pub(crate) use bind_record;
