//! What a report is made of: sections, each the result of one documented SQL statement
//! with a title, why it exists, and its rows as typed values that every renderer shares.

use super::Options;
use super::texts::{self, Text};
use crate::cli::{Lang, ReportName};
use crate::directory::{CARE_RELATIONS, PATIENTS, STAFF};
use crate::{Error, memory, query};
use datafusion::arrow::array::{Array, AsArray, RecordBatch};
use datafusion::arrow::compute::cast;
use datafusion::arrow::datatypes::DataType;
use datafusion::arrow::util::display::{ArrayFormatter, FormatOptions};
use datafusion::prelude::SessionContext;
use serde_json::Value;

/// A directory table a section needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Need {
    /// `--staff`.
    Staff,
    /// `--patients`.
    Patients,
    /// `--care-relations`.
    CareRelations,
}

impl Need {
    /// Every directory table.
    pub const ALL: [Need; 3] = [Need::Staff, Need::Patients, Need::CareRelations];

    /// Its name in SQL.
    pub fn table(self) -> &'static str {
        match self {
            Need::Staff => STAFF.name,
            Need::Patients => PATIENTS.name,
            Need::CareRelations => CARE_RELATIONS.name,
        }
    }

    /// The option that provides it.
    pub fn flag(self) -> &'static str {
        match self {
            Need::Staff => "--staff",
            Need::Patients => "--patients",
            Need::CareRelations => "--care-relations",
        }
    }
}

/// A section as the report file declares it.
#[derive(Debug, Clone, Copy)]
pub struct Spec {
    /// Stable id (`review.emergency`); texts are looked up by it.
    pub id: &'static str,
    /// The SQL over `period` and the directory tables.
    pub sql: &'static str,
    /// Directory tables without which the section is skipped (with a note).
    pub needs: &'static [Need],
}

/// One section of a rendered report.
#[derive(Debug, Clone)]
pub struct Section {
    /// Stable id.
    pub id: &'static str,
    /// Heading.
    pub title: String,
    /// Why the section exists and why its rows are listed.
    pub why: String,
    /// Said instead of (or next to) the rows: skipped, no findings, hidden columns.
    pub notes: Vec<String>,
    /// Column names as the SQL names them (and `reason` when rows carry one).
    pub columns: Vec<String>,
    /// The rows: strings, numbers, booleans, lists of strings, nulls.
    pub rows: Vec<Vec<Value>>,
    /// Whether the section ran (false: skipped for a missing directory table).
    pub ran: bool,
    /// Charts drawn above the rows in HTML.
    pub charts: Vec<super::svg::Chart>,
    /// Said first and prominently: what must not be missed (an integrity failure).
    pub alerts: Vec<String>,
    /// The heading of the chapter this section opens (reports in chapters: compliance).
    pub chapter: Option<String>,
}

/// The one-line outcome of a report that judges (compliance): shown above everything.
#[derive(Debug, Clone)]
pub struct Verdict {
    /// Whether the log verified.
    pub ok: bool,
    /// The sentence.
    pub text: String,
}

/// A whole report.
#[derive(Debug, Clone)]
pub struct Report {
    /// Which report.
    pub name: ReportName,
    /// Its language.
    pub lang: Lang,
    /// Title.
    pub title: String,
    /// What the report is about (`patient pat-00001`), if one thing.
    pub subject: Option<String>,
    /// The period as text, with the time zone.
    pub period: String,
    /// Sources as given (passwords removed).
    pub sources: Vec<String>,
    /// Local time the report was made.
    pub generated_at: String,
    /// The sections in order.
    pub sections: Vec<Section>,
    /// The outcome, for a report that judges.
    pub verdict: Option<Verdict>,
}

impl Report {
    /// How the run ends: a failed verdict is an integrity failure (exit 1).
    pub fn outcome(&self) -> crate::Outcome {
        match &self.verdict {
            Some(v) if !v.ok => crate::Outcome::IntegrityFailure,
            _ => crate::Outcome::Ok,
        }
    }
}

impl Section {
    /// An empty section with the texts of `id` (rows filled by the caller).
    pub fn new(id: &'static str, lang: Lang) -> Section {
        Section {
            id,
            title: texts::get(lang, id, Text::Title),
            why: texts::get(lang, id, Text::Why),
            notes: Vec::new(),
            columns: Vec::new(),
            rows: Vec::new(),
            ran: true,
            charts: Vec::new(),
            alerts: Vec::new(),
            chapter: None,
        }
    }

    /// The section with these columns (SQL names).
    pub fn with_columns(mut self, names: &[&str]) -> Section {
        self.columns = names.iter().map(|c| (*c).to_owned()).collect();
        self
    }

    /// Says that the section has no rows, in its own words.
    pub fn note_if_empty(&mut self, lang: Lang) {
        if self.rows.is_empty() {
            self.notes.push(texts::get(lang, self.id, Text::Empty));
        }
    }

    /// Removes columns by name (e.g. employee ids in the patient view).
    pub fn drop_columns(&mut self, names: &[&str]) {
        let keep: Vec<bool> = self
            .columns
            .iter()
            .map(|c| !names.contains(&c.as_str()))
            .collect();
        let mut k = keep.iter();
        self.columns.retain(|_| *k.next().unwrap_or(&true));
        for row in &mut self.rows {
            let mut k = keep.iter();
            row.retain(|_| *k.next().unwrap_or(&true));
        }
    }

    /// The index of a column.
    pub fn column(&self, name: &str) -> Option<usize> {
        self.columns.iter().position(|c| c == name)
    }
}

/// Runs `spec` (or skips it when a directory table is missing) and builds its section.
pub async fn run(ctx: &SessionContext, spec: &Spec, opts: &Options) -> Result<Section, Error> {
    let lang = opts.lang;
    let mut section = Section::new(spec.id, lang);
    section.ran = false;
    let missing: Vec<&str> = (spec.needs.iter())
        .filter(|n| !opts.has(**n))
        .map(|n| n.flag())
        .collect();
    if !missing.is_empty() {
        section
            .notes
            .push(texts::skipped(lang, &missing.join(", ")));
        return Ok(section);
    }
    let started = std::time::Instant::now();
    let batches = collect(ctx, spec.sql, opts).await?;
    let rows_out: usize = batches.iter().map(RecordBatch::num_rows).sum();
    tracing::debug!(
        section = spec.id,
        rows = rows_out,
        ms = started.elapsed().as_millis() as u64,
        "section ran"
    );
    section.ran = true;
    if let Some(b) = batches.first() {
        section.columns = b
            .schema()
            .fields()
            .iter()
            .map(|f| f.name().clone())
            .collect();
    }
    for b in &batches {
        section.rows.extend(rows(b)?);
    }
    if let Some(template) = texts::reason(lang, spec.id) {
        add_reasons(&mut section, &template, lang);
    }
    section.note_if_empty(lang);
    Ok(section)
}

/// Runs every spec in order.
pub async fn run_all(
    ctx: &SessionContext,
    specs: &[Spec],
    opts: &Options,
) -> Result<Vec<Section>, Error> {
    let mut out = Vec::with_capacity(specs.len());
    for spec in specs {
        out.push(run(ctx, spec, opts).await?);
    }
    Ok(out)
}

/// Plans `sql` with the parameters it uses and collects the result. `{tz}` is the
/// checked `--timezone`, for SQL that reads `access` rather than the `period` view.
async fn collect(
    ctx: &SessionContext,
    sql: &str,
    opts: &Options,
) -> Result<Vec<RecordBatch>, Error> {
    let params: Vec<_> = (opts.params().into_iter())
        .filter(|(name, _)| uses(sql, name))
        .collect();
    let sql = sql.replace("{tz}", &opts.period.timezone);
    loop {
        let df = match ctx.sql(&sql).await {
            Ok(df) => df,
            Err(e) => return Err(query::sql_error(ctx, &e).await),
        };
        let df = df.with_param_values(params.clone())?;
        match df.collect().await {
            Ok(batches) => return Ok(batches),
            Err(e) if memory::is_exhausted(&e) => {
                if !memory::retry_with_spilling_joins(ctx).await {
                    return Err(Error::Query(memory::exhausted_message(ctx, &e)));
                }
            }
            Err(e) => return Err(query::run_error(&e)),
        }
    }
}

/// Whether `sql` has the placeholder `$name` (not just a longer name starting with it).
fn uses(sql: &str, name: &str) -> bool {
    let tag = format!("${name}");
    sql.match_indices(&tag)
        .any(|(i, _)| !in_word(sql[i + tag.len()..].chars().next()))
}

/// Whether `sql` has `name` as a whole word (not inside a longer identifier), ignoring
/// case: a table it may read.
pub fn names(sql: &str, name: &str) -> bool {
    let (sql, name) = (sql.to_ascii_lowercase(), name.to_ascii_lowercase());
    sql.match_indices(&name).any(|(i, _)| {
        !in_word(sql[..i].chars().next_back()) && !in_word(sql[i + name.len()..].chars().next())
    })
}

/// Whether `c` continues an identifier.
fn in_word(c: Option<char>) -> bool {
    c.is_some_and(|c| c.is_alphanumeric() || c == '_')
}

/// A batch as rows of JSON values: numbers stay numbers, lists become arrays of text,
/// timestamps are shown in their own time zone to the second.
pub fn rows(batch: &RecordBatch) -> Result<Vec<Vec<Value>>, Error> {
    let columns: Vec<Vec<Value>> = (batch.columns().iter())
        .map(|c| column_values(c.as_ref()))
        .collect::<Result<_, _>>()?;
    Ok((0..batch.num_rows())
        .map(|r| columns.iter().map(|c| c[r].clone()).collect())
        .collect())
}

const TIME_FORMAT: &str = "%Y-%m-%d %H:%M:%S";

fn column_values(c: &dyn Array) -> Result<Vec<Value>, Error> {
    let t = c.data_type();
    if t.is_integer() {
        let ints = cast(c, &DataType::Int64)?;
        let ints = ints.as_primitive::<datafusion::arrow::datatypes::Int64Type>();
        return Ok((0..c.len())
            .map(|i| {
                if ints.is_null(i) {
                    Value::Null
                } else {
                    ints.value(i).into()
                }
            })
            .collect());
    }
    if t.is_floating() {
        let f = cast(c, &DataType::Float64)?;
        let f = f.as_primitive::<datafusion::arrow::datatypes::Float64Type>();
        return Ok((0..c.len())
            .map(|i| {
                if f.is_null(i) {
                    Value::Null
                } else {
                    round(f.value(i))
                }
            })
            .collect());
    }
    if let DataType::Boolean = t {
        let b = c.as_boolean();
        return Ok((0..c.len())
            .map(|i| {
                if b.is_null(i) {
                    Value::Null
                } else {
                    b.value(i).into()
                }
            })
            .collect());
    }
    let options = FormatOptions::default()
        .with_timestamp_tz_format(Some(TIME_FORMAT))
        .with_timestamp_format(Some(TIME_FORMAT));
    if let DataType::List(_) | DataType::LargeList(_) = t {
        return list_values(c, &options);
    }
    let fmt = ArrayFormatter::try_new(c, &options)?;
    Ok((0..c.len())
        .map(|i| {
            if c.is_null(i) {
                Value::Null
            } else {
                fmt.value(i).to_string().into()
            }
        })
        .collect())
}

/// Lists (roles, distinct resource types) as arrays of their non-null items.
fn list_values(c: &dyn Array, options: &FormatOptions) -> Result<Vec<Value>, Error> {
    let list = cast(c, &DataType::List(crate::table::role_field()))?;
    let list = list.as_list::<i32>();
    let mut out = Vec::with_capacity(c.len());
    for i in 0..list.len() {
        if list.is_null(i) {
            out.push(Value::Null);
            continue;
        }
        let items = list.value(i);
        let fmt = ArrayFormatter::try_new(items.as_ref(), options)?;
        let v: Vec<Value> = (0..items.len())
            .filter(|&j| items.is_valid(j))
            .map(|j| fmt.value(j).to_string().into())
            .collect();
        out.push(Value::Array(v));
    }
    Ok(out)
}

/// Two decimals; a whole number is written without them (a median of 3, not 3.0).
fn round(f: f64) -> Value {
    let r = (f * 100.0).round() / 100.0;
    if r.fract() == 0.0 && r.abs() < 1e15 {
        return Value::from(r as i64);
    }
    serde_json::Number::from_f64(r).map_or(Value::Null, Value::Number)
}

/// A value as text: lists joined with `, `, null as empty.
pub fn text(v: &Value) -> String {
    match v {
        Value::Null => String::new(),
        Value::String(s) => s.clone(),
        Value::Array(items) => items.iter().map(text).collect::<Vec<_>>().join(", "),
        other => other.to_string(),
    }
}

/// Adds the first column `reason`: the section's sentence with `{column}` filled from the row.
fn add_reasons(section: &mut Section, template: &str, lang: Lang) {
    let columns = section.columns.clone();
    for row in &mut section.rows {
        let mut sentence = template.to_owned();
        for (name, v) in columns.iter().zip(row.iter()) {
            let tag = format!("{{{name}}}");
            if sentence.contains(&tag) {
                let value = match text(v) {
                    s if s.is_empty() => texts::none(lang).to_owned(),
                    s => s,
                };
                sentence = sentence.replace(&tag, &value);
            }
        }
        row.insert(0, Value::String(sentence));
    }
    // First: why a row is there is what the reader needs before its details.
    section.columns.insert(0, "reason".into());
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_are_matched_whole() {
        assert!(uses("WHERE a = $user", "user"));
        assert!(uses("WHERE a = $user)", "user"));
        assert!(!uses("WHERE a = $user_id", "user"));
        assert!(!uses("WHERE a = 1", "user"));
    }

    #[test]
    fn a_table_is_named_as_a_whole_word() {
        assert!(names("SELECT * FROM staff s", "staff"));
        assert!(names("LEFT JOIN Staff\nON", "staff"));
        assert!(names("(SELECT 1 FROM care_relations)", "care_relations"));
        assert!(!names("max(r.staff_in_role)", "staff"));
        assert!(!names("SELECT 1 FROM my_staff", "staff"));
        assert!(!names("SELECT 1", "patients"));
    }
}
