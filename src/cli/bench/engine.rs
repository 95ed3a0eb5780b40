//! The floor of the storage engine: records stored straight into the
//! embedded engine (sled behind the write-ahead log), with nothing else of
//! Stepwise (no replay, no sealing, no gRPC), in two layouts:
//!
//! - `engine-floor-record`: one key per record, its id;
//! - `engine-floor-indexed`: the record and the two index entries no
//!   layout of a syncing store can do without, a change index entry
//!   (client, sequence number: what a pull reads) and a parent index entry
//!   (client, kind, id: what a list reads), as the store's `C` and `P`.
//!
//! Whatever layout the store uses stands on these floors, so they say
//! which storage and write-path targets this engine can meet at all. Each
//! layout runs in a process of its own (one per `stepwise bench` run), so
//! the resident memory reported is that layout's.

use std::path::Path;
use std::time::Instant;

use stepwise::store::kv::engine::Engine as _;
use stepwise::store::kv::sled::SledKv;

use super::error::BenchError;
use super::process::{rss_bytes, write_bytes};
use super::storage::StorageReport;

/// Records per batch, as a `Push` of the `storage` fill.
const BATCH: u64 = 500;
/// Bytes of content after each record's 16-byte key: together the 70
/// bytes of a benchmark goal's API encoding, the logical size the
/// `storage` fill reports against.
const CONTENT: usize = 54;

/// Clients the indexed layout's records belong to.
const CLIENTS: usize = 1000;

/// What is stored for each record.
#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum Layout {
    /// The record under its id.
    Record,
    /// The record, its change index entry and its parent index entry.
    Indexed,
}

impl Layout {
    fn name(self) -> &'static str {
        match self {
            Layout::Record => "engine-floor-record",
            Layout::Indexed => "engine-floor-indexed",
        }
    }
}

/// Stores `records` records of random 16-byte ids (as a device makes
/// them) in `layout` into a fresh sled engine in `dir`, a new temporary
/// directory removed at the end, with a cache of `cache_mb`, and reports
/// what that cost this process.
pub fn floor(
    layout: Layout,
    records: u64,
    cache_mb: u64,
    dir: &Path,
) -> Result<StorageReport, BenchError> {
    std::fs::create_dir_all(dir)?;
    let outcome = fill(dir, layout, records, cache_mb);
    let _ = std::fs::remove_dir_all(dir);
    outcome
}

fn fill(
    dir: &std::path::Path,
    layout: Layout,
    records: u64,
    cache_mb: u64,
) -> Result<StorageReport, BenchError> {
    let engine = SledKv::open(dir, cache_mb * 1024 * 1024)
        .map_err(|e| BenchError::Config(format!("opening the engine: {e}")))?;
    let pid = std::process::id();
    let written_before = write_bytes(pid);
    let started = Instant::now();
    let batches = records.div_ceil(BATCH);
    let clients: Vec<[u8; 16]> = (0..CLIENTS).map(|_| rand::random()).collect();
    let mut sequences = vec![0u64; CLIENTS];
    for number in 0..batches {
        // A batch is one client's push, as in the `storage` fill.
        let at = number as usize % CLIENTS;
        let client = clients[at];
        let mut batch = Vec::new();
        for _ in 0..BATCH {
            let id: [u8; 16] = rand::random();
            let content: [u8; CONTENT] = rand::random();
            batch.push((id.to_vec(), Some(content.to_vec())));
            if let Layout::Indexed = layout {
                sequences[at] += 1;
                let change = [&b"C"[..], &client, &sequences[at].to_be_bytes()].concat();
                batch.push((change, Some(id.to_vec())));
                batch.push(([&b"P"[..], &client, &[1], &id].concat(), Some(Vec::new())));
            }
        }
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
        layout.name(),
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
