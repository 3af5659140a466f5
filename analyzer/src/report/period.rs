//! The period of a report: `--from`/`--to` are whole local days in `--timezone`
//! (default Europe/Amsterdam), turned into UTC bounds once, here, so every report's SQL
//! reads the same `period` view and a day means the same thing in all of them.

use crate::Error;
use crate::table::ACCESS;
use chrono::{NaiveDate, TimeZone};
use datafusion::arrow::array::timezone::Tz;
use datafusion::common::ScalarValue;
use std::str::FromStr;

/// The view every report reads instead of `access`: the records of the period, with
/// their local time (zoned, as shown), local wall-clock time (no zone, for hours and
/// weekdays) and local day. `{tz}` is the checked `--timezone`; `$from` and `$to` are the
/// UTC bounds of the period (from inclusive, to exclusive). `local_day` and
/// `local_wall_time` are zegel's (`functions.rs`): the same values as DataFusion's own
/// conversions, several times faster.
pub const PERIOD_SQL: &str = r#"SELECT *,
  arrow_cast(time, 'Timestamp(Microsecond, Some("{tz}"))') AS local_time,
  local_wall_time(time, '{tz}') AS wall_time,
  local_day(time, '{tz}') AS day
FROM access
WHERE time >= $from AND time < $to"#;

/// Name of the period view.
pub const PERIOD: &str = "period";

/// The period and the time zone it is taken in.
#[derive(Debug, Clone)]
pub struct Period {
    /// First day, inclusive (None: from the first record).
    pub from: Option<NaiveDate>,
    /// Last day, inclusive (None: up to the last record).
    pub to: Option<NaiveDate>,
    /// IANA name of the time zone.
    pub timezone: String,
    tz: Tz,
}

impl Period {
    /// Checks the time zone and that the period is not reversed.
    pub fn new(
        from: Option<NaiveDate>,
        to: Option<NaiveDate>,
        timezone: &str,
    ) -> Result<Self, Error> {
        let tz = Tz::from_str(timezone).map_err(|_| {
            Error::Usage(format!(
                "--timezone {timezone:?} is not a time zone name such as Europe/Amsterdam"
            ))
        })?;
        if let (Some(f), Some(t)) = (from, to)
            && f > t
        {
            return Err(Error::Usage(format!("--from {f} is after --to {t}")));
        }
        Ok(Period {
            from,
            to,
            timezone: timezone.to_owned(),
            tz,
        })
    }

    /// The SQL of the period view for this time zone.
    pub fn sql(&self) -> String {
        debug_assert!(PERIOD_SQL.contains(ACCESS));
        PERIOD_SQL.replace("{tz}", &self.timezone)
    }

    /// `$from` and `$to`: UTC microseconds of the first local midnight of the period and
    /// of the local midnight after its last day.
    pub fn params(&self) -> [(&'static str, ScalarValue); 2] {
        let start = self.from.map_or(i64::MIN / 2, |d| self.midnight(d));
        let end = (self.to.and_then(|d| d.succ_opt())).map_or(i64::MAX / 2, |d| self.midnight(d));
        let ts = |us| ScalarValue::TimestampMicrosecond(Some(us), Some("UTC".into()));
        [("from", ts(start)), ("to", ts(end))]
    }

    /// UTC microseconds of the start of local day `d` (the first instant of the day
    /// when a clock change skips midnight).
    fn midnight(&self, d: NaiveDate) -> i64 {
        let local = d.and_hms_opt(0, 0, 0).unwrap_or_default();
        let first = (0..24 * 4)
            .map(|q| local + chrono::Duration::minutes(15 * q))
            .find_map(|t| self.tz.from_local_datetime(&t).earliest());
        first.map_or(0, |t| t.timestamp_micros())
    }

    /// The current local time, for "generated at".
    pub fn now(&self) -> String {
        chrono::Utc::now()
            .with_timezone(&self.tz)
            .format("%Y-%m-%d %H:%M:%S %Z")
            .to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(s: &str) -> Option<NaiveDate> {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").ok()
    }

    fn us(v: &ScalarValue) -> i64 {
        match v {
            ScalarValue::TimestampMicrosecond(Some(us), _) => *us,
            other => panic!("not a timestamp: {other:?}"),
        }
    }

    #[test]
    fn days_are_amsterdam_days() {
        let p =
            Period::new(day("2026-01-05"), day("2026-03-29"), "Europe/Amsterdam").expect("period");
        let [(_, from), (_, to)] = p.params();
        // 2026-01-05 00:00 CET = 2026-01-04 23:00 UTC.
        assert_eq!(us(&from), 1_767_567_600_000_000);
        // 2026-03-30 00:00 CEST = 2026-03-29 22:00 UTC (summer time since that night).
        assert_eq!(us(&to), 1_774_821_600_000_000);
    }

    #[test]
    fn bad_periods_are_usage_errors() {
        assert!(Period::new(day("2026-02-01"), day("2026-01-01"), "Europe/Amsterdam").is_err());
        assert!(Period::new(None, None, "Europe/Amsterdm").is_err());
    }
}
