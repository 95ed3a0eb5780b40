//! The floor of the storage engine: records stored straight into the
//! embedded engine (sled behind the write-ahead log), one key each and
//! nothing else of Stepwise: no index, no replay, no sealing, no gRPC.
//! Whatever layout the store uses stands on this floor, so it says which
//! storage and write-path targets this engine can meet at all.

use std::time::Instant;

use stepwise::store::kv::engine::Engine as _;
use stepwise::store::kv::sled::SledKv;

use super::BenchError;
use super::process::{rss_bytes, write_bytes};
use super::storage::StorageReport;

/// Records per batch, as a `Push` of the `storage` fill.
const BATCH: u64 = 500;
/// Bytes of content after each record's 16-byte key: together the 70
/// bytes of a benchmark goal's API encoding, the logical size the
/// `storage` fill reports against.
const CONTENT: usize = 54;

/// Stores `records` records of random 16-byte ids (as a device makes
/// them) into a fresh sled engine in a temporary directory with a cache of
/// `cache_mb`, and reports what that cost this process.
pub fn floor(records: u64, cache_mb: u64) -> Result<StorageReport, BenchError> {
    let dir = tempfile_dir()?;
    let outcome = fill(&dir, records, cache_mb);
    let _ = std::fs::remove_dir_all(&dir);
    outcome
}

fn fill(dir: &std::path::Path, records: u64, cache_mb: u64) -> Result<StorageReport, BenchError> {
    let engine = SledKv::open(dir, cache_mb * 1024 * 1024)
        .map_err(|e| BenchError::Config(format!("opening the engine: {e}")))?;
    let pid = std::process::id();
    let written_before = write_bytes(pid);
    let started = Instant::now();
    let batches = records.div_ceil(BATCH);
    for _ in 0..batches {
        let batch = (0..BATCH)
            .map(|_| {
                let id: [u8; 16] = rand::random();
                let content: [u8; CONTENT] = rand::random();
                (id.to_vec(), Some(content.to_vec()))
            })
            .collect();
        engine
            .apply(batch)
            .map_err(|e| BenchError::Config(format!("writing: {e}")))?;
    }
    let elapsed = started.elapsed();
    let stored = batches * BATCH;
    let written = match (written_before, write_bytes(pid)) {
        (Some(before), Some(after)) => Some(after.saturating_sub(before)),
        _ => None,
    };
    let mut report = StorageReport::new(
        "engine-floor",
        stored,
        stored * (16 + CONTENT as u64),
        rss_bytes(pid),
        written,
    );
    report.records_per_second = Some(stored as f64 / elapsed.as_secs_f64().max(f64::EPSILON));
    drop(engine);
    report.disk(super::storage::dir_size(dir)?);
    Ok(report)
}

fn tempfile_dir() -> Result<std::path::PathBuf, BenchError> {
    let dir = std::env::temp_dir().join(format!("stepwise-engine-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir)?;
    Ok(dir)
}
