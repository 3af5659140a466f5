//! Trusted identity headers from a gateway that already authenticated the user (for
//! example a regional viewer's `X-ZV-Subject-*` headers).
//!
//! Such headers are only as good as the network they come from: the source applies only
//! when the user-id header is present *and* the peer address is in `trusted_networks`.
//! From anyone else they are ignored here and stripped before forwarding.
//!
//! Values are read as UTF-8, or with `encoding = "percent"` percent-decoded first (each
//! role after splitting on `,`); a value that does not decode, or decodes to a control
//! character, rejects the request (401) rather than being recorded garbled.

use std::net::IpAddr;

use http::{HeaderMap, HeaderName};
use ipnet::IpNet;

use super::claims::split_list;
use super::config::{HeaderEncoding, HeadersConfig};
use super::{Identity, IdentityError, PeerInfo, SourceKind};

/// A configured trusted-headers source.
pub(crate) struct HeaderSource {
    trusted: Vec<IpNet>,
    user_id: HeaderName,
    user_name: Option<HeaderName>,
    roles: Option<HeaderName>,
    organisation: Option<HeaderName>,
    department: Option<HeaderName>,
    responsible_user: Option<HeaderName>,
    purpose_of_use: Option<HeaderName>,
    encoding: HeaderEncoding,
}

impl HeaderSource {
    /// Checks the config: at least one network, valid header names.
    pub(crate) fn new(cfg: &HeadersConfig) -> Result<Self, String> {
        if cfg.trusted_networks.is_empty() {
            return Err("trusted_networks must not be empty".into());
        }
        let opt = |n: &Option<String>| n.as_deref().map(header_name).transpose();
        Ok(Self {
            trusted: cfg.trusted_networks.clone(),
            user_id: header_name(&cfg.user_id)?,
            user_name: opt(&cfg.user_name)?,
            roles: opt(&cfg.roles)?,
            organisation: opt(&cfg.organisation)?,
            department: opt(&cfg.department)?,
            responsible_user: opt(&cfg.responsible_user)?,
            purpose_of_use: opt(&cfg.purpose_of_use)?,
            encoding: cfg.encoding,
        })
    }

    /// Every header this source reads (all are stripped inbound).
    pub(crate) fn names(&self) -> impl Iterator<Item = &HeaderName> {
        let optional = [
            &self.user_name,
            &self.roles,
            &self.organisation,
            &self.department,
            &self.responsible_user,
            &self.purpose_of_use,
        ];
        std::iter::once(&self.user_id).chain(optional.into_iter().flatten())
    }

    /// `None` unless the user-id header is present and the peer is trusted.
    pub(crate) fn identify(
        &self,
        headers: &HeaderMap,
        peer: &PeerInfo,
    ) -> Option<Result<Identity, IdentityError>> {
        if !headers.contains_key(&self.user_id) {
            return None;
        }
        if !self.is_trusted(peer.addr.ip()) {
            tracing::debug!(peer = %peer.addr, "identity headers from an untrusted peer ignored");
            return None;
        }
        Some(self.read(headers))
    }

    fn is_trusted(&self, ip: IpAddr) -> bool {
        // An IPv4 client on a dual-stack socket shows up as ::ffff:a.b.c.d.
        let ip = ip.to_canonical();
        self.trusted.iter().any(|net| net.contains(&ip))
    }

    fn read(&self, headers: &HeaderMap) -> Result<Identity, IdentityError> {
        let value = |name: &HeaderName| -> Result<Option<String>, IdentityError> {
            single(headers, name)?
                .map(|v| self.decode(name, &v))
                .transpose()
                .map(|v| v.filter(|v| !v.is_empty()))
        };
        let get = |name: &Option<HeaderName>| name.as_ref().map_or(Ok(None), value);
        let user_id = value(&self.user_id)?.ok_or_else(|| rejected("empty user id header"))?;
        let roles = match &self.roles {
            Some(name) => self.roles(headers, name)?,
            None => Vec::new(),
        };
        Ok(Identity {
            user_id,
            user_name: get(&self.user_name)?,
            roles,
            organisation: get(&self.organisation)?,
            department: get(&self.department)?,
            responsible_user: get(&self.responsible_user)?,
            purpose_of_use: get(&self.purpose_of_use)?,
            source: SourceKind::Headers,
        })
    }

    /// The comma-separated roles of header `name`, each decoded on its own (an encoded
    /// `,` stays inside its role); empty ones are dropped.
    fn roles(&self, headers: &HeaderMap, name: &HeaderName) -> Result<Vec<String>, IdentityError> {
        let Some(list) = single(headers, name)? else {
            return Ok(Vec::new());
        };
        let mut roles = Vec::new();
        for raw in split_list(&list, |c| c == ',') {
            let role = self.decode(name, &raw)?;
            if !role.is_empty() {
                roles.push(role);
            }
        }
        Ok(roles)
    }

    /// A value as the gateway meant it (see [`HeaderEncoding`]), trimmed.
    fn decode(&self, name: &HeaderName, value: &str) -> Result<String, IdentityError> {
        let HeaderEncoding::Percent = self.encoding else {
            return Ok(value.to_owned());
        };
        let bad = |what: &str| IdentityError::Rejected(format!("identity header {name}: {what}"));
        let bytes = value.as_bytes();
        let hex = |i: usize| bytes.get(i).is_some_and(u8::is_ascii_hexdigit);
        // `percent_decode` passes a stray `%` through; a gateway that encodes never sends
        // one, so it is refused.
        if (0..bytes.len()).any(|i| bytes[i] == b'%' && !(hex(i + 1) && hex(i + 2))) {
            return Err(bad("'%' not followed by two hex digits"));
        }
        let text = percent_encoding::percent_decode(bytes)
            .decode_utf8()
            .map_err(|_| bad("percent-decoded value is not UTF-8"))?;
        if text.chars().any(char::is_control) {
            return Err(bad("percent-decoded value holds a control character"));
        }
        Ok(text.trim().to_owned())
    }
}

/// The one value of a header, trimmed; a repeated identity header is refused.
fn single(headers: &HeaderMap, name: &HeaderName) -> Result<Option<String>, IdentityError> {
    let mut values = headers.get_all(name).iter();
    let Some(value) = values.next() else {
        return Ok(None);
    };
    if values.next().is_some() {
        return Err(rejected("repeated identity header"));
    }
    let text = std::str::from_utf8(value.as_bytes())
        .map_err(|_| rejected("identity header is not UTF-8"))?;
    let text = text.trim();
    Ok((!text.is_empty()).then(|| text.to_owned()))
}

/// Parses a configured header name.
pub(crate) fn header_name(name: &str) -> Result<HeaderName, String> {
    HeaderName::from_bytes(name.trim().as_bytes())
        .map_err(|_| format!("invalid header name {name:?}"))
}

fn rejected(reason: &str) -> IdentityError {
    IdentityError::Rejected(reason.to_owned())
}
