//! One file per gRPC service: authenticate, parse, call the use case, map
//! back. Thin: rules live in [`crate::app`] and [`crate::domain`]. What
//! every handler does with its request is in `request`.

pub mod account;
pub mod admin;
pub mod assessment;
pub mod backup;
pub mod care;
pub mod comment;
pub mod convert;
mod fit;
pub mod goal;
pub mod insight;
pub mod progress;
mod request;
pub mod skill;
pub mod sync;

pub use account::AccountApi;
pub use admin::AdminApi;
pub use assessment::AssessmentApi;
pub use backup::BackupApi;
pub use care::CareApi;
pub use comment::CommentApi;
pub use goal::GoalApi;
pub use insight::InsightApi;
pub use progress::ProgressApi;
pub use skill::SkillApi;
pub use sync::SyncApi;

pub use request::principal;
// What every handler does with its request, where the handlers look for it.
use request::delete;
