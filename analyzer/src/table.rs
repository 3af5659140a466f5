//! The `access` table: one row per record, one column per [`Event`] field in Event order,
//! framed by the chain id and sequence number and followed by the record hash.
//!
//! This is THE schema every source must produce (databases through `batch.rs`, Parquet
//! directories as written by `query --format parquet`). `docs/analyzer-tables.md` says
//! what each column means. Enums are stored as the names the log itself stores and hashes
//! (`policy-load`, `would-deny`, `R`).

use datafusion::arrow::datatypes::{DataType, Field, Schema, SchemaRef, TimeUnit};
use std::sync::{Arc, LazyLock};
use zegel_audit::{Event, SealedRecord};

/// Name of the table of records.
pub const ACCESS: &str = "access";

/// How a column's values are taken from a record.
#[derive(Clone, Copy)]
pub enum Getter {
    /// The chain id (the same for every row of a partition).
    ChainId,
    /// The sequence number.
    Seq,
    /// `time_us` as a UTC timestamp.
    Time,
    /// A text field.
    Text(fn(&Event) -> Option<&str>),
    /// An integer field.
    Int(fn(&Event) -> Option<i64>),
    /// The role list.
    Roles,
    /// The 32-byte record hash.
    Hash,
}

/// One column of the `access` table.
#[derive(Clone, Copy)]
pub struct Column {
    /// Column name.
    pub name: &'static str,
    /// Where its values come from.
    pub getter: Getter,
    /// Whether it may be null.
    pub nullable: bool,
}

const fn req(name: &'static str, getter: Getter) -> Column {
    Column {
        name,
        getter,
        nullable: false,
    }
}

const fn text(name: &'static str, f: fn(&Event) -> Option<&str>) -> Column {
    Column {
        name,
        getter: Getter::Text(f),
        nullable: true,
    }
}

const fn int(name: &'static str, f: fn(&Event) -> Option<i64>) -> Column {
    Column {
        name,
        getter: Getter::Int(f),
        nullable: true,
    }
}

/// The columns, in order.
pub const COLUMNS: [Column; 34] = [
    req("chain_id", Getter::ChainId),
    req("seq", Getter::Seq),
    req("time", Getter::Time),
    req("kind", Getter::Text(|e| Some(e.kind.as_str()))),
    text("request_id", |e| e.request_id.as_deref()),
    text("user_id", |e| e.user_id.as_deref()),
    text("user_name", |e| e.user_name.as_deref()),
    req("roles", Getter::Roles),
    text("organisation", |e| e.organisation.as_deref()),
    text("department", |e| e.department.as_deref()),
    text("responsible_user", |e| e.responsible_user.as_deref()),
    text("purpose_of_use", |e| e.purpose_of_use.as_deref()),
    text("access_point", |e| e.access_point.as_deref()),
    text("application", |e| e.application.as_deref()),
    text("method", |e| e.method.as_deref()),
    text("path", |e| e.path.as_deref()),
    text("raw_path", |e| e.raw_path.as_deref()),
    text("interaction", |e| e.interaction.as_deref()),
    text("action", |e| e.action.map(|a| a.as_str())),
    text("resource_type", |e| e.resource_type.as_deref()),
    text("resource_id", |e| e.resource_id.as_deref()),
    text("patient_id", |e| e.patient_id.as_deref()),
    text("patient_id_system", |e| e.patient_id_system.as_deref()),
    text("decision", |e| e.decision.map(|d| d.as_str())),
    text("rule", |e| e.rule.as_deref()),
    text("reason", |e| e.reason.as_deref()),
    text("emergency_justification", |e| {
        e.emergency_justification.as_deref()
    }),
    text("policy_version", |e| e.policy_version.as_deref()),
    int("status", |e| e.status),
    int("bytes", |e| e.bytes),
    int("duration_us", |e| e.duration_us),
    int("links_seq", |e| e.links_seq),
    text("detail", |e| e.detail.as_deref()),
    req("hash", Getter::Hash),
];

/// The element field of the `roles` list (arrow's default name, so Parquet files written
/// by any arrow writer read back with the same type).
pub fn role_field() -> Arc<Field> {
    Arc::new(Field::new_list_field(DataType::Utf8, true))
}

/// The Arrow type of a column as files store it (archives, and what `schema_difference`
/// names): text is `Utf8`.
pub fn data_type(getter: Getter) -> DataType {
    match getter {
        Getter::ChainId | Getter::Text(_) => DataType::Utf8,
        Getter::Seq | Getter::Int(_) => DataType::Int64,
        Getter::Time => DataType::Timestamp(TimeUnit::Microsecond, Some("UTC".into())),
        Getter::Roles => DataType::List(role_field()),
        Getter::Hash => DataType::FixedSizeBinary(32),
    }
}

/// The Arrow type of a column in the `access` table: text is read as string views
/// (`Utf8View`). A view of a short value holds the value itself, and a longer one points
/// into the decoded page, so decoding, filtering and grouping copy 16 bytes per value
/// instead of the string: at 10M records the review ran 25% faster than with `Utf8`.
pub fn table_type(getter: Getter) -> DataType {
    match getter {
        Getter::ChainId | Getter::Text(_) => DataType::Utf8View,
        other => data_type(other),
    }
}

fn schema(ty: fn(Getter) -> DataType) -> SchemaRef {
    let fields: Vec<Field> = COLUMNS
        .iter()
        .map(|c| Field::new(c.name, ty(c.getter), c.nullable))
        .collect();
    Arc::new(Schema::new(fields))
}

static SCHEMA: LazyLock<SchemaRef> = LazyLock::new(|| schema(table_type));
static FILE_SCHEMA: LazyLock<SchemaRef> = LazyLock::new(|| schema(data_type));

/// The schema of the `access` table.
pub fn access_schema() -> SchemaRef {
    Arc::clone(&SCHEMA)
}

/// The same columns as files store them ([`data_type`]): archive files are written in
/// it, and Parquet sources may use either string type.
pub fn file_schema() -> SchemaRef {
    Arc::clone(&FILE_SCHEMA)
}

/// The sequence number as the table stores it (the log never gets near `i64::MAX`).
pub fn seq_value(r: &SealedRecord) -> i64 {
    i64::try_from(r.seq).unwrap_or(i64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_follow_the_event_fields() {
        // serde writes struct fields in declaration order, which is the encoding order.
        let e = Event::new(zegel_audit::EventKind::Access, 0);
        let json = serde_json::to_string(&e).expect("event serialises");
        let keys = json.matches("\":").count();
        let pos = |name: &str| {
            let key = if name == "time" { "time_us" } else { name };
            json.find(&format!("\"{key}\":"))
                .unwrap_or_else(|| panic!("{name} is not an Event field"))
        };
        let inner = &COLUMNS[2..COLUMNS.len() - 1];
        assert_eq!(inner.len(), keys, "one column per Event field");
        for w in inner.windows(2) {
            assert!(
                pos(w[0].name) < pos(w[1].name),
                "{} before {}",
                w[0].name,
                w[1].name
            );
        }
    }
}
