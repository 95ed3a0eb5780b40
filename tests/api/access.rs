//! Who may call what: tokens, roles, and each client's data kept to itself.
//! Other clients' records look exactly like records that do not exist.

use stepwise::pb;
use stepwise::pb::CheckInState::{Done, Skipped};
use stepwise::pb::Role;
use tonic::Code;

use crate::helpers::*;

/// A server where Ada keeps a [`Plan`] and Bea, another client, has a token.
struct TwoClients {
    app: TestApp,
    ada: String,
    plan: Plan,
    bea: String,
}

impl TwoClients {
    async fn spawn() -> Self {
        let app = TestApp::spawn().await;
        let ada = app.new_client("Ada").await;
        let plan = seed_plan(&app, &ada).await;
        let bea = app.new_client("Bea").await;
        Self {
            app,
            ada,
            plan,
            bea,
        }
    }

    /// Asserts that Ada's plan is exactly as it was seeded.
    async fn assert_ada_unchanged(&self) {
        let (app, ada, plan) = (&self.app, &self.ada, &self.plan);
        assert_eq!(
            get_goal(app, ada, &plan.goal.id).await.expect("goal"),
            plan.goal
        );
        assert_eq!(
            list_steps(app, ada, &plan.goal.id).await.expect("steps"),
            vec![plan.step.clone()]
        );
        let check_ins = list_check_ins(app, ada, &plan.step.id, "", "").await;
        assert_eq!(check_ins.expect("check-ins"), vec![plan.check_in.clone()]);
        let goal_ratings = list_ratings(app, ada, &Rated::Goal(plan.goal.id.clone())).await;
        assert_eq!(
            goal_ratings.expect("goal ratings"),
            vec![plan.goal_rating.clone()]
        );
        let step_ratings = list_ratings(app, ada, &Rated::Step(plan.step.id.clone())).await;
        assert_eq!(
            step_ratings.expect("step ratings"),
            vec![plan.step_rating.clone()]
        );
    }
}

// --- Tokens ---

#[tokio::test]
async fn calls_without_a_token_are_unauthenticated() {
    let app = TestApp::spawn().await;
    let ada = app.new_client("Ada").await;
    let plan = seed_plan(&app, &ada).await;

    let errors = [
        current_account(&app, "").await.expect_err("account"),
        try_create_goal(&app, "", goal("Walk more"))
            .await
            .expect_err("create goal"),
        get_goal(&app, "", &plan.goal.id)
            .await
            .expect_err("get goal"),
        log_check_in(&app, "", &plan.step.id, "2026-03-03", Done)
            .await
            .expect_err("log"),
    ];

    for error in &errors {
        assert_status(error, Code::Unauthenticated, "UNAUTHENTICATED");
    }
    assert_eq!(list_goals(&app, &ada).await, vec![plan.goal]);
}

#[tokio::test]
async fn calls_with_an_unknown_token_are_unauthenticated() {
    let app = TestApp::spawn().await;
    let ada = app.new_client("Ada").await;
    let plan = seed_plan(&app, &ada).await;
    let forged = "sw_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";

    for token in [forged, "not-a-token"] {
        let errors = [
            current_account(&app, token).await.expect_err("account"),
            get_goal(&app, token, &plan.goal.id)
                .await
                .expect_err("get goal"),
            delete_goal(&app, token, &plan.goal.id, 0)
                .await
                .expect_err("delete goal"),
            list_check_ins(&app, token, &plan.step.id, "", "")
                .await
                .expect_err("list"),
        ];
        for error in &errors {
            assert_status(error, Code::Unauthenticated, "UNAUTHENTICATED");
        }
    }
    assert_eq!(list_goals(&app, &ada).await, vec![plan.goal]);
}

/// The `UNAUTHENTICATED` answer to a call whose `authorization` metadata
/// is exactly `value` (none when `None`).
async fn refusal_with_authorization(app: &TestApp, value: Option<&str>) -> tonic::Status {
    let value = value.map(|v| {
        v.parse::<tonic::metadata::MetadataValue<_>>()
            .expect("metadata")
    });
    let mut accounts = stepwise::pb::account_service_client::AccountServiceClient::with_interceptor(
        app.channel().await,
        move |mut request: tonic::Request<()>| {
            if let Some(value) = value.clone() {
                request.metadata_mut().insert("authorization", value);
            }
            Ok(request)
        },
    );
    let refused = accounts
        .get_current_account(pb::GetCurrentAccountRequest {})
        .await
        .expect_err("refused");
    assert_status(&refused, Code::Unauthenticated, "UNAUTHENTICATED");
    refused
}

#[tokio::test]
async fn the_refusal_of_a_token_says_what_was_wrong_with_what_was_sent() {
    let app = TestApp::spawn().await;
    let ada = app.new_client("Ada").await;

    let none = refusal_with_authorization(&app, None).await;
    assert!(
        none.message().contains("no bearer token")
            && none.message().contains("authorization: Bearer <token>"),
        "{none:?}"
    );

    // What a newcomer pastes: the whole header's value after `Bearer `.
    let doubled = refusal_with_authorization(&app, Some(&format!("Bearer Bearer {ada}"))).await;
    assert!(
        doubled.message().contains("`Bearer` twice")
            && doubled.message().contains("the bare token"),
        "{doubled:?}"
    );
    let pasted_header =
        refusal_with_authorization(&app, Some(&format!("Bearer authorization: Bearer {ada}")))
            .await;
    assert!(
        pasted_header.message().contains("the bare token"),
        "{pasted_header:?}"
    );

    let other_scheme = refusal_with_authorization(&app, Some(&format!("Token {ada}"))).await;
    assert!(
        other_scheme
            .message()
            .contains("does not start with `Bearer `"),
        "{other_scheme:?}"
    );

    let unknown = refusal_with_authorization(
        &app,
        Some("Bearer sw_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"),
    )
    .await;
    assert!(
        unknown.message().contains("does not know this token")
            && !unknown.message().contains("missing"),
        "the token was sent as asked; only its value is wrong: {unknown:?}"
    );
}

// --- Roles ---

#[tokio::test]
async fn only_administrators_create_accounts() {
    let app = TestApp::spawn().await;
    let ada = app.new_client("Ada").await;
    let (_, therapist) = app.create_account(Role::Therapist, "Dr. Kim").await;

    for token in [&ada, &therapist] {
        let error = app
            .accounts(token)
            .await
            .create_account(pb::CreateAccountRequest {
                account: Some(pb::Account {
                    role: Role::Admin as i32,
                    display_name: "Mallory".into(),
                    ..Default::default()
                }),
            })
            .await
            .expect_err("not an admin");
        assert_status(&error, Code::PermissionDenied, "PERMISSION_DENIED");
    }
}

#[tokio::test]
async fn an_administrator_cannot_create_or_list_goals() {
    let app = TestApp::spawn().await;
    let admin = app.admin_token.clone();

    let error = try_create_goal(&app, &admin, goal("Walk more"))
        .await
        .expect_err("create");
    assert_status(&error, Code::PermissionDenied, "PERMISSION_DENIED");
    let error = app
        .goals(&admin)
        .await
        .list_goals(pb::ListGoalsRequest::default())
        .await
        .expect_err("list");
    assert_status(&error, Code::PermissionDenied, "PERMISSION_DENIED");
}

#[tokio::test]
async fn an_administrator_cannot_read_a_clients_goals() {
    let app = TestApp::spawn().await;
    let (ada_account, ada) = app.create_account(Role::Client, "Ada").await;
    let plan = seed_plan(&app, &ada).await;
    let admin = app.admin_token.clone();

    let error = get_goal(&app, &admin, &plan.goal.id)
        .await
        .expect_err("get");
    assert!(
        matches!(error.code(), Code::PermissionDenied | Code::NotFound),
        "the goal is not shown: {error:?}"
    );
    let error = app
        .goals(&admin)
        .await
        .list_goals(pb::ListGoalsRequest {
            client_id: ada_account.id,
            ..Default::default()
        })
        .await
        .expect_err("list");
    assert_status(&error, Code::PermissionDenied, "PERMISSION_DENIED");
}

#[tokio::test]
async fn a_therapist_cannot_log_check_ins() {
    let app = TestApp::spawn().await;
    let ada = app.new_client("Ada").await;
    let (_, step) = goal_with_step(&app, &ada).await;
    let (_, therapist) = app.create_account(Role::Therapist, "Dr. Kim").await;

    let error = log_check_in(&app, &therapist, &step.id, "2026-03-02", Done)
        .await
        .expect_err("only the client logs");

    assert_status(&error, Code::PermissionDenied, "PERMISSION_DENIED");
    assert_eq!(
        list_check_ins(&app, &ada, &step.id, "", "")
            .await
            .expect("list"),
        vec![]
    );
}

// --- One client's data is not another's ---

#[tokio::test]
async fn a_client_cannot_read_change_or_delete_another_clients_goal() {
    let world = TwoClients::spawn().await;
    let (app, bea, goal) = (&world.app, &world.bea, &world.plan.goal);

    assert_not_found(&get_goal(app, bea, &goal.id).await.expect_err("get"));
    let change = pb::Goal {
        title: "Hijacked".into(),
        ..goal.clone()
    };
    assert_not_found(
        &update_goal(app, bea, change, &["title"])
            .await
            .expect_err("update"),
    );
    assert_not_found(
        &delete_goal(app, bea, &goal.id, 0)
            .await
            .expect_err("delete"),
    );
    assert_not_found(
        &list_steps(app, bea, &goal.id)
            .await
            .expect_err("list steps"),
    );

    world.assert_ada_unchanged().await;
}

#[tokio::test]
async fn a_client_cannot_read_change_or_delete_another_clients_action_step() {
    let world = TwoClients::spawn().await;
    let (app, bea, step) = (&world.app, &world.bea, &world.plan.step);

    assert_not_found(&get_step(app, bea, &step.id).await.expect_err("get"));
    let change = pb::ActionStep {
        title: "Hijacked".into(),
        ..step.clone()
    };
    assert_not_found(
        &update_step(app, bea, change, &["title"])
            .await
            .expect_err("update"),
    );
    assert_not_found(
        &delete_step(app, bea, &step.id, 0)
            .await
            .expect_err("delete"),
    );

    world.assert_ada_unchanged().await;
}

#[tokio::test]
async fn a_client_cannot_list_or_delete_another_clients_check_ins_and_ratings() {
    let world = TwoClients::spawn().await;
    let (app, bea, plan) = (&world.app, &world.bea, &world.plan);

    let error = list_check_ins(app, bea, &plan.step.id, "", "")
        .await
        .expect_err("list");
    assert_not_found(&error);
    let error = delete_check_in(app, bea, &plan.check_in.id, 0)
        .await
        .expect_err("delete");
    assert_not_found(&error);
    for of in [
        Rated::Goal(plan.goal.id.clone()),
        Rated::Step(plan.step.id.clone()),
    ] {
        assert_not_found(&list_ratings(app, bea, &of).await.expect_err("list ratings"));
    }
    for rating in [&plan.goal_rating, &plan.step_rating] {
        assert_not_found(
            &delete_rating(app, bea, &rating.id, 0)
                .await
                .expect_err("delete"),
        );
    }

    world.assert_ada_unchanged().await;
}

#[tokio::test]
async fn a_client_cannot_add_an_action_step_to_another_clients_goal() {
    let world = TwoClients::spawn().await;
    let (app, bea, plan) = (&world.app, &world.bea, &world.plan);

    let error = try_create_step(app, bea, step(&plan.goal.id, "Sneaky"))
        .await
        .expect_err("not Bea's goal");

    assert_invalid(&error, &["action_step.goal_id"]);
    world.assert_ada_unchanged().await;
}

#[tokio::test]
async fn a_client_cannot_log_or_rate_on_another_clients_records() {
    let world = TwoClients::spawn().await;
    let (app, bea, plan) = (&world.app, &world.bea, &world.plan);

    // The same step and day as Ada's own check-in: it must not be overwritten.
    let error = log_check_in(app, bea, &plan.step.id, &plan.check_in.local_date, Skipped)
        .await
        .expect_err("not Bea's step");
    assert_invalid(&error, &["check_in.action_step_id"]);
    let error = record_rating(app, bea, rating(&Rated::Goal(plan.goal.id.clone()), 1))
        .await
        .expect_err("not Bea's goal");
    assert_invalid(&error, &["rating.goal_id"]);
    let error = record_rating(app, bea, rating(&Rated::Step(plan.step.id.clone()), 1))
        .await
        .expect_err("not Bea's step");
    assert_invalid(&error, &["rating.action_step_id"]);

    world.assert_ada_unchanged().await;
}

#[tokio::test]
async fn a_client_cannot_list_another_clients_goals() {
    let app = TestApp::spawn().await;
    let (ada_account, ada) = app.create_account(Role::Client, "Ada").await;
    create_goal(&app, &ada, "Walk more").await;
    let bea = app.new_client("Bea").await;

    let error = app
        .goals(&bea)
        .await
        .list_goals(pb::ListGoalsRequest {
            client_id: ada_account.id,
            ..Default::default()
        })
        .await
        .expect_err("not Bea's goals");

    assert_not_found(&error);
}

#[tokio::test]
async fn a_client_cannot_create_a_goal_for_another_client() {
    let app = TestApp::spawn().await;
    let (ada_account, ada) = app.create_account(Role::Client, "Ada").await;
    let bea = app.new_client("Bea").await;

    let for_ada = pb::Goal {
        client_id: ada_account.id,
        ..goal("Planted")
    };
    let error = try_create_goal(&app, &bea, for_ada)
        .await
        .expect_err("not Bea's client id");

    assert_not_found(&error);
    assert_eq!(list_goals(&app, &ada).await, vec![]);
    assert_eq!(list_goals(&app, &bea).await, vec![]);
}

#[tokio::test]
async fn another_clients_goal_looks_exactly_like_one_that_does_not_exist() {
    let world = TwoClients::spawn().await;
    let (app, bea) = (&world.app, &world.bea);

    let theirs = get_goal(app, bea, &world.plan.goal.id)
        .await
        .expect_err("Ada's goal");
    let missing = get_goal(app, bea, &new_id()).await.expect_err("no goal");

    assert_eq!(theirs.code(), missing.code());
    assert_eq!(theirs.message(), missing.message());
    assert_eq!(reason(&theirs), reason(&missing));
}

#[tokio::test]
async fn each_client_lists_only_their_own_goals() {
    let app = TestApp::spawn().await;
    let ada = app.new_client("Ada").await;
    let bea = app.new_client("Bea").await;
    let adas = create_goal(&app, &ada, "Walk more").await;
    let beas = create_goal(&app, &bea, "Read daily").await;

    assert_eq!(list_goals(&app, &ada).await, vec![adas]);
    assert_eq!(list_goals(&app, &bea).await, vec![beas]);
}
