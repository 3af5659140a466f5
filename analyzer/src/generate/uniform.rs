//! `gen --profile uniform`: access/outcome pairs only, spread evenly over working hours
//! by 256 concurrent submitters (the chain order varies between runs; the events do
//! not). The query tests count on exactly this stream.

use crate::cli::GenArgs;
use crate::{Error, Outcome};
use std::sync::Arc;
use zegel_audit::keys::read_signing_key;
use zegel_audit::store::{Store, StoreOptions};
use zegel_audit::writer::{Writer, WriterConfig};
use zegel_audit::{Action, Decision, Event, EventKind};

const DEPARTMENTS: &[&str] = &[
    "cardiologie",
    "oncologie",
    "spoedeisende-hulp",
    "kindergeneeskunde",
    "psychiatrie",
    "radiologie",
];
const ROLES: &[&str] = &["arts", "verpleegkundige", "secretaresse", "apotheker"];
const RESOURCES: &[(&str, &str, Action)] = &[
    ("Patient", "read", Action::R),
    ("Observation", "search-type", Action::E),
    ("MedicationRequest", "search-type", Action::E),
    ("Condition", "read", Action::R),
    ("Observation", "create", Action::C),
    ("DocumentReference", "read", Action::R),
];
/// Monday 2026-01-05 00:00 UTC.
const START_US: i64 = 1_767_571_200_000_000;
const SUBMITTERS: u64 = 256;

/// SplitMix64: small, fast, and good enough to spread synthetic data.
fn mix(mut x: u64) -> u64 {
    x = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    x = (x ^ (x >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    x ^ (x >> 31)
}

/// The access event number `i` of the log with `seed`.
pub fn access_event(seed: u64, i: u64) -> Event {
    let r = |k: u64| mix(seed ^ mix(i.wrapping_mul(16).wrapping_add(k)));
    // About one access per 20 s of working time, 07:00-19:00 on weekdays.
    let work_s = i * 20;
    let (day, in_day) = (work_s / (12 * 3600), work_s % (12 * 3600));
    let week_day = day % 5;
    let cal_day = (day / 5) * 7 + week_day;
    let t = START_US + ((cal_day * 86_400 + 7 * 3600 + in_day) * 1_000_000) as i64;
    let staff = r(1) % 400;
    let dept = DEPARTMENTS[(staff % DEPARTMENTS.len() as u64) as usize];
    let role = ROLES[(staff / 7 % ROLES.len() as u64) as usize];
    let (rtype, interaction, action) = RESOURCES[(r(2) % RESOURCES.len() as u64) as usize];
    let patient = r(3) % 20_000;
    let mut e = Event::new(EventKind::Access, t);
    e.request_id = Some(format!("{:016x}{:016x}", r(4), r(5)));
    e.user_id = Some(format!("emp-{staff:04}"));
    e.user_name = Some(format!("Medewerker {staff}"));
    e.roles = vec![role.to_owned()];
    e.organisation = Some("ura:90000123".into());
    e.department = Some(dept.into());
    e.purpose_of_use = Some("TREAT".into());
    e.access_point = Some(format!("10.20.{}.{}", staff / 250, staff % 250 + 1));
    e.application = Some("ecd".into());
    e.method = Some(if action == Action::C { "POST" } else { "GET" }.into());
    e.path = Some(format!("/fhir/{rtype}?patient=pat-{patient:05}"));
    e.interaction = Some(interaction.into());
    e.action = Some(action);
    e.resource_type = Some(rtype.into());
    e.patient_id = Some(format!("pat-{patient:05}"));
    e.patient_id_system = Some("local".into());
    let denied = r(6) % 100 == 0;
    e.decision = Some(if denied {
        Decision::Deny
    } else {
        Decision::Allow
    });
    e.rule = Some(if denied {
        "no rule matched".into()
    } else {
        format!("p, {role}, ura:90000123, ecd:{rtype}, {interaction}")
    });
    e
}

/// The outcome record that follows access `seq`.
fn outcome_event(access: &Event, seq: u64, seed: u64, i: u64) -> Event {
    let mut o = Event::new(
        EventKind::Outcome,
        access.time_us + 3_000 + (mix(seed ^ i) % 40_000) as i64,
    );
    o.request_id = access.request_id.clone();
    let denied = access.decision == Some(Decision::Deny);
    o.status = Some(if denied { 403 } else { 200 });
    o.bytes = Some(if denied {
        96
    } else {
        512 + (mix(i) % 20_000) as i64
    });
    o.duration_us = Some(o.time_us - access.time_us);
    o.links_seq = Some(seq as i64);
    o
}

/// Writes the log and prints where it went.
pub async fn run(args: &GenArgs) -> Result<Outcome, Error> {
    if args.chains != 1
        || args.only_chain.is_some()
        || args.days.is_some()
        || args.directory_out.is_some()
    {
        return Err(Error::Usage(
            "gen --profile uniform writes one chain of --records accesses; \
             --chains, --only-chain, --days and --directory-out need --profile hospital"
                .into(),
        ));
    }
    let records = args.records.unwrap_or(10_000);
    let store = Store::open(&args.db, &StoreOptions::default()).await?;
    let key = read_signing_key(&args.key)?;
    let mut cfg = WriterConfig::new(&args.chain);
    cfg.checkpoint_file = args.checkpoint_file.clone();
    let (writer, task) = Writer::start(store.clone(), key, cfg).await?;
    let next = Arc::new(std::sync::atomic::AtomicU64::new(0));
    let mut set = tokio::task::JoinSet::new();
    for _ in 0..SUBMITTERS.min(records.max(1)) {
        let (writer, next, n, seed) = (writer.clone(), Arc::clone(&next), records, args.seed);
        set.spawn(async move {
            loop {
                let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                if i >= n {
                    return Ok::<(), Error>(());
                }
                let access = access_event(seed, i);
                let seq = writer.submit(access.clone()).await?.seq;
                writer.submit(outcome_event(&access, seq, seed, i)).await?;
            }
        });
    }
    while let Some(r) = set.join_next().await {
        r.map_err(|e| Error::Usage(format!("generator task failed: {e}")))??;
    }
    let head = writer.head_seq();
    drop(writer);
    task.shutdown().await?;
    println!(
        "wrote {} access records ({head} records with outcomes) to chain {} in {}",
        records,
        args.chain,
        store.url()
    );
    Ok(Outcome::Ok)
}
