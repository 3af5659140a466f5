//! The synthetic hospital as a whole: staff, patients with their episodes, and who is on
//! duty in each quarter of an hour. Built once from the seed; every chain reads it.

use super::clock::{self, DAY_US, MINUTE_US, START_US};
use super::patients::{self, Patient};
use super::rng::{Rng, hash};
use super::staff::{self, Staff};

/// Length of a slot of the traffic plan.
pub const SLOT_US: i64 = 15 * MINUTE_US;
/// Patients one employee works on per UTC day at most (background traffic).
pub const WORKLIST: u64 = 12;

/// Staff, patients and the days the log covers.
pub struct Hospital {
    /// The seed everything was drawn from.
    pub seed: u64,
    /// Days covered, from Monday 2026-01-05.
    pub days: i64,
    /// Employees; index = `user_id` number - 1.
    pub staff: Vec<Staff>,
    /// Patients; index = `patient_id` number - 1.
    pub patients: Vec<Patient>,
    /// Per department and UTC day: the patients its staff may open.
    active: Vec<Vec<Vec<u32>>>,
}

impl Hospital {
    /// Builds the hospital: `staff` employees, `patients` patients, over `days`.
    pub fn new(seed: u64, days: i64, staff: u32, patients: u32) -> Hospital {
        let mut staff = staff::build(seed, staff);
        let patients = patients::build(seed, patients, days, &mut staff);
        let active = patients::active_lists(&patients, days);
        Hospital {
            seed,
            days,
            staff,
            patients,
            active,
        }
    }

    /// The default number of patients: enough that every department has patients on
    /// every day (about two active episodes per clinical employee).
    pub fn default_patients(staff: u32, days: i64) -> u32 {
        let per_day = u64::from(staff) / 4 + 10;
        (per_day * (days as u64 + 30)).clamp(2_000, u64::from(u32::MAX / 2)) as u32
    }

    /// Number of slots in the log.
    pub fn slots(&self) -> usize {
        (self.days * DAY_US / SLOT_US) as usize
    }

    /// Start of slot `i`.
    pub fn slot_start(i: usize) -> i64 {
        START_US + i as i64 * SLOT_US
    }

    /// Who is on duty in slot `i`: each employee repeated by their requests per hour.
    pub fn roster(&self, i: usize, out: &mut Vec<u32>) {
        out.clear();
        let (d, minute, wd) = clock::local(Self::slot_start(i) + SLOT_US / 2);
        for (k, s) in self.staff.iter().enumerate() {
            let rate = s.rate_at(self.seed, k, d, minute, wd);
            out.extend(std::iter::repeat_n(k as u32, rate as usize));
        }
    }

    /// The weight (background requests per hour) of every slot.
    pub fn slot_weights(&self) -> Vec<u64> {
        let mut roster = Vec::new();
        (0..self.slots())
            .map(|i| {
                self.roster(i, &mut roster);
                roster.len() as u64
            })
            .collect()
    }

    /// A patient employee `s` works on at `t_us` without an incident: from the worklist
    /// of at most [`WORKLIST`] patients of the day, in their department's (or consulting
    /// department's) active episodes, never with the employee's own surname.
    pub fn worklist_patient(&self, s: u32, t_us: i64, rng: &mut Rng) -> Option<u32> {
        let day = clock::utc_day(t_us);
        let staff = &self.staff[s as usize];
        let list = self.active.get(staff.dept)?.get(day as usize)?;
        if list.is_empty() {
            return None;
        }
        let j = rng.below(WORKLIST);
        let base = hash(&[self.seed, 0x3011, u64::from(s), day as u64, j]) as usize;
        (0..8)
            .map(|k| list[(base + k) % list.len()])
            .find(|&p| self.patients[p as usize].surname != staff.surname)
    }

    /// Whether employee `s` has a care relation with patient `p` at `t_us`.
    pub fn related(&self, s: u32, p: u32, t_us: i64) -> bool {
        self.patients[p as usize].related(s, &self.staff[s as usize], t_us)
    }

    /// The active patients of department `dept` on UTC day `day`.
    pub fn active(&self, dept: usize, day: i64) -> &[u32] {
        (self.active.get(dept).and_then(|d| d.get(day as usize))).map_or(&[], |v| v)
    }
}
