//! What the deployment trusts: the ordered `[[identity]]` sources and the headers that
//! carry the verified identity upstream.
//!
//! These types only describe; `Identifier::new` turns them into sources and rejects a
//! wrong value (a header name with a space, an HS256 algorithm, both a JWKS URL and a
//! file) before the first request, saying which source is wrong.

use std::path::PathBuf;

use jsonwebtoken::Algorithm;
use serde::{Deserialize, Deserializer};

/// One identity source, tried in config order.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum IdentityConfig {
    /// A JWT bearer token in `Authorization`.
    Jwt(JwtConfig),
    /// Headers set by a gateway that already authenticated the user.
    Headers(HeadersConfig),
    /// The verified TLS client certificate.
    Mtls(MtlsConfig),
}

impl IdentityConfig {
    /// The `kind` name as written in the config.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::Jwt(_) => "jwt",
            Self::Headers(_) => "headers",
            Self::Mtls(_) => "mtls",
        }
    }
}

/// JWT bearer tokens, verified with keys from a JWKS URL or file.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct JwtConfig {
    /// Required `iss`.
    pub issuer: String,
    /// Accepted `aud` values (one is enough); a single string is accepted too.
    #[serde(deserialize_with = "one_or_many")]
    pub audience: Vec<String>,
    /// JWKS URL (https, or http to a loopback address). Exactly one of url and file.
    #[serde(default)]
    pub jwks_url: Option<String>,
    /// JWKS file, read once at start.
    #[serde(default)]
    pub jwks_file: Option<PathBuf>,
    /// Allowed signature algorithms; symmetric (HS*) ones are refused.
    #[serde(default = "default_algorithms")]
    pub algorithms: Vec<Algorithm>,
    /// Clock skew allowed on `exp` and `nbf`, in seconds (at most 300).
    #[serde(default = "default_leeway")]
    pub leeway_seconds: u64,
    /// Minimum time between two JWKS fetches, in seconds.
    #[serde(default = "default_min_refresh")]
    pub jwks_min_refresh_seconds: u64,
    /// Cached keys are never used when older than this, in seconds; from three quarters
    /// of it on they are fetched again in the background (requests do not wait).
    #[serde(default = "default_max_age")]
    pub jwks_max_age_seconds: u64,
    /// Timeout of one JWKS fetch, in milliseconds.
    #[serde(default = "default_timeout_ms")]
    pub jwks_timeout_ms: u64,
    /// Bytes (estimated) of verified tokens to remember, so a repeated token is not
    /// verified again while it is valid and its key is published; 0 turns this off.
    #[serde(default = "default_verified_cache_bytes")]
    pub verified_cache_bytes: u64,
    /// Which claims hold the identity fields.
    #[serde(default)]
    pub claims: ClaimMap,
}

/// Claim names for the identity fields. A name with dots (`realm_access.roles`) is a
/// path into nested objects, unless a top-level claim has exactly that name.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ClaimMap {
    /// User id claim (required in every token).
    pub user_id: String,
    /// Display name claim.
    pub user_name: String,
    /// Roles claim: an array of strings, or one string separated by spaces or commas.
    pub roles: String,
    /// Organisation claim (URA or AGB code).
    pub organisation: Option<String>,
    /// Department claim.
    pub department: Option<String>,
    /// Responsible user claim (on whose behalf).
    pub responsible_user: Option<String>,
    /// Purpose of use claim.
    pub purpose_of_use: Option<String>,
}

impl Default for ClaimMap {
    fn default() -> Self {
        Self {
            user_id: "sub".into(),
            user_name: "name".into(),
            roles: "roles".into(),
            organisation: None,
            department: None,
            responsible_user: None,
            purpose_of_use: None,
        }
    }
}

/// Identity headers from a gateway, honoured only from `trusted_networks`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HeadersConfig {
    /// Networks (CIDR, or single addresses) the gateway connects from.
    #[serde(deserialize_with = "networks")]
    pub trusted_networks: Vec<ipnet::IpNet>,
    /// Header with the user id (required; its presence makes this source apply).
    pub user_id: String,
    /// Header with the display name.
    #[serde(default)]
    pub user_name: Option<String>,
    /// Header with comma separated roles.
    #[serde(default)]
    pub roles: Option<String>,
    /// Header with the organisation.
    #[serde(default)]
    pub organisation: Option<String>,
    /// Header with the department.
    #[serde(default)]
    pub department: Option<String>,
    /// Header with the responsible user.
    #[serde(default)]
    pub responsible_user: Option<String>,
    /// Header with the purpose of use.
    #[serde(default)]
    pub purpose_of_use: Option<String>,
    /// How the gateway writes values: `raw` (UTF-8 as sent, the default) or `percent`
    /// (UTF-8 percent-encoded, roles split on `,` before decoding: what zegel's own
    /// `[forward]` headers send, so one zegel can trust another's).
    #[serde(default)]
    pub encoding: HeaderEncoding,
}

/// How a gateway encodes identity header values.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum HeaderEncoding {
    /// The value's bytes are its UTF-8 text.
    #[default]
    Raw,
    /// `%XX` sequences are decoded; the result must be UTF-8 without control characters.
    Percent,
}

/// Identity from the verified TLS client certificate (e.g. a UZI card).
///
/// Fields: `subject.<attr>` (CN, O, OU, serialNumber, title, givenName, surname, C, L,
/// ST, emailAddress, UID or a dotted OID), `san.email`, `san.dns`, `san.uri`,
/// `san.otherName.<oid>`, and `uzi.<part>` (number, card_type, subscriber, role, agb)
/// from the UZI otherName `2.5.5.5`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MtlsConfig {
    /// Field with the user id.
    pub user_id_field: String,
    /// Field with the display name.
    #[serde(default)]
    pub user_name_field: Option<String>,
    /// Field with the organisation.
    #[serde(default)]
    pub organisation_field: Option<String>,
    /// Field with the department.
    #[serde(default)]
    pub department_field: Option<String>,
    /// Roles given to every user of this source.
    #[serde(default)]
    pub roles: Vec<String>,
    /// Field with one more role (e.g. `uzi.role`).
    #[serde(default)]
    pub roles_field: Option<String>,
}

/// Headers that carry the verified identity to the upstream app. Clients can never set
/// them: they are removed from every inbound request.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ForwardConfig {
    /// Add the identity headers upstream (they are stripped inbound either way).
    pub enabled: bool,
    /// User id header.
    pub user_id: String,
    /// Display name header.
    pub user_name: String,
    /// Roles header (comma separated).
    pub roles: String,
    /// Organisation header.
    pub organisation: String,
    /// Department header.
    pub department: String,
    /// Responsible user header.
    pub responsible_user: String,
    /// Purpose of use header.
    pub purpose_of_use: String,
    /// Header naming the source kind (`jwt`, `headers`, `mtls`).
    pub source: String,
    /// Remove `Authorization` before forwarding (kept by default: the app may need it).
    pub strip_authorization: bool,
}

impl Default for ForwardConfig {
    fn default() -> Self {
        Self {
            enabled: true,
            user_id: "X-Zegel-User-Id".into(),
            user_name: "X-Zegel-User-Name".into(),
            roles: "X-Zegel-Roles".into(),
            organisation: "X-Zegel-Organisation".into(),
            department: "X-Zegel-Department".into(),
            responsible_user: "X-Zegel-Responsible-User".into(),
            purpose_of_use: "X-Zegel-Purpose-Of-Use".into(),
            source: "X-Zegel-Identity-Source".into(),
            strip_authorization: false,
        }
    }
}

/// A wrong identity config, naming the source (by its index in `[[identity]]`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConfigError {
    /// One source is wrong.
    #[error("identity[{index}] (kind = \"{kind}\"): {reason}")]
    Source {
        /// Position in the `[[identity]]` array, from 0.
        index: usize,
        /// The source kind.
        kind: &'static str,
        /// What is wrong.
        reason: String,
    },
    /// The forward headers are wrong.
    #[error("identity forward headers: {0}")]
    Forward(String),
}

fn default_algorithms() -> Vec<Algorithm> {
    vec![Algorithm::RS256, Algorithm::ES256, Algorithm::EdDSA]
}

fn default_leeway() -> u64 {
    30
}

fn default_min_refresh() -> u64 {
    60
}

fn default_max_age() -> u64 {
    3600
}

fn default_verified_cache_bytes() -> u64 {
    4 * 1024 * 1024
}

fn default_timeout_ms() -> u64 {
    5000
}

fn one_or_many<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum OneOrMany {
        One(String),
        Many(Vec<String>),
    }
    Ok(match OneOrMany::deserialize(d)? {
        OneOrMany::One(s) => vec![s],
        OneOrMany::Many(v) => v,
    })
}

/// CIDR networks, or bare addresses as single-host networks (ipnet's serde feature is
/// not enabled in this workspace, and a bare address is the common way to write one).
fn networks<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<ipnet::IpNet>, D::Error> {
    let raw = Vec::<String>::deserialize(d)?;
    raw.iter()
        .map(|s| parse_network(s).map_err(serde::de::Error::custom))
        .collect()
}

fn parse_network(s: &str) -> Result<ipnet::IpNet, String> {
    let s = s.trim();
    s.parse::<ipnet::IpNet>()
        .or_else(|_| s.parse::<std::net::IpAddr>().map(ipnet::IpNet::from))
        .map_err(|_| format!("not a network or address: {s:?}"))
}
