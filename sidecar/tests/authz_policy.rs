//! The shipped policy decides as `policies/expected.toml` says, and the indexed decision
//! stage decides as one Casbin Enforcer holding every line would (on the shipped policy
//! and on a generated one with many organisations).

use std::path::{Path, PathBuf};

use casbin::{CoreApi, DefaultModel, Enforcer, FileAdapter};
use zegel_sidecar::authz::synthetic::{self, Request, Rng};
use zegel_sidecar::authz::{Authorizer, NO_RULE, PolicyConfig, Query};

fn policies() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../policies")
}

fn config(dir: &Path) -> PolicyConfig {
    let (model, policy) = (dir.join("model.conf"), dir.join("policy.csv"));
    PolicyConfig {
        model,
        policy,
        cache_capacity: 1000,
    }
}

#[derive(serde::Deserialize)]
struct Table {
    cases: Vec<Case>,
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct Case {
    why: String,
    roles: Vec<String>,
    dept: Option<String>,
    dom: String,
    obj: String,
    act: String,
    expect: String,
    rule: String,
}

impl Case {
    fn query(&self) -> Query<'_> {
        Query {
            roles: &self.roles,
            department: self.dept.as_deref(),
            domain: &self.dom,
            object: &self.obj,
            action: &self.act,
        }
    }
}

fn table() -> Table {
    let text = std::fs::read_to_string(policies().join("expected.toml")).expect("expected.toml");
    toml::from_str(&text).expect("expected.toml parses")
}

/// (allow|deny, what the record holds)
fn outcome(allowed: bool, rule: Option<String>) -> (String, String) {
    let effect = if allowed { "allow" } else { "deny" };
    (effect.into(), rule.unwrap_or_else(|| NO_RULE.into()))
}

#[tokio::test]
async fn shipped_policy_decides_as_the_table_says() {
    let authz = Authorizer::load(&config(&policies()))
        .await
        .expect("policy loads");
    let mut failures = Vec::new();
    for case in table().cases {
        let expected = (case.expect.clone(), case.rule.clone());
        // The second decision comes from the cache and must not differ.
        for round in ["first", "cached"] {
            let d = authz.decide(&case.query());
            let got = outcome(d.allowed, d.rule.clone());
            if got != expected {
                failures.push(format!(
                    "{} ({round}): got {got:?}, want {expected:?}",
                    case.why
                ));
            }
        }
    }
    assert!(failures.is_empty(), "\n{}", failures.join("\n"));
}

#[tokio::test]
async fn table_covers_the_required_situations() {
    let cases = table().cases;
    let has = |f: &dyn Fn(&Case) -> bool| cases.iter().any(f);
    assert!(has(&|c| c.expect == "deny"
        && c.rule.ends_with("deny")
        && c.roles.len() > 1));
    assert!(has(&|c| c.expect == "allow" && c.rule.contains('@')));
    assert!(has(&|c| c.dom == "ura:99999999"));
    assert!(has(&|c| c.obj == "ecd:Questionnaire"));
    assert!(has(&|c| c.roles.is_empty()));
}

/// One Enforcer with every line, loaded by Casbin's own file adapter.
async fn oracle(dir: &Path) -> Enforcer {
    let model = DefaultModel::from_file(dir.join("model.conf"))
        .await
        .expect("model");
    let adapter = FileAdapter::new(dir.join("policy.csv"));
    Enforcer::new(model, adapter).await.expect("enforcer")
}

/// The oracle's decision for a caller with several subjects: a deny from any subject
/// wins, then the first allow, subjects in the order the decision stage uses.
fn oracle_decide(e: &Enforcer, q: &Query<'_>) -> (String, String) {
    let mut roles: Vec<&String> = q.roles.iter().collect();
    roles.sort();
    roles.dedup();
    let mut subjects = Vec::new();
    for role in roles {
        subjects.push(role.clone());
        subjects.extend(q.department.map(|d| format!("{role}@{d}")));
    }
    let mut allow = None;
    for s in subjects {
        let (ok, rules) = e
            .enforce_ex((&s, q.domain, q.object, q.action))
            .expect("enforce");
        let text = |r: &Vec<String>| format!("p, {}", r.join(", "));
        match (ok, rules.first(), rules.last()) {
            (true, Some(first), _) => allow = allow.or(Some(text(first))),
            (false, _, Some(deny)) => return outcome(false, Some(text(deny))),
            _ => {}
        }
    }
    outcome(allow.is_some(), allow)
}

#[tokio::test]
async fn table_agrees_with_one_big_enforcer() {
    let authz = Authorizer::load(&config(&policies()))
        .await
        .expect("policy loads");
    let big = oracle(&policies()).await;
    for case in table().cases {
        let d = authz.decide(&case.query());
        assert_eq!(
            outcome(d.allowed, d.rule),
            oracle_decide(&big, &case.query()),
            "{}",
            case.why
        );
    }
}

#[tokio::test]
async fn generated_policy_agrees_with_one_big_enforcer() {
    let dir = tempfile::tempdir().expect("tempdir");
    let generated = synthetic::policy(1_000);
    std::fs::copy(policies().join("model.conf"), dir.path().join("model.conf")).expect("copy");
    std::fs::write(dir.path().join("policy.csv"), &generated.text).expect("write");
    let authz = Authorizer::load(&config(dir.path()))
        .await
        .expect("policy loads");
    let big = oracle(dir.path()).await;
    let mut pairs = synthetic::object_actions();
    pairs.extend([("ecd:Questionnaire", "read"), ("ecd:Patient", "patch")]);
    let mut rng = Rng::new(7);
    let (mut allowed, mut denied_by_rule) = (0, 0);
    for _ in 0..500 {
        // One organisation beyond the generated ones: unknown organisations too.
        let request = Request::random(&mut rng, generated.organisations + 1, &pairs);
        let d = authz.decide(&request.query());
        allowed += usize::from(d.allowed);
        denied_by_rule += usize::from(!d.allowed && d.rule.is_some());
        let want = oracle_decide(&big, &request.query());
        assert_eq!(outcome(d.allowed, d.rule), want, "{request:?}");
    }
    // The sample exercised all three outcomes.
    assert!(
        allowed > 50 && denied_by_rule > 5,
        "{allowed} allowed, {denied_by_rule} denied"
    );
}
