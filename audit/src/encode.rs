//! Canonical byte encoding of a record, version 1 (specified in `docs/log-format.md`).
//!
//! Every field is written in a fixed order with an explicit type: integers as 8-byte
//! big-endian, strings as a 4-byte big-endian length then UTF-8 bytes, optional values
//! behind a presence byte (0 absent, 1 present), the role list as a count then strings.
//! So no two different records share an encoding, and absent differs from empty.

use crate::fields::{Fields, Int, Text};
use crate::record::{Event, EventKind};
use std::str::FromStr;

/// First byte of every version-1 encoding.
pub const FORMAT_VERSION: u8 = 1;

/// One field of the encoding after the version byte and the sequence number.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Slot {
    /// The time: 8-byte big-endian.
    Time,
    /// The event kind's name: a string.
    Kind,
    /// An optional text field.
    Text(Text),
    /// The roles: a count, then strings.
    Roles,
    /// The action's name: an optional string.
    Action,
    /// The decision's name: an optional string.
    Decision,
    /// An optional integer field.
    Int(Int),
}

/// Every field of the encoding in order, for encoders that work a field at a time over
/// many records (an archive batch, column by column). [`encode_into`] writes the same
/// order row by row; a test checks that the two agree.
pub const FIELD_ORDER: [Slot; 31] = {
    use Slot::Text as T;
    use Text::*;
    [
        Slot::Time,
        Slot::Kind,
        T(RequestId),
        T(UserId),
        T(UserName),
        Slot::Roles,
        T(Organisation),
        T(Department),
        T(ResponsibleUser),
        T(PurposeOfUse),
        T(AccessPoint),
        T(Application),
        T(Method),
        T(Path),
        T(RawPath),
        T(Interaction),
        Slot::Action,
        T(ResourceType),
        T(ResourceId),
        T(PatientId),
        T(PatientIdSystem),
        Slot::Decision,
        T(Rule),
        T(Reason),
        T(EmergencyJustification),
        T(PolicyVersion),
        Slot::Int(Int::Status),
        Slot::Int(Int::Bytes),
        Slot::Int(Int::DurationUs),
        Slot::Int(Int::LinksSeq),
        T(Detail),
    ]
};

/// Appends the canonical encoding of `(seq, event)` to `out`, reading the event's
/// fields wherever they are held ([`Fields`]).
pub fn encode_into(seq: u64, e: &impl Fields, out: &mut Vec<u8>) {
    use Text::*;
    out.push(FORMAT_VERSION);
    out.extend_from_slice(&seq.to_be_bytes());
    out.extend_from_slice(&e.time_us().to_be_bytes());
    put_str(out, e.kind().as_str());
    for t in [RequestId, UserId, UserName] {
        put_opt_str(out, e.text(t));
    }
    let roles = e.roles();
    put_u32(out, roles.len());
    for r in roles {
        put_str(out, r);
    }
    for t in [
        Organisation,
        Department,
        ResponsibleUser,
        PurposeOfUse,
        AccessPoint,
        Application,
        Method,
        Path,
        RawPath,
        Interaction,
    ] {
        put_opt_str(out, e.text(t));
    }
    put_opt_str(out, e.action().map(|a| a.as_str()));
    for t in [ResourceType, ResourceId, PatientId, PatientIdSystem] {
        put_opt_str(out, e.text(t));
    }
    put_opt_str(out, e.decision().map(|d| d.as_str()));
    for t in [Rule, Reason, EmergencyJustification, PolicyVersion] {
        put_opt_str(out, e.text(t));
    }
    for i in Int::ALL {
        put_opt_int(out, e.int(*i));
    }
    put_opt_str(out, e.text(Detail));
}

/// The canonical encoding of `(seq, event)` as a new vector.
pub fn encode(seq: u64, e: &Event) -> Vec<u8> {
    let mut out = Vec::with_capacity(256);
    encode_into(seq, e, &mut out);
    out
}

/// Appends a 4-byte big-endian length. Lengths above u32::MAX cannot be encoded; the
/// store refuses such values long before (see `Store::append`), so this saturates.
#[inline(always)]
pub(crate) fn put_u32(out: &mut Vec<u8>, n: usize) {
    let n = u32::try_from(n).unwrap_or(u32::MAX);
    out.extend_from_slice(&n.to_be_bytes());
}

#[inline(always)]
pub(crate) fn put_str(out: &mut Vec<u8>, s: &str) {
    put_u32(out, s.len());
    out.extend_from_slice(s.as_bytes());
}

#[inline(always)]
fn put_opt_str(out: &mut Vec<u8>, s: Option<&str>) {
    match s {
        None => out.push(0),
        Some(s) => {
            out.push(1);
            put_str(out, s);
        }
    }
}

#[inline(always)]
fn put_opt_int(out: &mut Vec<u8>, n: Option<i64>) {
    match n {
        None => out.push(0),
        Some(n) => {
            out.push(1);
            out.extend_from_slice(&n.to_be_bytes());
        }
    }
}

/// Why bytes are not a valid version-1 encoding.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DecodeError {
    /// The first byte is not [`FORMAT_VERSION`].
    #[error("unsupported format version {0}")]
    Version(u8),
    /// The bytes end inside a field.
    #[error("truncated at byte {0}")]
    Truncated(usize),
    /// A presence byte other than 0 or 1.
    #[error("bad presence byte {value} at byte {at}")]
    Presence {
        /// Offset of the byte.
        at: usize,
        /// Its value.
        value: u8,
    },
    /// A string that is not UTF-8.
    #[error("invalid UTF-8 in string at byte {0}")]
    Utf8(usize),
    /// An enum field with an unknown name.
    #[error("{0}")]
    Unknown(#[from] crate::record::UnknownValue),
    /// Bytes left after the last field.
    #[error("{0} trailing bytes")]
    Trailing(usize),
}

/// Decodes a version-1 encoding back into `(seq, event)`. The inverse of [`encode`].
pub fn decode(bytes: &[u8]) -> Result<(u64, Event), DecodeError> {
    let mut r = Reader { b: bytes, at: 0 };
    let v = r.u8()?;
    if v != FORMAT_VERSION {
        return Err(DecodeError::Version(v));
    }
    let seq = u64::from_be_bytes(r.array()?);
    let time_us = i64::from_be_bytes(r.array()?);
    let kind = EventKind::from_str(&r.str()?)?;
    let mut e = Event::new(kind, time_us);
    e.request_id = r.opt_str()?;
    e.user_id = r.opt_str()?;
    e.user_name = r.opt_str()?;
    let n = u32::from_be_bytes(r.array()?);
    for _ in 0..n {
        e.roles.push(r.str()?);
    }
    for f in [
        &mut e.organisation,
        &mut e.department,
        &mut e.responsible_user,
        &mut e.purpose_of_use,
        &mut e.access_point,
        &mut e.application,
        &mut e.method,
        &mut e.path,
        &mut e.raw_path,
        &mut e.interaction,
    ] {
        *f = r.opt_str()?;
    }
    e.action = r.opt_str()?.map(|s| s.parse()).transpose()?;
    for f in [
        &mut e.resource_type,
        &mut e.resource_id,
        &mut e.patient_id,
        &mut e.patient_id_system,
    ] {
        *f = r.opt_str()?;
    }
    e.decision = r.opt_str()?.map(|s| s.parse()).transpose()?;
    for f in [
        &mut e.rule,
        &mut e.reason,
        &mut e.emergency_justification,
        &mut e.policy_version,
    ] {
        *f = r.opt_str()?;
    }
    for f in [
        &mut e.status,
        &mut e.bytes,
        &mut e.duration_us,
        &mut e.links_seq,
    ] {
        *f = r.opt_int()?;
    }
    e.detail = r.opt_str()?;
    match bytes.len() - r.at {
        0 => Ok((seq, e)),
        n => Err(DecodeError::Trailing(n)),
    }
}

struct Reader<'a> {
    b: &'a [u8],
    at: usize,
}

impl Reader<'_> {
    fn take(&mut self, n: usize) -> Result<&[u8], DecodeError> {
        let end = self.at.checked_add(n).filter(|&e| e <= self.b.len());
        let end = end.ok_or(DecodeError::Truncated(self.at))?;
        let s = &self.b[self.at..end];
        self.at = end;
        Ok(s)
    }
    fn u8(&mut self) -> Result<u8, DecodeError> {
        Ok(self.take(1)?[0])
    }
    fn array<const N: usize>(&mut self) -> Result<[u8; N], DecodeError> {
        let mut a = [0u8; N];
        a.copy_from_slice(self.take(N)?);
        Ok(a)
    }
    fn str(&mut self) -> Result<String, DecodeError> {
        let len = u32::from_be_bytes(self.array()?) as usize;
        let at = self.at;
        let s = self.take(len)?;
        String::from_utf8(s.to_vec()).map_err(|_| DecodeError::Utf8(at))
    }
    fn present(&mut self) -> Result<bool, DecodeError> {
        let at = self.at;
        match self.u8()? {
            0 => Ok(false),
            1 => Ok(true),
            value => Err(DecodeError::Presence { at, value }),
        }
    }
    fn opt_str(&mut self) -> Result<Option<String>, DecodeError> {
        if self.present()? {
            self.str().map(Some)
        } else {
            Ok(None)
        }
    }
    fn opt_int(&mut self) -> Result<Option<i64>, DecodeError> {
        if self.present()? {
            Ok(Some(i64::from_be_bytes(self.array()?)))
        } else {
            Ok(None)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::record::{Action, Decision};

    /// [`encode_into`] driven by [`FIELD_ORDER`]: slower (a match per field), and the
    /// reference the order is checked against.
    fn encode_in_field_order(seq: u64, e: &impl Fields, out: &mut Vec<u8>) {
        out.push(FORMAT_VERSION);
        out.extend_from_slice(&seq.to_be_bytes());
        for slot in FIELD_ORDER {
            match slot {
                Slot::Time => out.extend_from_slice(&e.time_us().to_be_bytes()),
                Slot::Kind => put_str(out, e.kind().as_str()),
                Slot::Text(t) => put_opt_str(out, e.text(t)),
                Slot::Roles => {
                    let roles = e.roles();
                    put_u32(out, roles.len());
                    roles.for_each(|r| put_str(out, r));
                }
                Slot::Action => put_opt_str(out, e.action().map(|a| a.as_str())),
                Slot::Decision => put_opt_str(out, e.decision().map(|d| d.as_str())),
                Slot::Int(i) => put_opt_int(out, e.int(i)),
            }
        }
    }

    fn full() -> Event {
        let mut e = Event::new(EventKind::Access, 1_700_000_000_000_000);
        for (i, t) in Text::ALL.iter().enumerate() {
            let v = format!("{}-{i}", t.name());
            match *t {
                Text::RequestId => e.request_id = Some(v),
                Text::UserId => e.user_id = Some(v),
                Text::UserName => e.user_name = Some(v),
                Text::Organisation => e.organisation = Some(v),
                Text::Department => e.department = Some(v),
                Text::ResponsibleUser => e.responsible_user = Some(v),
                Text::PurposeOfUse => e.purpose_of_use = Some(v),
                Text::AccessPoint => e.access_point = Some(v),
                Text::Application => e.application = Some(v),
                Text::Method => e.method = Some(v),
                Text::Path => e.path = Some(v),
                Text::RawPath => e.raw_path = Some(v),
                Text::Interaction => e.interaction = Some(v),
                Text::ResourceType => e.resource_type = Some(v),
                Text::ResourceId => e.resource_id = Some(v),
                Text::PatientId => e.patient_id = Some(v),
                Text::PatientIdSystem => e.patient_id_system = Some(v),
                Text::Rule => e.rule = Some(v),
                Text::Reason => e.reason = Some(v),
                Text::EmergencyJustification => e.emergency_justification = Some(v),
                Text::PolicyVersion => e.policy_version = Some(v),
                Text::Detail => e.detail = Some(v),
            }
        }
        e.roles = vec!["arts".into(), "verpleegkundige".into()];
        e.action = Some(Action::R);
        e.decision = Some(Decision::Allow);
        (e.status, e.bytes, e.duration_us, e.links_seq) = (Some(200), Some(-1), Some(3), Some(4));
        e
    }

    #[test]
    fn field_order_is_the_order_encode_into_writes() {
        let every_field_distinct = full();
        let none = Event::new(EventKind::Stop, -5);
        let mut some = full();
        (some.user_name, some.decision, some.bytes, some.detail) = (None, None, None, None);
        some.roles.clear();
        for e in [&every_field_distinct, &none, &some] {
            let (mut a, mut b) = (Vec::new(), Vec::new());
            encode_into(7, e, &mut a);
            encode_in_field_order(7, e, &mut b);
            assert_eq!(a, b, "{e:?}");
        }
        let every_text = FIELD_ORDER.iter().filter(|s| matches!(s, Slot::Text(_)));
        assert_eq!(every_text.count(), Text::ALL.len());
        let every_int = FIELD_ORDER.iter().filter(|s| matches!(s, Slot::Int(_)));
        assert_eq!(every_int.count(), Int::ALL.len());
    }
}
