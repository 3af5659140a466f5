//! Loading, versioning and reloading the policy; the 403 body.

use std::path::{Path, PathBuf};

use zegel_sidecar::authz::{Authorizer, PolicyConfig, PolicyError, Query, version};

fn policies() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../policies")
}

/// A copy of the shipped policy in a temporary directory, to edit.
fn copy() -> (tempfile::TempDir, PolicyConfig) {
    let dir = tempfile::tempdir().expect("tempdir");
    for file in ["model.conf", "policy.csv"] {
        std::fs::copy(policies().join(file), dir.path().join(file)).expect("copy");
    }
    let (model, policy) = (dir.path().join("model.conf"), dir.path().join("policy.csv"));
    (
        dir,
        PolicyConfig {
            model,
            policy,
            cache_capacity: 100,
        },
    )
}

fn append(cfg: &PolicyConfig, line: &str) {
    let mut text = std::fs::read_to_string(&cfg.policy).expect("read");
    text.push_str(line);
    std::fs::write(&cfg.policy, text).expect("write");
}

const ROLES: [&str; 1] = ["security-officer"];

fn log_read(roles: &[String]) -> Query<'_> {
    Query {
        roles,
        department: None,
        domain: "ura:00012345",
        object: "zegel:toegangslog",
        action: "delete",
    }
}

#[tokio::test]
async fn version_is_sha256_of_model_then_policy() {
    let (_dir, cfg) = copy();
    let authz = Authorizer::load(&cfg).await.expect("loads");
    let model = std::fs::read_to_string(&cfg.model).expect("model");
    let policy = std::fs::read_to_string(&cfg.policy).expect("policy");
    assert_eq!(authz.version(), version(&model, &policy));
    assert_eq!(authz.version().len(), 64);
    let roles: Vec<String> = ROLES.map(String::from).into();
    assert_eq!(
        &*authz.decide(&log_read(&roles)).policy_version,
        authz.version()
    );
    let stats = authz.stats();
    assert_eq!((stats.organisations, stats.role_links), (2, 2));
}

#[tokio::test]
async fn reload_swaps_a_valid_policy_and_clears_the_cache() {
    let (_dir, cfg) = copy();
    let authz = Authorizer::load(&cfg).await.expect("loads");
    let roles = vec![String::from("secretaresse")];
    let q = Query {
        domain: "ura:00067890",
        object: "ecd:Patient",
        action: "read",
        ..log_read(&roles)
    };
    assert!(!authz.decide(&q).allowed);
    assert_eq!(authz.cached(), 1);
    let old = authz.version();
    append(
        &cfg,
        "p, secretaresse, ura:00067890, ecd:Patient, read, allow\n",
    );
    let new = authz.reload(&cfg).await.expect("reloads");
    assert_ne!(new, old);
    assert_eq!(authz.version(), new);
    assert_eq!(authz.cached(), 0);
    let d = authz.decide(&q);
    assert!(d.allowed, "{d:?}");
    assert_eq!(&*d.policy_version, new);
}

#[tokio::test]
async fn an_invalid_policy_is_refused_and_the_old_one_stays() {
    let (_dir, cfg) = copy();
    let authz = Authorizer::load(&cfg).await.expect("loads");
    let old = authz.version();
    let lines = std::fs::read_to_string(&cfg.policy)
        .expect("read")
        .lines()
        .count();
    append(&cfg, "p, arts, ura:00012345, ecd:Patient, delete, allwo\n");
    let err = authz.reload(&cfg).await.expect_err("refused");
    let want = format!(
        "{}:{}: effect must be `allow` or `deny`, found `allwo`",
        cfg.policy.display(),
        lines + 1
    );
    assert_eq!(err.to_string(), want);
    assert!(matches!(err, PolicyError::Line { line, .. } if line == lines + 1));
    assert_eq!(authz.version(), old);
}

#[tokio::test]
async fn missing_files_and_foreign_models_are_named() {
    let (dir, mut cfg) = copy();
    cfg.policy = dir.path().join("missing.csv");
    let err = Authorizer::load(&cfg).await.err().expect("refused");
    assert!(
        matches!(err, PolicyError::Read { ref path, .. } if path == &cfg.policy),
        "{err}"
    );
    let (_dir, cfg) = copy();
    let model = std::fs::read_to_string(&cfg.model).expect("read");
    std::fs::write(
        &cfg.model,
        model.replace("r.obj == p.obj", "keyMatch2(r.obj, p.obj)"),
    )
    .expect("w");
    let err = Authorizer::load(&cfg).await.err().expect("refused");
    assert!(matches!(err, PolicyError::Model { .. }), "{err}");
}

#[tokio::test]
async fn config_rejects_unknown_fields_and_defaults_the_cache() {
    let cfg: PolicyConfig = toml::from_str("model = \"m\"\npolicy = \"p\"").expect("parses");
    assert!(cfg.cache_capacity > 0);
    let unknown = toml::from_str::<PolicyConfig>("model = \"m\"\npolicy = \"p\"\ncache = 1");
    assert!(unknown.is_err());
}

#[tokio::test]
async fn forbidden_body_names_the_request_not_the_rule() {
    let (_dir, cfg) = copy();
    let authz = Authorizer::load(&cfg).await.expect("loads");
    let roles = vec![String::from("secretaresse")];
    let q = Query {
        object: "ecd:Observation",
        action: "read",
        ..log_read(&roles)
    };
    let d = authz.decide(&q);
    assert_eq!(
        d.record_rule(),
        "p, secretaresse, ura:00012345, ecd:Observation, read, deny"
    );
    let body: serde_json::Value = serde_json::from_str(&d.forbidden_body("req-42")).expect("json");
    assert_eq!(body["request_id"], "req-42");
    assert_eq!(body["reason"], "denied by rule");
    assert!(!body.to_string().contains("secretaresse"));
}

/// casbin's `logging` feature gives every Enforcer its own slog-async thread and a
/// 4,096-entry channel (about 450 KiB): with one Enforcer per partition that is thousands
/// of threads and gigabytes for a 110,000-line policy. It must stay off.
#[cfg(target_os = "linux")]
#[tokio::test]
async fn partitions_do_not_start_threads() {
    let threads = || std::fs::read_dir("/proc/self/task").map_or(0, |d| d.count());
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::copy(policies().join("model.conf"), dir.path().join("model.conf")).expect("copy");
    let generated = zegel_sidecar::authz::synthetic::policy(2_000);
    std::fs::write(dir.path().join("policy.csv"), generated.text).expect("write");
    let (model, policy) = (dir.path().join("model.conf"), dir.path().join("policy.csv"));
    let before = threads();
    let cfg = PolicyConfig {
        model,
        policy,
        cache_capacity: 0,
    };
    let authz = Authorizer::load(&cfg).await.expect("loads");
    let partitions = authz.stats().partitions;
    let started = threads().saturating_sub(before);
    assert!(partitions > 200, "{partitions}");
    assert!(
        started < 50,
        "{started} threads for {partitions} partitions: casbin `logging` on?"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn decisions_continue_during_reloads() {
    let (_dir, cfg) = copy();
    let authz = std::sync::Arc::new(Authorizer::load(&cfg).await.expect("loads"));
    let mut versions = vec![authz.version()];
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let deciders: Vec<_> = (0..2)
        .map(|_| {
            let (authz, stop) = (authz.clone(), stop.clone());
            std::thread::spawn(move || {
                let roles = vec![String::from("arts")];
                let q = Query {
                    object: "ecd:Patient",
                    action: "read",
                    ..log_read(&roles)
                };
                let mut seen = std::collections::HashSet::new();
                while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                    let d = authz.decide(&q);
                    assert!(d.allowed);
                    seen.insert(d.policy_version.to_string());
                }
                seen
            })
        })
        .collect();
    for i in 0..3 {
        append(
            &cfg,
            &format!("p, arts, ura:00012345, ecd:Extra{i}, read, allow\n"),
        );
        versions.push(authz.reload(&cfg).await.expect("reloads"));
    }
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    for decider in deciders {
        let seen = decider.join().expect("decider");
        assert!(seen.iter().all(|v| versions.contains(v)), "{seen:?}");
    }
}
