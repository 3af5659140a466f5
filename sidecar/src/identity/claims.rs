//! From verified token claims to an [`Identity`], following the configured claim names.
//!
//! Identity providers disagree on where roles live (`roles`, `realm_access.roles`, a
//! space separated `scope`), so names are paths and roles accept both shapes.

use serde_json::Value;

use super::config::ClaimMap;
use super::{Identity, IdentityError, SourceKind};

/// Maps verified claims to an identity; the user id claim must be present.
pub(crate) fn identity(claims: &Value, map: &ClaimMap) -> Result<Identity, IdentityError> {
    let text = |name: &Option<String>| {
        name.as_deref()
            .and_then(|n| lookup(claims, n))
            .and_then(as_text)
    };
    let user_id = lookup(claims, &map.user_id)
        .and_then(as_text)
        .ok_or_else(|| IdentityError::Rejected("missing user id claim".into()))?;
    Ok(Identity {
        user_id,
        user_name: lookup(claims, &map.user_name).and_then(as_text),
        roles: lookup(claims, &map.roles).map(as_list).unwrap_or_default(),
        organisation: text(&map.organisation),
        department: text(&map.department),
        responsible_user: text(&map.responsible_user),
        purpose_of_use: text(&map.purpose_of_use),
        source: SourceKind::Jwt,
    })
}

/// The claim named `path`: a top-level claim of exactly that name (URL-like claim names
/// contain dots), else the dotted path through nested objects.
pub(crate) fn lookup<'a>(claims: &'a Value, path: &str) -> Option<&'a Value> {
    if let Some(v) = claims.get(path) {
        return Some(v);
    }
    path.split('.').try_fold(claims, |v, seg| v.get(seg))
}

/// A string or number claim as text; empty strings count as absent.
fn as_text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) if !s.trim().is_empty() => Some(s.trim().to_owned()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// Roles from an array of strings, or from one string separated by spaces or commas.
fn as_list(v: &Value) -> Vec<String> {
    match v {
        Value::Array(items) => items.iter().filter_map(as_text).collect(),
        Value::String(s) => split_list(s, |c| c == ',' || c.is_whitespace()),
        _ => Vec::new(),
    }
}

/// Splits a list on `sep`, trimming items and dropping empty ones.
pub(crate) fn split_list(s: &str, sep: impl Fn(char) -> bool) -> Vec<String> {
    s.split(sep)
        .map(str::trim)
        .filter(|r| !r.is_empty())
        .map(str::to_owned)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn lookup_prefers_exact_name_then_path() {
        let c = json!({"a.b": 1, "a": {"b": 2, "c": {"d": 3}}});
        assert_eq!(lookup(&c, "a.b"), Some(&json!(1)));
        assert_eq!(lookup(&c, "a.c.d"), Some(&json!(3)));
        assert_eq!(lookup(&c, "a.x"), None);
    }

    #[test]
    fn roles_accept_array_and_separated_string() {
        assert_eq!(as_list(&json!(["arts", "", 7])), vec!["arts", "7"]);
        assert_eq!(
            as_list(&json!("arts, verpleegkundige  admin")),
            vec!["arts", "verpleegkundige", "admin"]
        );
        assert!(as_list(&json!({"x": 1})).is_empty());
    }

    #[test]
    fn identity_needs_a_user_id() {
        let map = ClaimMap::default();
        assert!(identity(&json!({"name": "A"}), &map).is_err());
        let id = identity(&json!({"sub": "u1", "roles": "a b"}), &map).expect("identity");
        assert_eq!((id.user_id.as_str(), id.roles.len()), ("u1", 2));
    }
}
