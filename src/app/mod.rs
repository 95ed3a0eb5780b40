//! Use cases: what a caller may do to which records, on top of the store.
//! Both the unary services and sync call these, so the rules live once.
//!
//! Input arrives already parsed into domain records (see
//! [`crate::domain::fields`]); output is domain records. The store is
//! reached only through [`crate::store::Store`], so the use cases run on
//! any backend (the tests in `tests.rs` run them in memory).
//!
//! [`App`] and the checks every use case shares are in `base`; each use
//! case module beside it is an `impl App` block standing on it, and this
//! file only declares the modules and says what the layer offers.

mod accounts;
mod admin;
mod alert_outbox;
mod any_kind;
mod assessments;
mod attainment;
mod authentication;
mod base;
mod care;
mod comments;
mod crisis;
mod dashboard;
mod delivery;
mod erasure;
mod export;
mod hashing;
pub mod invite_guard;
mod page;
mod plan;
mod practice;
mod principal;
mod progress;
mod records;
mod recovery;
mod reminders;
mod retention;
mod risk;
mod safety_plan;
mod second_factor;
mod sessions;
mod settings;
mod sign_in;
pub mod sign_in_guard;
mod skills;
mod streams;
mod sync;
#[cfg(test)]
mod tests;
mod thoughts;
mod token_uses;
mod tokens;

// The helpers the use cases share, where they look for them.
use base::{BATCH, action_for, all, check_version};

pub use accounts::{AccountChange, FirstAdmin, NewAccount, NewSetupCode};
pub use assessments::{AssessedResult, DueAssessment, NewAssignment};
pub use base::{App, SessionSettings};
pub use dashboard::WatchEvent;
pub use export::ExportItem;
pub use page::{PageRequest, check_page_token};
pub use principal::{Action, Principal};
pub use progress::{
    AttainmentStats, ClientSummary, Flag, InstrumentSummary, LatestResult, ProgressReport,
    ProgressTarget, StepProgress, SummarySeverity,
};
pub use recovery::NewRecoveryCode;
pub use retention::{FIRST_PASS_DELAY, PASS_INTERVAL, Retention};
pub use risk::RiskState;
pub use sessions::SessionDigest;
pub use sign_in::{Login, SignedIn};
pub use skills::{SkillStatsReport, SkillStatsTarget};
pub use sync::{DEFAULT_PULL_SIZE, MAX_PULL_SIZE, MAX_PUSH_MUTATIONS, PullPage, SyncEvent};
pub use thoughts::InsightReport;
