//! Questionnaires ("instruments"): the built-in PHQ-9 and GAD-7, custom
//! instruments written by therapists, and the rules that check and score a
//! client's answers.
//!
//! Definitions (also in `assessment.proto`):
//! - An instrument is a list of items. Each item is answered with one whole
//!   number from its own range `min_value..=max_value`; the labels name some
//!   or all of those values (both ends at least). Answers are positional:
//!   `answers[i]` answers `items[i]`, and every item needs one.
//! - The total is the sum of the answers. Its range runs from the sum of the
//!   items' minimums to the sum of their maximums.
//! - Severity bands, when an instrument has them, split that range into
//!   consecutive intervals: the first starts at the lowest total, each next
//!   one starts right after the one before it ends, and the last ends at the
//!   highest total, so every possible total falls in exactly one band.
//! - Instruments are immutable. A built-in instrument keeps its stable id and
//!   gets a higher version whenever a text, label or band changes, so an app
//!   may cache an instrument by (id, version). A custom instrument has
//!   version 1 for ever: to change one, a therapist creates another, so an
//!   old result always refers to the very questions that were answered.
//!
//! Built in, with the texts of the published forms:
//! - PHQ-9 (Kroenke, Spitzer & Williams, "The PHQ-9: validity of a brief
//!   depression severity measure", J Gen Intern Med 2001;16(9):606–613):
//!   nine items answered 0–3, total 0–27, bands 0–4 minimal, 5–9 mild,
//!   10–14 moderate, 15–19 moderately severe, 20–27 severe. Item 9 asks
//!   about thoughts of self-harm (see [`Instrument::self_harm_item`]).
//! - GAD-7 (Spitzer, Kroenke, Williams & Löwe, "A brief measure for
//!   assessing generalized anxiety disorder: the GAD-7", Arch Intern Med
//!   2006;166(10):1092–1097): seven items answered 0–3, total 0–21, bands
//!   0–4 minimal, 5–9 mild, 10–14 moderate, 15–21 severe.
//!
//! Both forms end with an unscored question on how difficult the problems
//! made daily life; it is not part of the total and is left out here.
//!
//! Custom instruments: 1 to [`MAX_ITEMS`] items of 1 to
//! [`MAX_ITEM_TEXT_CHARS`] characters, each answered on a range within
//! `0..=`[`MAX_ANSWER_VALUE`] of at least two values, with 2 labels or more
//! (one per value at most, both ends labelled, 1 to [`MAX_LABEL_CHARS`]
//! characters each); no bands or 1 to [`MAX_BANDS`] bands as above. They
//! have no change rules (reliable change, response, remission) and no
//! safety item: those thresholds come from studies of a particular
//! questionnaire and mean nothing for another.

use std::borrow::Cow;

use uuid::Uuid;

use super::fields;
use crate::encoding::Stored;
use crate::error::{FieldViolation, Violations};

/// Text that is `'static` in the built-in instruments and owned in custom ones.
pub type Text = Cow<'static, str>;

/// Most items a custom instrument may have.
pub const MAX_ITEMS: usize = 50;
/// Highest answer value of a custom item (so 11 points, 0 to 10, at most).
pub const MAX_ANSWER_VALUE: u8 = 10;
/// Most severity bands of a custom instrument.
pub const MAX_BANDS: usize = 10;
/// Longest item text, in characters.
pub const MAX_ITEM_TEXT_CHARS: usize = 500;
/// Longest answer or band label, in characters.
pub const MAX_LABEL_CHARS: usize = 100;
/// Longest short name ("PHQ-9"), in characters.
pub const MAX_SHORT_NAME_CHARS: usize = 20;
/// Longest title, in characters (as goal titles).
pub const MAX_TITLE_CHARS: usize = 200;
/// Longest instructions, in characters (as notes).
pub const MAX_INSTRUCTIONS_CHARS: usize = 4000;
/// Most instruments on one page of a list. The largest custom instrument
/// the limits above allow takes about 340 KB (4-byte characters
/// throughout), so ten stay within the 4 MiB of a gRPC message.
pub const MAX_INSTRUMENTS_PER_PAGE: usize = 10;

/// Id of the built-in PHQ-9: `00000000-0000-0000-0000-000000000009`.
///
/// Built-in ids are UUIDs of version 0, which the UUID generators (v4, v7)
/// never produce; [`custom_instrument_id`] keeps custom instruments out of
/// that space, so later built-ins can take ids from it too.
pub const PHQ9_ID: Uuid = Uuid::from_u128(9);
/// Id of the built-in GAD-7: `00000000-0000-0000-0000-000000000007`.
pub const GAD7_ID: Uuid = Uuid::from_u128(7);

/// One labelled answer value of an item.
#[derive(Clone, Debug, PartialEq, Eq, Stored)]
pub struct AnswerLabel {
    /// The value the answer scores.
    pub value: u8,
    /// What the client reads, e.g. "Several days".
    pub label: Text,
}

/// One question of an instrument.
#[derive(Clone, Debug, PartialEq, Eq, Stored)]
pub struct Item {
    /// The question, e.g. "Trouble relaxing".
    pub text: Text,
    /// Lowest answer value.
    pub min_value: u8,
    /// Highest answer value.
    pub max_value: u8,
    /// Labels of some or all values, by ascending value; both ends labelled.
    pub labels: Cow<'static, [AnswerLabel]>,
}

/// A range of totals with a name, e.g. 10–14 "Moderate".
#[derive(Clone, Debug, PartialEq, Eq, Stored)]
pub struct SeverityBand {
    /// Lowest total in the band.
    pub min_score: u32,
    /// Highest total in the band (inclusive).
    pub max_score: u32,
    /// Its name, e.g. "Moderately severe".
    pub label: Text,
}

/// A severity band with its position among its instrument's bands.
#[derive(Clone, Debug, PartialEq, Eq, Stored)]
pub struct RankedBand {
    /// Position of the band, 0 for the least severe.
    pub rank: u32,
    /// The band.
    pub band: SeverityBand,
}

/// How change of an instrument's total is judged; higher totals mean more
/// symptoms. Only validated instruments have them (see
/// [`super::assessment`] for the sources).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ChangeRules {
    /// A change of at least this many points is reliable (beyond
    /// measurement error).
    pub reliable_change: u32,
    /// A total below this is remission.
    pub remission_below: u32,
}

/// A questionnaire: what the client reads, and how it is scored.
#[derive(Clone, Debug, PartialEq, Eq, Stored)]
pub struct Instrument {
    /// Stable id: [`PHQ9_ID`], [`GAD7_ID`], or a custom instrument's UUID.
    pub id: Uuid,
    /// Increases whenever the definition changes; 1 for custom instruments.
    pub version: u32,
    /// Short name shown in lists and charts, e.g. "PHQ-9".
    pub short_name: Text,
    /// Full name, e.g. "Patient Health Questionnaire-9".
    pub title: Text,
    /// The stem the client reads before the items.
    pub instructions: Text,
    /// The questions, in order; answers are positional.
    pub items: Cow<'static, [Item]>,
    /// Severity bands by ascending score, or none.
    pub bands: Cow<'static, [SeverityBand]>,
    /// How change is judged; `None` for custom instruments. (Only
    /// built-in instruments, which are never stored, have the fields not
    /// stored.)
    #[stored(skip)]
    pub change_rules: Option<ChangeRules>,
    /// Index of the item whose any answer above 0 signals a risk of
    /// self-harm (PHQ-9 item 9, index 8); `None` for other instruments.
    #[stored(skip)]
    pub self_harm_item: Option<usize>,
    /// Authors, source and terms of use; empty for custom instruments.
    #[stored(skip)]
    pub attribution: Text,
}

/// The four answers of every PHQ-9 and GAD-7 item.
const FREQUENCY_LABELS: &[AnswerLabel] = &[
    AnswerLabel {
        value: 0,
        label: Cow::Borrowed("Not at all"),
    },
    AnswerLabel {
        value: 1,
        label: Cow::Borrowed("Several days"),
    },
    AnswerLabel {
        value: 2,
        label: Cow::Borrowed("More than half the days"),
    },
    AnswerLabel {
        value: 3,
        label: Cow::Borrowed("Nearly every day"),
    },
];

/// An item answered "how often, 0 to 3".
const fn frequency_item(text: &'static str) -> Item {
    Item {
        text: Cow::Borrowed(text),
        min_value: 0,
        max_value: 3,
        labels: Cow::Borrowed(FREQUENCY_LABELS),
    }
}

const fn band(min_score: u32, max_score: u32, label: &'static str) -> SeverityBand {
    SeverityBand {
        min_score,
        max_score,
        label: Cow::Borrowed(label),
    }
}

/// Terms printed on both forms.
const PHQ_ATTRIBUTION: &str = "Developed by Drs. Robert L. Spitzer, Janet B.W. Williams, \
    Kurt Kroenke and colleagues, with an educational grant from Pfizer Inc. \
    No permission required to reproduce, translate, display or distribute.";

const PHQ9_ITEMS: &[Item] = &[
    frequency_item("Little interest or pleasure in doing things"),
    frequency_item("Feeling down, depressed, or hopeless"),
    frequency_item("Trouble falling or staying asleep, or sleeping too much"),
    frequency_item("Feeling tired or having little energy"),
    frequency_item("Poor appetite or overeating"),
    frequency_item(
        "Feeling bad about yourself \u{2014} or that you are a failure or have let \
         yourself or your family down",
    ),
    frequency_item(
        "Trouble concentrating on things, such as reading the newspaper or watching \
         television",
    ),
    frequency_item(
        "Moving or speaking so slowly that other people could have noticed? Or the \
         opposite \u{2014} being so fidgety or restless that you have been moving \
         around a lot more than usual",
    ),
    frequency_item("Thoughts that you would be better off dead or of hurting yourself in some way"),
];

const PHQ9_BANDS: &[SeverityBand] = &[
    band(0, 4, "Minimal"),
    band(5, 9, "Mild"),
    band(10, 14, "Moderate"),
    band(15, 19, "Moderately severe"),
    band(20, 27, "Severe"),
];

/// Index of PHQ-9 item 9, "Thoughts that you would be better off dead or of
/// hurting yourself in some way".
pub const PHQ9_SELF_HARM_ITEM: usize = 8;

/// The Patient Health Questionnaire-9 (depression).
pub const PHQ9: Instrument = Instrument {
    id: PHQ9_ID,
    version: 1,
    short_name: Cow::Borrowed("PHQ-9"),
    title: Cow::Borrowed("Patient Health Questionnaire-9"),
    instructions: Cow::Borrowed(
        "Over the last 2 weeks, how often have you been bothered by any of the following \
         problems?",
    ),
    items: Cow::Borrowed(PHQ9_ITEMS),
    bands: Cow::Borrowed(PHQ9_BANDS),
    change_rules: Some(ChangeRules {
        reliable_change: 6,
        remission_below: 5,
    }),
    self_harm_item: Some(PHQ9_SELF_HARM_ITEM),
    attribution: Cow::Borrowed(PHQ_ATTRIBUTION),
};

const GAD7_ITEMS: &[Item] = &[
    frequency_item("Feeling nervous, anxious, or on edge"),
    frequency_item("Not being able to stop or control worrying"),
    frequency_item("Worrying too much about different things"),
    frequency_item("Trouble relaxing"),
    frequency_item("Being so restless that it is hard to sit still"),
    frequency_item("Becoming easily annoyed or irritable"),
    frequency_item("Feeling afraid, as if something awful might happen"),
];

const GAD7_BANDS: &[SeverityBand] = &[
    band(0, 4, "Minimal"),
    band(5, 9, "Mild"),
    band(10, 14, "Moderate"),
    band(15, 21, "Severe"),
];

/// The Generalized Anxiety Disorder 7-item scale.
pub const GAD7: Instrument = Instrument {
    id: GAD7_ID,
    version: 1,
    short_name: Cow::Borrowed("GAD-7"),
    title: Cow::Borrowed("Generalized Anxiety Disorder 7-item scale"),
    instructions: Cow::Borrowed(
        "Over the last 2 weeks, how often have you been bothered by the following problems?",
    ),
    items: Cow::Borrowed(GAD7_ITEMS),
    bands: Cow::Borrowed(GAD7_BANDS),
    change_rules: Some(ChangeRules {
        reliable_change: 4,
        remission_below: 5,
    }),
    self_harm_item: None,
    attribution: Cow::Borrowed(PHQ_ATTRIBUTION),
};

/// Every built-in instrument, in the order lists show them.
pub const BUILT_IN: &[Instrument] = &[PHQ9, GAD7];

/// A custom instrument as the store keeps it: the instrument, and who wrote
/// it when. It belongs to that therapist, not to any client.
#[derive(Clone, Debug, PartialEq, Eq, Stored)]
pub struct CustomInstrument {
    /// The therapist who wrote it.
    pub owner: Uuid,
    /// When it was created, microseconds since the Unix epoch.
    pub create_time_us: i64,
    /// The instrument.
    pub instrument: Instrument,
}

/// An instrument as callers see it: a built-in one, or a therapist's.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AnyInstrument {
    /// One of [`BUILT_IN`].
    BuiltIn(&'static Instrument),
    /// A therapist's own.
    Custom(Box<CustomInstrument>),
}

impl From<CustomInstrument> for AnyInstrument {
    fn from(custom: CustomInstrument) -> Self {
        AnyInstrument::Custom(Box::new(custom))
    }
}

impl AnyInstrument {
    /// The instrument itself.
    pub fn definition(&self) -> &Instrument {
        match self {
            AnyInstrument::BuiltIn(instrument) => instrument,
            AnyInstrument::Custom(custom) => &custom.instrument,
        }
    }
}

/// The built-in instrument with this id, if it is one.
pub fn built_in(id: Uuid) -> Option<&'static Instrument> {
    BUILT_IN.iter().find(|i| i.id == id)
}

/// Checks the id a therapist gave a new custom instrument: any UUID but the
/// version-0 ones, which are reserved for built-in instruments.
pub fn custom_instrument_id(id: Uuid) -> Result<Uuid, String> {
    if id.get_version_num() == 0 {
        Err("is reserved for built-in instruments".into())
    } else {
        Ok(id)
    }
}

/// Answers that passed [`Instrument::check_answers`], with their total.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Scored {
    /// One answer per item, in item order.
    pub answers: Vec<u8>,
    /// Their sum.
    pub total: u32,
}

impl Instrument {
    /// Whether this is one of the [`BUILT_IN`] instruments.
    pub fn is_built_in(&self) -> bool {
        built_in(self.id).is_some()
    }

    /// Lowest and highest possible total.
    pub fn score_range(&self) -> (u32, u32) {
        self.items.iter().fold((0, 0), |(lo, hi), item| {
            (
                lo + u32::from(item.min_value),
                hi + u32::from(item.max_value),
            )
        })
    }

    /// Checks one answer per item, each within its item's range, and sums
    /// them. Reports one violation per bad position: `answers[i]` for an
    /// answer out of range, for a missing answer (fewer answers than items),
    /// and for an answer without an item (more answers than items).
    pub fn check_answers(&self, answers: &[i32]) -> Result<Scored, Vec<FieldViolation>> {
        let mut violations = Violations::new();
        let mut checked = Vec::with_capacity(self.items.len());
        for (i, item) in self.items.iter().enumerate() {
            let (lo, hi) = (item.min_value, item.max_value);
            let field = format!("answers[{i}]");
            match answers.get(i) {
                None => violations.add(
                    field,
                    format!("item {} needs an answer from {lo} to {hi}", i + 1),
                ),
                Some(&value) => {
                    let in_range = u8::try_from(value).ok().filter(|v| (lo..=hi).contains(v));
                    let result = in_range.ok_or_else(|| {
                        format!(
                            "item {} must be answered from {lo} to {hi}, got {value}",
                            i + 1
                        )
                    });
                    if let Some(v) = violations.ok(field, result) {
                        checked.push(v);
                    }
                }
            }
        }
        for i in self.items.len()..answers.len() {
            violations.add(
                format!("answers[{i}]"),
                format!("the instrument has only {} items", self.items.len()),
            );
        }
        violations.finish_with(|| Scored {
            total: total(&checked),
            answers: checked,
        })
    }

    /// The band a total falls in, with its position (0 = least severe);
    /// `None` when the instrument has no bands or the total is out of range.
    pub fn band(&self, total: u32) -> Option<(usize, &SeverityBand)> {
        self.bands
            .iter()
            .enumerate()
            .find(|(_, b)| (b.min_score..=b.max_score).contains(&total))
    }

    /// The band a total falls in, with its rank; `None` when the
    /// instrument has no bands.
    pub fn ranked_band(&self, total: u32) -> Option<RankedBand> {
        self.band(total).map(|(rank, band)| RankedBand {
            rank: u32::try_from(rank).unwrap_or(u32::MAX),
            band: band.clone(),
        })
    }

    /// Whether checked answers signal a risk of self-harm: any answer above 0
    /// on the instrument's self-harm item (PHQ-9 item 9).
    pub fn signals_self_harm(&self, answers: &[u8]) -> bool {
        self.self_harm_item
            .and_then(|i| answers.get(i))
            .is_some_and(|a| *a > 0)
    }
}

/// The total of checked answers: their sum.
pub fn total(answers: &[u8]) -> u32 {
    answers.iter().map(|a| u32::from(*a)).sum()
}

/// A custom instrument as a therapist submits it, before it is checked.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CustomInstrumentDraft {
    /// Short name, 1 to [`MAX_SHORT_NAME_CHARS`] characters.
    pub short_name: String,
    /// Full name, 1 to [`MAX_TITLE_CHARS`] characters.
    pub title: String,
    /// The stem, up to [`MAX_INSTRUCTIONS_CHARS`] characters.
    pub instructions: String,
    /// The questions.
    pub items: Vec<ItemDraft>,
    /// Severity bands by ascending score; may be empty.
    pub bands: Vec<BandDraft>,
}

/// An item of a [`CustomInstrumentDraft`].
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ItemDraft {
    /// The question.
    pub text: String,
    /// Lowest answer value.
    pub min_value: i32,
    /// Highest answer value.
    pub max_value: i32,
    /// (value, label) pairs in any order.
    pub labels: Vec<(i32, String)>,
}

/// A band of a [`CustomInstrumentDraft`].
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct BandDraft {
    /// Lowest total in the band.
    pub min_score: i32,
    /// Highest total in the band.
    pub max_score: i32,
    /// Its name.
    pub label: String,
}

impl CustomInstrumentDraft {
    /// Checks the draft against the rules in the module doc and returns the
    /// instrument (version 1), or every violation, with paths such as
    /// `items[2].labels[0].value` and `bands[1].min_score`. Bands are checked
    /// only once the items are valid, since the items fix the score range.
    pub fn check(self, id: Uuid) -> Result<Instrument, Vec<FieldViolation>> {
        let mut v = Violations::new();
        let short_name = v.ok(
            "short_name",
            fields::text(&self.short_name, 1, MAX_SHORT_NAME_CHARS),
        );
        let title = v.ok("title", fields::text(&self.title, 1, MAX_TITLE_CHARS));
        let instructions = v.ok(
            "instructions",
            fields::text(&self.instructions, 0, MAX_INSTRUCTIONS_CHARS),
        );
        if self.items.is_empty() || self.items.len() > MAX_ITEMS {
            v.add(
                "items",
                format!("must have 1 to {MAX_ITEMS} items, got {}", self.items.len()),
            );
        }
        let mut items = Vec::with_capacity(self.items.len());
        for (i, draft) in self.items.into_iter().enumerate() {
            match draft.check() {
                Ok(item) => items.push(item),
                Err(nested) => v.extend_under(&format!("items[{i}]"), nested),
            }
        }
        let mut bands = Vec::new();
        if v.is_empty() {
            let range = items.iter().fold((0, 0), |(lo, hi), item: &Item| {
                (
                    lo + u32::from(item.min_value),
                    hi + u32::from(item.max_value),
                )
            });
            match check_bands(self.bands, range) {
                Ok(checked) => bands = checked,
                Err(nested) => v.extend(nested),
            }
        }
        v.finish_with(|| Instrument {
            id,
            version: 1,
            short_name: Cow::Owned(short_name.unwrap_or_default()),
            title: Cow::Owned(title.unwrap_or_default()),
            instructions: Cow::Owned(instructions.unwrap_or_default()),
            items: Cow::Owned(items),
            bands: Cow::Owned(bands),
            change_rules: None,
            self_harm_item: None,
            attribution: Cow::Borrowed(""),
        })
    }
}

impl ItemDraft {
    fn check(self) -> Result<Item, Vec<FieldViolation>> {
        let mut v = Violations::new();
        let text = v.ok("text", fields::text(&self.text, 1, MAX_ITEM_TEXT_CHARS));
        let max = i32::from(MAX_ANSWER_VALUE);
        let range = if !(0..=max).contains(&self.min_value) {
            v.add(
                "min_value",
                format!("must be between 0 and {max}, got {}", self.min_value),
            );
            None
        } else if !(0..=max).contains(&self.max_value) {
            v.add(
                "max_value",
                format!("must be between 0 and {max}, got {}", self.max_value),
            );
            None
        } else if self.max_value <= self.min_value {
            v.add(
                "max_value",
                format!(
                    "must be above min_value ({}) so there are two answers at least, got {}",
                    self.min_value, self.max_value
                ),
            );
            None
        } else {
            // Both are within 0..=MAX_ANSWER_VALUE, so they fit in u8.
            Some((self.min_value as u8, self.max_value as u8))
        };
        let mut labels: Vec<AnswerLabel> = Vec::with_capacity(self.labels.len());
        for (j, (value, label)) in self.labels.into_iter().enumerate() {
            let path = format!("labels[{j}]");
            let label = v.ok(
                format!("{path}.label"),
                fields::text(&label, 1, MAX_LABEL_CHARS),
            );
            let Some((lo, hi)) = range else { continue };
            let value = u8::try_from(value)
                .ok()
                .filter(|x| (lo..=hi).contains(x))
                .ok_or_else(|| format!("must be between {lo} and {hi}, got {value}"))
                .and_then(|x| match labels.iter().any(|l| l.value == x) {
                    true => Err(format!("value {x} is labelled twice")),
                    false => Ok(x),
                });
            if let (Some(value), Some(label)) = (v.ok(format!("{path}.value"), value), label) {
                labels.push(AnswerLabel {
                    value,
                    label: Cow::Owned(label),
                });
            }
        }
        if let Some((lo, hi)) = range {
            for end in [lo, hi] {
                if v.is_empty() && !labels.iter().any(|l| l.value == end) {
                    v.add(
                        "labels",
                        format!(
                            "must label both ends of the range, {lo} and {hi}; {end} has no label"
                        ),
                    );
                }
            }
        }
        labels.sort_by_key(|l| l.value);
        v.finish_with(|| {
            let (min_value, max_value) = range.unwrap_or_default();
            Item {
                text: Cow::Owned(text.unwrap_or_default()),
                min_value,
                max_value,
                labels: Cow::Owned(labels),
            }
        })
    }
}

/// Bands must be none, or 1 to [`MAX_BANDS`] consecutive intervals covering
/// `lo..=hi` exactly, in ascending order.
fn check_bands(
    drafts: Vec<BandDraft>,
    (lo, hi): (u32, u32),
) -> Result<Vec<SeverityBand>, Vec<FieldViolation>> {
    let mut v = Violations::new();
    if drafts.len() > MAX_BANDS {
        v.add(
            "bands",
            format!("must have at most {MAX_BANDS} bands, got {}", drafts.len()),
        );
        return v.finish_with(Vec::new);
    }
    let mut bands: Vec<SeverityBand> = Vec::with_capacity(drafts.len());
    // Where the next band must start: the lowest total, then one past the
    // previous band's end. Checked against the draft itself (not the last
    // valid band) so one bad band does not make every later one wrong.
    let mut expected_min = i64::from(lo);
    let count = drafts.len();
    for (i, draft) in drafts.into_iter().enumerate() {
        let path = format!("bands[{i}]");
        let label = v.ok(
            format!("{path}.label"),
            fields::text(&draft.label, 1, MAX_LABEL_CHARS),
        );
        let (min, max) = (i64::from(draft.min_score), i64::from(draft.max_score));
        if min != expected_min {
            let why = if i == 0 {
                format!("must be {expected_min}, the lowest possible total")
            } else {
                format!(
                    "must be {expected_min}, right after bands[{}].max_score, so bands neither overlap nor leave gaps",
                    i - 1
                )
            };
            v.add(format!("{path}.min_score"), format!("{why}; got {min}"));
        }
        if max < min {
            v.add(
                format!("{path}.max_score"),
                format!("must be at least min_score ({min}), got {max}"),
            );
        } else if i + 1 == count && max != i64::from(hi) {
            v.add(
                format!("{path}.max_score"),
                format!(
                    "must be {hi}, the highest possible total, as this is the last band; got {max}"
                ),
            );
        } else if max >= i64::from(hi) && i + 1 < count {
            v.add(
                format!("{path}.max_score"),
                format!("must be below {hi}, the highest possible total, as more bands follow; got {max}"),
            );
        }
        expected_min = max + 1;
        if let Some(label) = label {
            bands.push(SeverityBand {
                // Out-of-range values were reported above; the clamp only
                // keeps the conversion total.
                min_score: u32::try_from(min).unwrap_or(0),
                max_score: u32::try_from(max).unwrap_or(0),
                label: Cow::Owned(label),
            });
        }
    }
    v.finish_with(|| bands)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn violations(
        result: Result<impl std::fmt::Debug, Vec<FieldViolation>>,
    ) -> Vec<(String, String)> {
        result
            .expect_err("violations")
            .into_iter()
            .map(|v| (v.field, v.description))
            .collect()
    }

    fn fields(result: Result<impl std::fmt::Debug, Vec<FieldViolation>>) -> Vec<String> {
        violations(result).into_iter().map(|(f, _)| f).collect()
    }

    #[test]
    fn the_built_in_instruments_are_the_published_forms() {
        assert_eq!(PHQ9.items.len(), 9);
        assert_eq!(GAD7.items.len(), 7);
        assert_eq!(PHQ9.score_range(), (0, 27));
        assert_eq!(GAD7.score_range(), (0, 21));
        assert_eq!(
            PHQ9.items[8].text,
            "Thoughts that you would be better off dead or of hurting yourself in some way"
        );
        assert_eq!(GAD7.items[3].text, "Trouble relaxing");
        let labels: Vec<&str> = PHQ9.items[0].labels.iter().map(|l| &*l.label).collect();
        assert_eq!(
            labels,
            [
                "Not at all",
                "Several days",
                "More than half the days",
                "Nearly every day"
            ]
        );
        assert_eq!(built_in(PHQ9_ID), Some(&PHQ9));
        assert_eq!(built_in(GAD7_ID), Some(&GAD7));
        assert_eq!(PHQ9_ID.to_string(), "00000000-0000-0000-0000-000000000009");
        assert!(PHQ9.is_built_in() && GAD7.is_built_in());
    }

    #[test]
    fn the_built_in_definitions_pass_the_custom_rules_too() {
        // A custom copy of each built-in must be accepted unchanged, which
        // proves the constants are well formed (bands cover the range, etc.).
        for instrument in BUILT_IN {
            let draft = CustomInstrumentDraft {
                short_name: instrument.short_name.to_string(),
                title: instrument.title.to_string(),
                instructions: instrument.instructions.to_string(),
                items: instrument
                    .items
                    .iter()
                    .map(|item| ItemDraft {
                        text: item.text.to_string(),
                        min_value: item.min_value.into(),
                        max_value: item.max_value.into(),
                        labels: item
                            .labels
                            .iter()
                            .map(|l| (l.value.into(), l.label.to_string()))
                            .collect(),
                    })
                    .collect(),
                bands: instrument
                    .bands
                    .iter()
                    .map(|b| BandDraft {
                        min_score: b.min_score as i32,
                        max_score: b.max_score as i32,
                        label: b.label.to_string(),
                    })
                    .collect(),
            };
            let copy = draft.check(Uuid::nil()).expect("valid");
            assert_eq!(
                (copy.items, copy.bands),
                (instrument.items.clone(), instrument.bands.clone())
            );
        }
    }

    #[test]
    fn phq9_severity_follows_kroenke_2001() {
        let band = |total| PHQ9.band(total).map(|(i, b)| (i, b.label.to_string()));
        assert_eq!(band(0), Some((0, "Minimal".into())));
        assert_eq!(band(4), Some((0, "Minimal".into())));
        assert_eq!(band(5), Some((1, "Mild".into())));
        assert_eq!(band(9), Some((1, "Mild".into())));
        assert_eq!(band(10), Some((2, "Moderate".into())));
        assert_eq!(band(14), Some((2, "Moderate".into())));
        assert_eq!(band(15), Some((3, "Moderately severe".into())));
        assert_eq!(band(19), Some((3, "Moderately severe".into())));
        assert_eq!(band(20), Some((4, "Severe".into())));
        assert_eq!(band(27), Some((4, "Severe".into())));
        assert_eq!(band(28), None);
    }

    #[test]
    fn gad7_severity_follows_spitzer_2006() {
        let band = |total| GAD7.band(total).map(|(_, b)| b.label.to_string());
        assert_eq!(band(4).as_deref(), Some("Minimal"));
        assert_eq!(band(5).as_deref(), Some("Mild"));
        assert_eq!(band(14).as_deref(), Some("Moderate"));
        assert_eq!(band(15).as_deref(), Some("Severe"));
        assert_eq!(band(21).as_deref(), Some("Severe"));
        assert_eq!(band(22), None);
    }

    #[test]
    fn answers_are_scored_by_their_sum() {
        // 1+2+0+3+1+0+2+1+0 = 10: moderate.
        let scored = PHQ9
            .check_answers(&[1, 2, 0, 3, 1, 0, 2, 1, 0])
            .expect("valid");
        assert_eq!(scored.total, 10);
        assert_eq!(scored.answers, [1, 2, 0, 3, 1, 0, 2, 1, 0]);
        assert!(!PHQ9.signals_self_harm(&scored.answers));
        // 3 × 7 = 21, the GAD-7 maximum.
        assert_eq!(GAD7.check_answers(&[3; 7]).expect("valid").total, 21);
    }

    #[test]
    fn any_answer_above_zero_on_phq9_item_9_signals_self_harm() {
        let scored = PHQ9
            .check_answers(&[0, 0, 0, 0, 0, 0, 0, 0, 1])
            .expect("valid");
        assert_eq!(scored.total, 1);
        assert!(PHQ9.signals_self_harm(&scored.answers));
        // GAD-7 has no such item, whatever the answers.
        assert!(!GAD7.signals_self_harm(&[3; 7]));
    }

    #[test]
    fn every_bad_answer_is_named_by_its_position() {
        // Item 2 out of range (4), item 4 negative; items 8 and 9 missing.
        let result = PHQ9.check_answers(&[0, 4, 1, -1, 0, 0, 0]);
        assert_eq!(
            violations(result),
            [
                (
                    "answers[1]".into(),
                    "item 2 must be answered from 0 to 3, got 4".into()
                ),
                (
                    "answers[3]".into(),
                    "item 4 must be answered from 0 to 3, got -1".into()
                ),
                (
                    "answers[7]".into(),
                    "item 8 needs an answer from 0 to 3".into()
                ),
                (
                    "answers[8]".into(),
                    "item 9 needs an answer from 0 to 3".into()
                ),
            ]
        );
        // Answers beyond the last item are named too.
        assert_eq!(
            fields(GAD7.check_answers(&[0; 9])),
            ["answers[7]", "answers[8]"]
        );
    }

    fn scale(text: &str, lo: i32, hi: i32) -> ItemDraft {
        ItemDraft {
            text: text.into(),
            min_value: lo,
            max_value: hi,
            labels: vec![(lo, "Not at all".into()), (hi, "Extremely".into())],
        }
    }

    fn draft(items: Vec<ItemDraft>, bands: &[(i32, i32, &str)]) -> CustomInstrumentDraft {
        CustomInstrumentDraft {
            short_name: "SLEEP-3".into(),
            title: "Sleep check".into(),
            instructions: "In the last week:".into(),
            items,
            bands: bands
                .iter()
                .map(|(lo, hi, label)| BandDraft {
                    min_score: *lo,
                    max_score: *hi,
                    label: (*label).into(),
                })
                .collect(),
        }
    }

    #[test]
    fn a_custom_instrument_may_mix_answer_ranges() {
        // Ranges 0–10, 1–5 and 0–1: totals 1 to 16.
        let items = vec![
            scale("How tired were you?", 0, 10),
            scale("How rested did you wake up?", 1, 5),
            scale("Did you nap?", 0, 1),
        ];
        let id = Uuid::now_v7();
        let instrument = draft(items, &[(1, 5, "Low"), (6, 11, "Some"), (12, 16, "High")])
            .check(id)
            .expect("valid");
        assert_eq!((instrument.id, instrument.version), (id, 1));
        assert_eq!(instrument.score_range(), (1, 16));
        assert_eq!(instrument.change_rules, None);
        assert!(!instrument.is_built_in());
        // 10 + 3 + 0 = 13: "High".
        let scored = instrument.check_answers(&[10, 3, 0]).expect("valid");
        assert_eq!(scored.total, 13);
        assert_eq!(instrument.band(13).map(|(i, _)| i), Some(2));
        // 0 is outside item 2's range 1–5.
        assert_eq!(
            violations(instrument.check_answers(&[0, 0, 0])),
            [(
                "answers[1]".into(),
                "item 2 must be answered from 1 to 5, got 0".into()
            )]
        );
    }

    #[test]
    fn bands_are_optional() {
        let instrument = draft(vec![scale("Mood", 0, 10)], &[])
            .check(Uuid::now_v7())
            .expect("valid");
        assert_eq!(instrument.band(7), None);
    }

    #[test]
    fn bands_must_cover_the_range_without_gaps_or_overlaps() {
        // Two items 0–3: totals 0 to 6.
        let items = || vec![scale("A", 0, 3), scale("B", 0, 3)];
        // A gap between 2 and 4.
        assert_eq!(
            fields(draft(items(), &[(0, 2, "Low"), (4, 6, "High")]).check(Uuid::now_v7())),
            ["bands[1].min_score"]
        );
        // An overlap at 3.
        assert_eq!(
            fields(draft(items(), &[(0, 3, "Low"), (3, 6, "High")]).check(Uuid::now_v7())),
            ["bands[1].min_score"]
        );
        // Not starting at the lowest total, and not reaching the highest.
        assert_eq!(
            fields(draft(items(), &[(1, 3, "Low"), (4, 5, "High")]).check(Uuid::now_v7())),
            ["bands[0].min_score", "bands[1].max_score"]
        );
        // Upside down.
        assert_eq!(
            fields(draft(items(), &[(0, 4, "Low"), (5, 3, "High")]).check(Uuid::now_v7())),
            ["bands[1].max_score"]
        );
        // Past the end before the last band.
        assert_eq!(
            fields(draft(items(), &[(0, 6, "All"), (7, 6, "None")]).check(Uuid::now_v7())),
            ["bands[0].max_score", "bands[1].max_score"]
        );
        assert!(
            draft(items(), &[(0, 6, "All")])
                .check(Uuid::now_v7())
                .is_ok()
        );
    }

    #[test]
    fn items_need_a_range_of_two_values_with_both_ends_labelled() {
        let mut only_one = scale("Same", 2, 2);
        only_one.labels = vec![(2, "Two".into())];
        let mut unlabelled_end = scale("Half", 0, 4);
        unlabelled_end.labels = vec![(0, "None".into()), (2, "Some".into())];
        let mut twice = scale("Twice", 0, 4);
        twice.labels.push((0, "Nothing".into()));
        let mut outside = scale("Outside", 0, 4);
        outside.labels.push((9, "Nine".into()));
        let too_wide = scale("Wide", 0, 11);
        let empty = scale("  ", 0, 1);
        let result = draft(
            vec![only_one, unlabelled_end, twice, outside, too_wide, empty],
            &[],
        )
        .check(Uuid::now_v7());
        assert_eq!(
            violations(result),
            [
                (
                    "items[0].max_value".into(),
                    "must be above min_value (2) so there are two answers at least, got 2".into()
                ),
                (
                    "items[1].labels".into(),
                    "must label both ends of the range, 0 and 4; 4 has no label".into()
                ),
                (
                    "items[2].labels[2].value".into(),
                    "value 0 is labelled twice".into()
                ),
                (
                    "items[3].labels[2].value".into(),
                    "must be between 0 and 4, got 9".into()
                ),
                (
                    "items[4].max_value".into(),
                    "must be between 0 and 10, got 11".into()
                ),
                ("items[5].text".into(), "must not be empty".into()),
            ]
        );
    }

    #[test]
    fn item_count_and_names_are_bounded() {
        let none = draft(vec![], &[]);
        assert_eq!(fields(none.check(Uuid::now_v7())), ["items"]);
        let many = draft((0..=MAX_ITEMS).map(|_| scale("Q", 0, 1)).collect(), &[]);
        assert_eq!(fields(many.check(Uuid::now_v7())), ["items"]);
        let full = draft((0..MAX_ITEMS).map(|_| scale("Q", 0, 10)).collect(), &[]);
        // 50 items of 0–10: totals up to 500.
        assert_eq!(
            full.check(Uuid::now_v7()).expect("valid").score_range(),
            (0, 500)
        );
        let mut nameless = draft(vec![scale("Q", 0, 1)], &[]);
        nameless.short_name = "A-name-longer-than-20".into();
        nameless.title = String::new();
        assert_eq!(
            fields(nameless.check(Uuid::now_v7())),
            ["short_name", "title"]
        );
    }

    #[test]
    fn custom_ids_stay_out_of_the_built_in_space() {
        assert!(custom_instrument_id(PHQ9_ID).is_err());
        assert!(custom_instrument_id(Uuid::from_u128(12)).is_err());
        assert!(custom_instrument_id(Uuid::new_v4()).is_ok());
        assert!(custom_instrument_id(Uuid::now_v7()).is_ok());
    }
}
