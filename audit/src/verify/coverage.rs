//! Coverage of a chain: when its sidecar was running (from its `start` and `stop`
//! records), restarts without a `stop` (a crash or a kill), and silences: stretches
//! longer than a threshold without any record while the sidecar was running. A silence
//! is not an integrity failure (a quiet night has none of the app's traffic) but it is
//! what a security officer must be able to explain: was the app reached around the
//! sidecar, or was the sidecar down without saying so?

use crate::record::EventKind;

/// Silences kept in full per chain; beyond this only the count grows.
pub const MAX_SILENCES: usize = 1_000;

/// A stretch without records while the sidecar was running.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Silence {
    /// The last record before it.
    pub after_seq: u64,
    /// Its time (µs since the epoch).
    pub from_us: i64,
    /// The first record after it.
    pub before_seq: u64,
    /// Its time.
    pub to_us: i64,
}

/// What the records say about the sidecar's running periods.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Coverage {
    /// `start` records.
    pub starts: u64,
    /// `stop` records.
    pub stops: u64,
    /// `start` records not preceded by a `stop` since the previous `start`.
    pub unclean_starts: u64,
    /// `notice` records (e.g. periods when the log refused requests).
    pub notices: u64,
    /// The threshold silences were measured against (µs), when measured.
    pub silence_threshold_us: Option<i64>,
    /// The first [`MAX_SILENCES`] silences, in chain order.
    pub silences: Vec<Silence>,
    /// All silences, including those not kept.
    pub silences_total: u64,
}

/// Tracks [`Coverage`] over the accepted records of one chain, in order.
#[derive(Debug, Clone, Default)]
pub(super) struct CoverageTracker {
    coverage: Coverage,
    running: bool,
    last: Option<(u64, i64)>,
}

impl CoverageTracker {
    /// Measure silences longer than `threshold_us`.
    pub(super) fn with_silence(mut self, threshold_us: i64) -> Self {
        self.coverage.silence_threshold_us = Some(threshold_us);
        self
    }

    /// The next accepted record.
    pub(super) fn observe(&mut self, seq: u64, kind: EventKind, time_us: i64) {
        let c = &mut self.coverage;
        if let (Some(limit), Some((after_seq, from_us)), true) =
            (c.silence_threshold_us, self.last, self.running)
            && time_us.saturating_sub(from_us) > limit
            && kind != EventKind::Start
        {
            c.silences_total += 1;
            if c.silences.len() < MAX_SILENCES {
                c.silences.push(Silence {
                    after_seq,
                    from_us,
                    before_seq: seq,
                    to_us: time_us,
                });
            }
        }
        match kind {
            EventKind::Start => {
                c.starts += 1;
                if self.running {
                    c.unclean_starts += 1;
                }
                self.running = true;
            }
            EventKind::Stop => {
                c.stops += 1;
                self.running = false;
            }
            EventKind::Notice => c.notices += 1,
            _ => {}
        }
        // Clocks may step back a little; silence is measured from the latest time seen.
        let latest = self.last.map_or(time_us, |(_, t)| t.max(time_us));
        self.last = Some((seq, latest));
    }

    pub(super) fn finish(self) -> Coverage {
        self.coverage
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use EventKind::{Access, Start, Stop};

    const H: i64 = 3_600_000_000;

    fn run(threshold: i64, records: &[(EventKind, i64)]) -> Coverage {
        let mut t = CoverageTracker::default().with_silence(threshold);
        for (i, (k, time)) in records.iter().enumerate() {
            t.observe(i as u64 + 1, *k, *time);
        }
        t.finish()
    }

    #[test]
    fn silence_counts_only_while_running() {
        let c = run(
            H,
            &[
                (Start, 0),
                (Access, H / 2),
                (Access, 3 * H), // 2.5 h silent while running
                (Stop, 3 * H + 1),
                (Start, 10 * H), // stopped: not a silence
                (Access, 10 * H + 5),
            ],
        );
        assert_eq!(
            c.silences,
            [Silence {
                after_seq: 2,
                from_us: H / 2,
                before_seq: 3,
                to_us: 3 * H
            }]
        );
        assert_eq!((c.starts, c.stops, c.unclean_starts), (2, 1, 0));
    }

    #[test]
    fn a_start_without_a_stop_is_unclean_and_ends_no_silence() {
        let c = run(
            H,
            &[(Start, 0), (Access, 1), (Start, 5 * H), (Access, 5 * H)],
        );
        assert_eq!(c.unclean_starts, 1);
        assert!(c.silences.is_empty(), "{c:?}");
    }

    #[test]
    fn records_before_any_start_are_not_covered() {
        let c = run(H, &[(Access, 0), (Access, 9 * H)]);
        assert_eq!(c.silences_total, 0);
    }
}
