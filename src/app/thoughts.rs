//! Thought records and what they show (see [`crate::domain::thoughts`]).
//! A private record exists only for its client: every read here goes
//! through [`App::as_seen_by`], so therapists neither see nor count it.

use chrono::{Days, NaiveDate};
use uuid::Uuid;

use super::{Action, App, Principal};
use crate::domain::thoughts::{self, InsightStats};
use crate::domain::{Order, ThoughtRecord};
use crate::error::{Error, Result};

/// Days of the default window of insight statistics.
const DEFAULT_WINDOW_DAYS: u64 = 28;

/// Insight statistics over a window of local days.
#[derive(Debug, Clone)]
pub struct InsightReport {
    /// First day of the window.
    pub start: NaiveDate,
    /// Last day of the window.
    pub end: NaiveDate,
    /// What the records of the window show.
    pub stats: InsightStats,
}

impl App {
    /// What a client's thought records from `start` to `end` show, as the
    /// caller may see them. Without `end`, the window ends today in the
    /// client's time zone; without `start`, it is 28 days long.
    pub async fn insight_stats(
        &self,
        principal: &Principal,
        client_id: Uuid,
        (start, end): (Option<NaiveDate>, Option<NaiveDate>),
    ) -> Result<InsightReport> {
        self.require(principal, Action::Read, client_id).await?;
        let end = self.day_or_today(client_id, end).await?;
        let start = match start {
            Some(day) => day,
            None => end
                .checked_sub_days(Days::new(DEFAULT_WINDOW_DAYS - 1))
                .unwrap_or(NaiveDate::MIN),
        };
        if start > end {
            return Err(Error::invalid(
                "start_date",
                format!("must not be after the end of the window, {end}"),
            ));
        }
        let within = (Some(Order::Day(start)), Some(Order::Day(end)));
        let records: Vec<ThoughtRecord> = self.every(principal, client_id, within).await?;
        Ok(InsightReport {
            start,
            end,
            stats: thoughts::insight_stats(&records, start, end),
        })
    }
}
