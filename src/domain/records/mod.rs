//! The records a client owns, as typed values, and what every kind of
//! record says about itself: where it hangs, how it is ordered among its
//! siblings, what a therapist may see of it, and which fields may change.
//!
//! A kind of record is a unit: one line in `crate::kinds`, which declares
//! its module here (its type with its storage encoding, `#[derive(Stored)]`;
//! its rules in `record!`; its editable fields in `editable!`; its test
//! samples) and generates [`Kind`], [`Entity`] and their dispatch; and its
//! API conversion in `crate::service::convert`. The tests
//! `every_field_is_editable_or_immutable` and the store's round trip run
//! over every kind in the list. See `docs/adding-a-record-kind.md`.

use uuid::Uuid;

#[macro_use]
mod record;

pub use record::*;

/// A kind of record as one of the [`Entity`] variants.
pub trait IntoEntity: Editable {
    /// Wraps it.
    fn into_entity(self) -> Entity;
    /// The record inside `entity`, if it is one of this kind.
    fn from_entity(entity: Entity) -> Option<Self>;
    /// The record inside `entity`, if it is one of this kind, borrowed.
    fn in_entity(entity: &Entity) -> Option<&Self>;
}

/// Code generic over the kinds of records (the store's encoding of a
/// kind named by its byte), called by [`Kind::visit`].
pub trait KindVisitor {
    /// What the visit returns.
    type Output;
    /// Visits kind `R`.
    fn visit<R: IntoEntity>(self) -> Self::Output;
}

/// Code generic over the kinds of records, given a record, called by
/// [`Entity::visit_record`].
pub trait RecordVisitor {
    /// What the visit returns.
    type Output;
    /// Visits `record`.
    fn visit<R: IntoEntity>(self, record: &R) -> Self::Output;
}

/// Defines, from the list of kinds (`crate::kinds`), the module of each
/// kind, the [`Entity`] sum of every record and tombstone, and their
/// dispatch.
macro_rules! records {
    ($($kind:ident($module:ident) = $byte:literal, $noun:literal, push [$($op:ident)?];)*) => {
        $(
            mod $module;
            pub use $module::*;
        )*

        impl Kind {
            /// Calls `visitor` with this kind's record type.
            pub fn visit<V: KindVisitor>(self, visitor: V) -> V::Output {
                match self {
                    $(Kind::$kind => visitor.visit::<$kind>(),)*
                }
            }
        }

        /// Any client-owned record, live or deleted.
        #[derive(Debug, Clone, PartialEq)]
        pub enum Entity {
            $(
                #[doc = concat!("A live [`", stringify!($kind), "`].")]
                $kind($kind),
            )*
            /// A deleted record.
            Tombstone(Tombstone),
        }

        impl Entity {
            /// Common fields.
            pub fn meta(&self) -> &Meta {
                match self {
                    $(Entity::$kind(r) => &r.meta,)*
                    Entity::Tombstone(t) => &t.meta,
                }
            }

            /// Common fields, for the store to stamp versions and times.
            pub fn meta_mut(&mut self) -> &mut Meta {
                match self {
                    $(Entity::$kind(r) => &mut r.meta,)*
                    Entity::Tombstone(t) => &mut t.meta,
                }
            }

            /// Calls `visitor` with the live record; `None` for a tombstone.
            pub fn visit_record<V: RecordVisitor>(&self, visitor: V) -> Option<V::Output> {
                match self {
                    $(Entity::$kind(r) => Some(visitor.visit(r)),)*
                    Entity::Tombstone(_) => None,
                }
            }

            /// Kind of the record (of the deleted record, for a tombstone).
            pub fn kind(&self) -> Kind {
                match self {
                    $(Entity::$kind(_) => Kind::$kind,)*
                    Entity::Tombstone(t) => t.kind,
                }
            }

            /// What a live record hangs under; `None` for a tombstone.
            pub fn parent(&self) -> Option<Parent> {
                match self {
                    $(Entity::$kind(r) => Some(r.parent()),)*
                    Entity::Tombstone(_) => None,
                }
            }

            /// A live record's place among its siblings.
            pub fn order(&self) -> Option<Order> {
                match self {
                    $(Entity::$kind(r) => Some(r.order()),)*
                    Entity::Tombstone(_) => None,
                }
            }

            /// The entity as a linked therapist may see it; `None` hides it.
            pub fn for_therapist(self) -> Option<Entity> {
                match self {
                    $(Entity::$kind(r) => r.for_therapist().map(Entity::$kind),)*
                    Entity::Tombstone(t) if t.hidden_from_therapists => None,
                    tombstone @ Entity::Tombstone(_) => Some(tombstone),
                }
            }

            /// The entity as its own client sees it.
            pub fn for_client(self) -> Entity {
                match self {
                    $(Entity::$kind(r) => Entity::$kind(r.for_client()),)*
                    tombstone @ Entity::Tombstone(_) => tombstone,
                }
            }

            /// Whether the account `viewer`, who may see the client's
            /// records, may see this one (a tombstone: yes).
            pub fn visible_to(&self, viewer: Uuid) -> bool {
                match self {
                    $(Entity::$kind(r) => r.visible_to(viewer),)*
                    Entity::Tombstone(_) => true,
                }
            }
        }

        $(
            impl IntoEntity for $kind {
                fn into_entity(self) -> Entity {
                    Entity::$kind(self)
                }
                fn from_entity(entity: Entity) -> Option<Self> {
                    match entity {
                        Entity::$kind(record) => Some(record),
                        _ => None,
                    }
                }
                fn in_entity(entity: &Entity) -> Option<&Self> {
                    match entity {
                        Entity::$kind(record) => Some(record),
                        _ => None,
                    }
                }
            }

            impl From<$kind> for Entity {
                fn from(record: $kind) -> Self {
                    Entity::$kind(record)
                }
            }
        )*
    };
}

impl Entity {
    /// Whether this is a tombstone.
    pub fn is_deleted(&self) -> bool {
        matches!(self, Entity::Tombstone(_))
    }

    /// A tombstone of this record; one of a record therapists may not see
    /// is hidden from them too.
    pub fn tombstone(&self) -> Tombstone {
        Tombstone {
            kind: self.kind(),
            meta: *self.meta(),
            hidden_from_therapists: self.clone().for_therapist().is_none(),
        }
    }

    /// The entity as `viewer`, who may see the client's records, sees it in
    /// a change feed: itself, or a tombstone when it is hidden from them,
    /// so a replica that holds a copy drops it.
    pub fn seen_by(self, viewer: Uuid) -> Entity {
        if self.visible_to(viewer) {
            self
        } else {
            Entity::Tombstone(self.tombstone())
        }
    }
}

/// What remains of a deleted record: enough for sync to tell devices.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Tombstone {
    /// Kind of the deleted record.
    pub kind: Kind,
    /// The record's common fields; `version` and `update_time_us` are the
    /// deletion's.
    pub meta: Meta,
    /// Therapists never saw the record (it was private when deleted, and
    /// never shared before): they get no tombstone either.
    pub hidden_from_therapists: bool,
}

record_kinds!(records);

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// Copying every editable and every immutable field of `b` onto `a`
    /// must give `b`: a field in neither list (forgotten when it was
    /// added) keeps `a`'s value and fails this.
    struct EveryFieldListed;

    impl KindVisitor for EveryFieldListed {
        type Output = ();
        fn visit<R: IntoEntity>(self) {
            let (mut a, b) = R::samples();
            assert!(a != b);
            a.replace_editable(&b);
            a.copy_immutable(&b);
            assert_eq!(
                a,
                b,
                "{:?}: a field is neither editable nor immutable",
                R::KIND
            );
        }
    }

    #[test]
    fn every_field_is_editable_or_immutable() {
        for kind in Kind::ALL {
            kind.visit(EveryFieldListed);
        }
    }

    #[test]
    fn every_kind_has_its_own_byte() {
        for kind in Kind::ALL {
            assert_eq!(Kind::from_byte(kind.byte()), Some(*kind));
        }
    }

    #[test]
    fn a_comment_on_a_private_note_is_seen_by_its_author_only() {
        let (_, comment) = Comment::samples();
        let author = Uuid::from_u128(7);
        let comment = Comment {
            meta: Meta {
                created_by: author,
                ..comment.meta
            },
            ..comment
        };
        let entity = Entity::Comment(comment.clone());
        assert_eq!(entity.clone().seen_by(author), entity);
        assert!(entity.clone().seen_by(Uuid::from_u128(8)).is_deleted());
        let open = Entity::Comment(Comment {
            author_only: false,
            ..comment
        });
        assert_eq!(open.clone().seen_by(Uuid::from_u128(8)), open);
    }

    #[test]
    fn a_private_thought_record_and_its_tombstone_stay_hidden_from_therapists() {
        let (shared, private) = ThoughtRecord::samples();
        assert!(private.clone().for_therapist().is_none());
        let tombstone = Entity::ThoughtRecord(private).tombstone();
        assert!(tombstone.hidden_from_therapists);
        assert_eq!(Entity::Tombstone(tombstone).for_therapist(), None);
        let tombstone = Entity::ThoughtRecord(shared.clone()).tombstone();
        assert!(Entity::Tombstone(tombstone).for_therapist().is_some());
        let mut made_private = shared.clone();
        made_private.private = true;
        assert!(shared.refused_change(&made_private).is_some());
        assert!(made_private.refused_change(&shared).is_none());
    }
}
