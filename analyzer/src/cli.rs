//! Command-line arguments. Flags say how this run goes; what the log holds is read from
//! the sources.

use clap::{Args, Parser, Subcommand, ValueEnum};
use std::path::PathBuf;

/// Verify, query and report on zegel access logs (NEN 7513).
#[derive(Debug, Parser)]
#[command(name = "zegel-analyzer", version, about, long_about = None)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Verify every chain in the sources: hashes, sequence, checkpoint signatures and the
    /// external checkpoint file. Exit 0 valid, 1 integrity failure, 2 usage or I/O error.
    Verify(VerifyArgs),
    /// Write a synthetic access log with a valid chain and checkpoints (for trying out
    /// the tools and for benchmarks).
    Gen(GenArgs),
    /// Run SQL over the table `access` (every record of every source) and the directory
    /// tables `staff`, `patients` and `care_relations` (docs/analyzer-tables.md).
    /// Exit 0 done, 2 usage, SQL or I/O error.
    Query(QueryArgs),
    /// Copy each chain's records up to its latest signed checkpoint from a database into
    /// Parquet files by date, with a manifest per range; the database is not changed.
    /// Exit 0 done, 1 a chain does not verify, 2 usage or I/O error.
    Archive(ArchiveArgs),
    /// Delete archived records from the database, only if the archive verifies and meets
    /// the database chain at a signed checkpoint. Exit 0 done, 1 refused, 2 usage or I/O.
    Prune(PruneArgs),
    /// A named report for the privacy or security officer (docs/reports.md): the patient
    /// view, per employee, per day, per record, the systematic review, adoption, the
    /// compliance pack. Exit 0 done, 1 compliance: the log does not verify, 2 usage or
    /// I/O error.
    Report(ReportArgs),
    /// Export the records of a period: as FHIR R4 AuditEvents (IHE BALP; NDJSON or a
    /// Bundle), or every column as CSV or Parquet (docs/export.md).
    /// Exit 0 done, 2 usage or I/O error.
    Export(ExportArgs),
}

/// Arguments of `export`.
#[derive(Debug, Args)]
pub struct ExportArgs {
    /// What to write.
    #[arg(value_enum)]
    pub target: ExportTarget,
    /// A log database or Parquet directory, as for `query`. Repeatable.
    #[arg(long = "source", short = 's', required = true, env = "ZEGEL_SOURCE")]
    pub sources: Vec<String>,
    /// The period.
    #[command(flatten)]
    pub period: PeriodArgs,
    /// Only the records of this patient (`access.patient_id`).
    #[arg(long)]
    pub patient: Option<String>,
    /// Only the records of this user (`access.user_id`).
    #[arg(long)]
    pub user: Option<String>,
    /// fhir only: one AuditEvent per line, or one Bundle of type collection.
    #[arg(long, value_enum)]
    pub format: Option<FhirFormat>,
    /// Write to this file instead of standard output (required for parquet).
    #[arg(long, short = 'o', visible_alias = "out")]
    pub output: Option<PathBuf>,
    /// Memory limit and spill directory.
    #[command(flatten)]
    pub memory: MemoryArgs,
}

/// `--memory-limit` and `--spill-dir` of `query`, `report` and `export`.
#[derive(Debug, Clone, Args)]
pub struct MemoryArgs {
    /// Memory the query engine may hold (sorts, groups, joins), e.g. 2GiB or 512MiB;
    /// beyond it sorts and groups spill to --spill-dir, and joins run again as
    /// sort-merge joins that spill. `auto`: half the memory of the machine (or of its
    /// cgroup, if smaller). `unlimited`: no limit, nothing spills.
    #[arg(long, env = "ZEGEL_MEMORY_LIMIT", default_value = crate::memory::DEFAULT_LIMIT,
          value_parser = crate::memory::Limit::parse)]
    pub memory_limit: crate::memory::Limit,
    /// Directory for spill files (default: the system's temporary directory).
    #[arg(long, env = "ZEGEL_SPILL_DIR")]
    pub spill_dir: Option<PathBuf>,
}

impl Default for MemoryArgs {
    /// The defaults of the command line.
    fn default() -> Self {
        let m = crate::memory::Memory::default();
        MemoryArgs {
            memory_limit: crate::memory::Limit(m.limit),
            spill_dir: m.spill_dir,
        }
    }
}

impl MemoryArgs {
    /// The session's memory settings.
    pub fn memory(&self) -> crate::memory::Memory {
        crate::memory::Memory {
            limit: self.memory_limit.0,
            spill_dir: self.spill_dir.clone(),
        }
    }
}

/// `--from`, `--to` and `--timezone` of `report` and `export` (checked by
/// `report::period::Period`).
#[derive(Debug, Clone, Args)]
pub struct PeriodArgs {
    /// First day of the period (YYYY-MM-DD, local time of --timezone), inclusive.
    #[arg(long, value_parser = parse_date)]
    pub from: Option<chrono::NaiveDate>,
    /// Last day of the period (YYYY-MM-DD, local time of --timezone), inclusive.
    #[arg(long, value_parser = parse_date)]
    pub to: Option<chrono::NaiveDate>,
    /// Time zone in which days and hours are taken, and export's times are written
    /// (IANA name).
    #[arg(long, default_value = "Europe/Amsterdam")]
    pub timezone: String,
}

/// What `export` writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ExportTarget {
    /// FHIR R4 AuditEvent resources of the access records (IHE BALP).
    Fhir,
    /// Every column of `access`, CSV with a header line.
    Csv,
    /// Every column of `access`, one Parquet file (needs --output).
    Parquet,
}

/// How `export fhir` writes its AuditEvents.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum FhirFormat {
    /// NDJSON: one AuditEvent per line (FHIR bulk data).
    Ndjson,
    /// One JSON Bundle of type `collection`.
    Bundle,
}

/// Arguments of `archive`.
#[derive(Debug, Args)]
pub struct ArchiveArgs {
    /// The log database: `sqlite:PATH` or `postgres://USER@HOST/DB`.
    #[arg(long, env = "ZEGEL_SOURCE")]
    pub source: String,
    /// The archive directory (created if missing; later runs continue where it ends).
    #[arg(long)]
    pub to: PathBuf,
    /// Public key file(s) (SPKI PEM): only ranges sealed by a checkpoint signed with one
    /// of them are archived.
    #[arg(long = "public-key", short = 'k', required = true)]
    pub public_keys: Vec<PathBuf>,
    /// Checkpoint file(s) written by the sidecar, checked against the database.
    #[arg(long = "checkpoint-file", short = 'c')]
    pub checkpoint_files: Vec<PathBuf>,
    /// Archive only this chain (repeatable); default: every chain.
    #[arg(long = "chain")]
    pub chains: Vec<String>,
}

/// Arguments of `prune`.
#[derive(Debug, Args)]
pub struct PruneArgs {
    /// The log database: `sqlite:PATH` or `postgres://USER@HOST/DB`.
    #[arg(long, env = "ZEGEL_SOURCE")]
    pub source: String,
    /// The archive directory written by `archive`.
    #[arg(long)]
    pub archive: PathBuf,
    /// Public key file(s) (SPKI PEM) the checkpoints must be signed with.
    #[arg(long = "public-key", short = 'k', required = true)]
    pub public_keys: Vec<PathBuf>,
    /// Checkpoint file(s) written by the sidecar.
    #[arg(long = "checkpoint-file", short = 'c')]
    pub checkpoint_files: Vec<PathBuf>,
    /// Prune only this chain (repeatable); default: every chain.
    #[arg(long = "chain")]
    pub chains: Vec<String>,
}

/// Arguments of `query`.
#[derive(Debug, Args)]
pub struct QueryArgs {
    /// The SQL, e.g. "SELECT user_id, count(*) FROM access GROUP BY user_id".
    pub sql: String,
    /// A log database (`sqlite:PATH`, `postgres://USER@HOST/DB`) or a directory of Parquet
    /// files in the access schema (as written by `--format parquet`). Repeatable: all
    /// sources together form the one table `access`.
    #[arg(long = "source", short = 's', required = true, env = "ZEGEL_SOURCE")]
    pub sources: Vec<String>,
    /// CSV file for the table `staff` (user_id,name,department,role).
    #[arg(long)]
    pub staff: Option<PathBuf>,
    /// CSV file for the table `patients` (patient_id,surname,vip).
    #[arg(long)]
    pub patients: Option<PathBuf>,
    /// CSV file for the table `care_relations` (patient_id,user_id,valid_from,valid_to).
    #[arg(long = "care-relations")]
    pub care_relations: Option<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub format: Format,
    /// Write to this file instead of standard output (required for parquet).
    #[arg(long, short = 'o')]
    pub output: Option<PathBuf>,
    /// Rows shown by `--format table`; the other formats write every row.
    #[arg(long, default_value_t = 1000)]
    pub max_rows: usize,
    /// Memory limit and spill directory.
    #[command(flatten)]
    pub memory: MemoryArgs,
}

/// How `query` writes its result.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// A table for the terminal.
    Table,
    /// CSV with a header line; lists written as `[a, b]`.
    Csv,
    /// JSON lines: one object per row.
    Json,
    /// A Parquet file (needs --output); readable again as a --source directory.
    Parquet,
}

/// Arguments of `verify`.
#[derive(Debug, Args)]
pub struct VerifyArgs {
    /// A log database: `sqlite:PATH` or `postgres://USER@HOST/DB`. Repeatable.
    #[arg(long = "source", short = 's', required = true, env = "ZEGEL_SOURCE")]
    pub sources: Vec<String>,
    /// Keys, checkpoint files and the silence threshold.
    #[command(flatten)]
    pub integrity: IntegrityArgs,
    /// Verify only this chain (repeatable); default: every chain in the sources.
    #[arg(long = "chain")]
    pub chains: Vec<String>,
}

/// What verification checks against, shared by `verify` and `report compliance` so the
/// flags mean the same in both.
#[derive(Debug, Clone, Args)]
pub struct IntegrityArgs {
    /// Public key file(s) (SPKI PEM) that checkpoints must be signed with. Without one,
    /// signatures are not checked, and the output says so.
    #[arg(long = "public-key", short = 'k')]
    pub public_keys: Vec<PathBuf>,
    /// Checkpoint file(s) written by the sidecar, the anchor outside the database.
    #[arg(long = "checkpoint-file", short = 'c')]
    pub checkpoint_files: Vec<PathBuf>,
    /// Report stretches longer than this without any record while a chain's sidecar was
    /// running (between its start and stop records), e.g. `30m`, `2h`; `0` turns it off.
    #[arg(long, default_value = "2h", value_parser = humantime::parse_duration)]
    pub silence: std::time::Duration,
}

/// Arguments of `gen`.
#[derive(Debug, Clone, Args)]
pub struct GenArgs {
    /// Database to write to: `sqlite:PATH` or `postgres://...`.
    #[arg(long)]
    pub db: String,
    /// Signing key (PKCS#8 PEM), e.g. made by `zegel-sidecar keygen`.
    #[arg(long)]
    pub key: PathBuf,
    /// Checkpoint file to append to; with `--chains K` > 1 one per chain, NAME-k.EXT.
    #[arg(long)]
    pub checkpoint_file: Option<PathBuf>,
    /// Chain id to write; with `--chains K` > 1 the chains are ID-1 ... ID-K.
    #[arg(long, default_value = "demo-sidecar-1")]
    pub chain: String,
    /// Chains to write, as that many sidecars would, each with its share of the traffic.
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..=64))]
    pub chains: u32,
    /// Of the `--chains K`, write only chain N (1 to K): exactly the records a run
    /// writing all K gives that chain, and nothing of the others. A log too large for
    /// one database is written, archived and removed a chain at a time this way.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..=64))]
    pub only_chain: Option<u32>,
    /// Background access records, all chains together (each is followed by its outcome
    /// record). Default 10,000, or what the hospital does in `--days`.
    #[arg(long, value_parser = clap::value_parser!(u64).range(1..))]
    pub records: Option<u64>,
    /// Days the log covers, from Monday 2026-01-05. Default: as many as `--records` need
    /// at the hospital's usual pace.
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..=36_500))]
    pub days: Option<u32>,
    /// Employees of the hospital.
    #[arg(long, default_value_t = 1_000, value_parser = clap::value_parser!(u32).range(50..=1_000_000))]
    pub staff: u32,
    /// Patients (each with one care episode). Default: enough for every department on
    /// every day.
    #[arg(long, value_parser = clap::value_parser!(u32).range(100..=100_000_000))]
    pub patients: Option<u32>,
    /// Incidents to plant, kinds in turn (8 kinds: 8 or more plants each at least once).
    #[arg(long, default_value_t = 16, value_parser = clap::value_parser!(u32).range(0..=10_000))]
    pub incidents: u32,
    /// Write staff.csv, patients.csv, care_relations.csv and incidents.json (the ground
    /// truth) into this directory.
    #[arg(long)]
    pub directory_out: Option<PathBuf>,
    /// Print records/s on standard error every few seconds (always when it is a terminal).
    #[arg(long)]
    pub progress: bool,
    /// What to generate.
    #[arg(long, value_enum, default_value_t = GenProfile::Hospital)]
    pub profile: GenProfile,
    /// Seed of the generator: the same seed gives the same log.
    #[arg(long, default_value_t = 7513)]
    pub seed: u64,
}

/// Arguments of `report`.
#[derive(Debug, Args)]
pub struct ReportArgs {
    /// Which report.
    #[arg(value_enum)]
    pub name: ReportName,
    /// A log database or Parquet directory, as for `query`. Repeatable. Needed for every
    /// format but `sql`, which prints the report's SQL without reading a log.
    #[arg(long = "source", short = 's', env = "ZEGEL_SOURCE")]
    pub sources: Vec<String>,
    /// CSV file for the table `staff` (user_id,name,department,role).
    #[arg(long)]
    pub staff: Option<PathBuf>,
    /// CSV file for the table `patients` (patient_id,surname,vip).
    #[arg(long)]
    pub patients: Option<PathBuf>,
    /// CSV file for the table `care_relations` (patient_id,user_id,valid_from,valid_to).
    #[arg(long = "care-relations")]
    pub care_relations: Option<PathBuf>,
    /// The period.
    #[command(flatten)]
    pub period: PeriodArgs,
    /// Output format.
    #[arg(long, value_enum, default_value_t = ReportFormat::Table)]
    pub format: ReportFormat,
    /// Write to this file instead of standard output.
    #[arg(long, short = 'o')]
    pub output: Option<PathBuf>,
    /// Language of titles, explanations and column names.
    #[arg(long, value_enum, default_value_t = Lang::Nl)]
    pub lang: Lang,
    /// The patient (patient-access, record-access), as in `access.patient_id`.
    #[arg(long)]
    pub patient: Option<String>,
    /// The user (employee-access), as in `access.user_id`.
    #[arg(long)]
    pub user: Option<String>,
    /// patient-access: show employee ids and names (by default only role, organisation
    /// and department are shown).
    #[arg(long)]
    pub show_employees: bool,
    /// review: a day is a volume outlier above median + FACTOR x MAD of its peers.
    #[arg(long, default_value_t = 5.0)]
    pub outlier_factor: f64,
    /// review: office hours, local time, `HH-HH` (start inclusive, end exclusive);
    /// access outside them or on Saturday or Sunday is off-hours.
    #[arg(long, default_value = "07-19", value_parser = parse_office_hours)]
    pub office_hours: (u32, u32),
    /// review: roles whose activity is reviewed as administration (a role containing
    /// one of these, case-insensitive). Comma-separated.
    #[arg(
        long,
        value_delimiter = ',',
        default_value = "admin,beheerder,security-officer,functioneel-beheerder"
    )]
    pub admin_roles: Vec<String>,
    /// adoption: the period of each data point (compliance always uses months).
    #[arg(long, value_enum, default_value_t = Interval::Week)]
    pub by: Interval,
    /// compliance: keys, checkpoint files and the silence threshold, as for `verify`.
    #[command(flatten)]
    pub integrity: IntegrityArgs,
    /// Rows shown per section by `--format table` and `html`; csv and json write all.
    #[arg(long, default_value_t = 1000)]
    pub max_rows: usize,
    /// Memory limit and spill directory.
    #[command(flatten)]
    pub memory: MemoryArgs,
}

/// The named reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ReportName {
    /// The overview a patient is entitled to (Wabvpz art. 15e, NEN 7513 ch. 9).
    PatientAccess,
    /// Everything one user did, with counts per day.
    EmployeeAccess,
    /// Per employee per day: records and patients opened, denials, emergencies, bytes.
    Daily,
    /// Every access to one patient's record, with user ids and names.
    RecordAccess,
    /// The systematic checks: break-the-glass, denials, care relations, ...
    Review,
    /// Use of each application per role and department over time.
    Adoption,
    /// The evidence pack for an IGJ visit or a NEN 7510 audit: integrity, coverage,
    /// policy versions, review and adoption summaries, mapped to NEN 7510 controls.
    /// Exit 1 when the log does not verify (the pack is written all the same).
    Compliance,
}

/// How `report` writes its result.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ReportFormat {
    /// Tables for the terminal.
    Table,
    /// One CSV table; the column `section` says which section a row belongs to.
    Csv,
    /// One JSON document with every section.
    Json,
    /// A self-contained HTML page (inline CSS and SVG, no scripts).
    Html,
    /// The HTML page printed to PDF by headless Chromium (needs --output; Chromium from
    /// PATH or env ZEGEL_CHROMIUM).
    Pdf,
    /// Nothing is run: the SQL of every section and the parameter values it binds, as
    /// JSON, to read or re-run elsewhere.
    Sql,
}

/// Language of a report.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Lang {
    /// Dutch.
    Nl,
    /// English.
    En,
}

/// The period of a data point in `adoption`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Interval {
    /// ISO weeks (Monday to Sunday).
    Week,
    /// Calendar months.
    Month,
}

fn parse_date(s: &str) -> Result<chrono::NaiveDate, String> {
    chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d")
        .map_err(|_| format!("{s:?} is not a date YYYY-MM-DD"))
}

fn parse_office_hours(s: &str) -> Result<(u32, u32), String> {
    let bad = || format!("{s:?} is not office hours HH-HH, e.g. 07-19");
    let (a, b) = s.split_once('-').ok_or_else(bad)?;
    let (a, b): (u32, u32) = (a.parse().map_err(|_| bad())?, b.parse().map_err(|_| bad())?);
    if a >= b || b > 24 {
        return Err(format!(
            "{s:?}: the start must be before the end, within 00-24"
        ));
    }
    Ok((a, b))
}

/// What `gen` writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum GenProfile {
    /// A hospital with working hours, care relations and planted incidents.
    Hospital,
    /// Access/outcome pairs only, uniformly spread (one chain, no directory, no
    /// incidents; for tests that count records).
    Uniform,
}

impl GenArgs {
    /// The arguments `gen --db DB --key KEY` has: every other option at its default.
    pub fn new(db: &str, key: &std::path::Path) -> Result<GenArgs, clap::Error> {
        use clap::FromArgMatches;
        let cmd = GenArgs::augment_args(clap::Command::new("gen"));
        let argv: [std::ffi::OsString; 5] = [
            "gen".into(),
            "--db".into(),
            db.into(),
            "--key".into(),
            key.into(),
        ];
        GenArgs::from_arg_matches(&cmd.try_get_matches_from(argv)?)
    }
}
