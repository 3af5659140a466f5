//! Identity from the TLS client certificate (e.g. a UZI card or UZI server certificate).
//!
//! The TLS layer has already verified the chain against the configured CAs; this source
//! only reads the configured fields of the leaf. It applies whenever a client
//! certificate was presented, so a certificate without the user-id field is a 401,
//! not a fall-through to a weaker source.

use x509_parser::parse_x509_certificate;

use super::cert_fields::CertField;
use super::config::MtlsConfig;
use super::{Identity, IdentityError, PeerInfo, SourceKind};

/// A configured client-certificate source.
pub(crate) struct MtlsSource {
    user_id: CertField,
    user_name: Option<CertField>,
    organisation: Option<CertField>,
    department: Option<CertField>,
    roles: Vec<String>,
    roles_field: Option<CertField>,
}

impl MtlsSource {
    /// Checks that every configured field name is known.
    pub(crate) fn new(cfg: &MtlsConfig) -> Result<Self, String> {
        let opt = |f: &Option<String>| f.as_deref().map(CertField::parse).transpose();
        Ok(Self {
            user_id: CertField::parse(&cfg.user_id_field)?,
            user_name: opt(&cfg.user_name_field)?,
            organisation: opt(&cfg.organisation_field)?,
            department: opt(&cfg.department_field)?,
            roles: cfg
                .roles
                .iter()
                .map(|r| r.trim().to_owned())
                .filter(|r| !r.is_empty())
                .collect(),
            roles_field: opt(&cfg.roles_field)?,
        })
    }

    /// `None` without a client certificate; otherwise the verdict on its leaf.
    pub(crate) fn identify(&self, peer: &PeerInfo) -> Option<Result<Identity, IdentityError>> {
        let leaf = peer.client_certs.as_ref()?.first()?;
        Some(self.read(leaf.as_ref()))
    }

    fn read(&self, der: &[u8]) -> Result<Identity, IdentityError> {
        let (_, cert) =
            parse_x509_certificate(der).map_err(|_| rejected("unreadable client certificate"))?;
        let field = |f: &Option<CertField>| f.as_ref().and_then(|f| f.read(&cert));
        let user_id = self
            .user_id
            .read(&cert)
            .ok_or_else(|| rejected("client certificate lacks the user id field"))?;
        let mut roles = self.roles.clone();
        roles.extend(field(&self.roles_field));
        Ok(Identity {
            user_id,
            user_name: field(&self.user_name),
            roles,
            organisation: field(&self.organisation),
            department: field(&self.department),
            responsible_user: None,
            purpose_of_use: None,
            source: SourceKind::Mtls,
        })
    }
}

fn rejected(reason: &str) -> IdentityError {
    IdentityError::Rejected(reason.to_owned())
}
