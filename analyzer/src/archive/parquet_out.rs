//! Records into archive files: one Parquet file per UTC month, under
//! `<chain>/<YYYY-MM>/`, in the `access` schema (so an archive directory is also a
//! `--source` for `query`). Files hold contiguous sequence ranges: a new file starts
//! when a record's month is later than the current file's, while a record a little out
//! of time order (concurrent requests around midnight) stays in the current file; each
//! `archive` run starts new files, and a busy month is split every [`MAX_FILE_ROWS`].
//! The `time` statistics in each file's footer stay exact either way, so a report on a
//! few days skips the other row groups.
//!
//! A month, not a day: every file a query opens costs its footer, bloom filters and
//! page index, and at 100M records in ten chains the day files (12,950 of ~0.5 MiB) made
//! that cost most of every report (BENCHMARKS.md). Archives of day files, written
//! before, read and verify the same.
//!
//! Files are written under a `.partial` name and renamed when complete and synced.
//! Pages are Snappy-compressed; a reader takes any codec, so archives written with zstd
//! before stay readable. Row groups carry bloom filters of `patient_id` and `user_id`
//! ([`BLOOM_COLUMNS`]); archives written without them read the same, only slower for
//! one patient or user. `seq` and `time` are stored as deltas ([`DELTA_COLUMNS`]);
//! older archives with plain ones read the same.

use crate::Error;
use crate::archive::manifest::{FileEntry, io, partial_name, sha256_file};
use crate::batch;
use crate::table::{COLUMNS, file_schema};
use chrono::{DateTime, Datelike, NaiveDate};
use parquet::arrow::ArrowWriter;
use parquet::basic::{Compression, Encoding};
use parquet::file::properties::WriterProperties;
use parquet::schema::types::ColumnPath;
use std::fs::File;
use std::path::{Path, PathBuf};
use zegel_audit::SealedRecord;

/// Columns a report looks up one value of (`patient-access` and `record-access` one
/// patient, `employee-access` one user): each row group carries a bloom filter of them,
/// so a reader skips the row groups that cannot hold the patient or user instead of
/// decoding every row (the filters are sized to the values actually written).
const BLOOM_COLUMNS: [&str; 2] = ["patient_id", "user_id"];

/// False-positive rate of those bloom filters: one row group in a hundred without the
/// value is read anyway.
const BLOOM_FPP: f64 = 0.01;

/// Columns that rise through a file (`seq` by one, `time` by milliseconds): stored as
/// deltas, a few bits a value instead of eight bytes, so every query that reads `time`
/// (each report's period) reads and decodes less.
const DELTA_COLUMNS: [&str; 2] = ["seq", "time"];

/// Records per file at most. `verify` holds a file's bytes while it checks them (so the
/// bytes hashed are the bytes verified): a month of a busy chain is split into files of
/// this many records, ~70 MiB, rather than one of several GiB.
pub const MAX_FILE_ROWS: u64 = 1 << 20;

struct Open {
    month: NaiveDate,
    partial: PathBuf,
    writer: ArrowWriter<File>,
    first_seq: u64,
    last_seq: u64,
    rows: u64,
}

/// Writes one chain's records, in order, into per-month files.
pub struct MonthFiles {
    chain_dir: PathBuf,
    chain_id: String,
    open: Option<Open>,
    done: Vec<FileEntry>,
    max_rows: u64,
}

impl MonthFiles {
    /// Files go under `chain_dir` (the chain's directory in the archive).
    pub fn new(chain_dir: &Path, chain_id: &str) -> Self {
        MonthFiles {
            chain_dir: chain_dir.to_path_buf(),
            chain_id: chain_id.to_owned(),
            open: None,
            done: Vec::new(),
            max_rows: MAX_FILE_ROWS,
        }
    }

    /// Files of at most `n` records (tests; [`MAX_FILE_ROWS`] otherwise).
    #[cfg(test)]
    fn with_max_rows(mut self, n: u64) -> Self {
        self.max_rows = n;
        self
    }

    /// Appends `records` (the next ones of the chain).
    pub fn push(&mut self, records: &[SealedRecord]) -> Result<(), Error> {
        let mut rest = records;
        while let Some(first) = rest.first() {
            let current = self.open.as_ref().map(|o| o.month);
            let month = current.map_or(utc_month(first.event.time_us), |c| {
                c.max(utc_month(first.event.time_us))
            });
            let room = match &self.open {
                Some(o) if o.month == month => self.max_rows.saturating_sub(o.rows),
                _ => self.max_rows,
            };
            if room == 0 {
                self.close()?;
                continue;
            }
            let run = rest
                .iter()
                .take_while(|r| utc_month(r.event.time_us) <= month)
                .count()
                .clamp(1, usize::try_from(room).unwrap_or(usize::MAX));
            let (now, later) = rest.split_at(run);
            self.write_run(month, now)?;
            rest = later;
        }
        Ok(())
    }

    fn write_run(&mut self, month: NaiveDate, records: &[SealedRecord]) -> Result<(), Error> {
        if self.open.as_ref().is_some_and(|o| o.month != month) {
            self.close()?;
        }
        if self.open.is_none() {
            self.open = Some(self.create(month, records[0].seq)?);
        }
        let schema = file_schema();
        let all: Vec<usize> = (0..COLUMNS.len()).collect();
        let b = batch::build(&schema, &all, &self.chain_id, records)?;
        if let Some(o) = self.open.as_mut() {
            o.writer
                .write(&b)
                .map_err(|e| parquet_error(&o.partial, &e))?;
            o.rows += records.len() as u64;
            o.last_seq = records[records.len() - 1].seq;
        }
        Ok(())
    }

    fn create(&self, month: NaiveDate, first_seq: u64) -> Result<Open, Error> {
        let dir = self.chain_dir.join(month.format("%Y-%m").to_string());
        std::fs::create_dir_all(&dir).map_err(|e| io(&dir, &e))?;
        let partial = partial_name(&dir.join(format!("{first_seq:020}.parquet")));
        let file = File::create(&partial).map_err(|e| io(&partial, &e))?;
        // Snappy, not zstd: the parquet crate makes a zstd compression and decompression
        // context for every column chunk it reads, which is a fifth of verifying an
        // archive of day files; Snappy files are ~26% larger (BENCHMARKS.md).
        let mut props = WriterProperties::builder()
            .set_compression(Compression::SNAPPY)
            .set_max_row_group_row_count(Some(128 * 1024));
        for col in BLOOM_COLUMNS {
            props = props
                .set_column_bloom_filter_enabled(ColumnPath::from(col), true)
                .set_column_bloom_filter_fpp(ColumnPath::from(col), BLOOM_FPP);
        }
        for col in DELTA_COLUMNS {
            props = props
                .set_column_dictionary_enabled(ColumnPath::from(col), false)
                .set_column_encoding(ColumnPath::from(col), Encoding::DELTA_BINARY_PACKED);
        }
        let props = props.build();
        let writer = ArrowWriter::try_new(file, file_schema(), Some(props))
            .map_err(|e| parquet_error(&partial, &e))?;
        Ok(Open {
            month,
            partial,
            writer,
            first_seq,
            last_seq: first_seq,
            rows: 0,
        })
    }

    fn close(&mut self) -> Result<(), Error> {
        let Some(o) = self.open.take() else {
            return Ok(());
        };
        let file = o
            .writer
            .into_inner()
            .map_err(|e| parquet_error(&o.partial, &e))?;
        file.sync_all().map_err(|e| io(&o.partial, &e))?;
        let dir = o.partial.parent().unwrap_or(Path::new("."));
        let name = format!("{:020}-{:020}.parquet", o.first_seq, o.last_seq);
        let path = dir.join(&name);
        std::fs::rename(&o.partial, &path).map_err(|e| io(&path, &e))?;
        let rel = path
            .strip_prefix(&self.chain_dir)
            .unwrap_or(&path)
            .to_string_lossy()
            .into_owned();
        self.done.push(FileEntry {
            path: rel,
            rows: o.rows,
            first_seq: o.first_seq,
            last_seq: o.last_seq,
            sha256: sha256_file(&path)?,
        });
        Ok(())
    }

    /// Closes the last file; returns every file written, in chain order.
    pub fn finish(mut self) -> Result<Vec<FileEntry>, Error> {
        self.close()?;
        Ok(self.done)
    }
}

/// The first day of the UTC month of `time_us`.
fn utc_month(time_us: i64) -> NaiveDate {
    let date = DateTime::from_timestamp_micros(time_us)
        .unwrap_or_default()
        .date_naive();
    date.with_day(1).unwrap_or(date)
}

fn parquet_error(path: &Path, e: &dyn std::fmt::Display) -> Error {
    Error::Output {
        target: path.display().to_string(),
        detail: e.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use zegel_audit::{Event, EventKind};

    const JAN_31_23H: i64 = 1_801_436_400_000_000; // 2027-01-31T23:00:00Z
    const HOUR: i64 = 3_600_000_000;

    fn records(
        seqs: std::ops::RangeInclusive<u64>,
        time_us: impl Fn(u64) -> i64,
    ) -> Vec<SealedRecord> {
        seqs.map(|seq| SealedRecord::new(seq, Event::new(EventKind::Access, time_us(seq)), [0; 32]))
            .collect()
    }

    #[test]
    fn files_follow_the_month_and_split_a_busy_one() {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut out = MonthFiles::new(dir.path(), "c").with_max_rows(10);
        // 25 records in January, then February from seq 26 on; seq 27 is a January
        // record a little out of time order, which stays in February's file.
        let time = |seq: u64| match seq {
            ..=25 => JAN_31_23H - 30 * HOUR + seq as i64,
            27 => JAN_31_23H,
            _ => JAN_31_23H + 2 * HOUR + seq as i64,
        };
        let all = records(1..=30, time);
        out.push(&all[..12]).expect("push");
        out.push(&all[12..]).expect("push");
        let files = out.finish().expect("finish");
        let got: Vec<(String, u64, u64)> = (files.iter())
            .map(|f| {
                (
                    f.path.split('/').next().unwrap_or("").to_owned(),
                    f.first_seq,
                    f.last_seq,
                )
            })
            .collect();
        let want = [
            ("2027-01", 1, 10),
            ("2027-01", 11, 20),
            ("2027-01", 21, 25),
            ("2027-02", 26, 30),
        ];
        let want: Vec<(String, u64, u64)> = want
            .iter()
            .map(|(m, a, b)| (m.to_string(), *a, *b))
            .collect();
        assert_eq!(got, want);
        for f in &files {
            assert!(dir.path().join(&f.path).is_file(), "{}", f.path);
            assert_eq!(f.rows, f.last_seq - f.first_seq + 1);
        }
    }
}
