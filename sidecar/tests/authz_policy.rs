//! The shipped policy decides as `policies/expected.toml` says, and the indexed decision
//! stage decides as one Casbin Enforcer holding every line would (on the shipped policy
//! and on a generated one with many organisations).

use std::path::{Path, PathBuf};

use casbin::{CoreApi, DefaultModel, Enforcer, FileAdapter};
use zegel_sidecar::authz::synthetic::{self, Request, Rng};
use zegel_sidecar::authz::{Authorizer, Decision, NO_RULE, PolicyConfig, Query};

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

/// Two Enforcers with every line, loaded by Casbin's own file adapter: one with the
/// shipped model, and one whose effect is "allowed unless a deny rule matches", which
/// tells a denial by a rule from no rule matching.
struct Oracle {
    decides: Enforcer,
    no_deny: Enforcer,
}

impl Oracle {
    async fn load(dir: &Path) -> Self {
        let text = std::fs::read_to_string(dir.join("model.conf")).expect("model");
        let effect = "some(where (p.eft == allow)) && !some(where (p.eft == deny))";
        assert!(text.contains(effect));
        let decides = Self::enforcer(&text, dir).await;
        let no_deny_text = text.replace(effect, "!some(where (p.eft == deny))");
        let no_deny = Self::enforcer(&no_deny_text, dir).await;
        Self { decides, no_deny }
    }

    async fn enforcer(model: &str, dir: &Path) -> Enforcer {
        let model = DefaultModel::from_str(model).await.expect("model");
        let adapter = FileAdapter::new(dir.join("policy.csv"));
        Enforcer::new(model, adapter).await.expect("enforcer")
    }

    /// The caller's subjects: each role, and each role in the department.
    fn subjects(q: &Query<'_>) -> Vec<String> {
        let scoped = q
            .roles
            .iter()
            .filter_map(|r| q.department.map(|d| format!("{r}@{d}")));
        q.roles.iter().cloned().chain(scoped).collect()
    }

    /// Whether one of the caller's subjects is, or inherits, `subject` (Casbin's `g()`).
    fn holds(&self, q: &Query<'_>, subject: &str) -> bool {
        let graph = self.decides.get_role_manager();
        let graph = graph.read();
        let has = |s: &String| s == subject || graph.has_link(s, subject, Some(q.domain));
        Self::subjects(q).iter().any(has)
    }

    /// (allowed, denied by a rule) for a caller with several subjects: a deny rule for
    /// any subject wins, then an allow for any.
    fn decide(&self, q: &Query<'_>) -> (bool, bool) {
        let mut allowed = false;
        for s in Self::subjects(q) {
            let r = (&s, q.domain, q.object, q.action);
            if !self.no_deny.enforce(r).expect("enforce") {
                return (false, true);
            }
            allowed |= self.decides.enforce(r).expect("enforce");
        }
        (allowed, false)
    }
}

/// Checks one decision against the oracle, and its rule against the request.
fn agrees(oracle: &Oracle, q: &Query<'_>, d: &Decision) -> Result<(), String> {
    let ours = (d.allowed, !d.allowed && d.rule.is_some());
    let theirs = oracle.decide(q);
    if ours != theirs {
        return Err(format!(
            "(allowed, denied by rule): ours {ours:?}, casbin {theirs:?}"
        ));
    }
    let Some(rule) = &d.rule else { return Ok(()) };
    let fields: Vec<&str> = rule.split(", ").collect();
    let effect = if d.allowed { "allow" } else { "deny" };
    let expected_tail = [q.domain, q.object, q.action, effect];
    if fields[2..] != expected_tail || !oracle.holds(q, fields[1]) {
        return Err(format!("rule {rule} does not fit the request"));
    }
    Ok(())
}

#[tokio::test]
async fn table_agrees_with_one_big_enforcer() {
    let authz = Authorizer::load(&config(&policies()))
        .await
        .expect("policy loads");
    let oracle = Oracle::load(&policies()).await;
    for case in table().cases {
        let q = case.query();
        let result = agrees(&oracle, &q, &authz.decide(&q));
        assert!(result.is_ok(), "{}: {result:?}", case.why);
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
    let oracle = Oracle::load(dir.path()).await;
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
        let result = agrees(&oracle, &request.query(), &d);
        assert!(result.is_ok(), "{request:?}: {result:?}");
    }
    // The sample exercised all three outcomes.
    assert!(
        allowed > 50 && denied_by_rule > 5,
        "{allowed} allowed, {denied_by_rule} denied"
    );
}
