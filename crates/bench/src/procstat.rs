//! CPU time and peak resident memory of a process, read from Linux's procfs.

use std::io;

use serde::{Deserialize, Serialize};

/// Clock ticks per second of `/proc/PID/stat` times: `USER_HZ`, fixed at 100
/// by the Linux ABI on every architecture this runs on.
const USER_HZ: f64 = 100.0;

/// User and system CPU seconds (all threads, exited ones included).
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct CpuTimes {
    pub user_secs: f64,
    pub system_secs: f64,
}

impl CpuTimes {
    pub fn total(&self) -> f64 {
        self.user_secs + self.system_secs
    }

    /// The time spent since `earlier`.
    pub fn since(&self, earlier: &CpuTimes) -> CpuTimes {
        CpuTimes {
            user_secs: self.user_secs - earlier.user_secs,
            system_secs: self.system_secs - earlier.system_secs,
        }
    }
}

/// CPU times of this process (`None`) or of process `pid`.
pub fn cpu_times(pid: Option<u32>) -> io::Result<CpuTimes> {
    let path = match pid {
        Some(pid) => format!("/proc/{pid}/stat"),
        None => "/proc/self/stat".to_owned(),
    };
    let text = std::fs::read_to_string(&path)?;
    parse_stat(&text)
        .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidData, format!("unreadable {path}")))
}

/// CPU times of the PostgreSQL backends serving `database`, found by their
/// process titles (`postgres: … USER DATABASE HOST(PORT) …`). A backend that
/// exits between two readings takes its time with it: pools keep theirs open.
pub fn postgres_backends_cpu(database: &str) -> io::Result<CpuTimes> {
    let needle = format!(" {database} ");
    let mut total = CpuTimes::default();
    for entry in std::fs::read_dir("/proc")? {
        let Some(pid) = entry?
            .file_name()
            .to_str()
            .and_then(|n| n.parse::<u32>().ok())
        else {
            continue;
        };
        let Ok(cmdline) = std::fs::read(format!("/proc/{pid}/cmdline")) else {
            continue;
        };
        let title = String::from_utf8_lossy(&cmdline).replace('\0', " ");
        if title.starts_with("postgres:")
            && title.contains(&needle)
            && let Ok(cpu) = cpu_times(Some(pid))
        {
            total.user_secs += cpu.user_secs;
            total.system_secs += cpu.system_secs;
        }
    }
    Ok(total)
}

/// This process's threads by CPU time, busiest first: `(name, seconds)`.
pub fn busiest_threads(count: usize) -> io::Result<Vec<(String, f64)>> {
    let mut threads = Vec::new();
    for entry in std::fs::read_dir("/proc/self/task")? {
        let path = entry?.path();
        let (Ok(stat), Ok(name)) = (
            std::fs::read_to_string(path.join("stat")),
            std::fs::read_to_string(path.join("comm")),
        ) else {
            continue;
        };
        if let Some(cpu) = parse_stat(&stat) {
            threads.push((name.trim().to_owned(), cpu.total()));
        }
    }
    threads.sort_by(|a, b| b.1.total_cmp(&a.1));
    threads.truncate(count);
    Ok(threads)
}

/// Peak resident memory of this process in bytes (`VmHWM`).
pub fn peak_rss_bytes() -> io::Result<u64> {
    peak_rss_in("/proc/self/status")
}

/// Peak resident memory of process `pid` in bytes (`VmHWM`); an error once
/// it has exited (a zombie has no memory left to report).
pub fn peak_rss_bytes_of(pid: u32) -> io::Result<u64> {
    peak_rss_in(&format!("/proc/{pid}/status"))
}

fn peak_rss_in(path: &str) -> io::Result<u64> {
    let text = std::fs::read_to_string(path)?;
    status_kib(&text, "VmHWM:")
        .map(|kib| kib * 1024)
        .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidData, format!("no VmHWM in {path}")))
}

/// Resets this process's peak resident memory to its current size, so that
/// set-up before a measurement does not count.
pub fn reset_peak_rss() -> io::Result<()> {
    std::fs::write("/proc/self/clear_refs", "5")
}

/// `utime` and `stime` of a `/proc/PID/stat` line (fields 14 and 15; the
/// command name, which may hold spaces and parentheses, ends at the last `)`).
fn parse_stat(text: &str) -> Option<CpuTimes> {
    let rest = &text[text.rfind(')')? + 1..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let ticks = |i: usize| fields.get(i)?.parse::<u64>().ok();
    Some(CpuTimes {
        user_secs: ticks(11)? as f64 / USER_HZ,
        system_secs: ticks(12)? as f64 / USER_HZ,
    })
}

/// The value in KiB of a `/proc/PID/status` line such as `VmHWM:  1234 kB`.
fn status_kib(text: &str, key: &str) -> Option<u64> {
    let line = text.lines().find(|line| line.starts_with(key))?;
    line[key.len()..].split_whitespace().next()?.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_stat_and_status_lines() {
        let stat = "4242 (tokio (rt) x) S 1 2 3 4 5 6 7 8 9 10 250 75 0 0 20 0 3 0";
        assert_eq!(
            parse_stat(stat),
            Some(CpuTimes {
                user_secs: 2.5,
                system_secs: 0.75
            })
        );
        let status = "Name:\tcrawl\nVmPeak:\t  900 kB\nVmHWM:\t   12345 kB\nVmRSS:\t 100 kB\n";
        assert_eq!(status_kib(status, "VmHWM:"), Some(12345));
        assert_eq!(status_kib(status, "VmSwap:"), None);
    }

    #[test]
    fn reads_this_process() {
        let cpu = cpu_times(None).unwrap();
        assert!(cpu.total() >= 0.0);
        assert!(peak_rss_bytes().unwrap() > 0);
        assert!(peak_rss_bytes_of(std::process::id()).unwrap() > 0);
    }
}
