//! An immutable, indexed policy: what every request reads and what a reload replaces.
//!
//! Rules are grouped by organisation, then by (object, action); each group becomes a
//! [`Partition`]. A request finds its partition with three hash lookups, and asks Casbin
//! only about those of its subjects (each role, and each role@department) that the
//! partition names or that inherit rules in that organisation: for any other subject no
//! line can match. A deny for any subject decides; otherwise the first allow does.
//! A request for an organisation, object or action without rules is denied without
//! asking Casbin, and not cached (it costs less than a cache lookup).

use std::borrow::Cow;
use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use casbin::DefaultModel;

use super::cache::{DecisionCache, Shape};
use super::decision::{ALLOWED, DENIED, Decision, FAILED, NO_RULE, Query};
use super::partition::{Outcome, Partition, RoleGraph};
use super::rules::Rules;

/// Size of a loaded policy.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PolicyStats {
    /// `p` lines.
    pub rules: usize,
    /// `g` lines.
    pub role_links: usize,
    /// Organisations with at least one `p` line.
    pub organisations: usize,
    /// (organisation, object, action) partitions, one small Casbin Enforcer each.
    pub partitions: usize,
}

/// One organisation's rules.
struct Domain {
    /// Subjects with a `g` line here: they may match rules written for another subject.
    inheriting: HashSet<String>,
    /// object -> action -> partition.
    partitions: HashMap<String, HashMap<String, Partition>>,
}

/// A loaded policy with its version and its decision cache.
pub(crate) struct Snapshot {
    pub version: Arc<str>,
    pub stats: PolicyStats,
    domains: HashMap<String, Domain>,
    cache: DecisionCache,
}

/// Rows (fields without the rule type) grouped for building.
#[derive(Default)]
struct Grouped {
    roles: Vec<Vec<String>>,
    partitions: HashMap<(String, String), Vec<Vec<String>>>,
}

impl Snapshot {
    /// Builds the index of `rules` under `model`.
    pub(crate) async fn build(
        model: &DefaultModel,
        rules: Rules,
        version: String,
        cache_capacity: usize,
    ) -> casbin::Result<Self> {
        let mut stats = PolicyStats {
            rules: rules.policies.len(),
            role_links: rules.roles.len(),
            ..PolicyStats::default()
        };
        let mut domains = HashMap::new();
        for (name, grouped) in group(rules) {
            let domain = build_domain(model, grouped).await?;
            stats.organisations += 1;
            stats.partitions += domain.partitions.values().map(HashMap::len).sum::<usize>();
            domains.insert(name, domain);
        }
        let cache = DecisionCache::new(cache_capacity);
        Ok(Self {
            version: version.into(),
            stats,
            domains,
            cache,
        })
    }

    /// Decides `q`. Never blocks on a writer; never scans rules of another partition.
    pub(crate) fn decide(&self, q: &Query<'_>) -> Decision {
        let Some((domain, partition)) = self.find(q) else {
            return self.decision(false, None, NO_RULE);
        };
        let shape = shape(q);
        if let Some(hit) = self.cache.get(&shape) {
            return hit;
        }
        let decision = self.evaluate(domain, partition, &shape);
        if decision.reason != FAILED {
            self.cache.insert(&shape, &decision);
        }
        decision
    }

    /// Decisions held in the cache.
    pub(crate) fn cached(&self) -> usize {
        self.cache.len()
    }

    fn find(&self, q: &Query<'_>) -> Option<(&Domain, &Partition)> {
        let domain = self.domains.get(q.domain)?;
        let partition = domain.partitions.get(q.object)?.get(q.action)?;
        Some((domain, partition))
    }

    fn evaluate(&self, domain: &Domain, partition: &Partition, s: &Shape<'_>) -> Decision {
        let mut allow = None;
        for subject in subjects(s) {
            if !partition.names(&subject) && !domain.inheriting.contains(subject.as_ref()) {
                continue;
            }
            match partition.evaluate(&subject, s.domain, s.object, s.action) {
                Ok(Outcome::Deny(rule)) => return self.decision(false, Some(rule), DENIED),
                Ok(Outcome::Allow(rule)) => allow = allow.or(Some(rule)),
                Ok(Outcome::NoMatch) => {}
                Err(error) => {
                    tracing::error!(%error, subject = %subject, "policy evaluation failed; denying");
                    return self.decision(false, None, FAILED);
                }
            }
        }
        match allow {
            Some(rule) => self.decision(true, Some(rule), ALLOWED),
            None => self.decision(false, None, NO_RULE),
        }
    }

    fn decision(&self, allowed: bool, rule: Option<String>, reason: &str) -> Decision {
        Decision::new(allowed, rule, reason, Arc::clone(&self.version))
    }
}

/// The request's shape: roles sorted and without repeats, so that the order in which a
/// token lists roles neither changes the decision nor splits the cache.
fn shape<'a>(q: &Query<'a>) -> Shape<'a> {
    let mut roles: Vec<&str> = q.roles.iter().map(String::as_str).collect();
    roles.sort_unstable();
    roles.dedup();
    let (domain, object, action) = (q.domain, q.object, q.action);
    Shape {
        roles,
        department: q.department,
        domain,
        object,
        action,
    }
}

/// The Casbin subjects of a request: each role, then that role in the department.
fn subjects<'a>(s: &'a Shape<'_>) -> impl Iterator<Item = Cow<'a, str>> + 'a {
    s.roles.iter().flat_map(move |role| {
        let scoped = s.department.map(|d| Cow::Owned(format!("{role}@{d}")));
        std::iter::once(Cow::Borrowed(*role)).chain(scoped)
    })
}

fn group(rules: Rules) -> HashMap<String, Grouped> {
    let mut domains: HashMap<String, Grouped> = HashMap::new();
    for p in rules.policies {
        let rows = &mut domains.entry(p.dom.clone()).or_default().partitions;
        let row = vec![p.sub, p.dom, p.obj.clone(), p.act.clone(), p.eft];
        rows.entry((p.obj, p.act)).or_default().push(row);
    }
    for g in rules.roles {
        // Links of an organisation without rules cannot change any decision.
        if let Some(domain) = domains.get_mut(&g.dom) {
            domain.roles.push(vec![g.role, g.inherited, g.dom]);
        }
    }
    domains
}

async fn build_domain(model: &DefaultModel, grouped: Grouped) -> casbin::Result<Domain> {
    let inheriting = grouped.roles.iter().map(|g| g[0].clone()).collect();
    let roles = RoleGraph::new(model, grouped.roles).await?;
    let mut partitions: HashMap<String, HashMap<String, Partition>> = HashMap::new();
    for ((obj, act), rows) in grouped.partitions {
        let partition = Partition::new(model, rows, &roles).await?;
        partitions.entry(obj).or_default().insert(act, partition);
    }
    Ok(Domain {
        inheriting,
        partitions,
    })
}
