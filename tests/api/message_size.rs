//! Every answer fits in one gRPC message (4 MiB), however long the text in
//! the records: a page of long records ends early with a `next_page_token`,
//! and paging still hands out every record exactly once.
//!
//! The text is multi-byte (emoji take 4 bytes in UTF-8), so records at the
//! field limits, which count characters, are as large as they can be.

use std::collections::BTreeSet;
use std::future::Future;

use prost::Message;
use stepwise::pb;

use crate::devices::{push, sync_api, upsert_goal};
use crate::helpers::*;

/// The message limit, each way.
const LIMIT: usize = 4 * 1024 * 1024;

/// `chars` characters of 4 bytes each.
fn long_text(chars: usize) -> String {
    "🌱".repeat(chars)
}

/// Pushes `mutations` in pushes of `batch`, each of which must apply.
async fn push_all(app: &TestApp, token: &str, mutations: Vec<pb::Mutation>, batch: usize) {
    let mut api = sync_api(app, token).await;
    let mut mutations = mutations.into_iter().peekable();
    while mutations.peek().is_some() {
        let chunk: Vec<_> = mutations.by_ref().take(batch).collect();
        let results = api
            .push(push("phone", chunk))
            .await
            .expect("push")
            .into_inner()
            .results;
        for result in results {
            assert_eq!(result.outcome, pb::Outcome::Applied as i32, "{result:?}");
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
    let mutations = goals
        .into_iter()
        .map(|goal| upsert_goal(&new_id(), 0, goal))
        .collect();
    // 200 goals make a push of about 3.4 MB.
    push_all(app, token, mutations, 200).await;
    ids
}

/// Every page of a list, read from an empty token at `fetch`'s page size:
/// each answer fits in a message and holds at least one item.
async fn pages<R, T, F, Fut>(mut fetch: F, split: impl Fn(R) -> (Vec<T>, String)) -> Vec<Vec<T>>
where
    R: Message,
    F: FnMut(String) -> Fut,
    Fut: Future<Output = R>,
{
    all_pages(|token| {
        let answer = fetch(token);
        let split = &split;
        async move {
            let answer = answer.await;
            let size = answer.encoded_len();
            assert!(size <= LIMIT, "an answer of {size} bytes");
            let (items, next) = split(answer);
            assert!(!items.is_empty(), "a page without items");
            (items, next)
        }
    })
    .await
}

/// Each id of `listed` once, and they are `expected`.
fn assert_each_once(listed: Vec<String>, expected: &BTreeSet<String>) {
    let count = listed.len();
    let unique: BTreeSet<String> = listed.into_iter().collect();
    assert_eq!(unique.len(), count, "an item came twice");
    assert_eq!(&unique, expected, "every item, and nothing else");
}

#[tokio::test]
async fn long_goals_come_in_pages_that_fit_in_a_message() {
    let app = TestApp::spawn().await;
    let ada = app.new_client("Ada").await;
    // About 5 MB: more than one message.
    let created = long_goals(&app, &ada, 300).await;

    let client = app.goals(&ada).await;
    let pages = pages(
        |page_token| {
            let mut client = client.clone();
            async move {
                let request = pb::ListGoalsRequest {
                    page_size: 1000,
                    page_token,
                    ..Default::default()
                };
                client
                    .list_goals(request)
                    .await
                    .expect("list goals")
                    .into_inner()
            }
        },
        |page| (page.goals, page.next_page_token),
    )
    .await;

    assert!(pages.len() > 1, "5 MB take two pages at least");
    for page in &pages[..pages.len() - 1] {
        let bytes: usize = page.iter().map(Message::encoded_len).sum();
        assert!(bytes > 1024 * 1024, "a cut page is not needlessly small");
    }
    let goals = pages.concat();
    assert!(
        goals
            .iter()
            .all(|goal| goal.title == long_text(200) && goal.why == long_text(4000)),
        "every goal whole"
    );
    assert_each_once(goals.into_iter().map(|goal| goal.id).collect(), &created);
}
