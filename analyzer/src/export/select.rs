//! Which records an export reads: one `SELECT *` over `access` with the period's UTC
//! bounds (`report`'s [`Period`], so a day means the same as in the reports) and the
//! optional patient, user and kind filters, all pushed down to the sources.

use crate::Error;
use crate::query;
use crate::report::period::Period;
use crate::table::ACCESS;
use datafusion::common::ScalarValue;
use datafusion::execution::SendableRecordBatchStream;
use datafusion::prelude::SessionContext;

/// The records to export.
#[derive(Debug, Clone)]
pub struct Filter {
    /// `--from`/`--to` in `--timezone`.
    pub period: Period,
    /// `--patient`.
    pub patient: Option<String>,
    /// `--user`.
    pub user: Option<String>,
    /// Only `kind = 'access'` (the FHIR export).
    pub access_only: bool,
}

impl Filter {
    /// The statement, with `$from`, `$to` and, when filtered on, `$patient`, `$user`.
    pub fn sql(&self) -> String {
        let mut sql = format!("SELECT * FROM {ACCESS} WHERE time >= $from AND time < $to");
        if self.access_only {
            sql.push_str(" AND kind = 'access'");
        }
        if self.patient.is_some() {
            sql.push_str(" AND patient_id = $patient");
        }
        if self.user.is_some() {
            sql.push_str(" AND user_id = $user");
        }
        sql
    }

    /// The values of the statement's placeholders.
    pub fn params(&self) -> Vec<(&'static str, ScalarValue)> {
        let mut params = self.period.params().to_vec();
        let text = |v: &String| ScalarValue::Utf8(Some(v.clone()));
        params.extend(self.patient.as_ref().map(|p| ("patient", text(p))));
        params.extend(self.user.as_ref().map(|u| ("user", text(u))));
        params
    }
}

/// Starts the export's query as a stream of batches, in no particular order (a global
/// sort would have to hold or spill the whole period).
pub async fn records(
    ctx: &SessionContext,
    filter: &Filter,
) -> Result<SendableRecordBatchStream, Error> {
    let df = match ctx.sql(&filter.sql()).await {
        Ok(df) => df.with_param_values(filter.params())?,
        Err(e) => return Err(query::sql_error(ctx, &e).await),
    };
    match df.execute_stream().await {
        Ok(s) => Ok(s),
        Err(e) => Err(query::run_error(&e)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filters_become_placeholders() {
        let f = Filter {
            period: Period::new(None, None, "Europe/Amsterdam").expect("period"),
            patient: Some("p'1".into()),
            user: None,
            access_only: true,
        };
        assert_eq!(
            f.sql(),
            "SELECT * FROM access WHERE time >= $from AND time < $to \
             AND kind = 'access' AND patient_id = $patient"
        );
        let names: Vec<&str> = f.params().iter().map(|p| p.0).collect();
        assert_eq!(names, ["from", "to", "patient"]);
    }
}
