//! Running a workload for a while and summarising it: throughput, latency
//! percentiles (an HDR histogram) and the ratio to the baseline.

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use hdrhistogram::Histogram;
use serde::Serialize;

use super::fixture::Fixture;
use super::process::Usage;
use super::report::print_json;
use super::request::request;
use super::workload::Workload;

/// The result of one workload.
#[derive(Debug, Clone, Serialize)]
pub struct Measurement {
    /// Workload name.
    pub workload: &'static str,
    /// Completed requests per second.
    pub rps: f64,
    /// Median latency.
    pub p50_ms: f64,
    /// 99th percentile latency.
    pub p99_ms: f64,
    /// 99.9th percentile latency.
    pub p999_ms: f64,
    /// Records moved per second, for workloads that move many per request.
    pub records_per_s: Option<f64>,
    /// Requests that failed.
    pub errors: u64,
    /// Server CPU time per request (user and system), against `--server`.
    pub server_cpu_us_per_req: Option<f64>,
    /// Server context switches per request, against `--server`.
    pub server_switches_per_req: Option<f64>,
}

/// A measurement as reported: with the baseline and the ratio to it.
#[derive(Serialize)]
struct Reported<'a> {
    #[serde(flatten)]
    measurement: &'a Measurement,
    baseline_rps: f64,
    ratio: f64,
}

impl Measurement {
    /// Prints the measurement (a JSON line, or a row of the table).
    pub fn report(&self, baseline: &Measurement, json: bool) {
        let ratio = if baseline.rps > 0.0 {
            self.rps / baseline.rps
        } else {
            0.0
        };
        if json {
            print_json(&Reported {
                measurement: self,
                baseline_rps: baseline.rps,
                ratio,
            });
        } else {
            let records = self
                .records_per_s
                .map_or("-".to_owned(), |r| format!("{r:.0}"));
            let per_request = |v: Option<f64>, digits: usize| {
                v.map_or("-".to_owned(), |v| format!("{v:.digits$}"))
            };
            println!(
                "{:<24} {:>10.0} {:>8.2} {:>8.2} {:>9.2} {:>7.2} {:>12} {:>7} {:>9} {:>9}",
                self.workload,
                self.rps,
                self.p50_ms,
                self.p99_ms,
                self.p999_ms,
                ratio,
                records,
                self.errors,
                per_request(self.server_cpu_us_per_req, 0),
                per_request(self.server_switches_per_req, 1),
            );
        }
    }
}

/// The table's header.
pub fn print_header() {
    println!(
        "{:<24} {:>10} {:>8} {:>8} {:>9} {:>7} {:>12} {:>7} {:>9} {:>9}",
        "workload",
        "req/s",
        "p50 ms",
        "p99 ms",
        "p99.9 ms",
        "ratio",
        "records/s",
        "errors",
        "cpu µs/r",
        "csw/r"
    );
}

/// Latencies in microseconds, up to a minute, at 3 significant figures.
fn histogram() -> Histogram<u64> {
    Histogram::new_with_bounds(1, 60_000_000, 3).expect("constant, valid bounds")
}

/// Runs `workload` (the baseline without one) with `concurrency` requests
/// in flight for `duration`; reads the usage of the server process
/// `server` around it, when it runs apart.
pub async fn measure(
    fixture: &Arc<Fixture>,
    workload: Option<Workload>,
    concurrency: u32,
    duration: Duration,
    server: Option<u32>,
) -> Measurement {
    let usage_before = server.and_then(Usage::of);
    let started = Instant::now();
    let until = started + duration;
    let workers: Vec<_> = (0..concurrency as usize)
        .map(|index| {
            let fixture = fixture.clone();
            tokio::spawn(async move {
                let (mut latencies, mut records, mut errors) = (histogram(), 0u64, 0u64);
                while Instant::now() < until {
                    let n = fixture.next.fetch_add(1, Ordering::Relaxed);
                    let sent = Instant::now();
                    match request(&fixture, workload, index, n).await {
                        Ok(moved) => {
                            let micros = sent.elapsed().as_micros() as u64;
                            let _ = latencies.record(micros.max(1));
                            records += moved;
                        }
                        Err(_) => errors += 1,
                    }
                }
                (latencies, records, errors)
            })
        })
        .collect();
    let (mut latencies, mut records, mut errors) = (histogram(), 0, 0);
    for done in workers {
        if let Ok((l, r, e)) = done.await {
            let _ = latencies.add(l);
            records += r;
            errors += e;
        }
    }
    let elapsed = started.elapsed().as_secs_f64();
    let usage = usage_before
        .zip(server.and_then(Usage::of))
        .map(|(before, after)| after.per_request(before, latencies.len()));
    let ms = |q: f64| latencies.value_at_quantile(q) as f64 / 1000.0;
    Measurement {
        workload: workload.map_or("health-check (baseline)", Workload::name),
        rps: latencies.len() as f64 / elapsed,
        p50_ms: ms(0.50),
        p99_ms: ms(0.99),
        p999_ms: ms(0.999),
        records_per_s: workload
            .filter(|w| w.moves_records())
            .map(|_| records as f64 / elapsed),
        errors,
        server_cpu_us_per_req: usage.map(|(cpu, _)| cpu),
        server_switches_per_req: usage.map(|(_, switches)| switches),
    }
}
