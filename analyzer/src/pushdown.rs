//! Filters a database source can apply itself: bounds on `seq` and `time` taken from the
//! query's conjuncts (`seq >= 100`, `time < TIMESTAMP '...'`, `BETWEEN`, and the period
//! view's `time >= $from AND time < $to`).
//!
//! The bounds only ever narrow what is read, never what is answered: DataFusion applies
//! every filter again (the provider declares them `Inexact`), so a bound that is wider
//! than the filter (rounding, a form not recognised here) is merely less useful. A bound
//! must never be narrower than its filter.

use datafusion::common::ScalarValue;
use datafusion::logical_expr::{Between, BinaryExpr, Expr, Operator};
use zegel_audit::store::TimeBounds;

/// Inclusive bounds on `seq` and half-open bounds on `time` (UTC microseconds).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Bounds {
    /// Smallest `seq` wanted.
    pub seq_min: u64,
    /// Largest `seq` wanted.
    pub seq_max: u64,
    /// The time window.
    pub time: TimeBounds,
}

impl Default for Bounds {
    fn default() -> Self {
        Bounds {
            seq_min: 1,
            seq_max: u64::MAX,
            time: TimeBounds::default(),
        }
    }
}

impl Bounds {
    /// The bounds every conjunct in `filters` implies.
    pub fn from_filters(filters: &[Expr]) -> Self {
        let mut b = Bounds::default();
        for f in filters {
            b.add(f);
        }
        b
    }

    /// Whether no row can match (an empty range).
    pub fn is_empty(&self) -> bool {
        self.seq_min > self.seq_max
            || matches!((self.time.from_us, self.time.to_us), (Some(f), Some(t)) if f >= t)
    }

    fn add(&mut self, e: &Expr) {
        match e {
            Expr::BinaryExpr(BinaryExpr { left, op, right }) if *op == Operator::And => {
                self.add(left);
                self.add(right);
            }
            Expr::BinaryExpr(BinaryExpr { left, op, right }) => {
                if let (Some(col), Some(v)) = (column(left), literal(right)) {
                    self.compare(col, *op, v);
                } else if let (Some(v), Some(col), Some(op)) =
                    (literal(left), column(right), op.swap())
                {
                    self.compare(col, op, v);
                }
            }
            Expr::Between(Between {
                expr,
                negated: false,
                low,
                high,
            }) => {
                if let (Some(col), Some(lo), Some(hi)) = (column(expr), literal(low), literal(high))
                {
                    self.compare(col, Operator::GtEq, lo);
                    self.compare(col, Operator::LtEq, hi);
                }
            }
            _ => {}
        }
    }

    fn compare(&mut self, col: Col, op: Operator, v: Lit) {
        match (col, v) {
            (Col::Seq, Lit::Int(n)) => self.seq(op, n),
            (Col::Time, Lit::Micros { floor, ceil }) => self.time(op, floor, ceil),
            _ => {}
        }
    }

    fn seq(&mut self, op: Operator, n: i64) {
        let at_least = |n: i64| u64::try_from(n.max(0)).unwrap_or(0);
        match op {
            Operator::Eq => {
                self.seq_min = self.seq_min.max(at_least(n));
                self.seq_max = self.seq_max.min(at_least(n));
            }
            Operator::Gt => self.seq_min = self.seq_min.max(at_least(n.saturating_add(1))),
            Operator::GtEq => self.seq_min = self.seq_min.max(at_least(n)),
            // seq < 1 or seq <= 0: nothing (sequence numbers start at 1).
            Operator::Lt if n < 1 => self.seq_max = 0,
            Operator::Lt => self.seq_max = self.seq_max.min(at_least(n - 1)),
            Operator::LtEq if n < 0 => self.seq_max = 0,
            Operator::LtEq => self.seq_max = self.seq_max.min(at_least(n)),
            _ => {}
        }
    }

    /// `floor`/`ceil`: the literal in microseconds rounded down and up (equal unless the
    /// literal had a finer unit), so the window never excludes a matching row.
    fn time(&mut self, op: Operator, floor: i64, ceil: i64) {
        let t = &mut self.time;
        let raise = |cur: Option<i64>, v: i64| Some(cur.map_or(v, |c| c.max(v)));
        let lower = |cur: Option<i64>, v: i64| Some(cur.map_or(v, |c| c.min(v)));
        match op {
            Operator::Eq => {
                t.from_us = raise(t.from_us, floor);
                t.to_us = lower(t.to_us, ceil.saturating_add(1));
            }
            Operator::Gt | Operator::GtEq => t.from_us = raise(t.from_us, floor),
            Operator::Lt | Operator::LtEq => t.to_us = lower(t.to_us, ceil.saturating_add(1)),
            _ => {}
        }
    }
}

#[derive(Clone, Copy)]
enum Col {
    Seq,
    Time,
}

enum Lit {
    Int(i64),
    Micros { floor: i64, ceil: i64 },
}

fn column(e: &Expr) -> Option<Col> {
    match e {
        Expr::Column(c) if c.name == "seq" => Some(Col::Seq),
        Expr::Column(c) if c.name == "time" => Some(Col::Time),
        _ => None,
    }
}

fn literal(e: &Expr) -> Option<Lit> {
    let Expr::Literal(v, _) = e else {
        return None;
    };
    let micros = |v: i64, per_us: i64| Lit::Micros {
        floor: v.div_euclid(per_us),
        ceil: v.div_euclid(per_us) + i64::from(v.rem_euclid(per_us) != 0),
    };
    Some(match v {
        ScalarValue::Int64(Some(n)) => Lit::Int(*n),
        ScalarValue::Int32(Some(n)) => Lit::Int(i64::from(*n)),
        ScalarValue::UInt64(Some(n)) => Lit::Int(i64::try_from(*n).unwrap_or(i64::MAX)),
        ScalarValue::UInt32(Some(n)) => Lit::Int(i64::from(*n)),
        ScalarValue::TimestampMicrosecond(Some(us), _) => micros(*us, 1),
        ScalarValue::TimestampNanosecond(Some(ns), _) => micros(*ns, 1000),
        ScalarValue::TimestampMillisecond(Some(ms), _) => Lit::Micros {
            floor: ms.saturating_mul(1000),
            ceil: ms.saturating_mul(1000),
        },
        ScalarValue::TimestampSecond(Some(s), _) => Lit::Micros {
            floor: s.saturating_mul(1_000_000),
            ceil: s.saturating_mul(1_000_000),
        },
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use datafusion::prelude::{col, lit};

    fn ts(us: i64) -> Expr {
        lit(ScalarValue::TimestampMicrosecond(
            Some(us),
            Some("UTC".into()),
        ))
    }

    #[test]
    fn seq_bounds_from_comparisons_and_between() {
        let b = Bounds::from_filters(&[col("seq").gt_eq(lit(10i64)), col("seq").lt(lit(20i64))]);
        assert_eq!((b.seq_min, b.seq_max), (10, 19));
        let b = Bounds::from_filters(&[lit(10i64).lt(col("seq"))]);
        assert_eq!((b.seq_min, b.seq_max), (11, u64::MAX));
        let b = Bounds::from_filters(&[col("seq").between(lit(5i64), lit(7i64))]);
        assert_eq!((b.seq_min, b.seq_max), (5, 7));
        let b = Bounds::from_filters(&[col("seq").eq(lit(3i64)).and(col("seq").lt_eq(lit(9i64)))]);
        assert_eq!((b.seq_min, b.seq_max), (3, 3));
        assert!(Bounds::from_filters(&[col("seq").lt(lit(1i64))]).is_empty());
        assert!(
            Bounds::from_filters(&[col("seq").gt(lit(5i64)), col("seq").lt(lit(5i64))]).is_empty()
        );
    }

    #[test]
    fn time_window_never_narrower_than_the_filter() {
        let b = Bounds::from_filters(&[col("time").gt_eq(ts(100)), col("time").lt(ts(200))]);
        assert_eq!((b.time.from_us, b.time.to_us), (Some(100), Some(201)));
        let ns = lit(ScalarValue::TimestampNanosecond(Some(1_500), None));
        let b = Bounds::from_filters(&[col("time").gt(ns.clone()), col("time").lt_eq(ns)]);
        assert_eq!((b.time.from_us, b.time.to_us), (Some(1), Some(3)));
        let b = Bounds::from_filters(&[col("time").eq(ts(50))]);
        assert_eq!((b.time.from_us, b.time.to_us), (Some(50), Some(51)));
    }

    #[test]
    fn other_forms_are_ignored() {
        let b = Bounds::from_filters(&[
            col("seq").not_eq(lit(4i64)),
            col("seq").gt(col("links_seq")),
            col("seq").not_between(lit(1i64), lit(2i64)),
            col("user_id").eq(lit("x")),
            col("seq").gt(lit("7")),
            col("seq").lt(lit(9i64)).or(col("seq").gt(lit(100i64))),
        ]);
        assert_eq!(b, Bounds::default());
    }
}
