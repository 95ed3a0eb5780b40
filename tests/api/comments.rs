//! Feedback between sessions: comments by the client and its linked
//! therapists on goals, steps, check-ins and assessment results.

use stepwise::pb;
use tonic::{Code, Status};

use crate::assessments::{PHQ9, submitted};
use crate::care::{Team, team};
use crate::devices::{
    delete_of, pull_everything, pull_from, pull_from_client, push_outcomes, sync_api,
};
use crate::helpers::*;

use pb::comment::Target;

/// Writes `text` on `target` as `token`.
pub(crate) async fn comment(
    app: &TestApp,
    token: &str,
    target: Target,
    text: &str,
) -> Result<pb::Comment, Status> {
    app.comments(token)
        .await
        .create_comment(pb::CreateCommentRequest {
            comment: Some(pb::Comment {
                target: Some(target),
                text: text.into(),
                ..Default::default()
            }),
        })
        .await
        .map(tonic::Response::into_inner)
}

/// The comments on `target` that `token` sees.
async fn comments_on(app: &TestApp, token: &str, target: Target) -> Result<Vec<String>, Status> {
    use pb::list_comments_request::Target as On;
    let on = match target {
        Target::GoalId(id) => On::GoalId(id),
        Target::ActionStepId(id) => On::ActionStepId(id),
        Target::CheckInId(id) => On::CheckInId(id),
        Target::AssessmentResultId(id) => On::AssessmentResultId(id),
    };
    let response = app
        .comments(token)
        .await
        .list_comments(pb::ListCommentsRequest {
            target: Some(on),
            ..Default::default()
        })
        .await?
        .into_inner();
    Ok(response.comments.into_iter().map(|c| c.text).collect())
}

async fn edit(app: &TestApp, token: &str, comment: pb::Comment) -> Result<pb::Comment, Status> {
    app.comments(token)
        .await
        .update_comment(pb::UpdateCommentRequest {
            comment: Some(comment),
            update_mask: mask(&["text"]),
        })
        .await
        .map(tonic::Response::into_inner)
}

async fn delete(app: &TestApp, token: &str, id: &str, version: i64) -> Result<(), Status> {
    app.comments(token)
        .await
        .delete_comment(pb::DeleteCommentRequest {
            id: id.into(),
            version,
        })
        .await
        .map(tonic::Response::into_inner)
}

/// The comments among `changes`, by text, and the ids of tombstoned ones.
fn comments_in(changes: &[pb::Change]) -> (Vec<String>, Vec<String>) {
    let mut live = Vec::new();
    let mut gone = Vec::new();
    for change in changes {
        match &change.entity {
            Some(pb::change::Entity::Comment(c)) => live.push(c.text.clone()),
            Some(pb::change::Entity::Tombstone(t))
                if t.entity_type == pb::EntityType::Comment as i32 =>
            {
                gone.push(t.id.clone())
            }
            _ => {}
        }
    }
    (live, gone)
}

#[tokio::test]
async fn the_client_and_a_linked_therapist_discuss_every_kind_of_record() {
    let app = TestApp::spawn().await;
    let Team {
        therapist,
        therapist_id,
        client,
        client_id,
    } = team(&app).await;
    let (goal, step) = goal_with_step(&app, &client).await;
    let check_in = log_check_in(
        &app,
        &client,
        &step.id,
        "2026-03-02",
        pb::CheckInState::Done,
    )
    .await
    .expect("log");
    let result = submitted(&app, &client, PHQ9, "2026-03-02", &[0; 9]).await;
    for target in [
        Target::GoalId(goal.id),
        Target::ActionStepId(step.id),
        Target::CheckInId(check_in.id),
        Target::AssessmentResultId(result.id),
    ] {
        let praise = comment(&app, &therapist, target.clone(), "Well done!")
            .await
            .expect("the therapist comments");
        assert_eq!(
            (praise.created_by.as_str(), praise.client_id.as_str()),
            (therapist_id.as_str(), client_id.as_str())
        );
        comment(&app, &client, target.clone(), "Thanks, it was hard")
            .await
            .expect("the client replies");
        for token in [&client, &therapist] {
            assert_eq!(
                comments_on(&app, token, target.clone())
                    .await
                    .expect("list"),
                ["Well done!", "Thanks, it was hard"],
                "both see both, oldest first"
            );
        }
    }
}

#[tokio::test]
async fn only_the_author_changes_or_deletes_a_comment() {
    let app = TestApp::spawn().await;
    let Team {
        therapist, client, ..
    } = team(&app).await;
    let goal = create_goal(&app, &client, "Walk more").await;
    let mine = comment(
        &app,
        &client,
        Target::GoalId(goal.id.clone()),
        "I walked twice",
    )
    .await
    .expect("comment");

    let theirs = edit(
        &app,
        &therapist,
        pb::Comment {
            text: "Not yours".into(),
            ..mine.clone()
        },
    )
    .await
    .expect_err("not the author");
    assert_eq!(theirs.code(), Code::PermissionDenied);
    let removal = delete(&app, &therapist, &mine.id, 0)
        .await
        .expect_err("not the author");
    assert_eq!(removal.code(), Code::PermissionDenied);

    let edited = edit(
        &app,
        &client,
        pb::Comment {
            text: "  I walked three times  ".into(),
            ..mine.clone()
        },
    )
    .await
    .expect("the author edits");
    assert_eq!(edited.text, "I walked three times");
    assert!(edited.version > mine.version);
    let stale = edit(&app, &client, mine.clone()).await.expect_err("stale");
    assert_status(&stale, Code::Aborted, "VERSION_MISMATCH");
    let empty = edit(
        &app,
        &client,
        pb::Comment {
            text: " ".into(),
            ..edited.clone()
        },
    )
    .await
    .expect_err("empty");
    assert_invalid(&empty, &["comment.text"]);
    let retarget = app
        .comments(&client)
        .await
        .update_comment(pb::UpdateCommentRequest {
            comment: Some(edited.clone()),
            update_mask: mask(&["goal_id"]),
        })
        .await
        .expect_err("the target is fixed");
    assert_invalid(&retarget, &["update_mask"]);

    delete(&app, &client, &edited.id, edited.version)
        .await
        .expect("the author deletes");
    assert_eq!(
        comments_on(&app, &therapist, Target::GoalId(goal.id))
            .await
            .expect("list"),
        Vec::<String>::new()
    );
    assert_not_found(
        &delete(&app, &client, &edited.id, 0)
            .await
            .expect_err("gone"),
    );
}

#[tokio::test]
async fn a_comment_on_a_private_note_is_seen_by_its_author_only() {
    let app = TestApp::spawn().await;
    let Team {
        therapist,
        client,
        client_id,
        ..
    } = team(&app).await;
    let (_, step) = goal_with_step(&app, &client).await;
    let private = pb::CheckIn {
        note: "Only for me".into(),
        private_note: true,
        ..check_in(&step.id, "2026-03-02", pb::CheckInState::Done)
    };
    let logged = log(&app, &client, private.clone()).await.expect("log");
    let on_it = Target::CheckInId(logged.id.clone());
    let (_, therapist_cursor) = pull_from_client(&app, &therapist, &client_id).await;
    let secret = comment(&app, &client, on_it.clone(), "About that note...")
        .await
        .expect("comment");
    let theirs = comment(&app, &therapist, on_it.clone(), "Keep going")
        .await
        .expect("comment");

    assert_eq!(
        comments_on(&app, &client, on_it.clone())
            .await
            .expect("list"),
        ["About that note..."]
    );
    assert_eq!(
        comments_on(&app, &therapist, on_it.clone())
            .await
            .expect("list"),
        ["Keep going"]
    );
    let probe = edit(&app, &therapist, secret.clone())
        .await
        .expect_err("hidden");
    assert_not_found(&probe);
    // Nor does a push under the hidden comment's id show it to the client.
    let probe = pb::Mutation {
        mutation_id: "probe".into(),
        base_version: 0,
        op: Some(pb::mutation::Op::UpsertComment(pb::Comment {
            id: theirs.id.clone(),
            target: Some(on_it.clone()),
            text: "Guess".into(),
            ..Default::default()
        })),
    };
    let (outcomes, results) = push_outcomes(&mut sync_api(&app, &client).await, vec![probe]).await;
    assert_eq!(
        outcomes,
        [(pb::Outcome::Rejected, "ALREADY_EXISTS".to_owned())]
    );
    assert_eq!(results[0].current, None);
    // The therapist's replica learns of the client's comment only as a
    // tombstone, and never of its text.
    let mut therapist_sync = sync_api(&app, &therapist).await;
    let page = therapist_sync
        .pull(pb::PullRequest {
            client_id: client_id.clone(),
            cursor: therapist_cursor,
            page_size: 0,
        })
        .await
        .expect("pull")
        .into_inner();
    let (live, gone) = comments_in(&page.changes);
    assert_eq!(
        (live, gone),
        (vec!["Keep going".to_owned()], vec![secret.id.clone()])
    );

    // The note made public: both comments are everyone's again.
    log(
        &app,
        &client,
        pb::CheckIn {
            private_note: false,
            ..private.clone()
        },
    )
    .await
    .expect("log");
    let after = therapist_sync
        .pull(pb::PullRequest {
            client_id: client_id.clone(),
            cursor: page.next_cursor,
            page_size: 0,
        })
        .await
        .expect("pull")
        .into_inner();
    let (mut live, _) = comments_in(&after.changes);
    live.sort();
    assert_eq!(live, ["About that note...", "Keep going"]);
    assert_eq!(
        comments_on(&app, &client, on_it.clone())
            .await
            .expect("list")
            .len(),
        2
    );

    // And private again: hidden again, from the client too.
    log(&app, &client, private).await.expect("log");
    assert_eq!(
        comments_on(&app, &client, on_it).await.expect("list"),
        ["About that note..."]
    );
    let (_, client_gone) =
        comments_in(&pull_everything(&mut sync_api(&app, &client).await).await.0);
    assert_eq!(
        client_gone,
        Vec::<String>::new(),
        "an initial sync has no tombstones"
    );
}

#[tokio::test]
async fn therapists_of_other_clients_cannot_comment_or_read_comments() {
    let app = TestApp::spawn().await;
    let Team { client, .. } = team(&app).await;
    let (_, stranger) = app.create_account(pb::Role::Therapist, "Dr. Who").await;
    let goal = create_goal(&app, &client, "Walk more").await;
    comment(&app, &client, Target::GoalId(goal.id.clone()), "Day one")
        .await
        .expect("comment");
    let error = comment(&app, &stranger, Target::GoalId(goal.id.clone()), "Hi")
        .await
        .expect_err("a stranger");
    assert_invalid(&error, &["comment.goal_id"]);
    assert_not_found(
        &comments_on(&app, &stranger, Target::GoalId(goal.id.clone()))
            .await
            .expect_err("a stranger"),
    );
    let error = comments_on(&app, &app.admin_token, Target::GoalId(goal.id.clone()))
        .await
        .expect_err("an administrator");
    assert_eq!(error.code(), Code::PermissionDenied);
    let error = comment(&app, &client, Target::GoalId(goal.id), "")
        .await
        .expect_err("empty");
    assert_invalid(&error, &["comment.text"]);
    let untargeted = app
        .comments(&client)
        .await
        .create_comment(pb::CreateCommentRequest {
            comment: Some(pb::Comment {
                text: "About nothing".into(),
                ..Default::default()
            }),
        })
        .await
        .expect_err("no target");
    assert_invalid(&untargeted, &["comment.target"]);
}

#[tokio::test]
async fn deleting_a_record_deletes_its_comments() {
    let app = TestApp::spawn().await;
    let Team {
        therapist, client, ..
    } = team(&app).await;
    let (_, step) = goal_with_step(&app, &client).await;
    let note = comment(
        &app,
        &therapist,
        Target::ActionStepId(step.id.clone()),
        "Nice plan",
    )
    .await
    .expect("comment");
    let mut api = sync_api(&app, &client).await;
    let (_, cursor) = pull_everything(&mut api).await;
    delete_step(&app, &client, &step.id, 0)
        .await
        .expect("delete");
    let (changes, _) = pull_from(&mut api, &cursor, 0).await;
    assert_eq!(comments_in(&changes).1, [note.id]);
}

#[tokio::test]
async fn comments_sync_both_ways_and_reach_the_watching_therapist() {
    use pb::watch_clients_response::Event;
    use tokio_stream::StreamExt;
    let app = TestApp::spawn().await;
    let Team {
        therapist,
        client,
        client_id,
        ..
    } = team(&app).await;
    let goal = create_goal(&app, &client, "Walk more").await;
    let from_therapist = comment(&app, &therapist, Target::GoalId(goal.id.clone()), "Go!")
        .await
        .expect("comment");
    let mut watch = crate::care::care(&app, &therapist)
        .await
        .watch_clients(pb::WatchClientsRequest {})
        .await
        .expect("watch")
        .into_inner();

    let mut api = sync_api(&app, &client).await;
    let offline_id = new_id();
    let upsert = |mutation_id: &str, base_version: i64, comment: pb::Comment| pb::Mutation {
        mutation_id: mutation_id.into(),
        base_version,
        op: Some(pb::mutation::Op::UpsertComment(comment)),
    };
    let written = pb::Comment {
        id: offline_id.clone(),
        target: Some(Target::GoalId(goal.id.clone())),
        text: "Walked on the train".into(),
        ..Default::default()
    };
    let not_mine = pb::Comment {
        text: "Changed".into(),
        ..from_therapist.clone()
    };
    let mutations = vec![
        upsert("write", 0, written.clone()),
        upsert("not mine", from_therapist.version, not_mine),
        delete_of(
            "delete theirs",
            from_therapist.version,
            pb::EntityType::Comment,
            &from_therapist.id,
        ),
    ];
    let (outcomes, results) = push_outcomes(&mut api, mutations).await;
    assert_eq!(
        outcomes,
        [
            (pb::Outcome::Applied, String::new()),
            (pb::Outcome::Rejected, "PERMISSION_DENIED".to_owned()),
            (pb::Outcome::Rejected, "PERMISSION_DENIED".to_owned()),
        ]
    );

    let delivered = loop {
        let event = watch.next().await.expect("event").expect("ok");
        if let Some(Event::Change(pb::Change {
            entity: Some(pb::change::Entity::Comment(comment)),
        })) = event.event
        {
            assert_eq!(event.client_id, client_id);
            break comment;
        }
    };
    assert_eq!(
        (delivered.id.as_str(), delivered.text.as_str()),
        (offline_id.as_str(), "Walked on the train")
    );

    let version = match &results[0].current.as_ref().and_then(|c| c.entity.clone()) {
        Some(pb::change::Entity::Comment(c)) => c.version,
        other => panic!("expected the comment, got {other:?}"),
    };
    let edit = pb::Comment {
        text: "Walked on the treadmill".into(),
        ..written
    };
    let (outcomes, _) = push_outcomes(&mut api, vec![upsert("edit", version, edit)]).await;
    assert_eq!(outcomes, [(pb::Outcome::Applied, String::new())]);
    let (changes, _) = pull_everything(&mut api).await;
    let (mut live, _) = comments_in(&changes);
    live.sort();
    assert_eq!(live, ["Go!", "Walked on the treadmill"]);
}
