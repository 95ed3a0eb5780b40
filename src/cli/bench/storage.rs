//! Filling the store with more records, and what that costs: the server's
//! resident memory, the size of its data dir, and the bytes it wrote to
//! disk, each against the logical size of the records (their API
//! encoding).

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use serde::Serialize;
use stepwise::pb;
use stepwise::pb::sync_service_client::SyncServiceClient;
use tonic::Status;

use super::error::BenchError;
use super::fixture::{Fixture, goal_batch};
use super::process::{rss_bytes, write_bytes};
use super::report::print_json;

/// Goals per push while filling.
const BATCH: u64 = 500;
/// Pushes in flight while filling.
const WRITERS: usize = 4;

/// What storing more records cost.
#[derive(Debug, Serialize)]
pub struct StorageReport {
    workload: &'static str,
    records: u64,
    /// Records stored per second, where the filling is timed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub records_per_second: Option<f64>,
    logical_mb: f64,
    rss_mb: Option<f64>,
    written_mb: Option<f64>,
    written_ratio: Option<f64>,
    disk_mb: Option<f64>,
    disk_ratio: Option<f64>,
}

fn mib(bytes: u64) -> f64 {
    bytes as f64 / (1024.0 * 1024.0)
}

/// Pushes `records` new goals; reads memory and disk writes of the server
/// process `pid` (when known) around it.
pub async fn fill(
    fixture: &Arc<Fixture>,
    records: u64,
    pid: Option<u32>,
) -> Result<StorageReport, BenchError> {
    let written_before = pid.and_then(write_bytes);
    let batches = records.div_ceil(BATCH);
    let next = Arc::new(AtomicU64::new(0));
    let mut writers = Vec::new();
    for writer in 0..WRITERS {
        let (fixture, next) = (fixture.clone(), next.clone());
        writers.push(tokio::spawn(async move {
            let mut sync = SyncServiceClient::new(fixture.authed(writer, &fixture.bulk_token));
            let mut logical = 0u64;
            loop {
                let batch = next.fetch_add(1, Ordering::Relaxed);
                if batch >= batches {
                    return Ok::<u64, Status>(logical);
                }
                let request = goal_batch(&format!("storage-{batch}"), BATCH as usize);
                logical += request
                    .mutations
                    .iter()
                    .filter_map(|m| match &m.op {
                        Some(pb::mutation::Op::UpsertGoal(goal)) => {
                            Some(prost::Message::encoded_len(goal) as u64)
                        }
                        _ => None,
                    })
                    .sum::<u64>();
                sync.push(request).await?;
            }
        }));
    }
    let mut logical = 0;
    for writer in writers {
        logical += writer
            .await
            .map_err(|e| Status::internal(e.to_string()))??;
    }
    let written = match (written_before, pid.and_then(write_bytes)) {
        (Some(before), Some(after)) => Some(after.saturating_sub(before)),
        _ => None,
    };
    Ok(StorageReport::new(
        "storage",
        batches * BATCH,
        logical,
        pid.and_then(rss_bytes),
        written,
    ))
}

impl StorageReport {
    /// `records` of `logical` bytes in all stored, with the resident memory
    /// after and the bytes written meanwhile, where known.
    pub fn new(
        workload: &'static str,
        records: u64,
        logical: u64,
        rss: Option<u64>,
        written: Option<u64>,
    ) -> Self {
        Self {
            workload,
            records,
            records_per_second: None,
            logical_mb: mib(logical),
            rss_mb: rss.map(mib),
            written_mb: written.map(mib),
            written_ratio: written.map(|w| w as f64 / logical.max(1) as f64),
            disk_mb: None,
            disk_ratio: None,
        }
    }

    /// Adds the size on disk of what was stored.
    pub fn disk(&mut self, bytes: u64) {
        self.disk_mb = Some(mib(bytes));
        self.disk_ratio = Some(mib(bytes) / self.logical_mb.max(f64::MIN_POSITIVE));
    }

    /// Prints the report.
    pub fn print(&self, json: bool) {
        if json {
            print_json(self);
        } else {
            let show =
                |v: Option<f64>, unit: &str| v.map_or("-".into(), |v| format!("{v:.1}{unit}"));
            println!(
                "{}: {} more records{}, logical {:.1} MiB; on disk {} ({}); written {} ({}); RSS {}",
                self.workload,
                self.records,
                self.records_per_second
                    .map_or(String::new(), |rate| format!(" at {rate:.0}/s")),
                self.logical_mb,
                show(self.disk_mb, " MiB"),
                show(self.disk_ratio, "x"),
                show(self.written_mb, " MiB"),
                show(self.written_ratio, "x"),
                show(self.rss_mb, " MiB"),
            );
        }
    }
}

/// Bytes of the files under `dir`.
pub fn dir_size(dir: &std::path::Path) -> std::io::Result<u64> {
    let mut total = 0;
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        let meta = entry.metadata()?;
        total += if meta.is_dir() {
            dir_size(&entry.path())?
        } else {
            meta.len()
        };
    }
    Ok(total)
}
