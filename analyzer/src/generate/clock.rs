//! Time in the synthetic hospital: the log starts on Monday 2026-01-05 00:00 UTC; working
//! hours are local time in the Netherlands (CET, CEST from the last Sunday of March to
//! the last Sunday of October, switching at 01:00 UTC). Days are counted from the start.

use chrono::{Datelike, NaiveDate};

/// Monday 2026-01-05 00:00 UTC, in µs.
pub const START_US: i64 = 1_767_571_200_000_000;
/// One day in µs.
pub const DAY_US: i64 = 86_400_000_000;
/// One minute in µs.
pub const MINUTE_US: i64 = 60_000_000;

/// The first day of the log.
pub fn start_date() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 1, 5).unwrap_or_default()
}

/// The date of day `d` (may be before the start).
pub fn date(d: i64) -> NaiveDate {
    start_date() + chrono::Duration::days(d)
}

/// UTC day number of `t_us`.
pub fn utc_day(t_us: i64) -> i64 {
    (t_us - START_US).div_euclid(DAY_US)
}

/// Offset of Dutch local time from UTC at `t_us`, in µs.
pub fn local_offset_us(t_us: i64) -> i64 {
    let day = date(utc_day(t_us));
    let year = day.year();
    let from = last_sunday(year, 3) * DAY_US + 3_600_000_000;
    let to = last_sunday(year, 10) * DAY_US + 3_600_000_000;
    let hours = if (from..to).contains(&t_us) { 2 } else { 1 };
    hours * 3_600_000_000
}

/// The last Sunday of `month` in `year`, 00:00 UTC, in days since 1970 as µs factor.
fn last_sunday(year: i32, month: u32) -> i64 {
    let last = NaiveDate::from_ymd_opt(year, month, 31).unwrap_or_default();
    let sunday = last - chrono::Duration::days(i64::from(last.weekday().num_days_from_sunday()));
    let epoch = NaiveDate::from_ymd_opt(1970, 1, 1).unwrap_or_default();
    (sunday - epoch).num_days()
}

/// Local day number, minute of the local day and weekday (0 Monday ... 6 Sunday) at `t_us`.
pub fn local(t_us: i64) -> (i64, u32, u32) {
    let l = t_us + local_offset_us(t_us) - START_US;
    let day = l.div_euclid(DAY_US);
    let minute = (l.rem_euclid(DAY_US) / MINUTE_US) as u32;
    (day, minute, weekday(day))
}

/// Weekday of day `d`: 0 Monday ... 6 Sunday.
pub fn weekday(d: i64) -> u32 {
    d.rem_euclid(7) as u32
}

/// UTC time of local day `d` at `minute` (for times away from the DST switch at night).
pub fn at_local(d: i64, minute: u32) -> i64 {
    let noon = START_US + d * DAY_US + 12 * 60 * MINUTE_US;
    START_US + d * DAY_US + i64::from(minute) * MINUTE_US - local_offset_us(noon)
}

/// `t_us` as RFC 3339 UTC with microseconds, as the query output shows times.
pub fn rfc3339(t_us: i64) -> String {
    chrono::DateTime::from_timestamp_micros(t_us)
        .map(|t| t.format("%Y-%m-%dT%H:%M:%S%.6fZ").to_string())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dutch_local_time() {
        // 2026-01-05 07:00 CET is 06:00 UTC.
        assert_eq!(local(START_US + 6 * 3600 * 1_000_000), (0, 420, 0));
        // Summer time 2026: 29 March 01:00 UTC to 25 October 01:00 UTC.
        let july = at_local(180, 9 * 60);
        assert_eq!(local_offset_us(july), 2 * 3_600_000_000);
        assert_eq!(local(july).1, 9 * 60);
        assert_eq!(weekday(5), 5);
        assert_eq!(rfc3339(START_US), "2026-01-05T00:00:00.000000Z");
    }
}
