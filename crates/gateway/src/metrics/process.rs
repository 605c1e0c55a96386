//! Process metrics under Prometheus' standard names, read from `/proc/self` on Linux (nothing
//! elsewhere): resident and virtual memory, CPU seconds, open and allowed file descriptors,
//! start time. Hand-written: reading four small files does not warrant `procfs`.

use super::exposition::{Exposition, Kind};

/// Clock ticks per second of `/proc`'s times (Linux's `USER_HZ`, 100 on every architecture
/// it exports to user space).
const USER_HZ: u64 = 100;

/// What `/proc/self` tells, `None` for what could not be read.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct ProcessStats {
    pub resident_bytes: Option<u64>,
    pub virtual_bytes: Option<u64>,
    /// User plus system CPU time, in clock ticks.
    pub cpu_ticks: Option<u64>,
    /// Seconds since the epoch.
    pub start_time_s: Option<u64>,
    pub open_fds: Option<u64>,
    pub max_fds: Option<u64>,
}

impl ProcessStats {
    /// This process now.
    pub fn read() -> ProcessStats {
        let proc = |f: &str| std::fs::read_to_string(format!("/proc/self/{f}")).ok();
        let stat = proc("stat").map(|s| parse_stat(&s)).unwrap_or_default();
        let status = proc("status").unwrap_or_default();
        let boot = std::fs::read_to_string("/proc/stat")
            .ok()
            .and_then(|s| field_after(&s, "btime"));
        ProcessStats {
            resident_bytes: field_after(&status, "VmRSS:").map(|kb| kb * 1024),
            virtual_bytes: field_after(&status, "VmSize:").map(|kb| kb * 1024),
            cpu_ticks: stat.cpu_ticks,
            start_time_s: boot.zip(stat.start_ticks).map(|(b, t)| b + t / USER_HZ),
            open_fds: std::fs::read_dir("/proc/self/fd")
                .ok()
                .map(|d| d.count() as u64),
            max_fds: proc("limits").and_then(|s| field_after(&s, "Max open files")),
        }
    }

    pub fn render(&self, e: &mut Exposition) {
        let gauges = [
            (
                "process_resident_memory_bytes",
                "Resident memory size in bytes.",
                self.resident_bytes,
            ),
            (
                "process_virtual_memory_bytes",
                "Virtual memory size in bytes.",
                self.virtual_bytes,
            ),
            (
                "process_open_fds",
                "Number of open file descriptors.",
                self.open_fds,
            ),
            (
                "process_max_fds",
                "Maximum number of open file descriptors.",
                self.max_fds,
            ),
            (
                "process_start_time_seconds",
                "Start time of the process since unix epoch in seconds.",
                self.start_time_s,
            ),
        ];
        for (name, help, v) in gauges {
            if let Some(v) = v {
                e.single(name, Kind::Gauge, help, v);
            }
        }
        if let Some(t) = self.cpu_ticks {
            let s = format!("{}.{:02}", t / USER_HZ, t % USER_HZ);
            let help = "Total user and system CPU time spent in seconds.";
            e.single("process_cpu_seconds_total", Kind::Counter, help, s);
        }
    }
}

/// What `/proc/self/stat` gives: CPU ticks (utime + stime) and the start time in ticks since
/// boot.
#[derive(Default)]
struct Stat {
    cpu_ticks: Option<u64>,
    start_ticks: Option<u64>,
}

fn parse_stat(s: &str) -> Stat {
    // The command name (field 2) is in parentheses and may hold spaces: count after its end.
    let Some((_, rest)) = s.rsplit_once(')') else {
        return Stat::default();
    };
    // rest starts at field 3 (state): utime is field 14, stime 15, starttime 22.
    let f: Vec<&str> = rest.split_whitespace().collect();
    let num = |field: usize| f.get(field - 3).and_then(|v| v.parse::<u64>().ok());
    Stat {
        cpu_ticks: num(14).zip(num(15)).map(|(u, s)| u + s),
        start_ticks: num(22),
    }
}

/// The first number after the line starting with `key`.
fn field_after(text: &str, key: &str) -> Option<u64> {
    text.lines()
        .find_map(|l| l.strip_prefix(key))
        .and_then(|rest| rest.split_whitespace().find_map(|w| w.parse().ok()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stat_fields_count_after_the_command_name_even_with_spaces_in_it() {
        let line =
            "42 (tokio worker) S 1 42 42 0 -1 4194560 500 0 0 0 250 31 0 0 20 0 9 0 12345 1000 300";
        let s = parse_stat(line);
        assert_eq!((s.cpu_ticks, s.start_ticks), (Some(281), Some(12345)));
        assert_eq!(
            field_after("Name: x\nVmRSS:\t  2048 kB\n", "VmRSS:"),
            Some(2048)
        );
        let limits = "Limit Soft Hard Units\nMax open files            1024                 4096                 files\n";
        assert_eq!(field_after(limits, "Max open files"), Some(1024));
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn this_process_reads_its_own_numbers() {
        let p = ProcessStats::read();
        assert!(p.resident_bytes.is_some_and(|b| b > 0), "{p:?}");
        assert!(p.open_fds.is_some_and(|n| n > 0), "{p:?}");
        assert!(p.start_time_s.is_some_and(|t| t > 1_600_000_000), "{p:?}");
        assert!(p.cpu_ticks.is_some(), "{p:?}");
    }
}
