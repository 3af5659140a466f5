//! One small Casbin Enforcer per (organisation, object, action).
//!
//! Casbin evaluates the matcher once per policy line, in its script engine: about half a
//! microsecond per line with this model, 60 ms for one decision among 110,000 lines. A
//! partition holds only the lines that can match its key (see `model.rs` for why that is
//! exact), so a decision evaluates a handful of lines. The role graph of an organisation
//! is built once and shared by all its partitions (it is only read after the build).
//!
//! Casbin's `enforce` decides. The rule for the record is found beside it, with the same
//! role graph Casbin's `g()` uses: in a partition every line already has the request's
//! organisation, object and action, so a line matches exactly when its subject is the
//! request's or one the request's subject inherits. When no line matches, Casbin is not
//! asked (it would evaluate every line to find the same). Casbin's own `enforce_ex` is not used:
//! in casbin 2.20 it needs the `logging` feature, which gives every Enforcer its own logger
//! thread. If the two ever disagree the request is denied and the disagreement logged.

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

/// Why a subject could not be evaluated.
#[derive(Debug, thiserror::Error)]
pub(crate) enum EvalError {
    /// Casbin failed.
    #[error("casbin: {0}")]
    Casbin(#[from] casbin::Error),
    /// Casbin's decision and the matching rules found beside it do not agree.
    #[error("casbin decided allowed={allowed}, but the matching rules say otherwise")]
    Disagreement {
        /// Casbin's decision.
        allowed: bool,
    },
}

/// A policy line of a partition.
struct Rule {
    sub: String,
    deny: bool,
    text: String,
}

/// Whether subject `.0` inherits the rules of `.1` in organisation `.2`.
type Links = Box<dyn Fn(&str, &str, &str) -> bool + Send + Sync>;

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

    fn links(&self) -> Links {
        let graph = self.0.get_role_manager();
        Box::new(move |sub, inherited, dom| graph.read().has_link(sub, inherited, Some(dom)))
    }
}

/// The rules for one (organisation, object, action) and the subjects they name.
pub(crate) struct Partition {
    enforcer: Enforcer,
    rules: Vec<Rule>,
    links: Links,
}

impl Partition {
    /// A partition holding the `p` rows `rows` (fields without the leading `p`) that
    /// resolves role inheritance with `roles`.
    pub(crate) async fn new(
        model: &DefaultModel,
        rows: Vec<Vec<String>>,
        roles: &RoleGraph,
    ) -> casbin::Result<Self> {
        let mut enforcer = enforcer(model).await?;
        enforcer.set_role_manager(roles.0.get_role_manager())?;
        let rules = rows.iter().map(|r| rule(r)).collect();
        enforcer.get_mut_model().add_policies("p", "p", rows);
        Ok(Self {
            enforcer,
            rules,
            links: roles.links(),
        })
    }

    /// Whether a rule here names `subject` itself.
    pub(crate) fn names(&self, subject: &str) -> bool {
        self.rules.iter().any(|r| r.sub == subject)
    }

    /// Casbin's decision for one subject, with the rule that decided it.
    pub(crate) fn evaluate(
        &self,
        subject: &str,
        dom: &str,
        obj: &str,
        act: &str,
    ) -> Result<Outcome, EvalError> {
        let holds = |r: &&Rule| r.sub == subject || (self.links)(subject, &r.sub, dom);
        let deny = self.rules.iter().filter(|r| r.deny).find(holds);
        let allow = self.rules.iter().filter(|r| !r.deny).find(holds);
        if deny.is_none() && allow.is_none() {
            // No line's subject is or is inherited by `subject`: Casbin's matcher is false
            // for every line, so there is nothing to ask it.
            return Ok(Outcome::NoMatch);
        }
        let allowed = self.enforcer.enforce((subject, dom, obj, act))?;
        match (allowed, deny, allow) {
            (true, None, Some(rule)) => Ok(Outcome::Allow(rule.text.clone())),
            (false, Some(rule), _) => Ok(Outcome::Deny(rule.text.clone())),
            (false, None, None) => Ok(Outcome::NoMatch),
            _ => Err(EvalError::Disagreement { allowed }),
        }
    }
}

/// An Enforcer with the model and no rules, that never rebuilds role links by itself
/// (a rebuild would clear a role graph shared with other partitions).
async fn enforcer(model: &DefaultModel) -> casbin::Result<Enforcer> {
    let mut enforcer = Enforcer::new(model.clone(), NullAdapter).await?;
    enforcer.enable_auto_build_role_links(false);
    Ok(enforcer)
}

/// A row as a rule, with its text as it reads in the policy file.
fn rule(fields: &[String]) -> Rule {
    let text = format!("p, {}", fields.join(", "));
    Rule {
        sub: fields[0].clone(),
        deny: fields[4] == "deny",
        text,
    }
}
