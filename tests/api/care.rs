//! The care team: invites, consent links, what a therapist may see and do,
//! revocation, and the audit trail.

use stepwise::app::invite_guard::{MAX_WRONG_CODES as WRONG_CODES_ALLOWED, WINDOW_US};
use stepwise::pb;
use stepwise::pb::care_service_client::CareServiceClient;
use tokio_stream::StreamExt;
use tonic::Code;

use crate::devices::sync_api;
use crate::helpers::*;

pub(crate) async fn care(app: &TestApp, token: &str) -> CareServiceClient<Authed> {
    CareServiceClient::new(app.authed(token).await)
}

pub(crate) async fn invite(app: &TestApp, therapist: &str) -> pb::Invite {
    care(app, therapist)
        .await
        .create_invite(pb::CreateInviteRequest {})
        .await
        .expect("invite")
        .into_inner()
}

/// A client who signed up with an invite: their account, their device's
/// tokens, and a personal access token that outlives any clock a test moves.
#[derive(Debug)]
pub(crate) struct SignedUp {
    pub(crate) account: Option<pb::Account>,
    pub(crate) tokens: pb::SessionTokens,
    pub(crate) token: String,
}

pub(crate) async fn sign_up(
    app: &TestApp,
    code: &str,
    name: &str,
) -> Result<SignedUp, tonic::Status> {
    let response = app
        .accounts("")
        .await
        .sign_up_with_invite(pb::SignUpWithInviteRequest {
            code: code.into(),
            display_name: name.into(),
            time_zone: "Europe/Berlin".into(),
            email: new_email(),
            password: PASSWORD.into(),
            device_label: "Phone".into(),
        })
        .await?
        .into_inner();
    let tokens = response.tokens.expect("session tokens");
    let token = long_lived_token(app, &tokens).await;
    Ok(SignedUp {
        account: response.account,
        tokens,
        token,
    })
}

pub(crate) async fn accept(
    app: &TestApp,
    client: &str,
    code: &str,
) -> Result<pb::CareLink, tonic::Status> {
    care(app, client)
        .await
        .accept_invite(pb::AcceptInviteRequest { code: code.into() })
        .await
        .map(tonic::Response::into_inner)
}

pub(crate) async fn links(app: &TestApp, token: &str) -> Vec<pb::CareLink> {
    care(app, token)
        .await
        .list_care_links(pb::ListCareLinksRequest::default())
        .await
        .expect("links")
        .into_inner()
        .care_links
}

pub(crate) async fn access_events(app: &TestApp, token: &str) -> Vec<pb::AccessEvent> {
    care(app, token)
        .await
        .list_access_events(pb::ListAccessEventsRequest::default())
        .await
        .expect("access events")
        .into_inner()
        .access_events
}

/// A therapist, and a client who signed up with the therapist's invite.
pub(crate) struct Team {
    pub(crate) therapist: String,
    pub(crate) therapist_id: String,
    pub(crate) client: String,
    pub(crate) client_id: String,
}

pub(crate) async fn team(app: &TestApp) -> Team {
    let (therapist_account, therapist) = app.create_account(pb::Role::Therapist, "Dr. Ruth").await;
    let code = invite(app, &therapist).await.code;
    let signed_up = sign_up(app, &code, "Ada").await.expect("sign up");
    Team {
        therapist,
        therapist_id: therapist_account.id,
        client: signed_up.token,
        client_id: signed_up.account.expect("account").id,
    }
}

#[tokio::test]
async fn a_client_signs_up_with_a_therapists_invite_and_both_see_the_link() {
    let app = TestApp::spawn().await;
    let (therapist_account, therapist) = app.create_account(pb::Role::Therapist, "Dr. Ruth").await;
    let invite = invite(&app, &therapist).await;
    let (first, second) = invite.code.split_once('-').expect("two groups");
    assert_eq!((first.len(), second.len()), (5, 5));
    let lifetime =
        invite.expire_time.expect("expiry").seconds - invite.create_time.expect("created").seconds;
    assert_eq!(lifetime, 7 * 24 * 3600);

    let signed_up = sign_up(&app, &invite.code, "Ada")
        .await
        .expect("sign up without a token");
    let account = signed_up.account.expect("account");
    assert_eq!(account.role, pb::Role::Client as i32);
    let me = current_account(&app, &signed_up.token)
        .await
        .expect("the new token works");
    assert_eq!(me.id, account.id);

    for token in [&therapist, &signed_up.token] {
        let links = links(&app, token).await;
        assert_eq!(links.len(), 1);
        assert_eq!(links[0].state, pb::CareLinkState::Active as i32);
        assert_eq!(
            (links[0].therapist_id.as_str(), links[0].client_id.as_str()),
            (therapist_account.id.as_str(), account.id.as_str())
        );
        assert_eq!(
            (
                links[0].therapist_display_name.as_str(),
                links[0].client_display_name.as_str()
            ),
            ("Dr. Ruth", "Ada")
        );
    }
}

#[tokio::test]
async fn invite_codes_are_single_use_and_wrong_ones_are_refused_clearly() {
    let app = TestApp::spawn().await;
    let (_, therapist) = app.create_account(pb::Role::Therapist, "Dr. Ruth").await;
    let code = invite(&app, &therapist).await.code;
    let existing = app.new_client("Bo").await;

    // Typed loosely: lower case, no dash.
    let link = accept(&app, &existing, &code.replace('-', "").to_lowercase())
        .await
        .expect("accept");
    assert_eq!(link.state, pb::CareLinkState::Active as i32);

    let used = sign_up(&app, &code, "Cy").await.expect_err("used code");
    assert_status(&used, Code::FailedPrecondition, "INVITE_USED");
    let wrong = accept(&app, &existing, "ABCDE-FGHJK")
        .await
        .expect_err("wrong code");
    assert_status(&wrong, Code::NotFound, "INVITE_NOT_FOUND");
    assert_eq!(links(&app, &therapist).await.len(), 1, "no second link");
}

#[tokio::test]
async fn an_expired_invite_is_refused() {
    let app = TestApp::spawn_with(|config| config.invite_ttl_secs = 0).await;
    let (_, therapist) = app.create_account(pb::Role::Therapist, "Dr. Ruth").await;
    let code = invite(&app, &therapist).await.code;
    let status = sign_up(&app, &code, "Ada").await.expect_err("expired");
    assert_status(&status, Code::FailedPrecondition, "INVITE_EXPIRED");
    assert!(links(&app, &therapist).await.is_empty());
}

/// The window of the limit on wrong codes.
const WRONG_CODE_WINDOW: std::time::Duration = std::time::Duration::from_micros(WINDOW_US as u64);

/// Sends `count` wrong codes from the test's address (127.0.0.1), as
/// mistyped sign-ups; each is refused as not found.
async fn typos(app: &TestApp, count: u32) {
    let mut accounts = app.accounts("").await;
    for n in 0..count {
        let status = accounts
            .sign_up_with_invite(pb::SignUpWithInviteRequest {
                code: "ABCDE-FGHJK".into(),
                display_name: format!("Typo {n}"),
                time_zone: String::new(),
                email: new_email(),
                password: PASSWORD.into(),
                device_label: "Phone".into(),
            })
            .await
            .expect_err("wrong code");
        assert_status(&status, Code::NotFound, "INVITE_NOT_FOUND");
    }
}

#[tokio::test]
async fn repeated_wrong_codes_from_one_address_are_slowed_down() {
    let app = TestApp::spawn().await;
    let (_, therapist) = app.create_account(pb::Role::Therapist, "Dr. Ruth").await;
    let right = invite(&app, &therapist).await.code;
    typos(&app, WRONG_CODES_ALLOWED).await;
    let blocked = sign_up(&app, &right, "Mallory").await.expect_err("blocked");
    assert_status(&blocked, Code::ResourceExhausted, "TOO_MANY_ATTEMPTS");
    let existing = app.new_client("Bo").await;
    let blocked = accept(&app, &existing, &right).await.expect_err("blocked");
    assert_status(&blocked, Code::ResourceExhausted, "TOO_MANY_ATTEMPTS");
    assert!(
        links(&app, &therapist).await.is_empty(),
        "the right code was not used"
    );
}

#[tokio::test]
async fn a_clinics_sign_ups_keep_working_after_many_typos_from_its_one_address() {
    // A group session behind the clinic's NAT: every client has the same
    // address, and several mistype their code before getting it right.
    let app = TestApp::spawn().await;
    let (_, therapist) = app.create_account(pb::Role::Therapist, "Dr. Ruth").await;
    const CLIENTS: u32 = 10;
    let typos_each = (WRONG_CODES_ALLOWED - 1) / CLIENTS;
    for n in 0..CLIENTS {
        let code = invite(&app, &therapist).await.code;
        typos(&app, typos_each).await;
        sign_up(&app, &code, &format!("Client {n}"))
            .await
            .expect("the right code still works");
    }
    assert_eq!(links(&app, &therapist).await.len(), CLIENTS as usize);
}

#[tokio::test]
async fn a_lock_out_ends_when_the_window_has_passed() {
    let clock = std::sync::Arc::new(stepwise::domain::ManualClock::starting_now());
    let app = TestApp::spawn_with(|config| config.clock = Some(clock.clone())).await;
    let (_, therapist) = app.create_account(pb::Role::Therapist, "Dr. Ruth").await;
    let right = invite(&app, &therapist).await.code;
    typos(&app, WRONG_CODES_ALLOWED).await;

    clock.advance(WRONG_CODE_WINDOW - std::time::Duration::from_secs(1));
    let blocked = sign_up(&app, &right, "Ada")
        .await
        .expect_err("still blocked");
    assert_status(&blocked, Code::ResourceExhausted, "TOO_MANY_ATTEMPTS");

    clock.advance(std::time::Duration::from_secs(1));
    sign_up(&app, &right, "Ada")
        .await
        .expect("the window has passed");
    assert_eq!(links(&app, &therapist).await.len(), 1);
}

#[tokio::test]
async fn a_linked_therapist_reads_and_plans_but_cannot_log_or_delete() {
    let app = TestApp::spawn().await;
    let team = team(&app).await;
    let (goal, step) = goal_with_step(&app, &team.client).await;
    log_check_in(
        &app,
        &team.client,
        &step.id,
        "2026-11-20",
        pb::CheckInState::Done,
    )
    .await
    .expect("log");

    let fetched = get_goal(&app, &team.therapist, &goal.id)
        .await
        .expect("therapist reads the goal");
    assert_eq!(fetched, goal);
    let planned = app
        .goals(&team.therapist)
        .await
        .create_goal(pb::CreateGoalRequest {
            goal: Some(pb::Goal {
                client_id: team.client_id.clone(),
                ..crate::helpers::goal("Plan made in session")
            }),
        })
        .await
        .expect("therapist creates a goal for the client")
        .into_inner();
    assert_eq!(planned.client_id, team.client_id);
    assert_eq!(
        planned.created_by, team.therapist_id,
        "who made it is recorded"
    );
    assert_eq!(
        list_goals(&app, &team.client).await.len(),
        2,
        "the client sees it"
    );

    let logging = log_check_in(
        &app,
        &team.therapist,
        &step.id,
        "2026-11-21",
        pb::CheckInState::Done,
    )
    .await
    .expect_err("therapists do not log");
    assert_eq!(logging.code(), Code::PermissionDenied);
    let deleting = delete_goal(&app, &team.therapist, &goal.id, 0)
        .await
        .expect_err("nor delete");
    assert_eq!(deleting.code(), Code::PermissionDenied);
    assert!(get_goal(&app, &team.client, &goal.id).await.is_ok());
}

#[tokio::test]
async fn a_therapist_sees_nothing_of_a_client_who_is_not_linked() {
    let app = TestApp::spawn().await;
    let team = team(&app).await;
    let stranger = app.new_client("Stranger").await;
    let goal = create_goal(&app, &stranger, "Private").await;
    assert_not_found(
        &get_goal(&app, &team.therapist, &goal.id)
            .await
            .expect_err("unlinked"),
    );
    let status = sync_api(&app, &team.therapist)
        .await
        .pull(pb::PullRequest {
            client_id: goal.client_id.clone(),
            ..Default::default()
        })
        .await
        .expect_err("unlinked pull");
    assert_not_found(&status);
}

#[tokio::test]
async fn a_private_note_is_hidden_from_the_therapist_but_not_from_the_client() {
    let app = TestApp::spawn().await;
    let team = team(&app).await;
    let (_, step) = goal_with_step(&app, &team.client).await;
    log(
        &app,
        &team.client,
        pb::CheckIn {
            note: "Argued with my sister".into(),
            private_note: true,
            ..check_in(&step.id, "2026-11-20", pb::CheckInState::Skipped)
        },
    )
    .await
    .expect("log");

    let seen_by_therapist = list_check_ins(&app, &team.therapist, &step.id, "", "")
        .await
        .expect("list");
    assert_eq!(
        (
            seen_by_therapist[0].note.as_str(),
            seen_by_therapist[0].private_note
        ),
        ("", true)
    );
    let (pulled, _) =
        crate::devices::pull_from_client(&app, &team.therapist, &team.client_id).await;
    let pulled_check_in = pulled.iter().find_map(|c| match &c.entity {
        Some(pb::change::Entity::CheckIn(check_in)) => Some(check_in.clone()),
        _ => None,
    });
    assert_eq!(
        pulled_check_in.map(|c| c.note),
        Some(String::new()),
        "not through sync either"
    );
    let seen_by_client = list_check_ins(&app, &team.client, &step.id, "", "")
        .await
        .expect("list");
    assert_eq!(seen_by_client[0].note, "Argued with my sister");
}

#[tokio::test]
async fn revoking_a_link_blocks_the_therapists_next_call_and_ends_their_stream_at_once() {
    let app = TestApp::spawn().await;
    let team = team(&app).await;
    let goal = create_goal(&app, &team.client, "Sleep").await;
    let mut stream = sync_api(&app, &team.therapist)
        .await
        .subscribe(pb::SubscribeRequest {
            client_id: team.client_id.clone(),
            ..Default::default()
        })
        .await
        .expect("therapist subscribes")
        .into_inner();
    stream.next().await.expect("backlog").expect("ok");

    let link = links(&app, &team.client).await.remove(0);
    let revoked = care(&app, &team.client)
        .await
        .revoke_care_link(pb::RevokeCareLinkRequest { id: link.id })
        .await
        .expect("client revokes")
        .into_inner();
    assert_eq!(revoked.state, pb::CareLinkState::Revoked as i32);
    assert!(revoked.revoke_time.is_some());

    assert_not_found(
        &get_goal(&app, &team.therapist, &goal.id)
            .await
            .expect_err("revoked"),
    );
    let status = sync_api(&app, &team.therapist)
        .await
        .pull(pb::PullRequest {
            client_id: team.client_id.clone(),
            ..Default::default()
        })
        .await
        .expect_err("revoked pull");
    assert_status(&status, Code::PermissionDenied, "ACCESS_REVOKED");
    // The open stream ends too, at once: not only at the client's next
    // change, which may be days away.
    let ending = crate::tokens::stream_end(&mut stream).await;
    assert_status(&ending, Code::PermissionDenied, "ACCESS_REVOKED");
}

#[tokio::test]
async fn the_audit_trail_records_exactly_the_therapists_calls() {
    let app = TestApp::spawn().await;
    let team = team(&app).await;
    let (goal, step) = goal_with_step(&app, &team.client).await;
    list_goals(&app, &team.client).await;

    list_goals_of(&app, &team.therapist, &team.client_id).await;
    get_goal(&app, &team.therapist, &goal.id)
        .await
        .expect("get");
    list_check_ins(&app, &team.therapist, &step.id, "", "")
        .await
        .expect("list");
    // A refused call is not an access.
    log_check_in(
        &app,
        &team.therapist,
        &step.id,
        "2026-11-21",
        pb::CheckInState::Done,
    )
    .await
    .expect_err("refused");

    let events = access_events(&app, &team.client).await;
    let methods: Vec<&str> = events.iter().map(|e| e.method.as_str()).collect();
    assert_eq!(
        methods,
        [
            "stepwise.v1.GoalService/ListGoals",
            "stepwise.v1.GoalService/GetGoal",
            "stepwise.v1.ProgressService/ListCheckIns",
        ]
    );
    assert!(
        events
            .iter()
            .all(|e| e.therapist_id == team.therapist_id && e.client_id == team.client_id)
    );
    assert_eq!(
        access_events(&app, &team.therapist).await,
        events,
        "the therapist sees their own"
    );
}

/// Another client who signs up with a new invite of the team's therapist.
async fn another_client(app: &TestApp, therapist: &str, name: &str) -> String {
    let code = invite(app, therapist).await.code;
    sign_up(app, &code, name).await.expect("sign up").token
}

/// A daily step for `token` with check-ins done on `days`.
async fn daily_step_done_on(
    app: &TestApp,
    token: &str,
    days: &[&str],
) -> (pb::Goal, pb::ActionStep) {
    let (goal, step) = goal_with_step(app, token).await;
    let daily = pb::ActionStep {
        id: step.id.clone(),
        schedule: Some(pb::Schedule {
            times: 1,
            period_days: 1,
        }),
        ..Default::default()
    };
    update_step(app, token, daily, &["schedule"])
        .await
        .expect("daily");
    for day in days {
        log_check_in(app, token, &step.id, day, pb::CheckInState::Done)
            .await
            .expect("log");
    }
    (goal, step)
}

#[tokio::test]
async fn a_summary_as_of_a_day_before_the_client_practised_shows_no_check_in() {
    let app = TestApp::spawn().await;
    let team = team(&app).await;
    daily_step_done_on(&app, &team.client, &["2025-03-28"]).await;
    let summaries = care(&app, &team.therapist)
        .await
        .list_client_summaries(pb::ListClientSummariesRequest {
            as_of_date: "2025-03-27".into(),
            ..Default::default()
        })
        .await
        .expect("summaries")
        .into_inner()
        .client_summaries;
    assert_eq!(summaries.len(), 1);
    assert_eq!(summaries[0].last_check_in_time, None, "it came a day later");
    assert_eq!(summaries[0].last_check_in_date, "");
    assert_eq!(summaries[0].adherence_7d, None);
}

#[tokio::test]
async fn the_dashboard_summarises_linked_clients_and_flags_who_needs_attention() {
    let app = TestApp::spawn().await;
    let team = team(&app).await;
    // Ada practises daily, but her confidence fell from 80 to 50.
    let (goal, _) = daily_step_done_on(
        &app,
        &team.client,
        &["2025-03-28", "2025-03-29", "2025-03-30"],
    )
    .await;
    for (seconds, score) in [(1_740_823_200, 80), (1_743_328_800, 50)] {
        let rated = pb::EfficacyRating {
            rate_time: at(seconds),
            ..rating(&Rated::Goal(goal.id.clone()), score)
        };
        record_rating(&app, &team.client, rated)
            .await
            .expect("rate");
    }
    // Bo checked in once, ten days ago.
    let bo = another_client(&app, &team.therapist, "Bo").await;
    daily_step_done_on(&app, &bo, &["2025-03-20"]).await;
    // Cy revoked the link: not on the dashboard.
    let cy = another_client(&app, &team.therapist, "Cy").await;
    let cy_link = links(&app, &cy).await.remove(0);
    care(&app, &cy)
        .await
        .revoke_care_link(pb::RevokeCareLinkRequest { id: cy_link.id })
        .await
        .expect("revoke");

    let summaries = care(&app, &team.therapist)
        .await
        .list_client_summaries(pb::ListClientSummariesRequest {
            as_of_date: "2025-03-30".into(),
            ..Default::default()
        })
        .await
        .expect("summaries")
        .into_inner()
        .client_summaries;

    let names: Vec<&str> = summaries.iter().map(|s| s.display_name.as_str()).collect();
    assert_eq!(names, ["Ada", "Bo"]);
    let (ada, bo) = (&summaries[0], &summaries[1]);
    assert_eq!(ada.adherence_7d, Some(1.0));
    assert_eq!(
        (ada.efficacy_latest, ada.efficacy_change_28d),
        (Some(50), Some(-30))
    );
    assert_eq!(ada.flags, [pb::Flag::EfficacyDrop as i32]);
    assert!(ada.last_check_in_time.is_some());
    assert_eq!(ada.last_check_in_date, "2025-03-30");
    // Bo logged it just now, but for ten days ago: that day is what counts.
    assert!(bo.last_check_in_time.is_some());
    assert_eq!(bo.last_check_in_date, "2025-03-20");
    assert_eq!(bo.adherence_7d, Some(0.0));
    assert_eq!(
        bo.flags,
        [pb::Flag::Inactive as i32, pb::Flag::LowAdherence as i32]
    );
    // One access event per client for the one call.
    let events = access_events(&app, &team.therapist).await;
    let summarised: Vec<&str> = events
        .iter()
        .filter(|e| e.method == "stepwise.v1.CareService/ListClientSummaries")
        .map(|e| e.client_id.as_str())
        .collect();
    assert_eq!(summarised.len(), 2);
    assert!(summarised.contains(&team.client_id.as_str()));
}

#[tokio::test]
async fn the_watch_stream_carries_every_linked_clients_changes_and_link_events() {
    use pb::watch_clients_response::Event;
    let app = TestApp::spawn().await;
    let team = team(&app).await;
    let (_, step) = goal_with_step(&app, &team.client).await;
    let mut watch = care(&app, &team.therapist)
        .await
        .watch_clients(pb::WatchClientsRequest {})
        .await
        .expect("watch")
        .into_inner();
    let mut next = async || loop {
        let event = watch.next().await.expect("event").expect("ok");
        if !matches!(event.event, Some(Event::Heartbeat(_))) {
            return event;
        }
    };

    log(
        &app,
        &team.client,
        pb::CheckIn {
            note: "Only for me".into(),
            private_note: true,
            ..check_in(&step.id, "2026-11-20", pb::CheckInState::Done)
        },
    )
    .await
    .expect("log");
    let event = next().await;
    assert_eq!(event.client_id, team.client_id);
    match event.event {
        Some(Event::Change(pb::Change {
            entity: Some(pb::change::Entity::CheckIn(check_in)),
        })) => assert_eq!((check_in.note.as_str(), check_in.private_note), ("", true)),
        other => panic!("expected the check-in, got {other:?}"),
    }

    // A new client joins while the dashboard is open, and starts a goal.
    let code = invite(&app, &team.therapist).await.code;
    let bo = sign_up(&app, &code, "Bo").await.expect("sign up");
    let joined = next().await;
    assert!(
        matches!(joined.event, Some(Event::CareLink(ref link)) if link.state == pb::CareLinkState::Active as i32)
    );
    let bo_goal = create_goal(&app, &bo.token, "New start").await;
    let change = next().await;
    assert_eq!(change.client_id, bo_goal.client_id);

    // Ada revokes: the dashboard is told, and hears nothing more of her.
    let link = links(&app, &team.client).await.remove(0);
    care(&app, &team.client)
        .await
        .revoke_care_link(pb::RevokeCareLinkRequest { id: link.id })
        .await
        .expect("revoke");
    let revoked = next().await;
    assert_eq!(revoked.client_id, team.client_id);
    assert!(
        matches!(revoked.event, Some(Event::CareLink(ref link)) if link.state == pb::CareLinkState::Revoked as i32)
    );
    create_goal(&app, &team.client, "Private again").await;
    create_goal(&app, &bo.token, "Second goal").await;
    let after = next().await;
    assert_eq!(
        after.client_id, bo_goal.client_id,
        "only Bo's change arrives"
    );
}
