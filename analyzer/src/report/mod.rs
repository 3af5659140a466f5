//! `report`: named reports for privacy and security officers (docs/reports.md).
//!
//! The flow: the options are checked (`Options`, `period.rs`) before any source is
//! opened; `session.rs` builds the same context `query` uses, to which this module adds
//! the `period` view (the records of `--from`..`--to` with their local time and day) and
//! empty directory tables for CSV files that were not given, so every report's SQL plans.
//! Each report file (`patient_access.rs`, `employee_access.rs`, `daily.rs`,
//! `record_access.rs`, `review.rs`, `adoption.rs`) declares its sections as SQL
//! constants; `section.rs` runs them into rows, `texts.rs` gives the words in Dutch or
//! English, and `render.rs` / `render_html.rs` write table, CSV, JSON or HTML, which
//! `pdf.rs` prints to PDF. A report about one patient or user first reads that
//! subject's rows once (`subject.rs`), and its sections run over them. `compliance/` is
//! the evidence pack: it also runs the verifier and summarises the other reports, in
//! chapters, with a verdict.

pub mod adoption;
pub mod compliance;
pub mod daily;
pub mod employee_access;
pub mod html_style;
pub mod patient_access;
pub mod pdf;
pub mod period;
pub mod record_access;
pub mod render;
pub mod render_html;
pub mod review;
pub mod section;
pub mod sql_spec;
pub mod subject;
pub mod svg;
pub mod texts;

use crate::cli::{IntegrityArgs, Interval, Lang, ReportArgs, ReportFormat, ReportName};
use crate::directory::{CARE_RELATIONS, PATIENTS, STAFF};
use crate::session::{self, Tables};
use crate::{Error, Outcome, print};
use datafusion::common::ScalarValue;
use datafusion::datasource::MemTable;
use datafusion::prelude::SessionContext;
use period::Period;
use section::{Need, Report, Section};
use std::path::PathBuf;
use std::sync::Arc;

/// What the sections of a report depend on, checked once.
#[derive(Debug, Clone)]
pub struct Options {
    /// Which report.
    pub name: ReportName,
    /// Language of the words.
    pub lang: Lang,
    /// The period.
    pub period: Period,
    /// `--patient`.
    pub patient: Option<String>,
    /// `--user`.
    pub user: Option<String>,
    /// `--show-employees`.
    pub show_employees: bool,
    /// `--outlier-factor`.
    pub outlier_factor: f64,
    /// `--office-hours`: first hour inside, first hour after.
    pub office_hours: (u32, u32),
    /// `--admin-roles`, lower case.
    pub admin_roles: Vec<String>,
    /// `--by`.
    pub by: Interval,
    /// Which directory tables were given.
    pub given: Vec<Need>,
    /// compliance: keys, checkpoint files, silence threshold.
    pub integrity: IntegrityArgs,
    /// `--format pdf`: the Chromium that prints it.
    pub chromium: Option<PathBuf>,
}

impl Options {
    /// Checks the arguments: the ones a report needs, values clap cannot check.
    pub fn from_args(args: &ReportArgs) -> Result<Self, Error> {
        let needs = |what: &str| Error::Usage(format!("report {} needs {what}", name(args.name)));
        match args.name {
            ReportName::PatientAccess | ReportName::RecordAccess if args.patient.is_none() => {
                return Err(needs("--patient ID"));
            }
            ReportName::EmployeeAccess if args.user.is_none() => return Err(needs("--user ID")),
            _ => {}
        }
        if !(args.outlier_factor.is_finite() && args.outlier_factor > 0.0) {
            return Err(Error::Usage(
                "--outlier-factor must be a number above 0".into(),
            ));
        }
        let chromium = match args.format {
            ReportFormat::Pdf if args.output.is_none() => {
                return Err(Error::Usage("--format pdf needs --output FILE".into()));
            }
            ReportFormat::Pdf => Some(pdf::find()?),
            _ => None,
        };
        let given = [
            (Need::Staff, &args.staff),
            (Need::Patients, &args.patients),
            (Need::CareRelations, &args.care_relations),
        ];
        Ok(Options {
            name: args.name,
            lang: args.lang,
            period: Period::new(args.period.from, args.period.to, &args.period.timezone)?,
            patient: args.patient.clone(),
            user: args.user.clone(),
            show_employees: args.show_employees,
            outlier_factor: args.outlier_factor,
            office_hours: args.office_hours,
            admin_roles: (args.admin_roles.iter())
                .map(|r| r.trim().to_lowercase())
                .filter(|r| !r.is_empty())
                .collect(),
            by: args.by,
            given: given
                .iter()
                .filter(|g| g.1.is_some())
                .map(|g| g.0)
                .collect(),
            integrity: args.integrity.clone(),
            chromium,
        })
    }

    /// Whether a directory table was given.
    pub fn has(&self, need: Need) -> bool {
        self.given.contains(&need)
    }

    /// The values of the placeholders the report SQL may use.
    pub fn params(&self) -> Vec<(&'static str, ScalarValue)> {
        let text = |v: &Option<String>| ScalarValue::Utf8(v.clone());
        let [from, to] = self.period.params();
        vec![
            from,
            to,
            ("patient", text(&self.patient)),
            ("user", text(&self.user)),
            (
                "outlier_factor",
                ScalarValue::Float64(Some(self.outlier_factor)),
            ),
            (
                "office_start",
                ScalarValue::Int64(Some(self.office_hours.0.into())),
            ),
            (
                "office_end",
                ScalarValue::Int64(Some(self.office_hours.1.into())),
            ),
            (
                "admin_pattern",
                ScalarValue::Utf8(Some(self.admin_pattern())),
            ),
            (
                "by",
                ScalarValue::Utf8(Some(
                    match self.by {
                        Interval::Week => "week",
                        Interval::Month => "month",
                    }
                    .into(),
                )),
            ),
        ]
    }

    /// `--admin-roles` as one regular expression: any of them, literally.
    fn admin_pattern(&self) -> String {
        let escaped: Vec<String> = (self.admin_roles.iter())
            .map(|r| {
                r.chars()
                    .flat_map(|c| {
                        let special = !(c.is_alphanumeric() || c == '-' || c == '_' || c == ' ');
                        special.then_some('\\').into_iter().chain([c])
                    })
                    .collect()
            })
            .collect();
        if escaped.is_empty() {
            // Matches nothing: no admin roles configured.
            return "[^\\s\\S]".into();
        }
        format!("({})", escaped.join("|"))
    }
}

/// The command-line name of a report.
pub fn name(r: ReportName) -> &'static str {
    match r {
        ReportName::PatientAccess => "patient-access",
        ReportName::EmployeeAccess => "employee-access",
        ReportName::Daily => "daily",
        ReportName::RecordAccess => "record-access",
        ReportName::Review => "review",
        ReportName::Adoption => "adoption",
        ReportName::Compliance => "compliance",
    }
}

/// Runs `report`.
pub async fn run(args: &ReportArgs) -> Result<Outcome, Error> {
    let opts = Options::from_args(args)?;
    if args.format == ReportFormat::Sql {
        let doc = sql_spec::document(&opts, specs(opts.name)?);
        print::write_document(args.output.as_deref(), doc.as_bytes())?;
        return Ok(Outcome::Ok);
    }
    if args.sources.is_empty() {
        return Err(Error::Usage(
            "report needs --source (a log database or Parquet directory; also ZEGEL_SOURCE), \
             except with --format sql"
                .into(),
        ));
    }
    let mut tables = Tables {
        sources: args.sources.clone(),
        staff: args.staff.clone(),
        patients: args.patients.clone(),
        care_relations: args.care_relations.clone(),
        memory: args.memory.memory(),
    };
    // The compliance pack runs other reports' SQL; the others run only their own.
    if let Ok(specs) = specs(opts.name) {
        skip_unused_directories(&mut tables, specs, name(opts.name));
    }
    let ctx = context(&tables, &opts.period).await?;
    let report = build(&ctx, &opts, &args.sources).await?;
    match &opts.chromium {
        Some(chromium) => {
            let pdf = pdf::print(&render_html::html(&report, args.max_rows), chromium).await?;
            print::write_document(args.output.as_deref(), &pdf)?;
        }
        None => print::write_document_with(args.output.as_deref(), |out| {
            render::write(&report, args.format, args.max_rows, out)
        })?,
    }
    Ok(report.outcome())
}

/// Drops the directory tables no section of `specs` names (a CSV read for nothing
/// costs ~0.1 s per 100,000 rows), saying so on stderr for each one given. A column or
/// alias of the same name may keep a table that is not needed, never the other way round.
fn skip_unused_directories(tables: &mut Tables, specs: &[section::Spec], report: &str) {
    for need in Need::ALL {
        let file = match need {
            Need::Staff => &mut tables.staff,
            Need::Patients => &mut tables.patients,
            Need::CareRelations => &mut tables.care_relations,
        };
        if file.is_some() && !specs.iter().any(|s| section::names(s.sql, need.table())) {
            let (table, flag) = (need.table(), need.flag());
            eprintln!("note: {report} does not use the table {table}; {flag} is not read");
            *file = None;
        }
    }
}

/// The SQL sections of a report, for `--format sql`.
fn specs(name: ReportName) -> Result<&'static [section::Spec], Error> {
    Ok(match name {
        ReportName::PatientAccess => &patient_access::SECTIONS,
        ReportName::EmployeeAccess => &employee_access::SECTIONS,
        ReportName::Daily => &daily::SECTIONS,
        ReportName::RecordAccess => &record_access::SECTIONS,
        ReportName::Review => &review::SECTIONS,
        ReportName::Adoption => &adoption::SECTIONS,
        ReportName::Compliance => {
            return Err(Error::Usage(
                "--format sql lists a report's SQL sections; the compliance pack is \
                 assembled from the verifier and several reports (docs/reports.md shows \
                 its SQL)"
                    .into(),
            ));
        }
    })
}

/// The query session plus the `period` view and empty stand-ins for missing directory
/// tables.
pub async fn context(tables: &Tables, period: &Period) -> Result<SessionContext, Error> {
    let ctx = session::open(tables).await?;
    for dir in [&STAFF, &PATIENTS, &CARE_RELATIONS] {
        if !ctx.table_exist(dir.name)? {
            let empty = MemTable::try_new(dir.schema(), vec![vec![]])?;
            ctx.register_table(dir.name, Arc::new(empty))?;
        }
    }
    let view = match ctx.sql(&period.sql()).await {
        Ok(df) => df.with_param_values(period.params().to_vec())?,
        Err(e) => return Err(crate::query::sql_error(&ctx, &e).await),
    };
    ctx.register_table(period::PERIOD, view.into_view())?;
    Ok(ctx)
}

/// For a report on one patient or user: Parquet filters are evaluated while decoding,
/// so the other columns are decoded only for the few rows kept (measured at 10M
/// records: patient-access 30% faster; on whole-log reports it costs 10-20%, so they
/// keep the default).
///
/// The conjuncts are evaluated in the order the SQL writes them (the Parquet format is
/// built with `reorder_filters` off, `parquet_dir.rs`), and these reports write the
/// selective one (`user_id = $user`, `patient_id = $patient`) first. DataFusion's
/// reordering would put the cheaper `kind = 'access'` first, which keeps every other
/// row (access and outcome records alternate): a selection of millions of runs that the
/// Parquet reader then intersects and expands for every column (a quarter of
/// employee-access's time at 10M; 1.4 -> 0.75 CPU-s without it).
async fn late_materialization(ctx: &SessionContext) -> Result<(), Error> {
    let set = "SET datafusion.execution.parquet.pushdown_filters = true";
    ctx.sql(set).await?.collect().await?;
    Ok(())
}

/// Runs the report's sections and frames them.
pub async fn build(
    ctx: &SessionContext,
    opts: &Options,
    sources: &[String],
) -> Result<Report, Error> {
    build_within(ctx, opts, sources, subject::CAP).await
}

/// [`build`], holding at most `cap` bytes of a subject's rows in memory
/// (`subject.rs`; 0: every section reads the sources itself).
pub async fn build_within(
    ctx: &SessionContext,
    opts: &Options,
    sources: &[String],
    cap: usize,
) -> Result<Report, Error> {
    let mut verdict = None;
    if opts.patient.is_some() || opts.user.is_some() {
        late_materialization(ctx).await?;
    }
    let _held = subject::narrow(ctx, opts, cap).await?;
    let sections: Vec<Section> = match opts.name {
        ReportName::PatientAccess => patient_access::sections(ctx, opts).await?,
        ReportName::EmployeeAccess => employee_access::sections(ctx, opts).await?,
        ReportName::Daily => daily::sections(ctx, opts).await?,
        ReportName::RecordAccess => record_access::sections(ctx, opts).await?,
        ReportName::Review => review::sections(ctx, opts).await?,
        ReportName::Adoption => adoption::sections(ctx, opts).await?,
        ReportName::Compliance => {
            let pack = compliance::build(ctx, opts, sources).await?;
            verdict = Some(pack.verdict);
            pack.sections
        }
    };
    let lang = opts.lang;
    let subject = match opts.name {
        ReportName::PatientAccess | ReportName::RecordAccess => opts
            .patient
            .as_ref()
            .map(|p| format!("{} {p}", texts::word(lang, "patient"))),
        ReportName::EmployeeAccess => opts
            .user
            .as_ref()
            .map(|u| format!("{} {u}", texts::word(lang, "user"))),
        ReportName::Compliance => Some(compliance::texts::word(lang, "subject").to_owned()),
        _ => None,
    };
    Ok(Report {
        name: opts.name,
        lang,
        title: texts::report_title(lang, opts.name).to_owned(),
        subject,
        period: period_text(&opts.period, lang),
        sources: sources.iter().map(|s| redact(s)).collect(),
        generated_at: opts.period.now(),
        sections,
        verdict,
    })
}

fn period_text(p: &Period, lang: Lang) -> String {
    let w = |k| texts::word(lang, k);
    let span = match (p.from, p.to) {
        (None, None) => w("whole-log").to_owned(),
        (Some(f), Some(t)) => format!("{f} – {t}"),
        (Some(f), None) => format!("{} {f}", w("from")),
        (None, Some(t)) => format!("{} {t}", w("until")),
    };
    format!("{span} ({} {})", w("timezone"), p.timezone)
}

/// A source as shown in a report: a database password is never printed.
pub fn redact(source: &str) -> String {
    let Some(scheme_end) = source.find("://") else {
        return source.to_owned();
    };
    let rest = &source[scheme_end + 3..];
    let Some(at) = rest.find('@') else {
        return source.to_owned();
    };
    match rest[..at].find(':') {
        Some(colon) => format!(
            "{}{}:***{}",
            &source[..scheme_end + 3],
            &rest[..colon],
            &rest[at..]
        ),
        None => source.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_are_not_shown() {
        assert_eq!(
            redact("postgres://zegel:geheim@db/zegel"),
            "postgres://zegel:***@db/zegel"
        );
        assert_eq!(
            redact("postgres://zegel@db/zegel"),
            "postgres://zegel@db/zegel"
        );
        assert_eq!(redact("sqlite:/var/log.db"), "sqlite:/var/log.db");
    }

    /// See [`late_materialization`]: in each WHERE of a report on one patient or user,
    /// the subject's filter comes before `kind = 'access'`.
    #[test]
    fn per_subject_reports_filter_on_the_subject_first() {
        let specs = (employee_access::SECTIONS.iter())
            .chain(&patient_access::SECTIONS)
            .chain(&record_access::SECTIONS);
        for spec in specs {
            for clause in spec.sql.split("WHERE ").skip(1) {
                let subject = ["$user", "$patient"]
                    .iter()
                    .filter_map(|p| clause.find(p))
                    .min();
                let kind = clause.find("kind = 'access'");
                match (subject, kind) {
                    (Some(s), Some(k)) => assert!(s < k, "{}: {clause}", spec.id),
                    _ => panic!("{}: a WHERE without subject or kind: {clause}", spec.id),
                }
            }
        }
    }

    #[test]
    fn every_review_check_has_texts() {
        for id in review::ids() {
            assert!(texts::known(id), "{id}");
        }
    }
}
