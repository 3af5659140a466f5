//! `export`: the records of a period, streamed out of the `access` table.
//!
//! The flow: the options are checked first (`--format` only for fhir, `report`'s
//! `Period` for `--from`/`--to`/`--timezone`), then `session.rs` opens the same context
//! `query` uses and `select.rs` starts one filtered `SELECT` as a stream (never
//! collected: a batch at a time, whatever the size of the log). `fhir/` turns each
//! access record into an IHE BALP AuditEvent (docs/export.md); CSV and Parquet go
//! through `print.rs`, the writers of `query`.

pub mod fhir;
pub mod rows;
pub mod select;

use crate::cli::{ExportArgs, ExportTarget, FhirFormat, Format};
use crate::report::period::Period;
use crate::session::{self, Tables};
use crate::{Error, Outcome, print};
use select::Filter;

/// Runs `export`.
pub async fn run(args: &ExportArgs) -> Result<Outcome, Error> {
    let filter = Filter {
        period: Period::new(args.period.from, args.period.to, &args.period.timezone)?,
        patient: args.patient.clone(),
        user: args.user.clone(),
        access_only: args.target == ExportTarget::Fhir,
    };
    let fhir_format = fhir_format(args)?;
    if args.target == ExportTarget::Parquet && args.output.is_none() {
        return Err(Error::Usage(
            "export parquet needs --output FILE (Parquet is not written to a terminal)".into(),
        ));
    }
    let tables = Tables {
        sources: args.sources.clone(),
        memory: args.memory.memory(),
        ..Tables::default()
    };
    let ctx = session::open(&tables).await?;
    let stream = select::records(&ctx, &filter).await?;
    let target = print::Target {
        format: match args.target {
            ExportTarget::Parquet => Format::Parquet,
            _ => Format::Csv,
        },
        output: args.output.clone(),
        max_rows: 0,
    };
    match fhir_format {
        Some(format) => {
            let tz = fhir::time_zone(&filter.period.timezone)?;
            let written = fhir::write(stream, format, &target, &tz).await?;
            report_count(&target, written);
        }
        None => print::write(stream, &target).await?,
    }
    Ok(Outcome::Ok)
}

/// The AuditEvent format for `export fhir` (NDJSON by default); `--format` with csv or
/// parquet is a usage error rather than silently ignored.
fn fhir_format(args: &ExportArgs) -> Result<Option<FhirFormat>, Error> {
    match (args.target, args.format) {
        (ExportTarget::Fhir, f) => Ok(Some(f.unwrap_or(FhirFormat::Ndjson))),
        (_, None) => Ok(None),
        (_, Some(_)) => Err(Error::Usage(
            "--format (ndjson, bundle) applies to `export fhir` only; csv and parquet \
             are chosen by the first argument"
                .into(),
        )),
    }
}

/// Says how many AuditEvents went to a file (standard output carries only the data).
fn report_count(target: &print::Target, written: u64) {
    if let Some(file) = &target.output {
        eprintln!(
            "{written} AuditEvent{} written to {}",
            if written == 1 { "" } else { "s" },
            file.display()
        );
    }
}
