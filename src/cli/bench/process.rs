//! What the server process used, from `/proc/<pid>`: memory, disk writes,
//! CPU time and context switches. Throughput on a shared machine moves with
//! the neighbours; CPU time and switches per request move much less, so a
//! run against `--server` reports them too.

/// A field of `/proc/<pid>/<file>` (first number after `key`).
fn proc_field(pid: u32, file: &str, key: &str) -> Option<u64> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/{file}")).ok()?;
    let line = text.lines().find(|l| l.starts_with(key))?;
    line[key.len()..].split_whitespace().next()?.parse().ok()
}

/// Resident memory of process `pid`. For the embedded server, that is the
/// server and the load generator together.
pub fn rss_bytes(pid: u32) -> Option<u64> {
    proc_field(pid, "status", "VmRSS:").map(|kib| kib * 1024)
}

/// Bytes process `pid` caused to be written to the storage layer.
pub fn write_bytes(pid: u32) -> Option<u64> {
    proc_field(pid, "io", "write_bytes:")
}

/// CPU time and context switches of a process so far.
#[derive(Debug, Clone, Copy)]
pub struct Usage {
    cpu_us: u64,
    switches: u64,
}

impl Usage {
    /// Reads the usage of process `pid`: user and system time of all its
    /// threads (`/proc/<pid>/stat`), and the context switches of its live
    /// threads (`/proc/<pid>/task/*/status`).
    pub fn of(pid: u32) -> Option<Self> {
        let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
        // Fields after the command name, which may hold spaces: utime and
        // stime are fields 14 and 15 of the line, 12 and 13 after it.
        let after_name = stat.rsplit_once(')')?.1;
        let fields: Vec<&str> = after_name.split_whitespace().collect();
        let ticks: u64 =
            fields.get(11)?.parse::<u64>().ok()? + fields.get(12)?.parse::<u64>().ok()?;
        let per_second = rustix::param::clock_ticks_per_second().max(1);
        let mut switches = 0;
        for task in std::fs::read_dir(format!("/proc/{pid}/task")).ok()? {
            let task = task.ok()?.file_name();
            let file = format!("task/{}/status", task.to_string_lossy());
            switches += proc_field(pid, &file, "voluntary_ctxt_switches:").unwrap_or(0)
                + proc_field(pid, &file, "nonvoluntary_ctxt_switches:").unwrap_or(0);
        }
        Some(Self {
            cpu_us: ticks * 1_000_000 / per_second,
            switches,
        })
    }

    /// CPU microseconds and context switches per request since `before`.
    pub fn per_request(self, before: Self, requests: u64) -> (f64, f64) {
        let requests = requests.max(1) as f64;
        (
            self.cpu_us.saturating_sub(before.cpu_us) as f64 / requests,
            self.switches.saturating_sub(before.switches) as f64 / requests,
        )
    }
}
