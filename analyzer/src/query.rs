//! `query`: plan the SQL over the session's tables, run it as a stream and hand the
//! batches to `print.rs`. Planning errors are the user's SQL and are shown as such, with
//! the tables and columns to choose from when a name was not found.

use crate::cli::QueryArgs;
use crate::session::{self, Tables};
use crate::{Error, Outcome, memory, print};
use datafusion::error::DataFusionError;
use datafusion::execution::SendableRecordBatchStream;
use datafusion::physical_plan::stream::RecordBatchStreamAdapter;
use datafusion::prelude::SessionContext;
use futures_util::StreamExt;

/// Runs `query`.
pub async fn run(args: &QueryArgs) -> Result<Outcome, Error> {
    let tables = Tables {
        sources: args.sources.clone(),
        staff: args.staff.clone(),
        patients: args.patients.clone(),
        care_relations: args.care_relations.clone(),
        memory: args.memory.memory(),
    };
    let ctx = session::open(&tables).await?;
    let stream = execute(&ctx, &args.sql).await?;
    let target = print::Target {
        format: args.format,
        output: args.output.clone(),
        max_rows: args.max_rows,
    };
    print::write(stream, &target).await?;
    Ok(Outcome::Ok)
}

/// Plans `sql` and starts it; errors are [`Error::Sql`]. When the first batch fails for
/// want of memory (a hash join that does not fit), the statement is planned again with
/// joins that spill (`memory.rs`); nothing has been written by then.
pub async fn execute(ctx: &SessionContext, sql: &str) -> Result<SendableRecordBatchStream, Error> {
    loop {
        let df = match ctx.sql(sql).await {
            Ok(df) => df,
            Err(e) => return Err(sql_error(ctx, &e).await),
        };
        let mut stream = match df.execute_stream().await {
            Ok(s) => s,
            Err(e) => return Err(sql_error(ctx, &e).await),
        };
        match stream.next().await {
            Some(Err(e)) if memory::is_exhausted(&e) => {
                if !memory::retry_with_spilling_joins(ctx).await {
                    return Err(Error::Query(memory::exhausted_message(ctx, &e)));
                }
            }
            first => {
                let schema = stream.schema();
                let all = futures_util::stream::iter(first).chain(stream);
                return Ok(Box::pin(RecordBatchStreamAdapter::new(schema, all)));
            }
        }
    }
}

/// The error of a statement that could not be planned.
pub async fn sql_error(ctx: &SessionContext, e: &DataFusionError) -> Error {
    let message = clean_message(e);
    let unknown_name = message.contains("not found") || message.contains("No field named");
    let hint = if unknown_name {
        Some(available_tables(ctx).await)
    } else {
        None
    };
    Error::Sql { message, hint }
}

/// DataFusion's message for a person: no backtrace, no internal prefixes such as
/// `Error during planning:`, and table names as the user wrote them.
pub fn clean_message(e: &DataFusionError) -> String {
    let root = e.find_root();
    let mut m = root.strip_backtrace();
    for prefix in [
        "Error during planning: ",
        "Schema error: ",
        "SQL error: ",
        "External error: ",
        "Execution error: ",
        "Arrow error: ",
        "This feature is not implemented: ",
    ] {
        if let Some(rest) = m.strip_prefix(prefix) {
            m = rest.to_owned();
        }
    }
    // The list of valid fields is replaced by the list of tables and their columns.
    if let Some(i) = m.find("Valid fields are") {
        m.truncate(i);
    }
    m.trim_end().replace("datafusion.public.", "")
}

/// `available tables:` and one line per table with its columns.
async fn available_tables(ctx: &SessionContext) -> String {
    let mut out = String::from("available tables:");
    let Some(schema) = ctx.catalog("datafusion").and_then(|c| c.schema("public")) else {
        return out;
    };
    let mut names = schema.table_names();
    names.sort();
    for name in names {
        if let Ok(Some(t)) = schema.table(&name).await {
            let cols: Vec<String> = t
                .schema()
                .fields()
                .iter()
                .map(|f| f.name().clone())
                .collect();
            out.push_str(&format!("\n  {name}({})", cols.join(", ")));
        }
    }
    out
}

/// An error while the query runs (reading a source, a malformed record, memory).
pub fn run_error(e: &DataFusionError) -> Error {
    if memory::is_exhausted(e) {
        return Error::Query(format!(
            "the query needs more memory than --memory-limit allows: {}; raise \
             --memory-limit or narrow the query",
            clean_message(e)
        ));
    }
    Error::Query(clean_message(e))
}
