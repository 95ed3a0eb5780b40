//! Thought records and what they show (see [`crate::domain::thoughts`]).
//! A private record exists only for its client: every read here goes
//! through [`App::as_seen_by`], so therapists neither see nor count it.

use chrono::{Days, NaiveDate};
use uuid::Uuid;

use super::{Action, App, PageRequest, Principal};
use crate::domain::thoughts::{self, InsightStats};
use crate::domain::{Order, Patch, ThoughtRecord};
use crate::error::{Error, Result};
use crate::store::Page;

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
    /// Creates a thought record of the calling client.
    pub async fn create_thought_record(
        &self,
        principal: &Principal,
        record: ThoughtRecord,
    ) -> Result<ThoughtRecord> {
        self.require(principal, Action::Own, record.meta.client_id)
            .await?;
        self.create(principal, record, None).await
    }

    /// A thought record; a private one is `NOT_FOUND` for therapists.
    pub async fn get_thought_record(
        &self,
        principal: &Principal,
        id: Uuid,
    ) -> Result<ThoughtRecord> {
        self.get(principal, id).await
    }

    /// A page of a client's thought records between two dates (inclusive),
    /// by date, as the caller may see them.
    pub async fn list_thought_records(
        &self,
        principal: &Principal,
        client_id: Uuid,
        (start, end): (Option<NaiveDate>, Option<NaiveDate>),
        page: PageRequest<'_>,
    ) -> Result<Page<ThoughtRecord>> {
        self.require(principal, Action::Read, client_id).await?;
        let within = (start.map(Order::Day), end.map(Order::Day));
        self.list(principal, client_id, within, page).await
    }

    /// Changes a thought record of the calling client.
    pub async fn update_thought_record(
        &self,
        principal: &Principal,
        id: Uuid,
        version: i64,
        patch: Patch<ThoughtRecord>,
    ) -> Result<ThoughtRecord> {
        self.patch(principal, (id, version), patch, "thought_record")
            .await
    }

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
