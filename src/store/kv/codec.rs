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
use crate::domain::attainment::{AttainmentLevel, AttainmentScale};
use crate::domain::instruments::{
    AnswerLabel, CustomInstrument, Instrument, Item, RankedBand, SeverityBand,
};
use crate::domain::skills::SkillCategory;
use crate::domain::thoughts::{Distortion, Emotion};
use crate::domain::{
    AccessEvent, Account, AccountState, ActionStep, ActionStepStatus, AdminAction, AdminEvent,
    AssessmentResult, Assignment, AttainmentRating, CareLink, CareLinkState, CheckIn, CheckInState,
    Comment, CommentTarget, EfficacyRating, Entity, Goal, GoalStatus, Invite, Kind, Meta, Outcome,
    RatingTarget, Rejection, Replay, Revocation, RevokeReason, Role, Schedule, Session, Skill,
    SkillPractice, StepTrack, ThoughtRecord, Token, Tombstone, TrackedAssignment,
    TrackedAttainment, TrackedDay, TrackedRating, TrackedResult, TrackedScale, TrackedStep,
};
use crate::error::{Error, FieldViolation, Result};

use super::keys::kind_byte;
use super::seal::{SealedText, Sealing};

/// The layout this code writes.
pub const FORMAT: u8 = 1;

/// A text section kept as is: written by versions before sealing, and by
/// a store's upgrade before it seals them.
const SECTION_PLAIN: u8 = 0;
/// A text section sealed with XChaCha20-Poly1305 under the client's key:
/// a nonce, the ciphertext and its tag ([`super::seal`]). Written before
/// AES-GCM; still read.
const SECTION_SEALED_XCHACHA: u8 = 1;
/// A text section sealed with AES-256-GCM under the client's text key: a
/// nonce, the ciphertext and its tag ([`super::seal`]).
const SECTION_SEALED: u8 = 2;

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

    fn f64(&mut self, value: f64) {
        self.buf.extend_from_slice(&value.to_le_bytes());
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

    fn f64(&mut self) -> Result<f64> {
        let bytes: [u8; 8] = self.take(8)?.try_into().map_err(|_| corrupt("number"))?;
        Ok(f64::from_le_bytes(bytes))
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

/// The byte of a tombstone where a record's kind byte would be.
const TOMBSTONE: u8 = 0x7F;
/// The same, for a tombstone hidden from therapists.
const HIDDEN_TOMBSTONE: u8 = 0x7E;

/// An optional rating of 0 to 100 in one byte: this byte means none.
const NO_RATING: u8 = 0xFF;

fn kind_from_byte(byte: u8) -> Result<Kind> {
    Kind::ALL
        .iter()
        .copied()
        .find(|kind| kind_byte(*kind) == byte)
        .ok_or_else(|| corrupt("record kind"))
}

/// Flags of a record's meta: which actor ids equal the client or creator.
const CREATED_BY_CLIENT: u8 = 1;
const UPDATED_BY_CREATOR: u8 = 2;

fn put_meta(e: &mut Encoder, meta: &Meta) {
    e.id(meta.client_id);
    let mut flags = 0;
    if meta.created_by == meta.client_id {
        flags |= CREATED_BY_CLIENT;
    }
    if meta.updated_by == meta.created_by {
        flags |= UPDATED_BY_CREATOR;
    }
    e.u8(flags);
    if flags & CREATED_BY_CLIENT == 0 {
        e.id(meta.created_by);
    }
    if flags & UPDATED_BY_CREATOR == 0 {
        e.id(meta.updated_by);
    }
    e.signed(meta.version);
    e.signed(meta.create_time_us);
    e.signed(meta.update_time_us - meta.create_time_us);
}

fn get_meta(d: &mut Decoder<'_>, id: Uuid) -> Result<Meta> {
    let client_id = d.id()?;
    let flags = d.u8()?;
    let created_by = if flags & CREATED_BY_CLIENT == 0 {
        d.id()?
    } else {
        client_id
    };
    let updated_by = if flags & UPDATED_BY_CREATOR == 0 {
        d.id()?
    } else {
        created_by
    };
    let version = d.signed()?;
    let create_time_us = d.signed()?;
    let update_time_us = create_time_us + d.signed()?;
    Ok(Meta {
        id,
        client_id,
        version,
        create_time_us,
        update_time_us,
        created_by,
        updated_by,
    })
}

/// A record's encoding, its text section not yet sealed.
#[must_use = "a record's text must be sealed (or deliberately kept plain)"]
pub struct Encoded {
    id: Uuid,
    client: Uuid,
    encoder: Encoder,
}

impl Encoded {
    /// The bytes with the text section sealed: `seal(client, aad, plain)`
    /// returns the sealed form of the section's bytes `plain`, bound to
    /// `aad` (the record's id and the value's bytes before the section).
    pub fn sealed(
        self,
        seal: impl FnOnce(Uuid, &[u8], &[u8]) -> Result<Vec<u8>>,
    ) -> Result<Vec<u8>> {
        let Encoder { mut buf, section } = self.encoder;
        let Some(at) = section else {
            return Ok(buf);
        };
        let aad = section_aad(self.id, &buf[..at]);
        let sealed = seal(self.client, &aad, &buf[at + 1..])?;
        buf.truncate(at);
        buf.push(SECTION_SEALED);
        buf.extend_from_slice(&sealed);
        Ok(buf)
    }

    /// The bytes with the text as is: only for a store's upgrade, which
    /// seals it afterwards, and for tests.
    pub fn plain(self) -> Vec<u8> {
        self.encoder.finish()
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
    Encoded {
        id: meta.id,
        client: meta.client_id,
        encoder: encode_fields(entity),
    }
}

fn encode_fields(entity: &Entity) -> Encoder {
    let mut e = Encoder::new();
    match entity {
        Entity::Tombstone(Tombstone {
            kind,
            meta,
            hidden_from_therapists,
        }) => {
            e.u8(if *hidden_from_therapists {
                HIDDEN_TOMBSTONE
            } else {
                TOMBSTONE
            });
            e.u8(kind_byte(*kind));
            put_meta(&mut e, meta);
            return e;
        }
        live => {
            e.u8(kind_byte(live.kind()));
            put_meta(&mut e, live.meta());
        }
    }
    match entity {
        Entity::Goal(Goal {
            meta: _,
            title,
            why,
            target_date,
            status,
            attainment_scale,
        }) => {
            e.byte_enum(*status);
            let flags = u8::from(target_date.is_some())
                | (u8::from(attainment_scale.is_some()) * GOAL_HAS_SCALE);
            e.u8(flags);
            if let Some(day) = target_date {
                e.day(*day);
            }
            if let Some(scale) = attainment_scale {
                e.varint(u64::from(scale.weight()));
                e.byte_enum(scale.baseline());
            }
            e.text_section();
            e.text(title);
            e.text(why);
            for description in attainment_scale.iter().flat_map(|s| s.descriptions()) {
                e.text(description);
            }
        }
        Entity::ActionStep(ActionStep {
            meta: _,
            goal_id,
            title,
            schedule: Schedule { times, period_days },
            status,
        }) => {
            e.id(*goal_id);
            e.varint(u64::from(*times));
            e.varint(u64::from(*period_days));
            e.byte_enum(*status);
            e.text_section();
            e.text(title);
        }
        Entity::CheckIn(CheckIn {
            meta: _,
            action_step_id,
            local_date,
            state,
            amount,
            note,
            private_note,
        }) => {
            e.id(*action_step_id);
            e.day(*local_date);
            e.byte_enum(*state);
            let flags = u8::from(*private_note) | (u8::from(*amount != 0.0) << 1);
            e.u8(flags);
            if *amount != 0.0 {
                e.f64(*amount);
            }
            e.text_section();
            e.text(note);
        }
        Entity::EfficacyRating(EfficacyRating {
            meta: _,
            target,
            score,
            note,
            rate_time_us,
        }) => {
            let (target_kind, target_id) = (target.kind(), target.id());
            e.u8(kind_byte(target_kind));
            e.id(target_id);
            e.u8(*score);
            e.signed(*rate_time_us);
            e.text_section();
            e.text(note);
        }
        Entity::Assignment(Assignment {
            meta: _,
            instrument_id,
            schedule,
        }) => {
            e.id(*instrument_id);
            put_schedule(&mut e, schedule);
        }
        Entity::AssessmentResult(AssessmentResult {
            meta: _,
            instrument_id,
            instrument_version,
            local_date,
            answers,
            severity,
        }) => {
            e.id(*instrument_id);
            e.varint(u64::from(*instrument_version));
            e.day(*local_date);
            e.u8(u8::from(severity.is_some()));
            e.text_section();
            e.bytes(answers);
            if let Some(RankedBand { rank, band }) = severity {
                e.varint(u64::from(*rank));
                put_band(&mut e, band);
            }
        }
        Entity::AttainmentRating(AttainmentRating {
            meta: _,
            goal_id,
            level,
            local_date,
        }) => {
            e.id(*goal_id);
            e.byte_enum(*level);
            e.day(*local_date);
        }
        Entity::Comment(Comment {
            meta: _,
            target,
            text,
            author_only,
        }) => {
            e.u8(kind_byte(target.kind()));
            e.id(target.id());
            e.u8(u8::from(*author_only));
            e.text_section();
            e.text(text);
        }
        Entity::Skill(Skill {
            meta: _,
            title,
            category,
            instructions,
        }) => {
            e.byte_enum(*category);
            e.text_section();
            e.text(title);
            e.text(instructions);
        }
        Entity::SkillPractice(SkillPractice {
            meta: _,
            skill_id,
            local_date,
            distress_before,
            distress_after,
            duration_minutes,
            note,
            private_note,
        }) => {
            e.id(*skill_id);
            e.day(*local_date);
            e.u8(*distress_before);
            e.u8(*distress_after);
            e.u8(u8::from(*private_note) | (u8::from(duration_minutes.is_some()) << 1));
            if let Some(minutes) = duration_minutes {
                e.varint(u64::from(*minutes));
            }
            e.text_section();
            e.text(note);
        }
        Entity::ThoughtRecord(ThoughtRecord {
            meta: _,
            local_date,
            situation,
            automatic_thought,
            emotions,
            distortions,
            evidence_for,
            evidence_against,
            balanced_thought,
            belief_before,
            belief_after,
            private,
        }) => {
            e.day(*local_date);
            e.u8(u8::from(*private));
            e.u8(belief_before.unwrap_or(NO_RATING));
            e.u8(belief_after.unwrap_or(NO_RATING));
            e.varint(distortions.len() as u64);
            for distortion in distortions {
                e.byte_enum(*distortion);
            }
            e.varint(emotions.len() as u64);
            for emotion in emotions {
                e.u8(emotion.before);
                e.u8(emotion.after.unwrap_or(NO_RATING));
            }
            // What the client wrote, the emotions' names included.
            e.text_section();
            for text in [
                situation,
                automatic_thought,
                evidence_for,
                evidence_against,
                balanced_thought,
            ] {
                e.text(text);
            }
            for emotion in emotions {
                e.text(&emotion.name);
            }
        }
        Entity::Tombstone(_) => {}
    }
    e
}

/// A goal's flag: an attainment scale follows (bit 0 says a target date
/// does).
const GOAL_HAS_SCALE: u8 = 2;

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

/// An optional rating written with [`NO_RATING`] for none.
fn optional_rating(byte: u8) -> Result<Option<u8>> {
    match byte {
        NO_RATING => Ok(None),
        0..=100 => Ok(Some(byte)),
        _ => Err(corrupt("rating")),
    }
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

/// Decodes a record or tombstone stored under `id`; `keys` opens its text.
pub fn decode_entity(id: Uuid, bytes: &[u8], keys: &dyn OpenText) -> Result<Entity> {
    let mut d = Decoder::new(bytes)?;
    let tag = d.u8()?;
    if tag == TOMBSTONE || tag == HIDDEN_TOMBSTONE {
        let kind = kind_from_byte(d.u8()?)?;
        let meta = get_meta(&mut d, id)?;
        d.end()?;
        return Ok(Entity::Tombstone(Tombstone {
            kind,
            meta,
            hidden_from_therapists: tag == HIDDEN_TOMBSTONE,
        }));
    }
    let kind = kind_from_byte(tag)?;
    let meta = get_meta(&mut d, id)?;
    d.text = Some(TextContext {
        id,
        client: meta.client_id,
        keys,
    });
    let entity = match kind {
        Kind::Goal => {
            let status = d.byte_enum()?;
            let flags = d.u8()?;
            let target_date = match flags & 1 {
                0 => None,
                _ => Some(d.day()?),
            };
            let scale = match flags & GOAL_HAS_SCALE {
                0 => None,
                _ => {
                    let weight = u32::try_from(d.varint()?).map_err(|_| corrupt("weight"))?;
                    Some((weight, d.byte_enum()?))
                }
            };
            text_section(&mut d)?;
            let (title, why) = (d.text()?, d.text()?);
            let attainment_scale = match scale {
                None => None,
                Some((weight, baseline)) => {
                    let descriptions = [d.text()?, d.text()?, d.text()?, d.text()?, d.text()?];
                    Some(AttainmentScale::restore(descriptions, weight, baseline))
                }
            };
            Entity::Goal(Goal {
                meta,
                title,
                why,
                target_date,
                status,
                attainment_scale,
            })
        }
        Kind::ActionStep => {
            let goal_id = d.id()?;
            let times = u32::try_from(d.varint()?).map_err(|_| corrupt("schedule"))?;
            let period_days = u32::try_from(d.varint()?).map_err(|_| corrupt("schedule"))?;
            let status = d.byte_enum()?;
            text_section(&mut d)?;
            Entity::ActionStep(ActionStep {
                meta,
                goal_id,
                title: d.text()?,
                schedule: Schedule { times, period_days },
                status,
            })
        }
        Kind::CheckIn => {
            let action_step_id = d.id()?;
            let local_date = d.day()?;
            let state = d.byte_enum()?;
            let flags = d.u8()?;
            let amount = if flags & 2 != 0 { d.f64()? } else { 0.0 };
            text_section(&mut d)?;
            Entity::CheckIn(CheckIn {
                meta,
                action_step_id,
                local_date,
                state,
                amount,
                note: d.text()?,
                private_note: flags & 1 != 0,
            })
        }
        Kind::EfficacyRating => {
            let target_kind = kind_from_byte(d.u8()?)?;
            let target_id = d.id()?;
            let target = match target_kind {
                Kind::Goal => RatingTarget::Goal(target_id),
                Kind::ActionStep => RatingTarget::ActionStep(target_id),
                _ => return Err(corrupt("rating target")),
            };
            let score = d.u8()?;
            let rate_time_us = d.signed()?;
            text_section(&mut d)?;
            Entity::EfficacyRating(EfficacyRating {
                meta,
                target,
                score,
                note: d.text()?,
                rate_time_us,
            })
        }
        Kind::Assignment => Entity::Assignment(Assignment {
            meta,
            instrument_id: d.id()?,
            schedule: get_schedule(&mut d)?,
        }),
        Kind::AssessmentResult => {
            let instrument_id = d.id()?;
            let instrument_version =
                u32::try_from(d.varint()?).map_err(|_| corrupt("instrument version"))?;
            let local_date = d.day()?;
            let has_severity = d.u8()? != 0;
            text_section(&mut d)?;
            let answers = d.bytes()?.to_vec();
            let severity = match has_severity {
                false => None,
                true => Some(RankedBand {
                    rank: u32::try_from(d.varint()?).map_err(|_| corrupt("band"))?,
                    band: get_band(&mut d)?,
                }),
            };
            Entity::AssessmentResult(AssessmentResult {
                meta,
                instrument_id,
                instrument_version,
                local_date,
                answers,
                severity,
            })
        }
        Kind::AttainmentRating => Entity::AttainmentRating(AttainmentRating {
            meta,
            goal_id: d.id()?,
            level: d.byte_enum()?,
            local_date: d.day()?,
        }),
        Kind::Comment => {
            let target_kind = kind_from_byte(d.u8()?)?;
            let target_id = d.id()?;
            let target = match target_kind {
                Kind::Goal => CommentTarget::Goal(target_id),
                Kind::ActionStep => CommentTarget::ActionStep(target_id),
                Kind::CheckIn => CommentTarget::CheckIn(target_id),
                Kind::AssessmentResult => CommentTarget::AssessmentResult(target_id),
                _ => return Err(corrupt("comment target")),
            };
            let author_only = d.u8()? != 0;
            text_section(&mut d)?;
            Entity::Comment(Comment {
                meta,
                target,
                text: d.text()?,
                author_only,
            })
        }
        Kind::Skill => {
            let category = d.byte_enum()?;
            text_section(&mut d)?;
            Entity::Skill(Skill {
                meta,
                category,
                title: d.text()?,
                instructions: d.text()?,
            })
        }
        Kind::SkillPractice => {
            let skill_id = d.id()?;
            let local_date = d.day()?;
            let distress_before = d.u8()?;
            let distress_after = d.u8()?;
            let flags = d.u8()?;
            let duration_minutes = if flags & 2 != 0 {
                Some(u32::try_from(d.varint()?).map_err(|_| corrupt("duration"))?)
            } else {
                None
            };
            text_section(&mut d)?;
            Entity::SkillPractice(SkillPractice {
                meta,
                skill_id,
                local_date,
                distress_before,
                distress_after,
                duration_minutes,
                note: d.text()?,
                private_note: flags & 1 != 0,
            })
        }
        Kind::ThoughtRecord => {
            let local_date = d.day()?;
            let private = d.u8()? & 1 != 0;
            let belief_before = optional_rating(d.u8()?)?;
            let belief_after = optional_rating(d.u8()?)?;
            let mut distortions = std::collections::BTreeSet::new();
            for _ in 0..d.varint()? {
                distortions.insert(d.byte_enum()?);
            }
            let mut emotions = Vec::new();
            for _ in 0..d.varint()? {
                emotions.push(Emotion {
                    name: String::new(),
                    before: d.u8()?,
                    after: optional_rating(d.u8()?)?,
                });
            }
            text_section(&mut d)?;
            let situation = d.text()?;
            let automatic_thought = d.text()?;
            let evidence_for = d.text()?;
            let evidence_against = d.text()?;
            let balanced_thought = d.text()?;
            for emotion in &mut emotions {
                emotion.name = d.text()?;
            }
            Entity::ThoughtRecord(ThoughtRecord {
                meta,
                local_date,
                situation,
                automatic_thought,
                emotions,
                distortions,
                evidence_for,
                evidence_against,
                balanced_thought,
                belief_before,
                belief_after,
                private,
            })
        }
    };
    d.end()?;
    Ok(entity)
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
mod tests {
    use super::*;
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
        // A store written before sealing, or being upgraded, has plain text.
        let plain = encode_entity(&entity).plain();
        assert_eq!(decode_entity(id, &plain, &key).expect("plain"), entity);
        // Text sealed before AES-GCM: the same head, the older marker,
        // XChaCha20-Poly1305.
        let at = plain.iter().zip(&bytes).take_while(|(a, b)| a == b).count();
        if at == plain.len() {
            return; // no text section
        }
        let earlier = [
            &plain[..at],
            &[SECTION_SEALED_XCHACHA],
            &key.0
                .seal_earlier(&section_aad(id, &plain[..at]), &plain[at + 1..]),
        ]
        .concat();
        assert_eq!(decode_entity(id, &earlier, &key).expect("earlier"), entity);
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
    fn a_goal_stored_before_attainment_scales_still_decodes() {
        // The layout of a goal before scales: status, target date flag 0/1,
        // then the text section; it must read as a goal without a scale.
        let goal = Entity::Goal(Goal {
            meta: meta(Uuid::from_u128(2)),
            title: "Walk".into(),
            why: "Energy".into(),
            target_date: Some(day("2026-12-31")),
            ..Goal::default()
        });
        let bytes = encode_entity(&goal).plain();
        let decoded = decode_entity(goal.meta().id, &bytes, &test_key()).expect("decodes");
        assert_eq!(decoded, goal);
        let Entity::Goal(decoded) = decoded else {
            panic!("a goal")
        };
        assert_eq!(decoded.attainment_scale, None);
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
        let mut future = bytes.clone();
        future[0] = FORMAT + 1;
        assert!(decode_entity(Uuid::nil(), &future, &key).is_err());
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
