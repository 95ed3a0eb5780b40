//! Progress for a step, a goal or a client, and the therapist's client
//! summaries (see [`crate::domain::progress`], [`crate::domain::attainment`]
//! and [`crate::domain::assessment`] for the definitions). Both read the
//! aggregates the store keeps ([`ClientTrack`], [`StepTrack`]): a few
//! small values per client, whatever the length of their history.
//! The arithmetic runs on tokio's blocking pool.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use chrono_tz::Tz;
use uuid::Uuid;

use super::{Action, App, PageRequest, Principal, RiskState};
use crate::domain::assessment::{self, Assessed, ResultFlag, Standing};
use crate::domain::attainment;
use crate::domain::instruments::{self, Instrument, RankedBand};
use crate::domain::progress::{self, Efficacy, Stats};
use crate::domain::{
    ActionStepStatus, ClientTrack, Kind, Order, Skill, SkillPractice, StepTrack, ThoughtRecord,
    TrackedStep, local_day,
};
use crate::error::{Error, Result};
use crate::store::{Page, Side};

/// What to compute progress for.
#[derive(Debug, Clone, Copy)]
pub enum ProgressTarget {
    /// One action step.
    ActionStep(Uuid),
    /// A goal and its steps.
    Goal(Uuid),
    /// All of a client's goals and steps.
    Client(Uuid),
}

/// One step's progress.
#[derive(Debug, Clone)]
pub struct StepProgress {
    /// The step.
    pub id: Uuid,
    /// Its goal.
    pub goal_id: Uuid,
    /// Whether it is practised.
    pub status: ActionStepStatus,
    /// Its statistics.
    pub stats: Stats,
    /// Its efficacy ratings.
    pub efficacy: Efficacy,
}

/// Progress of a target as of a local day.
#[derive(Debug, Clone)]
pub struct ProgressReport {
    /// The local day.
    pub as_of: NaiveDate,
    /// The target's statistics.
    pub stats: Stats,
    /// The target's efficacy.
    pub efficacy: Efficacy,
    /// Each step.
    pub steps: Vec<StepProgress>,
    /// The latest check-in (not skipped) of the statistics window up to
    /// the day: its local day and when it was first logged. One older than
    /// the window is not looked for; the client is inactive either way.
    pub last_check_in: Option<(NaiveDate, i64)>,
    /// Goal attainment of the goal or client; `None` for a step.
    pub attainment: Option<AttainmentStats>,
}

/// The GAS T-score over goals with a current attainment rating.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct AttainmentStats {
    /// The T-score; `None` when no goal has a current rating.
    pub t_score: Option<f64>,
    /// Goals with an attainment scale and a current rating.
    pub goals_rated: usize,
}

/// A client at a glance, for a therapist's dashboard.
#[derive(Debug, Clone)]
pub struct ClientSummary {
    /// The client.
    pub client_id: Uuid,
    /// The client's display name.
    pub display_name: String,
    /// The client's progress as of today.
    pub progress: ProgressReport,
    /// Each questionnaire the client has an assignment in force of, or
    /// results of, by instrument id.
    pub instruments: Vec<InstrumentSummary>,
    /// What needs attention, most severe first.
    pub flags: Vec<Flag>,
    /// The severity of the most severe flag.
    pub severity: SummarySeverity,
    /// Skill practices of the 7 days up to the summary's day.
    pub skill_practices_7d: u32,
    /// Thought records of those days that the therapist may see (private
    /// ones are not counted).
    pub thought_records_7d: u32,
}

/// Where a client stands on one questionnaire.
#[derive(Debug, Clone)]
pub struct InstrumentSummary {
    /// The instrument.
    pub instrument_id: Uuid,
    /// Its short name.
    pub short_name: String,
    /// The latest result up to the summary's day, if any.
    pub latest: Option<LatestResult>,
    /// Whether an assignment of it is overdue on the summary's day.
    pub overdue: bool,
}

/// The latest result on a questionnaire, as a summary shows it.
#[derive(Debug, Clone)]
pub struct LatestResult {
    /// The result.
    pub id: Uuid,
    /// Its day.
    pub local_date: NaiveDate,
    /// Its total.
    pub total: u32,
    /// The band of the total.
    pub severity: Option<RankedBand>,
    /// Its change against the first result, and its flags.
    pub assessed: Assessed,
}

/// A reason to look at a client.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Flag {
    /// No check-in for 3 days or more.
    Inactive,
    /// Under 50% adherence over 7 days.
    LowAdherence,
    /// Efficacy down 20 points or more over 28 days.
    EfficacyDrop,
    /// A risk alert is open: a PHQ-9 answered item 9 (thoughts of
    /// self-harm) above 0, and no therapist has acknowledged it yet.
    SelfHarmRisk,
    /// The latest result of a questionnaire is reliably worse than the
    /// first.
    ReliableDeterioration,
    /// An assignment is overdue.
    AssessmentOverdue,
    /// A risk alert is open and the client has no safety plan.
    NoSafetyPlan,
}

/// How urgently a client needs attention, least urgent first.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum SummarySeverity {
    /// No flag.
    None,
    /// Worth a look at the next session.
    Low,
    /// Confidence fell markedly.
    Medium,
    /// Symptoms got measurably worse.
    High,
    /// Thoughts of self-harm reported.
    Critical,
}

impl Flag {
    /// How urgent the flag is.
    pub fn severity(self) -> SummarySeverity {
        match self {
            Flag::SelfHarmRisk | Flag::NoSafetyPlan => SummarySeverity::Critical,
            Flag::ReliableDeterioration => SummarySeverity::High,
            Flag::EfficacyDrop => SummarySeverity::Medium,
            Flag::Inactive | Flag::LowAdherence | Flag::AssessmentOverdue => SummarySeverity::Low,
        }
    }

    /// The flags of a client's risk, report and questionnaires, most
    /// severe first. An open risk alert raises its flag whatever the
    /// report's day: only an acknowledgement closes it.
    pub fn of_client(
        risk: RiskState,
        report: &ProgressReport,
        instruments: &[InstrumentSummary],
    ) -> Vec<Flag> {
        let raised = |flag: ResultFlag| {
            instruments
                .iter()
                .filter_map(|i| i.latest.as_ref())
                .any(|latest| latest.assessed.flags.contains(&flag))
        };
        let mut flags = Vec::new();
        if risk.open_alert {
            flags.push(Flag::SelfHarmRisk);
            if !risk.safety_plan {
                flags.push(Flag::NoSafetyPlan);
            }
        }
        if raised(ResultFlag::ReliableDeterioration) {
            flags.push(Flag::ReliableDeterioration);
        }
        flags.extend(Flag::of(report));
        if instruments.iter().any(|i| i.overdue) {
            flags.push(Flag::AssessmentOverdue);
        }
        // Stable: flags of one severity keep the order above.
        flags.sort_by_key(|flag| std::cmp::Reverse(flag.severity()));
        flags
    }

    /// The flags a report raises (the rules are the domain's, see
    /// [`crate::domain::progress`]).
    pub fn of(report: &ProgressReport) -> Vec<Flag> {
        let mut flags = Vec::new();
        let last_check_in = report.last_check_in.map(|(day, _)| day);
        if progress::inactive(last_check_in, report.as_of) {
            flags.push(Flag::Inactive);
        }
        if report.stats.low_adherence() {
            flags.push(Flag::LowAdherence);
        }
        if report.efficacy.dropped() {
            flags.push(Flag::EfficacyDrop);
        }
        flags
    }
}

/// What a progress report is computed from, read before the arithmetic.
struct Inputs {
    target: ProgressTarget,
    zone: Tz,
    plan: ClientTrack,
    steps: Vec<(Uuid, TrackedStep, StepTrack)>,
}

/// What a client summary needs besides progress: the custom instruments
/// the client has assignments or results of.
type Custom = BTreeMap<Uuid, Instrument>;

impl App {
    /// Progress as of `as_of` (default: today in the client's time zone).
    pub async fn get_progress(
        &self,
        principal: &Principal,
        target: ProgressTarget,
        as_of: Option<NaiveDate>,
    ) -> Result<ProgressReport> {
        let client = match target {
            ProgressTarget::ActionStep(id) => {
                self.visible(principal, Action::Read, id, Kind::ActionStep)
                    .await?
                    .meta()
                    .client_id
            }
            ProgressTarget::Goal(id) => {
                self.visible(principal, Action::Read, id, Kind::Goal)
                    .await?
                    .meta()
                    .client_id
            }
            ProgressTarget::Client(id) => {
                self.require(principal, Action::Read, id).await?;
                id
            }
        };
        let zone = self.time_zone(client).await?;
        let inputs = self.progress_inputs(target, client, zone).await?;
        let now = self.now_micros();
        self.off_the_workers(move || Ok(report(&inputs, as_of, now)))
            .await
    }

    /// A therapist's actively linked clients on one page of links, each
    /// summarised as of today in the client's time zone.
    pub async fn client_summaries(
        &self,
        principal: &Principal,
        page: PageRequest<'_>,
        as_of: Option<NaiveDate>,
    ) -> Result<Page<ClientSummary>> {
        principal.require_therapist("only therapists have client summaries")?;
        let links = self
            .store
            .links(principal.account_id, Side::Therapist, page.into())
            .await?;
        let mut clients = Vec::new();
        let now = self.now_micros();
        for link in links.items.into_iter().filter(|l| l.is_active()) {
            let client = link.client_id;
            principal.note_access(client)?;
            // One read for the name and the time zone.
            let account = self
                .store
                .account(client)
                .await?
                .ok_or(Error::NotFound("client"))?;
            let name = account.display_name;
            let inputs = self
                .progress_inputs(ProgressTarget::Client(client), client, account.time_zone)
                .await?;
            let day = as_of.unwrap_or_else(|| local_day(now, inputs.zone));
            let homework = self.homework(principal, client, day).await?;
            let custom = self.custom_instruments_of(&inputs.plan).await?;
            let risk = self.risk_state(principal, client).await?;
            clients.push((client, name, inputs, day, (homework, risk), custom));
        }
        let items = self
            .off_the_workers(move || {
                Ok(clients
                    .into_iter()
                    .map(
                        |(client_id, display_name, inputs, day, (homework, risk), custom)| {
                            let progress = report(&inputs, Some(day), now);
                            let instruments =
                                instrument_summaries(&inputs.plan, progress.as_of, &custom);
                            let flags = Flag::of_client(risk, &progress, &instruments);
                            ClientSummary {
                                client_id,
                                display_name,
                                severity: flags
                                    .iter()
                                    .map(|flag| flag.severity())
                                    .max()
                                    .unwrap_or(SummarySeverity::None),
                                flags,
                                instruments,
                                progress,
                                skill_practices_7d: homework.0,
                                thought_records_7d: homework.1,
                            }
                        },
                    )
                    .collect())
            })
            .await?;
        Ok(Page {
            items,
            next_page_token: links.next_page_token,
        })
    }

    /// The custom instruments a client has assignments or results of.
    async fn custom_instruments_of(&self, plan: &ClientTrack) -> Result<Custom> {
        let mut custom = Custom::new();
        let ids = plan
            .assignments
            .values()
            .map(|a| a.instrument_id)
            .chain(plan.results.values().map(|r| r.instrument_id));
        for id in ids {
            if instruments::built_in(id).is_none()
                && !custom.contains_key(&id)
                && let Some(stored) = self.store.instrument(id).await?
            {
                custom.insert(id, stored.instrument);
            }
        }
        Ok(custom)
    }

    /// The skill practices and thought records of the 7 days up to `day`
    /// that the caller may see, counted.
    async fn homework(
        &self,
        principal: &Principal,
        client: Uuid,
        day: NaiveDate,
    ) -> Result<(u32, u32)> {
        let first = day
            .checked_sub_days(chrono::Days::new(6))
            .unwrap_or(NaiveDate::MIN);
        let week = (Some(Order::Day(first)), Some(Order::Day(day)));
        let mut practices = 0;
        let skills: Vec<Skill> = self.every(principal, client, (None, None)).await?;
        for skill in skills {
            let of_skill: Vec<SkillPractice> = self.every(principal, skill.meta.id, week).await?;
            practices += of_skill.len();
        }
        let records: Vec<ThoughtRecord> = self.every(principal, client, week).await?;
        Ok((practices as u32, records.len() as u32))
    }

    /// A client's progress as of the client's local day at each of
    /// `instants` (microseconds since the epoch; no access checked: the
    /// caller did).
    pub(super) async fn client_progress_at<const N: usize>(
        &self,
        client: Uuid,
        instants: [i64; N],
    ) -> Result<[ProgressReport; N]> {
        let zone = self.time_zone(client).await?;
        let inputs = self
            .progress_inputs(ProgressTarget::Client(client), client, zone)
            .await?;
        let days = instants.map(|us| local_day(us, zone));
        let now = self.now_micros();
        self.off_the_workers(move || Ok(days.map(|day| report(&inputs, Some(day), now))))
            .await
    }

    /// Reads what the report of `target`, a record of `client` in `zone`,
    /// needs.
    async fn progress_inputs(
        &self,
        target: ProgressTarget,
        client: Uuid,
        zone: Tz,
    ) -> Result<Inputs> {
        let plan = self.store.client_track(client).await?;
        let wanted: Vec<(Uuid, TrackedStep)> = plan
            .steps
            .iter()
            .filter(|(id, step)| match target {
                ProgressTarget::ActionStep(target) => **id == target,
                ProgressTarget::Goal(goal) => step.goal_id == goal,
                ProgressTarget::Client(_) => true,
            })
            .map(|(id, step)| (*id, *step))
            .collect();
        let mut steps = Vec::with_capacity(wanted.len());
        for (id, step) in wanted {
            let track = self.store.step_track(id).await?;
            steps.push((id, step, track));
        }
        Ok(Inputs {
            target,
            zone,
            plan,
            steps,
        })
    }
}

/// The report of `inputs` as of `as_of` (default: the client's today at
/// `now_us`).
fn report(inputs: &Inputs, as_of: Option<NaiveDate>, now_us: i64) -> ProgressReport {
    let as_of = as_of.unwrap_or_else(|| local_day(now_us, inputs.zone));
    let mut steps = Vec::with_capacity(inputs.steps.len());
    let mut last_check_in = None;
    for (id, step, track) in &inputs.steps {
        // A check-in logged for a day before the step existed (say, a habit
        // practised before it was written down) moves the first day back,
        // and with it where the periods begin.
        let earliest = track.days.keys().next().copied();
        let start = earliest.map_or(step.start_day, |first| step.start_day.min(first));
        let window = progress::window_start(step.schedule.period_days, start, as_of);
        // Asked about a day before the step began: nothing to look at (and
        // `range` refuses a start after its end).
        let in_window = if window <= as_of {
            track.days.range(window..=as_of)
        } else {
            track.days.range(window..window)
        };
        let last = in_window
            .clone()
            .filter(|(_, day)| day.state != crate::domain::CheckInState::Skipped)
            .map(|(date, day)| (*date, day.logged_us))
            .next_back();
        last_check_in = last_check_in.max(last);
        let stats = progress::step_stats(
            step.schedule.times,
            step.schedule.period_days,
            start,
            as_of,
            in_window.map(|(date, day)| (*date, day.state.into())),
        );
        steps.push(StepProgress {
            id: *id,
            goal_id: step.goal_id,
            status: step.status,
            stats,
            efficacy: efficacy(&inputs.plan, &[*id], as_of),
        });
    }
    let (stats, efficacy, attainment) = match inputs.target {
        ProgressTarget::ActionStep(_) => {
            let (stats, efficacy) = steps
                .first()
                .map(|s| (s.stats.clone(), s.efficacy.clone()))
                .unwrap_or_default();
            (stats, efficacy, None)
        }
        ProgressTarget::Goal(goal) => (
            roll_up(&steps),
            efficacy(&inputs.plan, &[goal], as_of),
            Some(attainment_of(&inputs.plan, Some(goal), as_of)),
        ),
        ProgressTarget::Client(_) => {
            let goals = inputs.plan.rated_goals();
            (
                roll_up(&steps),
                efficacy(&inputs.plan, &goals, as_of),
                Some(attainment_of(&inputs.plan, None, as_of)),
            )
        }
    };
    ProgressReport {
        as_of,
        stats,
        efficacy,
        steps,
        last_check_in,
        attainment,
    }
}

/// The GAS T-score of one goal, or of all the client's (`None`), as of a
/// day: over the goals with an attainment scale and a current rating.
fn attainment_of(plan: &ClientTrack, goal: Option<Uuid>, as_of: NaiveDate) -> AttainmentStats {
    let mut ratings: Vec<_> = plan
        .attainments
        .iter()
        .filter(|(_, r)| goal.is_none_or(|g| r.goal_id == g))
        .filter(|(_, r)| plan.scales.contains_key(&r.goal_id))
        .collect();
    // In recording order, as the current level's rule needs them.
    ratings.sort_by_key(|(id, r)| (r.recorded_us, **id));
    let ratings: Vec<_> = ratings
        .into_iter()
        .map(|(_, r)| (r.goal_id, r.local_date, r.level))
        .collect();
    let rated: Vec<(u32, attainment::AttainmentLevel)> =
        attainment::current_levels(&ratings, as_of)
            .into_iter()
            .filter_map(|(goal, level)| plan.scales.get(&goal).map(|s| (s.weight, level)))
            .collect();
    AttainmentStats {
        t_score: attainment::t_score(&rated),
        goals_rated: rated.len(),
    }
}

/// Where the client stands on each questionnaire as of `day`.
fn instrument_summaries(
    plan: &ClientTrack,
    day: NaiveDate,
    custom: &Custom,
) -> Vec<InstrumentSummary> {
    assessment::standings(plan, day)
        .into_iter()
        .map(
            |Standing {
                 instrument_id,
                 first,
                 latest,
                 overdue,
             }| {
                let instrument =
                    instruments::built_in(instrument_id).or(custom.get(&instrument_id));
                let first = first.map(|(id, result)| (id, result.total));
                InstrumentSummary {
                    instrument_id,
                    short_name: instrument
                        .map(|i| i.short_name.to_string())
                        .unwrap_or_default(),
                    latest: latest.map(|(id, result)| LatestResult {
                        id,
                        local_date: result.local_date,
                        total: result.total,
                        severity: instrument.and_then(|i| i.ranked_band(result.total)),
                        assessed: assessment::assess(instrument_id, first, (id, &result)),
                    }),
                    overdue,
                }
            },
        )
        .collect()
}

/// The statistics of the active steps together.
fn roll_up(steps: &[StepProgress]) -> Stats {
    let active: Vec<Stats> = steps
        .iter()
        .filter(|s| s.status == ActionStepStatus::Active)
        .map(|s| s.stats.clone())
        .collect();
    progress::roll_up(&active)
}

/// Efficacy from the ratings of `targets`, in the order they were given.
fn efficacy(plan: &ClientTrack, targets: &[Uuid], as_of: NaiveDate) -> Efficacy {
    let mut ratings: Vec<_> = plan
        .ratings
        .values()
        .filter(|r| targets.contains(&r.target.id()))
        .collect();
    ratings.sort_by_key(|r| r.rate_time_us);
    let days: Vec<(NaiveDate, i32)> = ratings
        .iter()
        .map(|r| (r.local_day, i32::from(r.score)))
        .collect();
    progress::efficacy(&days, as_of)
}
