//! Progress insights for a step, a goal or a client (see
//! [`crate::domain::insights`] for the definitions), computed on tokio's
//! blocking pool: they read many records and take CPU time.

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, Utc};
use chrono_tz::Tz;

use super::{Action, Principal};
use super::{App, BATCH, all};
use crate::domain::insights::{self, Efficacy, Mark, Stats};
use crate::domain::{ActionStep, ActionStepStatus, CheckInState, EfficacyRating, Goal};
use crate::error::{Error, Result};
use crate::store::Page;

/// What to compute progress for.
#[derive(Debug, Clone)]
pub enum ProgressTarget {
    /// One action step.
    ActionStep(String),
    /// A goal and its steps.
    Goal(String),
    /// All of a client's goals and steps.
    Client(String),
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
    /// Each step with its statistics and efficacy.
    pub steps: Vec<(ActionStep, Stats, Efficacy)>,
    /// The latest check-in (not skipped) of the statistics window up to
    /// the day: its local day and when it was first logged. One older than
    /// the window is not looked for; the client is inactive either way.
    pub last_check_in: Option<(NaiveDate, i64)>,
}

/// A client at a glance, for a therapist's dashboard.
#[derive(Debug, Clone)]
pub struct ClientSummary {
    /// The client.
    pub client_id: String,
    /// The client's display name.
    pub display_name: String,
    /// The client's progress as of today.
    pub progress: ProgressReport,
    /// What needs attention.
    pub flags: Vec<Flag>,
}

/// A reason to look at a client. Numbers match the API's.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Flag {
    /// No check-in for 3 days or more.
    Inactive = 1,
    /// Under 50% adherence over 7 days.
    LowAdherence = 2,
    /// Efficacy down 20 points or more over 28 days.
    EfficacyDrop = 3,
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

impl App {
    /// Progress insights as of `as_of` (default: today in the client's time
    /// zone), computed off the async workers.
    pub async fn get_progress(
        &self,
        principal: &Principal,
        target: ProgressTarget,
        as_of: Option<NaiveDate>,
    ) -> Result<ProgressReport> {
        let principal = principal.clone();
        self.off_the_workers(move |app| app.progress(&principal, target, as_of))
            .await
    }

    /// A therapist's actively linked clients on one page of links, each
    /// summarised as of today in the client's time zone; computed off the
    /// async workers.
    pub async fn client_summaries(
        &self,
        principal: &Principal,
        (size, token): (usize, &str),
        as_of: Option<NaiveDate>,
    ) -> Result<Page<ClientSummary>> {
        let (principal, token) = (principal.clone(), token.to_owned());
        self.off_the_workers(move |app| app.summaries(&principal, (size, &token), as_of))
            .await
    }

    fn progress(
        &self,
        principal: &Principal,
        target: ProgressTarget,
        as_of: Option<NaiveDate>,
    ) -> Result<ProgressReport> {
        let (client_id, goals, steps) = match &target {
            ProgressTarget::ActionStep(id) => {
                let step: ActionStep = self.get(principal, id)?;
                (step.meta.client_id.clone(), Vec::new(), vec![step])
            }
            ProgressTarget::Goal(id) => {
                let goal: Goal = self.get(principal, id)?;
                let steps = all(|t| self.store.list_action_steps(id, BATCH, t))?;
                (goal.meta.client_id.clone(), vec![goal], steps)
            }
            ProgressTarget::Client(id) => {
                principal.permit(Action::Read)?;
                if !self.may(principal, Action::Read, id)? {
                    return Err(Error::NotFound("client"));
                }
                let goals = all(|t| self.store.list_goals(id, BATCH, t))?;
                let mut steps = Vec::new();
                for goal in &goals {
                    steps.extend(all(|t| {
                        self.store.list_action_steps(&goal.meta.id, BATCH, t)
                    })?);
                }
                (id.clone(), goals, steps)
            }
        };
        let zone = self.time_zone(&client_id)?;
        let as_of = as_of.unwrap_or_else(|| local_day(self.now_micros(), zone));
        let mut per_step = Vec::with_capacity(steps.len());
        let mut last_check_in = None;
        for step in steps {
            let (stats, last) = self.step_stats(&step, zone, as_of)?;
            last_check_in = last_check_in.max(last);
            let efficacy = self.efficacy(&[step.meta.id.as_str()], zone, as_of)?;
            per_step.push((step, stats, efficacy));
        }
        let active: Vec<Stats> = per_step
            .iter()
            .filter(|(step, _, _)| step.status() == ActionStepStatus::Active)
            .map(|(_, stats, _)| stats.clone())
            .collect();
        let (stats, efficacy) = match target {
            ProgressTarget::ActionStep(_) => (per_step[0].1.clone(), per_step[0].2.clone()),
            _ => {
                let goal_ids: Vec<&str> = goals.iter().map(|g| g.meta.id.as_str()).collect();
                (
                    insights::roll_up(&active),
                    self.efficacy(&goal_ids, zone, as_of)?,
                )
            }
        };
        Ok(ProgressReport {
            as_of,
            stats,
            efficacy,
            steps: per_step,
            last_check_in,
        })
    }

    fn time_zone(&self, client_id: &str) -> Result<Tz> {
        let account = self
            .store
            .account(client_id)?
            .ok_or(Error::NotFound("client"))?;
        account
            .time_zone
            .parse()
            .map_err(|_| Error::internal("stored time zone is not an IANA name"))
    }

    fn summaries(
        &self,
        principal: &Principal,
        page: (usize, &str),
        as_of: Option<NaiveDate>,
    ) -> Result<Page<ClientSummary>> {
        if principal.role != crate::domain::Role::Therapist {
            return Err(Error::PermissionDenied(
                "only therapists have client summaries",
            ));
        }
        let links = self.store.list_links(&principal.account_id, true, page)?;
        let mut items = Vec::new();
        for link in links.items {
            if link.state() != crate::domain::CareLinkState::Active {
                continue;
            }
            let progress = self.progress(
                principal,
                ProgressTarget::Client(link.client_id.clone()),
                as_of,
            )?;
            items.push(ClientSummary {
                display_name: self.display_name(&link.client_id)?,
                client_id: link.client_id,
                flags: Flag::of(&progress),
                progress,
            });
        }
        Ok(Page {
            items,
            next_page_token: links.next_page_token,
        })
    }

    /// A step's statistics, and its latest check-in in the statistics
    /// window (day, first logged). Reads the step's earliest check-in and
    /// those of the window, never the whole history: the work is bounded
    /// however old the step is (see [`insights::STATS_WINDOW_DAYS`]).
    fn step_stats(
        &self,
        step: &ActionStep,
        zone: Tz,
        as_of: NaiveDate,
    ) -> Result<(Stats, Option<(NaiveDate, i64)>)> {
        let id = &step.meta.id;
        // A check-in logged for a day before the step existed (say, a habit
        // practised before it was written down) moves the first day back,
        // and with it where the periods begin.
        let created = local_day(step.meta.create_time_us, zone);
        let earliest = self
            .store
            .list_check_ins(id, (None, Some(as_of)), 1, "")?
            .items
            .first()
            .and_then(|c| NaiveDate::parse_from_str(&c.local_date, "%Y-%m-%d").ok());
        let start = earliest.map_or(created, |first| created.min(first));
        let from = insights::window_start(step.schedule.period_days, start, as_of);
        let check_ins = all(|t| {
            self.store
                .list_check_ins(id, (Some(from), Some(as_of)), BATCH, t)
        })?;
        let last = check_ins
            .iter()
            .filter(|c| c.state() != CheckInState::Skipped)
            .filter_map(|c| {
                let day = NaiveDate::parse_from_str(&c.local_date, "%Y-%m-%d").ok()?;
                Some((day, c.meta.create_time_us))
            })
            .max();
        let marks: BTreeMap<NaiveDate, Mark> = check_ins
            .iter()
            .filter_map(|c| {
                let day = NaiveDate::parse_from_str(&c.local_date, "%Y-%m-%d").ok()?;
                let mark = match c.state() {
                    CheckInState::Done => Mark::Done,
                    CheckInState::Partial => Mark::Partial,
                    CheckInState::Skipped => Mark::Skipped,
                    CheckInState::Unspecified => return None,
                };
                Some((day, mark))
            })
            .collect();
        let stats = insights::step_stats(
            step.schedule.times,
            step.schedule.period_days,
            start,
            as_of,
            &marks,
        );
        Ok((stats, last))
    }

    fn efficacy(&self, targets: &[&str], zone: Tz, as_of: NaiveDate) -> Result<Efficacy> {
        let mut ratings: Vec<EfficacyRating> = Vec::new();
        for target in targets {
            ratings.extend(all(|t| self.store.list_ratings(target, BATCH, t))?);
        }
        ratings.sort_by_key(|r| r.rate_time_us);
        let days: Vec<(NaiveDate, i32)> = ratings
            .iter()
            .map(|r| (local_day(r.rate_time_us, zone), r.score))
            .collect();
        Ok(insights::efficacy(&days, as_of))
    }
}

/// The local day in `zone` of a time in microseconds since the Unix epoch.
fn local_day(micros: i64, zone: Tz) -> NaiveDate {
    DateTime::<Utc>::from_timestamp_micros(micros)
        .unwrap_or_default()
        .with_timezone(&zone)
        .date_naive()
}
