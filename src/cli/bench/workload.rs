//! The workloads: which there are and their names. One request of each
//! is in [`super::request`].

use clap::ValueEnum;

/// What to measure.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Workload {
    /// A durable `LogCheckIn`, each for one of 1,000 clients in turn: a
    /// clinic's caseload syncing at once.
    LogCheckIn,
    /// A durable `LogCheckIn`, all for one client.
    LogCheckInHot,
    /// A `Push` of 50 new goals.
    Push,
    /// A full initial `Pull` of 10,000 records.
    PullInitial,
    /// An authenticated `GetGoal`.
    GetGoal,
    /// A therapist's `ListClientSummaries` over 200 clients with 28 days of
    /// check-ins each.
    ClientSummaries,
}

impl Workload {
    /// Its name in reports.
    pub fn name(self) -> &'static str {
        match self {
            Workload::LogCheckIn => "log-check-in",
            Workload::LogCheckInHot => "log-check-in-hot",
            Workload::Push => "push",
            Workload::PullInitial => "pull-initial",
            Workload::GetGoal => "get-goal",
            Workload::ClientSummaries => "client-summaries",
        }
    }

    /// Whether it is reported in records per second too.
    pub fn moves_records(self) -> bool {
        matches!(
            self,
            Workload::Push | Workload::PullInitial | Workload::ClientSummaries
        )
    }
}
