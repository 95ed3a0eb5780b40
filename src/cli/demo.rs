//! `stepwise demo`: a new data dir with a small caseload to look at, one
//! therapist and four clearly fictional clients with four weeks of history
//! up to today, so a newcomer sees a living dashboard a minute after the
//! build.
//!
//! It starts the real server in-process on a free loopback port, with a
//! clock that walks from four weeks ago to now, and writes everything
//! through the gRPC API as the apps would: the demo's records pass the same
//! rules as real ones, and nothing here knows how they are stored.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use chrono::DateTime;
use chrono_tz::Tz;
use clap::Args;
use stepwise::client::accounts::{AccountLogin, create_account_with_token};
use stepwise::client::{self, BearerToken};
use stepwise::config::ServeConfig;
use stepwise::data_dir::ADMIN_TOKEN_FILE;
use stepwise::domain::{Clock, ManualClock, SystemClock};
use stepwise::pb;
use stepwise::pb::{
    assessment_service_client::AssessmentServiceClient, care_service_client::CareServiceClient,
    comment_service_client::CommentServiceClient, goal_service_client::GoalServiceClient,
    progress_service_client::ProgressServiceClient, skill_service_client::SkillServiceClient,
};
use stepwise::server::Server;
use tokio::sync::oneshot;
use tonic::service::interceptor::InterceptedService;
use tonic::transport::Channel;

use super::error::CommandError;

/// Settings of `stepwise demo`.
#[derive(Debug, Clone, Args)]
#[command(
    after_help = "Then start the server on the same data dir (`stepwise serve`, or \
`cargo run --release -- serve`), open http://localhost:50051/ and sign in with the \
therapist's token that the demo prints. Everyone in it is fictional."
)]
pub struct DemoArgs {
    /// The data dir to fill: it must be new or empty. A dir that holds
    /// anything (accounts, a key) is refused untouched.
    #[arg(long, env = "STEPWISE_DATA_DIR", default_value = "./stepwise-data")]
    pub data_dir: PathBuf,
}

/// Days of history before today.
const HISTORY_DAYS: usize = 28;
/// One day on the clock, in microseconds.
const DAY_US: i64 = 24 * 3600 * 1_000_000;
/// The demo clients' time zone: their days, and so the dashboard's, are
/// counted there.
const TIME_ZONE: Tz = chrono_tz::Europe::Berlin;
/// The built-in PHQ-9 and GAD-7.
const PHQ9: &str = "00000000-0000-0000-0000-000000000009";
const GAD7: &str = "00000000-0000-0000-0000-000000000007";
/// A questionnaire is answered every this many days, from the first day.
const QUESTIONNAIRE_EVERY_DAYS: usize = 14;

/// A fictional client and their four weeks.
struct Persona {
    name: &'static str,
    goal: &'static str,
    why: &'static str,
    steps: &'static [Step],
    /// Self-efficacy for the goal, rated once a week, oldest first.
    efficacy: [i32; 5],
    /// An instrument and its totals on days 0, 14 and 28 (never the PHQ-9's
    /// item on self-harm: the demo raises no risk flag).
    questionnaire: (&'static str, [i32; 3]),
    /// A coping skill and the days it was practised ('x'), if any.
    skill: Option<(&'static str, &'static str)>,
}

/// An action step and its history: one character a day, the first four
/// weeks ago and the last today. 'D' done, 'P' partly done, 'S' skipped on
/// purpose, '.' no check-in.
struct Step {
    title: &'static str,
    times: u32,
    days: &'static str,
}

const PERSONAS: [Persona; 4] = [
    Persona {
        name: "Demo client Ada",
        goal: "Sleep better",
        why: "More energy during the day",
        steps: &[
            Step {
                title: "Screens off at 22:00",
                times: 5,
                //     week 1  week 2  week 3  week 4  today
                days: "D..P.D..DD.D.DD.DDD.DDDDD.DDD",
            },
            Step {
                title: "Evening walk, 20 minutes",
                times: 3,
                days: ".D...D..D..D..DP.D..D.D.D..DD",
            },
        ],
        efficacy: [35, 45, 55, 65, 70],
        questionnaire: (PHQ9, [15, 11, 7]),
        skill: Some(("Box breathing", "x...x..x.x..x..x.x.x..x.x.x.x")),
    },
    Persona {
        name: "Demo client Ben",
        goal: "Feel calmer at work",
        why: "Enjoy my job again",
        steps: &[Step {
            title: "Two minutes of breathing before meetings",
            times: 5,
            days: "DP.D.PDD.PD..DPD.D.PDDP.DDP.D",
        }],
        efficacy: [50, 45, 50, 55, 55],
        questionnaire: (GAD7, [12, 11, 9]),
        skill: None,
    },
    Persona {
        name: "Demo client Cleo",
        goal: "Get back to running",
        why: "Feel at home in my body",
        steps: &[Step {
            title: "Run 20 minutes",
            times: 3,
            days: "D.D.D..D.D.D...D..S...S..P..D",
        }],
        efficacy: [70, 65, 55, 45, 40],
        questionnaire: (PHQ9, [8, 9, 10]),
        skill: None,
    },
    Persona {
        name: "Demo client Dev",
        goal: "See friends more often",
        why: "I miss them",
        steps: &[Step {
            title: "Message one friend",
            times: 2,
            days: "...D.....D...D.D...D..D...DD.",
        }],
        efficacy: [30, 35, 45, 50, 60],
        questionnaire: (GAD7, [9, 8, 6]),
        skill: None,
    },
];

/// Notes on some check-ins, in turn; fictional and dull on purpose.
const NOTES: [&str; 4] = ["Went fine", "", "Hard to start, glad I did", ""];

/// `stepwise demo`: fills `args.data_dir` and prints how to look at it.
pub async fn demo(args: DemoArgs) -> Result<(), CommandError> {
    refuse_used(&args.data_dir)?;
    let clock = Arc::new(ManualClock::starting_at(
        SystemClock.now_micros() - HISTORY_DAYS as i64 * DAY_US,
    ));
    let mut config = ServeConfig::new(([127, 0, 0, 1], 0).into(), &args.data_dir);
    config.clock = Some(clock.clone() as Arc<dyn Clock>);
    let server = Server::build(&config)
        .await
        .map_err(|e| CommandError::Config(e.to_string()))?;
    let url = format!("http://{}", server.local_addr());
    let (stop, stopped) = oneshot::channel::<()>();
    let serving = tokio::spawn(server.run_until(async {
        let _ = stopped.await;
    }));
    let filled = fill(&url, &args.data_dir, &clock).await;
    let _ = stop.send(());
    // The store is flushed when the server ends.
    let served = match serving.await {
        Ok(ended) => ended.map_err(|e| CommandError::Config(e.to_string())),
        Err(e) => Err(CommandError::Config(format!(
            "the demo's server failed: {e}"
        ))),
    };
    let therapist = match (filled, served) {
        (Ok(token), Ok(())) => token,
        (Err(e), _) | (Ok(_), Err(e)) => {
            // Half a demo is no use, and the dir was new or empty: leave
            // nothing behind.
            let _ = std::fs::remove_dir_all(&args.data_dir);
            return Err(e);
        }
    };
    let dir = args.data_dir.display();
    println!(
        "Demo data written to {dir}: one therapist and {} fictional clients with {} weeks of \
         history up to today.\n\
         Serve it:   cargo run --release -- serve --data-dir {dir}\n\
         then open http://localhost:50051/ (the port of --listen) and sign in as the therapist \
         with this token:\n\n{therapist}\n\n\
         The administrator's token is in {}.",
        PERSONAS.len(),
        HISTORY_DAYS / 7,
        args.data_dir.join(ADMIN_TOKEN_FILE).display(),
    );
    Ok(())
}

/// Refuses a data dir that holds anything: the demo must never mix its
/// people into a real one.
fn refuse_used(dir: &Path) -> Result<(), CommandError> {
    let used = match std::fs::read_dir(dir) {
        Ok(mut entries) => entries.next().is_some(),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => false,
        Err(e) => {
            return Err(CommandError::Config(format!(
                "cannot read {}: {e}",
                dir.display()
            )));
        }
    };
    if used {
        return Err(CommandError::Config(format!(
            "{} is not empty: the demo fills only a new data dir, never one that may hold \
             accounts. Name another with --data-dir (e.g. --data-dir demo-data).",
            dir.display()
        )));
    }
    Ok(())
}

/// A transport that sends one account's token.
type Authed = InterceptedService<Channel, BearerToken>;

/// One account's calls.
struct Caller {
    channel: Channel,
    token: String,
}

impl Caller {
    /// A client of one service, calling as this account.
    fn to<C>(&self, service: fn(Authed) -> C) -> C {
        service(client::authenticated(self.channel.clone(), &self.token))
    }
}

/// The demo, day by day: returns the therapist's token.
async fn fill(url: &str, dir: &Path, clock: &ManualClock) -> Result<String, CommandError> {
    let server: http::Uri = url
        .parse()
        .map_err(|_| CommandError::Config(format!("bad server URL {url}")))?;
    let channel = client::connect(&server, None).await?;
    let admin_token = std::fs::read_to_string(dir.join(ADMIN_TOKEN_FILE))
        .map_err(|e| CommandError::Config(format!("cannot read the administrator's token: {e}")))?;
    let admin = Caller {
        channel: channel.clone(),
        token: admin_token.trim().to_owned(),
    };
    let (_, therapist) = create_account(&admin, pb::Role::Therapist, "Dr. Demo Rivera").await?;
    let therapist = Caller {
        channel: channel.clone(),
        token: therapist,
    };
    let mut clients = Vec::new();
    for persona in &PERSONAS {
        clients.push(Client::start(&admin, &therapist, persona, today(clock)).await?);
    }
    for day in 0..=HISTORY_DAYS {
        let date = today(clock);
        for client in &clients {
            client.live(&therapist, day, &date, clock).await?;
        }
        if day < HISTORY_DAYS {
            clock.advance(Duration::from_micros(DAY_US.unsigned_abs()));
        }
    }
    Ok(therapist.token)
}

/// The client's local date now, "YYYY-MM-DD".
fn today(clock: &ManualClock) -> String {
    DateTime::from_timestamp_micros(clock.now_micros())
        .unwrap_or_default()
        .with_timezone(&TIME_ZONE)
        .format("%Y-%m-%d")
        .to_string()
}

/// The time on the clock, as the API takes it.
fn now(clock: &ManualClock) -> prost_types::Timestamp {
    let us = clock.now_micros();
    prost_types::Timestamp {
        seconds: us.div_euclid(1_000_000),
        nanos: i32::try_from(us.rem_euclid(1_000_000) * 1000).unwrap_or(0),
    }
}

/// The password of every demo account (the demo's data is made up; keep
/// the demo's server to yourself all the same).
const DEMO_PASSWORD: &str = "stepwise demo passphrase";

/// Makes an account; returns its id and a personal access token.
async fn create_account(
    admin: &Caller,
    role: pb::Role,
    name: &str,
) -> Result<(String, String), CommandError> {
    let account = pb::Account {
        role: role as i32,
        display_name: name.into(),
        time_zone: TIME_ZONE.name().into(),
        ..Default::default()
    };
    let login = AccountLogin {
        email: format!("{}@demo.invalid", uuid::Uuid::now_v7().simple()),
        password: DEMO_PASSWORD.into(),
        token_label: "Demo".into(),
        token_lifetime: None,
    };
    let (account, token) =
        create_account_with_token(&admin.channel, &admin.token, account, login).await?;
    Ok((account.id, token))
}

/// A demo client as made: their account, goal, steps and skill.
struct Client {
    persona: &'static Persona,
    id: String,
    me: Caller,
    goal_id: String,
    step_ids: Vec<String>,
    skill_id: Option<String>,
}

impl Client {
    /// The first day: the account, the link to the therapist, the goal
    /// and its steps, the questionnaire assigned.
    async fn start(
        admin: &Caller,
        therapist: &Caller,
        persona: &'static Persona,
        date: String,
    ) -> Result<Self, CommandError> {
        let (id, token) = create_account(admin, pb::Role::Client, persona.name).await?;
        let me = Caller {
            channel: admin.channel.clone(),
            token,
        };
        let invite = therapist
            .to(CareServiceClient::new)
            .create_invite(pb::CreateInviteRequest::default())
            .await?
            .into_inner();
        me.to(CareServiceClient::new)
            .accept_invite(pb::AcceptInviteRequest { code: invite.code })
            .await?;
        let goal = me
            .to(GoalServiceClient::new)
            .create_goal(pb::CreateGoalRequest {
                goal: Some(pb::Goal {
                    title: persona.goal.into(),
                    why: persona.why.into(),
                    ..Default::default()
                }),
            })
            .await?
            .into_inner();
        let mut step_ids = Vec::new();
        for step in persona.steps {
            let made = me
                .to(GoalServiceClient::new)
                .create_action_step(pb::CreateActionStepRequest {
                    action_step: Some(pb::ActionStep {
                        goal_id: goal.id.clone(),
                        title: step.title.into(),
                        schedule: Some(pb::Schedule {
                            times: step.times,
                            period_days: 7,
                        }),
                        ..Default::default()
                    }),
                })
                .await?
                .into_inner();
            step_ids.push(made.id);
        }
        let skill_id = match persona.skill {
            Some((title, _)) => Some(
                me.to(SkillServiceClient::new)
                    .create_skill(pb::CreateSkillRequest {
                        skill: Some(pb::Skill {
                            title: title.into(),
                            category: pb::SkillCategory::Breathing as i32,
                            ..Default::default()
                        }),
                    })
                    .await?
                    .into_inner()
                    .id,
            ),
            None => None,
        };
        therapist
            .to(AssessmentServiceClient::new)
            .assign_assessment(pb::AssignAssessmentRequest {
                assignment: Some(pb::Assignment {
                    client_id: id.clone(),
                    instrument_id: persona.questionnaire.0.into(),
                    every_days: QUESTIONNAIRE_EVERY_DAYS as i32,
                    start_date: date,
                    ..Default::default()
                }),
            })
            .await?;
        Ok(Self {
            persona,
            id,
            me,
            goal_id: goal.id,
            step_ids,
            skill_id,
        })
    }

    /// What happens on `day` (0 four weeks ago, HISTORY_DAYS today).
    async fn live(
        &self,
        therapist: &Caller,
        day: usize,
        date: &str,
        clock: &ManualClock,
    ) -> Result<(), CommandError> {
        let persona = self.persona;
        let mut last_check_in = None;
        for (step, step_id) in persona.steps.iter().zip(&self.step_ids) {
            let state = match step.days.as_bytes().get(day) {
                Some(b'D') => pb::CheckInState::Done,
                Some(b'P') => pb::CheckInState::Partial,
                Some(b'S') => pb::CheckInState::Skipped,
                _ => continue,
            };
            let check_in = self
                .me
                .to(ProgressServiceClient::new)
                .log_check_in(pb::LogCheckInRequest {
                    check_in: Some(pb::CheckIn {
                        action_step_id: step_id.clone(),
                        local_date: date.into(),
                        state: state as i32,
                        note: NOTES[day % NOTES.len()].into(),
                        ..Default::default()
                    }),
                })
                .await?
                .into_inner();
            last_check_in = Some(check_in.id);
        }
        if day.is_multiple_of(7) {
            self.me
                .to(ProgressServiceClient::new)
                .record_efficacy_rating(pb::RecordEfficacyRatingRequest {
                    rating: Some(pb::EfficacyRating {
                        target: Some(pb::efficacy_rating::Target::GoalId(self.goal_id.clone())),
                        score: persona.efficacy[day / 7],
                        ..Default::default()
                    }),
                })
                .await?;
        }
        if day.is_multiple_of(QUESTIONNAIRE_EVERY_DAYS) {
            let (instrument, totals) = persona.questionnaire;
            let items = if instrument == PHQ9 { 9 } else { 7 };
            self.me
                .to(AssessmentServiceClient::new)
                .submit_assessment(pb::SubmitAssessmentRequest {
                    result: Some(pb::AssessmentResult {
                        instrument_id: instrument.into(),
                        local_date: date.into(),
                        answers: answers(totals[day / QUESTIONNAIRE_EVERY_DAYS], items),
                        ..Default::default()
                    }),
                    ..Default::default()
                })
                .await?;
        }
        if let (Some(skill_id), Some((_, days))) = (&self.skill_id, persona.skill)
            && days.as_bytes().get(day) == Some(&b'x')
        {
            // Distress before and after: relief grows with practice.
            let before = 70 - (day as i32 % 3) * 5;
            let after = before - 10 - day as i32;
            self.me
                .to(SkillServiceClient::new)
                .log_skill_practice(pb::LogSkillPracticeRequest {
                    skill_practice: Some(pb::SkillPractice {
                        skill_id: skill_id.clone(),
                        local_date: date.into(),
                        distress_before: before,
                        distress_after: after.max(0),
                        duration_minutes: 5,
                        ..Default::default()
                    }),
                })
                .await?;
        }
        // A session a week ago: the client page shows what changed since.
        if day == HISTORY_DAYS - 7 {
            therapist
                .to(CareServiceClient::new)
                .record_session(pb::RecordSessionRequest {
                    session: Some(pb::Session {
                        client_id: self.id.clone(),
                        session_time: Some(now(clock)),
                        note: "Reviewed the week's plan (demo note)".into(),
                        ..Default::default()
                    }),
                })
                .await?;
        }
        // Feedback on the latest check-in, two days ago.
        if day == HISTORY_DAYS - 2
            && let Some(check_in_id) = last_check_in
        {
            therapist
                .to(CommentServiceClient::new)
                .create_comment(pb::CreateCommentRequest {
                    comment: Some(pb::Comment {
                        target: Some(pb::comment::Target::CheckInId(check_in_id)),
                        text: "Well done keeping this going".into(),
                        ..Default::default()
                    }),
                })
                .await?;
        }
        Ok(())
    }
}

/// Answers (0-3 each) to `items` questions adding up to `total`, spread
/// evenly over all but the last item; the PHQ-9's last asks about
/// self-harm, and no demo client reports it.
fn answers(total: i32, items: usize) -> Vec<i32> {
    let spread = items as i32 - 1;
    let mut answers: Vec<i32> = (0..spread)
        .map(|i| (total / spread + i32::from(i < total % spread)).min(3))
        .collect();
    answers.push(0);
    answers
}

#[cfg(test)]
mod tests {
    use super::{PERSONAS, answers};

    #[test]
    fn answers_add_up_and_never_report_self_harm() {
        for (total, items) in [(15, 9), (7, 9), (12, 7), (0, 7)] {
            let a = answers(total, items);
            assert_eq!(a.len(), items);
            assert_eq!(a.iter().sum::<i32>(), total);
            assert_eq!(a.last(), Some(&0));
        }
    }

    #[test]
    fn every_history_covers_four_weeks_and_today() {
        for persona in &PERSONAS {
            for step in persona.steps {
                assert_eq!(step.days.len(), super::HISTORY_DAYS + 1, "{}", step.title);
            }
            if let Some((_, days)) = persona.skill {
                assert_eq!(days.len(), super::HISTORY_DAYS + 1);
            }
        }
    }
}
