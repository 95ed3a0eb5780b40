//! Journal entries: the client exploring what moves them between sessions
//! (the seed's "exploring issues"), in their own words, with their mood
//! that day if they note it. The client's alone until they share an entry;
//! a shared entry stays shared, as therapists may have read it.

use chrono::NaiveDate;

use super::record::{Authors, Editable, Kind, Meta, Order, Parent, Record};
use crate::domain::fields;
use crate::encoding::Stored;

/// Best mood on the scale; 0 is the worst.
pub const MAX_MOOD: u8 = 10;
/// Longest entry, in characters.
pub const MAX_JOURNAL_TEXT_CHARS: usize = 8000;

/// One journal entry of a client.
#[derive(Debug, Clone, PartialEq, Default, Stored)]
pub struct JournalEntry {
    /// Common fields.
    #[stored(skip)]
    pub meta: Meta,
    /// The day written about, in the client's time zone.
    pub local_date: NaiveDate,
    /// The client's mood that day, 0 to [`MAX_MOOD`], if noted.
    pub mood: Option<u8>,
    /// What the client writes.
    pub text: String,
    /// The client's linked therapists may read it.
    pub shared: bool,
}

record!(
    JournalEntry,
    authors: Authors::Client,
    parent: |_entry| Parent::Client,
    // A day holds any number of entries, in the order written.
    fn order(&self) -> Order {
        Order::DayTime(self.local_date, self.meta.create_time_us)
    }
    fn for_therapist(self) -> Option<Self> {
        self.shared.then_some(self)
    }
);

editable! {
    JournalEntry / JournalEntryField {
        LocalDate: "local_date" => local_date,
        Mood: "mood" => mood,
        Text: "text" => text,
        Shared: "shared" => shared,
    }
    immutable {}
    refuse |before, after| (before.shared && !after.shared).then_some((
        "shared",
        "a shared journal entry cannot be made private again: your therapists may have \
         read it; delete it instead",
    ))
}

/// Checks a mood: 0 to [`MAX_MOOD`].
pub fn journal_mood(value: i32) -> Result<u8, String> {
    u8::try_from(value)
        .ok()
        .filter(|mood| *mood <= MAX_MOOD)
        .ok_or_else(|| format!("must be between 0 and {MAX_MOOD}, got {value}"))
}

/// Checks an entry's text: 1 to [`MAX_JOURNAL_TEXT_CHARS`] characters,
/// trimmed.
pub fn journal_text(value: &str) -> Result<String, String> {
    fields::text(value, 1, MAX_JOURNAL_TEXT_CHARS)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::records::record::tests::{Samples, day};

    impl Samples for JournalEntry {
        fn samples() -> (Self, Self) {
            let a = JournalEntry {
                meta: Meta::default(),
                local_date: day("2026-01-01"),
                mood: None,
                text: "a".into(),
                shared: false,
            };
            let b = JournalEntry {
                meta: Meta::default(),
                local_date: day("2026-01-02"),
                mood: Some(7),
                text: "b".into(),
                shared: true,
            };
            (a, b)
        }
    }

    #[test]
    fn a_private_entry_is_hidden_from_therapists_and_a_shared_one_stays_shared() {
        let (private, shared) = <JournalEntry as Samples>::samples();
        assert_eq!(private.clone().for_therapist(), None);
        assert_eq!(shared.clone().for_therapist(), Some(shared.clone()));
        assert!(shared.refused_change(&private).is_some());
        assert!(private.refused_change(&shared).is_none());
    }

    #[test]
    fn moods_are_zero_to_ten() {
        assert_eq!(journal_mood(0), Ok(0));
        assert_eq!(journal_mood(10), Ok(10));
        assert!(journal_mood(11).is_err());
        assert!(journal_mood(-1).is_err());
    }
}
