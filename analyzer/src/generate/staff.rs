//! Staff of the synthetic hospital: roles, names, departments, and when they work.

use super::names::{DEPARTMENTS, DeptKind, FUNCTIONEEL_BEHEER, INFORMATIEBEVEILIGING};
use super::names::{INITIALS, SURNAMES};
use super::rng::{Rng, hash};

/// A role (as in `access.roles` and `staff.role`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// Medical specialist.
    Arts,
    /// Resident.
    ArtsAssistent,
    /// Nurse.
    Verpleegkundige,
    /// Medical secretary: an office role, office hours only.
    Secretaresse,
    /// Radiology technician.
    Laborant,
    /// Hospital pharmacist.
    Apotheker,
    /// Pharmacy assistant.
    Apothekersassistent,
    /// Application manager: administers the applications, no care role.
    FunctioneelBeheerder,
    /// Security officer: reviews the log, no care role.
    SecurityOfficer,
}

impl Role {
    /// The role's name in the log.
    pub const fn name(self) -> &'static str {
        match self {
            Role::Arts => "arts",
            Role::ArtsAssistent => "arts-assistent",
            Role::Verpleegkundige => "verpleegkundige",
            Role::Secretaresse => "secretaresse",
            Role::Laborant => "laborant",
            Role::Apotheker => "apotheker",
            Role::Apothekersassistent => "apothekersassistent",
            Role::FunctioneelBeheerder => "functioneel-beheerder",
            Role::SecurityOfficer => "security-officer",
        }
    }

    /// Administrators: no background traffic, every action of theirs is an incident.
    pub const fn is_admin(self) -> bool {
        matches!(self, Role::FunctioneelBeheerder | Role::SecurityOfficer)
    }

    /// Background requests per hour on duty (by day; half at night).
    const fn rate(self) -> u32 {
        match self {
            Role::Arts | Role::ArtsAssistent => 8,
            Role::Verpleegkundige | Role::Laborant => 6,
            Role::Secretaresse | Role::Apotheker | Role::Apothekersassistent => 5,
            Role::FunctioneelBeheerder | Role::SecurityOfficer => 0,
        }
    }
}

/// Roles whose work is office work: any access outside office hours is an incident.
pub const OFFICE_ROLES: &[&str] = &["secretaresse"];
/// Administrator roles.
pub const ADMIN_ROLES: &[&str] = &["functioneel-beheerder", "security-officer"];

/// How someone's working time is planned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Schedule {
    /// Day, evening and night shifts, weekends included.
    Shifts,
    /// Weekdays from `.0` to `.1` (minutes of the local day), about one day in ten off.
    Weekdays(u32, u32),
}

/// One employee.
#[derive(Debug, Clone)]
pub struct Staff {
    /// `emp-NNNNN`.
    pub user_id: String,
    /// `surname, I.`
    pub name: String,
    /// Index into [`SURNAMES`].
    pub surname: usize,
    /// Index into [`DEPARTMENTS`].
    pub dept: usize,
    /// The one role.
    pub role: Role,
    /// Working time.
    pub schedule: Schedule,
    /// Workstation address.
    pub ip: String,
    /// The employee's own patient record, if they are a patient too.
    pub patient: Option<u32>,
}

/// A Zipf-like pick: common surnames are common.
pub fn surname(rng: &mut Rng) -> usize {
    let n = SURNAMES.len() as u64;
    (rng.below(n) * (rng.below(n) + 1) / n) as usize
}

/// `n` staff (at least 50): admins first, then departments by weight.
pub fn build(seed: u64, n: u32) -> Vec<Staff> {
    let fb = (n / 400).max(2) as usize;
    let so = (n / 1000).max(1) as usize;
    let clinical = n as usize - fb - so;
    let weights: u32 = DEPARTMENTS.iter().map(|d| d.weight).sum();
    let mut sizes: Vec<usize> = (DEPARTMENTS.iter())
        .map(|d| clinical * d.weight as usize / weights as usize)
        .collect();
    let short = clinical - sizes.iter().sum::<usize>();
    (0..short).for_each(|i| sizes[i % 12] += 1);
    sizes[FUNCTIONEEL_BEHEER] = fb;
    sizes[INFORMATIEBEVEILIGING] = so;
    let mut rng = Rng::new(&[seed, 0x57AF]);
    let mut out = Vec::with_capacity(n as usize);
    for (dept, &size) in sizes.iter().enumerate() {
        for j in 0..size {
            let role = role_for(dept, j, &mut rng);
            out.push(person(out.len(), dept, role, &mut rng));
        }
    }
    out
}

fn role_for(dept: usize, j: usize, rng: &mut Rng) -> Role {
    let r = if j < 3 {
        [0, 95, 50][j]
    } else {
        rng.below(100)
    };
    match (DEPARTMENTS[dept].kind, DEPARTMENTS[dept].name) {
        (DeptKind::Admin, _) if dept == FUNCTIONEEL_BEHEER => Role::FunctioneelBeheerder,
        (DeptKind::Admin, _) => Role::SecurityOfficer,
        (_, "apotheek") if r < 40 => Role::Apotheker,
        (_, "apotheek") => Role::Apothekersassistent,
        (_, "radiologie") if r < 30 => Role::Arts,
        (_, "radiologie") if r < 80 => Role::Laborant,
        (_, "radiologie") => Role::Secretaresse,
        _ if r < 22 => Role::Arts,
        _ if r < 32 => Role::ArtsAssistent,
        _ if r < 86 => Role::Verpleegkundige,
        _ => Role::Secretaresse,
    }
}

fn person(i: usize, dept: usize, role: Role, rng: &mut Rng) -> Staff {
    let surname = surname(rng);
    let initial = INITIALS[rng.index(INITIALS.len())] as char;
    let acute = DEPARTMENTS[dept].kind == DeptKind::Acute;
    let schedule = match role {
        Role::Verpleegkundige | Role::ArtsAssistent => Schedule::Shifts,
        Role::Arts if acute => Schedule::Shifts,
        Role::Arts => Schedule::Weekdays(8 * 60, 17 * 60 + 30),
        Role::Laborant => Schedule::Weekdays(7 * 60 + 30, 17 * 60),
        Role::FunctioneelBeheerder | Role::SecurityOfficer => Schedule::Weekdays(510, 1020),
        _ => Schedule::Weekdays(8 * 60, 17 * 60),
    };
    Staff {
        user_id: format!("emp-{:05}", i + 1),
        name: format!("{}, {initial}.", SURNAMES[surname]),
        surname,
        dept,
        role,
        schedule,
        ip: format!("10.{}.{}.{}", 20 + dept, i / 250 % 250, i % 250 + 1),
        patient: None,
    }
}

/// Shift of a shift worker on local day `d`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Shift {
    Day,
    Evening,
    Night,
    Off,
}

fn shift(seed: u64, staff: usize, d: i64) -> Shift {
    match hash(&[seed, 0x5817, staff as u64, d as u64]) % 11 {
        0..=4 => Shift::Day,
        5..=6 => Shift::Evening,
        7..=8 => Shift::Night,
        _ => Shift::Off,
    }
}

impl Staff {
    /// Background requests per hour of `staff` (index `i`) at local day `d`, `minute`,
    /// weekday `wd`: 0 when off duty.
    pub fn rate_at(&self, seed: u64, i: usize, d: i64, minute: u32, wd: u32) -> u32 {
        let on = match self.schedule {
            Schedule::Shifts => {
                let today = match shift(seed, i, d) {
                    Shift::Day => (420..930).contains(&minute),
                    Shift::Evening => (900..1410).contains(&minute),
                    Shift::Night => minute >= 1380,
                    Shift::Off => false,
                };
                today || (minute < 450 && shift(seed, i, d - 1) == Shift::Night)
            }
            Schedule::Weekdays(from, to) => {
                let off = hash(&[seed, 0x0FF, i as u64, d as u64]).is_multiple_of(10);
                wd < 5 && (from..to).contains(&minute) && !off
            }
        };
        let rate = if on { self.role.rate() } else { 0 };
        if !(420..1380).contains(&minute) {
            rate.div_ceil(2)
        } else {
            rate
        }
    }
}

impl Staff {
    /// Name of the employee's department.
    pub fn dept_name(&self) -> &'static str {
        DEPARTMENTS[self.dept].name
    }
}
