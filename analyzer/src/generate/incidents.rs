//! Planted incidents: what a security officer's checks must find, each built to be the
//! only thing of its kind in the log (background traffic never does any of it), and
//! recorded with where it lands so the ground truth is exact.

use super::clock::{self, START_US};
use super::hospital::Hospital;
use super::names::JUSTIFICATIONS;
use super::requests::{self, Access, Request};
use super::rng::Rng;
use super::staff::Role;
use zegel_audit::{Decision, Event};

/// Kinds of incident, in the order `--incidents N` plants them (round robin).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Emergency access (decision `emergency`, with a justification).
    BreakTheGlass,
    /// Denied attempts (decision `deny`, rule `no rule matched`, status 403).
    Denied,
    /// A colleague's or neighbour's record opened without a care relation.
    Snooping,
    /// A record of a patient with the employee's own surname, without a care relation.
    SameSurname,
    /// A VIP's record opened by someone outside the care team.
    Vip,
    /// One employee opening many distinct patients' records on one day.
    VolumeSpike,
    /// An office role working on records outside office hours.
    OffHours,
    /// Administrators at work: authorisation changes, a patient record, the log itself.
    Admin,
}

/// Every kind, in planting order.
pub const KINDS: [Kind; 8] = [
    Kind::BreakTheGlass,
    Kind::Denied,
    Kind::Snooping,
    Kind::SameSurname,
    Kind::Vip,
    Kind::VolumeSpike,
    Kind::OffHours,
    Kind::Admin,
];

/// Distinct patients of a volume spike at least (background: at most 12 a day).
pub const SPIKE_MIN: u64 = 150;

impl Kind {
    /// The name in `incidents.json`.
    pub const fn name(self) -> &'static str {
        match self {
            Kind::BreakTheGlass => "break-the-glass",
            Kind::Denied => "denied",
            Kind::Snooping => "snooping",
            Kind::SameSurname => "same-surname",
            Kind::Vip => "vip",
            Kind::VolumeSpike => "volume-spike",
            Kind::OffHours => "off-hours",
            Kind::Admin => "admin",
        }
    }
}

/// One planted access record.
pub struct Planted {
    /// The access record (its policy version is set when written).
    pub event: Event,
    /// The patient (index), if any.
    pub patient: Option<u32>,
    /// Whether the user had a care relation with the patient at the time.
    pub care_relation: bool,
}

/// One incident: who, in which chain, and its access records in time order.
pub struct Incident {
    /// What kind.
    pub kind: Kind,
    /// The employee (index).
    pub user: u32,
    /// The chain it is written to.
    pub chain: usize,
    /// A human note (whose record, how many).
    pub note: String,
    /// The access records.
    pub accesses: Vec<Planted>,
}

/// Plants `n` incidents over `chains` chains.
pub fn plant(h: &Hospital, n: u32, chains: usize) -> Vec<Incident> {
    (0..n as usize)
        .map(|i| {
            let mut rng = Rng::new(&[h.seed, 0x1AC1, i as u64]);
            let chain = rng.index(chains);
            let mut p = Planter {
                h,
                rng,
                variant: i / KINDS.len(),
            };
            let (user, note, accesses) = p.build(KINDS[i % KINDS.len()]);
            Incident {
                kind: KINDS[i % KINDS.len()],
                user,
                chain,
                note,
                accesses,
            }
        })
        .collect()
}

struct Planter<'h> {
    h: &'h Hospital,
    rng: Rng,
    variant: usize,
}

type Built = (u32, String, Vec<Planted>);

impl Planter<'_> {
    fn build(&mut self, kind: Kind) -> Built {
        match kind {
            Kind::BreakTheGlass => self.break_the_glass(),
            Kind::Denied => self.denied(),
            Kind::Snooping => self.snooping(),
            Kind::SameSurname => self.same_surname(),
            Kind::Vip => self.vip(),
            Kind::VolumeSpike => self.volume_spike(),
            Kind::OffHours => self.off_hours(),
            Kind::Admin => self.admin(),
        }
    }

    fn user(&mut self, ok: impl Fn(Role, &str) -> bool) -> u32 {
        let all: Vec<u32> = (0..self.h.staff.len() as u32)
            .filter(|&s| {
                let st = &self.h.staff[s as usize];
                ok(st.role, st.dept_name())
            })
            .collect();
        all.get(self.rng.index(all.len().max(1)))
            .copied()
            .unwrap_or(0)
    }

    fn clinical(&mut self) -> u32 {
        self.user(|r, _| matches!(r, Role::Arts | Role::ArtsAssistent | Role::Verpleegkundige))
    }

    /// A weekday in the log (day 0 is a Monday).
    fn weekday(&mut self) -> i64 {
        (0..50)
            .map(|_| self.rng.below(self.h.days as u64) as i64)
            .find(|&d| clock::weekday(d) < 5)
            .unwrap_or(0)
    }

    /// A time on a weekday between 08:30 and 16:00 local.
    fn work_time(&mut self) -> i64 {
        let d = self.weekday();
        let minute = self.rng.range(510, 960) as u32;
        clock::at_local(d, minute) + self.rng.range(0, 59_999_999)
    }

    /// A patient for `user` at `t` that no other check flags: not a VIP, not an
    /// employee, another surname, and (when `unrelated`) no care relation.
    fn patient(&mut self, user: u32, t: i64, unrelated: bool, extra: impl Fn(u32) -> bool) -> u32 {
        let n = self.h.patients.len() as u64;
        let surname = self.h.staff[user as usize].surname;
        let mut last = 0;
        for _ in 0..100_000 {
            let p = self.rng.below(n) as u32;
            let pt = &self.h.patients[p as usize];
            last = p;
            let plain = !pt.vip && pt.staff.is_none() && pt.surname != surname;
            if plain && !(unrelated && self.h.related(user, p, t)) && extra(p) {
                return p;
            }
        }
        last
    }

    fn access(&mut self, user: u32, req: Request, p: Option<u32>, t: i64) -> Planted {
        let h = self.h;
        let staff = &h.staff[user as usize];
        let patient = p.map(|p| h.patients[p as usize].id.as_str());
        let a = Access {
            staff,
            request: req,
            patient,
            t_us: t,
            policy_version: "",
        };
        Planted {
            event: a.allowed(&mut self.rng),
            patient: p,
            care_relation: p.is_some_and(|p| h.related(user, p, t)),
        }
    }

    /// Accesses to `p` with `reqs`, `gap` seconds apart at most.
    fn session(&mut self, user: u32, p: u32, t: i64, reqs: &[Request], gap: i64) -> Vec<Planted> {
        let mut t = t;
        let mut out = Vec::new();
        for &r in reqs {
            out.push(self.access(user, r, Some(p), t));
            t += self.rng.range(gap / 3, gap) * 1_000_000;
        }
        out
    }

    fn break_the_glass(&mut self) -> Built {
        let user = self.user(|r, d| {
            matches!(r, Role::Arts | Role::ArtsAssistent)
                && (d == "spoedeisende-hulp" || d == "intensive-care")
        });
        let d = self.rng.below(self.h.days as u64) as i64;
        let minute = (self.rng.range(330, 1620) % 1440) as u32;
        let t = clock::at_local(d, minute).max(START_US + 60_000_000);
        let p = self.patient(user, t, true, |_| true);
        let n = self.rng.range(1, 3) as usize;
        let reqs = &[
            requests::PATIENT_READ,
            requests::CONDITIONS,
            requests::MEDICATION,
        ][..n];
        let why = JUSTIFICATIONS[self.rng.index(JUSTIFICATIONS.len())];
        let mut out = self.session(user, p, t, reqs, 300);
        for a in &mut out {
            a.event.decision = Some(Decision::Emergency);
            a.event.purpose_of_use = Some("ETREAT".into());
            a.event.emergency_justification = Some(why.into());
            a.event.rule = Some("emergency: break-the-glass with justification".into());
        }
        (user, why.into(), out)
    }

    fn denied(&mut self) -> Built {
        let user = self.user(|r, _| matches!(r, Role::Secretaresse | Role::Verpleegkundige));
        let t = self.work_time();
        let p = self.patient(user, t, true, |_| true);
        let n = self.rng.range(1, 2) as usize;
        let mut out = self.session(
            user,
            p,
            t,
            &[requests::CONDITIONS, requests::DOCUMENTS][..n],
            90,
        );
        for a in &mut out {
            a.event.decision = Some(Decision::Deny);
            a.event.rule = Some("no rule matched".into());
            a.event.reason = Some("no policy rule allows this request".into());
            a.event.status = Some(403);
        }
        (user, "no care relation; the policy refused".into(), out)
    }

    fn snooping(&mut self) -> Built {
        let user = self.clinical();
        let t = self.work_time();
        let (h, s) = (self.h, &self.h.staff[user as usize]);
        let colleague = |p: u32| {
            let pt = &h.patients[p as usize];
            pt.staff
                .is_some_and(|e| e != user && h.staff[e as usize].dept == s.dept)
                && !pt.vip
                && pt.surname != s.surname
                && !h.related(user, p, t)
        };
        let colleagues: Vec<u32> = (0..h.patients.len() as u32)
            .filter(|&p| colleague(p))
            .collect();
        let (p, note) = match colleagues.is_empty() || self.variant % 2 == 1 {
            true => (
                self.patient(user, t, true, |_| true),
                "neighbour's record".to_owned(),
            ),
            false => {
                let p = colleagues[self.rng.index(colleagues.len())];
                let e = h.patients[p as usize].staff.unwrap_or(0) as usize;
                (p, format!("record of colleague {}", h.staff[e].user_id))
            }
        };
        let out = self.session(
            user,
            p,
            t,
            &[requests::PATIENT_READ, requests::DOCUMENTS],
            120,
        );
        (user, note, out)
    }

    fn same_surname(&mut self) -> Built {
        for _ in 0..200 {
            let user = self.clinical();
            let t = self.work_time();
            let (h, s) = (self.h, &self.h.staff[user as usize]);
            let same: Vec<u32> = (0..h.patients.len() as u32)
                .filter(|&p| {
                    let pt = &h.patients[p as usize];
                    pt.surname == s.surname
                        && !pt.vip
                        && pt.staff.is_none()
                        && !h.related(user, p, t)
                })
                .collect();
            if let Some(&p) = same.get(self.rng.index(same.len().max(1))) {
                let out = self.session(
                    user,
                    p,
                    t,
                    &[requests::PATIENT_READ, requests::CONDITIONS],
                    120,
                );
                return (
                    user,
                    format!(
                        "patient surname {}",
                        super::patients::surname(&h.patients[p as usize])
                    ),
                    out,
                );
            }
        }
        self.snooping()
    }

    fn vip(&mut self) -> Built {
        let user = self.clinical();
        let t = self.work_time();
        let h = self.h;
        let surname = h.staff[user as usize].surname;
        let vips: Vec<u32> = (0..h.patients.len() as u32)
            .filter(|&p| {
                let pt = &h.patients[p as usize];
                pt.vip && pt.surname != surname && !h.related(user, p, t)
            })
            .collect();
        let Some(&p) = vips.get(self.rng.index(vips.len().max(1))) else {
            return self.snooping();
        };
        let out = self.session(
            user,
            p,
            t,
            &[requests::PATIENT_READ, requests::DOCUMENTS],
            180,
        );
        (user, "VIP record, outside the care team".into(), out)
    }

    fn volume_spike(&mut self) -> Built {
        let user = self.user(|r, _| matches!(r, Role::Arts | Role::Secretaresse));
        let d = self.weekday();
        let mut t = clock::at_local(d, 9 * 60) + self.rng.range(0, 1_800_000_000);
        let n = self.rng.range(SPIKE_MIN as i64, 220) as usize;
        let mut seen = std::collections::HashSet::new();
        let mut out = Vec::with_capacity(n);
        while out.len() < n {
            let p = self.patient(user, t, false, |p| !seen.contains(&p));
            seen.insert(p);
            out.push(self.access(user, requests::PATIENT_READ, Some(p), t));
            t += self.rng.range(20, 60) * 1_000_000;
        }
        (user, format!("{n} distinct patients in one day"), out)
    }

    fn off_hours(&mut self) -> Built {
        let user = self.user(|r, _| r == Role::Secretaresse);
        let saturday = (0..self.h.days).rfind(|&d| clock::weekday(d) == 5);
        let t = match saturday.filter(|_| self.variant % 2 == 1) {
            Some(d) => clock::at_local(d, self.rng.range(600, 900) as u32),
            None => clock::at_local(self.weekday(), self.rng.range(1260, 1380) as u32),
        } + self.rng.range(0, 59_999_999);
        let (h, s) = (self.h, &self.h.staff[user as usize]);
        let team = h.active(s.dept, clock::utc_day(t));
        let mine = team
            .iter()
            .copied()
            .find(|&p| h.patients[p as usize].surname != s.surname && !h.patients[p as usize].vip);
        let p = match mine {
            Some(p) => p,
            None => self.patient(user, t, false, |_| true),
        };
        let out = self.session(
            user,
            p,
            t,
            &[requests::PATIENT_READ, requests::APPOINTMENTS],
            180,
        );
        let note = if clock::weekday(clock::utc_day(t)) == 5 {
            "Saturday"
        } else {
            "late evening"
        };
        (user, format!("office role at work on a {note}"), out)
    }

    fn admin(&mut self) -> Built {
        let t = self.work_time();
        if self.variant % 2 == 1 {
            let user = self.user(|r, _| r == Role::SecurityOfficer);
            let a = self.access(user, requests::LOG_SEARCH, None, t);
            let b = self.access(user, requests::LOG_SEARCH, None, t + 240_000_000);
            return (
                user,
                "security officer searching the log".into(),
                vec![a, b],
            );
        }
        let user = self.user(|r, _| r == Role::FunctioneelBeheerder);
        let target = self.clinical();
        let mut change = self.access(user, requests::AUTHORISATION, None, t);
        let who = &self.h.staff[target as usize].user_id;
        change.event.path = Some(format!("/beheer/autorisatie/{who}"));
        change.event.resource_id = Some(who.clone());
        let p = self.patient(user, t, true, |_| true);
        let read = self.access(user, requests::PATIENT_READ, Some(p), t + 300_000_000);
        (
            user,
            format!("authorisations of {who} changed, then a patient record opened"),
            vec![change, read],
        )
    }
}
