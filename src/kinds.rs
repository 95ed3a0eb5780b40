//! The one list of the kinds of client-owned records.
//!
//! Every place that handles each kind in turn is generated from this list,
//! so a new kind is one line here plus its own files (see
//! `docs/adding-a-record-kind.md`): `crate::domain::records::<module>` (its
//! type, rules and storage encoding) and `crate::service::convert::<module>`
//! (its API messages). A line reads
//!
//! `Kind(module) = byte, "noun", push [Op]`
//!
//! - `Kind`: the record type, and the variant of `Kind`, `Entity`,
//!   `pb::EntityType` and `pb::change::Entity`;
//! - `module`: where its domain and its API conversion live;
//! - `byte`: the kind in stored keys and records, fixed forever (stores
//!   written before depend on it; never reuse one);
//! - `"noun"`: how messages to people name it;
//! - `push [Op]`: the `pb::mutation::Op` a device pushes it with, or
//!   `push []` when no device writes it.

/// Calls the macro `$then` with the list of kinds (see the module doc).
macro_rules! record_kinds {
    ($then:ident) => {
        $then! {
            Goal(goal) = 1, "goal", push [UpsertGoal];
            ActionStep(action_step) = 2, "action step", push [UpsertActionStep];
            CheckIn(check_in) = 3, "check-in", push [UpsertCheckIn];
            EfficacyRating(efficacy_rating) = 4, "efficacy rating", push [UpsertEfficacyRating];
            Assignment(assignment) = 5, "assignment", push [];
            AssessmentResult(assessment_result) = 6, "assessment result", push [SubmitAssessmentResult];
            AttainmentRating(attainment_rating) = 7, "attainment rating", push [UpsertAttainmentRating];
            Comment(comment) = 8, "comment", push [UpsertComment];
            Skill(skill) = 9, "skill", push [UpsertSkill];
            SkillPractice(skill_practice) = 10, "skill practice", push [UpsertSkillPractice];
            ThoughtRecord(thought_record) = 11, "thought record", push [UpsertThoughtRecord];
            JournalEntry(journal_entry) = 12, "journal entry", push [UpsertJournalEntry];
            SafetyPlan(safety_plan) = 13, "safety plan", push [UpsertSafetyPlan];
            RiskAlert(risk_alert) = 14, "risk alert", push [];
        }
    };
}
