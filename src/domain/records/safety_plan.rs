//! Safety plans: Stanley and Brown's Safety Planning Intervention (2012),
//! the client's six steps to get through a suicidal crisis plus their
//! reasons for living, written by the client and their therapists together.
//!
//! A plan keeps its history without any storage of its own: every saved
//! version is a record, numbered by `revision` and never changed again
//! (no field is editable in place, and [`Record::alteration`] refuses);
//! the client's current plan is the version with the highest revision,
//! first in the order of its siblings. A version may only take the
//! revision after the current one, so of two saves from the same plan
//! (two devices creating a first plan offline, a client and a therapist
//! editing at once) the second conflicts instead of overwriting the first.

use uuid::Uuid;

use super::record::{Authors, Editable, Kind, Meta, Order, Parent, Record};
use crate::domain::fields;
use crate::encoding::Stored;

/// Most entries in one section of a plan.
pub const MAX_PLAN_ENTRIES: usize = 10;
/// Longest text entry (a warning sign, a strategy, a reason), in characters.
pub const MAX_PLAN_ENTRY_CHARS: usize = 300;
/// Longest name of a person, a place or an agency, in characters.
pub const MAX_PLAN_NAME_CHARS: usize = 100;
/// Longest phone number, in characters.
pub const MAX_PLAN_PHONE_CHARS: usize = 32;
/// Longest opening hours, in characters.
pub const MAX_PLAN_HOURS_CHARS: usize = 100;

/// Why a saved version of a plan is never changed or deleted on its own.
const VERSIONS_KEPT: &str =
    "a saved version of a safety plan never changes; save a new version instead";

/// A person or a social setting on a plan.
#[derive(Debug, Clone, PartialEq, Eq, Default, Stored)]
pub struct PlanContact {
    /// Who or where.
    pub name: String,
    /// A phone number; empty when there is none.
    pub phone: String,
}

/// A professional or an agency to contact in a crisis.
#[derive(Debug, Clone, PartialEq, Eq, Default, Stored)]
pub struct PlanAgency {
    /// The clinician's or the agency's name.
    pub name: String,
    /// A phone number; empty when there is none.
    pub phone: String,
    /// When they can be reached; empty when not known.
    pub hours: String,
}

/// One saved version of a client's safety plan. `meta.created_by` is who
/// saved it, `meta.create_time_us` when.
#[derive(Debug, Clone, PartialEq, Default, Stored)]
pub struct SafetyPlan {
    /// Common fields.
    #[stored(skip)]
    pub meta: Meta,
    /// 1 for the client's first plan, one more for each later version.
    pub revision: u32,
    /// Step 1: signs that a crisis may be developing.
    pub warning_signs: Vec<String>,
    /// Step 2: what the client can do alone to take their mind off it.
    pub coping_strategies: Vec<String>,
    /// Step 3: people and social settings that provide distraction.
    pub distractions: Vec<PlanContact>,
    /// Step 4: people the client can ask for help.
    pub people_to_ask: Vec<PlanContact>,
    /// Step 5: professionals and agencies to contact in a crisis.
    pub professionals: Vec<PlanAgency>,
    /// Step 6: making the environment safe.
    pub safe_environment: Vec<String>,
    /// What makes life worth living for the client.
    pub reasons_for_living: Vec<String>,
}

record!(
    SafetyPlan,
    authors: Authors::CarePlan,
    parent: |_plan| Parent::Client,
    fn order(&self) -> Order {
        Order::Revision(self.revision)
    }
    fn alteration(&self, _by: Uuid) -> Result<(), &'static str> {
        Err(VERSIONS_KEPT)
    }
);

editable! {
    SafetyPlan / SafetyPlanSection {
        WarningSigns: "warning_signs" => warning_signs,
        CopingStrategies: "coping_strategies" => coping_strategies,
        Distractions: "distractions" => distractions,
        PeopleToAsk: "people_to_ask" => people_to_ask,
        Professionals: "professionals" => professionals,
        SafeEnvironment: "safe_environment" => safe_environment,
        ReasonsForLiving: "reasons_for_living" => reasons_for_living,
    }
    immutable { revision: "revision", }
}

impl SafetyPlan {
    /// Whether this version may be saved after `current`, the client's
    /// current plan (if any): it must take the next revision.
    pub fn follows(&self, current: Option<&SafetyPlan>) -> bool {
        self.revision == next_revision(current)
    }
}

/// The revision a version saved after `current` takes.
pub fn next_revision(current: Option<&SafetyPlan>) -> u32 {
    current.map_or(0, |plan| plan.revision).saturating_add(1)
}

/// Checks the number of entries of a section: at most
/// [`MAX_PLAN_ENTRIES`].
pub fn plan_entries(count: usize) -> Result<(), String> {
    if count > MAX_PLAN_ENTRIES {
        return Err(format!(
            "must hold at most {MAX_PLAN_ENTRIES} entries, got {count}"
        ));
    }
    Ok(())
}

/// Checks a text entry: 1 to [`MAX_PLAN_ENTRY_CHARS`] characters, trimmed.
pub fn plan_entry(value: &str) -> Result<String, String> {
    fields::text(value, 1, MAX_PLAN_ENTRY_CHARS)
}

/// Checks a name: 1 to [`MAX_PLAN_NAME_CHARS`] characters, trimmed.
pub fn plan_name(value: &str) -> Result<String, String> {
    fields::text(value, 1, MAX_PLAN_NAME_CHARS)
}

/// Checks a phone number: empty, or up to [`MAX_PLAN_PHONE_CHARS`]
/// characters of digits, spaces and `+ - ( ) . /`, with a digit.
pub fn plan_phone(value: &str) -> Result<String, String> {
    let phone = fields::text(value, 0, MAX_PLAN_PHONE_CHARS)?;
    let allowed = |c: char| c.is_ascii_digit() || " +-()./".contains(c);
    if phone.is_empty() {
        return Ok(phone);
    }
    if !phone.chars().all(allowed) || !phone.chars().any(|c| c.is_ascii_digit()) {
        return Err("must be a phone number: digits, spaces and + - ( ) . / only".into());
    }
    Ok(phone)
}

/// Checks opening hours: up to [`MAX_PLAN_HOURS_CHARS`] characters,
/// trimmed.
pub fn plan_hours(value: &str) -> Result<String, String> {
    fields::text(value, 0, MAX_PLAN_HOURS_CHARS)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::records::record::tests::Samples;

    impl Samples for SafetyPlan {
        fn samples() -> (Self, Self) {
            let a = SafetyPlan {
                meta: Meta::default(),
                revision: 1,
                warning_signs: vec!["a".into()],
                coping_strategies: vec!["b".into()],
                distractions: vec![PlanContact {
                    name: "c".into(),
                    phone: String::new(),
                }],
                people_to_ask: vec![],
                professionals: vec![],
                safe_environment: vec!["d".into()],
                reasons_for_living: vec![],
            };
            let b = SafetyPlan {
                meta: Meta::default(),
                revision: 2,
                warning_signs: vec![],
                coping_strategies: vec![],
                distractions: vec![],
                people_to_ask: vec![PlanContact {
                    name: "e".into(),
                    phone: "+1 555 0100".into(),
                }],
                professionals: vec![PlanAgency {
                    name: "f".into(),
                    phone: "988".into(),
                    hours: "24/7".into(),
                }],
                safe_environment: vec![],
                reasons_for_living: vec!["g".into()],
            };
            (a, b)
        }
    }

    #[test]
    fn a_version_follows_only_the_current_plan() {
        let (first, second) = <SafetyPlan as Samples>::samples();
        assert!(first.follows(None));
        assert!(second.follows(Some(&first)));
        assert!(!first.follows(Some(&first)), "a second first plan");
        assert!(!second.follows(None));
    }

    #[test]
    fn phones_are_short_and_look_like_numbers() {
        assert_eq!(plan_phone(" +49 (30) 123-45 "), Ok("+49 (30) 123-45".into()));
        assert_eq!(plan_phone(""), Ok(String::new()));
        assert!(plan_phone("call me").is_err());
        assert!(plan_phone(&"1".repeat(MAX_PLAN_PHONE_CHARS + 1)).is_err());
        assert!(plan_entries(MAX_PLAN_ENTRIES).is_ok());
        assert!(plan_entries(MAX_PLAN_ENTRIES + 1).is_err());
    }
}
