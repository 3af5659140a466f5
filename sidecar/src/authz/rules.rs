//! Reading the policy CSV: every line checked before Casbin sees it.
//!
//! Casbin's loader is lenient: a `p` line with a field missing is loaded and never
//! matches, an effect spelled `Allow` is neither allow nor deny, quotes are stripped. For
//! an access policy that leniency turns a typo into a silent change of who may see what,
//! so this reader refuses such a file and names the line. The checked rules are also the
//! input of the index in `snapshot.rs`.

use std::collections::HashMap;
use std::path::Path;

use super::error::PolicyError;

/// `p, sub, dom, obj, act, eft`: a permission or prohibition for a role.
#[derive(Debug, Clone)]
pub(crate) struct PolicyRule {
    pub sub: String,
    pub dom: String,
    pub obj: String,
    pub act: String,
    pub eft: String,
}

/// `g, role, inherited, dom`: `role` has the rules of `inherited` within `dom`.
#[derive(Debug, Clone)]
pub(crate) struct RoleRule {
    pub role: String,
    pub inherited: String,
    pub dom: String,
}

/// All rules of a policy file, in file order.
#[derive(Debug, Default)]
pub(crate) struct Rules {
    pub policies: Vec<PolicyRule>,
    pub roles: Vec<RoleRule>,
}

const P_FIELDS: [&str; 6] = ["p", "subject", "organisation", "object", "action", "effect"];
const G_FIELDS: [&str; 4] = ["g", "role", "inherited role", "organisation"];

/// Parses and checks `text`, read from `path`.
pub(crate) fn parse(path: &Path, text: &str) -> Result<Rules, PolicyError> {
    let mut rules = Rules::default();
    let mut seen: HashMap<Vec<&str>, usize> = HashMap::new();
    for (index, raw) in text.lines().enumerate() {
        let line = raw.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let number = index + 1;
        let fields = split(line).map_err(|p| PolicyError::line(path, number, p))?;
        if let Some(first) = seen.insert(fields.clone(), number) {
            return Err(PolicyError::line(
                path,
                number,
                format!("duplicates line {first}"),
            ));
        }
        add(&mut rules, &fields).map_err(|p| PolicyError::line(path, number, p))?;
    }
    if rules.policies.is_empty() {
        return Err(PolicyError::line(path, 1, "the policy has no `p` lines"));
    }
    Ok(rules)
}

/// Splits a line into trimmed fields, refusing what Casbin would read differently.
fn split(line: &str) -> Result<Vec<&str>, String> {
    if line.contains('"') {
        return Err("quotes are not supported in policy fields".into());
    }
    let fields: Vec<&str> = line.split(',').map(str::trim).collect();
    let names: &[&str] = match fields[0] {
        "p" => &P_FIELDS,
        "g" => &G_FIELDS,
        other => return Err(format!("unknown rule type `{other}` (expected `p` or `g`)")),
    };
    if fields.len() != names.len() {
        return Err(format!(
            "`{}` line has {} fields, expected {}: {}",
            fields[0],
            fields.len(),
            names.len(),
            names.join(", ")
        ));
    }
    if let Some(i) = fields.iter().position(|f| f.is_empty()) {
        return Err(format!("field {} ({}) is empty", i + 1, names[i]));
    }
    Ok(fields)
}

/// Adds one split line to `rules`.
fn add(rules: &mut Rules, f: &[&str]) -> Result<(), String> {
    if f[0] == "g" {
        if f[1] == f[2] {
            return Err(format!("role `{}` inherits itself", f[1]));
        }
        let (role, inherited, dom) = (f[1].into(), f[2].into(), f[3].into());
        rules.roles.push(RoleRule {
            role,
            inherited,
            dom,
        });
        return Ok(());
    }
    if f[5] != "allow" && f[5] != "deny" {
        return Err(format!(
            "effect must be `allow` or `deny`, found `{}`",
            f[5]
        ));
    }
    rules.policies.push(PolicyRule {
        sub: f[1].into(),
        dom: f[2].into(),
        obj: f[3].into(),
        act: f[4].into(),
        eft: f[5].into(),
    });
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn problem(text: &str) -> String {
        match parse(Path::new("policy.csv"), text) {
            Ok(_) => String::from("accepted"),
            Err(e) => e.to_string(),
        }
    }

    #[test]
    fn accepts_comments_blank_lines_and_both_kinds() {
        let text = "# c\n\np, arts, ura:1, ecd:Patient, read, allow\ng, a@x, a, ura:1\n";
        let rules = parse(Path::new("p.csv"), text).expect("valid policy");
        assert_eq!(rules.policies.len(), 1);
        assert_eq!(rules.roles.len(), 1);
    }

    #[test]
    fn names_file_line_and_problem() {
        let ok = "p, arts, ura:1, ecd:Patient, read, allow\n";
        assert_eq!(
            problem(&format!("{ok}p, arts, ura:1, ecd:Patient, read\n")),
            "policy.csv:2: `p` line has 5 fields, expected 6: \
             p, subject, organisation, object, action, effect"
        );
        assert_eq!(
            problem(&format!("{ok}p, arts, ura:1, ecd:Patient, read, Allow")),
            "policy.csv:2: effect must be `allow` or `deny`, found `Allow`"
        );
        assert_eq!(
            problem(&format!("{ok}p, arts, , ecd:Patient, read, allow")),
            "policy.csv:2: field 3 (organisation) is empty"
        );
        assert_eq!(
            problem(&format!("{ok}{ok}")),
            "policy.csv:2: duplicates line 1"
        );
        assert_eq!(
            problem(&format!("{ok}x, a, b")),
            "policy.csv:2: unknown rule type `x` (expected `p` or `g`)"
        );
        assert_eq!(
            problem(&format!("{ok}g, a, a, ura:1")),
            "policy.csv:2: role `a` inherits itself"
        );
        assert!(problem(&format!("{ok}p, \"a,b\", ura:1, o, read, allow")).contains("quotes"));
        assert_eq!(
            problem("# only g\ng, a, b, ura:1"),
            "policy.csv:1: the policy has no `p` lines"
        );
    }
}
