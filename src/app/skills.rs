//! Coping skills, their practices, and how well the practices work (see
//! [`crate::domain::skills`] for the statistics).

use chrono::{Days, NaiveDate};
use uuid::Uuid;

use super::{Action, App, Principal};
use crate::domain::skills::{self, Practice, SkillStats};
use crate::domain::{Kind, Order, Skill, SkillPractice};
use crate::error::Result;

/// Days of practices the statistics read, back from the as-of day.
const STATS_DAYS: u64 = 28;

/// What to compute practice statistics for.
#[derive(Debug, Clone, Copy)]
pub enum SkillStatsTarget {
    /// One skill.
    Skill(Uuid),
    /// All of a client's skills, together and each.
    Client(Uuid),
}

/// Practice statistics as of a local day.
#[derive(Debug, Clone)]
pub struct SkillStatsReport {
    /// The local day.
    pub as_of: NaiveDate,
    /// The skill's own statistics, or those of all the client's practices
    /// pooled (`None`: the client's).
    pub overall: (Option<Uuid>, SkillStats),
    /// For a client, each skill's own, by skill id.
    pub skills: Vec<(Uuid, SkillStats)>,
}

impl App {
    /// Logs a practice of one of the calling client's skills.
    pub async fn log_skill_practice(
        &self,
        principal: &Principal,
        mut practice: SkillPractice,
    ) -> Result<SkillPractice> {
        let field = "skill_practice.skill_id";
        let skill = self
            .referenced(
                principal,
                Action::Own,
                practice.skill_id,
                Kind::Skill,
                field,
            )
            .await?;
        practice.meta.client_id = skill.meta().client_id;
        self.create(principal, practice, Some(field)).await
    }

    /// Practice statistics as of `as_of` (default: today in the client's
    /// time zone).
    pub async fn skill_stats(
        &self,
        principal: &Principal,
        target: SkillStatsTarget,
        as_of: Option<NaiveDate>,
    ) -> Result<SkillStatsReport> {
        let (client, skill_ids) = match target {
            SkillStatsTarget::Skill(id) => {
                let skill = self
                    .visible(principal, Action::Read, id, Kind::Skill)
                    .await?;
                (skill.meta().client_id, vec![id])
            }
            SkillStatsTarget::Client(client) => {
                self.require(principal, Action::Read, client).await?;
                let skills: Vec<Skill> = self.every(principal, client, (None, None)).await?;
                (client, skills.iter().map(|s| s.meta.id).collect())
            }
        };
        let as_of = self.day_or_today(client, as_of).await?;
        let first = as_of
            .checked_sub_days(Days::new(STATS_DAYS - 1))
            .unwrap_or(NaiveDate::MIN);
        let within = (Some(Order::Day(first)), Some(Order::Day(as_of)));
        let mut per_skill = Vec::with_capacity(skill_ids.len());
        for skill in skill_ids {
            let practices: Vec<SkillPractice> = self.every(principal, skill, within).await?;
            let practices: Vec<Practice> = practices.iter().map(Practice::from).collect();
            per_skill.push((skill, practices));
        }
        let pooled: Vec<Practice> = per_skill.iter().flat_map(|(_, p)| p.clone()).collect();
        Ok(match target {
            SkillStatsTarget::Skill(id) => SkillStatsReport {
                as_of,
                overall: (Some(id), skills::stats(&pooled, as_of)),
                skills: Vec::new(),
            },
            SkillStatsTarget::Client(_) => SkillStatsReport {
                as_of,
                overall: (None, skills::stats(&pooled, as_of)),
                skills: per_skill
                    .iter()
                    .map(|(id, practices)| (*id, skills::stats(practices, as_of)))
                    .collect(),
            },
        })
    }
}
