//! SQL functions zegel adds to every session (`query` and `report` alike):
//!
//! - `local_day(time, 'Europe/Amsterdam')`: the calendar date of the instant `time` in
//!   that time zone (a `DATE`), the same as
//!   `CAST(arrow_cast(time, 'Timestamp(Microsecond, Some("Europe/Amsterdam"))') AS DATE)`;
//! - `local_wall_time(time, 'Europe/Amsterdam')`: the time a wall clock in that zone
//!   showed at `time`, as a timestamp without zone (what `time AT TIME ZONE tz` gives in
//!   PostgreSQL and DuckDB), for `date_part('hour', ...)` and the like.
//!
//! Both exist for speed. DataFusion converts a zoned timestamp to local time by looking
//! up the zone's offset for every value (a search of the zone's transitions, about 70 ns
//! here): over the whole log, for every report that groups by day, that was the largest
//! single cost. Offsets change only at a zone's transitions, so these functions look the
//! offset up once per UTC hour the values fall in and add it; in an hour that holds a
//! transition (its first and last microsecond have different offsets) every value is
//! looked up on its own. A zone that changed its offset twice within one hour and back
//! would be missed; no zone in the tz database does.
//!
//! `array_to_string` is also replaced, for speed alone: DataFusion's function with a fast
//! path for lists of text (`functions/array_to_string.rs`).

use chrono::{DateTime, Offset, TimeZone};
use datafusion::arrow::array::timezone::Tz;
use datafusion::arrow::array::{Array, ArrayRef, AsArray, PrimitiveArray};
use datafusion::arrow::datatypes::{
    ArrowPrimitiveType, DataType, Date32Type, TimeUnit, TimestampMicrosecondType,
};
use datafusion::common::{Result, ScalarValue, exec_err, plan_err};
use datafusion::logical_expr::{
    ColumnarValue, ScalarFunctionArgs, ScalarUDF, ScalarUDFImpl, Signature, Volatility,
};
use datafusion::prelude::SessionContext;
use std::str::FromStr;
use std::sync::Arc;

const HOUR_US: i64 = 3_600_000_000;
const DAY_US: i64 = 24 * HOUR_US;

mod array_to_string;

/// Registers the functions with `ctx`.
pub fn register(ctx: &SessionContext) {
    ctx.register_udf(ScalarUDF::from(array_to_string::ArrayToString::default()));
    ctx.register_udf(ScalarUDF::from(LocalTime::new(Output::Day)));
    ctx.register_udf(ScalarUDF::from(LocalTime::new(Output::WallTime)));
}

/// What a function gives for the local time it computes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Output {
    /// `local_day`: days since 1970-01-01 of the local date.
    Day,
    /// `local_wall_time`: microseconds since 1970-01-01T00:00 of the local wall clock.
    WallTime,
}

#[derive(Debug, PartialEq, Eq, Hash)]
struct LocalTime {
    output: Output,
    signature: Signature,
}

impl LocalTime {
    fn new(output: Output) -> Self {
        LocalTime {
            output,
            signature: Signature::any(2, Volatility::Immutable),
        }
    }
}

impl ScalarUDFImpl for LocalTime {
    fn name(&self) -> &str {
        match self.output {
            Output::Day => "local_day",
            Output::WallTime => "local_wall_time",
        }
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, args: &[DataType]) -> Result<DataType> {
        let zoned = matches!(
            args.first(),
            Some(DataType::Timestamp(TimeUnit::Microsecond, Some(_)))
        );
        if !zoned {
            return plan_err!(
                "{}(time, 'Europe/Amsterdam'): the first argument must be a timestamp with \
                 a time zone, such as access.time; got {}",
                self.name(),
                args.first().map_or("nothing".into(), ToString::to_string)
            );
        }
        Ok(match self.output {
            Output::Day => DataType::Date32,
            Output::WallTime => DataType::Timestamp(TimeUnit::Microsecond, None),
        })
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let [time, zone] = args.args.as_slice() else {
            return exec_err!("{} takes two arguments", self.name());
        };
        let mut offsets = Offsets::new(zone_of(self.name(), zone)?);
        let times = time.to_array(args.number_rows)?;
        let times = times.as_primitive::<TimestampMicrosecondType>();
        let out: ArrayRef = match self.output {
            Output::Day => Arc::new(map::<Date32Type>(times, |t| {
                let local = offsets.local_us(t)?;
                Ok(i32::try_from(local.div_euclid(DAY_US)).unwrap_or(i32::MAX))
            })?),
            Output::WallTime => Arc::new(map::<TimestampMicrosecondType>(times, |t| {
                offsets.local_us(t)
            })?),
        };
        Ok(ColumnarValue::Array(out))
    }
}

/// The time zone argument: a constant, valid zone name.
fn zone_of(function: &str, zone: &ColumnarValue) -> Result<Tz> {
    let Some(Some(name)) = constant_text(zone) else {
        return exec_err!(
            "{function}: the time zone must be a constant name such as 'Europe/Amsterdam'"
        );
    };
    Tz::from_str(name).or_else(|_| {
        exec_err!("{function}: {name:?} is not a time zone name such as Europe/Amsterdam")
    })
}

/// A constant text argument: `Some(value)` (`None` inside when it is NULL); `None` when
/// the argument is not constant text.
fn constant_text(arg: &ColumnarValue) -> Option<Option<&str>> {
    match arg {
        ColumnarValue::Scalar(
            ScalarValue::Utf8(s) | ScalarValue::Utf8View(s) | ScalarValue::LargeUtf8(s),
        ) => Some(s.as_deref()),
        _ => None,
    }
}

/// Applies `f` to every non-null value; nulls stay null.
fn map<O: ArrowPrimitiveType>(
    times: &PrimitiveArray<TimestampMicrosecondType>,
    mut f: impl FnMut(i64) -> Result<O::Native>,
) -> Result<PrimitiveArray<O>> {
    let mut values = Vec::with_capacity(times.len());
    for (i, &t) in times.values().iter().enumerate() {
        values.push(if times.is_valid(i) {
            f(t)?
        } else {
            O::Native::default()
        });
    }
    Ok(PrimitiveArray::new(values.into(), times.nulls().cloned()))
}

/// A zone's UTC offsets, remembered for the UTC hour last asked about.
struct Offsets {
    tz: Tz,
    hour: i64,
    /// The offset of the whole hour, or None when it changes within the hour.
    offset: Option<i64>,
}

impl Offsets {
    fn new(tz: Tz) -> Self {
        Offsets {
            tz,
            hour: i64::MIN,
            offset: None,
        }
    }

    /// UTC microseconds `t` as local wall-clock microseconds.
    fn local_us(&mut self, t: i64) -> Result<i64> {
        let hour = t.div_euclid(HOUR_US);
        if hour != self.hour {
            let start = hour * HOUR_US;
            let (first, last) = (self.exact(start)?, self.exact(start + HOUR_US - 1)?);
            self.hour = hour;
            self.offset = (first == last).then_some(first);
        }
        let offset = match self.offset {
            Some(o) => o,
            None => self.exact(t)?,
        };
        Ok(t + offset)
    }

    /// The offset at `t`, looked up.
    fn exact(&self, t: i64) -> Result<i64> {
        let Some(utc) = DateTime::from_timestamp_micros(t) else {
            return exec_err!("time {t} (microseconds since 1970) is out of range");
        };
        let offset = self.tz.offset_from_utc_datetime(&utc.naive_utc());
        Ok(i64::from(offset.fix().local_minus_utc()) * 1_000_000)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every seventh minute of 2024-2027 (and every second of each minute that holds a
    /// transition) in zones with
    /// whole-hour, half-hour, 45-minute and half-hour-DST changes: the cached offset is
    /// the looked-up one.
    #[test]
    fn cached_offsets_equal_looked_up_ones() {
        for zone in [
            "Europe/Amsterdam",
            "America/St_Johns",
            "Asia/Kathmandu",
            "Australia/Lord_Howe",
            "UTC",
        ] {
            let tz = Tz::from_str(zone).expect("zone");
            let mut cached = Offsets::new(tz);
            let plain = Offsets::new(tz);
            let (from, to) = (1_704_067_200_000_000_i64, 1_798_761_600_000_000_i64);
            let mut t = from;
            while t < to {
                let want = t + plain.exact(t).expect("offset");
                assert_eq!(cached.local_us(t).expect("local"), want, "{zone} at {t}");
                let changes = plain.exact(t).ok() != plain.exact(t + 7 * 60_000_000).ok();
                if changes {
                    for s in 0..7 * 60 {
                        let u = t + s * 1_000_000;
                        let want = u + plain.exact(u).expect("offset");
                        assert_eq!(cached.local_us(u).expect("local"), want, "{zone} at {u}");
                    }
                }
                t += 7 * 60_000_000;
            }
        }
    }
}
