//! Plain Rust types and the rules of the domain: what a valid goal, action
//! step, check-in or rating is, and how progress is measured. No tonic, no
//! sled: typed values (`Uuid`, `NaiveDate`, enums), written only through the
//! parsers in [`fields`], so a stored record is always valid.

pub mod accounts;
pub mod admin;
pub mod alert_delivery;
pub mod assessment;
pub mod assignments;
pub mod attainment;
pub mod care;
pub mod clock;
pub mod credentials;
pub mod crisis;
pub mod device_session;
pub mod digest;
pub mod fields;
pub mod instruments;
pub mod password;
pub mod progress;
pub mod records;
pub mod reminders;
pub mod retention;
pub mod second_factor;
pub mod skills;
pub mod sync;
pub mod thoughts;
pub mod token;
pub mod tracks;

pub use accounts::*;
pub use admin::*;
pub use alert_delivery::{AlertDelivery, Backoff, Lease};
pub use care::*;
pub use clock::{Clock, ManualClock, SystemClock};
pub use credentials::{AccountRecoveryCode, Credential, SetupCode, normalize_email};
pub use device_session::{
    AccessToken, DeviceSession, EndReason, Refreshed, SecurityEvent, SecurityEventKind,
};
pub use records::*;
pub use retention::{Expiring, PurgeReport, RetentionPolicy};
pub use second_factor::TotpFactor;
pub use sync::*;
pub use token::{
    LAST_USE_RESOLUTION_US, Revocation, RevokeReason, Token, TokenState, hash_token, new_token,
};
pub use tracks::*;
