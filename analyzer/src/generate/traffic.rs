//! One chain's records in the order its sidecar writes them: start and policy-load,
//! background requests spread over the on-duty staff slot by slot, planted incidents,
//! each access followed by its outcome once the response is done, weekly restarts and
//! policy updates, and a stop at the end. Sequence numbers are assigned here, so the
//! ground truth knows where every planted record lands.

use super::clock::{self, DAY_US, START_US};
use super::hospital::{Hospital, SLOT_US};
use super::requests::{self, Access};
use super::rng::{Rng, hash, hex_id};
use std::collections::{BTreeMap, VecDeque};
use zegel_audit::{Event, EventKind};

/// Which planted access a record is: incident number and access number within it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Mark {
    /// Index of the incident.
    pub incident: usize,
    /// Index of the access within the incident.
    pub access: usize,
}

/// A record to submit, with the sequence number it will get.
pub struct Planned {
    /// The event.
    pub event: Event,
    /// An outcome (submitted deferred, as the sidecar does).
    pub deferred: bool,
    /// Its sequence number in the chain.
    pub seq: u64,
    /// Set when it is a planted access.
    pub mark: Option<Mark>,
}

/// Something at a fixed time in the chain.
pub enum Scheduled {
    /// Stop, start and policy-load (weekly maintenance).
    Restart,
    /// A new policy is loaded.
    PolicyUpdate,
    /// A planted access.
    Planted(Mark, Box<Event>),
}

/// The plan of all chains: slot weights and their running sums.
pub struct Plan {
    /// Weight of each slot.
    pub cum: Vec<u64>,
}

impl Plan {
    /// The plan for `weights` (one per slot).
    pub fn new(weights: &[u64]) -> Plan {
        let mut cum = Vec::with_capacity(weights.len() + 1);
        cum.push(0);
        for w in weights {
            cum.push(cum.last().copied().unwrap_or(0) + w);
        }
        Plan { cum }
    }

    /// Sum of all weights.
    pub fn total(&self) -> u64 {
        self.cum.last().copied().unwrap_or(0)
    }

    /// Accesses in slot `i` when `n` accesses are spread over the whole plan.
    fn count(&self, i: usize, n: u64) -> u64 {
        let (total, n) = (u128::from(self.total().max(1)), u128::from(n));
        let at = |k: usize| (u128::from(self.cum[k]) * n / total) as u64;
        at(i + 1) - at(i)
    }
}

/// The record stream of chain number `k`.
pub struct ChainStream<'h> {
    h: &'h Hospital,
    plan: &'h Plan,
    accesses: u64,
    rng: Rng,
    slot: usize,
    in_slot: u64,
    slot_count: u64,
    roster: Vec<u32>,
    next_bg: Option<i64>,
    scheduled: VecDeque<(i64, Scheduled)>,
    outcomes: BTreeMap<(i64, u64), Event>,
    out: VecDeque<Planned>,
    seq: u64,
    floor: i64,
    last: i64,
    policy: String,
    finished: bool,
}

impl<'h> ChainStream<'h> {
    /// Chain `k` of a log: `accesses` background accesses after record `head_seq`, with
    /// its `planted` accesses (any order).
    pub fn new(
        h: &'h Hospital,
        plan: &'h Plan,
        k: usize,
        accesses: u64,
        head_seq: u64,
        planted: Vec<(i64, Scheduled)>,
    ) -> Self {
        let mut scheduled = planted;
        scheduled.extend(maintenance(h, k));
        scheduled.sort_by_key(|(t, _)| *t);
        let mut s = ChainStream {
            h,
            plan,
            accesses,
            rng: Rng::new(&[h.seed, 0xC4A1, k as u64]),
            slot: 0,
            in_slot: 0,
            slot_count: 0,
            roster: Vec::new(),
            next_bg: None,
            scheduled: scheduled.into(),
            outcomes: BTreeMap::new(),
            out: VecDeque::new(),
            seq: head_seq,
            floor: i64::MIN,
            last: START_US,
            policy: policy_version(h.seed, 0),
            finished: false,
        };
        s.start(START_US + k as i64 * 1000);
        s
    }

    fn push(&mut self, event: Event, mark: Option<Mark>) {
        self.seq += 1;
        self.last = self.last.max(event.time_us);
        let deferred = event.kind == EventKind::Outcome;
        if event.kind == EventKind::Access {
            let o = requests::outcome(&event, self.seq, &mut self.rng);
            self.outcomes.insert((o.time_us, self.seq), o);
        }
        let seq = self.seq;
        self.out.push_back(Planned {
            event,
            deferred,
            seq,
            mark,
        });
    }

    fn lifecycle(&mut self, kind: EventKind, t: i64) {
        let mut e = Event::new(kind, t);
        e.application = Some("ecd".into());
        match kind {
            EventKind::Start => {
                e.detail = Some(
                    concat!(
                        r#"{"listen":"0.0.0.0:8443","tls":true,"#,
                        r#""upstream":"https://fhir.ziekenhuis.internal","version":"0.1.0"}"#
                    )
                    .into(),
                );
            }
            EventKind::PolicyLoad => {
                e.policy_version = Some(self.policy.clone());
                e.detail = Some(
                    r#"{"model":"/etc/zegel/model.conf","policy":"/etc/zegel/policy.csv"}"#.into(),
                );
            }
            _ => e.reason = Some("shutdown requested".into()),
        }
        self.push(e, None);
    }

    fn start(&mut self, t: i64) {
        self.lifecycle(EventKind::Start, t);
        self.lifecycle(EventKind::PolicyLoad, t + 40_000);
        self.floor = t + 40_001;
    }

    /// Outcomes still open are written before a stop, as the sidecar drains them.
    fn stop(&mut self, t: i64) -> i64 {
        while let Some((_, o)) = self.outcomes.pop_first() {
            self.push(o, None);
        }
        let t = t.max(self.last + 1_000);
        self.lifecycle(EventKind::Stop, t);
        t
    }

    /// Time of the next background access, moving to the next slot when needed.
    fn next_background(&mut self) -> Option<i64> {
        if self.next_bg.is_some() {
            return self.next_bg;
        }
        while self.in_slot == self.slot_count {
            if self.slot >= self.h.slots() {
                return None;
            }
            self.slot_count = self.plan.count(self.slot, self.accesses);
            self.in_slot = 0;
            if self.slot_count > 0 {
                self.h.roster(self.slot, &mut self.roster);
            }
            self.slot += 1;
        }
        let start = Hospital::slot_start(self.slot - 1);
        let j = self.in_slot as f64 + self.rng.unit();
        self.next_bg = Some(start + (j * SLOT_US as f64 / self.slot_count as f64) as i64);
        self.next_bg
    }

    fn background(&mut self, t: i64) {
        self.in_slot += 1;
        self.next_bg = None;
        let t = t.max(self.floor);
        let s = self.roster[self.rng.index(self.roster.len())];
        let staff = &self.h.staff[s as usize];
        let patient = match self.rng.chance(20) {
            true => None,
            false => self.h.worklist_patient(s, t, &mut self.rng),
        };
        let request = match patient {
            Some(_) => requests::draw(staff, &mut self.rng),
            None => requests::directory_request(),
        };
        let patient = patient.map(|p| self.h.patients[p as usize].id.as_str());
        let access = Access {
            staff,
            request,
            patient,
            t_us: t,
            policy_version: &self.policy,
        };
        let e = access.allowed(&mut self.rng);
        self.push(e, None);
    }

    fn scheduled(&mut self, t: i64, what: Scheduled) {
        match what {
            Scheduled::Restart => {
                let stop = self.stop(t);
                self.start(stop + 1_500_000);
            }
            Scheduled::PolicyUpdate => {
                self.policy = policy_version(self.h.seed, t);
                self.lifecycle(EventKind::PolicyLoad, t.max(self.last + 1));
            }
            Scheduled::Planted(mark, mut e) => {
                e.policy_version = Some(self.policy.clone());
                self.push(*e, Some(mark));
            }
        }
    }

    fn step(&mut self) {
        let bg = self.next_background();
        let sched = self.scheduled.front().map(|s| s.0);
        let outcome = self.outcomes.first_key_value().map(|(k, _)| k.0);
        let next = [bg, sched, outcome].into_iter().flatten().min();
        match next {
            None => {
                let end = self.last.max(START_US + self.h.days * DAY_US - 1_000_000);
                self.stop(end);
                self.finished = true;
            }
            Some(t) if outcome == Some(t) => {
                if let Some((_, o)) = self.outcomes.pop_first() {
                    self.push(o, None);
                }
            }
            Some(t) if sched == Some(t) => {
                if let Some((t, what)) = self.scheduled.pop_front() {
                    self.scheduled(t, what);
                }
            }
            Some(t) => self.background(t),
        }
    }
}

impl Iterator for ChainStream<'_> {
    type Item = Planned;

    fn next(&mut self) -> Option<Planned> {
        while self.out.is_empty() && !self.finished {
            self.step();
        }
        self.out.pop_front()
    }
}

/// Weekly restarts (Sunday 04:00 local, a minute apart per chain) and a policy update
/// every other Tuesday at 06:30 local.
fn maintenance(h: &Hospital, k: usize) -> Vec<(i64, Scheduled)> {
    let mut out = Vec::new();
    for d in 0..h.days {
        match clock::weekday(d) {
            6 => out.push((clock::at_local(d, 240 + k as u32), Scheduled::Restart)),
            1 if d % 14 == 8 => out.push((clock::at_local(d, 390), Scheduled::PolicyUpdate)),
            _ => {}
        }
    }
    out
}

/// A hex "SHA-256" of the policy in force since `t_us` (synthetic).
pub fn policy_version(seed: u64, t_us: i64) -> String {
    hex_id(
        &mut Rng::new(&[seed, 0x9011C7, t_us as u64, hash(&[t_us as u64])]),
        4,
    )
}
