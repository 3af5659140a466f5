//! Routes: what a request asks for. Declared in the config as path patterns with named
//! parameters (`/api/clients/{patient}/notes`), a resource name, and which parameter is
//! the patient. Matching runs on the canonical path from `normalize`, never the raw one.

use serde::Deserialize;
use std::collections::BTreeMap;

/// One `[[route]]` of the config.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RouteConfig {
    /// Path pattern: literal segments and `{name}` parameters, e.g. `/api/clients/{patient}/notes`.
    pub pattern: String,
    /// Resource name used in the policy object (`application:resource`).
    pub resource: String,
    /// Methods this route applies to (default: all).
    #[serde(default)]
    pub methods: Vec<String>,
    /// The parameter that holds the patient id, if any.
    #[serde(default)]
    pub patient: Option<String>,
    /// Raw route: the policy action is the HTTP method instead of read/create/...
    #[serde(default)]
    pub raw: bool,
    /// Explicit method -> action mapping, overriding the default.
    #[serde(default)]
    pub actions: BTreeMap<String, String>,
}

/// A route config that cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("route {index} ({pattern:?}): {reason}")]
pub struct RouteError {
    /// 1-based position in the config.
    pub index: usize,
    /// Its pattern.
    pub pattern: String,
    /// What is wrong.
    pub reason: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Segment {
    Literal(String),
    Param(String),
}

#[derive(Debug, Clone)]
struct Route {
    segments: Vec<Segment>,
    cfg: RouteConfig,
}

/// What the request asks for, as the decision and the record need it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RouteMatch {
    /// Resource name.
    pub resource: String,
    /// Policy action: read, search, create, update, delete, or the method for raw routes.
    pub action: String,
    /// NEN 7513 action code.
    pub action_code: zegel_audit::Action,
    /// The patient id from the path, when the route names one.
    pub patient: Option<String>,
    /// The pattern that matched (recorded as the interaction).
    pub pattern: String,
}

/// The compiled route table.
#[derive(Debug, Clone, Default)]
pub struct Routes {
    routes: Vec<Route>,
}

impl Routes {
    /// Compiles the configured routes, refusing ambiguous or malformed patterns.
    pub fn new(cfgs: &[RouteConfig]) -> Result<Routes, RouteError> {
        let mut routes = Vec::with_capacity(cfgs.len());
        for (i, cfg) in cfgs.iter().enumerate() {
            let err = |reason: String| RouteError {
                index: i + 1,
                pattern: cfg.pattern.clone(),
                reason,
            };
            let segments = parse_pattern(&cfg.pattern).map_err(err)?;
            if let Some(p) = &cfg.patient
                && !segments.contains(&Segment::Param(p.clone()))
            {
                return Err(err(format!(
                    "patient parameter {{{p}}} is not in the pattern"
                )));
            }
            for (method, action) in &cfg.actions {
                check_action(method, action).map_err(err)?;
            }
            routes.push(Route {
                segments,
                cfg: cfg.clone(),
            });
        }
        Ok(Routes { routes })
    }

    /// The first route matching `method` and canonical `path`.
    pub fn find(&self, method: &str, path: &str) -> Option<RouteMatch> {
        let segs: Vec<&str> = path.trim_start_matches('/').split('/').collect();
        self.routes.iter().find_map(|r| r.matches(method, &segs))
    }
}

impl Route {
    fn matches(&self, method: &str, segs: &[&str]) -> Option<RouteMatch> {
        let allowed = self.cfg.methods.is_empty()
            || self
                .cfg
                .methods
                .iter()
                .any(|m| m.eq_ignore_ascii_case(method));
        if !allowed || segs.len() != self.segments.len() {
            return None;
        }
        let mut patient = None;
        for (pat, seg) in self.segments.iter().zip(segs) {
            match pat {
                Segment::Literal(l) if l == seg => {}
                Segment::Literal(_) => return None,
                Segment::Param(_) if seg.is_empty() => return None,
                Segment::Param(name) => {
                    if self.cfg.patient.as_deref() == Some(name) {
                        patient = Some(decode_param(seg));
                    }
                }
            }
        }
        let (action, action_code) = self.action(method);
        Some(RouteMatch {
            resource: self.cfg.resource.clone(),
            action,
            action_code,
            patient,
            pattern: self.cfg.pattern.clone(),
        })
    }

    fn action(&self, method: &str) -> (String, zegel_audit::Action) {
        let code = default_action(method).1;
        if let Some(a) = self
            .cfg
            .actions
            .iter()
            .find(|(m, _)| m.eq_ignore_ascii_case(method))
        {
            return (a.1.clone(), action_code(a.1).unwrap_or(code));
        }
        if self.cfg.raw {
            return (method.to_ascii_uppercase(), code);
        }
        let (name, code) = default_action(method);
        (name.to_owned(), code)
    }
}

/// Default policy action and NEN 7513 code of an HTTP method.
pub fn default_action(method: &str) -> (&'static str, zegel_audit::Action) {
    use zegel_audit::Action;
    match method.to_ascii_uppercase().as_str() {
        "GET" | "HEAD" => ("read", Action::R),
        "POST" => ("create", Action::C),
        "PUT" | "PATCH" => ("update", Action::U),
        "DELETE" => ("delete", Action::D),
        _ => ("execute", Action::E),
    }
}

fn action_code(action: &str) -> Option<zegel_audit::Action> {
    use zegel_audit::Action;
    Some(match action {
        "read" => Action::R,
        "search" | "execute" => Action::E,
        "create" => Action::C,
        "update" => Action::U,
        "delete" => Action::D,
        _ => return None,
    })
}

fn check_action(method: &str, action: &str) -> Result<(), String> {
    if action_code(action).is_none() {
        return Err(format!(
            "action {action:?} for {method}: use read, search, create, update, delete or execute"
        ));
    }
    Ok(())
}

fn parse_pattern(p: &str) -> Result<Vec<Segment>, String> {
    let Some(rest) = p.strip_prefix('/') else {
        return Err("must start with '/'".into());
    };
    let mut names = Vec::new();
    rest.split('/')
        .map(|s| {
            if let Some(name) = s.strip_prefix('{').and_then(|s| s.strip_suffix('}')) {
                let ok =
                    !name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
                if !ok || names.contains(&name) {
                    return Err(format!("bad or repeated parameter {{{name}}}"));
                }
                names.push(name);
                Ok(Segment::Param(name.to_owned()))
            } else if s.is_empty() || s.contains(['{', '}', '%', '?', '#']) || s == "." || s == ".."
            {
                Err(format!("segment {s:?} is not a canonical literal"))
            } else {
                Ok(Segment::Literal(s.to_owned()))
            }
        })
        .collect()
}

fn decode_param(seg: &str) -> String {
    percent_encoding::percent_decode_str(seg)
        .decode_utf8_lossy()
        .into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn route(pattern: &str, patient: Option<&str>) -> RouteConfig {
        RouteConfig {
            pattern: pattern.into(),
            resource: "notes".into(),
            methods: vec![],
            patient: patient.map(Into::into),
            raw: false,
            actions: BTreeMap::new(),
        }
    }

    #[test]
    fn params_and_actions() {
        let r = Routes::new(&[route("/api/clients/{patient}/notes", Some("patient"))]).expect("ok");
        let m = r.find("POST", "/api/clients/p%20x/notes").expect("match");
        assert_eq!(
            (m.action.as_str(), m.patient.as_deref()),
            ("create", Some("p x"))
        );
        assert!(r.find("GET", "/api/clients//notes").is_none());
        assert!(r.find("GET", "/api/clients/1/notes/2").is_none());
    }

    #[test]
    fn bad_patterns_are_refused_with_position() {
        let e = Routes::new(&[route("/a/{x}/{x}", None)]).expect_err("repeated");
        assert_eq!(e.index, 1);
        assert!(Routes::new(&[route("a/b", None)]).is_err());
        assert!(Routes::new(&[route("/a/../b", None)]).is_err());
        assert!(Routes::new(&[route("/a/{p}", Some("q"))]).is_err());
    }
}
