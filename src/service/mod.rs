//! One file per gRPC service: authenticate, parse, call the use case, map
//! back. Thin: rules live in [`crate::app`] and [`crate::domain`]. What
//! every handler does with its request is in `request`.

pub mod account;
pub mod admin;
pub mod assessment;
pub mod auth;
pub mod backup;
pub mod care;
pub mod comment;
pub mod convert;
pub mod crisis;
mod fit;
pub mod goal;
pub mod insight;
pub mod journal;
pub mod progress;
mod request;
pub mod safety_plan;
pub mod skill;
pub mod sync;

pub use account::AccountApi;
pub use admin::AdminApi;
pub use assessment::AssessmentApi;
pub use auth::AuthApi;
pub use backup::BackupApi;
pub use care::CareApi;
pub use comment::CommentApi;
pub use crisis::CrisisApi;
pub use goal::GoalApi;
pub use insight::InsightApi;
pub use journal::JournalApi;
pub use progress::ProgressApi;
pub use safety_plan::SafetyPlanApi;
pub use skill::SkillApi;
pub use sync::SyncApi;

use std::time::Duration;

use tonic::service::RoutesBuilder;

use crate::app::App;
use crate::{limits, pb};

pub use request::principal;
// What every handler does with its request, where the handlers look for it.
use request::delete;

/// Every Stepwise service over `app`, each with the same explicit message
/// size limit; subscriptions beat every `heartbeat`. A new service is one
/// line here.
pub fn routes(app: &App, heartbeat: Duration) -> RoutesBuilder {
    macro_rules! limited {
        ($service:expr) => {
            $service
                .max_decoding_message_size(limits::MAX_MESSAGE_BYTES)
                .max_encoding_message_size(limits::MAX_MESSAGE_BYTES)
        };
    }
    use pb::{
        account_service_server::AccountServiceServer, admin_service_server::AdminServiceServer,
        assessment_service_server::AssessmentServiceServer, auth_service_server::AuthServiceServer,
        backup_service_server::BackupServiceServer, care_service_server::CareServiceServer,
        comment_service_server::CommentServiceServer, crisis_service_server::CrisisServiceServer,
        goal_service_server::GoalServiceServer, insight_service_server::InsightServiceServer,
        journal_service_server::JournalServiceServer,
        progress_service_server::ProgressServiceServer,
        safety_plan_service_server::SafetyPlanServiceServer,
        skill_service_server::SkillServiceServer, sync_service_server::SyncServiceServer,
    };
    let app = || app.clone();
    let mut routes = RoutesBuilder::default();
    routes
        .add_service(limited!(AccountServiceServer::new(AccountApi::new(app()))))
        .add_service(limited!(AdminServiceServer::new(AdminApi::new(app()))))
        .add_service(limited!(AuthServiceServer::new(AuthApi::new(app()))))
        .add_service(limited!(BackupServiceServer::new(BackupApi::new(app()))))
        .add_service(limited!(CareServiceServer::new(CareApi::new(
            app(),
            heartbeat
        ))))
        .add_service(limited!(GoalServiceServer::new(GoalApi::new(app()))))
        .add_service(limited!(ProgressServiceServer::new(
            ProgressApi::new(app())
        )))
        .add_service(limited!(SyncServiceServer::new(SyncApi::new(
            app(),
            heartbeat
        ))))
        .add_service(limited!(AssessmentServiceServer::new(AssessmentApi::new(
            app()
        ))))
        .add_service(limited!(CommentServiceServer::new(CommentApi::new(app()))))
        .add_service(limited!(CrisisServiceServer::new(CrisisApi::new(app()))))
        .add_service(limited!(SkillServiceServer::new(SkillApi::new(app()))))
        .add_service(limited!(InsightServiceServer::new(InsightApi::new(app()))))
        .add_service(limited!(JournalServiceServer::new(JournalApi::new(app()))))
        .add_service(limited!(SafetyPlanServiceServer::new(SafetyPlanApi::new(
            app()
        ))));
    routes
}
