//! The verified identity, handed to the upstream app in configured headers.
//!
//! Values are UTF-8, percent-encoded outside printable ASCII and for `%` itself (and `,`
//! inside one role, since roles are joined with commas): a display name such as
//! "Zoë" survives servers that read header bytes as Latin-1, and no value can smuggle a
//! line break into the upstream request.

use http::{HeaderMap, HeaderName, HeaderValue};
use percent_encoding::{AsciiSet, CONTROLS, utf8_percent_encode};

use super::Identity;
use super::config::ForwardConfig;
use super::headers::header_name;

const VALUE: &AsciiSet = &CONTROLS.add(b'%');
const ROLE: &AsciiSet = &VALUE.add(b',');

/// Writes the identity headers.
pub(crate) struct Forwarder {
    enabled: bool,
    names: [HeaderName; 8],
    strip_authorization: bool,
}

impl Forwarder {
    /// Checks the header names (and that they differ).
    pub(crate) fn new(cfg: &ForwardConfig) -> Result<Self, String> {
        let names = [
            &cfg.user_id,
            &cfg.user_name,
            &cfg.roles,
            &cfg.organisation,
            &cfg.department,
            &cfg.responsible_user,
            &cfg.purpose_of_use,
            &cfg.source,
        ]
        .map(|n| header_name(n));
        let names = names.into_iter().collect::<Result<Vec<_>, _>>()?;
        if (1..names.len()).any(|i| names[..i].contains(&names[i])) {
            return Err("the forward headers must all differ".into());
        }
        let names = names
            .try_into()
            .map_err(|_| "forward header count".to_owned())?;
        Ok(Self {
            enabled: cfg.enabled,
            names,
            strip_authorization: cfg.strip_authorization,
        })
    }

    /// The forward headers (stripped from every inbound request).
    pub(crate) fn names(&self) -> &[HeaderName] {
        &self.names
    }

    /// Whether `Authorization` is removed before forwarding.
    pub(crate) fn strip_authorization(&self) -> bool {
        self.strip_authorization
    }

    /// Replaces the forward headers with the values of `id`.
    pub(crate) fn apply(&self, id: &Identity, headers: &mut HeaderMap) {
        for name in &self.names {
            headers.remove(name);
        }
        if !self.enabled {
            return;
        }
        for (name, value) in self.names.iter().zip(encoded_values(id)) {
            let Some(value) = value else { continue };
            match HeaderValue::from_str(&value) {
                Ok(v) => {
                    headers.insert(name, v);
                }
                Err(_) => tracing::warn!(header = %name, "identity value not forwardable"),
            }
        }
    }
}

/// The header values of `id`, in the order of `Forwarder::names`.
fn encoded_values(id: &Identity) -> [Option<String>; 8] {
    let enc = |v: &str| utf8_percent_encode(v, VALUE).to_string();
    let roles: Vec<String> = id
        .roles
        .iter()
        .map(|r| utf8_percent_encode(r, ROLE).to_string())
        .collect();
    [
        Some(enc(&id.user_id)),
        id.user_name.as_deref().map(enc),
        (!roles.is_empty()).then(|| roles.join(",")),
        id.organisation.as_deref().map(enc),
        id.department.as_deref().map(enc),
        id.responsible_user.as_deref().map(enc),
        id.purpose_of_use.as_deref().map(enc),
        Some(id.source.as_str().to_owned()),
    ]
}
