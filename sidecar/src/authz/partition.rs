//! One small Casbin Enforcer per (organisation, object, action).
//!
//! Casbin evaluates the matcher once per policy line, in its script engine: about a
//! microsecond per line, 17 ms for a denial among 110,000 lines. A partition holds only
//! the lines that can match its key (see `model.rs` for why that is exact), so a decision
//! evaluates a handful of lines. The role graph of an organisation is built once and shared
//! by all its partitions (it is only read after the build).

use std::collections::HashSet;

use casbin::{CoreApi, DefaultModel, Enforcer, NullAdapter};

/// What one subject's evaluation found.
#[derive(Debug)]
pub(crate) enum Outcome {
    /// An allow rule matched and no deny rule did; the first allow rule.
    Allow(String),
    /// A deny rule matched.
    Deny(String),
    /// No rule matched.
    NoMatch,
}

/// The rules for one (organisation, object, action) and the subjects they name.
pub(crate) struct Partition {
    enforcer: Enforcer,
    subjects: HashSet<String>,
}

/// An organisation's role graph (its `g` lines), built once and shared by its partitions.
pub(crate) struct RoleGraph(Enforcer);

impl RoleGraph {
    /// The graph of the `g` rows `roles` (fields without the leading `g`).
    pub(crate) async fn new(model: &DefaultModel, roles: Vec<Vec<String>>) -> casbin::Result<Self> {
        let mut enforcer = enforcer(model).await?;
        enforcer.get_mut_model().add_policies("g", "g", roles);
        enforcer.build_role_links()?;
        Ok(Self(enforcer))
    }
}

impl Partition {
    /// A partition holding the `p` rows `rules` (fields without the leading `p`) that
    /// resolves role inheritance with `roles`.
    pub(crate) async fn new(
        model: &DefaultModel,
        rules: Vec<Vec<String>>,
        roles: &RoleGraph,
    ) -> casbin::Result<Self> {
        let mut enforcer = enforcer(model).await?;
        enforcer.set_role_manager(roles.0.get_role_manager())?;
        let subjects = rules.iter().map(|r| r[0].clone()).collect();
        enforcer.get_mut_model().add_policies("p", "p", rules);
        Ok(Self { enforcer, subjects })
    }

    /// Whether a rule here names `subject` itself.
    pub(crate) fn names(&self, subject: &str) -> bool {
        self.subjects.contains(subject)
    }

    /// Casbin's decision for one subject, with the rule that decided it.
    pub(crate) fn evaluate(
        &self,
        subject: &str,
        dom: &str,
        obj: &str,
        act: &str,
    ) -> casbin::Result<Outcome> {
        let (allowed, rules) = self.enforcer.enforce_ex((subject, dom, obj, act))?;
        // With allow-and-no-deny, Casbin explains a denial with the deny rule last and
        // an allow with every allow rule that matched.
        Ok(match (allowed, rules.first(), rules.last()) {
            (true, Some(first), _) => Outcome::Allow(text(first)),
            (false, _, Some(deny)) => Outcome::Deny(text(deny)),
            _ => Outcome::NoMatch,
        })
    }
}

/// An Enforcer with the model and no rules, that never rebuilds role links by itself
/// (a rebuild would clear a role graph shared with other partitions).
async fn enforcer(model: &DefaultModel) -> casbin::Result<Enforcer> {
    let mut enforcer = Enforcer::new(model.clone(), NullAdapter).await?;
    enforcer.enable_auto_build_role_links(false);
    Ok(enforcer)
}

/// A rule as it reads in the policy file.
fn text(fields: &[String]) -> String {
    format!("p, {}", fields.join(", "))
}
