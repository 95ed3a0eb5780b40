//! Conversions between API messages and domain values, one module per
//! resource. Parsing a request validates every field and reports all bad
//! ones at once, with request-relative field paths (`goal.title`);
//! building an answer destructures the domain value whole, so a field added
//! to a record and forgotten here does not compile. The parts they share
//! (ids, timestamps, pages, enums, masks) are in `parts`.

mod account;
mod action_step;
mod assessment;
mod attainment;
mod auth;
mod care;
mod check_in;
mod comment;
mod crisis;
mod export;
mod goal;
mod journal_entry;
mod parts;
mod progress;
mod rating;
mod reminders;
mod risk_alert;
mod safety_plan;
mod session;
mod skill;
mod sync;
mod thought_record;

pub use account::*;
pub use action_step::*;
pub use assessment::*;
pub use attainment::*;
pub use auth::*;
pub use care::*;
pub use check_in::*;
pub use comment::*;
pub use crisis::*;
pub use export::*;
pub use goal::*;
pub use journal_entry::*;
pub use parts::*;
pub use progress::*;
pub use rating::*;
pub use reminders::*;
pub use risk_alert::*;
pub use safety_plan::*;
pub use session::*;
pub use skill::*;
pub use sync::*;
pub use thought_record::*;
