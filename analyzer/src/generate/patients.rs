//! Patients and their care episodes: each patient has one episode in a department (its
//! team), sometimes a consulting department, and one to three named staff, over a range
//! of days. The care relations directory is exactly these episodes.

use super::clock;
use super::names::{DEPARTMENTS, DeptKind, SURNAMES};
use super::rng::Rng;
use super::staff::{self, Role, Staff};

/// One patient with their episode.
#[derive(Debug, Clone)]
pub struct Patient {
    /// `pat-NNNNNNN`.
    pub id: String,
    /// Index into [`SURNAMES`].
    pub surname: usize,
    /// A well-known person: access outside the care team is an incident.
    pub vip: bool,
    /// The employee this patient is, if any.
    pub staff: Option<u32>,
    /// Department of the episode (its team).
    pub dept: usize,
    /// Consulting department (radiology, pharmacy), if any.
    pub consult: Option<usize>,
    /// First day of the episode.
    pub from: i64,
    /// Last day (the relation is valid through it); `None`: still ongoing at the end.
    pub to: Option<i64>,
    /// Named staff (indices into the staff list).
    pub named: Vec<u32>,
}

impl Patient {
    /// Whether the episode's day range holds UTC day `d`, as `valid_from`/`valid_to`.
    pub fn in_episode(&self, d: i64) -> bool {
        self.from <= d && self.to.is_none_or(|to| d <= to)
    }

    /// Whether `staff` (index `s`) has a care relation with this patient at `t_us`:
    /// named, or in the team's or consulting department, on a day of the episode.
    pub fn related(&self, s: u32, staff: &Staff, t_us: i64) -> bool {
        let member =
            self.named.contains(&s) || self.dept == staff.dept || self.consult == Some(staff.dept);
        member && self.in_episode(clock::utc_day(t_us))
    }
}

/// Departments that admit patients, with their weights.
fn admitting() -> Vec<(usize, u32)> {
    (DEPARTMENTS.iter().enumerate())
        .filter(|(_, d)| matches!(d.kind, DeptKind::Ward | DeptKind::Acute))
        .map(|(i, d)| (i, d.weight))
        .collect()
}

fn pick_weighted(items: &[(usize, u32)], rng: &mut Rng) -> usize {
    let total: u32 = items.iter().map(|i| i.1).sum();
    let mut r = rng.below(u64::from(total)) as u32;
    for &(i, w) in items {
        if r < w {
            return i;
        }
        r -= w;
    }
    items[0].0
}

/// `n` patients over `days`: every 25th clinical employee is one of the first patients
/// (treated in another department than their own); about 0.5% of the rest are VIPs.
pub fn build(seed: u64, n: u32, days: i64, staff: &mut [Staff]) -> Vec<Patient> {
    let mut rng = Rng::new(&[seed, 0xBA71]);
    let depts = admitting();
    let mut by_role: Vec<[Vec<u32>; 2]> = vec![[Vec::new(), Vec::new()]; DEPARTMENTS.len()];
    for (i, s) in staff.iter().enumerate() {
        match s.role {
            Role::Arts => by_role[s.dept][0].push(i as u32),
            Role::Verpleegkundige => by_role[s.dept][1].push(i as u32),
            _ => {}
        }
    }
    let employees: Vec<u32> = (0..staff.len() as u32)
        .filter(|&i| !staff[i as usize].role.is_admin() && i % 25 == 3)
        .take(n as usize / 4)
        .collect();
    let mut out = Vec::with_capacity(n as usize);
    for i in 0..n as usize {
        let employee = employees.get(i).copied();
        let surname = match employee {
            Some(e) => staff[e as usize].surname,
            None => staff::surname(&mut rng),
        };
        let mut dept = pick_weighted(&depts, &mut rng);
        while employee.is_some_and(|e| staff[e as usize].dept == dept) {
            dept = pick_weighted(&depts, &mut rng);
        }
        let mut p = episode(dept, surname, days, &mut rng);
        p.id = format!("pat-{:07}", i + 1);
        p.staff = employee;
        p.vip = employee.is_none() && rng.chance(5);
        p.named = named(&p, &by_role[dept], staff, &mut rng);
        if let Some(e) = employee {
            staff[e as usize].patient = Some(i as u32);
        }
        out.push(p);
    }
    if !out.iter().any(|p| p.vip)
        && let Some(p) = out.get_mut(employees.len())
    {
        p.vip = true;
    }
    out
}

fn episode(dept: usize, surname: usize, days: i64, rng: &mut Rng) -> Patient {
    let len = match DEPARTMENTS[dept].name {
        "spoedeisende-hulp" => rng.range(1, 2),
        "intensive-care" => rng.range(2, 7),
        _ => rng.range(2, 8) + rng.range(0, 8),
    };
    let from = rng.range(-14, days - 1);
    let consult = match rng.below(100) {
        0..=24 => DEPARTMENTS.iter().position(|d| d.name == "radiologie"),
        25..=34 => DEPARTMENTS.iter().position(|d| d.name == "apotheek"),
        _ => None,
    };
    Patient {
        id: String::new(),
        surname,
        vip: false,
        staff: None,
        dept,
        consult,
        from,
        to: Some(from + len).filter(|&to| to < days),
        named: Vec::new(),
    }
}

/// A doctor and up to two nurses of the team, none with the patient's surname.
fn named(p: &Patient, team: &[Vec<u32>; 2], staff: &[Staff], rng: &mut Rng) -> Vec<u32> {
    let nurses = rng.below(3) as usize;
    let mut out = Vec::with_capacity(3);
    for (list, k) in [(&team[0], 1), (&team[1], nurses)] {
        for _ in 0..k {
            if list.is_empty() {
                break;
            }
            let s = list[rng.index(list.len())];
            if staff[s as usize].surname != p.surname && !out.contains(&s) {
                out.push(s);
            }
        }
    }
    out
}

/// For each department and UTC day `0..days`, the patients staff of that department may
/// open without an incident: the day is in the episode and so is the next day (so the
/// relation holds in UTC and in Dutch local dates alike).
pub fn active_lists(patients: &[Patient], days: i64) -> Vec<Vec<Vec<u32>>> {
    let mut out = vec![vec![Vec::new(); days as usize]; DEPARTMENTS.len()];
    for (i, p) in patients.iter().enumerate() {
        let end = p.to.unwrap_or(days).min(days);
        for d in p.from.max(0)..end {
            out[p.dept][d as usize].push(i as u32);
            if let Some(c) = p.consult {
                out[c][d as usize].push(i as u32);
            }
        }
    }
    out
}

/// The surname of a patient.
pub fn surname(p: &Patient) -> &'static str {
    SURNAMES[p.surname]
}
