//! Reading records back out of an `access` batch: each column the FHIR mapping uses is
//! cast once per batch to the type of `table.rs` (a Parquet source may hand strings over
//! as views), and [`Record`] reads one row of them.

use crate::Error;
use crate::table::role_field;
use datafusion::arrow::array::{
    Array, ArrayRef, AsArray, FixedSizeBinaryArray, Int64Array, ListArray, StringViewArray,
};
use datafusion::arrow::compute::cast;
use datafusion::arrow::datatypes::{DataType, Int64Type};
use datafusion::arrow::record_batch::RecordBatch;

/// The text columns the mapping reads, in the order of [`TEXT_COLUMNS`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[allow(missing_docs)]
pub enum Text {
    ChainId,
    Kind,
    RequestId,
    UserId,
    UserName,
    Organisation,
    Department,
    ResponsibleUser,
    PurposeOfUse,
    AccessPoint,
    Application,
    Method,
    Path,
    RawPath,
    Interaction,
    Action,
    ResourceType,
    ResourceId,
    PatientId,
    PatientIdSystem,
    Decision,
    Rule,
    Reason,
    EmergencyJustification,
    PolicyVersion,
    Detail,
}

/// Column names of [`Text`], by its discriminant.
pub const TEXT_COLUMNS: [&str; 26] = [
    "chain_id",
    "kind",
    "request_id",
    "user_id",
    "user_name",
    "organisation",
    "department",
    "responsible_user",
    "purpose_of_use",
    "access_point",
    "application",
    "method",
    "path",
    "raw_path",
    "interaction",
    "action",
    "resource_type",
    "resource_id",
    "patient_id",
    "patient_id_system",
    "decision",
    "rule",
    "reason",
    "emergency_justification",
    "policy_version",
    "detail",
];

/// The integer columns the mapping reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[allow(missing_docs)]
pub enum Int {
    Seq,
    /// `time` as microseconds since the epoch (UTC).
    TimeUs,
    Status,
}

const INT_COLUMNS: [&str; 3] = ["seq", "time", "status"];

/// One batch's columns, typed.
pub struct Rows {
    texts: Vec<StringViewArray>,
    ints: Vec<Int64Array>,
    roles: ListArray,
    hash: FixedSizeBinaryArray,
    len: usize,
}

impl Rows {
    /// Takes the needed columns of `batch` (a `SELECT *` over `access`).
    pub fn new(batch: &RecordBatch) -> Result<Self, Error> {
        let texts = (TEXT_COLUMNS.iter())
            .map(|n| {
                Ok(column(batch, n, &DataType::Utf8View)?
                    .as_string_view()
                    .clone())
            })
            .collect::<Result<_, Error>>()?;
        let ints = (INT_COLUMNS.iter())
            .map(|n| {
                Ok(column(batch, n, &DataType::Int64)?
                    .as_primitive::<Int64Type>()
                    .clone())
            })
            .collect::<Result<_, Error>>()?;
        let roles = column(batch, "roles", &DataType::List(role_field()))?;
        let hash = column(batch, "hash", &DataType::FixedSizeBinary(32))?;
        Ok(Rows {
            texts,
            ints,
            roles: roles.as_list::<i32>().clone(),
            hash: hash.as_fixed_size_binary().clone(),
            len: batch.num_rows(),
        })
    }

    /// Number of rows.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether the batch is empty.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Row `row`.
    pub fn record(&self, row: usize) -> Record<'_> {
        Record { rows: self, row }
    }
}

/// `name` of `batch` cast to `to`.
fn column(batch: &RecordBatch, name: &str, to: &DataType) -> Result<ArrayRef, Error> {
    let c = batch
        .column_by_name(name)
        .ok_or_else(|| Error::Query(format!("export: the result has no column {name:?}")))?;
    Ok(cast(c, to)?)
}

/// One record of a batch.
#[derive(Clone, Copy)]
pub struct Record<'a> {
    rows: &'a Rows,
    row: usize,
}

impl<'a> Record<'a> {
    /// A text field; absent and empty are both `None` (FHIR has no empty strings).
    pub fn text(&self, t: Text) -> Option<&'a str> {
        let a = &self.rows.texts[t as usize];
        (a.is_valid(self.row) && !a.value(self.row).is_empty()).then(|| a.value(self.row))
    }

    /// An integer field.
    pub fn int(&self, i: Int) -> Option<i64> {
        let a = &self.rows.ints[i as usize];
        a.is_valid(self.row).then(|| a.value(self.row))
    }

    /// The roles, without empty ones.
    pub fn roles(&self) -> Vec<String> {
        let list = &self.rows.roles;
        if list.is_null(self.row) {
            return Vec::new();
        }
        let values = list.value(self.row);
        let values = values.as_string::<i32>();
        (values.iter().flatten())
            .filter(|r| !r.is_empty())
            .map(str::to_owned)
            .collect()
    }

    /// The record hash, lower-case hex.
    pub fn hash_hex(&self) -> String {
        hex::encode(self.rows.hash.value(self.row))
    }

    /// The chain id (never null in `access`).
    pub fn chain_id(&self) -> &'a str {
        self.text(Text::ChainId).unwrap_or("")
    }

    /// The sequence number.
    pub fn seq(&self) -> i64 {
        self.int(Int::Seq).unwrap_or(0)
    }
}
