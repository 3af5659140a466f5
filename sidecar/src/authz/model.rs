//! The Casbin model, and the check that it is one the decision index can serve.
//!
//! `snapshot.rs` gives each (organisation, object, action) its own small Enforcer and asks
//! only about the caller's roles that occur there. That is only the same as asking one
//! Enforcer holding every line when every line that can match has the request's
//! organisation, object and action, and a subject that is the request's or one it
//! inherits through `g`. So the model must have exactly this shape; an edit that
//! would silently make the index wrong (a `keyMatch` on the object, an `||`, another
//! effect) is refused at load instead.

use std::path::Path;

use casbin::{DefaultModel, Model};

use super::error::PolicyError;

const REQUEST: [&str; 4] = ["r_sub", "r_dom", "r_obj", "r_act"];
const POLICY: [&str; 5] = ["p_sub", "p_dom", "p_obj", "p_act", "p_eft"];
const ROLE: &str = "_, _, _";
const EFFECT: &str = "some(where (p_eft == allow)) && !some(where (p_eft == deny))";
const INDEXED: [&str; 3] = ["dom", "obj", "act"];

/// Parses the model text read from `path` and checks its shape.
pub(crate) async fn parse(path: &Path, text: &str) -> Result<DefaultModel, PolicyError> {
    let model = DefaultModel::from_str(text)
        .await
        .map_err(|source| PolicyError::Casbin {
            path: path.to_path_buf(),
            source,
        })?;
    check(&model).map_err(|problem| PolicyError::model(path, problem))?;
    Ok(model)
}

fn check(model: &DefaultModel) -> Result<(), String> {
    if tokens(model, "r") != REQUEST {
        return Err("request definition must be `r = sub, dom, obj, act`".into());
    }
    if tokens(model, "p") != POLICY {
        return Err("policy definition must be `p = sub, dom, obj, act, eft`".into());
    }
    if value(model, "g") != ROLE {
        return Err("role definition must be `g = _, _, _`".into());
    }
    if value(model, "e") != EFFECT {
        return Err(format!(
            "policy effect must be `{}`",
            EFFECT.replace('_', ".")
        ));
    }
    check_matcher(value(model, "m"))
}

/// The matcher must be exactly the conjunction of `r.x == p.x` for dom, obj and act and
/// `g(r.sub, p.sub, r.dom)`, in any order: `partition.rs` relies on a line matching
/// exactly when its subject is the request's or one it inherits.
fn check_matcher(matcher: &str) -> Result<(), String> {
    if matcher.contains("||") || matcher.contains('!') {
        return Err("matcher must be a conjunction (&&) without `||` or `!`".into());
    }
    let terms: Vec<String> = matcher
        .split("&&")
        .map(|t| t.split_whitespace().collect())
        .collect();
    let has = |term: &str| terms.iter().any(|t| t == term);
    for field in INDEXED {
        let (a, b) = (
            format!("r_{field}==p_{field}"),
            format!("p_{field}==r_{field}"),
        );
        if !has(&a) && !has(&b) {
            return Err(format!(
                "matcher must contain `r.{field} == p.{field}` as a term"
            ));
        }
    }
    if !has("g(r_sub,p_sub,r_dom)") {
        return Err("matcher must contain `g(r.sub, p.sub, r.dom)` as a term".into());
    }
    if terms.len() != 4 {
        return Err("matcher must have no terms besides the equalities and `g()`".into());
    }
    Ok(())
}

fn assertion<'m>(model: &'m DefaultModel, sec: &str) -> Option<&'m casbin::Assertion> {
    model.get_model().get(sec).and_then(|map| map.get(sec))
}

fn tokens<'m>(model: &'m DefaultModel, sec: &str) -> &'m [String] {
    assertion(model, sec).map_or(&[], |a| a.tokens.as_slice())
}

fn value<'m>(model: &'m DefaultModel, sec: &str) -> &'m str {
    assertion(model, sec).map_or("", |a| a.value.as_str())
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = include_str!("../../../policies/model.conf");

    async fn problem(text: &str) -> String {
        match parse(Path::new("model.conf"), text).await {
            Ok(_) => "accepted".into(),
            Err(e) => e.to_string(),
        }
    }

    #[tokio::test]
    async fn accepts_the_shipped_model() {
        assert_eq!(problem(GOOD).await, "accepted");
    }

    #[tokio::test]
    async fn refuses_models_the_index_cannot_serve() {
        let m = "r.obj == p.obj && r.act == p.act";
        let cases = [
            (m, "keyMatch2(r.obj, p.obj)", "`r.obj == p.obj`"),
            (
                "r.act == p.act",
                "r.act == p.act || r.sub == \"root\"",
                "`||`",
            ),
            (
                "g(r.sub, p.sub, r.dom)",
                "r.sub == p.sub",
                "`g(r.sub, p.sub, r.dom)`",
            ),
            (
                "e = some(where (p.eft == allow)) &&",
                "e = some(where (p.eft == allow)) #",
                "effect",
            ),
            (
                "r = sub, dom, obj, act",
                "r = sub, dom, obj, act, purpose",
                "request definition",
            ),
        ];
        for (from, to, expect) in cases {
            let text = GOOD.replacen(from, to, 1);
            assert_ne!(text, GOOD, "{from}");
            let got = problem(&text).await;
            assert!(got.contains(expect), "{from} -> {to}: {got}");
        }
    }
}
