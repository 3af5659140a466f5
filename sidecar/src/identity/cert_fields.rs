//! Named fields of an X.509 certificate, as the mTLS config writes them.
//!
//! Dutch UZI cards put the UZI number in `subject.serialNumber` and a compound string
//! in a subjectAltName otherName (OID 2.5.5.5):
//! `<OID CA>-<version>-<UZI number>-<card type>-<subscriber (URA)>-<role>-<AGB code>`.
//! `uzi.*` fields read its parts, so the organisation (URA) and role need no parsing
//! upstream.

use x509_parser::asn1_rs::{Any, Class, FromDer, Tag};
use x509_parser::certificate::X509Certificate;
use x509_parser::extensions::GeneralName;

/// The otherName OID of the UZI compound string.
const UZI_OTHER_NAME: &str = "2.5.5.5";
/// The parts of the UZI compound string, in order.
const UZI_PARTS: [&str; 7] = [
    "oid_ca",
    "version",
    "number",
    "card_type",
    "subscriber",
    "role",
    "agb",
];

/// One configured certificate field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum CertField {
    /// A subject attribute, by dotted OID.
    Subject(String),
    /// The first rfc822Name in subjectAltName.
    SanEmail,
    /// The first dNSName in subjectAltName.
    SanDns,
    /// The first URI in subjectAltName.
    SanUri,
    /// The string value of the first otherName with this dotted OID.
    SanOtherName(String),
    /// A part of the UZI otherName, by index in [`UZI_PARTS`].
    Uzi(usize),
}

impl CertField {
    /// Parses `subject.CN`, `san.email`, `uzi.subscriber` and the like.
    pub(crate) fn parse(field: &str) -> Result<Self, String> {
        let unknown = || format!("unknown certificate field {field:?}");
        let (scope, name) = field.split_once('.').ok_or_else(unknown)?;
        match (scope, name) {
            ("subject", attr) => subject_oid(attr).map(Self::Subject).ok_or_else(unknown),
            ("san", "email") => Ok(Self::SanEmail),
            ("san", "dns") => Ok(Self::SanDns),
            ("san", "uri") => Ok(Self::SanUri),
            ("san", other) => other
                .strip_prefix("otherName.")
                .filter(|oid| is_dotted_oid(oid))
                .map(|oid| Self::SanOtherName(oid.to_owned()))
                .ok_or_else(unknown),
            ("uzi", part) => UZI_PARTS
                .iter()
                .position(|p| *p == part)
                .map(Self::Uzi)
                .ok_or_else(unknown),
            _ => Err(unknown()),
        }
    }

    /// The field's value in `cert`, trimmed; `None` when absent or empty.
    pub(crate) fn read(&self, cert: &X509Certificate<'_>) -> Option<String> {
        let value = match self {
            Self::Subject(oid) => subject_attr(cert, oid),
            Self::SanEmail => san(cert, |n| match n {
                GeneralName::RFC822Name(s) => Some((*s).to_owned()),
                _ => None,
            }),
            Self::SanDns => san(cert, |n| match n {
                GeneralName::DNSName(s) => Some((*s).to_owned()),
                _ => None,
            }),
            Self::SanUri => san(cert, |n| match n {
                GeneralName::URI(s) => Some((*s).to_owned()),
                _ => None,
            }),
            Self::SanOtherName(oid) => other_name(cert, oid),
            Self::Uzi(i) => other_name(cert, UZI_OTHER_NAME).and_then(|s| uzi_part(&s, *i)),
        }?;
        let value = value.trim();
        (!value.is_empty()).then(|| value.to_owned())
    }
}

fn subject_oid(attr: &str) -> Option<String> {
    let oid = match attr {
        "CN" | "commonName" => "2.5.4.3",
        "SN" | "surname" => "2.5.4.4",
        "serialNumber" => "2.5.4.5",
        "C" => "2.5.4.6",
        "L" => "2.5.4.7",
        "ST" => "2.5.4.8",
        "O" => "2.5.4.10",
        "OU" => "2.5.4.11",
        "title" => "2.5.4.12",
        "givenName" => "2.5.4.42",
        "organizationIdentifier" => "2.5.4.97",
        "emailAddress" => "1.2.840.113549.1.9.1",
        "UID" => "0.9.2342.19200300.100.1.1",
        dotted if is_dotted_oid(dotted) => dotted,
        _ => return None,
    };
    Some(oid.to_owned())
}

fn is_dotted_oid(s: &str) -> bool {
    s.contains('.')
        && s.split('.')
            .all(|arc| !arc.is_empty() && arc.bytes().all(|b| b.is_ascii_digit()))
}

fn subject_attr(cert: &X509Certificate<'_>, oid: &str) -> Option<String> {
    let attr = cert
        .subject()
        .iter_attributes()
        .find(|a| a.attr_type().to_id_string() == oid)?;
    attr.as_str().ok().map(str::to_owned)
}

fn san(
    cert: &X509Certificate<'_>,
    pick: impl Fn(&GeneralName<'_>) -> Option<String>,
) -> Option<String> {
    let ext = cert.subject_alternative_name().ok().flatten()?;
    ext.value.general_names.iter().find_map(pick)
}

fn other_name(cert: &X509Certificate<'_>, oid: &str) -> Option<String> {
    san(cert, |n| match n {
        GeneralName::OtherName(o, value) if o.to_id_string() == oid => explicit_string(value),
        _ => None,
    })
}

/// The string inside otherName's `[0] EXPLICIT` value (UTF8String, IA5String or
/// PrintableString).
fn explicit_string(der: &[u8]) -> Option<String> {
    let (_, outer) = Any::from_der(der).ok()?;
    if outer.header.class() != Class::ContextSpecific || outer.header.tag() != Tag(0) {
        return None;
    }
    let (_, inner) = Any::from_der(outer.data).ok()?;
    let textual = [Tag::Utf8String, Tag::Ia5String, Tag::PrintableString];
    textual
        .contains(&inner.header.tag())
        .then(|| std::str::from_utf8(inner.data).ok().map(str::to_owned))?
}

fn uzi_part(compound: &str, index: usize) -> Option<String> {
    let parts: Vec<&str> = compound.split('-').collect();
    (parts.len() == UZI_PARTS.len()).then(|| parts[index].to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_field_names() {
        assert_eq!(
            CertField::parse("subject.CN"),
            Ok(CertField::Subject("2.5.4.3".into()))
        );
        assert_eq!(
            CertField::parse("subject.2.5.4.97"),
            Ok(CertField::Subject("2.5.4.97".into()))
        );
        assert_eq!(
            CertField::parse("san.otherName.2.5.5.5"),
            Ok(CertField::SanOtherName("2.5.5.5".into()))
        );
        assert_eq!(CertField::parse("uzi.subscriber"), Ok(CertField::Uzi(4)));
        for bad in [
            "CN",
            "subject.XX",
            "san.ip",
            "uzi.name",
            "issuer.CN",
            "san.otherName.x",
        ] {
            assert!(CertField::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn splits_the_uzi_compound_string() {
        let s = "2.16.528.1.1003.1.3.5.5.2-1-12345678-Z-90000123-01.015-00000000";
        assert_eq!(uzi_part(s, 2).as_deref(), Some("12345678"));
        assert_eq!(uzi_part(s, 4).as_deref(), Some("90000123"));
        assert_eq!(uzi_part(s, 5).as_deref(), Some("01.015"));
        assert_eq!(uzi_part("a-b", 0), None);
    }
}
