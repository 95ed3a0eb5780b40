//! Plain Rust types and the rules of the domain: what a valid goal, action
//! step, check-in or rating is. No tonic, no sled.
//!
//! Records derive `prost::Message` because the store keeps them prost-encoded;
//! they are written only through the parsers in [`fields`], so a stored record
//! is always valid.

pub mod admin;
pub mod assessment;
pub mod assignments;
pub mod attainment;
pub mod care;
pub mod clock;
pub mod fields;
pub mod insights;
pub mod instruments;
pub mod records;
pub mod skills;
pub mod sync;
pub mod thoughts;
pub mod violation;

pub use admin::*;
pub use care::*;
pub use clock::{Clock, ManualClock, SystemClock};
pub use records::*;
pub use sync::*;
