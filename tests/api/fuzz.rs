//! Property: random and mutated bytes sent to every RPC get a proper status
//! (never INTERNAL, UNKNOWN or a dropped connection), and the store stays
//! consistent.

use std::collections::BTreeSet;

use http_body_util::BodyExt;
use proptest::prelude::*;
use prost::Message;
use stepwise::pb;
use tonic::Code;
use tower::ServiceExt;

use crate::devices::{pull_everything, sync_api};
use crate::helpers::*;

/// Every method of the API, with a valid request to mutate.
fn methods(goal_id: &str, step_id: &str) -> Vec<(&'static str, Vec<u8>)> {
    let goal = pb::Goal {
        id: goal_id.into(),
        title: "Valid".into(),
        ..Default::default()
    };
    vec![
        (
            "AccountService/CreateAccount",
            pb::CreateAccountRequest::default().encode_to_vec(),
        ),
        ("AccountService/GetCurrentAccount", Vec::new()),
        (
            "AccountService/SignUpWithInvite",
            pb::SignUpWithInviteRequest {
                code: "ABCDE-FGHJK".into(),
                display_name: "X".into(),
                time_zone: String::new(),
                ..Default::default()
            }
            .encode_to_vec(),
        ),
        (
            "GoalService/CreateGoal",
            pb::CreateGoalRequest {
                goal: Some(goal.clone()),
            }
            .encode_to_vec(),
        ),
        (
            "GoalService/GetGoal",
            pb::GetGoalRequest { id: goal_id.into() }.encode_to_vec(),
        ),
        (
            "GoalService/ListGoals",
            pb::ListGoalsRequest {
                page_size: 3,
                ..Default::default()
            }
            .encode_to_vec(),
        ),
        (
            "GoalService/UpdateGoal",
            pb::UpdateGoalRequest {
                goal: Some(goal),
                update_mask: mask(&["title"]),
            }
            .encode_to_vec(),
        ),
        (
            "GoalService/DeleteGoal",
            pb::DeleteGoalRequest {
                id: goal_id.into(),
                version: 1,
            }
            .encode_to_vec(),
        ),
        (
            "GoalService/CreateActionStep",
            pb::CreateActionStepRequest {
                action_step: Some(step(goal_id, "Valid")),
            }
            .encode_to_vec(),
        ),
        (
            "GoalService/GetActionStep",
            pb::GetActionStepRequest { id: step_id.into() }.encode_to_vec(),
        ),
        (
            "GoalService/ListActionSteps",
            pb::ListActionStepsRequest {
                goal_id: goal_id.into(),
                ..Default::default()
            }
            .encode_to_vec(),
        ),
        (
            "GoalService/DeleteActionStep",
            pb::DeleteActionStepRequest {
                id: step_id.into(),
                version: 2,
            }
            .encode_to_vec(),
        ),
        (
            "ProgressService/LogCheckIn",
            pb::LogCheckInRequest {
                check_in: Some(check_in(step_id, "2026-11-20", pb::CheckInState::Done)),
            }
            .encode_to_vec(),
        ),
        (
            "ProgressService/ListCheckIns",
            pb::ListCheckInsRequest {
                action_step_id: step_id.into(),
                ..Default::default()
            }
            .encode_to_vec(),
        ),
        (
            "ProgressService/RecordEfficacyRating",
            pb::RecordEfficacyRatingRequest {
                rating: Some(rating(&Rated::Goal(goal_id.into()), 50)),
            }
            .encode_to_vec(),
        ),
        (
            "ProgressService/GetProgress",
            pb::GetProgressRequest {
                target: Some(pb::get_progress_request::Target::GoalId(goal_id.into())),
                as_of_date: String::new(),
            }
            .encode_to_vec(),
        ),
        (
            "SyncService/Pull",
            pb::PullRequest::default().encode_to_vec(),
        ),
        (
            "SyncService/Push",
            pb::PushRequest {
                cursor: String::new(),
                device_id: "d".into(),
                mutations: vec![pb::Mutation {
                    mutation_id: "m".into(),
                    base_version: 0,
                    op: Some(pb::mutation::Op::UpsertGoal(pb::Goal {
                        title: "Pushed".into(),
                        ..Default::default()
                    })),
                }],
                ..Default::default()
            }
            .encode_to_vec(),
        ),
        ("CareService/CreateInvite", Vec::new()),
        (
            "CareService/AcceptInvite",
            pb::AcceptInviteRequest {
                code: "ABCDE-FGHJK".into(),
            }
            .encode_to_vec(),
        ),
        ("CareService/ListCareLinks", Vec::new()),
        ("CareService/ListAccessEvents", Vec::new()),
        ("CareService/ListClientSummaries", Vec::new()),
    ]
}

/// How to spoil a valid request.
#[derive(Debug, Clone)]
enum Mutation {
    Flip(usize, u8),
    Truncate(usize),
    Append(Vec<u8>),
    Random(Vec<u8>),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        (any::<usize>(), any::<u8>()).prop_map(|(at, bits)| Mutation::Flip(at, bits)),
        any::<usize>().prop_map(Mutation::Truncate),
        prop::collection::vec(any::<u8>(), 1..32).prop_map(Mutation::Append),
        prop::collection::vec(any::<u8>(), 0..64).prop_map(Mutation::Random),
    ]
}

fn spoil(mut bytes: Vec<u8>, how: &Mutation) -> Vec<u8> {
    match how {
        Mutation::Flip(at, bits) if !bytes.is_empty() => {
            let at = at % bytes.len();
            bytes[at] ^= bits | 1;
        }
        Mutation::Flip(..) => bytes.push(0xff),
        Mutation::Truncate(at) => bytes.truncate(at % (bytes.len() + 1)),
        Mutation::Append(tail) => bytes.extend_from_slice(tail),
        Mutation::Random(random) => bytes = random.clone(),
    }
    bytes
}

/// Sends `message` (any bytes) to `method` as a gRPC call; returns the code.
async fn raw_call(app: &TestApp, token: &str, method: &str, message: Vec<u8>) -> Code {
    let mut framed = vec![0];
    framed.extend_from_slice(&(message.len() as u32).to_be_bytes());
    framed.extend_from_slice(&message);
    let request = http::Request::builder()
        .method("POST")
        .uri(format!("http://{}/stepwise.v1.{method}", app.addr))
        .header("content-type", "application/grpc")
        .header("te", "trailers")
        .header("authorization", format!("Bearer {token}"))
        .body(tonic::body::Body::new(http_body_util::Full::new(
            tonic::codegen::Bytes::from(framed),
        )))
        .expect("request");
    let response = app
        .channel()
        .await
        .oneshot(request)
        .await
        .expect("the server answers");
    if let Some(status) = tonic::Status::from_header_map(response.headers()) {
        return status.code();
    }
    let collected = response.into_body().collect().await.expect("body");
    let trailers = collected.trailers().cloned().unwrap_or_default();
    tonic::Status::from_header_map(&trailers).map_or(Code::Ok, |s| s.code())
}

async fn run(cases: Vec<(usize, Mutation)>) {
    let app = TestApp::spawn().await;
    let ada = app.new_client("Ada").await;
    let (goal, step) = goal_with_step(&app, &ada).await;
    let methods = methods(&goal.id, &step.id);
    for (index, how) in cases {
        let (method, valid) = &methods[index % methods.len()];
        let code = raw_call(&app, &ada, method, spoil(valid.clone(), &how)).await;
        assert!(
            !matches!(
                code,
                Code::Internal | Code::Unknown | Code::DataLoss | Code::Unavailable
            ),
            "{method} answered {code:?} to {how:?}"
        );
    }
    // Whatever was applied, the change index still equals the store.
    let (pulled, _) = pull_everything(&mut sync_api(&app, &ada).await).await;
    let pulled_goals: BTreeSet<String> = pulled
        .iter()
        .filter_map(|c| match &c.entity {
            Some(pb::change::Entity::Goal(g)) => Some(g.id.clone()),
            _ => None,
        })
        .collect();
    let listed: BTreeSet<String> = list_goals(&app, &ada)
        .await
        .into_iter()
        .map(|g| g.id)
        .collect();
    assert_eq!(pulled_goals, listed);
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, max_shrink_iters: 32, ..ProptestConfig::default() })]

    #[test]
    fn random_and_mutated_requests_get_a_proper_status_and_leave_the_store_consistent(
        cases in prop::collection::vec((any::<usize>(), mutation()), 10..40)
    ) {
        let runtime = tokio::runtime::Runtime::new().expect("runtime");
        runtime.block_on(run(cases));
    }
}
