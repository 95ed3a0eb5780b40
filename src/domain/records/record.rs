//! What every kind of client-owned record says about itself, and the
//! macros each kind's module uses to say it.

use chrono::NaiveDate;
use uuid::Uuid;

use crate::encoding::Stored;

/// Defines [`Kind`] from the list of kinds (`crate::kinds`).
macro_rules! kinds {
    ($($kind:ident($module:ident) = $byte:literal, $noun:literal, push [$($op:ident)?];)*) => {
        /// The kinds of client-owned records.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum Kind {
            $(
                #[doc = concat!("[`", stringify!($kind), "`](crate::domain::", stringify!($kind), ")")]
                $kind,
            )*
        }

        impl Kind {
            /// Every kind.
            pub const ALL: &'static [Kind] = &[$(Kind::$kind,)*];

            /// The kind's byte in stored keys and records (see
            /// `crate::kinds`).
            pub const fn byte(self) -> u8 {
                match self {
                    $(Kind::$kind => $byte,)*
                }
            }

            /// The kind whose byte is `byte`.
            pub fn from_byte(byte: u8) -> Option<Kind> {
                match byte {
                    $($byte => Some(Kind::$kind),)*
                    _ => None,
                }
            }

            /// Name used in messages to people.
            pub fn noun(self) -> &'static str {
                match self {
                    $(Kind::$kind => $noun,)*
                }
            }
        }
    };
}

record_kinds!(kinds);

/// Fields every client-owned record has.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Meta {
    /// The record's id; ids are never reused, not even after a delete.
    pub id: Uuid,
    /// The client who owns the record.
    pub client_id: Uuid,
    /// The owner's sequence number at the record's last change.
    pub version: i64,
    /// Creation time, microseconds since the Unix epoch.
    pub create_time_us: i64,
    /// Time of the last change, microseconds since the Unix epoch.
    pub update_time_us: i64,
    /// The account that created the record (the client, or a therapist).
    pub created_by: Uuid,
    /// The account that last changed the record.
    pub updated_by: Uuid,
}

impl Meta {
    /// The fields of a record about to be created with `id` for `client_id`;
    /// the store stamps the rest.
    pub fn new(id: Uuid, client_id: Uuid) -> Self {
        Self {
            id,
            client_id,
            ..Self::default()
        }
    }
}

/// What a record hangs under: its client (top-level records) or another
/// record, which it is deleted with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Parent {
    /// The client owns it directly.
    Client,
    /// Another record of `Kind`, by id.
    Record(Kind, Uuid),
}

/// Why assignments (cancelled by therapists), assessment results and
/// attainment ratings are never changed or deleted on their own.
pub const NEVER_ALTERED: &str =
    "assignments, assessment results and attainment ratings cannot be deleted or changed";

/// Who creates and changes the records of a kind (anyone who may act for
/// the client may delete them, as far as [`Record::alteration`] allows).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Authors {
    /// The client and linked therapists together: the care plan (goals,
    /// action steps, coping skills) and therapists' assignments (which no
    /// device pushes, so only the client pushing the plan stays true).
    CarePlan,
    /// The client alone: their own acts (check-ins, ratings, answers,
    /// practices, thought records).
    Client,
    /// Both sides of the care team, as feedback between sessions
    /// (comments, goal attainment ratings).
    CareTeam,
}

/// How a record is ordered among its siblings of the same kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Order {
    /// By id (ids made by the server are time-ordered UUIDs).
    Id,
    /// By local day, then id (check-ins keep one record per day and step).
    Day(NaiveDate),
    /// By time (microseconds since the Unix epoch), then id.
    Time(i64),
    /// By local day, then time (microseconds since the Unix epoch), then
    /// id; a day holds any number of records. A bound of [`Order::Day`]
    /// takes in the whole day.
    DayTime(NaiveDate, i64),
    /// By revision, the newest first, then id: a record kept with its
    /// history (a safety plan), whose first sibling is the current one.
    Revision(u32),
}

/// What every kind of client-owned record says about itself; its storage
/// encoding is declared with it (`#[derive(Stored)]`, `meta` skipped: the
/// store writes the fields every record has).
pub trait Record: Stored + Clone + PartialEq + std::fmt::Debug + Send + Sync + 'static {
    /// Its kind.
    const KIND: Kind;
    /// Who writes records of the kind.
    const AUTHORS: Authors;
    /// Common fields.
    fn meta(&self) -> &Meta;
    /// Common fields, for the store to stamp versions and times.
    fn meta_mut(&mut self) -> &mut Meta;
    /// What it hangs under.
    fn parent(&self) -> Parent;
    /// Its place among its siblings.
    fn order(&self) -> Order {
        Order::Id
    }
    /// The record as a linked therapist may see it; `None` hides it
    /// entirely.
    fn for_therapist(self) -> Option<Self> {
        Some(self)
    }
    /// The record as its own client sees it: whole, but for what the care
    /// team keeps for itself (a risk alert's acknowledgement note).
    fn for_client(self) -> Self {
        self
    }
    /// Whether the account `viewer`, who may see the client's records, may
    /// see this one.
    fn visible_to(&self, _viewer: Uuid) -> bool {
        true
    }
    /// Why `by`, who may act for the client, may still not change or
    /// delete this record (beyond acting for its client).
    fn alteration(&self, _by: Uuid) -> Result<(), &'static str> {
        Ok(())
    }
    /// Two records of the kind that differ in every field but meta.
    #[cfg(test)]
    fn samples() -> (Self, Self);
}

/// A record with a note that its client may keep private (a check-in, a
/// skill practice): a therapist receives the record with the note blank.
pub fn note_for_therapist(note: &mut String, private_note: bool) {
    if private_note {
        note.clear();
    }
}

/// Implements [`Record`] for a kind: its meta accessors.
macro_rules! record {
    ($kind:ident, authors: $authors:expr, parent: |$record:ident| $parent:expr $(, $($rest:tt)*)?) => {
        impl Record for $kind {
            const KIND: Kind = Kind::$kind;
            const AUTHORS: Authors = $authors;
            fn meta(&self) -> &Meta {
                &self.meta
            }
            fn meta_mut(&mut self) -> &mut Meta {
                &mut self.meta
            }
            fn parent(&self) -> Parent {
                let $record = self;
                $parent
            }
            #[cfg(test)]
            fn samples() -> (Self, Self) {
                <Self as crate::domain::records::record::tests::Samples>::samples()
            }
            $($($rest)*)?
        }
    };
}

/// The fields of a kind that an update may change: the one list that the
/// update mask, a sync upsert (which replaces all of them) and a patch read.
pub trait Editable: Record {
    /// One editable field.
    type Field: Copy + Eq + std::fmt::Debug + Send + Sync + 'static;
    /// Every editable field with its API name (as update masks spell it).
    const FIELDS: &'static [(&'static str, Self::Field)];
    /// Copies `field` from `from`.
    fn copy_field(&mut self, from: &Self, field: Self::Field);
    /// The fields that differ from `other` but may never change (besides
    /// the id, client and meta), as API names.
    fn changed_immutable(&self, other: &Self) -> Vec<&'static str>;
    /// Why the record may not become `to` although only editable fields
    /// change: the field's API name and the reason.
    fn refused_change(&self, _to: &Self) -> Option<(&'static str, &'static str)> {
        None
    }

    /// Copies the immutable and derived fields, for the completeness
    /// test.
    #[cfg(test)]
    fn copy_immutable(&mut self, from: &Self);

    /// Copies every editable field from `from`: a full replacement, as an
    /// offline edit sends the whole record.
    fn replace_editable(&mut self, from: &Self) {
        for (_, field) in Self::FIELDS {
            self.copy_field(from, *field);
        }
    }
}

/// New values for some editable fields of a record: an update.
#[derive(Debug, Clone, PartialEq)]
pub struct Patch<R: Editable> {
    /// The fields to change.
    pub fields: Vec<R::Field>,
    /// A record holding their new values (its other fields mean nothing).
    pub values: R,
}

impl<R: Editable> Patch<R> {
    /// Copies the patched fields onto `record`.
    pub fn apply(&self, record: &mut R) {
        for field in &self.fields {
            record.copy_field(&self.values, *field);
        }
    }
}

/// Implements [`Editable`]: `Kind / FieldEnum { Variant: "api_name" => field, ... }`,
/// the immutable fields after `immutable`, optionally the fields the
/// server derives after `derived` (never taken from an edit, nor compared
/// with one), and optionally after `refuse` the rule of
/// [`Editable::refused_change`].
macro_rules! editable {
    (
        $kind:ident / $field_enum:ident {
            $($variant:ident: $name:literal => $field:ident,)*
        }
        immutable { $($fixed:ident: $fixed_name:literal,)* }
        $(derived { $($derived:ident,)* })?
        $(refuse |$before:ident, $after:ident| $refuse:expr)?
    ) => {
        #[doc = concat!("An editable field of [`", stringify!($kind), "`].")]
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        pub enum $field_enum {
            $(
                #[doc = concat!("`", $name, "`")]
                $variant,
            )*
        }

        impl Editable for $kind {
            type Field = $field_enum;
            const FIELDS: &'static [(&'static str, $field_enum)] =
                &[$(($name, $field_enum::$variant),)*];

            #[allow(unused_variables)] // a kind with no editable field
            fn copy_field(&mut self, from: &Self, field: $field_enum) {
                match field {
                    $($field_enum::$variant => self.$field.clone_from(&from.$field),)*
                }
            }

            fn changed_immutable(&self, _other: &Self) -> Vec<&'static str> {
                #[allow(unused_mut)]
                let mut changed = Vec::new();
                $(
                    if self.$fixed != _other.$fixed {
                        changed.push($fixed_name);
                    }
                )*
                changed
            }

            #[cfg(test)]
            fn copy_immutable(&mut self, _from: &Self) {
                $(self.$fixed.clone_from(&_from.$fixed);)*
                $($(self.$derived.clone_from(&_from.$derived);)*)?
            }

            $(
                fn refused_change(&self, to: &Self) -> Option<(&'static str, &'static str)> {
                    let ($before, $after) = (self, to);
                    $refuse
                }
            )?
        }

    };
}

#[cfg(test)]
pub(crate) mod tests {
    use chrono::NaiveDate;

    use crate::domain::attainment::{AttainmentLevel, AttainmentScale};

    pub(crate) fn day(s: &str) -> NaiveDate {
        s.parse().expect("date")
    }

    /// Two records of a kind differing in every field but meta; built with
    /// struct literals, so a new field must be added there to compile.
    /// Each kind's module has its own.
    pub(crate) trait Samples: Sized {
        fn samples() -> (Self, Self);
    }

    pub(crate) fn scale() -> AttainmentScale {
        crate::domain::attainment::AttainmentScaleDraft {
            much_less_than_expected: "a".into(),
            less_than_expected: "b".into(),
            expected: "c".into(),
            more_than_expected: "d".into(),
            much_more_than_expected: "e".into(),
            weight: 2,
            baseline_level: Some(AttainmentLevel::LessThanExpected),
        }
        .check()
        .expect("valid scale")
    }
}
