//! `export fhir`: every access record of the stream as a FHIR R4 AuditEvent following
//! IHE BALP (`event.rs`, `agents.rs`, `entities.rs`, codes in `codes.rs`), written as
//! NDJSON or as one Bundle of type `collection`. Either way each event is serialised
//! and written as it is made: the Bundle's frame is written around the entries, never
//! built as one value.

pub mod agents;
pub mod codes;
pub mod entities;
pub mod event;

use crate::Error;
use crate::cli::FhirFormat;
use crate::export::rows::Rows;
use crate::print::{self, Target};
use datafusion::arrow::array::timezone::Tz;
use datafusion::execution::SendableRecordBatchStream;
use serde_json::Value;
use std::io::Write;
use std::str::FromStr;

/// The time zone of `--timezone` (already checked by `Period`).
pub fn time_zone(name: &str) -> Result<Tz, Error> {
    Tz::from_str(name).map_err(|_| Error::Usage(format!("--timezone {name:?} is not a time zone")))
}

/// Writes an AuditEvent for every record of `stream` to `target` in `format`; returns
/// how many. A file is written as `FILE.partial` and renamed when complete.
pub async fn write(
    stream: SendableRecordBatchStream,
    format: FhirFormat,
    target: &Target,
    tz: &Tz,
) -> Result<u64, Error> {
    let mut written = 0;
    let result = async {
        let mut sink = Sink::start(target.open()?, format, tz);
        written = events(stream, &mut sink, tz).await?;
        sink.finish()
    }
    .await
    .map_err(|e| match e {
        Failure::Io(e) => target.error(e),
        Failure::Run(e) => e,
    });
    print::finish(target, result)?;
    Ok(written)
}

/// Streams the events into `sink`.
async fn events(
    mut stream: SendableRecordBatchStream,
    sink: &mut Sink,
    tz: &Tz,
) -> Result<u64, Failure> {
    let mut n = 0;
    while let Some(batch) = print::next(&mut stream).await? {
        let rows = Rows::new(&batch)?;
        for i in 0..rows.len() {
            sink.push(&event::audit_event(&rows.record(i), tz))?;
            n += 1;
        }
    }
    Ok(n)
}

/// Why writing stopped: the output, or the query.
enum Failure {
    Io(std::io::Error),
    Run(Error),
}

impl From<std::io::Error> for Failure {
    fn from(e: std::io::Error) -> Self {
        Failure::Io(e)
    }
}

impl From<Error> for Failure {
    fn from(e: Error) -> Self {
        Failure::Run(e)
    }
}

/// Where the events go, with the Bundle's frame when there is one.
struct Sink {
    out: Box<dyn Write + Send>,
    format: FhirFormat,
    header: Option<String>,
    entries: u64,
}

impl Sink {
    fn start(out: Box<dyn Write + Send>, format: FhirFormat, tz: &Tz) -> Self {
        let now = chrono::Utc::now().timestamp_micros();
        let header = (format == FhirFormat::Bundle).then(|| {
            format!(
                r#"{{"resourceType":"Bundle","type":"collection","timestamp":"{}""#,
                event::instant(now, tz)
            )
        });
        Sink {
            out,
            format,
            header,
            entries: 0,
        }
    }

    fn push(&mut self, event: &Value) -> Result<(), Failure> {
        match self.format {
            FhirFormat::Ndjson => {
                event::write(&mut self.out, event)?;
                self.out.write_all(b"\n")?;
            }
            FhirFormat::Bundle => {
                let sep: &[u8] = if self.entries == 0 {
                    b",\"entry\":["
                } else {
                    b","
                };
                self.write_header()?;
                self.out.write_all(sep)?;
                self.out.write_all(b"{\"resource\":")?;
                event::write(&mut self.out, event)?;
                self.out.write_all(b"}")?;
            }
        }
        self.entries += 1;
        Ok(())
    }

    /// The Bundle's opening, once (also for a Bundle without entries: FHIR JSON has no
    /// empty arrays, so an empty Bundle has no `entry`).
    fn write_header(&mut self) -> std::io::Result<()> {
        match self.header.take() {
            Some(h) => self.out.write_all(h.as_bytes()),
            None => Ok(()),
        }
    }

    fn finish(mut self) -> Result<(), Failure> {
        if self.format == FhirFormat::Bundle {
            self.write_header()?;
            let end: &[u8] = if self.entries == 0 { b"}\n" } else { b"]}\n" };
            self.out.write_all(end)?;
        }
        self.out.flush()?;
        Ok(())
    }
}
