//! The storage encoding of values: compact, versioned, independent of the
//! domain types' layout and of the API.
//!
//! Every value starts with a format byte ([`FORMAT`]); a future layout takes
//! a new number and the decoder reads both. Then, per type:
//! - integers are LEB128 varints (signed ones zigzag-encoded), ids their 16
//!   bytes, dates days since 1970-01-01 (zigzag varint), enums one byte;
//! - text is a varint length and UTF-8 bytes;
//! - a record's id is its key, so the value leaves it out; `created_by`
//!   and `updated_by` are left out when they equal the client and the
//!   creator (flags say which), as they mostly do;
//! - a record's text (titles, notes: what people wrote; also a
//!   questionnaire's answers) comes last, in its
//!   *text section*: a byte saying how it is kept (0 plain, 1 sealed with
//!   XChaCha20-Poly1305 by earlier versions, 2 sealed with AES-256-GCM),
//!   then the text. A kind
//!   opens it with [`Encoder::text_section`] and `text_section` and
//!   writes its text fields after it; the store seals the section as a
//!   whole with the client's key ([`Encoded::sealed`], [`super::seal`]), so
//!   every kind's text is sealed without code of its own.
//! - a field added to a kind after records of it were stored is announced
//!   by a flag bit that older records leave clear (a goal's attainment
//!   scale), so they decode unchanged.
//!
//! Each enum's byte values are fixed forever (stored data uses them); the
//! matches are exhaustive, so a new variant must be given its byte here.

use std::borrow::Cow;
use std::collections::BTreeMap;

use chrono::{Datelike, NaiveDate};
use uuid::Uuid;

use crate::domain::assignments::AssignmentSchedule;
use crate::domain::attainment::AttainmentLevel;
use crate::domain::instruments::{AnswerLabel, CustomInstrument, Instrument, Item, SeverityBand};
use crate::domain::skills::SkillCategory;
use crate::domain::thoughts::Distortion;
use crate::domain::{
    AccessEvent, Account, AccountState, ActionStepStatus, AdminAction, AdminEvent, CareLink,
    CareLinkState, CheckInState, Entity, GoalStatus, Invite, Kind, KindVisitor, Meta, Outcome,
    RatingTarget, Record, RecordVisitor, Rejection, Replay, Revocation, RevokeReason, Role,
    Schedule, Session, StepTrack, Token, Tombstone, TrackedAssignment, TrackedAttainment,
    TrackedDay, TrackedRating, TrackedResult, TrackedScale, TrackedStep,
};
use crate::encoding::{self, Reader, Stored, Writer, malformed};
use crate::error::{Error, FieldViolation, Result};

use super::keys::kind_byte;
use super::seal::{SealedText, Sealing};

/// The layout this code writes.
pub const FORMAT: u8 = 1;

/// A text section sealed with XChaCha20-Poly1305 under the client's key:
/// a nonce, the ciphertext and its tag ([`super::seal`]). Written before
/// AES-GCM; still read.
const SECTION_SEALED_XCHACHA: u8 = 1;

/// Appends values to a buffer.
#[derive(Default)]
pub struct Encoder {
    buf: Vec<u8>,
    /// Where the text section's marker is, once opened.
    section: Option<usize>,
}

impl Encoder {
    /// An encoder whose value starts with the format byte.
    pub fn new() -> Self {
        let mut encoder = Self {
            buf: Vec::with_capacity(96),
            section: None,
        };
        encoder.u8(FORMAT);
        encoder
    }

    /// The encoded bytes.
    pub fn finish(self) -> Vec<u8> {
        self.buf
    }

    fn u8(&mut self, value: u8) {
        self.buf.push(value);
    }

    /// Opens the value's text section: everything written after this is
    /// what a client wrote, sealed by the store as a whole. Last in a
    /// value, at most once.
    pub fn text_section(&mut self) {
        debug_assert!(self.section.is_none(), "one text section per value");
        self.section = Some(self.buf.len());
        self.u8(SECTION_PLAIN);
    }

    fn varint(&mut self, mut value: u64) {
        while value >= 0x80 {
            self.buf.push((value as u8) | 0x80);
            value >>= 7;
        }
        self.buf.push(value as u8);
    }

    fn signed(&mut self, value: i64) {
        self.varint(((value << 1) ^ (value >> 63)) as u64);
    }

    fn id(&mut self, id: Uuid) {
        self.buf.extend_from_slice(id.as_bytes());
    }

    fn bytes(&mut self, bytes: &[u8]) {
        self.varint(bytes.len() as u64);
        self.buf.extend_from_slice(bytes);
    }

    fn text(&mut self, text: &str) {
        self.bytes(text.as_bytes());
    }

    fn day(&mut self, day: NaiveDate) {
        self.signed(i64::from(day_number(day)));
    }
}

/// Reads values back; every read checks that the bytes are there.
pub struct Decoder<'a> {
    /// The value; after a sealed text section is opened, its plaintext.
    buf: Cow<'a, [u8]>,
    /// Bytes read so far.
    at: usize,
    /// Who can open a sealed text section, and for which record.
    text: Option<TextContext<'a>>,
}

/// The record whose text section a decoder may meet.
#[derive(Clone, Copy)]
struct TextContext<'a> {
    id: Uuid,
    client: Uuid,
    keys: &'a dyn OpenText,
}

/// Opens sealed text sections: the store, which holds the keys.
pub trait OpenText {
    /// The plaintext of a sealed text section.
    fn open_text(&self, text: &SealedText<'_>) -> Result<Vec<u8>>;
}

/// The error for bytes that are not a value of the expected type.
fn corrupt(what: &str) -> Error {
    Error::internal(format!("stored {what} is malformed"))
}

impl<'a> Decoder<'a> {
    /// A decoder of `buf`, after checking its format byte.
    pub fn new(buf: &'a [u8]) -> Result<Self> {
        let mut decoder = Self {
            buf: Cow::Borrowed(buf),
            at: 0,
            text: None,
        };
        match decoder.u8()? {
            FORMAT => Ok(decoder),
            other => Err(Error::internal(format!(
                "stored value has format {other}; this version reads format {FORMAT}"
            ))),
        }
    }

    fn take(&mut self, n: usize) -> Result<&[u8]> {
        let end = self
            .at
            .checked_add(n)
            .filter(|end| *end <= self.buf.len())
            .ok_or_else(|| corrupt("value"))?;
        let taken = &self.buf[self.at..end];
        self.at = end;
        Ok(taken)
    }

    /// Whether every byte was read (values that grew a trailing field read
    /// older values without it).
    fn at_end(&self) -> bool {
        self.at == self.buf.len()
    }

    fn u8(&mut self) -> Result<u8> {
        Ok(self.take(1)?[0])
    }

    fn varint(&mut self) -> Result<u64> {
        let mut value = 0u64;
        for shift in (0..64).step_by(7) {
            let byte = self.u8()?;
            value |= u64::from(byte & 0x7F) << shift;
            if byte & 0x80 == 0 {
                return Ok(value);
            }
        }
        Err(corrupt("integer"))
    }

    fn signed(&mut self) -> Result<i64> {
        let raw = self.varint()?;
        Ok(((raw >> 1) as i64) ^ -((raw & 1) as i64))
    }

    fn id(&mut self) -> Result<Uuid> {
        Uuid::from_slice(self.take(16)?).map_err(|_| corrupt("id"))
    }

    fn bytes(&mut self) -> Result<&[u8]> {
        let len = usize::try_from(self.varint()?).map_err(|_| corrupt("length"))?;
        self.take(len)
    }

    fn text(&mut self) -> Result<String> {
        String::from_utf8(self.bytes()?.to_vec()).map_err(|_| corrupt("text"))
    }

    fn day(&mut self) -> Result<NaiveDate> {
        let number = i32::try_from(self.signed()?).map_err(|_| corrupt("date"))?;
        from_day_number(number).ok_or_else(|| corrupt("date"))
    }

    /// Checks that nothing is left over.
    pub fn end(self) -> Result<()> {
        if self.at_end() {
            Ok(())
        } else {
            Err(corrupt("value (trailing bytes)"))
        }
    }
}

/// Days since 1970-01-01.
fn day_number(day: NaiveDate) -> i32 {
    day.num_days_from_ce() - UNIX_EPOCH_DAYS_FROM_CE
}

fn from_day_number(number: i32) -> Option<NaiveDate> {
    NaiveDate::from_num_days_from_ce_opt(number.checked_add(UNIX_EPOCH_DAYS_FROM_CE)?)
}

/// `NaiveDate::from_ymd(1970, 1, 1).num_days_from_ce()`.
const UNIX_EPOCH_DAYS_FROM_CE: i32 = 719_163;

/// An enum's fixed byte.
macro_rules! byte_enum {
    ($name:ident, $what:literal, { $($variant:ident = $byte:literal,)* }) => {
        impl ByteEnum for $name {
            fn to_byte(self) -> u8 {
                match self {
                    $($name::$variant => $byte,)*
                }
            }
            fn from_byte(byte: u8) -> Result<Self> {
                match byte {
                    $($byte => Ok($name::$variant),)*
                    _ => Err(corrupt($what)),
                }
            }
        }
    };
}

trait ByteEnum: Sized {
    fn to_byte(self) -> u8;
    fn from_byte(byte: u8) -> Result<Self>;
}

byte_enum!(GoalStatus, "goal status", { Active = 1, Achieved = 2, Archived = 3, });
byte_enum!(ActionStepStatus, "step status", { Active = 1, Paused = 2, Archived = 3, });
byte_enum!(CheckInState, "check-in state", { Done = 1, Partial = 2, Skipped = 3, });
byte_enum!(Role, "role", { Client = 1, Therapist = 2, Admin = 3, });
byte_enum!(CareLinkState, "link state", { Active = 1, Revoked = 2, });
byte_enum!(AdminAction, "admin action", {
    BackupCreated = 1,
    AccountCreated = 2,
    AccountDisabled = 3,
    AccountEnabled = 4,
    AccountDeleted = 5,
});
byte_enum!(Outcome, "outcome", { Applied = 1, Conflict = 2, Gone = 3, Rejected = 4, });
byte_enum!(AttainmentLevel, "attainment level", {
    MuchLessThanExpected = 1,
    LessThanExpected = 2,
    Expected = 3,
    MoreThanExpected = 4,
    MuchMoreThanExpected = 5,
});
byte_enum!(SkillCategory, "skill category", {
    Breathing = 1, Mindfulness = 2, Grounding = 3, Relaxation = 4, Communication = 5,
    ProblemSolving = 6, Other = 7,
});
byte_enum!(Distortion, "distortion", {
    AllOrNothingThinking = 1, Overgeneralisation = 2, MentalFilter = 3,
    DisqualifyingThePositive = 4, JumpingToConclusions = 5, MagnificationOrMinimisation = 6,
    EmotionalReasoning = 7, ShouldStatements = 8, Labelling = 9, Personalisation = 10,
});
byte_enum!(AccountState, "account state", { Active = 1, Disabled = 2, Deleted = 3, });
byte_enum!(RevokeReason, "revoke reason", { Revoked = 1, AccountDeleted = 2, });

impl Encoder {
    fn byte_enum(&mut self, value: impl ByteEnum) {
        self.u8(value.to_byte());
    }
}

impl Decoder<'_> {
    fn byte_enum<E: ByteEnum>(&mut self) -> Result<E> {
        E::from_byte(self.u8()?)
    }
}

/// The byte that starts a record: its kind's byte ([`kind_byte`], below
/// 32) and the flags below.
const KIND_MASK: u8 = 0x1F;
/// `created_by` is the client: left out.
const CREATED_BY_CLIENT: u8 = 0x20;
/// `updated_by` is the creator: left out.
const UPDATED_BY_CREATOR: u8 = 0x40;
/// A tombstone: the deleted record's kind and meta, then one byte saying
/// whether it is hidden from therapists.
const TOMBSTONE: u8 = 0x80;

/// The marker of a text section kept as is: only in tests (and values
/// [`Encoded::plain`] wrote).
const SECTION_PLAIN: u8 = 0;
/// The marker of a text section sealed with AES-256-GCM under the client's
/// text key: a nonce, the ciphertext and its tag ([`super::seal`]). (1
/// was XChaCha20-Poly1305, written only by stores of format 3 and older.)
const SECTION_SEALED: u8 = 2;

fn kind_from_byte(byte: u8) -> Result<Kind> {
    Kind::ALL
        .iter()
        .copied()
        .find(|kind| kind_byte(*kind) == byte)
        .ok_or_else(|| malformed("record kind"))
}

/// The start of every record and tombstone: the kind byte with its flags,
/// then the fields every record has (its id is its key, so left out;
/// actors left out when they are the client and the creator, as they
/// mostly are; the update time as a difference).
fn put_envelope(head: &mut Writer, kind: Kind, meta: &Meta, tombstone: bool) {
    let mut byte = kind_byte(kind);
    debug_assert_eq!(byte & !KIND_MASK, 0, "kind bytes stay below 32");
    if meta.created_by == meta.client_id {
        byte |= CREATED_BY_CLIENT;
    }
    if meta.updated_by == meta.created_by {
        byte |= UPDATED_BY_CREATOR;
    }
    if tombstone {
        byte |= TOMBSTONE;
    }
    head.u8(byte);
    meta.client_id.put_head(head);
    if byte & CREATED_BY_CLIENT == 0 {
        meta.created_by.put_head(head);
    }
    if byte & UPDATED_BY_CREATOR == 0 {
        meta.updated_by.put_head(head);
    }
    head.signed(meta.version);
    head.signed(meta.create_time_us);
    head.signed(meta.update_time_us.wrapping_sub(meta.create_time_us));
}

/// Reads what [`put_envelope`] wrote: the kind, whether it is a tombstone,
/// and the meta of record `id`.
fn get_envelope(head: &mut Reader<'_>, id: Uuid) -> Result<(Kind, bool, Meta)> {
    let byte = head.u8()?;
    let kind = kind_from_byte(byte & KIND_MASK)?;
    let uuid = |head: &mut Reader<'_>| encoding::get_standalone_head::<Uuid>(head);
    let client_id = uuid(head)?;
    let created_by = match byte & CREATED_BY_CLIENT {
        0 => uuid(head)?,
        _ => client_id,
    };
    let updated_by = match byte & UPDATED_BY_CREATOR {
        0 => uuid(head)?,
        _ => created_by,
    };
    let version = head.signed()?;
    let create_time_us = head.signed()?;
    let update_time_us = create_time_us.wrapping_add(head.signed()?);
    let meta = Meta {
        id,
        client_id,
        version,
        create_time_us,
        update_time_us,
        created_by,
        updated_by,
    };
    Ok((kind, byte & TOMBSTONE != 0, meta))
}

/// A record's encoding, its text not yet sealed.
#[must_use = "a record's text must be sealed (or deliberately kept plain)"]
pub struct Encoded {
    id: Uuid,
    client: Uuid,
    /// The envelope and the record's head.
    head: Vec<u8>,
    /// The record's text part; empty for a kind without text (and for a
    /// tombstone), which then has no text section.
    text: Vec<u8>,
}

impl Encoded {
    /// The bytes with the text section sealed: `seal(client, aad, plain)`
    /// returns the sealed form of the text `plain`, bound to `aad` (the
    /// record's id and the bytes before the section).
    pub fn sealed(
        self,
        seal: impl FnOnce(Uuid, &[u8], &[u8]) -> Result<Vec<u8>>,
    ) -> Result<Vec<u8>> {
        let Encoded {
            id,
            client,
            mut head,
            text,
        } = self;
        if text.is_empty() {
            return Ok(head);
        }
        let sealed = seal(client, &section_aad(id, &head), &text)?;
        head.reserve(1 + sealed.len());
        head.push(SECTION_SEALED);
        head.extend_from_slice(&sealed);
        Ok(head)
    }

    /// The bytes with the text as is: for tests.
    pub fn plain(self) -> Vec<u8> {
        let Encoded { mut head, text, .. } = self;
        if !text.is_empty() {
            head.push(SECTION_PLAIN);
            head.extend_from_slice(&text);
        }
        head
    }
}

/// What sealed text of record `id` is bound to: the id and every byte of
/// the value before the text section.
fn section_aad(id: Uuid, head: &[u8]) -> Vec<u8> {
    [id.as_bytes(), head].concat()
}

/// Encodes a record or tombstone (its id is its key); the store seals its
/// text.
pub fn encode_entity(entity: &Entity) -> Encoded {
    let meta = entity.meta();
    let mut head = Writer::with_capacity(96);
    let mut text = Writer::default();
    put_envelope(&mut head, entity.kind(), meta, entity.is_deleted());
    match entity {
        Entity::Tombstone(tombstone) => head.u8(u8::from(tombstone.hidden_from_therapists)),
        live => {
            let _ = live.visit_record(EncodeFields {
                head: &mut head,
                text: &mut text,
            });
        }
    }
    Encoded {
        id: meta.id,
        client: meta.client_id,
        head: head.into_bytes(),
        text: text.into_bytes(),
    }
}

/// Writes a live record's fields, as its kind declares them.
struct EncodeFields<'a> {
    head: &'a mut Writer,
    text: &'a mut Writer,
}

impl RecordVisitor for EncodeFields<'_> {
    type Output = ();

    fn visit<R: Record>(self, record: &R) {
        encoding::put_standalone_head(record, self.head);
        record.put_text(self.text);
    }
}

/// Decodes a record or tombstone stored under `id`; `keys` opens its text.
pub fn decode_entity(id: Uuid, bytes: &[u8], keys: &dyn OpenText) -> Result<Entity> {
    let mut head = Reader::new(bytes);
    let (kind, tombstone, meta) = get_envelope(&mut head, id)?;
    if tombstone {
        let hidden_from_therapists = match head.u8()? {
            0 => false,
            1 => true,
            _ => return Err(malformed("tombstone")),
        };
        head.end()?;
        return Ok(Entity::Tombstone(Tombstone {
            kind,
            meta,
            hidden_from_therapists,
        }));
    }
    kind.visit(DecodeFields {
        bytes,
        head,
        meta,
        keys,
    })
}

/// Reads a live record's fields, as its kind declares them: the head, then
/// the text section, opened.
struct DecodeFields<'a> {
    /// The whole value.
    bytes: &'a [u8],
    /// Where its head is read.
    head: Reader<'a>,
    meta: Meta,
    keys: &'a dyn OpenText,
}

impl KindVisitor for DecodeFields<'_> {
    type Output = Result<Entity>;

    fn visit<R: Record>(self) -> Result<Entity> {
        let DecodeFields {
            bytes,
            mut head,
            meta,
            keys,
        } = self;
        let fields = encoding::get_standalone_head::<R>(&mut head)?;
        let section = head.position();
        let opened;
        let text = if head.at_end() {
            &[][..]
        } else {
            match head.u8()? {
                SECTION_PLAIN => head.rest(),
                SECTION_SEALED => {
                    opened = keys.open_text(&SealedText {
                        client: meta.client_id,
                        sealing: Sealing::Aes256Gcm,
                        aad: &section_aad(meta.id, &bytes[..section]),
                        bytes: head.rest(),
                    })?;
                    &opened[..]
                }
                _ => return Err(malformed("text section")),
            }
        };
        let mut text = Reader::part(text, bytes.len());
        let mut record = R::get_text(fields, &mut text)?;
        text.end()?;
        *record.meta_mut() = meta;
        Ok(record.into_entity())
    }
}

fn put_schedule(e: &mut Encoder, schedule: &AssignmentSchedule) {
    e.day(schedule.start);
    e.varint(u64::from(schedule.every()));
    match schedule.cancelled_on {
        Some(day) => {
            e.u8(1);
            e.day(day);
        }
        None => e.u8(0),
    }
}

fn put_band(e: &mut Encoder, band: &SeverityBand) {
    e.varint(u64::from(band.min_score));
    e.varint(u64::from(band.max_score));
    e.text(&band.label);
}

fn get_band(d: &mut Decoder<'_>) -> Result<SeverityBand> {
    let mut score = || u32::try_from(d.varint()?).map_err(|_| corrupt("band"));
    let (min_score, max_score) = (score()?, score()?);
    Ok(SeverityBand {
        min_score,
        max_score,
        label: Cow::Owned(d.text()?),
    })
}

fn get_schedule(d: &mut Decoder<'_>) -> Result<AssignmentSchedule> {
    let start = d.day()?;
    let every = i64::try_from(d.varint()?).map_err(|_| corrupt("schedule"))?;
    let schedule = AssignmentSchedule::new(start, every).map_err(|_| corrupt("schedule"))?;
    Ok(match d.u8()? {
        0 => schedule,
        _ => schedule.cancelled(d.day()?),
    })
}

/// Enters a value's text section: what follows is read from the
/// plaintext, opened by the store if it is sealed.
fn text_section(d: &mut Decoder<'_>) -> Result<()> {
    let marker = d.at;
    let sealing = match d.u8()? {
        SECTION_PLAIN => return Ok(()),
        SECTION_SEALED => Sealing::Aes256Gcm,
        SECTION_SEALED_XCHACHA => Sealing::XChaCha20Poly1305,
        _ => return Err(corrupt("text section")),
    };
    let TextContext { id, client, keys } = d.text.ok_or_else(|| corrupt("text section"))?;
    let aad = section_aad(id, &d.buf[..marker]);
    let plain = keys.open_text(&SealedText {
        client,
        sealing,
        aad: &aad,
        bytes: &d.buf[d.at..],
    })?;
    d.buf = Cow::Owned(plain);
    d.at = 0;
    Ok(())
}

/// A type with a storage encoding of its own (not a record).
pub trait Value: Sized {
    /// Appends the value.
    fn put(&self, e: &mut Encoder);
    /// Reads the value.
    fn get(d: &mut Decoder<'_>) -> Result<Self>;

    /// The value's bytes.
    fn encode(&self) -> Vec<u8> {
        let mut e = Encoder::new();
        self.put(&mut e);
        e.finish()
    }

    /// The value in `bytes`.
    fn decode(bytes: &[u8]) -> Result<Self> {
        let mut d = Decoder::new(bytes)?;
        let value = Self::get(&mut d)?;
        d.end()?;
        Ok(value)
    }
}

/// Encodes a replay: its digest, outcome, the version it showed and its
/// rejection, then the record it answered with, as a record is encoded
/// (its text sealed by `seal`, as [`Encoded::sealed`] does).
pub fn encode_replay(
    replay: &Replay,
    seal: impl FnOnce(Uuid, &[u8], &[u8]) -> Result<Vec<u8>>,
) -> Result<Vec<u8>> {
    let Replay {
        payload_digest,
        outcome,
        current,
        rejection,
    } = replay;
    let mut e = Encoder::new();
    e.buf.extend_from_slice(payload_digest);
    e.byte_enum(*outcome);
    e.signed(replay.version());
    match rejection {
        Some(Rejection {
            reason,
            message,
            violations,
        }) => {
            e.u8(1);
            e.text(reason);
            e.text(message);
            e.varint(violations.len() as u64);
            for FieldViolation { field, description } in violations {
                e.text(field);
                e.text(description);
            }
        }
        None => e.u8(0),
    }
    let mut bytes = e.finish();
    // Last, so it runs to the end of the value.
    if let Some(record) = current {
        bytes.extend_from_slice(record.meta().id.as_bytes());
        bytes.extend(encode_entity(record).sealed(seal)?);
    }
    Ok(bytes)
}

/// A replay's head: everything but the record it answered with.
fn replay_head(d: &mut Decoder<'_>) -> Result<([u8; 32], Outcome, i64, Option<Rejection>)> {
    let digest = d.take(32)?.try_into().map_err(|_| corrupt("digest"))?;
    let outcome = d.byte_enum()?;
    let version = d.signed()?;
    let rejection = match d.u8()? {
        0 => None,
        _ => {
            let reason = d.text()?;
            let message = d.text()?;
            let count = d.varint()?;
            let mut violations = Vec::new();
            for _ in 0..count {
                violations.push(FieldViolation {
                    field: d.text()?,
                    description: d.text()?,
                });
            }
            Some(Rejection {
                reason,
                message,
                violations,
            })
        }
    };
    Ok((digest, outcome, version, rejection))
}

/// Decodes a replay, opening its record's text with `keys`.
pub fn decode_replay(bytes: &[u8], keys: &dyn OpenText) -> Result<Replay> {
    let mut d = Decoder::new(bytes)?;
    let (payload_digest, outcome, _, rejection) = replay_head(&mut d)?;
    let current = if d.at_end() {
        None
    } else {
        let id = d.id()?;
        Some(decode_entity(id, &bytes[d.at..], keys)?)
    };
    Ok(Replay {
        payload_digest,
        outcome,
        current,
        rejection,
    })
}

/// The version a stored replay's answer showed, read without opening its
/// record (retention needs no client's key).
pub fn replay_version(bytes: &[u8]) -> Result<i64> {
    let mut d = Decoder::new(bytes)?;
    Ok(replay_head(&mut d)?.2)
}

impl Value for StepTrack {
    fn put(&self, e: &mut Encoder) {
        e.varint(self.days.len() as u64);
        let mut previous = 0i32;
        // Days ascend: deltas stay one byte for a habit practised often.
        for (day, TrackedDay { state, logged_us }) in &self.days {
            let number = day_number(*day);
            e.signed(i64::from(number - previous));
            previous = number;
            e.byte_enum(*state);
            e.signed(*logged_us);
        }
    }

    fn get(d: &mut Decoder<'_>) -> Result<Self> {
        let count = d.varint()?;
        let mut days = BTreeMap::new();
        let mut previous = 0i64;
        for _ in 0..count {
            previous += d.signed()?;
            let number = i32::try_from(previous).map_err(|_| corrupt("date"))?;
            let day = from_day_number(number).ok_or_else(|| corrupt("date"))?;
            let state = d.byte_enum()?;
            let logged_us = d.signed()?;
            days.insert(day, TrackedDay { state, logged_us });
        }
        Ok(StepTrack { days })
    }
}

impl Value for TrackedStep {
    fn put(&self, e: &mut Encoder) {
        let TrackedStep {
            goal_id,
            schedule: Schedule { times, period_days },
            status,
            start_day,
        } = self;
        e.id(*goal_id);
        e.varint(u64::from(*times));
        e.varint(u64::from(*period_days));
        e.byte_enum(*status);
        e.day(*start_day);
    }

    fn get(d: &mut Decoder<'_>) -> Result<Self> {
        let goal_id = d.id()?;
        let times = u32::try_from(d.varint()?).map_err(|_| corrupt("schedule"))?;
        let period_days = u32::try_from(d.varint()?).map_err(|_| corrupt("schedule"))?;
        Ok(TrackedStep {
            goal_id,
            schedule: Schedule { times, period_days },
            status: d.byte_enum()?,
            start_day: d.day()?,
        })
    }
}

impl Value for TrackedRating {
    fn put(&self, e: &mut Encoder) {
        let TrackedRating {
            target,
            rate_time_us,
            local_day,
            score,
        } = self;
        e.u8(kind_byte(target.kind()));
        e.id(target.id());
        e.signed(*rate_time_us);
        e.day(*local_day);
        e.u8(*score);
    }

    fn get(d: &mut Decoder<'_>) -> Result<Self> {
        let target = match kind_from_byte(d.u8()?)? {
            Kind::Goal => RatingTarget::Goal(d.id()?),
            Kind::ActionStep => RatingTarget::ActionStep(d.id()?),
            _ => return Err(corrupt("rating target")),
        };
        Ok(TrackedRating {
            target,
            rate_time_us: d.signed()?,
            local_day: d.day()?,
            score: d.u8()?,
        })
    }
}

impl Value for TrackedAssignment {
    fn put(&self, e: &mut Encoder) {
        let TrackedAssignment {
            instrument_id,
            schedule,
        } = self;
        e.id(*instrument_id);
        put_schedule(e, schedule);
    }

    fn get(d: &mut Decoder<'_>) -> Result<Self> {
        Ok(TrackedAssignment {
            instrument_id: d.id()?,
            schedule: get_schedule(d)?,
        })
    }
}

impl Value for TrackedResult {
    fn put(&self, e: &mut Encoder) {
        let TrackedResult {
            instrument_id,
            local_date,
            submitted_us,
            total,
            self_harm,
        } = self;
        e.id(*instrument_id);
        e.day(*local_date);
        e.signed(*submitted_us);
        e.varint(u64::from(*total));
        e.u8(u8::from(*self_harm));
    }

    fn get(d: &mut Decoder<'_>) -> Result<Self> {
        Ok(TrackedResult {
            instrument_id: d.id()?,
            local_date: d.day()?,
            submitted_us: d.signed()?,
            total: u32::try_from(d.varint()?).map_err(|_| corrupt("total"))?,
            self_harm: d.u8()? != 0,
        })
    }
}

impl Value for TrackedScale {
    fn put(&self, e: &mut Encoder) {
        let TrackedScale { weight } = self;
        e.varint(u64::from(*weight));
    }

    fn get(d: &mut Decoder<'_>) -> Result<Self> {
        Ok(TrackedScale {
            weight: u32::try_from(d.varint()?).map_err(|_| corrupt("weight"))?,
        })
    }
}

impl Value for TrackedAttainment {
    fn put(&self, e: &mut Encoder) {
        let TrackedAttainment {
            goal_id,
            local_date,
            recorded_us,
            level,
        } = self;
        e.id(*goal_id);
        e.day(*local_date);
        e.signed(*recorded_us);
        e.byte_enum(*level);
    }

    fn get(d: &mut Decoder<'_>) -> Result<Self> {
        Ok(TrackedAttainment {
            goal_id: d.id()?,
            local_date: d.day()?,
            recorded_us: d.signed()?,
            level: d.byte_enum()?,
        })
    }
}

/// A custom instrument: what a therapist wrote (its texts) in the text
/// section. Custom instruments have no change rules, self-harm item or
/// attribution, so none are kept.
impl Value for CustomInstrument {
    fn put(&self, e: &mut Encoder) {
        let CustomInstrument {
            owner,
            create_time_us,
            instrument,
        } = self;
        e.id(instrument.id);
        e.id(*owner);
        e.signed(*create_time_us);
        e.varint(u64::from(instrument.version));
        e.text_section();
        e.text(&instrument.short_name);
        e.text(&instrument.title);
        e.text(&instrument.instructions);
        e.varint(instrument.items.len() as u64);
        for item in instrument.items.iter() {
            e.text(&item.text);
            e.u8(item.min_value);
            e.u8(item.max_value);
            e.varint(item.labels.len() as u64);
            for label in item.labels.iter() {
                e.u8(label.value);
                e.text(&label.label);
            }
        }
        e.varint(instrument.bands.len() as u64);
        for band in instrument.bands.iter() {
            put_band(e, band);
        }
    }

    fn get(d: &mut Decoder<'_>) -> Result<Self> {
        let id = d.id()?;
        let owner = d.id()?;
        let create_time_us = d.signed()?;
        let version = u32::try_from(d.varint()?).map_err(|_| corrupt("version"))?;
        text_section(d)?;
        let (short_name, title, instructions) = (d.text()?, d.text()?, d.text()?);
        let items = (0..d.varint()?)
            .map(|_| {
                let text = d.text()?;
                let (min_value, max_value) = (d.u8()?, d.u8()?);
                let labels = (0..d.varint()?)
                    .map(|_| {
                        Ok(AnswerLabel {
                            value: d.u8()?,
                            label: Cow::Owned(d.text()?),
                        })
                    })
                    .collect::<Result<Vec<_>>>()?;
                Ok(Item {
                    text: Cow::Owned(text),
                    min_value,
                    max_value,
                    labels: Cow::Owned(labels),
                })
            })
            .collect::<Result<Vec<_>>>()?;
        let bands = (0..d.varint()?)
            .map(|_| get_band(d))
            .collect::<Result<Vec<_>>>()?;
        Ok(CustomInstrument {
            owner,
            create_time_us,
            instrument: Instrument {
                id,
                version,
                short_name: Cow::Owned(short_name),
                title: Cow::Owned(title),
                instructions: Cow::Owned(instructions),
                items: Cow::Owned(items),
                bands: Cow::Owned(bands),
                change_rules: None,
                self_harm_item: None,
                attribution: Cow::Borrowed(""),
            },
        })
    }
}

impl Value for Account {
    fn put(&self, e: &mut Encoder) {
        let Account {
            id,
            role,
            display_name,
            time_zone,
            create_time_us,
            update_time_us,
            version,
            state,
        } = self;
        e.id(*id);
        e.byte_enum(*role);
        e.text(time_zone.name());
        e.signed(*create_time_us);
        e.signed(*update_time_us);
        e.signed(*version);
        e.text(display_name);
        e.byte_enum(*state);
    }

    fn get(d: &mut Decoder<'_>) -> Result<Self> {
        let id = d.id()?;
        let role = d.byte_enum()?;
        let time_zone = d.text()?.parse().map_err(|_| corrupt("time zone"))?;
        Ok(Account {
            id,
            role,
            time_zone,
            create_time_us: d.signed()?,
            update_time_us: d.signed()?,
            version: d.signed()?,
            display_name: d.text()?,
            // Accounts stored before states existed end here.
            state: if d.at_end() {
                AccountState::Active
            } else {
                d.byte_enum()?
            },
        })
    }
}

/// An optional time: 0 for none (no stored time is the epoch itself).
fn put_optional_time(e: &mut Encoder, time_us: Option<i64>) {
    e.signed(time_us.unwrap_or(0));
}

fn get_optional_time(d: &mut Decoder<'_>) -> Result<Option<i64>> {
    Ok(Some(d.signed()?).filter(|us| *us != 0))
}

impl Value for Token {
    fn put(&self, e: &mut Encoder) {
        let Token {
            id,
            hash,
            account_id,
            label,
            create_time_us,
            last_use_time_us,
            expire_time_us,
            revoked,
        } = self;
        e.id(*id);
        e.buf.extend_from_slice(hash);
        e.id(*account_id);
        e.signed(*create_time_us);
        put_optional_time(e, *last_use_time_us);
        put_optional_time(e, *expire_time_us);
        match revoked {
            Some(Revocation { time_us, reason }) => {
                e.byte_enum(*reason);
                e.signed(*time_us);
            }
            None => e.u8(0),
        }
        e.text(label);
    }

    fn get(d: &mut Decoder<'_>) -> Result<Self> {
        let id = d.id()?;
        let hash = d.take(32)?.try_into().map_err(|_| corrupt("token hash"))?;
        let account_id = d.id()?;
        let create_time_us = d.signed()?;
        let last_use_time_us = get_optional_time(d)?;
        let expire_time_us = get_optional_time(d)?;
        let revoked = match d.u8()? {
            0 => None,
            reason => Some(Revocation {
                reason: RevokeReason::from_byte(reason)?,
                time_us: d.signed()?,
            }),
        };
        Ok(Token {
            id,
            hash,
            account_id,
            label: d.text()?,
            create_time_us,
            last_use_time_us,
            expire_time_us,
            revoked,
        })
    }
}

impl Value for Invite {
    fn put(&self, e: &mut Encoder) {
        let Invite {
            code,
            therapist_id,
            create_time_us,
            expire_time_us,
            used_by,
        } = self;
        e.text(code);
        e.id(*therapist_id);
        e.signed(*create_time_us);
        e.signed(*expire_time_us);
        match used_by {
            Some(client) => {
                e.u8(1);
                e.id(*client);
            }
            None => e.u8(0),
        }
    }

    fn get(d: &mut Decoder<'_>) -> Result<Self> {
        Ok(Invite {
            code: d.text()?,
            therapist_id: d.id()?,
            create_time_us: d.signed()?,
            expire_time_us: d.signed()?,
            used_by: match d.u8()? {
                0 => None,
                _ => Some(d.id()?),
            },
        })
    }
}

impl Value for CareLink {
    fn put(&self, e: &mut Encoder) {
        let CareLink {
            id,
            therapist_id,
            client_id,
            state,
            create_time_us,
            revoke_time_us,
        } = self;
        e.id(*id);
        e.id(*therapist_id);
        e.id(*client_id);
        e.byte_enum(*state);
        e.signed(*create_time_us);
        put_optional_time(e, *revoke_time_us);
    }

    fn get(d: &mut Decoder<'_>) -> Result<Self> {
        Ok(CareLink {
            id: d.id()?,
            therapist_id: d.id()?,
            client_id: d.id()?,
            state: d.byte_enum()?,
            create_time_us: d.signed()?,
            revoke_time_us: get_optional_time(d)?,
        })
    }
}

impl Value for AccessEvent {
    fn put(&self, e: &mut Encoder) {
        let AccessEvent {
            therapist_id,
            client_id,
            method,
            time_us,
        } = self;
        e.id(*therapist_id);
        e.id(*client_id);
        e.text(method);
        e.signed(*time_us);
    }

    fn get(d: &mut Decoder<'_>) -> Result<Self> {
        Ok(AccessEvent {
            therapist_id: d.id()?,
            client_id: d.id()?,
            method: d.text()?,
            time_us: d.signed()?,
        })
    }
}

impl Value for AdminEvent {
    fn put(&self, e: &mut Encoder) {
        let AdminEvent {
            actor_id,
            action,
            target_id,
            size_bytes,
            sha256,
            time_us,
        } = self;
        e.id(*actor_id);
        e.byte_enum(*action);
        e.id(*target_id);
        e.varint(*size_bytes);
        e.bytes(sha256.as_ref().map_or(&[][..], |digest| &digest[..]));
        e.signed(*time_us);
    }

    fn get(d: &mut Decoder<'_>) -> Result<Self> {
        let actor_id = d.id()?;
        let action = d.byte_enum()?;
        let target_id = d.id()?;
        let size_bytes = d.varint()?;
        let sha256 = match d.bytes()? {
            [] => None,
            digest => Some(digest.try_into().map_err(|_| corrupt("digest"))?),
        };
        Ok(AdminEvent {
            actor_id,
            action,
            target_id,
            size_bytes,
            sha256,
            time_us: d.signed()?,
        })
    }
}

impl Value for Session {
    fn put(&self, e: &mut Encoder) {
        let Session {
            id,
            therapist_id,
            client_id,
            session_time_us,
            note,
            create_time_us,
        } = self;
        e.id(*id);
        e.id(*therapist_id);
        e.id(*client_id);
        e.signed(*session_time_us);
        e.signed(*create_time_us);
        e.text_section();
        e.text(note);
    }

    fn get(d: &mut Decoder<'_>) -> Result<Self> {
        let id = d.id()?;
        let therapist_id = d.id()?;
        let client_id = d.id()?;
        let session_time_us = d.signed()?;
        let create_time_us = d.signed()?;
        text_section(d)?;
        Ok(Session {
            id,
            therapist_id,
            client_id,
            session_time_us,
            note: d.text()?,
            create_time_us,
        })
    }
}

/// A sequence number.
pub fn encode_seq(seq: i64) -> Vec<u8> {
    seq.to_be_bytes().to_vec()
}

/// A stored sequence number.
pub fn decode_seq(bytes: &[u8]) -> Result<i64> {
    Ok(i64::from_be_bytes(
        bytes.try_into().map_err(|_| corrupt("sequence"))?,
    ))
}

/// A stored id (index values).
pub fn decode_id(bytes: &[u8]) -> Result<Uuid> {
    Uuid::from_slice(bytes).map_err(|_| corrupt("id"))
}

#[cfg(test)]
mod samples;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::attainment::AttainmentScale;
    use crate::domain::thoughts::Emotion;
    use crate::domain::{
        ActionStep, AssessmentResult, Assignment, AttainmentRating, CheckIn, Comment,
        CommentTarget, EfficacyRating, Goal, Skill, SkillPractice, ThoughtRecord,
    };

    /// The bytes of each of [`samples`] in the hand-written codec of format
    /// 3, which this encoding replaced: measured with that codec (commit
    /// 58ccf95) by encoding the samples (`encode_entity(..).plain()`, and
    /// `Value::encode`) and counting.
    const FORMAT_3_BYTES: &[(&str, usize)] = &[
        ("goal, bare", 44),
        ("goal, all set", 145),
        ("goal, long", 602),
        ("action step", 71),
        ("check-in, bare", 58),
        ("check-in, amount and note", 75),
        ("check-in, long note", 339),
        ("efficacy rating", 74),
        ("efficacy rating, bare", 63),
        ("assignment", 88),
        ("assignment, cancelled", 91),
        ("assessment result", 79),
        ("assessment result, no band", 65),
        ("attainment rating", 55),
        ("comment", 106),
        ("comment, author only", 336),
        ("skill", 111),
        ("skill practice, bare", 59),
        ("skill practice, all set", 66),
        ("thought record, bare", 88),
        ("thought record, re-rated", 167),
        ("thought record, long", 954),
        ("tombstone", 36),
        ("tombstone, hidden", 68),
        ("step track, 30 days", 304),
        ("tracked step", 23),
        ("tracked rating", 30),
        ("tracked assignment", 22),
        ("tracked result", 30),
        ("tracked scale", 2),
        ("tracked attainment", 29),
        ("custom instrument", 196),
        ("account", 63),
        ("token", 96),
        ("token, revoked", 104),
        ("invite", 45),
        ("invite, used", 61),
        ("care link", 59),
        ("care link, revoked", 66),
        ("access event", 76),
        ("admin event", 44),
        ("admin event, backup", 79),
        ("session", 85),
    ];

    #[test]
    fn no_stored_value_is_larger_than_in_the_hand_written_codec() {
        let records = samples::records()
            .into_iter()
            .map(|(name, entity)| (name, encode_entity(&entity).plain().len()));
        let values = samples::values()
            .into_iter()
            .map(|(name, bytes)| (name, bytes.len()));
        let mut measured = 0;
        for (name, now) in records.chain(values) {
            let (_, before) = FORMAT_3_BYTES
                .iter()
                .find(|(sample, _)| *sample == name)
                .unwrap_or_else(|| panic!("no format 3 size for {name}"));
            assert!(now <= *before, "{name}: {now} bytes, {before} before");
            measured += 1;
        }
        assert_eq!(measured, FORMAT_3_BYTES.len(), "every sample measured");
    }

    use crate::store::kv::seal::{ClientKey, MasterKey};

    fn day(s: &str) -> NaiveDate {
        s.parse().expect("date")
    }

    fn meta(creator: Uuid) -> Meta {
        Meta {
            id: Uuid::from_u128(1),
            client_id: Uuid::from_u128(2),
            version: 7,
            create_time_us: 1_800_000_000_000_000,
            update_time_us: 1_800_000_000_500_000,
            created_by: creator,
            updated_by: Uuid::from_u128(3),
        }
    }

    /// One client's key, sealing and opening as the store does.
    struct TestKey(ClientKey);

    impl OpenText for TestKey {
        fn open_text(&self, text: &SealedText<'_>) -> Result<Vec<u8>> {
            self.0.open(text)
        }
    }

    fn test_key() -> TestKey {
        TestKey(MasterKey::generate().new_client_key(Uuid::nil()).0)
    }

    fn sealed(entity: &Entity, key: &TestKey) -> Vec<u8> {
        encode_entity(entity)
            .sealed(|_, aad, plain| Ok(key.0.seal(aad, plain)))
            .expect("seals")
    }

    fn round_trip(entity: Entity) {
        let key = test_key();
        let id = entity.meta().id;
        let bytes = sealed(&entity, &key);
        assert_eq!(decode_entity(id, &bytes, &key).expect("decodes"), entity);
        let plain = encode_entity(&entity).plain();
        assert_eq!(decode_entity(id, &plain, &key).expect("plain"), entity);
        for cut in 0..bytes.len() {
            assert!(
                decode_entity(id, &bytes[..cut], &key).is_err(),
                "cut at {cut}"
            );
        }
    }

    #[test]
    fn a_replay_keeps_its_answer_sealed_and_its_version_readable_without_keys() {
        let key = test_key();
        let goal = Entity::Goal(Goal {
            meta: meta(Uuid::from_u128(2)),
            title: "Quiet-title-marker".into(),
            ..Goal::default()
        });
        let replays = [
            Replay {
                payload_digest: [3; 32],
                outcome: Outcome::Applied,
                current: Some(goal.clone()),
                rejection: None,
            },
            Replay {
                payload_digest: [4; 32],
                outcome: Outcome::Gone,
                current: Some(Entity::Tombstone(goal.tombstone())),
                rejection: None,
            },
            Replay {
                payload_digest: [5; 32],
                outcome: Outcome::Rejected,
                current: None,
                rejection: Some(Rejection {
                    reason: "INVALID_FIELDS".into(),
                    message: "invalid request".into(),
                    violations: vec![FieldViolation {
                        field: "goal.title".into(),
                        description: "must not be empty".into(),
                    }],
                }),
            },
        ];
        for replay in replays {
            let bytes = encode_replay(&replay, |_, aad, plain| Ok(key.0.seal(aad, plain)))
                .expect("encodes");
            assert!(
                !bytes.windows(18).any(|w| w == b"Quiet-title-marker"),
                "the kept record's text is sealed"
            );
            assert_eq!(replay_version(&bytes).expect("version"), replay.version());
            assert_eq!(decode_replay(&bytes, &key).expect("decodes"), replay);
        }
    }

    #[test]
    fn every_kind_of_record_round_trips() {
        for (_, entity) in samples::records() {
            round_trip(entity);
        }
        round_trip(Entity::Goal(Goal {
            meta: meta(Uuid::from_u128(2)),
            title: "Walk more".into(),
            why: "Energy".into(),
            target_date: Some(day("2026-12-31")),
            status: GoalStatus::Achieved,
            attainment_scale: None,
        }));
        for target_date in [None, Some(day("2027-03-01"))] {
            round_trip(Entity::Goal(Goal {
                meta: meta(Uuid::from_u128(2)),
                title: "Sleep".into(),
                target_date,
                attainment_scale: Some(AttainmentScale::restore(
                    ["a", "b", "c", "d", "é"].map(String::from),
                    7,
                    AttainmentLevel::MuchLessThanExpected,
                )),
                ..Goal::default()
            }));
        }
        round_trip(Entity::Goal(Goal {
            meta: meta(Uuid::from_u128(9)),
            target_date: None,
            ..Goal::default()
        }));
        round_trip(Entity::ActionStep(ActionStep {
            meta: meta(Uuid::from_u128(2)),
            goal_id: Uuid::from_u128(5),
            title: "Walk 20 minutes".into(),
            schedule: Schedule {
                times: 3,
                period_days: 7,
            },
            status: ActionStepStatus::Paused,
        }));
        for amount in [0.0, 2.5] {
            round_trip(Entity::CheckIn(CheckIn {
                meta: meta(Uuid::from_u128(2)),
                action_step_id: Uuid::from_u128(6),
                local_date: day("1999-02-28"),
                state: CheckInState::Partial,
                amount,
                note: "ünïcode".into(),
                private_note: true,
            }));
        }
        round_trip(Entity::EfficacyRating(EfficacyRating {
            meta: meta(Uuid::from_u128(2)),
            target: RatingTarget::ActionStep(Uuid::from_u128(6)),
            score: 100,
            note: String::new(),
            rate_time_us: -5,
        }));
        round_trip(Entity::Skill(Skill {
            meta: meta(Uuid::from_u128(9)),
            title: "Box breathing".into(),
            category: SkillCategory::ProblemSolving,
            instructions: "In 4, hold 4, out 4, hold 4".into(),
        }));
        for (duration_minutes, private_note) in [(None, false), (Some(1440), true)] {
            round_trip(Entity::SkillPractice(SkillPractice {
                meta: meta(Uuid::from_u128(2)),
                skill_id: Uuid::from_u128(7),
                local_date: day("2026-03-01"),
                distress_before: 100,
                distress_after: 0,
                duration_minutes,
                note: "calmer".into(),
                private_note,
            }));
        }
        round_trip(Entity::ThoughtRecord(ThoughtRecord {
            meta: meta(Uuid::from_u128(2)),
            local_date: day("2026-05-02"),
            situation: "Meeting".into(),
            automatic_thought: "They think I'm useless".into(),
            emotions: vec![
                Emotion {
                    name: "anxious".into(),
                    before: 80,
                    after: Some(0),
                },
                Emotion {
                    name: "ashamed".into(),
                    before: 100,
                    after: None,
                },
            ],
            distortions: [
                Distortion::Personalisation,
                Distortion::AllOrNothingThinking,
            ]
            .into(),
            evidence_for: "for".into(),
            evidence_against: "against".into(),
            balanced_thought: "balanced".into(),
            belief_before: Some(0),
            belief_after: None,
            private: true,
        }));
        round_trip(Entity::ThoughtRecord(ThoughtRecord {
            meta: meta(Uuid::from_u128(2)),
            ..ThoughtRecord::default()
        }));
        for cancelled in [None, Some(day("2026-04-01"))] {
            let schedule = AssignmentSchedule::new(day("2026-03-02"), 14).expect("valid");
            round_trip(Entity::Assignment(Assignment {
                meta: meta(Uuid::from_u128(9)),
                instrument_id: Uuid::from_u128(7),
                schedule: match cancelled {
                    Some(on) => schedule.cancelled(on),
                    None => schedule,
                },
            }));
        }
        for severity in [None, crate::domain::instruments::PHQ9.ranked_band(12)] {
            round_trip(Entity::AssessmentResult(AssessmentResult {
                meta: meta(Uuid::from_u128(2)),
                instrument_id: Uuid::from_u128(9),
                instrument_version: 1,
                local_date: day("2026-03-02"),
                answers: vec![1, 2, 0, 3, 1, 0, 2, 1, 2],
                severity,
            }));
        }
        round_trip(Entity::AttainmentRating(AttainmentRating {
            meta: meta(Uuid::from_u128(9)),
            goal_id: Uuid::from_u128(5),
            level: AttainmentLevel::MuchMoreThanExpected,
            local_date: day("2026-03-02"),
        }));
        for (target, author_only) in [
            (CommentTarget::CheckIn(Uuid::from_u128(6)), true),
            (CommentTarget::AssessmentResult(Uuid::from_u128(6)), false),
        ] {
            round_trip(Entity::Comment(Comment {
                meta: meta(Uuid::from_u128(9)),
                target,
                text: "Well done".into(),
                author_only,
            }));
        }
        for hidden_from_therapists in [false, true] {
            round_trip(Entity::Tombstone(Tombstone {
                kind: Kind::CheckIn,
                meta: meta(Uuid::from_u128(2)),
                hidden_from_therapists,
            }));
        }
    }

    #[test]
    fn a_session_round_trips() {
        let session = Session {
            id: Uuid::from_u128(1),
            therapist_id: Uuid::from_u128(2),
            client_id: Uuid::from_u128(3),
            session_time_us: 1_800_000_000_000_000,
            note: "Talked about sleep".into(),
            create_time_us: 1_800_000_100_000_000,
        };
        assert_eq!(
            Session::decode(&session.encode()).expect("decodes"),
            session
        );
    }

    #[test]
    fn aggregate_entries_and_custom_instruments_round_trip() {
        fn again<T: Value + PartialEq + std::fmt::Debug>(value: T) {
            assert_eq!(T::decode(&value.encode()).expect("decodes"), value);
        }
        again(TrackedAssignment {
            instrument_id: Uuid::from_u128(9),
            schedule: AssignmentSchedule::new(day("2026-03-02"), 7)
                .expect("valid")
                .cancelled(day("2026-05-01")),
        });
        again(TrackedResult {
            instrument_id: Uuid::from_u128(9),
            local_date: day("2026-03-02"),
            submitted_us: 1_800_000_000_000_000,
            total: 27,
            self_harm: true,
        });
        again(TrackedScale { weight: 3 });
        again(TrackedAttainment {
            goal_id: Uuid::from_u128(4),
            local_date: day("2026-03-02"),
            recorded_us: -1,
            level: AttainmentLevel::LessThanExpected,
        });
        let draft = crate::domain::instruments::CustomInstrumentDraft {
            short_name: "SLEEP".into(),
            title: "Sleep check".into(),
            instructions: "Last week:".into(),
            items: vec![crate::domain::instruments::ItemDraft {
                text: "How rested?".into(),
                min_value: 1,
                max_value: 5,
                labels: vec![(1, "Not".into()), (3, "Some".into()), (5, "Fully".into())],
            }],
            bands: vec![crate::domain::instruments::BandDraft {
                min_score: 1,
                max_score: 5,
                label: "Any".into(),
            }],
        };
        again(CustomInstrument {
            owner: Uuid::from_u128(3),
            create_time_us: 1_800_000_000_000_000,
            instrument: draft.check(Uuid::from_u128(77)).expect("valid"),
        });
    }

    #[test]
    fn a_goal_is_stored_in_few_bytes() {
        let goal = Entity::Goal(Goal {
            meta: Meta {
                created_by: Uuid::from_u128(2),
                updated_by: Uuid::from_u128(2),
                ..meta(Uuid::from_u128(2))
            },
            title: "Walk more".into(),
            ..Goal::default()
        });
        // format and kind, client 16, flags, version, two times, status,
        // date flag, text flag,
        // title and why: well under the API's encoding of ids as text.
        assert!(
            encode_entity(&goal).plain().len() < 50,
            "{}",
            encode_entity(&goal).plain().len()
        );
    }

    #[test]
    fn garbage_is_an_error_not_a_panic() {
        let key = test_key();
        let bytes = sealed(&Entity::Goal(Goal::default()), &key);
        for cut in 0..bytes.len() {
            assert!(decode_entity(Uuid::nil(), &bytes[..cut], &key).is_err());
        }
        for kind in [0, KIND_MASK] {
            let mut unknown = bytes.clone();
            unknown[0] = (unknown[0] & !KIND_MASK) | kind;
            assert!(decode_entity(Uuid::nil(), &unknown, &key).is_err());
        }
        // The text section's marker, where the plain and sealed forms part.
        let plain = encode_entity(&Entity::Goal(Goal::default())).plain();
        let at = plain.iter().zip(&bytes).take_while(|(a, b)| a == b).count();
        let mut marker = bytes.clone();
        marker[at] = 1; // XChaCha20-Poly1305, of format 3 and older
        assert!(decode_entity(Uuid::nil(), &marker, &key).is_err());
    }

    #[test]
    fn accounts_stored_before_states_read_as_active_and_tokens_round_trip() {
        let account = Account {
            id: Uuid::from_u128(1),
            role: Role::Client,
            display_name: "Ada".into(),
            time_zone: chrono_tz::Europe::Lisbon,
            create_time_us: 5,
            update_time_us: 6,
            version: 2,
            state: AccountState::Disabled,
        };
        assert_eq!(
            Account::decode(&account.encode()).expect("decodes"),
            account
        );
        let mut older = account.encode();
        older.pop();
        let read = Account::decode(&older).expect("an older account");
        assert_eq!(read.state, AccountState::Active);

        for revoked in [
            None,
            Some(Revocation {
                time_us: 9,
                reason: RevokeReason::AccountDeleted,
            }),
        ] {
            let token = Token {
                id: Uuid::from_u128(3),
                hash: [7; 32],
                account_id: Uuid::from_u128(1),
                label: "Ada's iPhone".into(),
                create_time_us: 5,
                last_use_time_us: Some(8),
                expire_time_us: None,
                revoked,
            };
            assert_eq!(Token::decode(&token.encode()).expect("decodes"), token);
        }
    }

    #[test]
    fn sealed_text_is_unreadable_and_bound_to_its_record() {
        let key = test_key();
        let goal = Entity::Goal(Goal {
            meta: meta(Uuid::from_u128(2)),
            title: "TITLE-MARKER".into(),
            why: "WHY-MARKER".into(),
            ..Goal::default()
        });
        let id = goal.meta().id;
        let bytes = sealed(&goal, &key);
        for marker in [&b"TITLE-MARKER"[..], b"WHY-MARKER"] {
            assert!(!bytes.windows(marker.len()).any(|w| w == marker));
        }
        assert!(
            decode_entity(Uuid::from_u128(99), &bytes, &key).is_err(),
            "moved to another record"
        );
        let mut tampered = bytes.clone();
        tampered[2] ^= 1;
        assert!(
            decode_entity(id, &tampered, &key).is_err(),
            "a field changed"
        );
        assert!(
            decode_entity(id, &bytes, &test_key()).is_err(),
            "another key"
        );
    }
}
