//! Every answer fits in one gRPC message (4 MiB), however long the text in
//! the records: a page of long records ends early with a `next_page_token`,
//! and paging still hands out every record exactly once.
//!
//! The text is multi-byte (emoji take 4 bytes in UTF-8), so records at the
//! field limits, which count characters, are as large as they can be. Each
//! list gets more than a message of them: about 4.5 MB.

use std::collections::BTreeSet;
use std::future::Future;

use futures_util::StreamExt;
use prost::Message;
use stepwise::pb;
use stepwise::pb::mutation::Op;

use crate::care::{care, team};
use crate::devices::{pull_from, push, sync_api};
use crate::digest::digest;
use crate::helpers::*;

/// The message limit, each way.
const LIMIT: usize = 4 * 1024 * 1024;
/// Records of about 16 KB each that make more than a message.
const RECORDS: usize = 280;
/// The largest page a list request may ask for.
const LARGEST_PAGE: i32 = 1000;

/// `chars` characters of 4 bytes each.
fn long_text(chars: usize) -> String {
    "🌱".repeat(chars)
}

/// A mutation creating a record.
fn create(op: Op) -> pb::Mutation {
    pb::Mutation {
        mutation_id: new_id(),
        base_version: 0,
        op: Some(op),
    }
}

/// Pushes `mutations`, as many to a push as make 3 MiB, each of which must
/// apply.
async fn push_all(app: &TestApp, token: &str, mutations: Vec<pb::Mutation>) {
    let mut api = sync_api(app, token).await;
    let mut batch = Vec::new();
    let mut bytes = 0;
    let mut mutations = mutations.into_iter().peekable();
    while let Some(mutation) = mutations.next() {
        bytes += mutation.encoded_len();
        batch.push(mutation);
        let full = mutations
            .peek()
            .is_none_or(|next| bytes + next.encoded_len() > 3 * 1024 * 1024);
        if full {
            let results = api
                .push(push("phone", std::mem::take(&mut batch)))
                .await
                .expect("push")
                .into_inner()
                .results;
            for result in results {
                assert_eq!(result.outcome, pb::Outcome::Applied as i32, "{result:?}");
            }
            bytes = 0;
        }
    }
}

/// Creates `count` goals with the longest title and `why` (about 17 KB
/// each); returns their ids.
async fn long_goals(app: &TestApp, token: &str, count: usize) -> BTreeSet<String> {
    let goals: Vec<pb::Goal> = (0..count)
        .map(|_| pb::Goal {
            id: new_id(),
            title: long_text(200),
            why: long_text(4000),
            ..Default::default()
        })
        .collect();
    let ids = goals.iter().map(|goal| goal.id.clone()).collect();
    push_all(
        app,
        token,
        goals
            .into_iter()
            .map(|g| create(Op::UpsertGoal(g)))
            .collect(),
    )
    .await;
    ids
}

/// Pushes records made by `record` from each of `count` new ids; returns
/// the ids.
async fn pushed(
    app: &TestApp,
    token: &str,
    count: usize,
    record: impl Fn(usize, String) -> Op,
) -> BTreeSet<String> {
    let ids: Vec<String> = (0..count).map(|_| new_id()).collect();
    let mutations = ids
        .iter()
        .enumerate()
        .map(|(n, id)| create(record(n, id.clone())))
        .collect();
    push_all(app, token, mutations).await;
    ids.into_iter().collect()
}

/// The `n`th day from 2020-01-01, as a local date.
fn day(n: usize) -> String {
    let first = chrono::NaiveDate::from_ymd_opt(2020, 1, 1).expect("date");
    (first + chrono::Days::new(n as u64)).to_string()
}

/// Reads a list page by page from an empty token (`list` answers one
/// page token): every answer fits in a message and holds a record, and
/// each of `expected` comes exactly once, nothing else.
async fn assert_listed_in_pages_that_fit<R, T, F, Fut>(
    expected: &BTreeSet<String>,
    mut list: F,
    split: impl Fn(R) -> (Vec<T>, String),
    id: impl Fn(&T) -> &str,
) where
    R: Message,
    F: FnMut(String) -> Fut,
    Fut: Future<Output = R>,
{
    let pages = all_pages(|token| {
        let answer = list(token);
        let split = &split;
        async move {
            let answer = answer.await;
            let size = answer.encoded_len();
            assert!(size <= LIMIT, "an answer of {size} bytes");
            let (items, next) = split(answer);
            assert!(!items.is_empty(), "a page without records");
            (items, next)
        }
    })
    .await;
    assert!(pages.len() > 1, "more than a message takes two pages");
    let listed: Vec<&str> = pages.iter().flatten().map(id).collect();
    let unique: BTreeSet<String> = listed.iter().map(|id| id.to_string()).collect();
    assert_eq!(unique.len(), listed.len(), "a record came twice");
    assert_eq!(&unique, expected, "every record, and nothing else");
}

/// [`assert_listed_in_pages_that_fit`] for `$api.$method`: the request
/// has the fields given (the largest `page_size` unless one is given) and
/// each page token in turn; `$items` are the answer's records.
macro_rules! assert_list_fits {
    ($expected:expr, $api:expr, $method:ident(pb::$request:ident {
        $($field:ident: $value:expr),* $(,)?
    }) -> $items:ident) => {
        assert_listed_in_pages_that_fit(
            $expected,
            |page_token| {
                let mut api = $api.clone();
                $(let $field = $value;)*
                async move {
                    let largest = pb::$request {
                        page_size: LARGEST_PAGE,
                        ..Default::default()
                    };
                    #[allow(clippy::needless_update)]
                    let request = pb::$request {
                        $($field,)*
                        page_token,
                        ..largest
                    };
                    api.$method(request)
                        .await
                        .expect(stringify!($method))
                        .into_inner()
                }
            },
            |page| (page.$items, page.next_page_token),
            |record| &record.id,
        )
        .await
    };
}

#[tokio::test]
async fn long_goals_come_in_pages_that_fit_in_a_message_and_pulls_too() {
    let app = TestApp::spawn().await;
    let ada = app.new_client("Ada").await;
    let created = long_goals(&app, &ada, RECORDS).await;

    let api = app.goals(&ada).await;
    assert_list_fits!(&created, api, list_goals(pb::ListGoalsRequest {}) -> goals);

    let mut phone = sync_api(&app, &ada).await;
    let mut cursor = String::new();
    let mut pulled = Vec::new();
    loop {
        let page = phone
            .pull(pb::PullRequest {
                cursor: cursor.clone(),
                page_size: 5000,
                ..Default::default()
            })
            .await
            .expect("pull")
            .into_inner();
        assert!(page.encoded_len() <= LIMIT);
        pulled.extend(page.changes.iter().map(|c| kind_and_id(c).1.to_owned()));
        cursor = page.next_cursor;
        if !page.has_more {
            break;
        }
    }
    assert_eq!(pulled.len(), RECORDS, "each goal once");
    assert_eq!(pulled.into_iter().collect::<BTreeSet<_>>(), created);
}

#[tokio::test]
async fn long_check_ins_come_in_pages_that_fit_in_a_message() {
    let app = TestApp::spawn().await;
    let ada = app.new_client("Ada").await;
    let (_, step) = goal_with_step(&app, &ada).await;
    let created = pushed(&app, &ada, RECORDS, |n, id| {
        Op::UpsertCheckIn(pb::CheckIn {
            id,
            note: long_text(4000),
            ..check_in(&step.id, &day(n), pb::CheckInState::Done)
        })
    })
    .await;

    let api = app.progress(&ada).await;
    assert_list_fits!(&created, api, list_check_ins(pb::ListCheckInsRequest {
        action_step_id: step.id.clone(),
    }) -> check_ins);
}

#[tokio::test]
async fn long_efficacy_ratings_come_in_pages_that_fit_in_a_message() {
    let app = TestApp::spawn().await;
    let ada = app.new_client("Ada").await;
    let goal = create_goal(&app, &ada, "Walk more").await;
    let rated = Rated::Goal(goal.id.clone());
    let created = pushed(&app, &ada, RECORDS, |_, id| {
        Op::UpsertEfficacyRating(pb::EfficacyRating {
            id,
            note: long_text(4000),
            ..rating(&rated, 70)
        })
    })
    .await;

    let api = app.progress(&ada).await;
    assert_list_fits!(&created, api, list_efficacy_ratings(pb::ListEfficacyRatingsRequest {
        target: Some(rated.list_target()),
    }) -> efficacy_ratings);
}

#[tokio::test]
async fn long_skills_and_practices_come_in_pages_that_fit_in_a_message() {
    let app = TestApp::spawn().await;
    let ada = app.new_client("Ada").await;
    let skills = pushed(&app, &ada, RECORDS, |_, id| {
        Op::UpsertSkill(pb::Skill {
            id,
            title: long_text(200),
            category: pb::SkillCategory::Breathing as i32,
            instructions: long_text(4000),
            ..Default::default()
        })
    })
    .await;
    let skill_id = skills.first().expect("a skill").clone();
    let practices = pushed(&app, &ada, RECORDS, |n, id| {
        Op::UpsertSkillPractice(pb::SkillPractice {
            id,
            skill_id: skill_id.clone(),
            local_date: day(n),
            distress_before: 70,
            distress_after: 40,
            note: long_text(4000),
            ..Default::default()
        })
    })
    .await;

    let api = app.skills(&ada).await;
    assert_list_fits!(&skills, api, list_skills(pb::ListSkillsRequest {}) -> skills);
    assert_list_fits!(&practices, api, list_skill_practices(pb::ListSkillPracticesRequest {
        skill_id: skill_id.clone(),
    }) -> skill_practices);
}

/// A thought record with every text at its longest (about 82 KB).
fn longest_thought_record(id: String, date: String) -> pb::ThoughtRecord {
    pb::ThoughtRecord {
        id,
        local_date: date,
        situation: long_text(4000),
        automatic_thought: long_text(4000),
        emotions: (0..10)
            .map(|n| pb::Emotion {
                name: format!("{n}{}", long_text(49)),
                intensity_before: 80,
                intensity_after: Some(40),
            })
            .collect(),
        evidence_for: long_text(4000),
        evidence_against: long_text(4000),
        balanced_thought: long_text(4000),
        ..Default::default()
    }
}

#[tokio::test]
async fn long_thought_records_fit_in_pages_digests_and_push_answers() {
    let app = TestApp::spawn().await;
    let team = team(&app).await;
    // About 82 KB each, 4.5 MB in all: even the default page of 50 would
    // not fit in a message.
    let created = pushed(&app, &team.client, 55, |n, id| {
        Op::UpsertThoughtRecord(longest_thought_record(id, day(n)))
    })
    .await;

    let api = app.insights(&team.client).await;
    for size in [0, LARGEST_PAGE] {
        assert_list_fits!(&created, api, list_thought_records(pb::ListThoughtRecordsRequest {
            page_size: size,
        }) -> thought_records);
    }

    // The therapist's digest holds the latest records, as many as fit, and
    // says it was cut.
    let digest = digest(&app, &team.therapist, &team.client_id, None)
        .await
        .expect("digest");
    assert!(digest.encoded_len() <= LIMIT);
    assert!(digest.truncated);
    let in_digest = &digest.thought_records;
    assert!(
        in_digest.len() > 40 && in_digest.len() < 55,
        "{}",
        in_digest.len()
    );
    let mut by_change: Vec<(i64, String)> = Vec::new();
    for record in all_thought_records(&app, &team.client).await {
        by_change.push((micros(&record.update_time), record.id));
    }
    by_change.sort();
    let latest: Vec<&String> = by_change[55 - in_digest.len()..]
        .iter()
        .map(|(_, id)| id)
        .collect();
    let shown: Vec<&String> = in_digest.iter().map(|record| &record.id).collect();
    assert_eq!(shown, latest, "the latest records, oldest first");

    // A tablet deletes every record on copies older than them: each
    // deletion is a conflict, answered with the record as it is, as many
    // as fit; the rest come with the next pull.
    let stale = created
        .iter()
        .map(|id| pb::Mutation {
            mutation_id: new_id(),
            base_version: 1_000_000,
            op: Some(Op::Delete(pb::EntityRef {
                entity_type: pb::EntityType::ThoughtRecord as i32,
                id: id.clone(),
            })),
        })
        .collect();
    let mut tablet = sync_api(&app, &team.client).await;
    let answer = tablet
        .push(push("tablet", stale))
        .await
        .expect("push")
        .into_inner();
    assert!(answer.encoded_len() <= LIMIT);
    let outcomes: BTreeSet<i32> = answer.results.iter().map(|r| r.outcome).collect();
    assert_eq!(outcomes, BTreeSet::from([pb::Outcome::Conflict as i32]));
    let with_record = answer
        .results
        .iter()
        .take_while(|result| result.current.is_some())
        .count();
    assert!(with_record > 40 && with_record < 55, "{with_record}");
    assert!(
        answer.results[with_record..]
            .iter()
            .all(|r| r.current.is_none())
    );
    let (pulled, _) = pull_from(&mut tablet, "", 0).await;
    let pulled: BTreeSet<String> = pulled.iter().map(|c| kind_and_id(c).1.to_owned()).collect();
    assert_eq!(pulled, created, "every record comes with a pull");
}

/// Every thought record of the holder of `token`.
async fn all_thought_records(app: &TestApp, token: &str) -> Vec<pb::ThoughtRecord> {
    let api = app.insights(token).await;
    all_pages(|page_token| {
        let mut api = api.clone();
        async move {
            let request = pb::ListThoughtRecordsRequest {
                page_token,
                ..Default::default()
            };
            let page = api
                .list_thought_records(request)
                .await
                .expect("list thought records")
                .into_inner();
            (page.thought_records, page.next_page_token)
        }
    })
    .await
    .concat()
}

#[tokio::test]
async fn long_comments_come_in_pages_that_fit_in_a_message() {
    let app = TestApp::spawn().await;
    let ada = app.new_client("Ada").await;
    let goal = create_goal(&app, &ada, "Walk more").await;
    let created = pushed(&app, &ada, RECORDS, |_, id| {
        Op::UpsertComment(pb::Comment {
            id,
            target: Some(pb::comment::Target::GoalId(goal.id.clone())),
            text: long_text(4000),
            ..Default::default()
        })
    })
    .await;

    let api = app.comments(&ada).await;
    assert_list_fits!(&created, api, list_comments(pb::ListCommentsRequest {
        target: Some(pb::list_comments_request::Target::GoalId(goal.id.clone())),
    }) -> comments);
}

#[tokio::test]
async fn long_session_notes_come_in_pages_that_fit_in_a_message() {
    let app = TestApp::spawn().await;
    let team = team(&app).await;
    let api = care(&app, &team.therapist).await;
    let created: BTreeSet<String> = futures_util::stream::iter(0..RECORDS)
        .map(|n| {
            let mut api = api.clone();
            let session = pb::Session {
                client_id: team.client_id.clone(),
                session_time: at(1_700_000_000 + 3600 * n as i64),
                note: long_text(4000),
                ..Default::default()
            };
            async move {
                let request = pb::RecordSessionRequest {
                    session: Some(session),
                };
                api.record_session(request)
                    .await
                    .expect("record session")
                    .into_inner()
                    .id
            }
        })
        .buffer_unordered(16)
        .collect()
        .await;

    assert_list_fits!(&created, api, list_sessions(pb::ListSessionsRequest {
        client_id: team.client_id.clone(),
    }) -> sessions);
}

/// A custom instrument with everything at its longest (about 350 KB):
/// 50 items of 500 characters, answered 0 to 10 with a label of 100
/// characters for each value, and 10 bands.
fn longest_instrument() -> pb::Instrument {
    let item = |n: usize| pb::InstrumentItem {
        text: format!("{n:02}{}", long_text(498)),
        min_value: 0,
        max_value: 10,
        labels: (0..=10)
            .map(|value| pb::AnswerLabel {
                value,
                label: long_text(100),
            })
            .collect(),
    };
    let band = |n: i32| pb::SeverityBand {
        min_score: n * 50,
        max_score: if n == 9 { 500 } else { n * 50 + 49 },
        label: format!("{n}{}", long_text(99)),
        rank: 0,
    };
    pb::Instrument {
        short_name: long_text(20),
        title: long_text(200),
        instructions: long_text(4000),
        items: (0..50).map(item).collect(),
        bands: (0..10).map(band).collect(),
        ..Default::default()
    }
}

#[tokio::test]
async fn long_instruments_come_in_pages_that_fit_in_a_message() {
    let app = TestApp::spawn().await;
    let (_, therapist) = app.create_account(pb::Role::Therapist, "Dr. Ruth").await;
    let api = app.assessments(&therapist).await;
    let mut expected: BTreeSet<String> = BTreeSet::new();
    for _ in 0..12 {
        let request = pb::CreateInstrumentRequest {
            instrument: Some(longest_instrument()),
        };
        let created = api
            .clone()
            .create_instrument(request)
            .await
            .expect("create instrument");
        expected.insert(created.into_inner().id);
    }
    let built_in = api
        .clone()
        .list_instruments(pb::ListInstrumentsRequest::default())
        .await
        .expect("list instruments")
        .into_inner()
        .instruments
        .into_iter()
        .filter(|instrument| instrument.built_in)
        .map(|instrument| instrument.id);
    expected.extend(built_in);

    assert_list_fits!(&expected, api, list_instruments(pb::ListInstrumentsRequest {}) -> instruments);
}
