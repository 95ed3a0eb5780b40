//! CrisisService: where to get help in a crisis, for anyone (no token), by
//! region and language, from the operator's file or the list compiled in;
//! and the answer to a PHQ-9 reporting thoughts of self-harm, which
//! carries the list at once.

use std::path::PathBuf;

use stepwise::config::ServeConfig;
use stepwise::pb;
use stepwise::pb::crisis_service_client::CrisisServiceClient;
use stepwise::server::Server;
use tempfile::TempDir;
use tonic::Status;

use crate::assessments::{PHQ9, answers};
use crate::devices::{outcome, push, sync_api};
use crate::helpers::*;

/// A deployment's list: a default, two Swiss services in two languages,
/// and one British line for every language.
const LIST: &str = r#"# Example deployment list (test data, not real numbers).

{"name": "Anywhere", "url": "https://help.example.org"}
{"region": "CH", "language": "de", "name": "Hilfe CH", "phone": "000 1", "hours": "24/7"}
{"region": "CH", "language": "fr", "name": "Aide CH", "phone": "000 2"}
{"region": "GB", "name": "Help GB", "phone": "000 3", "sms": "Text HELP to 00000", "url": "https://gb.example.org", "hours": "24/7"}
"#;

/// A file holding `text`, in a directory that lives as long as it is used.
fn file_with(text: &str) -> (TempDir, PathBuf) {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("crisis-resources.jsonl");
    std::fs::write(&path, text).expect("write the list");
    (dir, path)
}

/// A server answering with [`LIST`].
async fn with_list() -> (TestApp, TempDir) {
    let (dir, path) = file_with(LIST);
    let app = TestApp::spawn_with(|config| config.crisis_resources = Some(path)).await;
    (app, dir)
}

/// GetCrisisResources without any token.
async fn resources(
    app: &TestApp,
    region: &str,
    language: &str,
) -> Result<pb::GetCrisisResourcesResponse, Status> {
    CrisisServiceClient::new(app.channel().await)
        .get_crisis_resources(pb::GetCrisisResourcesRequest {
            region: region.into(),
            language: language.into(),
        })
        .await
        .map(tonic::Response::into_inner)
}

fn names(resources: &[pb::CrisisResource]) -> Vec<&str> {
    resources.iter().map(|r| r.name.as_str()).collect()
}

#[tokio::test]
async fn anyone_gets_the_resources_of_a_region_in_their_language_without_signing_in() {
    let (app, _dir) = with_list().await;

    let swiss_german = resources(&app, "ch", "de-CH")
        .await
        .expect("no token needed");
    assert_eq!(swiss_german.region, "CH");
    assert_eq!(names(&swiss_german.crisis_resources), ["Hilfe CH"]);
    assert_eq!(
        swiss_german.crisis_resources[0],
        pb::CrisisResource {
            name: "Hilfe CH".into(),
            phone: "000 1".into(),
            sms: String::new(),
            url: String::new(),
            hours: "24/7".into(),
        }
    );
    let swiss_french = resources(&app, "CH", "fr").await.expect("french");
    assert_eq!(names(&swiss_french.crisis_resources), ["Aide CH"]);
    let swiss_in_english = resources(&app, "CH", "en").await.expect("english");
    assert_eq!(
        names(&swiss_in_english.crisis_resources),
        ["Hilfe CH", "Aide CH"],
        "a region's services in any language beat none"
    );
    let british = resources(&app, "GB", "pl").await.expect("british");
    assert_eq!(names(&british.crisis_resources), ["Help GB"]);
    assert_eq!(british.crisis_resources[0].sms, "Text HELP to 00000");
}

#[tokio::test]
async fn a_region_the_list_does_not_name_gets_the_default_list() {
    let (app, _dir) = with_list().await;

    for (region, language) in [("NZ", "en"), ("", ""), ("", "de")] {
        let answer = resources(&app, region, language).await.expect("resources");
        assert_eq!(answer.region, "", "the default list is for no region");
        assert_eq!(names(&answer.crisis_resources), ["Anywhere"]);
    }
}

#[tokio::test]
async fn without_a_file_the_list_compiled_in_answers_and_is_never_empty() {
    let app = TestApp::spawn().await;

    let default = resources(&app, "", "").await.expect("default");
    assert!(!default.crisis_resources.is_empty());
    let reachable = |r: &pb::CrisisResource| {
        [&r.phone, &r.sms, &r.url]
            .iter()
            .any(|contact| !contact.is_empty())
    };
    assert!(
        default
            .crisis_resources
            .iter()
            .all(|r| !r.name.is_empty() && reachable(r))
    );
    let american = resources(&app, "US", "en").await.expect("US");
    assert_eq!(american.region, "US");
    assert!(
        american.crisis_resources.iter().any(|r| r.phone == "988"),
        "{american:?}"
    );
    let nowhere = resources(&app, "AQ", "").await.expect("Antarctica");
    assert_eq!(nowhere.crisis_resources, default.crisis_resources);
}

#[tokio::test]
async fn a_region_or_language_that_is_not_a_code_is_refused_naming_each() {
    let app = TestApp::spawn().await;

    let refused = resources(&app, "DEU", "de_DE").await.expect_err("refused");

    assert_invalid(&refused, &["region", "language"]);
}

/// What `Server::build` says of a server started with `adjust`.
async fn start_error(adjust: impl FnOnce(&mut ServeConfig)) -> String {
    let data_dir = tempfile::tempdir().expect("temp dir");
    let mut config = ServeConfig::new("127.0.0.1:0".parse().expect("address"), data_dir.path());
    adjust(&mut config);
    match Server::build(&config).await {
        Ok(_) => panic!("the server started"),
        Err(error) => error.to_string(),
    }
}

#[tokio::test]
async fn a_bad_file_stops_the_server_at_start_naming_the_line() {
    let bad = format!("{LIST}{{\"region\": \"DE\", \"name\": \"No way to reach it\"}}\n");
    let (_dir, path) = file_with(&bad);
    let line = bad.lines().count();

    let said = start_error(|config| config.crisis_resources = Some(path.clone())).await;

    assert!(said.contains(&path.display().to_string()), "{said}");
    assert!(said.contains(&format!("line {line}: ")), "{said}");
    assert!(
        said.contains("at least one of phone, sms and url"),
        "{said}"
    );

    let (_dir, path) = file_with(r#"{"region": "DE", "name": "x", "phone": "1"}"#);
    let said = start_error(|config| config.crisis_resources = Some(path)).await;
    assert!(said.contains("no default list"), "{said}");

    let missing = PathBuf::from("/nonexistent/crisis-resources.jsonl");
    let said = start_error(|config| config.crisis_resources = Some(missing.clone())).await;
    assert!(
        said.contains("/nonexistent/crisis-resources.jsonl"),
        "{said}"
    );
}

/// A PHQ-9 answering "several days" (1) on item 9, or 0 on every item.
fn phq9(date: &str, item_9: i32) -> pb::AssessmentResult {
    answers(PHQ9, date, &[1, 1, 0, 0, 0, 0, 0, 0, item_9])
}

async fn submit_from(
    app: &TestApp,
    token: &str,
    result: pb::AssessmentResult,
    (region, language): (&str, &str),
) -> Result<pb::AssessmentResult, Status> {
    app.assessments(token)
        .await
        .submit_assessment(pb::SubmitAssessmentRequest {
            result: Some(result),
            region: region.into(),
            language: language.into(),
        })
        .await
        .map(tonic::Response::into_inner)
}

#[tokio::test]
async fn a_phq9_answer_about_self_harm_comes_back_with_where_to_get_help() {
    let (app, _dir) = with_list().await;
    let ada = app.new_client("Ada").await;

    let at_risk = submit_from(&app, &ada, phq9("2026-03-01", 1), ("GB", "en"))
        .await
        .expect("submit");
    assert_eq!(names(&at_risk.crisis_resources), ["Help GB"]);
    let no_locale = submit_from(&app, &ada, phq9("2026-03-02", 3), ("", ""))
        .await
        .expect("submit");
    assert_eq!(names(&no_locale.crisis_resources), ["Anywhere"]);
    let no_risk = submit_from(&app, &ada, phq9("2026-03-03", 0), ("GB", "en"))
        .await
        .expect("submit");
    assert!(no_risk.crisis_resources.is_empty());

    let listed = app
        .assessments(&ada)
        .await
        .list_assessment_results(pb::ListAssessmentResultsRequest::default())
        .await
        .expect("list")
        .into_inner()
        .assessment_results;
    assert_eq!(listed.len(), 3);
    assert!(
        listed.iter().all(|r| r.crisis_resources.is_empty()),
        "only the answer to the submission carries them"
    );
}

#[tokio::test]
async fn a_submission_with_a_bad_locale_is_refused_and_stores_nothing() {
    let (app, _dir) = with_list().await;
    let ada = app.new_client("Ada").await;

    let refused = submit_from(&app, &ada, phq9("2026-03-01", 1), ("Swiss", "x"))
        .await
        .expect_err("refused");

    assert_invalid(&refused, &["region", "language"]);
    let listed = app
        .assessments(&ada)
        .await
        .list_assessment_results(pb::ListAssessmentResultsRequest::default())
        .await
        .expect("list")
        .into_inner();
    assert!(listed.assessment_results.is_empty());
}

fn submission(id: &str, result: pb::AssessmentResult) -> pb::Mutation {
    pb::Mutation {
        mutation_id: id.into(),
        base_version: 0,
        op: Some(pb::mutation::Op::SubmitAssessmentResult(result)),
    }
}

#[tokio::test]
async fn a_pushed_phq9_about_self_harm_comes_back_with_where_to_get_help_replays_too() {
    let (app, _dir) = with_list().await;
    let ada = app.new_client("Ada").await;
    let mut api = sync_api(&app, &ada).await;
    let from_switzerland = |mutations| pb::PushRequest {
        region: "CH".into(),
        language: "fr-CH".into(),
        ..push("phone", mutations)
    };
    let mutations = vec![
        submission("m1", phq9("2026-03-01", 2)),
        submission("m2", phq9("2026-03-02", 0)),
    ];

    let first = api
        .push(from_switzerland(mutations.clone()))
        .await
        .expect("push")
        .into_inner()
        .results;
    let replayed = api
        .push(from_switzerland(mutations))
        .await
        .expect("push again")
        .into_inner()
        .results;

    for results in [&first, &replayed] {
        assert_eq!(outcome(&results[0]), pb::Outcome::Applied);
        assert_eq!(names(&results[0].crisis_resources), ["Aide CH"]);
        assert_eq!(outcome(&results[1]), pb::Outcome::Applied);
        assert!(results[1].crisis_resources.is_empty());
    }
}
