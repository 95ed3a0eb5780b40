//! Progress for a step, a goal or a client, and the therapist's client
//! summaries (see [`crate::domain::progress`] for the definitions). Both
//! read the aggregates the store keeps ([`ClientTrack`], [`StepTrack`]):
//! a few small values per client, whatever the length of their history.
//! The arithmetic runs on tokio's blocking pool.

use chrono::NaiveDate;
use chrono_tz::Tz;
use uuid::Uuid;

use super::{Action, App, Principal};
use crate::domain::progress::{self, Efficacy, Stats};
use crate::domain::{ActionStepStatus, ClientTrack, Kind, StepTrack, TrackedStep, local_day};
use crate::error::{Error, Result};
use crate::store::{Page, PageRequest, Side};

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
    /// What needs attention.
    pub flags: Vec<Flag>,
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
}

impl Flag {
    /// The flags a report raises.
    pub fn of(report: &ProgressReport) -> Vec<Flag> {
        let inactive_since = report
            .as_of
            .checked_sub_days(chrono::Days::new(3))
            .unwrap_or(NaiveDate::MIN);
        let mut flags = Vec::new();
        if report
            .last_check_in
            .is_none_or(|(day, _)| day <= inactive_since)
        {
            flags.push(Flag::Inactive);
        }
        if report.stats.adherence_7d.is_some_and(|a| a < 0.5) {
            flags.push(Flag::LowAdherence);
        }
        if report.efficacy.change_28d.is_some_and(|c| c <= -20) {
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
        let inputs = self.progress_inputs(target, client).await?;
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
            .links(principal.account_id, Side::Therapist, page)
            .await?;
        let mut clients = Vec::new();
        for link in links.items.into_iter().filter(|l| l.is_active()) {
            principal.note_access(link.client_id);
            let name = self.display_name(link.client_id).await?;
            let inputs = self
                .progress_inputs(ProgressTarget::Client(link.client_id), link.client_id)
                .await?;
            clients.push((link.client_id, name, inputs));
        }
        let now = self.now_micros();
        let items = self
            .off_the_workers(move || {
                Ok(clients
                    .into_iter()
                    .map(|(client_id, display_name, inputs)| {
                        let progress = report(&inputs, as_of, now);
                        ClientSummary {
                            client_id,
                            display_name,
                            flags: Flag::of(&progress),
                            progress,
                        }
                    })
                    .collect())
            })
            .await?;
        Ok(Page {
            items,
            next_page_token: links.next_page_token,
        })
    }

    /// Reads what the report of `target`, a record of `client`, needs.
    async fn progress_inputs(&self, target: ProgressTarget, client: Uuid) -> Result<Inputs> {
        let zone = self
            .store
            .account(client)
            .await?
            .ok_or(Error::NotFound("client"))?
            .time_zone;
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
        // A day before the step began (asked for, or "today" after the
        // client moved west) has an empty window, not a reversed one.
        let in_window = track.days.range(window.min(as_of)..=as_of);
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
    let (stats, efficacy) = match inputs.target {
        ProgressTarget::ActionStep(_) => steps
            .first()
            .map(|s| (s.stats.clone(), s.efficacy.clone()))
            .unwrap_or_default(),
        ProgressTarget::Goal(goal) => (roll_up(&steps), efficacy(&inputs.plan, &[goal], as_of)),
        ProgressTarget::Client(_) => {
            let goals = inputs.plan.rated_goals();
            (roll_up(&steps), efficacy(&inputs.plan, &goals, as_of))
        }
    };
    ProgressReport {
        as_of,
        stats,
        efficacy,
        steps,
        last_check_in,
    }
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
