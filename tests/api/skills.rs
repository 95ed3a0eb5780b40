//! Coping skills: what client and therapist may write, practices with their
//! distress ratings, statistics against values computed by hand, and bad
//! input.

use std::sync::Arc;

use stepwise::domain::ManualClock;
use stepwise::pb;
use stepwise::pb::SkillCategory::{Breathing, Grounding};
use tonic::{Code, Response, Status};

use crate::care::{access_events, team};
use crate::helpers::*;

/// A skill of `category` for the caller (`client_id` empty) or a client.
pub(crate) fn skill(client_id: &str, title: &str, category: pb::SkillCategory) -> pb::Skill {
    pb::Skill {
        client_id: client_id.into(),
        title: title.into(),
        category: category as i32,
        instructions: "In for 4, hold for 4, out for 4, hold for 4".into(),
        ..Default::default()
    }
}

/// A practice of `skill_id` on `date`, distress `before` and `after`.
pub(crate) fn practice(skill_id: &str, date: &str, before: i32, after: i32) -> pb::SkillPractice {
    pb::SkillPractice {
        skill_id: skill_id.into(),
        local_date: date.into(),
        distress_before: before,
        distress_after: after,
        ..Default::default()
    }
}

/// Creates `skill` as `token`.
pub(crate) async fn try_create_skill(
    app: &TestApp,
    token: &str,
    skill: pb::Skill,
) -> Result<pb::Skill, Status> {
    let request = pb::CreateSkillRequest { skill: Some(skill) };
    app.skills(token)
        .await
        .create_skill(request)
        .await
        .map(Response::into_inner)
}

/// Creates a breathing skill for the caller.
pub(crate) async fn create_skill(app: &TestApp, token: &str, title: &str) -> pb::Skill {
    try_create_skill(app, token, skill("", title, Breathing))
        .await
        .expect("create skill")
}

/// Logs `practice` as `token`.
pub(crate) async fn log_practice(
    app: &TestApp,
    token: &str,
    practice: pb::SkillPractice,
) -> Result<pb::SkillPractice, Status> {
    let request = pb::LogSkillPracticeRequest {
        skill_practice: Some(practice),
    };
    app.skills(token)
        .await
        .log_skill_practice(request)
        .await
        .map(Response::into_inner)
}

/// Every practice of a skill from `start` to `end` ("" for no bound).
pub(crate) async fn list_practices(
    app: &TestApp,
    token: &str,
    skill_id: &str,
    (start, end): (&str, &str),
) -> Result<Vec<pb::SkillPractice>, Status> {
    let response = app
        .skills(token)
        .await
        .list_skill_practices(pb::ListSkillPracticesRequest {
            skill_id: skill_id.into(),
            start_date: start.into(),
            end_date: end.into(),
            page_size: 1000,
            ..Default::default()
        })
        .await?
        .into_inner();
    assert!(response.next_page_token.is_empty(), "one page holds all");
    Ok(response.skill_practices)
}

/// A client's skills as `token` sees them.
async fn list_skills(
    app: &TestApp,
    token: &str,
    client_id: &str,
) -> Result<Vec<pb::Skill>, Status> {
    app.skills(token)
        .await
        .list_skills(pb::ListSkillsRequest {
            client_id: client_id.into(),
            ..Default::default()
        })
        .await
        .map(|r| r.into_inner().skills)
}

/// Statistics of a target as of `as_of` ("" for today).
async fn stats(
    app: &TestApp,
    token: &str,
    target: pb::get_skill_stats_request::Target,
    as_of: &str,
) -> Result<pb::GetSkillStatsResponse, Status> {
    app.skills(token)
        .await
        .get_skill_stats(pb::GetSkillStatsRequest {
            target: Some(target),
            as_of_date: as_of.into(),
        })
        .await
        .map(Response::into_inner)
}

#[tokio::test]
async fn a_client_keeps_skills_and_logs_how_practising_them_went() {
    let app = TestApp::spawn().await;
    let ada = app.new_client("Ada").await;
    let box_breathing = create_skill(&app, &ada, " Box breathing ").await;
    assert_eq!(box_breathing.title, "Box breathing", "trimmed");
    assert_eq!(box_breathing.category, Breathing as i32);
    assert_eq!(box_breathing.created_by, box_breathing.client_id);

    let first = log_practice(
        &app,
        &ada,
        pb::SkillPractice {
            duration_minutes: 5,
            note: "Before the exam".into(),
            ..practice(&box_breathing.id, "2026-03-02", 70, 40)
        },
    )
    .await
    .expect("log");
    assert_eq!(
        (
            first.distress_before,
            first.distress_after,
            first.duration_minutes
        ),
        (70, 40, 5)
    );
    assert_eq!(first.client_id, box_breathing.client_id);
    // Two practices on one day are two practices, not one replacing the
    // other (unlike check-ins).
    log_practice(
        &app,
        &ada,
        practice(&box_breathing.id, "2026-03-02", 50, 50),
    )
    .await
    .expect("log");
    log_practice(
        &app,
        &ada,
        practice(&box_breathing.id, "2026-03-01", 60, 30),
    )
    .await
    .expect("log");
    let all = list_practices(&app, &ada, &box_breathing.id, ("", ""))
        .await
        .expect("list");
    let dates: Vec<&str> = all.iter().map(|p| p.local_date.as_str()).collect();
    assert_eq!(dates, ["2026-03-01", "2026-03-02", "2026-03-02"], "by date");
    let on_the_second = list_practices(&app, &ada, &box_breathing.id, ("2026-03-02", "2026-03-02"))
        .await
        .expect("list");
    assert_eq!(on_the_second.len(), 2);

    let renamed = app
        .skills(&ada)
        .await
        .update_skill(pb::UpdateSkillRequest {
            skill: Some(pb::Skill {
                id: box_breathing.id.clone(),
                title: "4-4-4-4 breathing".into(),
                version: box_breathing.version,
                ..Default::default()
            }),
            update_mask: mask(&["title"]),
        })
        .await
        .expect("update")
        .into_inner();
    assert_eq!(renamed.title, "4-4-4-4 breathing");
    assert_eq!(
        renamed.instructions, box_breathing.instructions,
        "untouched"
    );
    assert!(renamed.version > box_breathing.version);

    app.skills(&ada)
        .await
        .delete_skill(pb::DeleteSkillRequest {
            id: box_breathing.id.clone(),
            version: renamed.version,
        })
        .await
        .expect("delete");
    assert!(list_skills(&app, &ada, "").await.expect("list").is_empty());
    let gone = list_practices(&app, &ada, &box_breathing.id, ("", ""))
        .await
        .expect_err("the skill is gone");
    assert_not_found(&gone);
    // Its practices went with it: they are gone from sync too.
    let (changes, _) =
        crate::devices::pull_everything(&mut crate::devices::sync_api(&app, &ada).await).await;
    assert!(changes.is_empty(), "{changes:?}");
}

#[tokio::test]
async fn a_linked_therapist_writes_skills_with_the_client_but_practices_stay_the_clients() {
    let app = TestApp::spawn().await;
    let team = team(&app).await;
    let grounding = try_create_skill(
        &app,
        &team.therapist,
        skill(&team.client_id, "5-4-3-2-1", Grounding),
    )
    .await
    .expect("the therapist suggests a skill");
    assert_eq!(grounding.client_id, team.client_id);
    assert_eq!(grounding.created_by, team.therapist_id);
    let seen = list_skills(&app, &team.client, "").await.expect("list");
    assert_eq!(seen, std::slice::from_ref(&grounding), "the client has it");

    let refused = log_practice(
        &app,
        &team.therapist,
        practice(&grounding.id, "2026-03-01", 60, 30),
    )
    .await
    .expect_err("only the client practises");
    assert_status(&refused, Code::PermissionDenied, "PERMISSION_DENIED");
    let refused = app
        .skills(&team.therapist)
        .await
        .delete_skill(pb::DeleteSkillRequest {
            id: grounding.id.clone(),
            version: 0,
        })
        .await
        .expect_err("deleting stays with the client");
    assert_status(&refused, Code::PermissionDenied, "PERMISSION_DENIED");

    log_practice(
        &app,
        &team.client,
        practice(&grounding.id, "2026-03-01", 60, 30),
    )
    .await
    .expect("the client practises");
    let practices = list_practices(&app, &team.therapist, &grounding.id, ("", ""))
        .await
        .expect("the therapist reads practices");
    assert_eq!(practices.len(), 1);
    let methods: Vec<String> = access_events(&app, &team.client)
        .await
        .into_iter()
        .map(|e| e.method)
        .collect();
    assert_eq!(
        methods,
        [
            "stepwise.v1.SkillService/CreateSkill",
            "stepwise.v1.SkillService/ListSkillPractices",
        ],
        "refused calls are no access"
    );
}

#[tokio::test]
async fn a_therapist_of_another_client_finds_none_of_their_skills() {
    let app = TestApp::spawn().await;
    let team = team(&app).await;
    let (_, stranger) = app.create_account(pb::Role::Therapist, "Dr. Who").await;
    let skill = create_skill(&app, &team.client, "Box breathing").await;
    log_practice(
        &app,
        &team.client,
        practice(&skill.id, "2026-03-01", 60, 30),
    )
    .await
    .expect("log");
    use pb::get_skill_stats_request::Target;

    let get = app
        .skills(&stranger)
        .await
        .get_skill(pb::GetSkillRequest {
            id: skill.id.clone(),
        })
        .await
        .expect_err("not linked");
    assert_not_found(&get);
    assert_not_found(
        &list_skills(&app, &stranger, &team.client_id)
            .await
            .expect_err("not linked"),
    );
    assert_not_found(
        &list_practices(&app, &stranger, &skill.id, ("", ""))
            .await
            .expect_err("not linked"),
    );
    for target in [
        Target::SkillId(skill.id.clone()),
        Target::ClientId(team.client_id.clone()),
    ] {
        assert_not_found(
            &stats(&app, &stranger, target, "")
                .await
                .expect_err("not linked"),
        );
    }
    let written = try_create_skill(&app, &stranger, skill_for(&team.client_id))
        .await
        .expect_err("not linked");
    assert_not_found(&written);
    assert_eq!(
        list_skills(&app, &team.client, "")
            .await
            .expect("list")
            .len(),
        1
    );
    assert!(access_events(&app, &team.client).await.is_empty());
}

fn skill_for(client_id: &str) -> pb::Skill {
    skill(
        client_id,
        "Progressive muscle relaxation",
        pb::SkillCategory::Relaxation,
    )
}

/// 2026-03-10, 12:00 UTC: 13:00 in Berlin, so "today" is 2026-03-10.
const MARCH_10_NOON_US: i64 = 1_773_144_000_000_000;

#[tokio::test]
async fn statistics_match_values_computed_by_hand() {
    let clock = Arc::new(ManualClock::starting_at(MARCH_10_NOON_US));
    let app = TestApp::spawn_with(|config| config.clock = Some(clock.clone())).await;
    let team = team(&app).await;
    let breathing = create_skill(&app, &team.client, "Box breathing").await;
    let grounding = try_create_skill(&app, &team.client, skill("", "5-4-3-2-1", Grounding))
        .await
        .expect("create");
    // As of 2026-03-10: the last 7 days are 03-04..03-10, the last 28
    // 02-11..03-10, the recent half 02-25..03-10, the earlier 02-11..02-24.
    for (skill, date, before, after) in [
        (&breathing, "2026-02-10", 80, 40), // 29 days back: in no window
        (&breathing, "2026-02-12", 70, 60), // earlier, drop 10
        (&breathing, "2026-02-18", 60, 55), // earlier, drop 5
        (&grounding, "2026-02-24", 50, 50), // earlier (its last day), drop 0
        (&breathing, "2026-02-25", 70, 50), // recent (its first day), drop 20
        (&grounding, "2026-03-03", 60, 45), // recent, drop 15
        (&grounding, "2026-03-04", 40, 45), // recent and last 7 days, drop −5
        (&breathing, "2026-03-10", 80, 60), // recent and last 7 days, drop 20
        (&breathing, "2026-03-11", 90, 10), // after today: ignored
    ] {
        log_practice(&app, &team.client, practice(&skill.id, date, before, after))
            .await
            .expect("log");
    }
    use pb::get_skill_stats_request::Target;

    let client = stats(
        &app,
        &team.therapist,
        Target::ClientId(team.client_id.clone()),
        "",
    )
    .await
    .expect("stats");
    assert_eq!(client.as_of_date, "2026-03-10", "today in Berlin");
    let all = client.stats.expect("pooled");
    assert_eq!(all.skill_id, "");
    assert_eq!((all.practices_7d, all.practices_28d), (2, 7));
    // (10 + 5 + 0 + 20 + 15 − 5 + 20) / 7.
    assert_close(all.mean_distress_drop_28d, 65.0 / 7.0);
    // All but 02-24 (0) and 03-04 (−5) lowered distress.
    assert_close(all.lowered_share_28d, 5.0 / 7.0);
    // Earlier (10 + 5 + 0) / 3 = 5; recent (20 + 15 − 5 + 20) / 4 = 12.5:
    // 7.5 points more relief, at least 5: improving.
    assert_close(all.earlier_mean_drop, 5.0);
    assert_close(all.recent_mean_drop, 12.5);
    assert_eq!(all.trend, pb::SkillTrend::Improving as i32);

    let each: Vec<(&str, &pb::SkillStats)> = client
        .skills
        .iter()
        .map(|s| (s.skill_id.as_str(), s))
        .collect();
    assert_eq!(each.len(), 2);
    let of = |id: &str| each.iter().find(|(s, _)| *s == id).expect("listed").1;
    // Breathing: 02-12 (10), 02-18 (5), 02-25 (20), 03-10 (20).
    let b = of(&breathing.id);
    assert_eq!((b.practices_7d, b.practices_28d), (1, 4));
    assert_close(b.mean_distress_drop_28d, 55.0 / 4.0);
    assert_close(b.lowered_share_28d, 1.0);
    assert_close(b.recent_mean_drop, 20.0);
    assert_close(b.earlier_mean_drop, 7.5);
    assert_eq!(
        b.trend,
        pb::SkillTrend::InsufficientData as i32,
        "2 recent practices are too few"
    );
    // Grounding: 02-24 (0), 03-03 (15), 03-04 (−5).
    let g = of(&grounding.id);
    assert_eq!((g.practices_7d, g.practices_28d), (1, 3));
    assert_close(g.mean_distress_drop_28d, 10.0 / 3.0);
    assert_close(g.lowered_share_28d, 1.0 / 3.0);

    // One skill alone, as of an earlier day: 2026-02-24 sees only 02-24.
    let earlier = stats(
        &app,
        &team.client,
        Target::SkillId(grounding.id.clone()),
        "2026-02-24",
    )
    .await
    .expect("stats");
    let s = earlier.stats.expect("stats");
    assert_eq!(
        (s.skill_id.as_str(), s.practices_28d),
        (grounding.id.as_str(), 1)
    );
    assert_close(s.mean_distress_drop_28d, 0.0);
    assert_close(s.lowered_share_28d, 0.0);
    assert!(earlier.skills.is_empty());

    // A day later by the clock, today is 03-11: the last 7 days are
    // 03-05..03-11 (03-04 left, 03-11 came in), the last 28 02-12..03-11.
    clock.advance(std::time::Duration::from_secs(24 * 3600));
    let next_day = stats(
        &app,
        &team.client,
        Target::ClientId(team.client_id.clone()),
        "",
    )
    .await
    .expect("stats");
    assert_eq!(next_day.as_of_date, "2026-03-11");
    let all = next_day.stats.expect("pooled");
    assert_eq!((all.practices_7d, all.practices_28d), (2, 8));
    // 65 as before, and 03-11's drop of 80.
    assert_close(all.mean_distress_drop_28d, (65.0 + 80.0) / 8.0);
}

/// `{}` asks for the caller's own statistics, as `GetInsightStats` does: a
/// client pasting the Quick start's call has no id to fill in.
#[tokio::test]
async fn a_client_asking_with_no_target_gets_their_own_statistics() {
    let app = TestApp::spawn().await;
    let ada = app.new_client("Ada").await;
    let skill = create_skill(&app, &ada, "Box breathing").await;
    log_practice(&app, &ada, practice(&skill.id, "2026-03-09", 70, 40))
        .await
        .expect("log");
    let own = app
        .skills(&ada)
        .await
        .get_skill_stats(pb::GetSkillStatsRequest {
            target: None,
            as_of_date: "2026-03-10".into(),
        })
        .await
        .expect("the caller's own statistics")
        .into_inner();
    let all = own.stats.expect("pooled");
    assert_eq!((all.practices_7d, all.practices_28d), (1, 1));
    assert_eq!(own.skills.len(), 1, "each skill too");
    assert_eq!(own.skills[0].skill_id, skill.id);
}

#[tokio::test]
async fn without_practices_the_statistics_say_so() {
    let app = TestApp::spawn().await;
    let ada = app.new_client("Ada").await;
    let skill = create_skill(&app, &ada, "Box breathing").await;
    let response = stats(
        &app,
        &ada,
        pb::get_skill_stats_request::Target::SkillId(skill.id),
        "2026-03-10",
    )
    .await
    .expect("stats");
    let s = response.stats.expect("stats");
    assert_eq!((s.practices_7d, s.practices_28d), (0, 0));
    assert_eq!(
        (
            s.mean_distress_drop_28d,
            s.lowered_share_28d,
            s.recent_mean_drop
        ),
        (None, None, None)
    );
    assert_eq!(s.trend, pb::SkillTrend::InsufficientData as i32);
}

#[tokio::test]
async fn bad_skills_and_practices_are_refused_field_by_field_and_nothing_is_written() {
    let app = TestApp::spawn().await;
    let ada = app.new_client("Ada").await;
    let bad = try_create_skill(
        &app,
        &ada,
        pb::Skill {
            id: "not-a-uuid".into(),
            title: "  ".into(),
            category: 0,
            instructions: "x".repeat(4001),
            ..Default::default()
        },
    )
    .await
    .expect_err("invalid");
    assert_invalid(
        &bad,
        &[
            "skill.id",
            "skill.title",
            "skill.category",
            "skill.instructions",
        ],
    );
    let unknown = try_create_skill(
        &app,
        &ada,
        pb::Skill {
            category: 99,
            ..skill("", "Box breathing", Breathing)
        },
    )
    .await
    .expect_err("invalid");
    assert_invalid(&unknown, &["skill.category"]);
    assert!(list_skills(&app, &ada, "").await.expect("list").is_empty());

    let skill = create_skill(&app, &ada, "Box breathing").await;
    let bad = log_practice(
        &app,
        &ada,
        pb::SkillPractice {
            duration_minutes: 1441,
            note: "x".repeat(4001),
            ..practice(&skill.id, "2026-02-30", -1, 101)
        },
    )
    .await
    .expect_err("invalid");
    assert_invalid(
        &bad,
        &[
            "skill_practice.local_date",
            "skill_practice.distress_before",
            "skill_practice.distress_after",
            "skill_practice.duration_minutes",
            "skill_practice.note",
        ],
    );
    let no_skill = log_practice(&app, &ada, practice(&new_id(), "2026-03-01", 50, 40))
        .await
        .expect_err("no such skill");
    assert_invalid(&no_skill, &["skill_practice.skill_id"]);
    assert!(
        list_practices(&app, &ada, &skill.id, ("", ""))
            .await
            .expect("list")
            .is_empty()
    );

    let update = app
        .skills(&ada)
        .await
        .update_skill(pb::UpdateSkillRequest {
            skill: Some(pb::Skill {
                id: skill.id.clone(),
                ..Default::default()
            }),
            update_mask: mask(&["category", "client_id"]),
        })
        .await
        .expect_err("client_id is not updatable");
    // The category the mask names is checked too: it is unspecified.
    assert_invalid(&update, &["update_mask", "skill.category"]);
    let stale = app
        .skills(&ada)
        .await
        .update_skill(pb::UpdateSkillRequest {
            skill: Some(pb::Skill {
                version: skill.version + 7,
                ..skill.clone()
            }),
            update_mask: mask(&["title"]),
        })
        .await
        .expect_err("stale");
    assert_status(&stale, Code::Aborted, "VERSION_MISMATCH");
    let target = stats(
        &app,
        &ada,
        pb::get_skill_stats_request::Target::SkillId(skill.id.clone()),
        "03/10/2026",
    )
    .await
    .expect_err("bad date");
    assert_invalid(&target, &["as_of_date"]);
    let unchanged = list_skills(&app, &ada, "").await.expect("list");
    assert_eq!(unchanged, [skill]);
}
