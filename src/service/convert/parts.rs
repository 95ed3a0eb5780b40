//! The parts every resource's conversion is built from: ids, timestamps,
//! dates, pages and enums in requests and answers, parsing several fields
//! at once, and update masks.

use chrono::NaiveDate;
use prost_types::{FieldMask, Timestamp};
use uuid::Uuid;

use crate::app::{PageRequest, check_page_token};
use crate::domain::{Editable, Meta, Patch, fields};
use crate::error::{Error, Result, Violations};
use crate::pb;

/// Timestamp of microseconds since the Unix epoch.
pub fn timestamp(micros: i64) -> Option<Timestamp> {
    Some(Timestamp {
        seconds: micros.div_euclid(1_000_000),
        nanos: (micros.rem_euclid(1_000_000) * 1000) as i32,
    })
}

/// Microseconds since the Unix epoch of a valid timestamp.
pub fn micros(ts: &Timestamp) -> Result<i64, String> {
    let valid_nanos = (0..1_000_000_000).contains(&ts.nanos);
    ts.seconds
        .checked_mul(1_000_000)
        .and_then(|us| us.checked_add(i64::from(ts.nanos / 1000)))
        .filter(|_| valid_nanos)
        .ok_or_else(|| "must be a valid timestamp".to_owned())
}

/// The message of a required request field.
pub fn required<T>(message: Option<T>, field: &str) -> Result<T> {
    message.ok_or_else(|| Error::invalid(field, "is required"))
}

/// A required id in a request.
pub fn id(value: &str, field: &str) -> Result<Uuid> {
    fields::id(value).map_err(|e| Error::invalid(field, e))
}

/// An optional id in a request: empty means none.
pub fn optional_id(value: &str, field: &str) -> Result<Option<Uuid>> {
    match value {
        "" => Ok(None),
        given => id(given, field).map(Some),
    }
}

/// Every value of a request's fields parsed one by one, or every violation
/// they found: `all((id(..), page(..)))?` names a bad id and a bad page size
/// together, where `?` on each would stop at the first.
pub fn all<P: Parsed>(parsed: P) -> Result<P::Values> {
    parsed.all()
}

/// Parses of several fields of one request ([`all`]).
pub trait Parsed {
    /// The parsed values.
    type Values;
    /// Every value, or every violation.
    fn all(self) -> Result<Self::Values>;
}

macro_rules! parsed_tuple {
    ($($value:ident: $type:ident),+) => {
        impl<$($type),+> Parsed for ($(Result<$type>,)+) {
            type Values = ($($type,)+);
            fn all(self) -> Result<Self::Values> {
                match self {
                    ($(Ok($value),)+) => Ok(($($value,)+)),
                    ($($value,)+) => Err(merged([$($value.err(),)+].into_iter().flatten())),
                }
            }
        }
    };
}
parsed_tuple!(a: A, b: B);
parsed_tuple!(a: A, b: B, c: C);
parsed_tuple!(a: A, b: B, c: C, d: D);

/// One error for several failed parses: all their violations, or the first
/// error that is not about fields.
fn merged(errors: impl Iterator<Item = Error>) -> Error {
    let mut violations = Vec::new();
    for error in errors {
        match error {
            Error::InvalidFields(found) => violations.extend(found),
            other => return other,
        }
    }
    Error::InvalidFields(violations)
}

/// Bytes as lowercase hex digits, as `sha256sum` prints a digest.
pub fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    let mut out = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        let _ = write!(out, "{b:02x}");
    }
    out
}

/// The id of a client in a request; empty means the caller.
pub fn client_or_caller(value: &str, field: &str, caller: Uuid) -> Result<Uuid> {
    id_or_caller(value, caller).map_err(|e| Error::invalid(field, e))
}

/// As [`client_or_caller`], for a field among others ([`Violations`]):
/// what is wrong with it, without its path.
pub fn id_or_caller(value: &str, caller: Uuid) -> std::result::Result<Uuid, String> {
    match value {
        "" => Ok(caller),
        given => fields::id(given),
    }
}

/// The page a list request asks for.
pub fn page(size: i32, token: &str) -> Result<PageRequest<'_>> {
    let mut check = Violations::new();
    let size = check.check("page_size", fields::page_size(size));
    check.check("page_token", check_page_token(token));
    check.finish()?;
    Ok(PageRequest { size, token })
}

/// Optional date in a request.
pub fn optional_date(value: &str, field: &str) -> Result<Option<NaiveDate>> {
    fields::optional_date(value).map_err(|e| Error::invalid(field, e))
}

/// The optional first and last dates of a request (`start_date`,
/// `end_date`).
pub fn date_range(start: &str, end: &str) -> Result<(Option<NaiveDate>, Option<NaiveDate>)> {
    let mut check = Violations::new();
    let start = check.check("start_date", fields::optional_date(start));
    let end = check.check("end_date", fields::optional_date(end));
    check.finish()?;
    Ok((start, end))
}

/// A new record's common fields.
pub(super) fn new_meta(id: Uuid, client_id: Uuid) -> Meta {
    Meta::new(id, client_id)
}

/// The id of a record being created (a new one when empty).
pub(super) fn new_id(value: &str, field: &str, check: &mut Violations) -> Uuid {
    check.check(field, fields::new_id(value))
}

/// A value was not set (an enum's zero).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Unspecified;

/// Converts between a domain enum and its API enum: `From` one way, and
/// `TryFrom` back, which refuses `UNSPECIFIED`. Both match exhaustively.
macro_rules! enum_conversions {
    ($domain:ty, $api:ty { $($variant:ident),* $(,)? }) => {
        impl From<$domain> for $api {
            fn from(value: $domain) -> Self {
                match value {
                    $(<$domain>::$variant => <$api>::$variant,)*
                }
            }
        }

        impl TryFrom<$api> for $domain {
            type Error = crate::service::convert::Unspecified;
            fn try_from(value: $api) -> Result<Self, Self::Error> {
                match value {
                    $(<$api>::$variant => Ok(<$domain>::$variant),)*
                    <$api>::Unspecified => Err(crate::service::convert::Unspecified),
                }
            }
        }
    };
}
pub(crate) use enum_conversions;

/// A known, specified value of an API enum sent as `raw`.
pub fn enum_value<A, D>(raw: i32) -> Result<D, String>
where
    A: TryFrom<i32>,
    D: TryFrom<A, Error = Unspecified>,
{
    let api = A::try_from(raw).map_err(|_| format!("unknown value {raw}"))?;
    D::try_from(api).map_err(|_| "must be specified".to_owned())
}

/// `default` for an unspecified (zero) enum, else as [`enum_value`].
pub fn enum_or<A, D>(raw: i32, default: D) -> Result<D, String>
where
    A: TryFrom<i32>,
    D: TryFrom<A, Error = Unspecified>,
{
    if raw == 0 {
        Ok(default)
    } else {
        enum_value::<A, D>(raw)
    }
}

/// Parses the editable fields of a kind from its API message.
pub trait EditableFields<A>: Editable + Default {
    /// Parses `field` of `api` into `into`, recording a violation under
    /// `prefix` when it is bad. `creating`: a new record (or a sync
    /// upsert), where an unspecified status means the default one.
    fn parse_field(
        api: &A,
        field: Self::Field,
        into: &mut Self,
        check: &mut Violations,
        path: (&str, bool),
    );
}

/// The fields named in an update's `mask`, of `fields` (their API names):
/// all of them when the mask is empty or `*`. An unknown name is recorded
/// as a violation of `update_mask`, and the known ones are still returned,
/// so that their values are checked too.
pub fn masked<F: Copy>(
    mask: &Option<FieldMask>,
    fields: &[(&str, F)],
    check: &mut Violations,
) -> Vec<F> {
    let paths: Vec<&str> = mask
        .iter()
        .flat_map(|m| m.paths.iter().map(String::as_str))
        .collect();
    if paths.is_empty() || paths == ["*"] {
        return fields.iter().map(|(_, field)| *field).collect();
    }
    let mut chosen = Vec::new();
    for path in paths {
        match fields.iter().find(|(name, _)| *name == path) {
            Some((_, field)) => chosen.push(*field),
            None => {
                let allowed: Vec<&str> = fields.iter().map(|(name, _)| *name).collect();
                check.add(
                    "update_mask",
                    format!(
                        "cannot update {path:?}; updatable fields are {}",
                        allowed.join(", ")
                    ),
                );
            }
        }
    }
    chosen
}

/// The update of an `Update*Request`: `fields` (those its mask names),
/// each parsed from `api`.
pub(super) fn patch<A, R: EditableFields<A>>(
    api: &A,
    fields: Vec<R::Field>,
    prefix: &str,
    check: &mut Violations,
) -> Patch<R> {
    let mut values = R::default();
    for field in &fields {
        R::parse_field(api, *field, &mut values, check, (prefix, false));
    }
    Patch { fields, values }
}

/// An API message of a record that `Update*` requests carry.
pub trait UpdatedRecord {
    /// The record's id as sent.
    fn id(&self) -> &str;
    /// The version the caller expects.
    fn version(&self) -> i64;
}

/// [`UpdatedRecord`] for API messages with `id` and `version` fields.
macro_rules! updated_record {
    ($($api:ty),*) => {$(
        impl $crate::service::convert::UpdatedRecord for $api {
            fn id(&self) -> &str {
                &self.id
            }
            fn version(&self) -> i64 {
                self.version
            }
        }
    )*};
}

pub(crate) use updated_record;

updated_record!(
    pb::Goal,
    pb::ActionStep,
    pb::Comment,
    pb::Skill,
    pb::ThoughtRecord
);

/// The id, expected version and patch of an `Update*Request` carrying
/// `api` under `prefix` (its request field).
pub fn update<A: UpdatedRecord, R: EditableFields<A>>(
    api: Option<A>,
    mask: &Option<FieldMask>,
    prefix: &str,
) -> Result<(Uuid, i64, Patch<R>)> {
    let api = required(api, prefix);
    let mut check = Violations::new();
    let chosen = masked(mask, R::FIELDS, &mut check);
    let update = api.map(|api| {
        let patch = patch(&api, chosen, prefix, &mut check);
        let id = check.check(format!("{prefix}.id"), fields::id(api.id()));
        (id, api.version(), patch)
    });
    let (update, ()) = all((update, check.finish()))?;
    Ok(update)
}

/// A new record of a kind: every editable field parsed from `api`.
pub fn editable_fields<A, R: EditableFields<A>>(
    api: &A,
    prefix: &str,
    check: &mut Violations,
    into: &mut R,
) {
    for (_, field) in R::FIELDS {
        R::parse_field(api, *field, into, check, (prefix, true));
    }
}
