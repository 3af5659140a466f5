//! What the decision stage is asked, and what it answers.
//!
//! The question is built from the verified token (roles, department, organisation) and
//! the route (object, action); the answer carries what the access record needs: the rule
//! that decided, or that none matched, and the policy version that was in force.

use std::sync::Arc;

/// The `reason` of a decision without a matching rule; also what the record holds then.
pub const NO_RULE: &str = "no rule matched";
/// The `reason` of a decision made by an allow rule.
pub const ALLOWED: &str = "allowed by rule";
/// The `reason` of a decision made by a deny rule.
pub const DENIED: &str = "denied by rule";
/// The `reason` when Casbin failed while evaluating (the request is denied).
pub const FAILED: &str = "policy evaluation failed";

/// One request, as Casbin inputs.
#[derive(Debug, Clone, Copy)]
pub struct Query<'a> {
    /// The caller's roles from the verified token. Order and repeats do not matter.
    pub roles: &'a [String],
    /// The caller's department; each role is also tried as `role@department`.
    pub department: Option<&'a str>,
    /// The organisation, e.g. `ura:00012345`.
    pub domain: &'a str,
    /// Application and resource, e.g. `ecd:Patient` or `portaal:berichten`.
    pub object: &'a str,
    /// `read`, `search`, `create`, `update`, `delete`, or the HTTP method of a raw route.
    pub action: &'a str,
}

/// The answer for one request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decision {
    /// Whether the request may pass.
    pub allowed: bool,
    /// The policy line that decided, as written in the policy file.
    pub rule: Option<String>,
    /// [`ALLOWED`], [`DENIED`], [`NO_RULE`] or [`FAILED`].
    pub reason: String,
    /// Version (hex SHA-256) of the policy that decided; see [`super::Authorizer::version`].
    pub policy_version: Arc<str>,
}

impl Decision {
    pub(crate) fn new(allowed: bool, rule: Option<String>, reason: &str, v: Arc<str>) -> Self {
        Self {
            allowed,
            rule,
            reason: reason.into(),
            policy_version: v,
        }
    }

    /// What the access record holds: the matched rule, or "no rule matched".
    pub fn record_rule(&self) -> &str {
        self.rule.as_deref().unwrap_or(NO_RULE)
    }

    /// The JSON body of the 403 answer. It names the request id (to quote to the helpdesk,
    /// who finds the record and its rule) and the reason, not the rule: the rule describes
    /// the policy, which is not the caller's business.
    pub fn forbidden_body(&self, request_id: &str) -> String {
        serde_json::json!({
            "error": "forbidden",
            "reason": self.reason,
            "request_id": request_id,
        })
        .to_string()
    }
}
