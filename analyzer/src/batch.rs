//! Records to Arrow: one page of [`SealedRecord`]s of one chain becomes one
//! [`RecordBatch`], building only the columns the query asked for.

use crate::table::{COLUMNS, Getter, role_field, seq_value};
use datafusion::arrow::array::{
    ArrayRef, FixedSizeBinaryBuilder, Int64Builder, ListBuilder, StringBuilder,
    TimestampMicrosecondBuilder,
};
use datafusion::arrow::compute::cast;
use datafusion::arrow::datatypes::SchemaRef;
use datafusion::arrow::error::ArrowError;
use datafusion::arrow::record_batch::{RecordBatch, RecordBatchOptions};
use std::sync::Arc;
use zegel_audit::SealedRecord;

/// Builds a batch with the columns `projection` (indices into [`COLUMNS`]) of `records`;
/// `schema` is the projected schema.
pub fn build(
    schema: &SchemaRef,
    projection: &[usize],
    chain_id: &str,
    records: &[SealedRecord],
) -> Result<RecordBatch, ArrowError> {
    // Text is built as `Utf8` and cast to the schema's type: the `access` table's string
    // views then point into that buffer (archive files keep `Utf8`).
    let columns = (projection.iter().zip(schema.fields()))
        .map(|(&i, f)| cast(&column(COLUMNS[i].getter, chain_id, records), f.data_type()))
        .collect::<Result<Vec<ArrayRef>, ArrowError>>()?;
    // An empty projection (e.g. `count(*)`) still has to carry the row count.
    let options = RecordBatchOptions::new().with_row_count(Some(records.len()));
    RecordBatch::try_new_with_options(Arc::clone(schema), columns, &options)
}

fn column(getter: Getter, chain_id: &str, records: &[SealedRecord]) -> ArrayRef {
    let n = records.len();
    match getter {
        Getter::ChainId => {
            let mut b = StringBuilder::with_capacity(n, n * chain_id.len());
            records.iter().for_each(|_| b.append_value(chain_id));
            Arc::new(b.finish())
        }
        Getter::Seq => {
            let mut b = Int64Builder::with_capacity(n);
            records.iter().for_each(|r| b.append_value(seq_value(r)));
            Arc::new(b.finish())
        }
        Getter::Time => {
            let mut b = TimestampMicrosecondBuilder::with_capacity(n).with_timezone("UTC");
            records.iter().for_each(|r| b.append_value(r.event.time_us));
            Arc::new(b.finish())
        }
        Getter::Text(f) => text(records, f),
        Getter::Int(f) => {
            let mut b = Int64Builder::with_capacity(n);
            records.iter().for_each(|r| b.append_option(f(&r.event)));
            Arc::new(b.finish())
        }
        Getter::Roles => roles(records),
        Getter::Hash => hashes(records),
    }
}

fn text(records: &[SealedRecord], f: fn(&zegel_audit::Event) -> Option<&str>) -> ArrayRef {
    let bytes = records
        .iter()
        .map(|r| f(&r.event).map_or(0, str::len))
        .sum();
    let mut b = StringBuilder::with_capacity(records.len(), bytes);
    records.iter().for_each(|r| b.append_option(f(&r.event)));
    Arc::new(b.finish())
}

fn roles(records: &[SealedRecord]) -> ArrayRef {
    let count = records.iter().map(|r| r.event.roles.len()).sum();
    let inner = StringBuilder::with_capacity(count, count * 16);
    let mut b = ListBuilder::with_capacity(inner, records.len()).with_field(role_field());
    for r in records {
        r.event
            .roles
            .iter()
            .for_each(|role| b.values().append_value(role));
        b.append(true);
    }
    Arc::new(b.finish())
}

fn hashes(records: &[SealedRecord]) -> ArrayRef {
    let mut b = FixedSizeBinaryBuilder::with_capacity(records.len(), 32);
    for r in records {
        // Always 32 bytes: the builder's width, so this cannot fail.
        let _ = b.append_value(r.hash);
    }
    Arc::new(b.finish())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::table::access_schema;
    use datafusion::arrow::array::{
        Array, AsArray, FixedSizeBinaryArray, Int64Array, StringViewArray,
        TimestampMicrosecondArray,
    };
    use zegel_audit::{Action, Decision, Event, EventKind};

    fn full_event() -> Event {
        let mut e = Event::new(EventKind::PolicyLoad, 1_767_571_200_123_456);
        let mut n = 0;
        let mut next = |name: &str| {
            n += 1;
            Some(format!("{name}-{n}"))
        };
        e.request_id = next("request_id");
        e.user_id = next("user_id");
        e.user_name = next("user_name");
        e.roles = vec!["arts".into(), "verpleegkundige".into()];
        e.organisation = next("organisation");
        e.department = next("department");
        e.responsible_user = next("responsible_user");
        e.purpose_of_use = next("purpose_of_use");
        e.access_point = next("access_point");
        e.application = next("application");
        e.method = next("method");
        e.path = next("path");
        e.raw_path = next("raw_path");
        e.interaction = next("interaction");
        e.action = Some(Action::U);
        e.resource_type = next("resource_type");
        e.resource_id = next("resource_id");
        e.patient_id = next("patient_id");
        e.patient_id_system = next("patient_id_system");
        e.decision = Some(Decision::WouldDeny);
        e.rule = next("rule");
        e.reason = next("reason");
        e.emergency_justification = next("emergency_justification");
        e.policy_version = next("policy_version");
        e.status = Some(403);
        e.bytes = Some(96);
        e.duration_us = Some(1234);
        e.links_seq = Some(41);
        e.detail = next("detail");
        e
    }

    /// Reads row `i` of a full-schema batch back into a record.
    fn read_back(batch: &RecordBatch, i: usize) -> (String, SealedRecord) {
        let s = |name: &str| -> Option<String> {
            let a: &StringViewArray = batch
                .column_by_name(name)
                .and_then(|c| c.as_string_view_opt())
                .unwrap_or_else(|| panic!("{name} is a string view column"));
            a.is_valid(i).then(|| a.value(i).to_owned())
        };
        let int = |name: &str| -> Option<i64> {
            let a: &Int64Array = batch
                .column_by_name(name)
                .and_then(|c| c.as_any().downcast_ref())
                .unwrap_or_else(|| panic!("{name} is an int column"));
            a.is_valid(i).then(|| a.value(i))
        };
        let col = |name: &str| batch.column_by_name(name).expect("column").clone();
        let time = col("time");
        let time: &TimestampMicrosecondArray = time.as_any().downcast_ref().expect("ts");
        let hash = col("hash");
        let hash: &FixedSizeBinaryArray = hash.as_any().downcast_ref().expect("hash");
        let roles = col("roles");
        let roles = roles.as_list::<i32>().value(i);
        let roles = roles.as_string::<i32>();
        let need = |v: Option<String>| v.expect("not null");
        let mut e = Event::new(need(s("kind")).parse().expect("kind"), time.value(i));
        e.request_id = s("request_id");
        e.user_id = s("user_id");
        e.user_name = s("user_name");
        e.roles = roles.iter().map(|r| r.expect("role").to_owned()).collect();
        e.organisation = s("organisation");
        e.department = s("department");
        e.responsible_user = s("responsible_user");
        e.purpose_of_use = s("purpose_of_use");
        e.access_point = s("access_point");
        e.application = s("application");
        e.method = s("method");
        e.path = s("path");
        e.raw_path = s("raw_path");
        e.interaction = s("interaction");
        e.action = s("action").map(|a| a.parse().expect("action"));
        e.resource_type = s("resource_type");
        e.resource_id = s("resource_id");
        e.patient_id = s("patient_id");
        e.patient_id_system = s("patient_id_system");
        e.decision = s("decision").map(|d| d.parse().expect("decision"));
        e.rule = s("rule");
        e.reason = s("reason");
        e.emergency_justification = s("emergency_justification");
        e.policy_version = s("policy_version");
        e.status = int("status");
        e.bytes = int("bytes");
        e.duration_us = int("duration_us");
        e.links_seq = int("links_seq");
        e.detail = s("detail");
        let seq = u64::try_from(int("seq").expect("seq")).expect("seq");
        let hash: [u8; 32] = hash.value(i).try_into().expect("32 bytes");
        (need(s("chain_id")), SealedRecord::new(seq, e, hash))
    }

    #[test]
    fn every_field_round_trips() {
        let records = vec![
            SealedRecord::new(7, full_event(), [0xab; 32]),
            SealedRecord::new(8, Event::new(EventKind::Stop, -5), [1; 32]),
        ];
        let schema = access_schema();
        let all: Vec<usize> = (0..COLUMNS.len()).collect();
        let batch = build(&schema, &all, "chain-a", &records).expect("batch");
        assert_eq!(batch.num_rows(), 2);
        for (i, want) in records.iter().enumerate() {
            let (chain, got) = read_back(&batch, i);
            assert_eq!(chain, "chain-a");
            assert_eq!(&got, want);
        }
        // Absent fields are null, not empty strings.
        assert_eq!(
            batch.column_by_name("user_id").expect("col").null_count(),
            1
        );
    }

    #[test]
    fn projection_builds_only_the_asked_columns() {
        let records = vec![SealedRecord::new(1, full_event(), [0; 32])];
        let schema = Arc::new(access_schema().project(&[1, 23]).expect("project"));
        let batch = build(&schema, &[1, 23], "c", &records).expect("batch");
        assert_eq!(batch.num_columns(), 2);
        assert_eq!(batch.schema().field(1).name(), "decision");
        let empty = Arc::new(access_schema().project(&[]).expect("project"));
        assert_eq!(
            build(&empty, &[], "c", &records).expect("batch").num_rows(),
            1
        );
    }
}
