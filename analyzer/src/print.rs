//! Writing a query result: a terminal table (comfy-table, first `--max-rows` rows), or
//! CSV, JSON lines or Parquet streamed batch by batch to standard output or a file.

use crate::cli::Format;
use crate::{Error, query};
use comfy_table::{Table, presets::UTF8_FULL_CONDENSED};
use datafusion::arrow::array::{Array, ArrayRef, StringArray};
use datafusion::arrow::compute::cast;
use datafusion::arrow::datatypes::{DataType, Field, Schema, SchemaRef};
use datafusion::arrow::record_batch::{RecordBatch, RecordBatchOptions};
use datafusion::arrow::util::display::{ArrayFormatter, FormatOptions};
use datafusion::execution::SendableRecordBatchStream;
use futures_util::StreamExt;
use parquet::arrow::ArrowWriter;
use parquet::basic::{Compression, ZstdLevel};
use parquet::file::properties::WriterProperties;
use std::io::Write;
use std::path::PathBuf;
use std::sync::Arc;

/// Where and how to write.
#[derive(Debug, Clone)]
pub struct Target {
    /// The format.
    pub format: Format,
    /// A file, or standard output.
    pub output: Option<PathBuf>,
    /// Rows shown in a terminal table.
    pub max_rows: usize,
}

/// Longest cell shown in a terminal table, in characters.
const MAX_CELL_CHARS: usize = 80;

/// Writes every batch of `stream` to `target`. A file is written under a `.partial`
/// name and renamed when complete, so a failed query leaves no truncated result (which,
/// for Parquet in a source directory, would break the next query).
pub async fn write(stream: SendableRecordBatchStream, target: &Target) -> Result<(), Error> {
    let result = match target.format {
        Format::Table => table(stream, target).await,
        Format::Csv => csv(stream, target).await,
        Format::Json => json(stream, target).await,
        Format::Parquet => parquet(stream, target).await,
    };
    finish(target, result)
}

/// Writes a finished document (a rendered report) to `output`, or to standard output
/// when there is none; a file goes through `FILE.partial` as in [`write`].
pub fn write_document(output: Option<&std::path::Path>, bytes: &[u8]) -> Result<(), Error> {
    write_document_with(output, |out| out.write_all(bytes))
}

/// Writes a document as `write` produces it to `output` (standard output when there is
/// none; a file goes through `FILE.partial` as in [`write`]), so a large one is never
/// held in memory whole.
pub fn write_document_with(
    output: Option<&std::path::Path>,
    write: impl FnOnce(&mut dyn Write) -> std::io::Result<()>,
) -> Result<(), Error> {
    let target = Target {
        format: Format::Csv,
        output: output.map(std::path::Path::to_path_buf),
        max_rows: 0,
    };
    let result = target.open().and_then(|mut out| {
        (write(&mut out).and_then(|()| out.flush())).map_err(|e| target.error(e))
    });
    finish(&target, result)
}

/// Renames the partial file into place when `result` is good, removes it otherwise.
pub(crate) fn finish(target: &Target, result: Result<(), Error>) -> Result<(), Error> {
    let (Some(file), Some(partial)) = (&target.output, target.partial()) else {
        return result;
    };
    match result {
        Ok(()) => std::fs::rename(&partial, file).map_err(|e| target.error(e)),
        Err(e) => {
            let _ = std::fs::remove_file(&partial);
            Err(e)
        }
    }
}

impl Target {
    fn name(&self) -> String {
        (self.output.as_ref()).map_or_else(|| "standard output".into(), |p| p.display().to_string())
    }

    /// The error of a failed write to this target.
    pub(crate) fn error(&self, e: impl std::fmt::Display) -> Error {
        Error::Output {
            target: self.name(),
            detail: e.to_string(),
        }
    }

    /// The name the output file has while it is being written.
    fn partial(&self) -> Option<PathBuf> {
        let file = self.output.as_ref()?;
        let mut name = file.file_name()?.to_os_string();
        name.push(".partial");
        Some(file.with_file_name(name))
    }

    /// Opens the target for writing: `FILE.partial`, or standard output.
    pub(crate) fn open(&self) -> Result<Box<dyn Write + Send>, Error> {
        Ok(match self.partial() {
            Some(p) => Box::new(std::io::BufWriter::new(
                std::fs::File::create(p).map_err(|e| self.error(e))?,
            )),
            None => Box::new(std::io::BufWriter::new(std::io::stdout())),
        })
    }
}

/// The next batch of a running query; a failure is [`Error::Query`].
pub(crate) async fn next(
    stream: &mut SendableRecordBatchStream,
) -> Result<Option<RecordBatch>, Error> {
    match stream.next().await {
        None => Ok(None),
        Some(r) => r.map(Some).map_err(|e| query::run_error(&e)),
    }
}

async fn table(mut stream: SendableRecordBatchStream, target: &Target) -> Result<(), Error> {
    let schema = stream.schema();
    let mut t = Table::new();
    t.load_preset(UTF8_FULL_CONDENSED);
    t.set_header(schema.fields().iter().map(|f| f.name()));
    let (mut shown, mut more) = (0usize, false);
    while let Some(batch) = next(&mut stream).await? {
        let take = batch.num_rows().min(target.max_rows - shown);
        add_rows(&mut t, &batch, take)?;
        shown += take;
        if take < batch.num_rows() {
            // Enough for a terminal; stop the query instead of reading the rest.
            more = true;
            break;
        }
    }
    let mut out = target.open()?;
    let footer = if more {
        format!("first {shown} rows shown; use --max-rows, LIMIT or --format csv for more")
    } else {
        format!("{shown} row{}", if shown == 1 { "" } else { "s" })
    };
    writeln!(out, "{t}\n{footer}").map_err(|e| target.error(e))?;
    out.flush().map_err(|e| target.error(e))
}

fn add_rows(t: &mut Table, batch: &RecordBatch, take: usize) -> Result<(), Error> {
    let options = FormatOptions::default().with_null("");
    let formatters = (batch.columns().iter())
        .map(|c| ArrayFormatter::try_new(c.as_ref(), &options))
        .collect::<Result<Vec<_>, _>>()?;
    for row in 0..take {
        t.add_row(formatters.iter().map(|f| cap(f.value(row).to_string())));
    }
    Ok(())
}

/// Shortens a long cell to [`MAX_CELL_CHARS`] characters, marking the cut.
fn cap(s: String) -> String {
    match s.char_indices().nth(MAX_CELL_CHARS - 1) {
        Some((i, _)) if s.len() > i + 1 => format!("{}…", &s[..i]),
        _ => s,
    }
}

async fn csv(mut stream: SendableRecordBatchStream, target: &Target) -> Result<(), Error> {
    let mut w = datafusion::arrow::csv::WriterBuilder::new()
        .with_header(true)
        .build(target.open()?);
    while let Some(batch) = next(&mut stream).await? {
        w.write(&flatten_nested(&batch)?)
            .map_err(|e| target.error(e))?;
    }
    w.into_inner().flush().map_err(|e| target.error(e))
}

/// CSV has no lists: nested columns become their text form (`[arts, verpleegkundige]`).
fn flatten_nested(batch: &RecordBatch) -> Result<RecordBatch, Error> {
    if !batch.columns().iter().any(|c| c.data_type().is_nested()) {
        return Ok(batch.clone());
    }
    let options = FormatOptions::default();
    let mut fields = Vec::new();
    let mut columns: Vec<ArrayRef> = Vec::new();
    for (f, c) in batch.schema().fields().iter().zip(batch.columns()) {
        if c.data_type().is_nested() {
            let fmt = ArrayFormatter::try_new(c.as_ref(), &options)?;
            let text: StringArray = (0..c.len())
                .map(|i| c.is_valid(i).then(|| fmt.value(i).to_string()))
                .collect();
            fields.push(Field::new(f.name(), DataType::Utf8, f.is_nullable()));
            columns.push(Arc::new(text));
        } else {
            fields.push(f.as_ref().clone());
            columns.push(Arc::clone(c));
        }
    }
    Ok(RecordBatch::try_new(
        Arc::new(Schema::new(fields)),
        columns,
    )?)
}

async fn json(mut stream: SendableRecordBatchStream, target: &Target) -> Result<(), Error> {
    use datafusion::arrow::json::{WriterBuilder, writer::LineDelimited};
    let mut w = WriterBuilder::new()
        .with_explicit_nulls(true)
        .build::<_, LineDelimited>(target.open()?);
    while let Some(batch) = next(&mut stream).await? {
        w.write(&batch).map_err(|e| target.error(e))?;
    }
    w.finish().map_err(|e| target.error(e))?;
    w.into_inner().flush().map_err(|e| target.error(e))
}

async fn parquet(mut stream: SendableRecordBatchStream, target: &Target) -> Result<(), Error> {
    if target.output.is_none() {
        return Err(Error::Usage(
            "--format parquet needs --output FILE (Parquet is not written to a terminal)".into(),
        ));
    }
    let props = WriterProperties::builder()
        .set_compression(Compression::ZSTD(ZstdLevel::default()))
        .build();
    let schema = plain_text_schema(&stream.schema());
    let mut w = ArrowWriter::try_new(target.open()?, Arc::clone(&schema), Some(props))
        .map_err(|e| target.error(e))?;
    while let Some(batch) = next(&mut stream).await? {
        let batch = plain_text(&batch, &schema)?;
        w.write(&batch).map_err(|e| target.error(e))?;
    }
    w.close().map_err(|e| target.error(e))?;
    Ok(())
}

/// `schema` with string views as `Utf8`: the table reads text as views, but files are
/// written with plain strings, as archives are, so that tools without view support read
/// them too.
fn plain_text_schema(schema: &Schema) -> SchemaRef {
    let fields: Vec<Field> = (schema.fields().iter())
        .map(|f| match f.data_type() {
            DataType::Utf8View => f.as_ref().clone().with_data_type(DataType::Utf8),
            _ => f.as_ref().clone(),
        })
        .collect();
    Arc::new(Schema::new(fields))
}

fn plain_text(batch: &RecordBatch, schema: &SchemaRef) -> Result<RecordBatch, Error> {
    let columns = (batch.columns().iter().zip(schema.fields()))
        .map(|(c, f)| Ok(cast(c, f.data_type())?))
        .collect::<Result<Vec<ArrayRef>, Error>>()?;
    let options = RecordBatchOptions::new().with_row_count(Some(batch.num_rows()));
    Ok(RecordBatch::try_new_with_options(
        Arc::clone(schema),
        columns,
        &options,
    )?)
}
