use std::collections::BTreeSet;

use super::*;

/// The head and text part of `value`, apart.
fn parts<T: Stored>(value: &T) -> (Vec<u8>, Vec<u8>) {
    let (mut head, mut text) = (Writer::default(), Writer::default());
    put_standalone_head(value, &mut head);
    value.put_text(&mut text);
    (head.into_bytes(), text.into_bytes())
}

/// Decodes `value`'s two parts read apart (as a record's are), and alone.
fn again<T: Stored + PartialEq + std::fmt::Debug>(value: &T) {
    let (head, text) = parts(value);
    let whole = head.len() + text.len();
    let mut head_reader = Reader::part(&head, whole);
    let decoded_head = get_standalone_head::<T>(&mut head_reader).expect("head");
    head_reader.end().expect("the whole head read");
    let mut text_reader = Reader::part(&text, whole);
    let decoded = T::get_text(decoded_head, &mut text_reader).expect("text");
    text_reader.end().expect("the whole text read");
    assert_eq!(&decoded, value);
    assert_eq!(&decode::<T>(&encode(value)).expect("decodes alone"), value);
    assert_eq!(
        encode(value),
        [head, text].concat(),
        "alone: head, then text"
    );
}

#[test]
fn integers_are_varints_zigzag_when_signed_and_u8_one_byte() {
    assert_eq!(encode(&0u32), [0]);
    assert_eq!(encode(&127u32), [127]);
    assert_eq!(encode(&128u32), [0x80, 1]);
    assert_eq!(encode(&300u64), [0xAC, 0x02]);
    assert_eq!(encode(&255u8), [255]);
    assert_eq!(encode(&-1i64), [1]);
    assert_eq!(encode(&1i64), [2]);
    assert_eq!(encode(&-64i32), [127]);
    for value in [0, 1, -1, i64::MAX, i64::MIN, 1_800_000_000_000_000] {
        again(&value);
    }
    for value in [0, u64::MAX, 1 << 63] {
        again(&value);
    }
    again(&i32::MIN);
    again(&u16::MAX);
    assert_eq!(encode(&u64::MAX).len(), 10);
}

#[test]
fn an_optional_integer_is_a_shifted_varint_and_takes_no_flag() {
    assert_eq!(encode(&None::<u8>), [0]);
    assert_eq!(encode(&Some(0u8)), [1]);
    assert_eq!(encode(&Some(100u8)), [101], "a rating in one byte");
    assert_eq!(encode(&Some(-1i64)), [2]);
    for value in [None, Some(0), Some(255u8)] {
        again(&value);
    }
    for value in [None, Some(i64::MIN), Some(i64::MAX), Some(0), Some(-7)] {
        again(&value);
    }
    for value in [None, Some(u64::MAX), Some(0)] {
        again(&value);
    }
    again(&Some(u32::MAX));
    // n + 1 past the type's range.
    assert!(decode::<Option<u8>>(&[0x81, 0x02]).is_err());
}

#[test]
fn ids_dates_and_numbers() {
    let id = Uuid::from_u128(0x0102_0304_0506_0708_090A_0B0C_0D0E_0F10);
    assert_eq!(encode(&id), id.as_bytes());
    let epoch = NaiveDate::from_ymd_opt(1970, 1, 1).expect("date");
    assert_eq!(encode(&epoch), [0]);
    assert_eq!(encode(&epoch.pred_opt().expect("date")), [1]);
    for day in [
        epoch,
        NaiveDate::MIN,
        NaiveDate::MAX,
        epoch.pred_opt().expect("date"),
    ] {
        again(&day);
    }
    // A standalone f64 or bool takes one flags byte; a zero no more.
    assert_eq!(encode(&0.0f64), [0]);
    assert_eq!(encode(&2.5f64).len(), 9);
    for number in [0.0, -0.0, 2.5, f64::MAX, f64::INFINITY] {
        let decoded: f64 = decode(&encode(&number)).expect("decodes");
        assert_eq!(decoded.to_bits(), number.to_bits());
    }
    assert_eq!(encode(&true), [1]);
    again(&false);
    again(&chrono_tz::Europe::Lisbon);
    assert!(decode::<chrono_tz::Tz>(&[3, b'M', b'a', b'r']).is_err());
}

#[test]
fn text_and_lists() {
    assert_eq!(parts(&"hé".to_owned()), (vec![], vec![3, b'h', 0xC3, 0xA9]));
    again(&String::new());
    again(&Cow::<'static, str>::Borrowed("a constant"));
    again(&vec![1u8, 2, 3]);
    assert_eq!(encode(&vec![1u8, 2, 3]), [3, 1, 2, 3]);
    again(&vec!["a".to_owned(), String::new()]);
    assert_eq!(
        parts(&vec!["a".to_owned(), "bc".to_owned()]),
        (vec![2], vec![1, b'a', 2, b'b', b'c'])
    );
    again(&BTreeSet::from([3u32, 1, 2]));
    again(&[7u8; 32]);
    assert_eq!(encode(&[7u8; 4]), [7; 4], "no count");
    again(&vec![Some(true), None, Some(false)]);
    again(&Some(Uuid::from_u128(1)));
    again(&None::<String>);
    assert!(decode::<String>(&[2, 0xFF, 0xFE]).is_err(), "not UTF-8");
}

#[test]
fn a_corrupt_value_is_an_error_not_a_panic() {
    assert!(decode::<u64>(&[0xFF; 11]).is_err(), "a varint past 64 bits");
    assert!(decode::<u32>(&[0xFF, 0xFF, 0xFF, 0xFF, 0x7F]).is_err());
    assert!(decode::<Vec<String>>(&[0xFF, 0xFF, 0xFF, 0xFF, 0x0F]).is_err());
    assert!(decode::<Vec<u8>>(&[5, 1]).is_err(), "cut short");
    assert!(decode::<u8>(&[1, 2]).is_err(), "trailing bytes");
    assert!(decode::<Option<Uuid>>(&[2]).is_err(), "an unknown flag");
    assert!(decode::<Uuid>(&[0; 15]).is_err());
}

/// A unit enum: one byte, its discriminant.
#[derive(Stored, Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Default)]
enum Mood {
    #[default]
    Calm = 1,
    Tense = 7,
}

/// An enum with fields: its byte, then the fields' heads.
#[derive(Stored, Debug, Clone, PartialEq)]
#[repr(u8)]
enum Target {
    Nothing = 0,
    One(Uuid) = 3,
    Two(u32, Option<u8>) = 4,
}

#[derive(Stored, Debug, Clone, PartialEq, Default)]
struct Inner {
    name: String,
    mood: Mood,
    done: bool,
    rating: Option<u8>,
}

#[derive(Stored, Debug, Clone, PartialEq, Default)]
struct Outer {
    #[stored(skip)]
    cached: u32,
    title: String,
    day: Option<NaiveDate>,
    amount: f64,
    inner: Inner,
    more: Vec<Inner>,
    maybe: Option<Inner>,
    #[stored(sealed)]
    secret: Vec<u8>,
    moods: BTreeSet<Mood>,
    private: bool,
    // A field named like the derive's readers.
    text: String,
    head: u64,
}

fn inner(name: &str, done: bool, rating: Option<u8>) -> Inner {
    Inner {
        name: name.into(),
        mood: Mood::Tense,
        done,
        rating,
    }
}

#[test]
fn a_derived_struct_splits_its_fields_between_head_and_text_in_order() {
    let value = Outer {
        cached: 0,
        title: "T".into(),
        day: Some(NaiveDate::from_ymd_opt(1970, 1, 2).expect("date")),
        amount: 0.0,
        inner: inner("in", true, Some(5)),
        more: vec![inner("a", false, None), inner("b", true, Some(0))],
        maybe: None,
        secret: vec![9, 8],
        moods: BTreeSet::from([Mood::Tense, Mood::Calm]),
        private: true,
        text: "x".into(),
        head: 3,
    };
    let (head, text) = parts(&value);
    assert_eq!(
        head,
        [
            // Flags: day present, amount zero, maybe absent, private.
            0b1001, 2, // day 1
            // inner: its flags (done), mood, rating 5 + 1
            0b1, 7, 6, // more: count, then each element's head
            2, 0, 7, 0, 1, 7, 1, // moods: count, bytes
            2, 1, 7, 3,
        ]
    );
    assert_eq!(
        text,
        [
            &[1, b'T'][..],
            &[2, b'i', b'n'],
            &[1, b'a', 1, b'b'],
            // secret, whole: count, bytes
            &[2, 9, 8],
            &[1, b'x'],
        ]
        .concat()
    );
    again(&value);
    again(&Outer {
        amount: -3.25,
        maybe: Some(inner("m", false, Some(100))),
        ..Outer::default()
    });
    let mut skipped = value.clone();
    skipped.cached = 42;
    assert_eq!(
        decode::<Outer>(&encode(&skipped)).expect("decodes").cached,
        0,
        "skipped fields decode as their default"
    );
}

#[test]
fn derived_enums_are_their_explicit_bytes() {
    assert_eq!(encode(&Mood::Tense), [7]);
    assert!(decode::<Mood>(&[2]).is_err(), "no variant has byte 2");
    assert_eq!(encode(&Target::Nothing), [0]);
    assert_eq!(encode(&Target::Two(300, None)), [4, 0xAC, 0x02, 0]);
    for target in [
        Target::Nothing,
        Target::One(Uuid::from_u128(5)),
        Target::Two(1, Some(2)),
    ] {
        again(&target);
    }
    again(&Some(Mood::Calm));
    again(&vec![Target::One(Uuid::nil()), Target::Nothing]);
}

#[test]
fn every_cut_of_a_derived_value_is_an_error() {
    let bytes = encode(&Outer {
        title: "title".into(),
        amount: 1.5,
        more: vec![inner("a", true, Some(1))],
        maybe: Some(Inner::default()),
        secret: vec![1, 2, 3],
        ..Outer::default()
    });
    for cut in 0..bytes.len() {
        assert!(decode::<Outer>(&bytes[..cut]).is_err(), "cut at {cut}");
    }
}
