//! Journal entries.

use uuid::Uuid;

use super::{
    EditableFields, Pushed, editable_fields, new_id, new_meta, required, timestamp, update,
    updated_record,
};
use crate::domain::{
    JournalEntry, JournalEntryField, MutationOp, Patch, fields, journal_mood, journal_text,
};
use crate::error::{Result, Violations};
use crate::pb;

/// The request field that carries an entry.
pub const JOURNAL_ENTRY: &str = "journal_entry";

impl EditableFields<pb::JournalEntry> for JournalEntry {
    fn parse_field(
        api: &pb::JournalEntry,
        field: JournalEntryField,
        into: &mut JournalEntry,
        check: &mut Violations,
        (prefix, _creating): (&str, bool),
    ) {
        let path = |name: &str| format!("{prefix}.{name}");
        match field {
            JournalEntryField::LocalDate => {
                into.local_date = check.check(path("local_date"), fields::date(&api.local_date))
            }
            JournalEntryField::Mood => {
                into.mood = check.check(path("mood"), api.mood.map(journal_mood).transpose())
            }
            JournalEntryField::Text => {
                into.text = check.check(path("text"), journal_text(&api.text))
            }
            JournalEntryField::Shared => into.shared = api.shared,
        }
    }
}

/// A new entry of `caller` (an entry's client is always its writer).
pub fn new_journal_entry(caller: Uuid, entry: Option<pb::JournalEntry>) -> Result<JournalEntry> {
    let api = required(entry, JOURNAL_ENTRY)?;
    let mut check = Violations::new();
    let id = new_id(&api.id, "journal_entry.id", &mut check);
    let mut entry = JournalEntry {
        meta: new_meta(id, caller),
        ..JournalEntry::default()
    };
    editable_fields(&api, JOURNAL_ENTRY, &mut check, &mut entry);
    check.finish()?;
    Ok(entry)
}

/// The id, expected version and patch of an `UpdateJournalEntryRequest`.
pub fn journal_entry_update(
    request: pb::UpdateJournalEntryRequest,
) -> Result<(Uuid, i64, Patch<JournalEntry>)> {
    update(request.journal_entry, &request.update_mask, JOURNAL_ENTRY)
}

updated_record!(pb::JournalEntry);

impl Pushed for pb::JournalEntry {
    fn mutation(self, caller: Uuid, _now_us: i64) -> Result<MutationOp> {
        Ok(MutationOp::upsert(new_journal_entry(caller, Some(self))?))
    }
}

impl From<JournalEntry> for pb::JournalEntry {
    fn from(entry: JournalEntry) -> Self {
        let JournalEntry {
            meta,
            local_date,
            mood,
            text,
            shared,
        } = entry;
        pb::JournalEntry {
            id: meta.id.to_string(),
            client_id: meta.client_id.to_string(),
            local_date: fields::format_date(local_date),
            mood: mood.map(i32::from),
            text,
            shared,
            create_time: timestamp(meta.create_time_us),
            update_time: timestamp(meta.update_time_us),
            version: meta.version,
        }
    }
}
