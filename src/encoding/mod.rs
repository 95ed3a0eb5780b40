//! The storage encoding of values, declared: a type states how it is kept
//! with `#[derive(Stored)]` (the `stepwise-derive` crate), and this module
//! holds the format that derive writes, and the encodings of the types it
//! is built from (integers, ids, dates, text, options, lists).
//!
//! A value is encoded as two parts: a **head** (ids, numbers, dates,
//! enums, counts: what the store may keep in plain) and a **text** part
//! (what people wrote: every `String`, and any field marked
//! `#[stored(sealed)]`, such as a questionnaire's answers). The store keeps
//! a record's text part sealed with its client's key and binds it to the
//! head (`crate::store::kv::seal`); other values are kept as head then text.
//! A struct's parts are its fields' parts in declaration order; decoding
//! reads the whole head first, then the text part, so the text can be
//! opened (unsealed) in between.
//!
//! The format, compact and stable:
//! - ids: their 16 bytes; `u8`: one byte; other unsigned integers: LEB128
//!   varints; signed ones: zigzag varints; dates: the zigzag varint of
//!   their day number since 1970-01-01;
//! - text: a varint length and UTF-8 bytes;
//! - a struct's `bool`s, the presence of its `Option`s of anything but an
//!   integer, and whether each `f64` is non-zero (a zero is not written)
//!   are bits of one flags byte, first in the struct's head (more bytes
//!   past 8 such fields, none when there are none);
//! - `Option` of an integer: a varint of 0 for none, n + 1 for n, so an
//!   optional rating costs one byte;
//! - an enum: one byte, its variant's explicit discriminant (fixed forever,
//!   so reordering variants never changes the format), then the variant's
//!   fields;
//! - lists and sets: a varint count, then their elements.
//!
//! Every value carries no version of its own: the store as a whole has a
//! format number (`crate::store::kv::format`), and a store of another
//! format is refused, not read.
//!
//! **History without a special path.** A kind that keeps every saved
//! version besides its current copy (a safety plan: one current copy per
//! client, and its full history) declares nothing more: an older version
//! is a value of the record's own type, with its own meta (its version,
//! its time, who saved it), so the store keeps it exactly as it keeps the
//! current copy (`crate::store::kv::codec::encode_entity`, its text sealed
//! with the client's key and bound to its id and head, which holds its
//! version) under a history key, and reads it back with the same decoder:
//! ```text
//! H + client id + record id + version (8 bytes, big-endian)  →  the record as stored
//! ```
//! A history table is that one key function; no second codec, no
//! per-version format (a value written today stays readable for as long
//! as the store's format lasts; a change of fields is a new store format,
//! as for every other value).

use std::borrow::Cow;
use std::collections::BTreeSet;

use chrono::{Datelike, NaiveDate};
use uuid::Uuid;

use crate::error::{Error, FieldViolation, Result};

pub use stepwise_derive::Stored;

#[cfg(test)]
mod tests;

/// The most flag bits one struct's head holds (8 bytes of flags).
pub const MAX_FLAGS: u32 = 64;

/// A type with a storage encoding: a head and a text part. Derive it
/// (`#[derive(Stored)]`); implement it by hand only for a deliberately
/// different layout (a step's delta-encoded days).
pub trait Stored: Sized {
    /// Flag bits the value takes in its container's flags byte (a `bool`,
    /// an `f64`, an `Option` of a non-integer).
    const BITS: u32 = 0;
    /// Flag bits the value writes first in its own head (a struct's fields'
    /// bits).
    const HEAD_FLAGS: u32 = 0;
    /// Flag bits an `Option` of this type takes: by default one for its
    /// presence, and the value's own.
    const OPTION_BITS: u32 = 1 + Self::BITS;

    /// What the head decodes to, before the text part is read.
    type Head;

    /// Adds the value's [`Stored::BITS`] bits to its container's flags.
    fn put_bits(&self, _bits: &mut Bits) {}
    /// Appends the value's head.
    fn put_head(&self, head: &mut Writer);
    /// Appends the value's text part.
    fn put_text(&self, text: &mut Writer);
    /// Reads the value's head, taking its bits from its container's flags.
    fn get_head(bits: &mut Bits, head: &mut Reader<'_>) -> Result<Self::Head>;
    /// Completes the value from its head and text part.
    fn get_text(head: Self::Head, text: &mut Reader<'_>) -> Result<Self>;

    /// `Option<Self>`'s bits: its presence, then the value's (cleared
    /// when absent).
    fn put_option_bits(value: &Option<Self>, bits: &mut Bits) {
        bits.push(value.is_some());
        match value {
            Some(value) => value.put_bits(bits),
            None => bits.skip(Self::BITS),
        }
    }
    /// `Option<Self>`'s head: the value's, when present.
    fn put_option_head(value: &Option<Self>, head: &mut Writer) {
        if let Some(value) = value {
            value.put_head(head);
        }
    }
    /// Reads what [`Stored::put_option_bits`] and
    /// [`Stored::put_option_head`] wrote.
    fn get_option_head(bits: &mut Bits, head: &mut Reader<'_>) -> Result<Option<Self::Head>> {
        if bits.pop() {
            Self::get_head(bits, head).map(Some)
        } else {
            bits.skip(Self::BITS);
            Ok(None)
        }
    }
}

/// The error for bytes that are not a stored `what`.
pub fn malformed(what: &str) -> Error {
    Error::internal(format!("stored {what} is malformed"))
}

/// Appends to one part of an encoding.
#[derive(Debug, Default)]
pub struct Writer {
    buf: Vec<u8>,
}

impl Writer {
    /// An empty writer with room for `capacity` bytes.
    pub fn with_capacity(capacity: usize) -> Self {
        Self {
            buf: Vec::with_capacity(capacity),
        }
    }

    /// The bytes written.
    pub fn into_bytes(self) -> Vec<u8> {
        self.buf
    }

    /// The bytes written so far.
    pub fn bytes(&self) -> &[u8] {
        &self.buf
    }

    /// Whether nothing was written.
    pub fn is_empty(&self) -> bool {
        self.buf.is_empty()
    }

    /// One byte.
    pub fn u8(&mut self, value: u8) {
        self.buf.push(value);
    }

    /// Bytes as they are (a fixed length the reader knows).
    pub fn raw(&mut self, bytes: &[u8]) {
        self.buf.extend_from_slice(bytes);
    }

    /// A LEB128 varint.
    pub fn varint(&mut self, mut value: u64) {
        while value >= 0x80 {
            self.buf.push((value as u8) | 0x80);
            value >>= 7;
        }
        self.buf.push(value as u8);
    }

    /// A LEB128 varint of up to 65 bits (an optional integer's n + 1).
    fn wide_varint(&mut self, mut value: u128) {
        while value >= 0x80 {
            self.buf.push((value as u8) | 0x80);
            value >>= 7;
        }
        self.buf.push(value as u8);
    }

    /// A zigzag varint.
    pub fn signed(&mut self, value: i64) {
        self.varint(zigzag(value));
    }

    /// The first `count` bits of `bits`, in whole bytes (none for 0).
    pub fn flags(&mut self, bits: Bits, count: u32) {
        debug_assert!(count <= MAX_FLAGS && bits.at <= count, "flag count");
        for byte in 0..count.div_ceil(8) {
            self.buf.push((bits.word >> (8 * byte)) as u8);
        }
    }
}

/// Reads one part of an encoding; every read checks that the bytes are
/// there.
#[derive(Debug, Clone)]
pub struct Reader<'a> {
    buf: &'a [u8],
    at: usize,
    /// The most elements a list may have: the bytes of the whole value
    /// (every element takes at least one, in the head or the text part).
    most: usize,
}

impl<'a> Reader<'a> {
    /// A reader of `buf` (a whole value) from its start.
    pub fn new(buf: &'a [u8]) -> Self {
        Self::part(buf, buf.len())
    }

    /// A reader of one part of a value of `whole` bytes in all.
    pub fn part(buf: &'a [u8], whole: usize) -> Self {
        Self {
            buf,
            at: 0,
            most: whole,
        }
    }

    /// Bytes read so far.
    pub fn position(&self) -> usize {
        self.at
    }

    /// Whether every byte was read.
    pub fn at_end(&self) -> bool {
        self.at == self.buf.len()
    }

    /// Checks that nothing is left over.
    pub fn end(&self) -> Result<()> {
        if self.at_end() {
            Ok(())
        } else {
            Err(malformed("value (trailing bytes)"))
        }
    }

    /// The next `n` bytes.
    pub fn take(&mut self, n: usize) -> Result<&'a [u8]> {
        let end = self
            .at
            .checked_add(n)
            .filter(|end| *end <= self.buf.len())
            .ok_or_else(|| malformed("value (cut short)"))?;
        let taken = &self.buf[self.at..end];
        self.at = end;
        Ok(taken)
    }

    /// Everything not read yet.
    pub fn rest(&mut self) -> &'a [u8] {
        let rest = &self.buf[self.at..];
        self.at = self.buf.len();
        rest
    }

    /// One byte.
    pub fn u8(&mut self) -> Result<u8> {
        Ok(self.take(1)?[0])
    }

    /// A LEB128 varint.
    pub fn varint(&mut self) -> Result<u64> {
        let mut value = 0u64;
        for shift in (0..64).step_by(7) {
            let byte = self.u8()?;
            let bits = u64::from(byte & 0x7F);
            // The tenth byte holds the 64th bit alone.
            if shift == 63 && bits > 1 {
                break;
            }
            value |= bits << shift;
            if byte & 0x80 == 0 {
                return Ok(value);
            }
        }
        Err(malformed("integer"))
    }

    fn wide_varint(&mut self) -> Result<u128> {
        let mut value = 0u128;
        // 70 bits: room for an optional integer's n + 1.
        for shift in (0..70).step_by(7) {
            let byte = self.u8()?;
            value |= u128::from(byte & 0x7F) << shift;
            if byte & 0x80 == 0 {
                return Ok(value);
            }
        }
        Err(malformed("integer"))
    }

    /// A zigzag varint.
    pub fn signed(&mut self) -> Result<i64> {
        Ok(unzigzag(self.varint()?))
    }

    /// `count` flag bits written by [`Writer::flags`]; bits past `count`
    /// must be clear.
    pub fn flags(&mut self, count: u32) -> Result<Bits> {
        let mut word = 0u64;
        for byte in 0..count.div_ceil(8).min(8) {
            word |= u64::from(self.u8()?) << (8 * byte);
        }
        if word.checked_shr(count).unwrap_or(0) != 0 {
            return Err(malformed("flags"));
        }
        Ok(Bits { word, at: 0 })
    }

    /// A count of elements or bytes, which cannot exceed the value's
    /// bytes.
    pub fn count(&mut self) -> Result<usize> {
        usize::try_from(self.varint()?)
            .ok()
            .filter(|count| *count <= self.most)
            .ok_or_else(|| malformed("count"))
    }
}

/// Flag bits of one struct, in field order.
#[derive(Debug, Default, Clone, Copy)]
pub struct Bits {
    word: u64,
    at: u32,
}

impl Bits {
    /// Adds a bit.
    pub fn push(&mut self, bit: bool) {
        self.word |= u64::from(bit).checked_shl(self.at).unwrap_or(0);
        self.at += 1;
    }

    /// Leaves `n` bits clear (or, reading, passes them).
    pub fn skip(&mut self, n: u32) {
        self.at += n;
    }

    /// The next bit.
    pub fn pop(&mut self) -> bool {
        let bit = self.word.checked_shr(self.at).unwrap_or(0) & 1 == 1;
        self.at += 1;
        bit
    }
}

fn zigzag(value: i64) -> u64 {
    ((value << 1) ^ (value >> 63)) as u64
}

fn unzigzag(raw: u64) -> i64 {
    ((raw >> 1) as i64) ^ -((raw & 1) as i64)
}

/// Appends `value`'s head as a value of its own: the flag bits it would
/// take in a container, in whole bytes, then its head (a list's element,
/// an enum variant's field).
pub fn put_standalone_head<T: Stored>(value: &T, head: &mut Writer) {
    let mut bits = Bits::default();
    value.put_bits(&mut bits);
    head.flags(bits, T::BITS);
    value.put_head(head);
}

/// Reads what [`put_standalone_head`] wrote.
pub fn get_standalone_head<T: Stored>(head: &mut Reader<'_>) -> Result<T::Head> {
    let mut bits = head.flags(T::BITS)?;
    T::get_head(&mut bits, head)
}

/// Appends all of `value`, head then text, to one part: a value of its
/// own (stored alone), or a field kept whole in its record's text part
/// (`#[stored(sealed)]`).
pub fn put_whole<T: Stored>(value: &T, out: &mut Writer) {
    put_standalone_head(value, out);
    value.put_text(out);
}

/// Reads what [`put_whole`] wrote.
pub fn get_whole<T: Stored>(bytes: &mut Reader<'_>) -> Result<T> {
    let head = get_standalone_head::<T>(bytes)?;
    T::get_text(head, bytes)
}

/// The bytes of `value` stored alone: its head, then its text part.
pub fn encode<T: Stored>(value: &T) -> Vec<u8> {
    let mut out = Writer::with_capacity(64);
    put_whole(value, &mut out);
    out.into_bytes()
}

/// The value in `bytes`, written by [`encode`]; nothing may be left over.
pub fn decode<T: Stored>(bytes: &[u8]) -> Result<T> {
    let mut reader = Reader::new(bytes);
    let value = get_whole(&mut reader)?;
    reader.end()?;
    Ok(value)
}

/// A type whose text part is empty: its head is the value.
macro_rules! head_only {
    ($type:ty, $what:literal, |$value:ident, $head:ident| $put:expr, |$reader:ident| $get:expr) => {
        impl Stored for $type {
            type Head = Self;
            fn put_head(&self, $head: &mut Writer) {
                let $value = self;
                $put
            }
            fn put_text(&self, _: &mut Writer) {}
            fn get_head(_: &mut Bits, $reader: &mut Reader<'_>) -> Result<Self> {
                $get.ok_or_else(|| malformed($what))
            }
            fn get_text(head: Self, _: &mut Reader<'_>) -> Result<Self> {
                Ok(head)
            }
        }
    };
}

head_only!(Uuid, "id", |id, head| head.raw(id.as_bytes()), |r| {
    Uuid::from_slice(r.take(16)?).ok()
});
head_only!(
    NaiveDate,
    "date",
    |day, head| head.signed(i64::from(day_number(*day))),
    |r| { i32::try_from(r.signed()?).ok().and_then(from_day_number) }
);
head_only!(
    chrono_tz::Tz,
    "time zone",
    |zone, head| put_str(zone.name(), head),
    |r| {
        let len = r.count()?;
        std::str::from_utf8(r.take(len)?)
            .ok()
            .and_then(|name| name.parse().ok())
    }
);

/// Days since 1970-01-01.
pub fn day_number(day: NaiveDate) -> i32 {
    day.num_days_from_ce() - UNIX_EPOCH_DAYS_FROM_CE
}

/// The day `number` days after 1970-01-01.
pub fn from_day_number(number: i32) -> Option<NaiveDate> {
    NaiveDate::from_num_days_from_ce_opt(number.checked_add(UNIX_EPOCH_DAYS_FROM_CE)?)
}

/// `NaiveDate::from_ymd(1970, 1, 1).num_days_from_ce()`.
const UNIX_EPOCH_DAYS_FROM_CE: i32 = 719_163;

/// Integers: `u8` one byte, the others varints (zigzag when signed);
/// optional ones a varint of 0 for none, n + 1 for n, so they take no flag
/// bit (`raw` is that n, `from` its inverse).
macro_rules! integer {
    (
        $type:ty,
        put: |$head:ident, $value:ident| $put:expr,
        get: |$reader:ident| $get:expr,
        raw: |$raw:ident| $to_raw:expr,
        from: |$n:ident| $from:expr $(,)?
    ) => {
        impl Stored for $type {
            const OPTION_BITS: u32 = 0;
            type Head = Self;
            fn put_head(&self, $head: &mut Writer) {
                let $value = *self;
                $put
            }
            fn put_text(&self, _: &mut Writer) {}
            fn get_head(_: &mut Bits, $reader: &mut Reader<'_>) -> Result<Self> {
                $get
            }
            fn get_text(head: Self, _: &mut Reader<'_>) -> Result<Self> {
                Ok(head)
            }
            fn put_option_bits(_: &Option<Self>, _: &mut Bits) {}
            fn put_option_head(value: &Option<Self>, head: &mut Writer) {
                head.wide_varint(value.map_or(0, |$raw| u128::from($to_raw) + 1));
            }
            fn get_option_head(_: &mut Bits, head: &mut Reader<'_>) -> Result<Option<Self>> {
                match head.wide_varint()? {
                    0 => Ok(None),
                    shifted => {
                        let $n = u64::try_from(shifted - 1).map_err(|_| malformed("integer"))?;
                        $from.map(Some).ok_or_else(|| malformed("integer"))
                    }
                }
            }
        }
    };
}

fn narrow<T: TryFrom<u64>>(value: u64) -> Result<T> {
    T::try_from(value).map_err(|_| malformed("integer"))
}

fn narrow_signed<T: TryFrom<i64>>(value: i64) -> Result<T> {
    T::try_from(value).map_err(|_| malformed("integer"))
}

integer!(u8,
    put: |head, v| head.u8(v), get: |r| r.u8(),
    raw: |v| u64::from(v), from: |n| u8::try_from(n).ok());
integer!(u16,
    put: |head, v| head.varint(u64::from(v)), get: |r| narrow(r.varint()?),
    raw: |v| u64::from(v), from: |n| u16::try_from(n).ok());
integer!(u32,
    put: |head, v| head.varint(u64::from(v)), get: |r| narrow(r.varint()?),
    raw: |v| u64::from(v), from: |n| u32::try_from(n).ok());
integer!(u64,
    put: |head, v| head.varint(v), get: |r| r.varint(),
    raw: |v| v, from: |n| Some(n));
integer!(i32,
    put: |head, v| head.signed(i64::from(v)), get: |r| narrow_signed(r.signed()?),
    raw: |v| zigzag(i64::from(v)), from: |n| i32::try_from(unzigzag(n)).ok());
integer!(i64,
    put: |head, v| head.signed(v), get: |r| r.signed(),
    raw: |v| zigzag(v), from: |n| Some(unzigzag(n)));

/// A bit of its container's flags.
impl Stored for bool {
    const BITS: u32 = 1;
    type Head = Self;
    fn put_bits(&self, bits: &mut Bits) {
        bits.push(*self);
    }
    fn put_head(&self, _: &mut Writer) {}
    fn put_text(&self, _: &mut Writer) {}
    fn get_head(bits: &mut Bits, _: &mut Reader<'_>) -> Result<Self> {
        Ok(bits.pop())
    }
    fn get_text(head: Self, _: &mut Reader<'_>) -> Result<Self> {
        Ok(head)
    }
}

/// A bit of its container's flags says whether it is other than 0.0 (a
/// negative zero is kept); then its 8 bytes, if so.
impl Stored for f64 {
    const BITS: u32 = 1;
    type Head = Self;
    fn put_bits(&self, bits: &mut Bits) {
        bits.push(self.to_bits() != 0);
    }
    fn put_head(&self, head: &mut Writer) {
        if self.to_bits() != 0 {
            head.raw(&self.to_le_bytes());
        }
    }
    fn put_text(&self, _: &mut Writer) {}
    fn get_head(bits: &mut Bits, head: &mut Reader<'_>) -> Result<Self> {
        if !bits.pop() {
            return Ok(0.0);
        }
        let bytes = head.take(8)?.try_into().map_err(|_| malformed("number"))?;
        Ok(f64::from_le_bytes(bytes))
    }
    fn get_text(head: Self, _: &mut Reader<'_>) -> Result<Self> {
        Ok(head)
    }
}

fn put_str(text: &str, out: &mut Writer) {
    out.varint(text.len() as u64);
    out.raw(text.as_bytes());
}

fn get_string(text: &mut Reader<'_>) -> Result<String> {
    let len = text.count()?;
    String::from_utf8(text.take(len)?.to_vec()).map_err(|_| malformed("text"))
}

/// Text: all of it in the text part.
macro_rules! text {
    ($type:ty, |$decoded:ident| $from:expr) => {
        impl Stored for $type {
            type Head = ();
            fn put_head(&self, _: &mut Writer) {}
            fn put_text(&self, text: &mut Writer) {
                put_str(self, text);
            }
            fn get_head(_: &mut Bits, _: &mut Reader<'_>) -> Result<()> {
                Ok(())
            }
            fn get_text((): (), text: &mut Reader<'_>) -> Result<Self> {
                let $decoded = get_string(text)?;
                Ok($from)
            }
        }
    };
}

text!(String, |text| text);
// Text that may be a constant (an instrument's).
text!(Cow<'static, str>, |text| Cow::Owned(text));

impl<T: Stored> Stored for Option<T> {
    const BITS: u32 = T::OPTION_BITS;
    type Head = Option<T::Head>;
    fn put_bits(&self, bits: &mut Bits) {
        T::put_option_bits(self, bits);
    }
    fn put_head(&self, head: &mut Writer) {
        T::put_option_head(self, head);
    }
    fn put_text(&self, text: &mut Writer) {
        if let Some(value) = self {
            value.put_text(text);
        }
    }
    fn get_head(bits: &mut Bits, head: &mut Reader<'_>) -> Result<Self::Head> {
        T::get_option_head(bits, head)
    }
    fn get_text(head: Self::Head, text: &mut Reader<'_>) -> Result<Self> {
        head.map(|head| T::get_text(head, text)).transpose()
    }
}

/// Elements, each with its own flags (if it has any), in both parts.
fn put_elements<'a, T: Stored + 'a>(values: impl Iterator<Item = &'a T>, head: &mut Writer) {
    for value in values {
        put_standalone_head(value, head);
    }
}

fn get_heads<T: Stored>(count: usize, head: &mut Reader<'_>) -> Result<Vec<T::Head>> {
    // Capped by the bytes left: a corrupt count allocates nothing large.
    let mut heads = Vec::with_capacity(count.min(head.buf.len() - head.at));
    for _ in 0..count {
        heads.push(get_standalone_head::<T>(head)?);
    }
    Ok(heads)
}

fn get_texts<T: Stored, C: FromIterator<T>>(
    heads: Vec<T::Head>,
    text: &mut Reader<'_>,
) -> Result<C> {
    heads
        .into_iter()
        .map(|head| T::get_text(head, text))
        .collect()
}

/// A count, then the elements.
macro_rules! sequence {
    ($type:ty, [$($bounds:tt)*], |$elements:ident| $from:expr) => {
        impl<T: Stored + $($bounds)*> Stored for $type {
            type Head = Vec<T::Head>;
            fn put_head(&self, head: &mut Writer) {
                head.varint(self.len() as u64);
                put_elements(self.iter(), head);
            }
            fn put_text(&self, text: &mut Writer) {
                for value in self.iter() {
                    value.put_text(text);
                }
            }
            fn get_head(_: &mut Bits, head: &mut Reader<'_>) -> Result<Self::Head> {
                let count = head.count()?;
                get_heads::<T>(count, head)
            }
            fn get_text(heads: Self::Head, text: &mut Reader<'_>) -> Result<Self> {
                let $elements: Vec<T> = get_texts(heads, text)?;
                Ok($from)
            }
        }
    };
}

sequence!(Vec<T>, [], |elements| elements);
sequence!(Cow<'static, [T]>, [Clone], |elements| Cow::Owned(elements));
sequence!(BTreeSet<T>, [Ord], |elements| elements
    .into_iter()
    .collect());

/// A fixed number of elements (a digest's bytes): no count.
impl<T: Stored, const N: usize> Stored for [T; N] {
    type Head = Vec<T::Head>;
    fn put_head(&self, head: &mut Writer) {
        put_elements(self.iter(), head);
    }
    fn put_text(&self, text: &mut Writer) {
        for value in self {
            value.put_text(text);
        }
    }
    fn get_head(_: &mut Bits, head: &mut Reader<'_>) -> Result<Self::Head> {
        get_heads::<T>(N, head)
    }
    fn get_text(heads: Self::Head, text: &mut Reader<'_>) -> Result<Self> {
        let elements: Vec<T> = get_texts(heads, text)?;
        elements.try_into().map_err(|_| malformed("array"))
    }
}

/// A bad field named in a replay's rejection: both its texts. (By hand:
/// `error` is below this module.)
impl Stored for FieldViolation {
    type Head = ();
    fn put_head(&self, _: &mut Writer) {}
    fn put_text(&self, text: &mut Writer) {
        put_str(&self.field, text);
        put_str(&self.description, text);
    }
    fn get_head(_: &mut Bits, _: &mut Reader<'_>) -> Result<()> {
        Ok(())
    }
    fn get_text((): (), text: &mut Reader<'_>) -> Result<Self> {
        Ok(FieldViolation {
            field: get_string(text)?,
            description: get_string(text)?,
        })
    }
}
