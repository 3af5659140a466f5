//! Times the verifier gives (µs since the epoch) shown as the SQL sections show theirs:
//! local time of `--timezone`, to the second; and the period's bounds in µs.

use crate::Error;
use crate::report::period::Period;
use chrono::{DateTime, Utc};
use datafusion::arrow::array::timezone::Tz;
use datafusion::common::ScalarValue;
use std::str::FromStr;

/// The report's time zone and period bounds.
pub struct LocalTime {
    tz: Tz,
    /// First µs of the period.
    pub from_us: i64,
    /// First µs after the period.
    pub to_us: i64,
}

impl LocalTime {
    /// For `period` (whose time zone was checked).
    pub fn new(period: &Period) -> Result<LocalTime, Error> {
        let tz = Tz::from_str(&period.timezone)
            .map_err(|e| Error::Usage(format!("--timezone {}: {e}", period.timezone)))?;
        let us = |v: &ScalarValue| match v {
            ScalarValue::TimestampMicrosecond(Some(us), _) => *us,
            _ => 0,
        };
        let [(_, from), (_, to)] = period.params();
        Ok(LocalTime {
            tz,
            from_us: us(&from),
            to_us: us(&to),
        })
    }

    /// `YYYY-MM-DD HH:MM:SS` in the report's time zone.
    pub fn show(&self, us: i64) -> String {
        DateTime::<Utc>::from_timestamp_micros(us).map_or_else(
            || format!("{us} µs"),
            |t| {
                t.with_timezone(&self.tz)
                    .format("%Y-%m-%d %H:%M:%S")
                    .to_string()
            },
        )
    }

    /// Whether the stretch `from_us..to_us` overlaps the period.
    pub fn overlaps(&self, from_us: i64, to_us: i64) -> bool {
        to_us >= self.from_us && from_us < self.to_us
    }
}
